#!/usr/bin/env bash
# A local Trino 476 for the tests (coordinator and worker in one JVM, on 127.0.0.1):
#   install  fetch io.trino:trino-server:476:tar.gz from Maven Central into the cache (once,
#            checked against Maven Central's .sha1) and unpack it with only the plugins used
#   start    write the configuration, start the server, wait until it is ready, print its URL
#   stop     stop the server started by `start`
#   env      print the `export` lines the tests read (STEDI_TRINO_URL, STEDI_TRINO_WAREHOUSE)
# Catalogs `hive` and `iceberg` share one file metastore (in $STEDI_TRINO_WAREHOUSE/metastore);
# both read and write the local file system: a location local:///x is $STEDI_TRINO_WAREHOUSE/x.
# With STEDI_S3_ENDPOINT (start; and STEDI_S3_REGION, STEDI_S3_ACCESS_KEY, STEDI_S3_SECRET_KEY, as
# `scripts/s3.sh env` prints them), both also read and write s3:// locations on that S3 server.
# Settings (environment): STEDI_TRINO_CACHE (download and unpacked server; default .cache/trino),
# STEDI_TRINO_RUN (configuration, data, logs and warehouse; default $STEDI_TRINO_CACHE/run),
# STEDI_TRINO_JAVA_HOME (a JDK >= 24), STEDI_TRINO_HEAP (default 4G).
# STEDI_TRINO_PASSWORD_DB (start): a password file (`user:<PBKDF2 or bcrypt hash>` lines, Trino's
# file authenticator); with it clients connect over https on a second port, with a password (HTTP
# Basic; Trino refuses a password over http), to a certificate made for 127.0.0.1 at start;
# `env` then prints the https URL and STEDI_TRINO_CA, the certificate to trust.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
VERSION=476
CACHE=${STEDI_TRINO_CACHE:-$REPO/.cache/trino}
RUN=${STEDI_TRINO_RUN:-$CACHE/run}
SERVER="$CACHE/trino-server-$VERSION"
TARBALL="$CACHE/trino-server-$VERSION.tar.gz"
URL="https://repo1.maven.org/maven2/io/trino/trino-server/$VERSION/trino-server-$VERSION.tar.gz"
# The connectors the tests use, and the file password authenticator. Trino loads every plugin
# folder at start; the others are left out.
PLUGINS=(hive iceberg password-authenticators)
PID_FILE="$RUN/trino.pid"
PORT_FILE="$RUN/port"
HTTPS_PORT_FILE="$RUN/https_port"
WAREHOUSE="$RUN/warehouse"

pick_jdk() { # the first JDK >= 24 (Trino 476 needs it), as tests/peers/build.sh picks one
  for home in "${STEDI_TRINO_JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-*-jdk-* "${JAVA_HOME:-}" /usr/lib/jvm/*; do
    [ -n "$home" ] && [ -x "$home/bin/java" ] || continue
    v=$("$home/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
    if [ "${v%%.*}" -ge 24 ] 2>/dev/null; then echo "$home"; return 0; fi
  done
  echo "no JDK >= 24 found (Trino $VERSION needs one; set STEDI_TRINO_JAVA_HOME)" >&2; return 1
}

install() {
  mkdir -p "$CACHE"
  if [ -f "$SERVER/.installed" ] && [ "$(cat "$SERVER/.installed")" = "$(printf '%s\n' "${PLUGINS[@]}")" ]; then echo "Trino $VERSION is installed in $SERVER"; return 0; fi
  local want got
  want=$(curl -fsSL "$URL.sha1" | cut -c1-40)
  if [ ! -f "$TARBALL" ]; then
    echo "downloading $URL"
    curl -fSL --retry 3 -o "$TARBALL.part" "$URL"
    mv "$TARBALL.part" "$TARBALL"
  fi
  got=$(sha1sum "$TARBALL" | cut -c1-40)
  if [ "$got" != "$want" ]; then
    echo "$TARBALL: sha1 $got is not Maven Central's $want; removed it, run install again" >&2
    rm -f "$TARBALL"; return 1
  fi
  rm -rf "$SERVER"
  # The archive stores a jar shared by plugins once, as hard links between plugin folders, so it
  # is unpacked whole and the unused plugin folders are removed after.
  tar -xzf "$TARBALL" -C "$CACHE"
  local dir
  for dir in "$SERVER"/plugin/*; do
    [[ " ${PLUGINS[*]} " == *" $(basename "$dir") "* ]] || rm -rf "$dir"
  done
  printf '%s\n' "${PLUGINS[@]}" > "$SERVER/.installed"
  echo "installed Trino $VERSION (plugins: ${PLUGINS[*]}) in $SERVER"
}

free_port() {
  node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

running() { [ -f "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; }

configure() { # $1 = port
  local etc="$RUN/etc"
  rm -rf "$etc" && mkdir -p "$etc/catalog" "$RUN/data" "$WAREHOUSE/metastore"
  cat > "$etc/node.properties" <<EOF
node.environment=stedi_test
node.id=stedi-trino-test
node.data-dir=$RUN/data
node.bind-ip=127.0.0.1
node.internal-address=127.0.0.1
EOF
  cat > "$etc/config.properties" <<EOF
coordinator=true
node-scheduler.include-coordinator=true
http-server.http.port=$1
discovery.uri=http://127.0.0.1:$1
plugin.dir=$SERVER/plugin
catalog.config-dir=$etc/catalog
query.max-memory=2GB
query.max-memory-per-node=2GB
EOF
  rm -f "$HTTPS_PORT_FILE"
  if [ -n "${STEDI_TRINO_PASSWORD_DB:-}" ]; then
    [ -f "$STEDI_TRINO_PASSWORD_DB" ] || { echo "STEDI_TRINO_PASSWORD_DB: no file $STEDI_TRINO_PASSWORD_DB" >&2; return 1; }
    # a key and a self-signed certificate for 127.0.0.1, in one PEM file (Trino reads both from it)
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
      -keyout "$etc/tls.key" -out "$etc/tls.crt" 2>/dev/null
    cat "$etc/tls.key" "$etc/tls.crt" > "$etc/tls.pem"
    free_port > "$HTTPS_PORT_FILE"
    cat >> "$etc/config.properties" <<EOF
http-server.https.enabled=true
http-server.https.port=$(cat "$HTTPS_PORT_FILE")
http-server.https.keystore.path=$etc/tls.pem
http-server.authentication.type=PASSWORD
internal-communication.shared-secret=$(head -c 32 /dev/urandom | base64)
EOF
    cat > "$etc/password-authenticator.properties" <<EOF
password-authenticator.name=file
file.password-file=$STEDI_TRINO_PASSWORD_DB
EOF
  fi
  cat > "$etc/jvm.config" <<EOF
-server
-Xmx${STEDI_TRINO_HEAP:-4G}
-XX:+UseG1GC
-XX:+ExplicitGCInvokesConcurrent
-XX:+ExitOnOutOfMemoryError
-XX:-OmitStackTraceInFastThrow
-XX:ReservedCodeCacheSize=256M
-XX:PerMethodRecompilationCutoff=10000
-XX:PerBytecodeRecompilationCutoff=10000
-Djdk.attach.allowAttachSelf=true
-Djdk.nio.maxCachedBufferSize=2000000
-Dfile.encoding=UTF-8
-XX:+EnableDynamicAgentLoading
EOF
  local fs="fs.native-local.enabled=true
local.location=$WAREHOUSE
hive.metastore.catalog.dir=local:///metastore"
  if [ -n "${STEDI_S3_ENDPOINT:-}" ]; then
    # beside the local file system, Trino's native S3 file system on the S3 server of
    # scripts/s3.sh (its `env`): s3:// locations are read and written there, path-style
    fs="$fs
fs.native-s3.enabled=true
s3.endpoint=$STEDI_S3_ENDPOINT
s3.region=${STEDI_S3_REGION:-us-east-1}
s3.path-style-access=true
s3.aws-access-key=${STEDI_S3_ACCESS_KEY:?STEDI_S3_ACCESS_KEY is needed with STEDI_S3_ENDPOINT}
s3.aws-secret-key=${STEDI_S3_SECRET_KEY:?STEDI_S3_SECRET_KEY is needed with STEDI_S3_ENDPOINT}"
  fi
  cat > "$etc/catalog/hive.properties" <<EOF
connector.name=hive
hive.metastore=file
$fs
hive.non-managed-table-writes-enabled=true
hive.non-managed-table-creates-enabled=true
hive.iceberg-catalog-name=iceberg
EOF
  cat > "$etc/catalog/iceberg.properties" <<EOF
connector.name=iceberg
iceberg.catalog.type=testing_file_metastore
$fs
iceberg.hive-catalog-name=hive
iceberg.register-table-procedure.enabled=true
EOF
}

start() {
  if running; then echo "Trino is already running at http://127.0.0.1:$(cat "$PORT_FILE")"; return 0; fi
  [ -f "$SERVER/.installed" ] || { echo "Trino is not installed: run scripts/trino.sh install" >&2; return 1; }
  local jdk port t0 url
  jdk=$(pick_jdk); port=$(free_port); t0=$(date +%s)
  mkdir -p "$RUN"; configure "$port"; echo "$port" > "$PORT_FILE"
  "$SERVER/bin/launcher" -etc-dir "$RUN/etc" -data-dir "$RUN/data" -jvm-dir "$jdk" -pid-file "$PID_FILE" start >/dev/null
  url="http://127.0.0.1:$port"
  for _ in $(seq 1 300); do
    if curl -fsS "$url/v1/info" 2>/dev/null | grep -q '"starting":false'; then
      echo "Trino $VERSION is ready at $url after $(( $(date +%s) - t0 ))s (Java: $jdk)"; return 0
    fi
    if ! running; then break; fi
    sleep 1
  done
  echo "Trino did not start; its log: $RUN/data/var/log/server.log" >&2
  tail -n 40 "$RUN/data/var/log/server.log" >&2 2>/dev/null || true
  stop; return 1
}

stop() {
  if running; then
    "$SERVER/bin/launcher" -etc-dir "$RUN/etc" -data-dir "$RUN/data" -pid-file "$PID_FILE" stop >/dev/null || kill "$(cat "$PID_FILE")"
    echo "stopped Trino"
  fi
  rm -f "$PID_FILE" "$PORT_FILE" "$HTTPS_PORT_FILE"
}

env_lines() {
  running || { echo "Trino is not running: start it with npm run trino:start" >&2; return 1; }
  if [ -f "$HTTPS_PORT_FILE" ]; then
    echo "export STEDI_TRINO_URL=https://127.0.0.1:$(cat "$HTTPS_PORT_FILE")"
    echo "export STEDI_TRINO_CA=$RUN/etc/tls.crt"
  else
    echo "export STEDI_TRINO_URL=http://127.0.0.1:$(cat "$PORT_FILE")"
  fi
  echo "export STEDI_TRINO_WAREHOUSE=$WAREHOUSE"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  env) env_lines ;;
  *) echo "usage: scripts/trino.sh install|start|stop|env" >&2; exit 2 ;;
esac
