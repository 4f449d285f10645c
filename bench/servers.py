"""The servers the benchmark talks to, all bound to 127.0.0.1.

- ours: the project's action server and Rasa server, started through launcher/servers.py (the harness the
  end-to-end tests use), serving a snapshot of the trained model so a concurrent `make train` cannot swap it
  mid-run;
- vanilla: `rasa init --no-prompt` in a temporary folder (trained there), served by `rasa run`.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, Iterable, List, Optional

from launcher.env import server_environment
from launcher.servers import LOOPBACK, MODEL, TOKEN, Servers, free_port, wait_until_up

RASA = str(Path(sys.executable).parent / "rasa")


class LoopbackServers(Servers):
    """launcher/servers.py's Servers (both bound to loopback) serving a snapshot of `model` taken now."""

    def __init__(self, tmp: Path, model: Path = MODEL):
        snapshot = tmp / "pos-assistant.tar.gz"
        shutil.copy2(model, snapshot)
        super().__init__(tmp, cors_origin=f"http://{LOOPBACK}", model=snapshot)

    def pids(self) -> Dict[str, int]:
        return {"rasa": self.rasa.pid, "actions": self.actions.pid}


def start_baseline_rasa(directory: Path, port: int, env: Dict[str, str], log_path: Path,
                        *args: str) -> subprocess.Popen:
    """A baseline bot's Rasa server (vanilla, the reference bot) in `directory`, up on loopback."""
    log = open(log_path, "ab")
    process = subprocess.Popen(
        [RASA, "run", "--interface", LOOPBACK, "--port", str(port), "--enable-api", "--auth-token", TOKEN, *args],
        cwd=directory, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    wait_until_up(f"http://{LOOPBACK}:{port}/status?token={TOKEN}", process)
    return process


class VanillaAssistant:
    """`rasa init --no-prompt` (which trains the moodbot) in a temporary folder, then `rasa run`."""

    def __init__(self, tmp: Path):
        self.dir = tmp / "vanilla"
        self.port = free_port()
        self.process: Optional[subprocess.Popen] = None
        self.train_seconds: Optional[float] = None
        self.env = server_environment(pythonpath=None, SANIC_HOST=LOOPBACK)

    def init_and_train(self, timeout: float = 1800) -> float:
        self.dir.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        with open(self.dir.parent / "vanilla-init.log", "ab") as log:
            subprocess.run([RASA, "init", "--no-prompt", "--init-dir", str(self.dir)], cwd=self.dir,
                           env=self.env, stdout=log, stderr=subprocess.STDOUT, check=True, timeout=timeout)
        self.train_seconds = time.perf_counter() - started
        if not list((self.dir / "models").glob("*.tar.gz")):
            raise RuntimeError(f"rasa init trained no model in {self.dir / 'models'}")
        return self.train_seconds

    def start(self) -> None:
        self.process = start_baseline_rasa(self.dir, self.port, self.env, self.dir.parent / "vanilla-rasa.log",
                                           "--model", "models")

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def close(self) -> None:
        Servers.stop(self.process)


# --- process facts from /proc ------------------------------------------------------------------
def _children(pid: int) -> List[int]:
    kids: List[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            pass
    return kids


def process_tree(pid: int) -> List[int]:
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo += _children(current)
    return tree


def _status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def memory_mb(pid: int) -> Dict[str, float]:
    """Resident memory (VmRSS) and its peak (VmHWM) of a process and its children, in MiB."""
    pids = process_tree(pid)
    return {"rss_mb": sum(_status_kb(p, "VmRSS") for p in pids) / 1024,
            "peak_mb": sum(_status_kb(p, "VmHWM") for p in pids) / 1024,
            "processes": len(pids)}


def listening_addresses(pids: Iterable[int]) -> List[str]:
    """'address:port' of every TCP socket in LISTEN state owned by these processes (IPv4 and IPv6)."""
    inodes = set()
    for pid in pids:
        for pid_in_tree in process_tree(pid):
            for fd in Path(f"/proc/{pid_in_tree}/fd").glob("*"):
                try:
                    target = os.readlink(fd)
                except OSError:
                    continue
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
    found = []
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            local, state, inode = parts[1], parts[3], parts[9]
            if state != "0A" or inode not in inodes:
                continue
            address_hex, port_hex = local.split(":")
            found.append(f"{_address(address_hex, width)}:{int(port_hex, 16)}")
    return sorted(set(found))


def _address(hex_address: str, width: int) -> str:
    if width == 8:
        return ".".join(str(b) for b in reversed(bytes.fromhex(hex_address)))
    raw = b"".join(bytes(reversed(bytes.fromhex(hex_address[i:i + 8]))) for i in range(0, 32, 8))
    if raw[:12] == b"\x00" * 10 + b"\xff\xff":
        return ".".join(str(b) for b in raw[12:])
    groups = [raw[i:i + 2].hex() for i in range(0, 16, 2)]
    return "[" + ":".join(groups) + "]"


def only_loopback(addresses: Iterable[str]) -> bool:
    addresses = list(addresses)
    return bool(addresses) and all(a.startswith("127.") or a.startswith("[0000:0000:0000:0000:0000:0000:0000:0001]")
                                   for a in addresses)
