#!/usr/bin/env bash
# MLflow tracking server for a team: scripts/mlflow_server.sh start|stop|status
#
# Binds 127.0.0.1:${PORT:-5000}. Runs and the registry go to BACKEND_STORE_URI (default: SQLite
# under mlruns/server/; give a postgresql://... URL for many writers); artifacts are uploaded
# through the server (--serve-artifacts) into ARTIFACTS_DIR. Clients only need
# `tracking.uri=http://127.0.0.1:PORT`.
#
# Environment (all optional):
#   PORT               port on 127.0.0.1                        (5000)
#   SERVER_DIR         pid file, log, SQLite database            (mlruns/server)
#   ARTIFACTS_DIR      artifact store behind the server          (mlruns/server-artifacts)
#   BACKEND_STORE_URI  run/registry database                     (sqlite:///$SERVER_DIR/mlflow.db)
#   WORKERS            server worker processes                   (2)
#   START_TIMEOUT      seconds to wait for /health               (120)
#   MLFLOW             the mlflow executable                     (.venv/bin/mlflow, else PATH)
# Exit codes: 0 ok; 1 failed; 3 (status only) not running.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PORT="${PORT:-5000}"
SERVER_DIR="${SERVER_DIR:-$ROOT/mlruns/server}"
ARTIFACTS_DIR="${ARTIFACTS_DIR:-$ROOT/mlruns/server-artifacts}"
BACKEND_STORE_URI="${BACKEND_STORE_URI:-sqlite:///$SERVER_DIR/mlflow.db}"
WORKERS="${WORKERS:-2}"
START_TIMEOUT="${START_TIMEOUT:-120}"
if [ -z "${MLFLOW:-}" ]; then
  MLFLOW="$ROOT/.venv/bin/mlflow"
  [ -x "$MLFLOW" ] || MLFLOW="$(command -v mlflow || true)"
fi
# SQLAlchemy 2.1 reads a bare postgresql:// as psycopg 3, which the lock does not ship; psycopg2 it is.
case "$BACKEND_STORE_URI" in
  postgresql://*) BACKEND_STORE_URI="postgresql+psycopg2://${BACKEND_STORE_URI#postgresql://}" ;;
esac
PID_FILE="$SERVER_DIR/server.pid"
LOG_FILE="$SERVER_DIR/server.log"
URL="http://127.0.0.1:$PORT"
# The machines reach package registries only; MLflow must not try to phone home.
export MLFLOW_DISABLE_TELEMETRY=true DO_NOT_TRACK=true
# The server's job runner (GenAI scorers, prompt optimisation) spawns ~8 extra processes that
# nacarbon never uses; they only slow the start-up. MLFLOW_SERVER_ENABLE_JOB_EXECUTION=true keeps them.
export MLFLOW_SERVER_ENABLE_JOB_EXECUTION="${MLFLOW_SERVER_ENABLE_JOB_EXECUTION:-false}"

say() { echo "mlflow_server: $*" >&2; }
# Never echo a database password: scheme://user:secret@host -> scheme://user:***@host
redact() { sed -E 's#(://[^:/@ ]+:)[^@ ]+@#\1***@#g' <<<"$1"; }

running_pid() {
  [ -f "$PID_FILE" ] || return 1
  local pid
  pid="$(cat "$PID_FILE")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && { echo "$pid"; return 0; }
  return 1
}

healthy() {
  if command -v curl >/dev/null 2>&1; then
    curl -fsS --max-time 2 "$URL/health" >/dev/null 2>&1
  else
    "$(dirname "$MLFLOW")/python" - "$URL/health" <<'PY' >/dev/null 2>&1
import sys, urllib.request
urllib.request.urlopen(sys.argv[1], timeout=2).read()
PY
  fi
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }

start() {
  local pid
  if pid="$(running_pid)"; then
    say "already running (pid $pid) at $URL"
    echo "$URL"
    return 0
  fi
  [ -n "$MLFLOW" ] && [ -x "$MLFLOW" ] || { say "no mlflow executable (run 'make venv' or set MLFLOW)"; return 1; }
  if port_busy; then say "port $PORT on 127.0.0.1 is taken by another process; choose PORT=..."; return 1; fi
  mkdir -p "$SERVER_DIR" "$ARTIFACTS_DIR"
  say "starting on $URL (backend $(redact "$BACKEND_STORE_URI"), artifacts $ARTIFACTS_DIR, log $LOG_FILE)"
  # setsid: the server and its workers form their own process group, so `stop` reaches them all.
  # The backend URI goes through the environment, not argv: `ps` would show a password.
  MLFLOW_BACKEND_STORE_URI="$BACKEND_STORE_URI" setsid "$MLFLOW" server --host 127.0.0.1 --port "$PORT" \
    --workers "$WORKERS" --serve-artifacts --artifacts-destination "$ARTIFACTS_DIR" \
    >>"$LOG_FILE" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$PID_FILE"
  local waited=0
  until healthy; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$PID_FILE"
      say "server exited during start-up; last lines of $LOG_FILE:"
      tail -n 20 "$LOG_FILE" | while IFS= read -r line; do redact "$line"; done >&2
      return 1
    fi
    if [ "$waited" -ge "$START_TIMEOUT" ]; then
      say "no answer from $URL/health after ${START_TIMEOUT}s; stopping it (see $LOG_FILE)"
      stop >/dev/null 2>&1 || true
      return 1
    fi
    sleep 1
    waited=$((waited + 1))
  done
  say "ready (pid $pid) after ~${waited}s"
  echo "$URL"
}

stop() {
  local pid
  if ! pid="$(running_pid)"; then
    rm -f "$PID_FILE"
    say "not running"
    return 0
  fi
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  local waited=0
  while kill -0 -- "-$pid" 2>/dev/null && [ "$waited" -lt 30 ]; do
    sleep 0.5
    waited=$((waited + 1))
  done
  if kill -0 -- "-$pid" 2>/dev/null; then
    say "still alive after 15s; sending KILL to process group $pid"
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$PID_FILE"
  say "stopped (pid $pid)"
}

status() {
  local pid
  if pid="$(running_pid)"; then
    if healthy; then
      say "running (pid $pid) and healthy at $URL"
    else
      say "running (pid $pid) but $URL/health does not answer"
    fi
    echo "$URL"
    return 0
  fi
  say "not running"
  return 3
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: [PORT=5000] [BACKEND_STORE_URI=postgresql+psycopg2://...] $0 start|stop|status" >&2; exit 2 ;;
esac
