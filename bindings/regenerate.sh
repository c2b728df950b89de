#!/usr/bin/env bash
# Regenerates the jextract oneDNN bindings in bindings/src/main/java/io/moe4j/bindings/dnnl.
#
# Inputs: the oneDNN headers inside org.bytedeco:dnnl:<dnnl.version>:linux-x86_64 (version read from the
# root pom.xml) and the include list bindings/dnnl.symbols. Requires `jextract` (built from
# openjdk/jextract) on PATH. Works from any working directory. The old generated package is deleted
# first, so the output depends only on the inputs and the jextract build.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$SCRIPT_DIR/.." && pwd)"
SYMBOLS="$SCRIPT_DIR/dnnl.symbols"
OUTPUT_DIR="$SCRIPT_DIR/src/main/java"
PACKAGE="io.moe4j.bindings.dnnl"
PACKAGE_DIR="$OUTPUT_DIR/${PACKAGE//.//}"

die() { echo "regenerate.sh: $*" >&2; exit 1; }

# --- jextract -------------------------------------------------------------------------------------
if ! command -v jextract >/dev/null 2>&1; then
  die "jextract not found on PATH. Build it from https://github.com/openjdk/jextract (see bindings/README.md)
and put its bin/ folder on PATH, e.g. export PATH=/opt/jextract/bin:\$PATH"
fi

# --- oneDNN headers from the Maven artifact -----------------------------------------------------
DNNL_VERSION="$(sed -n 's:.*<dnnl\.version>\(.*\)</dnnl\.version>.*:\1:p' "$REPO_DIR/pom.xml" | head -n 1)"
[[ -n "$DNNL_VERSION" ]] || die "could not read <dnnl.version> from $REPO_DIR/pom.xml"
M2_REPO="${MAVEN_REPO_LOCAL:-$HOME/.m2/repository}"
JAR="$M2_REPO/org/bytedeco/dnnl/$DNNL_VERSION/dnnl-$DNNL_VERSION-linux-x86_64.jar"
if [[ ! -f "$JAR" ]]; then
  echo "regenerate.sh: $JAR not found; fetching it with mvn dependency:get" >&2
  mvn -q -B org.apache.maven.plugins:maven-dependency-plugin:3.8.1:get \
      -Dartifact="org.bytedeco:dnnl:$DNNL_VERSION:jar:linux-x86_64" -Dtransitive=false \
      -Dmaven.repo.local="$M2_REPO"
  [[ -f "$JAR" ]] || die "mvn dependency:get did not produce $JAR"
fi

WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/moe4j-jextract.XXXXXX")"
trap 'rm -rf "$WORK_DIR"' EXIT
INCLUDE_PREFIX="org/bytedeco/dnnl/linux-x86_64/include"
if command -v unzip >/dev/null 2>&1; then
  unzip -q "$JAR" "$INCLUDE_PREFIX/*" -d "$WORK_DIR"
else
  (cd "$WORK_DIR" && jar xf "$JAR" "$INCLUDE_PREFIX")
fi
INCLUDE_DIR="$WORK_DIR/$INCLUDE_PREFIX"
[[ -f "$INCLUDE_DIR/oneapi/dnnl/dnnl.h" ]] || die "oneapi/dnnl/dnnl.h not found in $JAR"

# --- generate ---------------------------------------------------------------------------------
rm -rf "$PACKAGE_DIR"
mkdir -p "$OUTPUT_DIR"
# Run inside the temp dir: jextract reads ./compile_flags.txt if present, which must not leak in.
# The "Skipping dnnl_engine (type Declared(...) is not supported)" warnings are about opaque
# handle structs that are not in the include list; they are expected.
(cd "$WORK_DIR" && jextract \
    -I "$INCLUDE_DIR" \
    --target-package "$PACKAGE" \
    --header-class-name dnnl_h \
    --output "$OUTPUT_DIR" \
    "@$SYMBOLS" \
    "$INCLUDE_DIR/oneapi/dnnl/dnnl.h" \
    "$INCLUDE_DIR/oneapi/dnnl/dnnl_debug.h")

echo "regenerate.sh: generated $(find "$PACKAGE_DIR" -name '*.java' | wc -l) files in ${PACKAGE_DIR#"$REPO_DIR"/} (oneDNN $DNNL_VERSION)"
