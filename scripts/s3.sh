#!/usr/bin/env bash
# A local S3-compatible server for the tests: moto in server mode (PyPI `moto[server]`, a Python
# test peer only; stedi itself never runs Python), on 127.0.0.1, data in memory.
#   install  create a Python virtual environment in the cache and install moto[server] into it
#   start    start the server, wait until it answers, print its URL
#   stop     stop the server started by `start`
#   env      print the `export` lines the tests and `scripts/trino.sh start` read:
#            STEDI_S3_ENDPOINT, STEDI_S3_REGION, STEDI_S3_ACCESS_KEY, STEDI_S3_SECRET_KEY
# The keys are test values moto accepts (it accepts any); no real AWS account is involved.
# Settings (environment): STEDI_S3_CACHE (the virtual environment; default .cache/s3),
# STEDI_S3_RUN (pid, port and log; default $STEDI_S3_CACHE/run).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
MOTO_VERSION=5.2.5
CACHE=${STEDI_S3_CACHE:-$REPO/.cache/s3}
RUN=${STEDI_S3_RUN:-$CACHE/run}
VENV="$CACHE/venv"
PID_FILE="$RUN/s3.pid"
PORT_FILE="$RUN/port"
REGION=us-east-1

install() {
  if [ -x "$VENV/bin/moto_server" ] && "$VENV/bin/python" -c "import moto,sys; sys.exit(moto.__version__ != '$MOTO_VERSION')" 2>/dev/null; then
    echo "moto $MOTO_VERSION is installed in $VENV"; return 0
  fi
  mkdir -p "$CACHE"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
  echo "installed moto $MOTO_VERSION in $VENV"
}

free_port() {
  node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

running() { [ -f "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; }

start() {
  if running; then echo "the S3 server is already running at http://127.0.0.1:$(cat "$PORT_FILE")"; return 0; fi
  [ -x "$VENV/bin/moto_server" ] || { echo "moto is not installed: run scripts/s3.sh install" >&2; return 1; }
  local port t0 url
  mkdir -p "$RUN"; port=$(free_port); t0=$(date +%s)
  nohup "$VENV/bin/moto_server" -H 127.0.0.1 -p "$port" > "$RUN/server.log" 2>&1 &
  echo $! > "$PID_FILE"; echo "$port" > "$PORT_FILE"
  url="http://127.0.0.1:$port"
  for _ in $(seq 1 60); do
    if curl -fsS -o /dev/null "$url/moto-api/" 2>/dev/null; then
      echo "the S3 server (moto $MOTO_VERSION) is ready at $url after $(( $(date +%s) - t0 ))s"; return 0
    fi
    running || break
    sleep 1
  done
  echo "the S3 server did not start; its log: $RUN/server.log" >&2
  tail -n 20 "$RUN/server.log" >&2 2>/dev/null || true
  stop; return 1
}

stop() {
  if running; then kill "$(cat "$PID_FILE")"; echo "stopped the S3 server"; fi
  rm -f "$PID_FILE" "$PORT_FILE"
}

env_lines() {
  running || { echo "the S3 server is not running: start it with scripts/s3.sh start" >&2; return 1; }
  echo "export STEDI_S3_ENDPOINT=http://127.0.0.1:$(cat "$PORT_FILE")"
  echo "export STEDI_S3_REGION=$REGION"
  echo "export STEDI_S3_ACCESS_KEY=stedi-test"
  echo "export STEDI_S3_SECRET_KEY=stedi-test-secret"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  env) env_lines ;;
  *) echo "usage: scripts/s3.sh install|start|stop|env" >&2; exit 2 ;;
esac
