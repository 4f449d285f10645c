#!/usr/bin/env bash
# Starts the assistant: trains first if needed, then the action server and the Rasa server (honcho).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
source scripts/env.sh
if [ -z "${RASA_TOKEN:-}" ]; then
  RASA_TOKEN=$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(24))')
  echo "RASA_TOKEN was not set; generated one for this run: ${RASA_TOKEN}"
fi
export RASA_TOKEN
cat <<MSG
Starting POS收款诊断助手:
  REST:      http://localhost:${RASA_PORT}/webhooks/rest/webhook
  socketio:  http://localhost:${RASA_PORT}/socket.io
  HTTP API:  http://localhost:${RASA_PORT}/  (token required: ?token=\$RASA_TOKEN)
  actions:   http://localhost:${ACTION_PORT}/webhook
  tracker store: ${TRACKER_DB}
MSG
exec .venv/bin/honcho start -f Procfile
