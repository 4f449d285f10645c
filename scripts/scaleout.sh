#!/usr/bin/env bash
# Scale-out stack on loopback (docs/scaleout.md):
#   PostgreSQL (tracker store) + Redis (lock store) + 2 action servers + 2 Rasa servers + nginx in front.
#
#   scripts/scaleout.sh start    provision (scripts/scaleout/provision.sh: installs missing Debian packages as root),
#                                then honcho runs Procfile.scaleout in the background; returns once all 7 answer
#   scripts/scaleout.sh run      the same with honcho in the foreground (a terminal, a service manager); Ctrl-C stops
#   scripts/scaleout.sh stop     SIGTERM to honcho, which stops every process (data stays in SCALEOUT_DIR)
#   scripts/scaleout.sh status   one line per process; exit 0 when all are up, 3 otherwise
#   scripts/scaleout.sh clean    stop, then delete SCALEOUT_DIR (and the PostgreSQL data)
#
# Settings (environment; provisioning records them in $SCALEOUT_DIR/stack.env, which honcho, stop and status read):
#   SCALEOUT_DIR        state folder: configs, logs, pids, Redis and PostgreSQL data (default var/scaleout)
#   SCALEOUT_PORT       first of 8 consecutive loopback ports (default 6100):
#                       +0 nginx (clients), +1/+2 Rasa, +3/+4 action servers, +5 nginx for the actions,
#                       +6 PostgreSQL, +7 Redis
#   RASA_TOKEN          HTTP API token (generated and kept in stack.env when not set)
#   TICKET_LOCK_LIFETIME  seconds a conversation's lock outlives a dead Rasa instance (default 20)
#   RESPAWN_DELAY       seconds before a Rasa or action server that died is started again (default 2)
#   SCALEOUT_NO_BUILD=1 do not run scripts/build.sh (the model must exist)
# Logs: $SCALEOUT_DIR/logs/honcho.log (every process, each line prefixed with its name) and nginx's own logs.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
source scripts/env.sh

STATE=${SCALEOUT_DIR:-$ROOT/var/scaleout}
case "$STATE" in /*) ;; *) STATE=$ROOT/$STATE ;; esac
export SCALEOUT_DIR=$STATE
STACK_ENV=$STATE/stack.env
HONCHO_PID=$STATE/run/honcho.pid
HONCHO_LOG=$STATE/logs/honcho.log
HONCHO=(.venv/bin/honcho start -f Procfile.scaleout -e "$STACK_ENV" --no-colour)
NAMES=(postgres redis actions-1 actions-2 rasa-1 rasa-2 nginx)

log() { echo "scaleout: $*"; }
STARTING=0
die() {
  echo "scaleout: $*" >&2
  if [ "$STARTING" = 1 ]; then
    STARTING=0
    echo "scaleout: stopping what was started (log: $HONCHO_LOG)" >&2
    cmd_stop >/dev/null 2>&1 || true
  fi
  exit 1
}

load_settings() {
  [ -f "$STACK_ENV" ] || return 1
  set -a
  # shellcheck disable=SC1090
  . "$STACK_ENV"
  set +a
}

honcho_alive() { [ -f "$HONCHO_PID" ] && kill -0 "$(cat "$HONCHO_PID")" 2>/dev/null; }

port_of() {
  case $1 in
    postgres) echo "$DB_PORT" ;; redis) echo "$REDIS_PORT" ;; nginx) echo "$NGINX_PORT" ;;
    actions-1) echo "$ACTIONS1_PORT" ;; actions-2) echo "$ACTIONS2_PORT" ;;
    rasa-1) echo "$RASA1_PORT" ;; rasa-2) echo "$RASA2_PORT" ;;
  esac
}

pid_of() {  # respawn.sh, Redis and nginx keep pid files in run/; PostgreSQL keeps its own
  case $1 in
    postgres) scripts/scaleout/as_postgres.sh head -1 "$PGDATA/postmaster.pid" 2>/dev/null || echo - ;;
    *) cat "$STATE/run/$1.pid" 2>/dev/null || echo - ;;
  esac
}

rasa_code() {  # HTTP status of a Rasa server's /status: 200 up, 409 up without a model
  curl -s -o /dev/null -w '%{http_code}' -m 5 "http://127.0.0.1:$(port_of "$1")/status?token=$RASA_TOKEN" || true
}

is_up() {
  local url=http://127.0.0.1:$(port_of "$1")
  case $1 in
    postgres) "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$DB_PORT" ;;
    redis) [ "$(REDISCLI_AUTH=$REDIS_PASSWORD /usr/bin/redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ] ;;
    actions-*) curl -fsS -m 5 "$url/health" ;;
    rasa-*) [ "$(rasa_code "$1")" = 200 ] ;;
    nginx) curl -fsS -m 5 "$url/" ;;
  esac
}

status_lines() {
  local name state
  for name in "${NAMES[@]}"; do
    if is_up "$name" >/dev/null 2>&1; then state=up; else state=down; fi
    printf '%-10s %-5s 127.0.0.1:%-6s pid %s\n' "$name" "$state" "$(port_of "$name")" "$(pid_of "$name")"
  done
}

LOG_OFFSET=0  # size of honcho.log before this start: what follows is this start's
new_log() { tail -c "+$((LOG_OFFSET + 1))" "$HONCHO_LOG" 2>/dev/null; }

die_with_log() {  # die_with_log NAME MESSAGE: the end of NAME's lines in this start's part of honcho.log
  new_log | grep -F " $1.1 " | tail -n 30 >&2 || true
  die "$2 (log: $HONCHO_LOG)"
}

wait_up() {  # wait_up NAME SECONDS: until NAME answers; fails at once when it died or honcho stopped
  local name=$1 limit=$2 deadline=$((SECONDS + $2))
  until is_up "$name" >/dev/null 2>&1; do
    honcho_alive || die_with_log "$name" "the stack stopped while $name was starting"
    # a start-up failure would only repeat under respawn.sh: give up at the first one
    if new_log | grep -qF "respawn: $name "; then die_with_log "$name" "$name exited while starting"; fi
    if [[ $name == rasa-* ]] && [ "$(rasa_code "$name")" = 409 ]; then
      die_with_log "$name" "$name runs but could not load the model $MODEL_PATH"
    fi
    [ $SECONDS -lt $deadline ] || die_with_log "$name" "$name did not come up within $limit s"
    sleep 1
  done
}

prepare() {  # build, provision, check: everything before honcho starts
  [ "${SCALEOUT_NO_BUILD:-}" = 1 ] || bash scripts/build.sh
  bash scripts/scaleout/provision.sh
  load_settings
  [ -f "$MODEL_PATH" ] || die "no trained model at $MODEL_PATH (run make train)"
  local port
  for port in "$NGINX_PORT" "$RASA1_PORT" "$RASA2_PORT" "$ACTIONS1_PORT" "$ACTIONS2_PORT" "$ACTIONS_LB_PORT" \
    "$DB_PORT" "$REDIS_PORT"; do
    [ -z "$(ss -Hltn "sport = :$port" 2>/dev/null)" ] \
      || die "port $port is in use: choose another block with SCALEOUT_PORT=<first of 8 free ports>"
  done
}

cmd_start() {
  if load_settings && honcho_alive && [ "$(status_lines | grep -c ' up ')" = 7 ]; then
    log "already running (scripts/scaleout.sh status)"; return 0
  fi
  # stopped, or not every process answers (e.g. one being respawned): start afresh; data stays in PostgreSQL
  cmd_stop >/dev/null 2>&1 || true
  prepare
  local started=$SECONDS
  STARTING=1
  LOG_OFFSET=$(stat -c %s "$HONCHO_LOG" 2>/dev/null || echo 0)
  # its own session: stop signals honcho alone, and honcho signals each Procfile line's process group
  setsid "${HONCHO[@]}" >>"$HONCHO_LOG" 2>&1 </dev/null &
  echo $! >"$HONCHO_PID"
  wait_up postgres 60
  wait_up redis 30
  wait_up actions-1 180
  wait_up actions-2 180
  wait_up rasa-1 600
  wait_up rasa-2 600
  wait_up nginx 30
  STARTING=0
  log "up in $((SECONDS - started)) s (honcho pid $(cat "$HONCHO_PID"))"
  cat <<MSG
  REST:     http://127.0.0.1:$NGINX_PORT/webhooks/rest/webhook?sender=<conversation id>  (same id as the body's "sender")
  socketio: http://127.0.0.1:$NGINX_PORT/socket.io
  HTTP API: http://127.0.0.1:$NGINX_PORT/conversations/<id>/tracker?token=<RASA_TOKEN in $STACK_ENV>
  logs:     $HONCHO_LOG   stop: scripts/scaleout.sh stop
MSG
}

cmd_run() {
  if honcho_alive; then die "already running (scripts/scaleout.sh stop first)"; fi
  prepare
  echo $$ >"$HONCHO_PID"
  exec "${HONCHO[@]}"
}

cmd_stop() {
  load_settings || { log "nothing to stop in $STATE"; return 0; }
  if honcho_alive; then
    local pid deadline=$((SECONDS + 30))
    pid=$(cat "$HONCHO_PID")
    # honcho sends SIGTERM to every process and SIGKILL to what is left 5 s later, then exits
    kill -TERM "$pid"
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
      log "honcho did not stop within 30 s: killed it; check that nothing listens on its ports any more"
    fi
  fi
  rm -f "$HONCHO_PID"
  log "stopped (data kept in $STATE; scripts/scaleout.sh clean deletes it)"
}

cmd_status() {
  load_settings || { log "not started (no $STACK_ENV)"; return 3; }
  local lines
  lines=$(status_lines)
  if honcho_alive; then
    printf '%-10s %-7s pid %s\n' honcho running "$(cat "$HONCHO_PID")"
  else
    printf '%-10s %-7s\n' honcho stopped
  fi
  echo "$lines"
  honcho_alive && [ "$(grep -c ' up ' <<<"$lines")" = 7 ] || return 3
}

cmd_clean() {
  cmd_stop
  if load_settings; then
    case "$PGDATA" in "$STATE"/*|/var/tmp/pos-scaleout-pg-*) rm -rf "$PGDATA" ;; esac
  fi
  rm -rf "$STATE"
  log "deleted $STATE"
}

case "${1:-}" in
  start) cmd_start ;;
  run) cmd_run ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  clean) cmd_clean ;;
  *) echo "usage: $0 start|run|stop|status|clean" >&2; exit 2 ;;
esac
