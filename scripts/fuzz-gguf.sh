#!/usr/bin/env bash
# Fuzzes the GGUF reader (GgufFuzzTest, Jazzer) for a while and reports executions and findings.
#
#   scripts/fuzz-gguf.sh [DURATION]      DURATION as Jazzer reads it: 30s, 10m, 2h (default 10m)
#
# Mutations start from the committed seeds (models/src/test/resources/.../GgufFuzzTestInputs/parse) and from the
# corpus earlier runs grew in models/<target>/jazzer/.cifuzz-corpus, which this run extends. Jazzer stops at the
# first finding and leaves its input as crash-* in models/<target>/jazzer/; after fixing the reader, commit that file
# next to the seeds so the test suite replays it from then on. MOE4J_TARGET_NAME names the build folder (default
# 'target'), like -Dmoe4j.targetName, so a long run can build apart from another build in the same checkout.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
duration="${1:-10m}"
target="${MOE4J_TARGET_NAME:-target}"
. "$root/scripts/find-jdk.sh"
moe4j_find_jdk || exit 1
moe4j_require_maven || exit 1
work="$root/models/$target/jazzer"
log="$root/models/$target/fuzz-gguf.log"
mkdir -p "$work"
before=$(ls "$work" | grep -c '^crash-' || true)

echo "fuzzing the GGUF reader for $duration; full log: $log"
# test-compile builds the modules; surefire:test@gguf-fuzz then runs only the fuzzing execution of models/pom.xml
# (-Dtest keeps the upstream modules, which have no such execution, from running their own tests).
(cd "$root" && JAVA_HOME="$MOE4J_JAVA_HOME" MAVEN_OPTS="$(moe4j_maven_opts)" \
  mvn -B -ntp "-Dmoe4j.targetName=$target" -pl models -am test-compile surefire:test@gguf-fuzz \
    -Dtest=GgufFuzzTest -Dsurefire.failIfNoSpecifiedTests=false "-Dmoe4j.fuzz.duration=$duration" \
    -Dmoe4j.fuzz=1 >"$log" 2>&1)
status=$?

# libFuzzer's own summary lines: the last status line and "Done N runs in S second(s)".
grep -E '^#[0-9]+[[:space:]]+(DONE|pulse)|^Done [0-9]+ runs' "$log" | tail -n 2
runs=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1 executions in \2 s/p' "$log" | tail -n 1)
crashes=$(ls "$work" | grep '^crash-' || true)
found=$(( $(printf '%s' "$crashes" | grep -c . || true) - before ))
echo "executions: ${runs:-unknown (see the log)}"
if [ "$status" -eq 0 ]; then
  echo "findings: 0"
else
  echo "findings: $(( found > 0 ? found : 1 )) (the build failed; the finding and its stack trace are in the log)"
  grep -E 'FuzzTestFinding|Caused by|^== Java Exception|crash-' "$log" | head -n 20
  for c in $crashes; do echo "reproducer: $work/$c"; done
fi
exit "$status"
