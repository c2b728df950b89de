# Sourced by ./moe4j and ./run-tests: sets MOE4J_JAVA_HOME to a JDK >= 23 or explains how to get one.
# Order: $MOE4J_JAVA_HOME, $JAVA_HOME, then the usual install folders, newest version first.

moe4j_jdk_major() { # prints the feature version of the JDK in $1, or nothing
  local release="$1/release" v
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 0
  if [ -f "$release" ]; then
    v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$release")
  else
    v=$("$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1)
  fi
  echo "$v"
}

moe4j_find_jdk() {
  local min=23 best="" best_v=0 dir v
  for dir in "${MOE4J_JAVA_HOME:-}" "${JAVA_HOME:-}"; do
    [ -n "$dir" ] || continue
    v=$(moe4j_jdk_major "$dir")
    if [ -n "$v" ] && [ "$v" -ge "$min" ]; then MOE4J_JAVA_HOME="$dir"; return 0; fi
  done
  for dir in /usr/lib/jvm/* /usr/java/* /opt/java/* /opt/jdk* /opt/*jdk* "$HOME"/.sdkman/candidates/java/* \
             "$HOME"/.jdks/* /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    [ -d "$dir" ] || continue
    v=$(moe4j_jdk_major "$dir")
    if [ -n "$v" ] && [ "$v" -ge "$min" ] && [ "$v" -gt "$best_v" ]; then best="$dir"; best_v="$v"; fi
  done
  if [ -n "$best" ]; then MOE4J_JAVA_HOME="$best"; return 0; fi
  echo "moe4j needs a JDK $min or newer (JDK 25 recommended) and found none: not in JAVA_HOME, nor under /usr/lib/jvm." >&2
  echo "Install one (for example the temurin-25-jdk package) or set JAVA_HOME to it." >&2
  return 1
}

# Maven 3.8 prints sun.misc.Unsafe warnings on JDK 24+; this flag (JDK 23+) silences them.
moe4j_maven_opts() {
  local v
  v=$(moe4j_jdk_major "$MOE4J_JAVA_HOME")
  if [ "${v:-0}" -ge 24 ]; then echo "--sun-misc-unsafe-memory-access=allow ${MAVEN_OPTS:-}"; else echo "${MAVEN_OPTS:-}"; fi
}

moe4j_require_maven() {
  command -v mvn >/dev/null 2>&1 && return 0
  echo "moe4j builds with Apache Maven 3.8+, and 'mvn' is not on PATH: install it (Debian: apt-get install maven)." >&2
  return 1
}
