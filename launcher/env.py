"""The environment of every command that runs the assistant: its defaults, in one place.

scripts/env.sh, which the Makefile and the scripts source, is generated from this module
(`python -m launcher.env --write`; `--check` and tests/test_launcher.py fail when it is stale), so sourcing
it starts no Python and works before `make setup` has created .venv. The launcher builds the environment
of the servers it starts (tests, benchmarks) with `server_environment`.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import Dict, Mapping, Optional, Union

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
SHELL_SCRIPT = ROOT / "scripts" / "env.sh"

# Set whatever the caller's environment says: no telemetry, no SQLAlchemy 2.0 warning, quiet TensorFlow.
FIXED: Dict[str, str] = {
    "RASA_TELEMETRY_ENABLED": "false",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    "TF_CPP_MIN_LOG_LEVEL": "2",
}
# Defaults of `make run` and the scripts, each overridden by a non-empty value in the environment. In order:
# a default may name an earlier variable ({ACTION_PORT}) or the checkout ({ROOT}, the current folder in env.sh).
DEFAULTS: Dict[str, str] = {
    "RASA_PORT": "5005",
    "ACTION_PORT": "5055",
    "ACTION_ENDPOINT_URL": "http://localhost:{ACTION_PORT}/webhook",
    "WEB_PORT": "8080",
    "CORS_ORIGIN": "http://localhost:{WEB_PORT}",
    "MODEL_PATH": "models/pos-assistant.tar.gz",
    "TRACKER_DB": "{ROOT}/var/tracker.db",
}
MODEL = ROOT / DEFAULTS["MODEL_PATH"]


def defaults(environ: Mapping[str, str] = os.environ, root: Path = ROOT) -> Dict[str, str]:
    """DEFAULTS resolved against `environ` (a non-empty value there wins, as `${NAME:-default}` in env.sh)."""
    resolved: Dict[str, str] = {}
    for name, default in DEFAULTS.items():
        resolved[name] = environ.get(name) or default.format(ROOT=root, **resolved)
    return resolved


def command_environment(environ: Mapping[str, str] = os.environ, root: Path = ROOT) -> Dict[str, str]:
    """What `source scripts/env.sh` in `root` gives a command: FIXED, the checkout on PYTHONPATH, DEFAULTS."""
    pythonpath = environ.get("PYTHONPATH")
    return {
        **environ,
        **FIXED,
        "PYTHONPATH": f"{pythonpath}:{root}" if pythonpath else str(root),
        **defaults(environ, root),
    }


def server_environment(
    pythonpath: Optional[Union[str, Path]] = ROOT, environ: Mapping[str, str] = os.environ, **overrides: str
) -> Dict[str, str]:
    """A server process's environment: `environ` with FIXED, PYTHONPATH set to `pythonpath` (removed when None:
    a bot that is not this project must not load its modules), then `overrides`."""
    env = {**environ, **FIXED}
    env.pop("PYTHONPATH", None)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return {**env, **overrides}


def shell_script() -> str:
    """The text of scripts/env.sh."""
    lines = [
        "# Generated from launcher/env.py (`python -m launcher.env --write`), do not edit: the environment of "
        "every command that runs the assistant; the defaults after PYTHONPATH keep a value already set."
    ]
    lines += [f"export {name}={value}" for name, value in FIXED.items()]
    lines.append('export PYTHONPATH="${PYTHONPATH:+$PYTHONPATH:}$(pwd)"')
    for name, default in DEFAULTS.items():
        shell_default = default.replace("{ROOT}", "$(pwd)")
        for earlier in DEFAULTS:
            shell_default = shell_default.replace("{%s}" % earlier, "${%s}" % earlier)
        if "{ROOT}" in default:
            lines.append("mkdir -p var")  # the default tracker store's folder
        lines.append(f'export {name}="${{{name}:-{shell_default}}}"')
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m launcher.env", description=__doc__.splitlines()[0])
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--write", action="store_true", help=f"write {SHELL_SCRIPT.relative_to(ROOT)}")
    action.add_argument("--check", action="store_true", help=f"fail when {SHELL_SCRIPT.relative_to(ROOT)} is stale")
    args = parser.parse_args(argv)
    text = shell_script()
    if args.write:
        SHELL_SCRIPT.write_text(text, encoding="utf-8")
        logger.info("wrote %s", SHELL_SCRIPT)
    elif args.check:
        if SHELL_SCRIPT.read_text(encoding="utf-8") != text:
            print(f"{SHELL_SCRIPT.relative_to(ROOT)} is stale: run python -m launcher.env --write", file=sys.stderr)
            return 1
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    sys.exit(main())
