"""Builds the project's Chinese spaCy pipeline: blank zh + jieba, with the domain words kept whole.

No download: everything comes from the knowledge base. Output: build/spacy_zh_pos (a build
product, rebuilt by `make nlp` whenever the knowledge base changes).
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import spacy  # noqa: E402

from pos_expert.knowledge import default_knowledge_base  # noqa: E402
from pos_expert.segmentation import load_domain_dictionary  # noqa: E402

OUTPUT = ROOT / "build" / "spacy_zh_pos"


def build(output: Path = OUTPUT) -> Path:
    kb = default_knowledge_base()
    load_domain_dictionary(kb)
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    nlp.meta["name"] = "zh_pos_payment"
    nlp.meta["version"] = "1.0.0"
    nlp.meta["description"] = "POS收款诊断助手: blank zh + jieba with the knowledge base's domain words (facts: nlu_components/facts.py)"
    output.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(output)
    return output


if __name__ == "__main__":
    path = build()
    print(f"built spaCy pipeline at {path.relative_to(ROOT)}")
