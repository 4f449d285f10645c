"""The fact reader's reading as it was before batching (issue 11): one `predict_proba` per signal.

The reference the batched pos_expert.facts.FactReader is compared with (tests/test_fact_batching.py,
tests/test_shared_fact_reader.py): the same segments and selection rules, with every signal's
probabilities from its own scikit-learn model.
"""
from typing import Dict, List, Sequence

import numpy as np
from scipy import sparse

from pos_expert.facts import NONE, FactReader, Reading, corrected, with_question
from pos_expert.knowledge import UNKNOWN
from pos_expert.text import normalize_text


def transform(reader: FactReader, texts: Sequence[str]) -> sparse.csr_matrix:
    """Featurizer.transform before issue 11: COO triples, then scaled by diag(1 / norm)."""
    vocabulary = reader.featurizer.vocabulary
    rows: List[int] = []
    cols: List[int] = []
    for row, text in enumerate(texts):
        seen = {vocabulary[f] for f in reader.featurizer.features(text) if f in vocabulary}
        rows.extend([row] * len(seen))
        cols.extend(seen)
    data = np.ones(len(rows), dtype=np.float32)
    matrix = sparse.csr_matrix((data, (rows, cols)), shape=(len(texts), len(vocabulary)))
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norms) @ matrix)


def per_model_probabilities(reader: FactReader, texts: List[str], asked: bool) -> Dict[str, object]:
    """Each signal's `predict_proba` on the question view of `texts` (already normalised)."""
    view = with_question(transform(reader, texts), asked)
    return {signal_id: model.predict_proba(view) for signal_id, model in reader.models.items()}


def _best(reader: FactReader, text: str, asked: bool) -> Dict[str, List[Reading]]:
    spans = reader._segments(text)
    probabilities = per_model_probabilities(reader, [text[s:e] for s, e in spans], asked)
    result = {}
    for signal_id, p in probabilities.items():
        classes = reader.models[signal_id].classes_
        top = p.argmax(axis=1)
        result[signal_id] = [
            Reading(signal_id, str(classes[b]), float(row[b]), s, e) for (s, e), b, row in zip(spans, top, p, strict=True)
        ]
    return result


def read(reader: FactReader, text: str, threshold: float = 0.5) -> List[Reading]:
    """FactReader.read before batching."""
    text = normalize_text(text)
    if not text or not reader.models:
        return []
    readings = []
    for found in _best(reader, text, asked=False).values():
        found = [r for r in found if r.answer_id not in (NONE, UNKNOWN) and r.confidence >= threshold]
        if not found:
            continue
        readings.append(corrected(found))
    return sorted(readings, key=lambda r: r.start)


def answers_if_asked(reader: FactReader, text: str) -> Dict[str, Reading]:
    """FactReader.answers_if_asked before batching."""
    text = normalize_text(text)
    if not text or not reader.models:
        return {}
    result = {}
    for signal_id, readings in _best(reader, text, asked=True).items():
        answers = [r for r in readings if r.answer_id != NONE]
        result[signal_id] = corrected(answers) if answers else readings[0]
    return result
