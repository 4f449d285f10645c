"""The benchmark harness (bench/): its data, and `python -m bench.run --smoke` end to end.

The smoke run starts the real servers on loopback through launcher/servers.py (and a vanilla
`rasa init` assistant), writes its report to a temporary folder, never to docs/, and must produce
every section with sane numbers. It needs the trained model (make train); about 2 minutes.
"""
import importlib.util
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml

from bench.report import SECTIONS
from bench.simulator import STYLES, Persona, diagnosis_from_tracker, load_personas
from pos_expert.payloads import asked_signal
from launcher.servers import MODEL, ROOT

DOCS_REPORT = ROOT / "docs" / "benchmarks.md"


# --- fast checks: no servers -------------------------------------------------------------------
def test_personas_cover_every_cause_and_style(kb):
    personas = load_personas(kb=kb)
    assert len(personas) >= 50
    per_cause = Counter(p.cause for p in personas)
    assert set(per_cause) == set(kb.cause_ids)
    assert min(per_cause.values()) >= 4
    per_style = Counter(s for p in personas for s in p.style)
    assert all(per_style[s] >= 4 for s in STYLES), per_style
    assert all(p.detour for p in personas if "detour" in p.style)
    assert all(p.free_text for p in personas if "free_text" in p.style)


def test_personas_openings_are_new():
    cases = yaml.safe_load((ROOT / "tests" / "fixtures" / "evidence_cases.yml").read_text(encoding="utf-8"))["cases"]
    openings = {c["opening"] for c in cases}
    assert not [p.id for p in load_personas() if p.opening in openings]


def test_a_broken_persona_file_fails_with_its_location(tmp_path, kb):
    bad = tmp_path / "personas.yml"
    bad.write_text("personas:\n- id: x\n  cause: network\n  opening: 钱没到\n  given: {}\n"
                   "  knows: {terminal_result: maybe}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="persona 'x'.*terminal_result"):
        load_personas(bad, kb)


def test_a_persona_answers_buttons_free_text_or_dont_know():
    persona = Persona(id="p", cause="network", opening="o", given={"payment_channel": "card"},
                      knows={"network_condition": "unstable"}, free_text={"terminal_result": "一直转圈"})
    assert persona.reply_to("network_condition") == '/inform{"network_condition":"unstable"}'
    assert persona.reply_to("payment_channel") == '/inform{"payment_channel":"card"}'
    assert persona.reply_to("terminal_result") == "一直转圈"
    assert persona.reply_to("error_code") == "/dont_know"
    replies = [{"text": "q", "buttons": [{"title": "a", "payload": '/inform{"error_code":"comm_fail"}'},
                                         {"title": "不清楚", "payload": "/dont_know"}]}]
    assert asked_signal(replies) == "error_code"
    assert asked_signal([{"text": "解决了吗?", "buttons": [{"title": "是", "payload": "/affirm"}]}]) is None


def test_messages_to_a_diagnosis_are_counted_from_the_tracker():
    tracker = {"slots": {"diagnosed_cause": "network"}, "events": [
        {"event": "user"}, {"event": "slot", "name": "terminal_result", "value": "error_or_timeout"},
        {"event": "user"}, {"event": "slot", "name": "diagnosed_cause", "value": "network"}, {"event": "user"}]}
    assert diagnosis_from_tracker(tracker) == ("network", 2, {"terminal_result": "error_or_timeout"})


def test_the_default_baseline_is_rasas_default_recipe():
    rasa_package = Path(importlib.util.find_spec("rasa").origin).parent  # found, not imported
    recipe = rasa_package / "engine" / "recipes" / "config_files" / "default_config.yml"
    default = yaml.safe_load(recipe.read_text(encoding="utf-8"))
    ours = yaml.safe_load((ROOT / "bench" / "config_rasa_default.yml").read_text(encoding="utf-8"))
    expected = [c for c in default["pipeline"] if c["name"] != "FallbackClassifier"]
    assert ours["pipeline"] == expected
    assert ours["language"] == default["language"]


# --- the smoke run ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    if not MODEL.exists():
        pytest.skip(f"no trained model at {MODEL} (make test-e2e / make bench-smoke train first)")
    out = tmp_path_factory.mktemp("bench")
    before = DOCS_REPORT.stat().st_mtime if DOCS_REPORT.exists() else None
    completed = subprocess.run(
        [sys.executable, "-m", "bench.run", "--smoke", "--out", str(out / "benchmarks.md"), "--json",
         str(out / "results.json")], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert completed.returncode == 0, completed.stderr[-4000:]
    after = DOCS_REPORT.stat().st_mtime if DOCS_REPORT.exists() else None
    return {"dir": out, "md": (out / "benchmarks.md").read_text(encoding="utf-8"),
            "results": json.loads((out / "results.json").read_text(encoding="utf-8")),
            "docs_untouched": before == after, "log": completed.stderr}


def test_the_smoke_report_has_every_section_and_plot(smoke):
    for heading in SECTIONS:
        assert heading in smoke["md"], heading
    assert "### Wrong diagnoses" in smoke["md"]
    for name in ("confusion_matrix.png", "latency.png", "messages_to_diagnosis.png"):
        png = smoke["dir"] / "bench" / name
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        assert f"](bench/{name})" in smoke["md"]
    assert smoke["docs_untouched"], "the smoke run must not write docs/benchmarks.md"
    assert "AMD" in smoke["md"] or "Intel" in smoke["md"] or "CPU" in smoke["md"]


def test_the_smoke_numbers_are_sane(smoke):
    r = smoke["results"]
    assert r["settings"]["mode"] == "smoke"
    assert r["loopback_only"] is True, r["listening"]
    assert not r["phase_errors"], r["phase_errors"]

    live = r["live"]
    assert live["personas"] == 6 and live["errors"] == 0
    assert 0.0 <= live["accuracy"] <= 1.0
    assert live["diagnosed"] >= 1 and 1 <= live["median_messages"] <= 12
    assert sum(sum(row.values()) for row in live["confusion"].values()) == 6

    typed = r["typed"]
    for mode in ("typing", "clicking"):
        assert typed[mode]["conversations"] == 10 and typed[mode]["errors"] == 0
        assert typed[mode]["facts_stated"] > 0 and typed[mode]["facts_extracted"] > 0
    assert typed["clicking"]["fact_recall"] >= typed["typing"]["fact_recall"] - 0.2
    assert "## 1. Typed conversations" in smoke["md"] and "Facts per signal" in smoke["md"]

    for strategy in ("information_gain", "fixed_order"):
        offline = r["offline"]["personas"][strategy]
        assert offline["cases"] == 6 and 1 <= offline["median_messages"] <= 7

    for who in ("ours", "vanilla"):
        sequential, concurrent = r["speed"][who]["sequential"], r["speed"][who]["concurrent_4"]
        assert sequential["messages"] == 20 and concurrent["messages"] == 20
        assert sequential["errors"] == 0 and concurrent["errors"] == 0
        assert 0 < sequential["p50"] <= sequential["p95"] < 60
        assert concurrent["throughput"] > 0
    assert r["vanilla_train_seconds"] > 0

    assert r["memory"]["rasa"]["rss_mb"] > 100
    assert r["memory"]["actions"]["rss_mb"] > 20
    assert r["memory"]["vanilla_rasa"]["rss_mb"] > 100
    assert r["machine"]["cores"] >= 1 and r["machine"]["rasa"].startswith("3.6")
    assert "nlu" not in r and "training" not in r  # smoke mode: no cross-validation, no training time
