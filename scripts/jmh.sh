#!/usr/bin/env bash
# Builds and runs moe4j's JMH micro-benchmarks; arguments go to JMH (e.g. 'Gemv' to run only those, '-h' for help).
# MOE4J_TARGET_NAME names the build folder (default 'target'), like -Dmoe4j.targetName, so that a run can build
# apart from another build in the same checkout.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${MOE4J_TARGET_NAME:-target}"
. "$root/scripts/find-jdk.sh"
moe4j_find_jdk || exit 1
moe4j_require_maven || exit 1
(cd "$root" && JAVA_HOME="$MOE4J_JAVA_HOME" MAVEN_OPTS="$(moe4j_maven_opts)" \
  mvn -q -B -Pjmh -DskipTests "-Dmoe4j.targetName=$target" -pl jmh -am package)
exec "$MOE4J_JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector \
  -jar "$root/jmh/$target/benchmarks.jar" "$@"
