"""Starts the real action server and Rasa server on loopback (end-to-end, browser and scale-out tests, benchmarks)."""

import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

from launcher.conversation import RestClient
from launcher.env import MODEL, ROOT, server_environment

logger = logging.getLogger(__name__)

VENV_BIN = Path(sys.executable).parent
LOOPBACK = "127.0.0.1"
TOKEN = "e2e-test-token"
# The payout date depends on "today": the typed conversations are judged on one fixed day (a Tuesday).
FIXED_NOW = "2026-12-01T15:00"
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM when the process that started it dies, even by a signal that skips the
    `finally` that stops the servers (a killed benchmark or test run otherwise leaves them listening)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the `finally` is all there is
        pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early with code {process.returncode}: {url}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.5)
    raise TimeoutError(f"server did not come up: {url}")


class Servers:
    """The project's action server and Rasa server, both bound to 127.0.0.1 on free ports, with their logs and
    SQLite tracker store in `tmp`. `root` is the checkout they run (another one can be profiled), `model` the
    trained model they serve."""

    def __init__(
        self, tmp: Path, cors_origin: str = "*", extra_env=None, rasa_args=(), model: Path = MODEL, root: Path = ROOT
    ):
        self.rasa_port, self.action_port = free_port(), free_port()
        self.cors_origin = cors_origin
        self.tmp = tmp
        self.model = model
        self.root = root
        self.env = server_environment(
            pythonpath=root,
            ACTION_ENDPOINT_URL=f"http://{LOOPBACK}:{self.action_port}/webhook",
            TRACKER_DB=str(tmp / "tracker.db"),
            SANIC_HOST=LOOPBACK,  # the action server's interface: loopback only
            POS_NOW=os.environ.get("POS_NOW", FIXED_NOW),
            **(extra_env or {}),
        )
        self.rasa_args = list(rasa_args)
        self.actions: Optional[subprocess.Popen] = None
        self.rasa: Optional[subprocess.Popen] = None

    def _spawn(self, args, log_name):
        log = open(self.tmp / log_name, "ab")
        return subprocess.Popen(
            args,
            cwd=self.root,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )

    def start_actions(self):
        self.actions = actions = self._spawn(
            [str(VENV_BIN / "rasa"), "run", "actions", "--port", str(self.action_port), "--actions", "actions"],
            "actions.log",
        )
        wait_until_up(f"http://{LOOPBACK}:{self.action_port}/health", actions)

    def start_rasa(self):
        self.rasa = rasa = self._spawn(
            [
                str(VENV_BIN / "rasa"),
                "run",
                "--interface",
                LOOPBACK,
                "--enable-api",
                "--auth-token",
                TOKEN,
                "--port",
                str(self.rasa_port),
                "--cors",
                self.cors_origin,
                "--endpoints",
                "endpoints.yml",
                "--credentials",
                "credentials.yml",
                "--model",
                str(self.model),
                *self.rasa_args,
            ],
            "rasa.log",
        )
        wait_until_up(f"{self.url}/status?token={TOKEN}", rasa)

    @classmethod
    @contextmanager
    def running(cls, tmp: Path, **options):
        """Both servers started (action server first) for the duration of a `with`, then stopped."""
        model = options.get("model", MODEL)
        if not model.exists():
            raise FileNotFoundError(f"no trained model at {model}: run `make train` first (make test does)")
        servers = cls(tmp, **options)
        try:
            servers.start_actions()
            servers.start_rasa()
            yield servers
        finally:
            servers.close()

    def close(self) -> None:
        """Stops the Rasa server, then the action server."""
        self.stop(self.rasa)
        self.stop(self.actions)

    @staticmethod
    def stop(process):
        if process and process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                logger.warning("process %d ignored SIGTERM for 20 s: killed", process.pid)
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    # --- talking to it --------------------------------------------------------------
    @property
    def url(self) -> str:
        """The Rasa server's base URL."""
        return f"http://{LOOPBACK}:{self.rasa_port}"

    @property
    def client(self) -> RestClient:
        """A REST client of the Rasa server (the conversation runner's, launcher/conversation.py)."""
        return RestClient(self.url, TOKEN)

    def say(self, sender: str, text: str):
        """The bot's replies to one message over REST."""
        return self.client.say(sender, text)[0]

    def tracker(self, sender: str):
        return self.client.tracker(sender)
