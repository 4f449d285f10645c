"""Rate limits of the public channels (channels/limits.py): token buckets per sender and per client."""
import pytest

from channels.limits import RateLimiter, is_public_path


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def _allowed(limiter, sender, client, count):
    return sum(limiter.allow(sender, client) for _ in range(count))


def test_a_sender_gets_a_burst_of_ten_then_three_per_second():
    clock = Clock()
    limiter = RateLimiter(clock=clock)
    assert _allowed(limiter, "s1", "10.0.0.1", 12) == 10
    clock.now += 1.0
    assert _allowed(limiter, "s1", "10.0.0.1", 5) == 3
    assert _allowed(limiter, "s2", "10.0.0.2", 5) == 5  # another sender is not affected
    assert limiter.refused["sender"] == 4


def test_a_client_gets_a_burst_of_fifteen_then_one_per_second_whatever_the_sender():
    clock = Clock()
    limiter = RateLimiter(clock=clock)
    assert sum(limiter.allow(f"rotating-{i}", "10.0.0.9") for i in range(20)) == 15
    clock.now += 2.0
    assert sum(limiter.allow(f"more-{i}", "10.0.0.9") for i in range(20)) == 2
    assert limiter.allow("someone-else", "10.0.0.10")
    assert limiter.refused["client"] == 23


def test_a_refused_message_takes_no_token_from_the_other_bucket():
    clock = Clock()
    limiter = RateLimiter(clock=clock)
    assert _allowed(limiter, "busy", "10.0.0.1", 11) == 10  # the 11th is refused by the sender bucket
    assert sum(limiter.allow(f"s{i}", "10.0.0.1") for i in range(6)) == 5  # client bucket: 15 - 10 used


def test_loopback_is_exempt_from_the_client_limit_unless_configured():
    clock = Clock()
    exempt, limited = RateLimiter(clock=clock), RateLimiter(clock=clock, exempt_clients=[])
    assert sum(exempt.allow(f"s{i}", "127.0.0.1") for i in range(100)) == 100
    assert sum(limited.allow(f"s{i}", "127.0.0.1") for i in range(100)) == 15


def test_configuration_from_the_environment(monkeypatch):
    monkeypatch.setenv("POS_RATE_SENDER_BURST", "2")
    monkeypatch.setenv("POS_RATE_EXEMPT_CLIENTS", "")
    limiter = RateLimiter.from_env()
    assert _allowed(limiter, "s", "127.0.0.1", 5) == 2
    monkeypatch.setenv("POS_RATE_LIMIT", "off")
    assert _allowed(RateLimiter.from_env(), "s", "127.0.0.1", 50) == 50


def test_the_number_of_remembered_keys_is_bounded():
    limiter = RateLimiter(clock=Clock(), max_keys=100)
    for i in range(1000):
        limiter.allow(f"s{i}", f"10.0.{i // 250}.{i % 250}")
    assert len(limiter._senders._buckets) == 100 and len(limiter._clients._buckets) == 100


@pytest.mark.parametrize("path, public", [
    ("/webhooks/rest/webhook", True), ("/socket.io/", True), ("/conversations/x/tracker", False), ("/", False),
])
def test_public_paths(path, public):
    assert is_public_path(path) is public
