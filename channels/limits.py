"""Limits on the public channels (REST and socketio): message rate per sender and per client, request body size.

Rate: two token buckets per message, both must have a token left:
- per sender (the conversation id): a burst of ``POS_RATE_SENDER_BURST`` (10) messages, then
  ``POS_RATE_SENDER_PER_S`` (3) per second;
- per client (the peer's IP address): a burst of ``POS_RATE_CLIENT_BURST`` (15), then ``POS_RATE_CLIENT_PER_S`` (1)
  per second. Not 3: one assistant on 2 cores serves about 4-15 messages a second (docs/benchmarks.md; the
  lower figure on a busy machine), and a flooding client allowed 3 a second took most of that and slowed the
  other conversations 4.7x in tests/e2e/test_hardening.py; a person types far less than one message a second. Addresses in ``POS_RATE_EXEMPT_CLIENTS`` (default ``127.0.0.1,::1``: the tests, the benchmark and a
  reverse proxy on the same host) have no per-client limit; set it to an empty string to limit them too.
  Behind a proxy every client has the proxy's address, so the per-sender limit is the one that counts there.
``POS_RATE_LIMIT=off`` switches both off. A refused message is answered politely (``RATE_LIMITED_REPLY``) and
never reaches Rasa: REST answers 429 with that text, socketio sends it as a bot message.

Body size: ``POS_MAX_BODY_BYTES`` (64 KB) for the public channel routes (``/webhooks/...`` and ``/socket.io``); a
larger request is refused with 413 before its body is read. The token-protected HTTP API keeps Sanic's default.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from typing import Callable, Dict, Iterable, Optional, Text

from pos_expert.privacy import mask_pii
from pos_expert.responses import project_responses, render

logger = logging.getLogger(__name__)

RATE_LIMITED_REPLY = render(project_responses(), "utter_rate_limited")  # text in domain.yml
DEFAULT_MAX_BODY_BYTES = 64 * 1024
PUBLIC_PATH_PREFIXES = ("/webhooks/", "/socket.io")


def _env_float(name: Text, default: float) -> float:
    value = os.environ.get(name, "").strip()
    try:
        return float(value) if value else default
    except ValueError:
        logger.warning("%s=%r is not a number; using %s", name, value, default)
        return default


def max_body_bytes() -> int:
    return int(_env_float("POS_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES))


class TokenBucket:
    """``capacity`` tokens at the start, refilled at ``rate`` per second; a message takes one."""

    __slots__ = ("capacity", "rate", "tokens", "updated", "limited")

    def __init__(self, capacity: float, rate: float, now: float) -> None:
        self.capacity, self.rate, self.tokens, self.updated = capacity, rate, capacity, now
        self.limited = False

    def _refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def has_token(self, now: float) -> bool:
        self._refill(now)
        return self.tokens >= 1

    def take(self) -> None:
        self.tokens -= 1


class _Buckets:
    """Buckets by key, the least recently used dropped beyond ``max_keys`` (a full bucket is the default anyway)."""

    def __init__(self, capacity: float, rate: float, max_keys: int) -> None:
        self.capacity, self.rate, self.max_keys = capacity, rate, max_keys
        self._buckets: "OrderedDict[Text, TokenBucket]" = OrderedDict()

    def get(self, key: Text, now: float) -> TokenBucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(self.capacity, self.rate, now)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
        return bucket


class RateLimiter:
    def __init__(
        self,
        sender_burst: float = 10,
        sender_rate: float = 3,
        client_burst: float = 15,
        client_rate: float = 1,
        exempt_clients: Iterable[Text] = ("127.0.0.1", "::1"),
        enabled: bool = True,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        self.enabled = enabled
        self.exempt_clients = {c.strip() for c in exempt_clients if c and c.strip()}
        self._senders = _Buckets(sender_burst, sender_rate, max_keys)
        self._clients = _Buckets(client_burst, client_rate, max_keys)
        self._clock = clock
        self._lock = threading.Lock()
        self.refused: Dict[Text, int] = {"sender": 0, "client": 0}

    @classmethod
    def from_env(cls) -> "RateLimiter":
        exempt = os.environ.get("POS_RATE_EXEMPT_CLIENTS")
        return cls(
            sender_burst=_env_float("POS_RATE_SENDER_BURST", 10),
            sender_rate=_env_float("POS_RATE_SENDER_PER_S", 3),
            client_burst=_env_float("POS_RATE_CLIENT_BURST", 15),
            client_rate=_env_float("POS_RATE_CLIENT_PER_S", 1),
            exempt_clients=("127.0.0.1", "::1") if exempt is None else exempt.split(","),
            enabled=os.environ.get("POS_RATE_LIMIT", "on").strip().lower() not in ("off", "0", "false", "no"),
        )

    def allow(self, sender: Optional[Text], client: Optional[Text]) -> bool:
        """Whether this message may go on; takes a token from both buckets only when both have one."""
        if not self.enabled:
            return True
        with self._lock:
            now = self._clock()
            buckets = [("sender", self._senders.get(f"s:{sender}", now))]
            if client and client not in self.exempt_clients:
                buckets.append(("client", self._clients.get(f"c:{client}", now)))
            for kind, bucket in buckets:
                if not bucket.has_token(now):
                    self.refused[kind] += 1
                    if not bucket.limited:  # once per episode, not once per refused message
                        bucket.limited = True
                        logger.info(
                            "rate limit per %s reached (sender %s, client %s): messages refused until it refills",
                            kind,
                            mask_pii(str(sender)),
                            client,
                        )
                    return False
            for _, bucket in buckets:
                bucket.take()
                bucket.limited = False
            return True


_shared: Optional[RateLimiter] = None


def shared_limiter() -> RateLimiter:
    """The one limiter of this process: both channels draw on the same per-sender and per-client budgets."""
    global _shared
    if _shared is None:
        _shared = RateLimiter.from_env()
    return _shared


def is_public_path(path: Text) -> bool:
    return path.startswith(PUBLIC_PATH_PREFIXES)


def install_body_limit(blueprint, limit: Optional[int] = None) -> None:
    """Refuses (413) a public channel request whose body is over ``limit`` bytes before the body is read.

    Sanic reads a route's body after routing and before the request middleware; the ``http.routing.after`` signal
    runs in between, so lowering the stream's size limit there makes Sanic answer 413 from the Content-Length (or
    as soon as a chunked body passes the limit) without reading the rest. A blueprint's signal handler runs for
    every route of the app; it acts on the public paths only (``/webhooks/...``, ``/socket.io``).
    """
    limit = limit or max_body_bytes()

    async def limit_public_bodies(request, **_) -> None:
        if request.stream is not None and is_public_path(request.path):
            request.stream.request_max_size = min(request.stream.request_max_size, limit)

    blueprint.signal("http.routing.after")(limit_public_bodies)
