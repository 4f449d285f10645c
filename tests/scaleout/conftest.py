"""The scale-out stack (scripts/scaleout.sh) for tests/scaleout: started once, stopped at the end even on failure.

`scripts/scaleout.sh start` provisions, then runs Procfile.scaleout with honcho in the background (its own
process group); `stop` sends honcho SIGTERM, which stops every process.

These tests install Debian packages when missing and start seven processes, so they run only when asked
for by path (`pytest tests/scaleout`, `make test-scaleout`); `pytest tests` skips them.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from launcher.servers import MODEL, ROOT

SCRIPT = ROOT / "scripts" / "scaleout.sh"
HERE = Path(__file__).resolve().parent
TOKEN = "scaleout-test-token"
# Blocks of 8 consecutive loopback ports inside 6100-6199 (clear of 5005/5055/8080 and of free_port()).
PORT_BLOCKS = range(6100, 6200, 10)
LOGS_COPY = ROOT / "results" / "scaleout" / "logs"
START_TIMEOUT = 1800  # a fresh machine installs postgresql, redis-server and nginx first


def pytest_collection_modifyitems(config, items):
    if any(Path(arg.split("::")[0]).resolve().is_relative_to(HERE) for arg in config.args):
        return
    skip = pytest.mark.skip(reason="scale-out stack: runs only when asked for (pytest tests/scaleout, make test-scaleout)")
    for item in items:
        if Path(str(item.fspath)).resolve().is_relative_to(HERE):
            item.add_marker(skip)


def _block_is_free(base: int) -> bool:
    for port in range(base, base + 8):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


def _free_block() -> int:
    for base in PORT_BLOCKS:
        if _block_is_free(base):
            return base
    raise RuntimeError("no block of 8 free ports in 6100-6199")


class Stack:
    """The running stack: its ports and secrets (stack.env), and a client that goes through nginx."""

    def __init__(self, state: Path, env: dict):
        self.state, self.env = state, env
        self.conf = dict(line.split("=", 1) for line in (state / "stack.env").read_text().splitlines()
                         if line and not line.startswith("#"))
        self.url = f"http://127.0.0.1:{self.conf['NGINX_PORT']}"
        self.token = self.conf["RASA_TOKEN"]
        self.rasa_addr = {name: f"127.0.0.1:{self.conf[key]}" for name, key in
                          (("rasa-1", "RASA1_PORT"), ("rasa-2", "RASA2_PORT"))}

    def script(self, *args, timeout=120, check=True):
        return subprocess.run(["bash", str(SCRIPT), *args], cwd=ROOT, env=self.env, capture_output=True, text=True,
                              timeout=timeout, check=check)

    def pid(self, name: str) -> int:
        """The pid of a Rasa or action server, which its respawn.sh loop keeps in run/NAME.pid."""
        return int((self.state / "run" / f"{name}.pid").read_text())

    def kill(self, name: str) -> int:
        """SIGKILL one Rasa instance (no clean shutdown); returns its pid.

        The server process alone, not its process group: the group is its Procfile line, whose respawn.sh
        loop must survive to start the server again (if the loop died, honcho would stop the whole stack).
        """
        pid = self.pid(name)
        os.kill(pid, signal.SIGKILL)
        return pid

    def is_up(self, name: str) -> bool:
        """True when the Rasa instance answers /status with its model loaded."""
        url = f"http://{self.rasa_addr[name]}/status?token={self.token}"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            return False

    def wait_port_closed(self, name: str, timeout: float = 30) -> None:
        host, port = self.rasa_addr[name].split(":")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                socket.create_connection((host, int(port)), timeout=0.2).close()
            except OSError:
                return
            time.sleep(0.01)
        raise TimeoutError(f"{name} still accepts connections {timeout} s after SIGKILL")

    def instance(self, upstream_addr: str) -> str:
        """rasa-1 / rasa-2 for nginx's $upstream_addr (the last address tried when there were several)."""
        last = upstream_addr.split(",")[-1].strip()
        return next((name for name, addr in self.rasa_addr.items() if addr == last), upstream_addr)

    # --- clients -----------------------------------------------------------------------------------
    def say(self, sender: str, text: str, timeout: float = 200):
        """POST one message through nginx; returns (replies, instance that answered)."""
        body = json.dumps({"sender": sender, "message": text}).encode()
        query = urllib.parse.urlencode({"sender": sender})
        request = urllib.request.Request(f"{self.url}/webhooks/rest/webhook?{query}", data=body,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read()), self.instance(response.headers.get("X-Rasa-Upstream", ""))

    def tracker(self, sender: str):
        url = f"{self.url}/conversations/{urllib.parse.quote(sender, safe='')}/tracker?token={self.token}"
        with urllib.request.urlopen(url, timeout=60) as response:
            return json.loads(response.read())

    def stored_user_events(self, senders):
        """User events per conversation, read from PostgreSQL itself."""
        import psycopg2

        connection = psycopg2.connect(host="127.0.0.1", port=int(self.conf["DB_PORT"]), dbname=self.conf["DB_DATABASE"],
                                      user=self.conf["DB_USER"], password=self.conf["DB_PASSWORD"])
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT sender_id, count(*) FROM events WHERE type_name = 'user' "
                               "AND sender_id = ANY(%s) GROUP BY sender_id", (list(senders),))
                counts = dict(cursor.fetchall())
        finally:
            connection.close()
        return {sender: counts.get(sender, 0) for sender in senders}

    def access_log(self):
        """nginx's access log of the client port, one dict per request."""
        entries = []
        for line in (self.state / "logs" / "nginx-access.log").read_text().splitlines():
            time_, method, uri, rest = line.split(" ", 3)
            entry = {"time": time_, "method": method, "uri": uri}
            entry.update((key, value.strip('"')) for key, value in re.findall(r'(\w+)=("[^"]*"|\S+)', rest))
            entries.append(entry)
        return entries


@pytest.fixture(scope="session")
def stack():
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` first (make test-scaleout does)")
    # Under var/ (not pytest's private temp folder, whose old runs other pytest sessions delete): the
    # postgres user can enter it, and the logs survive until the end, when they are copied to results/.
    (ROOT / "var").mkdir(exist_ok=True)
    state = Path(tempfile.mkdtemp(prefix="scaleout-test-", dir=ROOT / "var"))
    env = {**os.environ, "SCALEOUT_DIR": str(state), "SCALEOUT_PORT": str(_free_block()), "SCALEOUT_NO_BUILD": "1",
           "RASA_TOKEN": TOKEN}
    started = time.monotonic()
    try:
        result = subprocess.run(["bash", str(SCRIPT), "start"], cwd=ROOT, env=env, capture_output=True, text=True,
                                timeout=START_TIMEOUT)
        print(f"\n[scaleout] scripts/scaleout.sh start: {time.monotonic() - started:.0f} s\n{result.stdout}")
        if result.returncode != 0:
            pytest.fail(f"scripts/scaleout.sh start failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        yield Stack(state, env)
    finally:
        subprocess.run(["bash", str(SCRIPT), "stop"], cwd=ROOT, env=env, capture_output=True, timeout=300)
        if (state / "logs").exists():
            shutil.rmtree(LOGS_COPY, ignore_errors=True)
            shutil.copytree(state / "logs", LOGS_COPY)
            print(f"\n[scaleout] logs of this run: {LOGS_COPY.relative_to(ROOT)}")
        subprocess.run(["bash", str(SCRIPT), "clean"], cwd=ROOT, env=env, capture_output=True, timeout=300)
        shutil.rmtree(state, ignore_errors=True)
