"""Baseline (b): our NLU pipeline vs Rasa's default recipe, 3-fold cross-validated on the same data.

Ours: the cross-validation config scripts/crossval_config.py generates from config.yml (the intent pipeline
without the fallback and the fact extractor). Our facts are measured on typed conversations instead
(bench/typed.py: fact precision and recall per signal). Rasa's default (bench/config_rasa_default.yml) extracts entities
with DIET trained on our annotations: its entity F1 is read from DIETClassifier_report.json of the
same cross-validation. The trained model is also scored on the clean held-out set (launcher/datasets.py).
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, Optional

from launcher.datasets import NLU_HOLDOUT

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = Path(__file__).with_name("config_rasa_default.yml")
DEFAULT_JIEBA_CONFIG = Path(__file__).with_name("config_rasa_default_jieba.yml")
_MISALIGNED = re.compile(r"Misaligned entity annotation in message '([^']*)'")
_ANNOTATED = re.compile(r"\[[^\]]+\][({]")
RASA = str(Path(sys.executable).parent / "rasa")


def timed_run(args, log: Path, env: Dict[str, str], timeout: float) -> float:
    """Runs a Rasa command in the project folder, its output appended to `log`; returns the seconds it took."""
    started = time.perf_counter()
    with open(log, "ab") as out:
        subprocess.run(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, check=True, timeout=timeout)
    return time.perf_counter() - started


def _read(path: Path) -> Optional[dict]:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def cross_validate(config: Path, nlu: Path, out: Path, env: Dict[str, str], folds: int = 3,
                   timeout: float = 5400, label: Optional[str] = None) -> dict:
    seconds = timed_run([RASA, "test", "nlu", "--nlu", str(nlu), "--config", str(config), "--cross-validation",
                    "--folds", str(folds), "--out", str(out)], out.parent / f"{out.name}.log", env, timeout)
    return read_cross_validation(config, out, seconds, label)


def read_cross_validation(config: Path, out: Path, seconds: Optional[float] = None,
                          label: Optional[str] = None) -> dict:
    """The figures of a `rasa test nlu --cross-validation` output folder (and its log next to it)."""
    intents = _read(out / "intent_report.json") or {}
    macro = intents.get("macro avg") or {}
    result = {
        "config": label or shown(config),
        "seconds": seconds,
        "intent_macro_f1": macro.get("f1-score"),
        "intent_accuracy": intents.get("accuracy"),
        "examples": macro.get("support"),
        "per_intent_f1": {k: v["f1-score"] for k, v in intents.items()
                          if isinstance(v, dict) and k not in ("macro avg", "weighted avg", "micro avg")},
    }
    log = (out.parent / f"{out.name}.log").read_text(encoding="utf-8", errors="replace")
    result["misaligned_annotations"] = len(set(_MISALIGNED.findall(log)))
    diet = _read(out / "DIETClassifier_report.json")
    if diet:
        micro = diet.get("micro avg") or diet.get("weighted avg") or {}
        result["diet_entity_f1"] = micro.get("f1-score")
        result["diet_entity_precision"] = micro.get("precision")
        result["diet_entity_recall"] = micro.get("recall")
    # (a held-out run passes its data folder as `config`: there is no config to read then)
    elif config.is_file() and "DIETClassifier" in config.read_text(encoding="utf-8") and (
            "entity_recognition: false" not in config.read_text(encoding="utf-8")):
        # Rasa writes no report for an extractor that predicted no entity on any held-out fold:
        # recall 0, so F1 0 (e.g. when no annotation aligns with the tokenizer's tokens).
        result["diet_entity_f1"] = 0.0
        result["diet_entity_note"] = "DIET predicted no entity on the held-out folds (Rasa wrote no report)"
    return result


def shown(path: Path) -> str:
    """A path as the report shows it: relative to the checkout when inside it."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def annotated_examples(nlu: Path) -> int:
    """Training examples with at least one entity annotation ([text](entity) or [text]{...})."""
    files = [nlu] if nlu.is_file() else sorted(nlu.rglob("*.yml")) + sorted(nlu.rglob("*.yaml"))
    return sum(1 for f in files for line in f.read_text(encoding="utf-8").splitlines()
               if line.strip().startswith("- ") and _ANNOTATED.search(line))


def evaluate_holdout(model: Path, out: Path, env: Dict[str, str], nlu: Path = NLU_HOLDOUT,
                     timeout: float = 1800) -> dict:
    """Intent figures of the trained model on the clean held-out set."""
    seconds = timed_run([RASA, "test", "nlu", "--nlu", str(nlu), "--model", str(model), "--out", str(out)],
                   out.parent / f"{out.name}.log", env, timeout)
    return read_cross_validation(nlu, out, seconds, label=shown(nlu))
