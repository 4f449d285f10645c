"""What the pages load is all served from web/: no CDN, no web font service, no remote stylesheet."""
import re
from html.parser import HTMLParser

import pytest

from tests.browser.conftest import WEB

PAGES = ["index.html", "agent.html"]
REMOTE = re.compile(r"^(https?:)?//", re.IGNORECASE)
REMOTE_CSS = re.compile(r"@import\s*(url\()?\s*[\"']?(https?:)?//|url\(\s*[\"']?(https?:)?//", re.IGNORECASE)


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href", "action", "poster", "srcset") and value:
                self.urls.append((tag, value))


@pytest.mark.parametrize("page", PAGES)
def test_pages_load_only_files_of_their_own(page):
    links = Links()
    links.feed((WEB / page).read_text(encoding="utf-8"))
    assert links.urls
    remote = [(tag, url) for tag, url in links.urls if REMOTE.match(url)]
    assert remote == []
    for tag, url in links.urls:
        if tag in ("script", "link") and not url.startswith("data:") and not url.startswith("vendor/"):
            assert (WEB / url).is_file(), url


def test_the_webchat_bundle_has_no_font_service_or_remote_stylesheet():
    bundle = (WEB / "vendor" / "rasa-webchat.js")
    if not bundle.exists():
        pytest.fail("web/vendor/rasa-webchat.js is missing: run `make web` (make test-browser does)")
    text = bundle.read_text(encoding="utf-8")
    assert "fonts.googleapis" not in text and "fonts.gstatic" not in text
    assert not REMOTE_CSS.search(text)


def test_our_styles_and_scripts_name_no_other_host():
    for path in list((WEB / "css").glob("*.css")) + list((WEB / "js").glob("*.js")):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"https?://(?!localhost[:/]|127\.0\.0\.1[:/])", text), path
