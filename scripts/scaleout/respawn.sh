#!/usr/bin/env bash
# respawn.sh NAME COMMAND...: the supervisor of one Procfile.scaleout line (docs/scaleout.md).
#
# honcho stops the whole stack as soon as any one of its processes exits. A Rasa or action server that
# dies (crash, OOM, kill -9) should instead come back while the other instance carries its
# conversations, so this loop starts COMMAND again RESPAWN_DELAY seconds (default 2) after it exits.
# COMMAND's pid is kept in $SCALEOUT_DIR/run/NAME.pid (status shows it; the scale-out test kills it).
# SIGTERM or SIGINT (honcho stopping the stack) stops COMMAND and ends the loop.
set -euo pipefail
name=$1
shift
pidfile=$SCALEOUT_DIR/run/$name.pid
child=

stop() {
  trap - TERM INT
  if [ -n "$child" ]; then
    kill -TERM "$child" 2>/dev/null || true
    wait "$child" 2>/dev/null || true
  fi
  rm -f "$pidfile"
  exit 0
}
trap stop TERM INT

while :; do
  "$@" &
  child=$!
  echo "$child" >"$pidfile"
  code=0
  wait "$child" || code=$?
  echo "respawn: $name (pid $child) exited with status $code; starting it again in ${RESPAWN_DELAY:-2} s" >&2
  # sleep in the background so that a stop signal is handled at once, not after the sleep
  sleep "${RESPAWN_DELAY:-2}" &
  wait $! || true
done
