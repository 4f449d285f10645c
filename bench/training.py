"""Training time: a full `rasa train --force`, then a retrain after a change to one response text.

Both run on a snapshot of the project files (config.yml, domain.yml, data/) in a temporary folder,
with their own Rasa cache (RASA_CACHE_DIRECTORY), so neither a concurrent edit nor another
engineer's cache changes the measurement. The retrain keeps the first model in the output folder
and the cache, as a developer's second `rasa train` would.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Dict, List, Tuple

import yaml

from bench.nlu import RASA, timed_run
from scripts import crossval_config

ROOT = Path(__file__).resolve().parents[1]
PROJECT_FILES = ("config.yml", "domain.yml", "data")
SPACY_MODEL = "build/spacy_zh_pos"
# the cross-validation config's name in the report: the file scripts/crossval_config.py writes
CROSSVAL_CONFIG = str(crossval_config.TARGET.relative_to(ROOT))


def snapshot_project(target: Path) -> Path:
    """config.yml, domain.yml, data/ and the spaCy pipeline as they are now (other engineers may edit or
    rebuild them mid-run), and the cross-validation config generated from the copied config.yml; the configs
    point at the copied pipeline."""
    target.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name)
        else:
            shutil.copy2(source, target / name)
    shutil.copytree(ROOT / SPACY_MODEL, target / "spacy_zh_pos")
    (target / "config_crossval.yml").write_text(
        crossval_config.render((target / "config.yml").read_text(encoding="utf-8")), encoding="utf-8")
    for config in (target / "config.yml", target / "config_crossval.yml"):
        text = config.read_text(encoding="utf-8")
        if f"model: {SPACY_MODEL}" not in text:
            raise RuntimeError(f"{config.name} no longer names {SPACY_MODEL}: update bench/training.py")
        config.write_text(text.replace(f"model: {SPACY_MODEL}", f"model: {target / 'spacy_zh_pos'}"),
                          encoding="utf-8")
    return target


def snapshot_names() -> List[str]:
    """The project files snapshot_project copies, as the report names them (a folder with a trailing /)."""
    return [name + "/" if (ROOT / name).is_dir() else name for name in PROJECT_FILES]


def change_one_response(domain: Path, target: Path) -> Tuple[str, str]:
    """Copies domain.yml with one response text changed; returns (response name, new text)."""
    text = domain.read_text(encoding="utf-8")
    responses = yaml.safe_load(text).get("responses") or {}
    for name, variants in responses.items():
        for variant in variants or []:
            old = variant.get("text") if isinstance(variant, dict) else None
            if old and old.strip() and text.count(old) == 1:
                new = old + "(bench)"
                target.write_text(text.replace(old, new), encoding="utf-8")
                return name, new
    raise RuntimeError(f"no response text to change in {domain}")


def measure_training(project: Path, work: Path, env: Dict[str, str], timeout: float = 5400) -> dict:
    models = work / "models"
    work.mkdir(parents=True, exist_ok=True)
    env = {**env, "RASA_CACHE_DIRECTORY": str(work / "rasa-cache")}
    common = ["--config", str(project / "config.yml"), "--data", str(project / "data"), "--out", str(models)]
    full = timed_run([RASA, "train", "--force", "--domain", str(project / "domain.yml"), *common,
                   "--fixed-model-name", "bench-full"], work / "train-full.log", env, timeout)
    changed_domain = work / "domain-response-changed.yml"
    response, _ = change_one_response(project / "domain.yml", changed_domain)
    retrain = timed_run([RASA, "train", "--domain", str(changed_domain), *common, "--fixed-model-name", "bench-retrain"],
                     work / "train-retrain.log", env, timeout)
    log = (work / "train-retrain.log").read_text(encoding="utf-8", errors="replace")
    return {
        "retrain_restored": len(re.findall(r"Restored component '", log)),
        "retrain_trained": len(re.findall(r"Starting to train component '", log)),
        "full_seconds": full,
        "retrain_seconds": retrain,
        "changed_response": response,
        "models": sorted(p.name for p in models.glob("*.tar.gz")),
    }
