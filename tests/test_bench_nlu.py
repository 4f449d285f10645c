"""bench/nlu.py reads the figures of `rasa test nlu` output folders."""

import json

from bench.nlu import read_cross_validation


def _output(tmp_path):
    out = tmp_path / "holdout-ours"
    out.mkdir()
    report = {"greet": {"f1-score": 1.0}, "macro avg": {"f1-score": 0.977, "support": 308}, "accuracy": 0.977}
    (out / "intent_report.json").write_text(json.dumps(report), encoding="utf-8")
    (tmp_path / "holdout-ours.log").write_text("", encoding="utf-8")
    return out


def test_a_held_out_run_is_read_with_its_data_folder_in_place_of_a_config(tmp_path):
    """The held-out evaluation has no config: it passes its data folder (make bench failed on this)."""
    data = tmp_path / "nlu_holdout"
    data.mkdir()

    result = read_cross_validation(data, _output(tmp_path), 12.0, label="tests/nlu_holdout")

    assert result["intent_macro_f1"] == 0.977 and result["examples"] == 308
    assert result["config"] == "tests/nlu_holdout" and "diet_entity_f1" not in result


def test_a_config_with_diet_entities_and_no_report_counts_as_no_entity_found(tmp_path):
    config = tmp_path / "config.yml"
    config.write_text("pipeline:\n- name: DIETClassifier\n", encoding="utf-8")

    result = read_cross_validation(config, _output(tmp_path))

    assert result["diet_entity_f1"] == 0.0
