#!/usr/bin/env bash
# Make sure PostgreSQL and Redis answer on 127.0.0.1 and Debian's chromium is installed,
# starting or installing them when possible; otherwise stop and say what to do.
set -euo pipefail

PG_HOST=127.0.0.1 PG_PORT=5432 REDIS_PORT=6379
say() { printf '[services] %s\n' "$*"; }
die() { printf '[services] %s\n' "$*" >&2; exit 1; }

can_install() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; }
apt_updated=0
apt_install() {
  can_install || die "Install $* (Debian: apt-get install $*) and run again."
  if [ $apt_updated = 0 ]; then apt-get update -qq; apt_updated=1; fi
  say "installing $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

wait_for() {  # wait_for <what> <command...>
  local what=$1; shift
  for _ in $(seq 1 30); do "$@" >/dev/null 2>&1 && return 0; sleep 1; done
  die "$what did not come up on 127.0.0.1; start it by hand and run again."
}

# --- PostgreSQL ---------------------------------------------------------------------------
pg_up() { pg_isready -q -h $PG_HOST -p $PG_PORT; }
if ! command -v pg_isready >/dev/null || ! pg_up; then
  if ! command -v pg_ctlcluster >/dev/null; then apt_install postgresql; fi
  if ! pg_up; then
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    [ -n "$version" ] || die "PostgreSQL is installed but has no cluster; create one with pg_createcluster."
    say "starting PostgreSQL $version"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  fi
  wait_for PostgreSQL pg_up
fi
# The tests connect as postgres over TCP; trust (or a password in DATABASE_URL) must allow it.
psql -h $PG_HOST -p $PG_PORT -U postgres -tAc 'select 1' >/dev/null 2>&1 \
  || die "PostgreSQL refuses user postgres on $PG_HOST:$PG_PORT; allow it in pg_hba.conf or set DATABASE_URL."
psql -h $PG_HOST -p $PG_PORT -U postgres -tAc "select 1 from pg_database where datname='portal'" | grep -q 1 \
  || createdb -h $PG_HOST -p $PG_PORT -U postgres portal
say "PostgreSQL ok"

# --- Redis --------------------------------------------------------------------------------
redis_up() { redis-cli -h 127.0.0.1 -p $REDIS_PORT ping | grep -q PONG; }
if ! command -v redis-cli >/dev/null || ! redis_up; then
  if ! command -v redis-server >/dev/null; then apt_install redis-server; fi
  if ! redis_up; then
    say "starting Redis"
    redis-server --daemonize yes --bind 127.0.0.1 --port $REDIS_PORT --save "" --appendonly no >/dev/null
  fi
  wait_for Redis redis_up
fi
say "Redis ok"

# --- Chromium (browser tests) -------------------------------------------------------------
if [ ! -x /usr/bin/chromium ]; then apt_install chromium fonts-noto-cjk; fi
say "Chromium ok"
