# Generated from launcher/env.py (`python -m launcher.env --write`), do not edit: the environment of every command that runs the assistant; the defaults after PYTHONPATH keep a value already set.
export RASA_TELEMETRY_ENABLED=false
export SQLALCHEMY_SILENCE_UBER_WARNING=1
export TF_CPP_MIN_LOG_LEVEL=2
export PYTHONPATH="${PYTHONPATH:+$PYTHONPATH:}$(pwd)"
export RASA_PORT="${RASA_PORT:-5005}"
export ACTION_PORT="${ACTION_PORT:-5055}"
export ACTION_ENDPOINT_URL="${ACTION_ENDPOINT_URL:-http://localhost:${ACTION_PORT}/webhook}"
export WEB_PORT="${WEB_PORT:-8080}"
export CORS_ORIGIN="${CORS_ORIGIN:-http://localhost:${WEB_PORT}}"
export MODEL_PATH="${MODEL_PATH:-models/pos-assistant.tar.gz}"
mkdir -p var
export TRACKER_DB="${TRACKER_DB:-$(pwd)/var/tracker.db}"
