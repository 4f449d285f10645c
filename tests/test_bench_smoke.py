"""The benchmark harness (bench/): its data, and `python -m bench.run --smoke` end to end.

The smoke run starts the real servers on loopback through launcher/servers.py (and a vanilla
`rasa init` assistant), writes its report to a temporary folder, never to docs/, and must produce
every section, with the run's own figures in its prose and tables. It needs the trained model (make train);
about 3 minutes.
"""
import importlib.util
import json
import statistics
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml

from bench.report import SECTIONS
from bench.simulator import STYLES, Persona, diagnosis_from_tracker, load_personas
from launcher.datasets import EVIDENCE_CASES
from launcher.servers import MODEL, ROOT
from pos_expert.payloads import asked_signal

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
    cases = yaml.safe_load(EVIDENCE_CASES.read_text(encoding="utf-8"))["cases"]
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


def test_the_report_takes_its_facts_from_the_run(smoke):
    md, r = smoke["md"], smoke["results"]
    machine, live, typing = r["machine"], r["live"], r["typed"]["typing"]
    assert f"| CPU | {machine['cpu']} |" in md and f"| cores | {machine['cores']} |" in md
    assert f"(smoke run) on {machine['date']};" in md
    assert f"(load average {machine['load_at_start']} at the start)" in md
    assert f"| diagnosed correctly | {live['correct']} ({live['accuracy']:.1%}) |" in md
    assert f"The {typing['conversations']} conversations of {r['data']['typed_cases']}/" in md
    assert f"after {r['settings']['max_messages']} messages." in md
    evidence_cases = len(yaml.safe_load(EVIDENCE_CASES.read_text(encoding="utf-8"))["cases"])
    assert f"The {evidence_cases} evidence cases of {r['data']['evidence_cases']}" in md
    assert f"moodbot conversations ({' / '.join(r['vanilla_script'])} …)" in md
    assert f"a copy of {r['model']['path']} taken at the start" in md


def test_the_smoke_numbers_are_sane(smoke):
    r = smoke["results"]
    assert r["settings"]["mode"] == "smoke"
    assert r["loopback_only"] is True, r["listening"]
    assert not r["phase_errors"], r["phase_errors"]

    live = r["live"]
    assert live["personas"] == 6 and live["errors"] == 0
    assert live["accuracy"] == live["correct"] / 6
    assert sum(live["confusion"][cause][cause] for cause in live["confusion"]) == live["correct"]
    assert sum(sum(row.values()) for row in live["confusion"].values()) == 6
    to_diagnosis = [int(m) for m, n in live["messages_histogram"].items() for _ in range(n)]
    assert live["diagnosed"] >= 1 and len(to_diagnosis) == live["diagnosed"]
    assert live["median_messages"] == statistics.median(to_diagnosis)
    assert max(to_diagnosis) <= r["settings"]["max_messages"]

    typed = r["typed"]
    for mode in ("typing", "clicking"):
        assert typed[mode]["conversations"] == 10 and typed[mode]["errors"] == 0
        assert typed[mode]["facts_stated"] > 0 and typed[mode]["facts_extracted"] > 0
    assert typed["clicking"]["fact_recall"] >= typed["typing"]["fact_recall"] - 0.2

    personas, evidence = r["offline"]["personas"], r["offline"]["evidence_cases"]
    for strategy in ("information_gain", "fixed_order"):
        assert personas[strategy]["cases"] == 6
        assert personas[strategy]["median_messages"] == personas[strategy]["median_questions"] + 1
    # the baseline's point: asking by information gain takes fewer messages than the file's fixed order
    assert evidence["information_gain"]["mean_messages"] < evidence["fixed_order"]["mean_messages"]

    for who in ("ours", "vanilla"):
        sequential, concurrent = r["speed"][who]["sequential"], r["speed"][who]["concurrent_4"]
        assert sequential["messages"] == 20 and concurrent["messages"] == 20
        assert sequential["errors"] == 0 and concurrent["errors"] == 0
        assert 0 < sequential["p50"] <= sequential["p95"] < 60
        assert concurrent["throughput"] == pytest.approx(concurrent["messages"] / concurrent["seconds"])
    assert r["vanilla_train_seconds"] > 0

    assert r["memory"]["rasa"]["rss_mb"] > 100
    assert r["memory"]["actions"]["rss_mb"] > 20
    assert r["memory"]["vanilla_rasa"]["rss_mb"] > 100
    assert r["machine"]["cores"] >= 1 and r["machine"]["rasa"].startswith("3.6")
    assert "nlu" not in r and "training" not in r  # smoke mode: no cross-validation, no training time
