"""Shared fixtures: the knowledge base, the engine, and Rasa trackers built from fixtures."""
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pos_expert import DiagnosisEngine, default_knowledge_base  # noqa: E402


@pytest.fixture(scope="session")
def kb():
    return default_knowledge_base()


@pytest.fixture(scope="session")
def engine(kb):
    return DiagnosisEngine(kb)
