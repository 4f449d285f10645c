"""Starts the real action server and Rasa server on loopback (end-to-end, browser and scale-out tests, benchmarks)."""
import json
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

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
MODEL = ROOT / "models" / "pos-assistant.tar.gz"
TOKEN = "e2e-test-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
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
    def __init__(self, tmp: Path, cors_origin: str = "*", extra_env=None, rasa_args=()):
        self.rasa_port, self.action_port = free_port(), free_port()
        self.cors_origin = cors_origin
        self.tmp = tmp
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "RASA_TELEMETRY_ENABLED": "false",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{self.action_port}/webhook",
            "TRACKER_DB": str(tmp / "tracker.db"),
            "SANIC_HOST": "127.0.0.1",  # the action server's interface: loopback only
            # The payout date depends on "today": the typed conversations are judged on one fixed day (a Tuesday).
            "POS_NOW": os.environ.get("POS_NOW", "2026-12-01T15:00"),
            **(extra_env or {}),
        }
        self.rasa_args = list(rasa_args)
        self.actions = self.rasa = None

    def _spawn(self, args, log_name):
        log = open(self.tmp / log_name, "ab")
        return subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)

    def start_actions(self):
        self.actions = self._spawn([str(VENV_BIN / "rasa"), "run", "actions", "--port", str(self.action_port),
                                    "--actions", "actions"], "actions.log")
        wait_until_up(f"http://127.0.0.1:{self.action_port}/health", self.actions)

    def start_rasa(self):
        self.rasa = self._spawn([str(VENV_BIN / "rasa"), "run", "--interface", "127.0.0.1", "--enable-api", "--auth-token", TOKEN,
                                 "--port", str(self.rasa_port), "--cors", self.cors_origin, "--endpoints", "endpoints.yml",
                                 "--credentials", "credentials.yml", "--model", str(MODEL), *self.rasa_args], "rasa.log")
        wait_until_up(f"http://127.0.0.1:{self.rasa_port}/status?token={TOKEN}", self.rasa)

    @classmethod
    @contextmanager
    def running(cls, tmp: Path, **options):
        """Both servers started (action server first) for the duration of a `with`, then stopped."""
        if not MODEL.exists():
            raise FileNotFoundError(f"no trained model at {MODEL}: run `make train` first (make test does)")
        servers = cls(tmp, **options)
        try:
            servers.start_actions()
            servers.start_rasa()
            yield servers
        finally:
            servers.stop(servers.rasa)
            servers.stop(servers.actions)

    @staticmethod
    def stop(process):
        if process and process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    # --- talking to it --------------------------------------------------------------
    def say(self, sender: str, text: str):
        body = json.dumps({"sender": sender, "message": text}).encode()
        request = urllib.request.Request(f"http://127.0.0.1:{self.rasa_port}/webhooks/rest/webhook", data=body,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    def tracker(self, sender: str):
        url = f"http://127.0.0.1:{self.rasa_port}/conversations/{sender}/tracker?token={TOKEN}"
        with urllib.request.urlopen(url, timeout=30) as response:
            return json.loads(response.read())


