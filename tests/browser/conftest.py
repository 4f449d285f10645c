"""Real action and Rasa servers, the web/ pages on their own port, and Debian's Chromium driven by Playwright."""
import functools
import json
import shutil
import subprocess
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from launcher.servers import MODEL, ROOT, Servers, free_port

WEB = ROOT / "web"
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 800}
LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1"}
# The bot answers after NLU, the engine and the action server: give assertions more than the default 5 s.
expect.set_options(timeout=30_000)


class WebHandler(SimpleHTTPRequestHandler):
    """Serves web/ like `python -m http.server --directory web`, with vendor/config.js pointing at the test Rasa."""

    config_js = b""

    def do_GET(self):
        if self.path.split("?")[0] == "/vendor/config.js":
            self.send_response(200)
            self.send_header("Content-Type", "text/javascript; charset=utf-8")
            self.send_header("Content-Length", str(len(self.config_js)))
            self.end_headers()
            self.wfile.write(self.config_js)
            return
        super().do_GET()

    def log_message(self, *args):
        pass


class Site:
    def __init__(self, servers: Servers, port: int):
        self.servers, self.port = servers, port
        self.origin = f"http://localhost:{port}"
        self.rasa_url = f"http://localhost:{servers.rasa_port}"

    def url(self, page: str = "") -> str:
        return f"{self.origin}/{page}"


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` first (make test-browser does)")
    if not (WEB / "vendor" / "rasa-webchat.js").exists():
        subprocess.run(["bash", str(ROOT / "scripts" / "build_web.sh")], check=True, cwd=ROOT)
    web_port = free_port()
    servers = Servers(tmp_path_factory.mktemp("browser"), cors_origin=f"http://localhost:{web_port}")
    site = Site(servers, web_port)
    config = {"rasaUrl": site.rasa_url}
    handler = type("TestWebHandler", (WebHandler,), {
        "config_js": f"window.POS_CONFIG = {json.dumps(config)};\n".encode()})
    httpd = ThreadingHTTPServer(("127.0.0.1", web_port), functools.partial(handler, directory=str(WEB)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    try:
        thread.start()
        servers.start_actions()
        servers.start_rasa()
        yield site
    finally:
        httpd.shutdown()
        httpd.server_close()
        servers.stop(servers.rasa)
        servers.stop(servers.actions)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/setup_browser.sh (make test-browser does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class RequestLog:
    """Every URL the page asks for, to prove nothing leaves this machine."""

    def __init__(self):
        self.urls = []

    def __call__(self, request):
        self.urls.append(request.url)

    def foreign(self):
        return [u for u in self.urls if urlsplit(u).scheme not in ("data", "blob", "about")
                and urlsplit(u).hostname not in LOCAL_HOSTS]


@pytest.fixture
def context(browser, site):
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.origin)
    context.set_default_timeout(30_000)
    requests = RequestLog()
    context.on("request", requests)
    context.requests = requests
    # Script errors and failed loads (e.g. a 404) in any page of the context.
    context.errors = []
    context.on("weberror", lambda error: context.errors.append(f"page error: {error.error}"))
    context.on("console", lambda message: message.type == "error" and context.errors.append(
        f"console error: {message.text}"))
    try:
        yield context
    finally:
        context.close()


@pytest.fixture(scope="session")
def screenshot_dir():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def pytest_report_header(config):
    return f"chromium: {shutil.which('chromium') or CHROMIUM}"
