"""Input channels of POS收款诊断助手: Rasa's REST and socketio channels behind a guard."""

import logging as _logging
import os as _os

# Rasa sets the level of its own "rasa" logger only (from --debug/--verbose or LOG_LEVEL, which it exports);
# the channels' loggers follow it, so that their messages (rate limits, refused requests) reach the server log.
_logging.getLogger(__name__).setLevel(_os.environ.get("LOG_LEVEL") or "INFO")
