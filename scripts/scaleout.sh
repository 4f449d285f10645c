#!/usr/bin/env bash
# Scale-out stack on loopback (docs/scaleout.md):
#   PostgreSQL (tracker store) + Redis (lock store) + 2 action servers + 2 Rasa servers + nginx in front.
#
#   scripts/scaleout.sh start    install missing Debian packages (postgresql, redis-server, nginx), start all
#   scripts/scaleout.sh stop     stop everything this script started (data stays in SCALEOUT_DIR)
#   scripts/scaleout.sh status   one line per process; exit 0 when all are up, 3 otherwise
#   scripts/scaleout.sh clean    stop, then delete SCALEOUT_DIR (and the PostgreSQL data)
#
# Settings (environment; `start` records them in $SCALEOUT_DIR/stack.env, which stop/status read):
#   SCALEOUT_DIR        state folder: pids, logs, configs, Redis and PostgreSQL data (default var/scaleout)
#   SCALEOUT_PORT       first of 8 consecutive loopback ports (default 6100):
#                       +0 nginx (clients), +1/+2 Rasa, +3/+4 action servers, +5 nginx for the actions,
#                       +6 PostgreSQL, +7 Redis
#   RASA_TOKEN          HTTP API token (generated and kept in stack.env when not set)
#   TICKET_LOCK_LIFETIME  seconds a conversation's lock outlives a dead Rasa instance (default 20)
#   SCALEOUT_NO_BUILD=1 do not run scripts/build.sh (the model must exist)
# Processes run in the background with their logs in $SCALEOUT_DIR/logs; nothing binds beyond 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
source scripts/env.sh

STATE=${SCALEOUT_DIR:-$ROOT/var/scaleout}
case "$STATE" in /*) ;; *) STATE=$ROOT/$STATE ;; esac
STACK_ENV=$STATE/stack.env
RASA_NAMES=(rasa-1 rasa-2)
ACTION_NAMES=(actions-1 actions-2)

log() { echo "scaleout: $*"; }
STARTING=0
die() {
  echo "scaleout: $*" >&2
  if [ "$STARTING" = 1 ]; then
    STARTING=0
    echo "scaleout: stopping what was started (logs stay in $STATE/logs)" >&2
    cmd_stop >/dev/null 2>&1 || true
  fi
  exit 1
}

pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -n "$dir" ] && [ -x "$dir/initdb" ] && echo "$dir"
}

# PostgreSQL refuses to run as root: as root, its commands run as the `postgres` user.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

ensure_packages() {
  local missing=()
  pg_bin >/dev/null || missing+=(postgresql)
  [ -x /usr/bin/redis-server ] && [ -x /usr/bin/redis-cli ] || missing+=(redis-server)
  [ -x /usr/sbin/nginx ] || missing+=(nginx)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then
    die "missing Debian packages: ${missing[*]}; install them (sudo apt-get install ${missing[*]}) and run again"
  fi
  log "installing ${missing[*]} (apt-get)"
  local started=$SECONDS
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
  log "installed ${missing[*]} in $((SECONDS - started)) s"
  pg_bin >/dev/null || die "PostgreSQL binaries not found after installing postgresql"
}

port_in_use() { [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]; }

alive() { [ -f "$STATE/run/$1.pid" ] && kill -0 "$(cat "$STATE/run/$1.pid")" 2>/dev/null; }

wait_for() {  # wait_for NAME SECONDS COMMAND...: until COMMAND succeeds; fails when NAME's process died
  local name=$1 limit=$2 deadline=$((SECONDS + $2)); shift 2
  until "$@" >/dev/null 2>&1; do
    if [ -f "$STATE/run/$name.pid" ] && ! alive "$name"; then
      tail -n 30 "$STATE/logs/$name.log" >&2 2>/dev/null || true
      die "$name exited while starting (log: $STATE/logs/$name.log)"
    fi
    [ $SECONDS -lt $deadline ] || die "$name did not come up within $limit s (log: $STATE/logs/$name.log)"
    sleep 1
  done
}

write_stack_env() {
  local base=${SCALEOUT_PORT:-6100}
  local token=${RASA_TOKEN:-}
  local db_password redis_password admin_password pgdata
  if [ -f "$STACK_ENV" ]; then
    # keep the secrets and the PostgreSQL data of an earlier run of the same folder
    db_password=$(. "$STACK_ENV" && echo "$DB_PASSWORD")
    admin_password=$(. "$STACK_ENV" && echo "$PG_ADMIN_PASSWORD")
    redis_password=$(. "$STACK_ENV" && echo "$REDIS_PASSWORD")
    pgdata=$(. "$STACK_ENV" && echo "$PGDATA")
    [ -n "$token" ] || token=$(. "$STACK_ENV" && echo "$RASA_TOKEN")
  else
    db_password=$(openssl rand -hex 16)
    admin_password=$(openssl rand -hex 16)
    redis_password=$(openssl rand -hex 16)
    pgdata=$STATE/pgdata
    if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$STATE"; then
      # the postgres user cannot reach SCALEOUT_DIR (e.g. under a private temp folder)
      pgdata=/var/tmp/pos-scaleout-pg-$(echo "$STATE" | sha1sum | cut -c1-12)
    fi
  fi
  [ -n "$token" ] || token=$(openssl rand -hex 24)
  umask 077
  cat >"$STACK_ENV" <<ENV
# written by scripts/scaleout.sh start; read by stop and status
NGINX_PORT=$base
RASA1_PORT=$((base + 1))
RASA2_PORT=$((base + 2))
ACTIONS1_PORT=$((base + 3))
ACTIONS2_PORT=$((base + 4))
ACTIONS_LB_PORT=$((base + 5))
DB_PORT=$((base + 6))
REDIS_PORT=$((base + 7))
DB_HOST=127.0.0.1
DB_DATABASE=rasa
DB_USER=rasa
DB_PASSWORD=$db_password
PG_ADMIN_PASSWORD=$admin_password
PGDATA=$pgdata
REDIS_HOST=127.0.0.1
REDIS_PASSWORD=$redis_password
REDIS_DB=1
RASA_TOKEN=$token
TICKET_LOCK_LIFETIME=${TICKET_LOCK_LIFETIME:-20}
FAIL_TIMEOUT=${SCALEOUT_FAIL_TIMEOUT:-10}
MODEL_PATH=$MODEL_PATH
ENV
  umask 022
}

load_stack_env() {
  [ -f "$STACK_ENV" ] || return 1
  set -a
  # shellcheck disable=SC1090
  . "$STACK_ENV"
  set +a
  export -n PG_ADMIN_PASSWORD
  PGBIN=$(pg_bin || true)
}

start_postgres() {
  [ -n "$PGBIN" ] || die "PostgreSQL is not installed"
  if [ ! -f "$PGDATA/PG_VERSION" ]; then
    log "initdb $PGDATA"
    mkdir -p "$PGDATA"
    [ "$(id -u)" = 0 ] && chown postgres: "$PGDATA"
    chmod 700 "$PGDATA"
    local pwfile
    pwfile=$(mktemp)
    echo "$PG_ADMIN_PASSWORD" >"$pwfile"
    [ "$(id -u)" = 0 ] && chown postgres: "$pwfile"
    as_pg "$PGBIN/initdb" -D "$PGDATA" -U postgres --pwfile="$pwfile" --auth=scram-sha-256 -E UTF8 --no-locale \
      >"$STATE/logs/initdb.log" 2>&1 || { rm -f "$pwfile"; cat "$STATE/logs/initdb.log" >&2; die "initdb failed"; }
    rm -f "$pwfile"
  fi
  log "postgresql on 127.0.0.1:$DB_PORT"
  as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $DB_PORT -c unix_socket_directories=$PGDATA -c max_connections=100" \
    start >/dev/null || { tail -n 20 "$PGDATA/server.log" >&2; die "postgresql did not start"; }
  as_pg cat "$PGDATA/postmaster.pid" | head -1 >"$STATE/run/postgres.pid"
  local psql=("$PGBIN/psql" -h 127.0.0.1 -p "$DB_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qtA)
  if [ "$(PGPASSWORD=$PG_ADMIN_PASSWORD "${psql[@]}" -c "SELECT 1 FROM pg_roles WHERE rolname='$DB_USER'")" != 1 ]; then
    PGPASSWORD=$PG_ADMIN_PASSWORD "${psql[@]}" -c "CREATE ROLE $DB_USER LOGIN PASSWORD '$DB_PASSWORD'"
  fi
  if [ "$(PGPASSWORD=$PG_ADMIN_PASSWORD "${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname='$DB_DATABASE'")" != 1 ]; then
    PGPASSWORD=$PG_ADMIN_PASSWORD "${psql[@]}" -c "CREATE DATABASE $DB_DATABASE OWNER $DB_USER ENCODING 'UTF8'"
  fi
}

start_redis() {
  log "redis on 127.0.0.1:$REDIS_PORT"
  mkdir -p "$STATE/redis"
  # the password is given on stdin (a config read from "-"), not on the command line
  printf 'requirepass %s\n' "$REDIS_PASSWORD" | /usr/bin/redis-server - --bind 127.0.0.1 --port "$REDIS_PORT" \
    --protected-mode yes --save "" --appendonly no --daemonize yes --dir "$STATE/redis" \
    --pidfile "$STATE/run/redis.pid" --logfile "$STATE/logs/redis.log" >>"$STATE/logs/redis.log" 2>&1
  wait_for redis 30 redis_ping
}

redis_ping() {
  [ "$(REDISCLI_AUTH=$REDIS_PASSWORD /usr/bin/redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]
}

spawn() {  # spawn NAME COMMAND...: in its own session (one process group), logs to logs/NAME.log
  local name=$1; shift
  setsid "$@" >>"$STATE/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$STATE/run/$name.pid"
}

start_actions() {
  local i port
  for i in 1 2; do
    port=$((ACTIONS1_PORT + i - 1))
    log "action server actions-$i on 127.0.0.1:$port"
    SANIC_HOST=127.0.0.1 spawn "actions-$i" .venv/bin/rasa run actions --port "$port" --actions actions
  done
  for i in 1 2; do
    port=$((ACTIONS1_PORT + i - 1))
    wait_for "actions-$i" 180 curl -fsS "http://127.0.0.1:$port/health"
  done
}

start_rasa_instance() {
  local i=$1 port=$2
  log "rasa-$i on 127.0.0.1:$port"
  ACTION_ENDPOINT_URL=http://127.0.0.1:$ACTIONS_LB_PORT/webhook \
    spawn "rasa-$i" .venv/bin/rasa run --enable-api --auth-token "$RASA_TOKEN" -i 127.0.0.1 --port "$port" \
    --cors "$CORS_ORIGIN" --endpoints deploy/endpoints.scaleout.yml --credentials credentials.yml \
    --model "$MODEL_PATH"
}

events_table_exists() {
  [ "$(PGPASSWORD=$DB_PASSWORD "$PGBIN/psql" -h 127.0.0.1 -p "$DB_PORT" -U "$DB_USER" -d "$DB_DATABASE" -qtA \
    -c "SELECT to_regclass('public.events') IS NOT NULL")" = t ]
}

start_rasa() {
  start_rasa_instance 1 "$RASA1_PORT"
  # the first instance creates the tracker tables; two creating them at once can collide
  wait_for rasa-1 300 events_table_exists
  start_rasa_instance 2 "$RASA2_PORT"
  wait_for_rasa rasa-1 "$RASA1_PORT"
  wait_for_rasa rasa-2 "$RASA2_PORT"
}

wait_for_rasa() {  # until /status answers 200; 409 means the server runs without a model
  local name=$1 port=$2 code deadline=$((SECONDS + 600))
  while :; do
    code=$(curl -s -o /dev/null -w '%{http_code}' -m 5 "http://127.0.0.1:$port/status?token=$RASA_TOKEN" || true)
    [ "$code" = 200 ] && return 0
    if [ "$code" = 409 ]; then
      tail -n 30 "$STATE/logs/$name.log" >&2
      die "$name runs but could not load the model $MODEL_PATH (log: $STATE/logs/$name.log)"
    fi
    alive "$name" || { tail -n 30 "$STATE/logs/$name.log" >&2; die "$name exited while starting (log: $STATE/logs/$name.log)"; }
    [ $SECONDS -lt $deadline ] || die "$name did not come up within 600 s (log: $STATE/logs/$name.log)"
    sleep 1
  done
}

start_nginx() {
  log "nginx on 127.0.0.1:$NGINX_PORT (clients) and 127.0.0.1:$ACTIONS_LB_PORT (actions)"
  mkdir -p "$STATE/nginx"/{client_body,proxy,fastcgi,uwsgi,scgi}
  sed -e "s#@STATE@#$STATE#g" -e "s#@NGINX_PORT@#$NGINX_PORT#g" -e "s#@ACTIONS_LB_PORT@#$ACTIONS_LB_PORT#g" \
    -e "s#@RASA1_PORT@#$RASA1_PORT#g" -e "s#@RASA2_PORT@#$RASA2_PORT#g" \
    -e "s#@ACTIONS1_PORT@#$ACTIONS1_PORT#g" -e "s#@ACTIONS2_PORT@#$ACTIONS2_PORT#g" \
    -e "s#@FAIL_TIMEOUT@#$FAIL_TIMEOUT#g" deploy/nginx.scaleout.conf.template >"$STATE/nginx.conf"
  /usr/sbin/nginx -t -q -p "$STATE/nginx" -c "$STATE/nginx.conf" 2>>"$STATE/logs/nginx-error.log" \
    || { cat "$STATE/logs/nginx-error.log" >&2; die "nginx configuration rejected"; }
  /usr/sbin/nginx -p "$STATE/nginx" -c "$STATE/nginx.conf"
  wait_for nginx 30 curl -fsS "http://127.0.0.1:$NGINX_PORT/"
}

cmd_start() {
  ensure_packages
  mkdir -p "$STATE"/{run,logs}
  chmod 755 "$STATE"
  # the state folder is a build output: keep it out of git even where var/ is not ignored
  [ -f "$STATE/.gitignore" ] || echo '*' >"$STATE/.gitignore"
  if load_stack_env && [ "$(status_lines | grep -c ' up ')" = 7 ]; then
    log "already running (scripts/scaleout.sh status)"; return 0
  fi
  load_stack_env && cmd_stop >/dev/null 2>&1 || true
  write_stack_env
  load_stack_env
  local port
  for port in "$NGINX_PORT" "$RASA1_PORT" "$RASA2_PORT" "$ACTIONS1_PORT" "$ACTIONS2_PORT" "$ACTIONS_LB_PORT" \
    "$DB_PORT" "$REDIS_PORT"; do
    port_in_use "$port" && die "port $port is in use: choose another block with SCALEOUT_PORT=<first of 8 free ports>"
  done
  [ "${SCALEOUT_NO_BUILD:-}" = 1 ] || bash scripts/build.sh
  [ -f "$MODEL_PATH" ] || die "no trained model at $MODEL_PATH (run make train)"
  local started=$SECONDS
  STARTING=1
  start_postgres
  start_redis
  start_actions
  start_rasa
  start_nginx
  STARTING=0
  log "up in $((SECONDS - started)) s"
  cat <<MSG
  REST:     http://127.0.0.1:$NGINX_PORT/webhooks/rest/webhook?sender=<conversation id>  (same id as the body's "sender")
  socketio: http://127.0.0.1:$NGINX_PORT/socket.io
  HTTP API: http://127.0.0.1:$NGINX_PORT/conversations/<id>/tracker?token=<RASA_TOKEN in $STACK_ENV>
  logs:     $STATE/logs   stop: scripts/scaleout.sh stop
MSG
}

stop_group() {  # stop_group NAME: SIGTERM to its process group, SIGKILL after 20 s
  local name=$1 pid
  [ -f "$STATE/run/$name.pid" ] || return 0
  pid=$(cat "$STATE/run/$name.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + 20))
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.5; done
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$STATE/run/$name.pid"
}

cmd_stop() {
  load_stack_env || { log "nothing to stop in $STATE"; return 0; }
  if alive nginx; then
    /usr/sbin/nginx -p "$STATE/nginx" -c "$STATE/nginx.conf" -s quit 2>/dev/null || kill -TERM "$(cat "$STATE/run/nginx.pid")"
    local deadline=$((SECONDS + 10))
    while alive nginx && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
    alive nginx && kill -KILL "$(cat "$STATE/run/nginx.pid")" 2>/dev/null || true
  fi
  rm -f "$STATE/run/nginx.pid"
  local name
  for name in "${RASA_NAMES[@]}" "${ACTION_NAMES[@]}"; do stop_group "$name"; done
  if alive redis; then
    kill -TERM "$(cat "$STATE/run/redis.pid")" 2>/dev/null || true
    local deadline=$((SECONDS + 10))
    while alive redis && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
  fi
  rm -f "$STATE/run/redis.pid"
  if [ -n "$PGBIN" ] && as_pg test -f "$PGDATA/postmaster.pid"; then
    as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -f "$STATE/run/postgres.pid"
  log "stopped (data kept in $STATE; scripts/scaleout.sh clean deletes it)"
}

status_lines() {
  local line
  check() {  # check NAME PORT COMMAND...
    local name=$1 port=$2 pid="-"; shift 2
    [ -f "$STATE/run/$name.pid" ] && pid=$(cat "$STATE/run/$name.pid")
    if "$@" >/dev/null 2>&1; then line=up; else line=down; fi
    printf '%-10s %-5s 127.0.0.1:%-6s pid %s\n' "$name" "$line" "$port" "$pid"
  }
  check postgres "$DB_PORT" "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$DB_PORT"
  check redis "$REDIS_PORT" redis_ping
  check actions-1 "$ACTIONS1_PORT" curl -fsS -m 5 "http://127.0.0.1:$ACTIONS1_PORT/health"
  check actions-2 "$ACTIONS2_PORT" curl -fsS -m 5 "http://127.0.0.1:$ACTIONS2_PORT/health"
  check rasa-1 "$RASA1_PORT" curl -fsS -m 5 "http://127.0.0.1:$RASA1_PORT/status?token=$RASA_TOKEN"
  check rasa-2 "$RASA2_PORT" curl -fsS -m 5 "http://127.0.0.1:$RASA2_PORT/status?token=$RASA_TOKEN"
  check nginx "$NGINX_PORT" curl -fsS -m 5 "http://127.0.0.1:$NGINX_PORT/"
}

cmd_status() {
  load_stack_env || { log "not started (no $STACK_ENV)"; return 3; }
  local lines
  lines=$(status_lines)
  echo "$lines"
  [ "$(grep -c ' up ' <<<"$lines")" = 7 ] || return 3
}

cmd_clean() {
  cmd_stop
  if load_stack_env; then
    case "$PGDATA" in "$STATE"/*|/var/tmp/pos-scaleout-pg-*) rm -rf "$PGDATA" ;; esac
  fi
  rm -rf "$STATE"
  log "deleted $STATE"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  clean) cmd_clean ;;
  *) echo "usage: $0 start|stop|status|clean" >&2; exit 2 ;;
esac
