"""Builds the project's Chinese spaCy pipeline: blank zh + jieba + an EntityRuler from the lexicon.

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
from pos_expert.segmentation import lexicon_entries, load_domain_dictionary  # noqa: E402

OUTPUT = ROOT / "build" / "spacy_zh_pos"


def entity_patterns(kb):
    return [
        {"label": signal_id, "pattern": phrase, "id": f"{signal_id}={answer_id}"}
        for phrase, signal_id, answer_id in lexicon_entries(kb)
    ]


def build(output: Path = OUTPUT) -> Path:
    kb = default_knowledge_base()
    load_domain_dictionary(kb)
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER", "overwrite_ents": True})
    ruler.add_patterns(entity_patterns(kb))
    nlp.meta["name"] = "zh_pos_payment"
    nlp.meta["version"] = "1.0.0"
    nlp.meta["description"] = "POS收款诊断助手: blank zh + jieba + EntityRuler generated from the knowledge base"
    output.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(output)
    return output


if __name__ == "__main__":
    path = build()
    print(f"built spaCy pipeline at {path.relative_to(ROOT)}")
