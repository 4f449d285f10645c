#!/usr/bin/env bash
# Provisioning of the scale-out stack (docs/scaleout.md): installs PostgreSQL, Redis and nginx and
# configures private instances of them in the state folder. It starts nothing that stays running:
# Procfile.scaleout runs the processes (scripts/scaleout.sh start|run calls this script first).
#
#   scripts/scaleout/provision.sh            every step, in this order
#   scripts/scaleout/provision.sh STEP...    only these steps (each reads what the earlier ones wrote)
#
#   install_packages  postgresql, redis-server, nginx via apt-get when missing (as root; otherwise it says what to install)
#   make_state_dir    $SCALEOUT_DIR with run/ and logs/, kept out of git
#   make_secrets      $SCALEOUT_DIR/stack.env (mode 600): ports, paths, passwords, RASA_TOKEN
#   setup_postgres    a private cluster (initdb) with the role and the database `rasa`
#   setup_redis       $SCALEOUT_DIR/redis.conf (mode 600): loopback, password, no persistence
#   render_nginx      $SCALEOUT_DIR/nginx.conf from deploy/nginx.scaleout.conf.template, checked by nginx -t
#
# Every step can run again: passwords, token and PostgreSQL data of an earlier run of the same folder are
# kept. Settings: SCALEOUT_DIR, SCALEOUT_PORT, RASA_TOKEN, TICKET_LOCK_LIFETIME, RESPAWN_DELAY,
# SCALEOUT_FAIL_TIMEOUT, MODEL_PATH (see scripts/scaleout.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
STATE=${SCALEOUT_DIR:-$ROOT/var/scaleout}
case "$STATE" in /*) ;; *) STATE=$ROOT/$STATE ;; esac
STACK_ENV=$STATE/stack.env

log() { echo "provision: $*"; }
die() { echo "provision: $*" >&2; exit 1; }
is_root() { [ "$(id -u)" = 0 ]; }
as_pg() { scripts/scaleout/as_postgres.sh "$@"; }

pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -n "$dir" ] && [ -x "$dir/initdb" ] && echo "$dir"
}

load_settings() {
  [ -f "$STACK_ENV" ] || die "no $STACK_ENV: run the make_secrets step first"
  set -a
  # shellcheck disable=SC1090
  . "$STACK_ENV"
  set +a
}

install_packages() {
  local missing=()
  pg_bin >/dev/null || missing+=(postgresql)
  [ -x /usr/bin/redis-server ] && [ -x /usr/bin/redis-cli ] || missing+=(redis-server)
  [ -x /usr/sbin/nginx ] || missing+=(nginx)
  [ ${#missing[@]} -eq 0 ] && return 0
  is_root || die "missing Debian packages: ${missing[*]}; install them (sudo apt-get install ${missing[*]}) and run again"
  log "installing ${missing[*]} (apt-get)"
  local started=$SECONDS
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
  log "installed ${missing[*]} in $((SECONDS - started)) s"
  pg_bin >/dev/null || die "PostgreSQL binaries not found after installing postgresql"
}

make_state_dir() {
  mkdir -p "$STATE"/{run,logs}
  chmod 755 "$STATE"
  # the state folder is a build output: keep it out of git even where var/ is not ignored
  [ -f "$STATE/.gitignore" ] || echo '*' >"$STATE/.gitignore"
}

make_secrets() {
  previous() { [ -f "$STACK_ENV" ] && sed -n "s/^$1=//p" "$STACK_ENV" || true; }
  if [ -n "$(previous PG_ADMIN_PASSWORD)" ]; then
    # made by the pidfile version of scripts/scaleout.sh, whose cluster wants a password from its admin
    die "$STATE holds an older stack (PG_ADMIN_PASSWORD in stack.env): delete it (scripts/scaleout.sh clean) or choose another SCALEOUT_DIR"
  fi
  local base=${SCALEOUT_PORT:-6100} pgbin pgdata db_password redis_password token
  pgbin=$(pg_bin) || die "PostgreSQL is not installed (run the install_packages step)"
  db_password=$(previous DB_PASSWORD)
  redis_password=$(previous REDIS_PASSWORD)
  token=${RASA_TOKEN:-$(previous RASA_TOKEN)}
  pgdata=$(previous PGDATA)
  if [ -z "$pgdata" ]; then
    pgdata=$STATE/pgdata
    if is_root && ! as_pg test -x "$STATE"; then
      # the postgres user cannot reach SCALEOUT_DIR (e.g. under a private temp folder)
      pgdata=/var/tmp/pos-scaleout-pg-$(echo "$STATE" | sha1sum | cut -c1-12)
    fi
  fi
  [ -n "$db_password" ] || db_password=$(openssl rand -hex 16)
  [ -n "$redis_password" ] || redis_password=$(openssl rand -hex 16)
  [ -n "$token" ] || token=$(openssl rand -hex 24)
  (umask 077 && cat >"$STACK_ENV" <<ENV
# written by scripts/scaleout/provision.sh (make_secrets); read by Procfile.scaleout (honcho -e) and scripts/scaleout.sh
SCALEOUT_DIR=$STATE
NGINX_PORT=$base
RASA1_PORT=$((base + 1))
RASA2_PORT=$((base + 2))
ACTIONS1_PORT=$((base + 3))
ACTIONS2_PORT=$((base + 4))
ACTIONS_LB_PORT=$((base + 5))
DB_PORT=$((base + 6))
REDIS_PORT=$((base + 7))
ACTION_ENDPOINT_URL=http://127.0.0.1:$((base + 5))/webhook
PGBIN=$pgbin
PGDATA=$pgdata
DB_HOST=127.0.0.1
DB_DATABASE=rasa
DB_USER=rasa
DB_PASSWORD=$db_password
REDIS_HOST=127.0.0.1
REDIS_PASSWORD=$redis_password
REDIS_DB=1
RASA_TOKEN=$token
TICKET_LOCK_LIFETIME=${TICKET_LOCK_LIFETIME:-20}
FAIL_TIMEOUT=${SCALEOUT_FAIL_TIMEOUT:-10}
RESPAWN_DELAY=${RESPAWN_DELAY:-2}
MODEL_PATH=${MODEL_PATH:-models/pos-assistant.tar.gz}
ENV
  )
}

setup_postgres() {
  load_settings
  if ! as_pg test -f "$PGDATA/PG_VERSION"; then
    log "initdb $PGDATA"
    mkdir -p "$PGDATA"
    if is_root; then chown postgres: "$PGDATA"; fi
    chmod 700 "$PGDATA"
    # No admin password: the cluster's owner logs in over its Unix socket only (peer); rasa over TCP with its password.
    as_pg "$PGBIN/initdb" -D "$PGDATA" --auth-local=peer --auth-host=scram-sha-256 -E UTF8 --no-locale \
      >"$STATE/logs/initdb.log" 2>&1 || { cat "$STATE/logs/initdb.log" >&2; die "initdb failed"; }
  fi
  local pg_ctl=("$PGBIN/pg_ctl" -D "$PGDATA" -w -t 60) temporary=0
  if ! as_pg "${pg_ctl[@]}" status >/dev/null 2>&1; then
    # a server on the Unix socket only, for the few statements below; Procfile.scaleout runs the real one
    temporary=1
    as_pg "${pg_ctl[@]}" -l "$PGDATA/setup.log" -o "-c listen_addresses='' -c unix_socket_directories=$PGDATA -p $DB_PORT" \
      start >/dev/null || { as_pg tail -n 20 "$PGDATA/setup.log" >&2; die "postgresql did not start"; }
  fi
  # on stdin, so that the password does not show in the process list
  local ok=1
  as_pg "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PGDATA" -p "$DB_PORT" -d postgres <<SQL || ok=0
SELECT 'CREATE ROLE $DB_USER' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$DB_USER') \gexec
ALTER ROLE $DB_USER LOGIN PASSWORD '$DB_PASSWORD';
SELECT 'CREATE DATABASE $DB_DATABASE OWNER $DB_USER ENCODING ''UTF8''' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$DB_DATABASE') \gexec
SQL
  if [ "$temporary" = 1 ]; then as_pg "${pg_ctl[@]}" -m fast stop >/dev/null; fi
  [ "$ok" = 1 ] || die "could not create the role and the database $DB_DATABASE"
}

setup_redis() {
  load_settings
  mkdir -p "$STATE/redis"
  # the password is in a file of mode 600, not on the command line
  (umask 077 && cat >"$STATE/redis.conf" <<CONF
# written by scripts/scaleout/provision.sh (setup_redis); run by Procfile.scaleout
bind 127.0.0.1
port $REDIS_PORT
protected-mode yes
daemonize no
save ""
appendonly no
dir $STATE/redis
pidfile $STATE/run/redis.pid
logfile ""
requirepass $REDIS_PASSWORD
CONF
  )
}

render_nginx() {
  load_settings
  mkdir -p "$STATE/nginx"/{client_body,proxy,fastcgi,uwsgi,scgi}
  sed -e "s#@STATE@#$STATE#g" -e "s#@NGINX_PORT@#$NGINX_PORT#g" -e "s#@ACTIONS_LB_PORT@#$ACTIONS_LB_PORT#g" \
    -e "s#@RASA1_PORT@#$RASA1_PORT#g" -e "s#@RASA2_PORT@#$RASA2_PORT#g" \
    -e "s#@ACTIONS1_PORT@#$ACTIONS1_PORT#g" -e "s#@ACTIONS2_PORT@#$ACTIONS2_PORT#g" \
    -e "s#@FAIL_TIMEOUT@#$FAIL_TIMEOUT#g" deploy/nginx.scaleout.conf.template >"$STATE/nginx.conf"
  /usr/sbin/nginx -t -q -p "$STATE/nginx" -c "$STATE/nginx.conf" 2>>"$STATE/logs/nginx-error.log" \
    || { cat "$STATE/logs/nginx-error.log" >&2; die "nginx configuration rejected"; }
}

STEPS=(install_packages make_state_dir make_secrets setup_postgres setup_redis render_nginx)
[ $# -gt 0 ] || set -- "${STEPS[@]}"
for step in "$@"; do
  [[ " ${STEPS[*]} " == *" $step "* ]] || die "unknown step $step (steps: ${STEPS[*]})"
  "$step"
done
