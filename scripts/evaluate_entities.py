"""Entity F1 of the rule-based extraction against the hand-annotated NLU data.

`rasa test nlu` skips SpacyEntityExtractor (Rasa treats it as pretrained), so this script does
the evaluation: every annotated example is parsed by the project's spaCy pipeline (the
EntityRuler SpacyEntityExtractor reports) and by the lexicon scan the actions also use.
Nothing is learned from the NLU data, so no folds are needed: one pass over all of it.

Two figures:
- entity F1, strict: predicted (signal, span) equal to an annotated one; overlap: same signal and
  overlapping spans (the usual partial-match NER score; annotators and rules disagree on 提示/显示 prefixes);
- fact F1: which signals a message states (what the dialogue uses), spaCy entities and
  lexicon scan combined as in actions/facts.py.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import spacy  # noqa: E402
from rasa.shared.nlu.training_data.loading import load_data  # noqa: E402

from pos_expert.knowledge import default_knowledge_base  # noqa: E402
from pos_expert.segmentation import load_domain_dictionary  # noqa: E402
from pos_expert.text import lexicon_for, normalize_text  # noqa: E402


def f1(true_positive: int, predicted: int, actual: int) -> dict:
    precision = true_positive / predicted if predicted else 0.0
    recall = true_positive / actual if actual else 0.0
    score = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(score, 3)}


def _overlap_f1(counts: Counter) -> dict:
    precision = counts["tp_predicted"] / counts["predicted"] if counts["predicted"] else 0.0
    recall = counts["tp_actual"] / counts["actual"] if counts["actual"] else 0.0
    score = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(score, 3)}


def evaluate(nlu_path: Path, model_path: Path) -> dict:
    kb = default_knowledge_base()
    load_domain_dictionary(kb)
    nlp = spacy.load(model_path)
    lexicon = lexicon_for(kb)
    strict = Counter()
    overlap = Counter()
    fact_counts = Counter()
    misses = []
    examples = load_data(str(nlu_path)).training_examples
    for example in examples:
        text = example.get("text")
        normalized = normalize_text(text)
        annotated_spans = set()
        for e in example.get("entities") or []:
            span_text = normalize_text(text[e["start"]:e["end"]])
            start = normalized.find(span_text)
            annotated_spans.add((e["entity"], start, start + len(span_text)))
        annotated = Counter((label, normalized[s:t]) for label, s, t in annotated_spans)
        doc = nlp(normalized)
        predicted_spans = {(ent.label_, ent.start_char, ent.end_char) for ent in doc.ents}
        predicted = Counter((label, normalized[s:t]) for label, s, t in predicted_spans)
        strict["tp"] += len(annotated_spans & predicted_spans)
        overlap["tp_actual"] += sum(
            any(p[0] == a[0] and p[1] < a[2] and a[1] < p[2] for p in predicted_spans) for a in annotated_spans
        )
        overlap["tp_predicted"] += sum(
            any(p[0] == a[0] and p[1] < a[2] and a[1] < p[2] for a in annotated_spans) for p in predicted_spans
        )
        for counter in (strict, overlap):
            counter["predicted"] += len(predicted_spans)
            counter["actual"] += len(annotated_spans)

        annotated_signals = {signal for signal, _ in annotated}
        found_signals = {label for label, _ in predicted} | set(lexicon.facts(normalized))
        fact_counts["tp"] += len(annotated_signals & found_signals)
        fact_counts["predicted"] += len(found_signals)
        fact_counts["actual"] += len(annotated_signals)
        if annotated != predicted:
            misses.append({"text": text, "annotated": sorted(annotated), "predicted": sorted(predicted)})
    return {
        "examples": len(examples),
        "entity_strict": f1(strict["tp"], strict["predicted"], strict["actual"]),
        "entity_overlap": _overlap_f1(overlap),
        "fact": f1(fact_counts["tp"], fact_counts["predicted"], fact_counts["actual"]),
        "misses": misses,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nlu", default=str(ROOT / "data" / "nlu"))
    parser.add_argument("--model", default=str(ROOT / "build" / "spacy_zh_pos"))
    parser.add_argument("--out", default=str(ROOT / "results" / "entities"))
    args = parser.parse_args()
    result = evaluate(Path(args.nlu), Path(args.model))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "entity_report.json").write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    strict, loose, fact = result["entity_strict"], result["entity_overlap"], result["fact"]
    print(f"entities in {args.nlu} ({result['examples']} examples): EntityRuler F1 {loose['f1']:.3f} "
          f"(overlapping spans; precision {loose['precision']:.3f}, recall {loose['recall']:.3f}), "
          f"exact spans {strict['f1']:.3f}; signals per message (ruler + lexicon scan) F1 {fact['f1']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
