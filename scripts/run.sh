#!/usr/bin/env bash
# Starts the assistant: trains first if needed, then the action server and the Rasa server (honcho).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
bash scripts/build_web.sh
source scripts/env.sh
# The pages find the Rasa server through web/vendor/config.js (build output, gitignored).
printf 'window.POS_CONFIG = {"rasaUrl": "http://localhost:%s"};\n' "${RASA_PORT}" > web/vendor/config.js
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
  merchant chat page: http://localhost:${WEB_PORT}/
  agent console:      http://localhost:${WEB_PORT}/agent.html
  (open the pages at exactly this origin: CORS allows only ${CORS_ORIGIN})
  tracker store: ${TRACKER_DB}
MSG
exec .venv/bin/honcho start -f Procfile
