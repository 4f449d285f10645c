#!/usr/bin/env bash
# Creates .venv with Python 3.10 and installs the pinned dependencies. Idempotent and quick when done.
set -euo pipefail
cd "$(dirname "$0")/.."

find_python() {
  for candidate in "${PYTHON:-}" python3.10 "$HOME/.pyenv/versions/3.10"*/bin/python3.10 /usr/bin/python3.10 /usr/local/bin/python3.10; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; then
      command -v "$candidate"; return 0
    fi
  done
  return 1
}

stamp=.venv/.installed-$(cat requirements.txt constraints.txt | sha1sum | cut -c1-12)
if [ -f "$stamp" ]; then exit 0; fi

if [ ! -x .venv/bin/python ]; then
  python=$(find_python) || {
    echo "setup: Python 3.10 is required (Rasa 3.6 runs on 3.8-3.10) and none was found." >&2
    echo "setup: install it (e.g. 'pyenv install 3.10' or 'apt-get install python3.10') or set PYTHON=/path/to/python3.10." >&2
    exit 1
  }
  echo "setup: creating .venv with $python"
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade "pip<25"
.venv/bin/python -m pip install --quiet -r requirements.txt -c constraints.txt
rm -f .venv/.installed-*
touch "$stamp"
echo "setup: dependencies installed in .venv"
