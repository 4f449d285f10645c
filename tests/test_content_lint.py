"""Nothing of the seed's advertisement, no URL, no obfuscated word, no VPN or risk-control evasion advice."""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHECKED = [ROOT / "knowledge" / "knowledge_base.yml", ROOT / "domain.yml", *sorted((ROOT / "data").rglob("*.yml"))]

FORBIDDEN = [
    r"https?://", r"www\.", r"ttpos", r"\.cn\b", r"\.com\b",
    r"ka卡", r"POSS", r"炸骗", r"aaaaa",
    r"领取平台", r"免费申请", r"pos机官网", r"邮寄pos机",
    r"避免整数", r"拆分交易", r"分开刷", r"分几笔刷", r"养卡", r"套现",
]


def _files():
    return [p for p in CHECKED if p.exists()]


@pytest.mark.parametrize("path", _files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_advertisement_url_or_obfuscated_words(path):
    text = path.read_text(encoding="utf-8")
    for pattern in FORBIDDEN:
        assert not re.search(pattern, text, re.IGNORECASE), f"{path.name}: forbidden pattern {pattern!r}"


@pytest.mark.parametrize("path", _files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_vpn_is_only_ever_advised_against(path):
    for line in path.read_text(encoding="utf-8").splitlines():
        if re.search(r"vpn|网络代理|加密通信|翻墙", line, re.IGNORECASE) and not line.lstrip().startswith("#"):
            assert re.search(r"不要|不得|不能|禁止", line), f"{path.name}: {line.strip()}"


def test_lint_catches_the_seed_advertisement():
    seed_ad = "拉卡POSS款个人pos机领取平台 官网POS个人免费申请 https://www.ttpos.cn/news/13514.html"
    assert any(re.search(p, seed_ad, re.IGNORECASE) for p in FORBIDDEN)
