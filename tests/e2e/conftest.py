"""Real action and Rasa servers on loopback for the end-to-end tests."""
import pytest

from launcher.servers import Servers

ALLOWED_ORIGIN = "http://localhost:8080"


@pytest.fixture(scope="session")
def servers(tmp_path_factory):
    with Servers.running(tmp_path_factory.mktemp("e2e"), cors_origin=ALLOWED_ORIGIN) as s:
        yield s
