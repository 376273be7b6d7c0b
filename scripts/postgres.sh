#!/usr/bin/env bash
# A throw-away PostgreSQL on loopback, for development and CI (Debian bookworm, as root, no systemd).
#
#   scripts/postgres.sh start    install if missing, initdb a cluster in $PG_STATE/data, start it
#   scripts/postgres.sh status   say whether the cluster runs and answers
#   scripts/postgres.sh stop     stop the cluster `start` started (pg_ctl stop -m fast)
#
# `start` ends by writing $PG_STATE/env (mode 600), to be sourced:
#   VMSOPS_TEST_PG_URL=postgres://vmsops:…@127.0.0.1:PORT/vmsops?sslmode=disable
# for the PostgreSQL state store's tests. The login role `vmsops` has a random password
# (kept in $PG_STATE/password) and CREATEDB, since the tests create one database per test;
# the database `vmsops` is owned by it. The superuser `postgres` only logs in by peer
# authentication on the unix socket in $PG_STATE/run, to create that role.
#
# The server listens on 127.0.0.1 only, on a free port (PG_PORT overrides); its socket is
# in $PG_STATE/run. It runs as `postgres` (PostgreSQL refuses to run as root), so $PG_STATE
# (default ${TMPDIR:-/tmp}/vmsops-postgres) must be reachable by that user. The cluster is a
# throw-away: fsync is off. `start` after `stop` reuses the cluster (recreated if unusable);
# `start` while it runs changes nothing.
set -euo pipefail

PG_STATE=${PG_STATE:-${TMPDIR:-/tmp}/vmsops-postgres}
[[ $PG_STATE == /* ]] || PG_STATE="$PWD/$PG_STATE"
PG_ROLE=${PG_ROLE:-vmsops}
PG_DATABASE=${PG_DATABASE:-vmsops}
DATA="$PG_STATE/data"
RUN="$PG_STATE/run"
PIDFILE="$PG_STATE/postgres.pid"
PACKAGES=(postgresql)

log() { printf 'postgres.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
proc_state() { # pid → its state letter (R, S, Z…); fails if there is no such process
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  printf '%s' "${stat%% *}"
}
alive() { # pidfile: its process lives (a zombie, killed but not yet reaped, does not)
  local state
  [[ -f $1 ]] && state=$(proc_state "$(cat "$1")") && [[ $state != Z ]]
}
# The cluster this script started runs: its pid file names a live postmaster of $DATA.
running() { alive "$PIDFILE" && [[ -f $DATA/postmaster.pid && $(head -n 1 "$DATA/postmaster.pid") == "$(cat "$PIDFILE")" ]]; }
random() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' | cut -c1-"$1"; }

# Runs a command as postgres from a folder it can enter (psql and pg_ctl complain otherwise).
as_postgres() { (cd "$PG_STATE" && runuser -u postgres -- "$@"); }

bin_dir() { # the newest /usr/lib/postgresql/VERSION/bin holding a server
  local dir
  dir=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
  [[ -n $dir && -x $dir/initdb && -x $dir/pg_ctl && -x $dir/postgres ]] && printf '%s' "$dir"
}

install() {
  if dpkg-query -W -f='${Status}' postgresql 2>/dev/null | grep -q 'install ok installed' &&
     [[ -n $(bin_dir) ]] && command -v psql >/dev/null && id postgres >/dev/null 2>&1; then
    return
  fi
  log "installing ${PACKAGES[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Debian's postinst creates and starts a cluster of its own only through systemd or
  # invoke-rc.d; policy-rc.d keeps it from starting anything here.
  local policy=/usr/sbin/policy-rc.d created=""
  if [[ ! -e $policy ]]; then printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod 755 "$policy"; created=1; fi
  apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null ||
    { if [[ -n $created ]]; then rm -f "$policy"; fi; die "cannot install ${PACKAGES[*]}"; }
  if [[ -n $created ]]; then rm -f "$policy"; fi
  [[ -n $(bin_dir) ]] || die "no server under /usr/lib/postgresql/*/bin after installing ${PACKAGES[*]}"
}

free_port() {
  if [[ -n ${PG_PORT:-} ]]; then printf '%s' "$PG_PORT"; return; fi
  local previous port
  previous=$(cat "$PG_STATE/port" 2>/dev/null || true)
  if [[ -n $previous ]] && ! (: </dev/tcp/127.0.0.1/"$previous") 2>/dev/null; then
    printf '%s' "$previous"; return
  fi
  if command -v python3 >/dev/null; then
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
    return
  fi
  for port in $(seq 54320 54420); do
    if ! (: </dev/tcp/127.0.0.1/"$port") 2>/dev/null; then printf '%s' "$port"; return; fi
  done
  die "no free port in 54320-54420 (set PG_PORT)"
}

prepare_state() {
  # A unix socket path holds at most 107 bytes: $RUN/.s.PGSQL.PORT must fit.
  (( ${#RUN} + 18 <= 107 )) || die "$RUN is too long for a unix socket path: set a shorter PG_STATE"
  mkdir -p "$PG_STATE"
  # Traversable by postgres, not listable; the env and password files stay root's, mode 600.
  chmod 711 "$PG_STATE"
  as_postgres test -x "$PG_STATE" ||
    die "the postgres user cannot reach $PG_STATE: set PG_STATE (or TMPDIR) to a folder every user can traverse"
  mkdir -p "$RUN"
  chown postgres:postgres "$RUN"
  chmod 700 "$RUN"
  touch "$PG_STATE/postgres.log"
  chown postgres:postgres "$PG_STATE/postgres.log"
  chmod 600 "$PG_STATE/postgres.log"
}

init_cluster() {
  local bin version
  bin=$(bin_dir)
  version=$(basename "$(dirname "$bin")")
  if [[ -f $DATA/PG_VERSION ]]; then
    if [[ $(cat "$DATA/PG_VERSION") == "$version" && $(stat -c %U "$DATA") == postgres ]]; then
      return
    fi
    log "recreating $DATA (made by PostgreSQL $(cat "$DATA/PG_VERSION"), this is $version)"
  elif [[ -e $DATA ]]; then
    log "recreating $DATA (not a cluster)"
  fi
  rm -rf "$DATA"
  mkdir -p "$DATA"
  chown postgres:postgres "$DATA"
  chmod 700 "$DATA"
  log "initdb $DATA (PostgreSQL $version)"
  as_postgres "$bin/initdb" -D "$DATA" -U postgres -E UTF8 --locale=C \
    --auth-local=peer --auth-host=scram-sha-256 --no-sync >"$PG_STATE/initdb.log" 2>&1 ||
    { cat "$PG_STATE/initdb.log" >&2; die "initdb failed"; }
  printf "\ninclude_if_exists = 'vmsops.conf'\n" >>"$DATA/postgresql.conf"
}

configure() { # port
  # Rewritten on each start: the port may change, the rest does not.
  cat >"$DATA/vmsops.conf" <<EOF
# Written by scripts/postgres.sh: a throw-away cluster on loopback.
listen_addresses = '127.0.0.1'
port = $1
unix_socket_directories = '$RUN'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
  chown postgres:postgres "$DATA/vmsops.conf"
  chmod 600 "$DATA/vmsops.conf"
}

wait_for_dead_postmaster() {
  # A postmaster killed with -9 stays a zombie until its new parent reaps it, and PostgreSQL
  # refuses to start while the pid in postmaster.pid exists: wait for it to be gone.
  [[ -f $DATA/postmaster.pid ]] || return 0
  local pid state
  pid=$(head -n 1 "$DATA/postmaster.pid")
  for _ in $(seq 1 150); do
    state=$(proc_state "$pid") || return 0
    [[ $state == Z ]] || return 0    # a live process: pg_ctl says what it is
    sleep 0.2
  done
  log "pid $pid (the previous postmaster) is still not reaped"
}

start_cluster() { # port
  local bin port=$1
  bin=$(bin_dir)
  wait_for_dead_postmaster
  as_postgres "$bin/pg_ctl" -D "$DATA" -l "$PG_STATE/postgres.log" -w -t 60 start >/dev/null 2>&1 ||
    { tail -n 30 "$PG_STATE/postgres.log" >&2; die "PostgreSQL did not start"; }
  head -n 1 "$DATA/postmaster.pid" >"$PIDFILE"
  printf '%s\n' "$port" >"$PG_STATE/port"
  for _ in $(seq 1 100); do
    "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" && return
    alive "$PIDFILE" || break
    sleep 0.2
  done
  tail -n 30 "$PG_STATE/postgres.log" >&2
  die "PostgreSQL does not answer on 127.0.0.1:$port"
}

superuser_sql() { # port, SQL on stdin
  as_postgres "$(bin_dir)/psql" -X -q -v ON_ERROR_STOP=1 -h "$RUN" -p "$1" -U postgres -d postgres >/dev/null
}

create_role() { # port password
  superuser_sql "$1" <<EOF
SELECT format('CREATE ROLE %I', '$PG_ROLE') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$PG_ROLE')
\\gexec
ALTER ROLE "$PG_ROLE" WITH LOGIN CREATEDB PASSWORD '$2';
SELECT format('CREATE DATABASE %I OWNER %I', '$PG_DATABASE', '$PG_ROLE')
  WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$PG_DATABASE')
\\gexec
EOF
}

write_env() { # port password
  local url="postgres://$PG_ROLE:$2@127.0.0.1:$1/$PG_DATABASE?sslmode=disable"
  (umask 077 && printf 'export VMSOPS_TEST_PG_URL=%s\n' "$url" >"$PG_STATE/env")
  chmod 600 "$PG_STATE/env"
  PGPASSWORD=$2 "$(bin_dir)/psql" -X -q -At "postgres://$PG_ROLE@127.0.0.1:$1/$PG_DATABASE?sslmode=disable" \
    -c 'SELECT 1' >/dev/null || die "the role $PG_ROLE cannot log in to $PG_DATABASE"
}

start() {
  [[ $EUID -eq 0 ]] || die "run as root (the cluster runs as the postgres user)"
  install
  prepare_state
  local port password
  if running && [[ -f $PG_STATE/env ]]; then
    log "PostgreSQL already runs (pid $(cat "$PIDFILE"), 127.0.0.1:$(cat "$PG_STATE/port"))"
    echo "source $PG_STATE/env   # sets VMSOPS_TEST_PG_URL"
    return
  fi
  if running; then
    port=$(cat "$PG_STATE/port")
  else
    init_cluster
    port=$(free_port)
    configure "$port"
    start_cluster "$port"
  fi
  if [[ -s $PG_STATE/password ]]; then
    password=$(cat "$PG_STATE/password")
  else
    password=$(random 32)
    (umask 077 && printf '%s\n' "$password" >"$PG_STATE/password")
  fi
  create_role "$port" "$password"
  write_env "$port" "$password"
  log "PostgreSQL is up on 127.0.0.1:$port (role $PG_ROLE, database $PG_DATABASE)"
  echo "source $PG_STATE/env   # sets VMSOPS_TEST_PG_URL"
}

stop() {
  # Only the cluster this script started: its pid file names the postmaster of $DATA.
  if running; then
    local pid
    pid=$(cat "$PIDFILE")
    as_postgres "$(bin_dir)/pg_ctl" -D "$DATA" -m fast -w -t 60 stop >/dev/null
    log "stopped PostgreSQL (pid $pid)"
  fi
  rm -f "$PIDFILE"
}

status() {
  local port
  if ! running; then echo "postgres: stopped"; return 1; fi
  port=$(cat "$PG_STATE/port")
  echo "postgres: running (pid $(cat "$PIDFILE")), data in $DATA"
  if "$(bin_dir)/pg_isready" -q -h 127.0.0.1 -p "$port"; then echo "server: answering on 127.0.0.1:$port"; else echo "server: not answering on 127.0.0.1:$port"; return 1; fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
