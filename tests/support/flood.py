"""A flooding client in a process of its own (as it would be: not sharing the measuring test's interpreter):

    python -m tests.support.flood PORT SOURCE_IP RATE OUT STOP

POSTs a message to the REST channel RATE times a second from SOURCE_IP, rotating over 25 sender ids, until the file
STOP exists; writes one line per answer to OUT: the HTTP status and whether the body holds the rate-limit reply.
"""
import http.client
import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

RATE_LIMITED_MARK = "请稍候再发"


def post(port: int, body: dict, source_ip: str, timeout: float):
    """(status, body) of one POST; standalone (no Rasa import: the flood starts at once)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout, source_address=(source_ip, 0))
    try:
        connection.request("POST", "/webhooks/rest/webhook", body=json.dumps(body).encode(),
                           headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        raw = response.read()
    finally:
        connection.close()
    try:
        return response.status, json.loads(raw)
    except ValueError:
        return response.status, raw.decode("utf-8", "replace")


def main(port: int, source_ip: str, rate: float, out: Path, stop: Path) -> None:
    lock = threading.Lock()
    with out.open("w", encoding="utf-8") as sink, ThreadPoolExecutor(32) as pool:
        def send(k: int) -> None:
            try:
                status, body = post(port, {"sender": f"flood-{k % 25}", "message": "钱呢"}, source_ip=source_ip,
                                    timeout=60)
                line = f"{status} {int(RATE_LIMITED_MARK in json.dumps(body, ensure_ascii=False))}\n"
            except Exception as error:  # noqa: BLE001 - reported as a status
                line = f"error {type(error).__name__}\n"
            with lock:
                sink.write(line)

        started, k = time.monotonic(), 0
        while not stop.exists():
            k += 1
            pool.submit(send, k)
            time.sleep(max(0.0, started + k / rate - time.monotonic()))


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), Path(sys.argv[4]), Path(sys.argv[5]))
