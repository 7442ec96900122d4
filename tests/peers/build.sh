#!/usr/bin/env bash
# Builds the SQL grammar test peers (Java, test-only) from Maven Central into tests/peers/dist/:
#   trino/  io.trino:trino-parser 476 (needs a JDK >= 24: the Temurin 25 JDK beside the system JDK)
#   hive/   org.apache.hive:hive-exec 3.1.3 ParseDriver (the Hive grammar; runs on JDK 17)
#   openx-json/  io.trino:trino-hive-formats 476, Trino's OpenX JSON SerDe reader (what Athena
#           engine v3 reads the landing tables with; needs a JDK >= 24)
#   trino-functions/  the string functions of stedi's Athena canonical email (trim, normalize,
#           lower) with the libraries Trino 476 runs them with (airlift slice, the JDK's
#           Normalizer; needs a JDK >= 24)
# Each dist folder holds classes/, lib/*.jar and java.path (the java binary to run it with).
set -euo pipefail
cd "$(dirname "$0")"
OUT="$PWD/dist"
pick_jdk() { # $1 = minimum feature version
  for home in "${STEDI_PEER_JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-*-jdk-* "${JAVA_HOME:-}" /usr/lib/jvm/*; do
    [ -n "$home" ] && [ -x "$home/bin/javac" ] || continue
    v=$("$home/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
    if [ "${v%%.*}" -ge "$1" ] 2>/dev/null; then echo "$home"; return 0; fi
  done
  echo "no JDK >= $1 found (set STEDI_PEER_JAVA_HOME)" >&2; return 1
}
build() { # $1 = peer folder, $2 = main class, $3 = minimum JDK
  local home; home=$(pick_jdk "$3")
  local dist="$OUT/$1"
  rm -rf "$dist" && mkdir -p "$dist/classes" "$dist/lib"
  (cd "$1" && JAVA_HOME="$home" mvn -q -B dependency:copy-dependencies -DoutputDirectory="$dist/lib" -DincludeScope=runtime)
  "$home/bin/javac" -d "$dist/classes" -cp "$dist/lib/*" "$1/src/main/java/stedi/$2.java"
  echo "$home/bin/java" > "$dist/java.path"
  echo "built $1 peer with $home"
}
build trino-parser TrinoParsePeer 24
build hive-parser HiveParsePeer 17
build openx-json OpenXJsonPeer 24
build trino-functions TrinoFunctionsPeer 24
