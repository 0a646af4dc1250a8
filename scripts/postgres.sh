#!/usr/bin/env bash
# A private PostgreSQL server for shared Optuna studies (and, optionally, the MLflow server):
#   scripts/postgres.sh start|stop|status|url [--dir DIR] [--port PORT] [--db NAME] [--fast]
#
# start   installs Debian's `postgresql` if no initdb is found (apt-get, as root), creates a
#         cluster in DIR/data on first use, starts it on 127.0.0.1:PORT (a free port from 54320
#         up unless given; remembered in DIR/port), creates the login role `nacarbon` with a
#         generated password (DIR/password, mode 600) and the databases `optuna` and `mlflow`,
#         then prints the connection URL of --db (default optuna) on stdout.
# stop    stops the server (fast shutdown; the data stay).
# status  exit 0 if the server answers, 3 if not.
# url     prints the URL of --db again.
# --fast  (first start only) fsync/synchronous_commit off: for throwaway test servers only.
#
# DIR defaults to mlruns/postgres. Run as root, the server runs as the `postgres` system user
# (PostgreSQL refuses root), which must be able to traverse DIR's parents. Nothing here touches
# Debian's own cluster or service; no unix socket is opened, only TCP on 127.0.0.1.
# Exit codes: 0 ok; 1 failed; 2 usage; 3 not running (status); 4 PostgreSQL cannot be installed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="$ROOT/mlruns/postgres"
PORT=""
DB="optuna"
FAST=0
APP_USER="nacarbon"
DATABASES=(optuna mlflow)

say() { echo "postgres: $*" >&2; }
die() { say "$1"; exit "${2:-1}"; }

usage() { echo "usage: $0 start|stop|status|url [--dir DIR] [--port PORT] [--db NAME] [--fast]" >&2; exit 2; }

CMD="${1:-}"
case "$CMD" in start | stop | status | url) shift ;; *) usage ;; esac
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || [ "$1" = "--fast" ] || die "option '$1' needs a value" 2
  case "$1" in
    --dir) DIR="$2"; shift 2 ;;
    --port) PORT="$2"; shift 2 ;;
    --db) DB="$2"; shift 2 ;;
    --fast) FAST=1; shift ;;
    *) die "unknown option '$1'" 2 ;;
  esac
done
[[ "$DB" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "--db must be a plain identifier, got '$DB'" 2
[[ -z "$PORT" || "$PORT" =~ ^[0-9]+$ ]] || die "--port must be a number, got '$PORT'" 2
if [ "$CMD" = "start" ]; then mkdir -p "$DIR"; fi
if [ ! -d "$DIR" ]; then
  [ "$CMD" = "status" ] && die "not running (no cluster in $DIR)" 3
  die "no cluster in $DIR (run '$0 start' first)"
fi
DIR="$(cd "$DIR" && pwd)"
DATA="$DIR/data"
LOG="$DIR/postgres.log"

find_bindir() {
  local initdb
  initdb="$(ls -1 /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)"
  [ -n "$initdb" ] && dirname "$initdb"
}

install_postgres() {
  [ "$(id -u)" -eq 0 ] || die "PostgreSQL is not installed and installing it needs root: apt-get install postgresql" 4
  command -v apt-get >/dev/null 2>&1 || die "PostgreSQL is not installed and there is no apt-get to install it" 4
  say "installing Debian's postgresql (apt-get)"
  # policy-rc.d 101 keeps the package from starting Debian's own cluster during the install;
  # we only want the binaries. An existing policy file is left alone.
  local policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  local ok=0
  if DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 &&
     DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql >&2; then
    ok=1
  fi
  [ "$ok" -eq 1 ] || die "apt-get could not install postgresql" 4
}

BINDIR="$(find_bindir || true)"
if [ -z "$BINDIR" ]; then
  [ "$CMD" = "start" ] || die "PostgreSQL is not installed (run '$0 start' to install it)" 4
  install_postgres
  BINDIR="$(find_bindir || true)"
  [ -n "$BINDIR" ] || die "postgresql installed but no /usr/lib/postgresql/*/bin/initdb found" 4
fi

# As root, every server-side command runs as the postgres system user.
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || die "running as root but there is no 'postgres' system user to run the server"
  as_owner() { runuser -u postgres -- "$@"; }
  OWNER=postgres
else
  as_owner() { "$@"; }
  OWNER="$(id -un)"
fi

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pick_port() {
  local p
  for p in $(seq 54320 54420); do
    port_busy "$p" || { echo "$p"; return 0; }
  done
  die "no free port in 54320-54420; pass --port"
}

# 128 random bits as hex: URL-safe, so the printed URL needs no escaping.
new_secret() { head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

superuser_password() { cat "$DIR/superuser.password"; }
app_password() { cat "$DIR/password"; }
current_port() { cat "$DIR/port"; }

# psql over TCP as the cluster's superuser. Passwords travel in the environment and on stdin,
# never in argv, where `ps` would show them.
sql() {
  PGPASSWORD="$(superuser_password)" "$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 \
    -p "$(current_port)" -U postgres -d postgres -tA
}

init_cluster() {
  [ -f "$DATA/PG_VERSION" ] && return 0
  if [ -d "$DATA" ] && [ -n "$(ls -A "$DATA")" ]; then
    die "$DATA holds files but no cluster (an interrupted initdb?); remove it and start again"
  fi
  say "creating a cluster in $DATA"
  (umask 077; new_secret >"$DIR/superuser.password"; new_secret >"$DIR/password")
  mkdir -p "$DATA"
  chmod 700 "$DATA"
  chown "$OWNER" "$DATA"
  as_owner test -w "$DATA" ||
    die "user '$OWNER' cannot write $DATA: a parent folder is not traversable by it (chmod o+x it, or use --dir)"
  # initdb reads the superuser password from a file the owner can read; removed right after.
  local pwfile="$DIR/.initdb-password"
  superuser_password >"$pwfile"
  chown "$OWNER" "$pwfile"
  chmod 600 "$pwfile"
  as_owner "$BINDIR/initdb" -D "$DATA" -U postgres --pwfile="$pwfile" --auth-local=scram-sha-256 \
    --auth-host=scram-sha-256 --encoding=UTF8 --locale=C >/dev/null
  rm -f "$pwfile"
  [ -n "$PORT" ] || PORT="$(pick_port)"
  {
    echo "# written by scripts/postgres.sh"
    echo "listen_addresses = '127.0.0.1'"
    echo "port = $PORT"
    echo "unix_socket_directories = ''"
    echo "max_connections = 200"
    if [ "$FAST" -eq 1 ]; then
      echo "fsync = off"
      echo "synchronous_commit = off"
      echo "full_page_writes = off"
    fi
  } >>"$DATA/postgresql.conf"
  echo "$PORT" >"$DIR/port"
}

is_up() {
  [ -f "$DIR/port" ] && "$BINDIR/pg_isready" -q -h 127.0.0.1 -p "$(current_port)" >/dev/null 2>&1
}

# SQLAlchemy 2.1 maps a bare postgresql:// to psycopg 3; the lock ships psycopg2, so name it.
url() {
  echo "postgresql+psycopg2://$APP_USER:$(app_password)@127.0.0.1:$(current_port)/$1"
}

start() {
  init_cluster
  if [ -n "$PORT" ] && [ "$PORT" != "$(current_port)" ]; then
    sed -i -E "s/^port = [0-9]+$/port = $PORT/" "$DATA/postgresql.conf"
    echo "$PORT" >"$DIR/port"
  fi
  if ! as_owner "$BINDIR/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    port_busy "$(current_port)" && die "port $(current_port) on 127.0.0.1 is taken by another process; pass --port"
    touch "$LOG"
    chown "$OWNER" "$LOG"
    say "starting on 127.0.0.1:$(current_port) (log $LOG)"
    as_owner "$BINDIR/pg_ctl" -D "$DATA" -l "$LOG" -w -t 120 start >/dev/null ||
      { tail -n 20 "$LOG" >&2; die "pg_ctl could not start the server"; }
  fi
  if [ -z "$(sql <<<"SELECT 1 FROM pg_roles WHERE rolname = '$APP_USER'")" ]; then
    sql <<<"CREATE ROLE $APP_USER LOGIN PASSWORD '$(app_password)'"
  fi
  local db
  for db in "${DATABASES[@]}" "$DB"; do
    if [ -z "$(sql <<<"SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
      sql <<<"CREATE DATABASE \"$db\" OWNER $APP_USER"
    fi
  done
  prepare_optuna_schema
  url "$DB"
}

# Optuna creates its tables on first contact, and several workers doing that at once on a
# fresh database fail (duplicate CREATE TYPE). Creating them here, once, makes the database
# ready for any number of workers. Skipped with a note when no Python with Optuna is found.
prepare_optuna_schema() {
  local py="${PYTHON:-$ROOT/.venv/bin/python}"
  if ! [ -x "$py" ] || ! "$py" -c "import optuna" >/dev/null 2>&1; then
    say "no Python with optuna at $py: Optuna's tables are created by the first worker (start one worker first)"
    return 0
  fi
  NACARBON_OPTUNA_STORAGE="$(url optuna)" "$py" -c \
    "import os, optuna; optuna.storages.RDBStorage(os.environ['NACARBON_OPTUNA_STORAGE'])" >/dev/null ||
    die "could not create Optuna's tables in database optuna"
}

stop() {
  if [ -f "$DATA/PG_VERSION" ] && as_owner "$BINDIR/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    as_owner "$BINDIR/pg_ctl" -D "$DATA" -m fast -w -t 60 stop >/dev/null
    say "stopped"
  else
    say "not running"
  fi
}

case "$CMD" in
  start) start ;;
  stop) stop ;;
  status) if is_up; then say "running on 127.0.0.1:$(current_port)"; else say "not running"; exit 3; fi ;;
  url) [ -f "$DIR/port" ] || die "no cluster in $DIR (run '$0 start' first)"; url "$DB" ;;
esac
