"""Real action and Rasa servers on loopback for the end-to-end tests."""
import pytest

from launcher.servers import MODEL, Servers

ALLOWED_ORIGIN = "http://localhost:8080"


@pytest.fixture(scope="session")
def servers(tmp_path_factory):
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` first (make test does)")
    s = Servers(tmp_path_factory.mktemp("e2e"), cors_origin=ALLOWED_ORIGIN)
    try:
        s.start_actions()
        s.start_rasa()
        yield s
    finally:
        s.stop(s.rasa)
        s.stop(s.actions)
