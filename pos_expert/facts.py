"""Reading facts from what merchants type: a question-aware answer classifier, learned from examples.

One `FactReader` per signal holds a linear classifier over character n-grams, the lexicon's
matches (a high-precision feature, negation resolved by `pos_expert.text`) and error codes seen
in context. Its classes are the signal's answers, plus `unknown` ("还没去看") and `none` (the text
says nothing about this signal).

Every classifier is trained twice over the same texts: once as if the signal's question had just
been asked (`asked`), once not. With the question open, a short reply such as "找不到" or
"正常的" answers it; without the question it says nothing. The `asked` view conjoins every feature
with an indicator, so one model learns both readings.

Pure Python plus scikit-learn: the Rasa component (nlu_components/facts.py) trains and serves it,
and the actions only read what it returns.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import yaml
from scipy import sparse

from pos_expert.knowledge import UNKNOWN, KnowledgeBase, KnowledgeBaseError

if TYPE_CHECKING:  # imported lazily at run time: scikit-learn is slow to import
    from sklearn.linear_model import LogisticRegression
from pos_expert.text import Lexicon, normalize_text

logger = logging.getLogger(__name__)

NONE = "__nothing__"  # not an answer id: the text says nothing about the signal
TYPED_ANSWERS_DIR = Path(__file__).resolve().parent.parent / "knowledge" / "typed_answers"

# Clauses: punctuation, and the conjunctions that start a new statement ("网络正常,但是机器死机了").
_CLAUSE_BREAK = re.compile(r"[,.!?;:、。!?;:\n]+|(?:但是|可是|不过|然后|而且|结果|后来)")
_DIGITS = re.compile(r"\d+")
# Replies shorter than this only mean something as an answer to their own question.
MIN_CONTEXT_FREE_LENGTH = 6
# A later clause replaces the surest reading only when it is itself this sure.
CORRECTION_CONFIDENCE = 0.9


@dataclass(frozen=True)
class Example:
    """One training text: what it says about one signal, with or without its question open."""

    text: str
    signal_id: str
    label: str  # an answer id, UNKNOWN, or NONE
    asked: Optional[bool]  # True: only as a reply to the question; False: only unprompted; None: both


@dataclass(frozen=True)
class Reading:
    """The classifier's reading of a text for one signal."""

    signal_id: str
    answer_id: str  # an answer id, UNKNOWN or NONE
    confidence: float
    start: int = 0
    end: int = 0


def clauses(text: str) -> List[Tuple[int, int]]:
    """(start, end) of each clause of a normalised text."""
    spans, start = [], 0
    for match in _CLAUSE_BREAK.finditer(text):
        if match.start() > start:
            spans.append((start, match.start()))
        start = match.end()
    if start < len(text):
        spans.append((start, len(text)))
    return [(s, e) for s, e in spans if text[s:e].strip()]


class Featurizer:
    """Sparse features of a normalised text: char 1-3 grams with digits masked, lexicon and code matches."""

    def __init__(self, lexicon: Lexicon):
        self.lexicon = lexicon
        self.vocabulary: Dict[str, int] = {}

    def features(self, text: str) -> List[str]:
        masked = _DIGITS.sub("#", text)
        padded = f"^{masked}$"
        grams = [padded[i : i + n] for n in (1, 2, 3) for i in range(len(padded) - n + 1)]
        grams = [g for g in grams if g not in ("^", "$")]
        matches = [
            f"lex:{m.signal_id}={m.answer_id}" if m.answer_id else f"neg:{m.signal_id}={m.phrase}"
            for m in self.lexicon.scan(text, normalized=True)
        ]
        length = "len:short" if len(text) < MIN_CONTEXT_FREE_LENGTH else "len:long"
        return grams + matches + matches + [length]

    def fit(self, texts: Iterable[str]) -> None:
        vocabulary: Dict[str, int] = {}
        for text in texts:
            for feature in self.features(text):
                vocabulary.setdefault(feature, len(vocabulary))
        self.vocabulary = vocabulary

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        rows: List[int] = []
        cols: List[int] = []
        for row, text in enumerate(texts):
            seen = {self.vocabulary[f] for f in self.features(text) if f in self.vocabulary}
            rows.extend([row] * len(seen))
            cols.extend(seen)
        data = np.ones(len(rows), dtype=np.float32)
        matrix = sparse.csr_matrix((data, (rows, cols)), shape=(len(texts), len(self.vocabulary)))
        # L2-normalise so that long and short texts weigh alike.
        norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return sparse.csr_matrix(sparse.diags(1.0 / norms) @ matrix)


def with_question(matrix: sparse.csr_matrix, asked: bool) -> sparse.csr_matrix:
    """[x, asked·x, asked]: the question-conjoined view of a feature matrix."""
    flag = np.full((matrix.shape[0], 1), 1.0 if asked else 0.0, dtype=np.float32)
    conjoined = matrix if asked else sparse.csr_matrix(matrix.shape, dtype=np.float32)
    return sparse.hstack([matrix, conjoined, sparse.csr_matrix(flag)], format="csr")


class FactReader:
    """Per-signal answer classifiers; `read` returns the facts of a text, `answers_if_asked` the in-context reading."""

    def __init__(self, kb: KnowledgeBase, lexicon: Lexicon):
        self.kb = kb
        self.lexicon = lexicon
        self.featurizer = Featurizer(lexicon)
        self.models: Dict[str, LogisticRegression] = {}

    # --- training ----------------------------------------------------------------------------
    def train(self, examples: Sequence[Example], regularization: float = 8.0) -> "FactReader":
        from sklearn.linear_model import LogisticRegression

        texts = sorted({normalize_text(e.text) for e in examples})
        self.featurizer.fit(texts)
        base = self.featurizer.transform(texts)
        index = {t: i for i, t in enumerate(texts)}
        for signal in (s for s in self.kb.signals if not s.derived):
            rows: List[int] = []
            views: List[bool] = []
            labels: List[str] = []
            for example in examples:
                if example.signal_id != signal.id:
                    continue
                for asked in (False, True):
                    if example.asked is None or example.asked == asked:
                        rows.append(index[normalize_text(example.text)])
                        views.append(asked)
                        labels.append(example.label)
            if len(set(labels)) < 2:
                raise ValueError(f"signal {signal.id!r}: the training examples need at least two labels")
            matrix = sparse.vstack(
                [
                    with_question(base[[r for r, a in zip(rows, views, strict=True) if a == asked]], asked)
                    for asked in (False, True)
                ],
                format="csr",
            )
            labels = [label for asked in (False, True) for label, a in zip(labels, views, strict=True) if a == asked]
            model = LogisticRegression(C=regularization, max_iter=2000, class_weight="balanced")
            model.fit(matrix, labels)
            self.models[signal.id] = model
        logger.info("trained fact classifiers for %d signals on %d texts", len(self.models), len(texts))
        return self

    # --- reading -----------------------------------------------------------------------------
    def _classify(self, signal_id: str, matrix: sparse.csr_matrix, asked: bool) -> List[Tuple[str, float]]:
        model = self.models[signal_id]
        probabilities = model.predict_proba(with_question(matrix, asked))
        best = probabilities.argmax(axis=1)
        return [(str(model.classes_[b]), float(p[b])) for b, p in zip(best, probabilities, strict=True)]

    def _segments(self, text: str) -> List[Tuple[int, int]]:
        """The whole text, then each clause when there are several."""
        spans = clauses(text)
        return [(0, len(text))] + (spans if len(spans) > 1 else [])

    def _segment_features(self, text: str) -> Tuple[List[Tuple[int, int]], sparse.csr_matrix]:
        spans = self._segments(text)
        return spans, self.featurizer.transform([text[s:e] for s, e in spans])

    def _best(self, signal_id: str, segments, asked: bool) -> List[Reading]:
        """For each segment, the most likely label (NONE included)."""
        spans, matrix = segments
        return [
            Reading(signal_id, label, p, s, e)
            for (s, e), (label, p) in zip(spans, self._classify(signal_id, matrix, asked), strict=True)
        ]

    def read(self, text: str, threshold: float = 0.5) -> List[Reading]:
        """Facts the text states unprompted: for each signal, its surest reading over the whole text and clauses."""
        text = normalize_text(text)
        if not text or not self.models:
            return []
        readings: List[Reading] = []
        segments = self._segment_features(text)
        for signal_id in self.models:
            found = [
                r
                for r in self._best(signal_id, segments, asked=False)
                if r.answer_id not in (NONE, UNKNOWN) and r.confidence >= threshold
            ]
            if not found:
                continue
            best = max(found, key=lambda r: r.confidence)
            # A later clause that is just as sure wins: merchants correct themselves ("网不好,哦不对,网是好的").
            later = [r for r in found if r.start > best.start and r.confidence >= CORRECTION_CONFIDENCE]
            readings.append(max(later, key=lambda r: r.start) if later else best)
        return sorted(readings, key=lambda r: r.start)

    def answers_if_asked(self, text: str) -> Dict[str, Reading]:
        """For every signal: how the text reads as a reply to that signal's question.

        The surest answer over the whole text and its clauses ("没有啊,app里找不到"); NONE when no
        segment answers the question.
        """
        text = normalize_text(text)
        if not text or not self.models:
            return {}
        result = {}
        segments = self._segment_features(text)
        for signal_id in self.models:
            readings = self._best(signal_id, segments, asked=True)
            answers = [r for r in readings if r.answer_id != NONE]
            result[signal_id] = max(answers, key=lambda r: r.confidence) if answers else readings[0]
        return result


# --- training examples ----------------------------------------------------------------------
def _check(path: Path, kb: KnowledgeBase, signal_id: str, answer_id: str) -> str:
    answer_id = str(answer_id)
    if signal_id not in kb.signal_ids:
        raise KnowledgeBaseError(f"{path}: {signal_id!r} is no signal of the knowledge base")
    if not kb.is_valid_answer(signal_id, answer_id):
        raise KnowledgeBaseError(f"{path}: signal {signal_id!r} has no answer {answer_id!r}")
    return answer_id


def load_typed_answers(kb: KnowledgeBase, folder: Path = TYPED_ANSWERS_DIR) -> List[Example]:
    """The reviewed answer bank in knowledge/typed_answers/, in three shapes:

    - <signal>.yml: `signal`, then per answer `replies` (typed after the question) and `statements`
      (said unprompted), and `unknown` replies;
    - openings_*.yml: `openings`, first messages with every fact they state (`facts`, maybe {});
    - replies_*.yml: `replies` per signal, each with what it `means` for that question and any
      other fact it states (`also`); an off-target reply (means unknown, with also) says nothing
      about its own question.
    """
    examples: List[Example] = []
    for path in sorted(Path(folder).glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if "openings" in data:
            for entry in data["openings"]:
                text, facts = str(entry["text"]), entry.get("facts") or {}
                for signal_id, answer_id in facts.items():
                    examples.append(Example(text, signal_id, _check(path, kb, signal_id, answer_id), None))
                if not facts:
                    examples += [Example(text, s, NONE, None) for s in kb.signal_ids]
            continue
        if isinstance(data.get("replies"), dict):
            for signal_id, entries in data["replies"].items():
                for entry in entries or []:
                    text = str(entry["text"])
                    means = _check(path, kb, signal_id, entry.get("means", UNKNOWN))
                    also = {k: _check(path, kb, k, v) for k, v in (entry.get("also") or {}).items()}
                    label = NONE if means == UNKNOWN and also else means
                    examples.append(Example(text, signal_id, label, True))
                    if means != UNKNOWN and len(normalize_text(text)) >= MIN_CONTEXT_FREE_LENGTH:
                        examples.append(Example(text, signal_id, means, False))
                    examples += [Example(text, k, v, False) for k, v in also.items() if v != UNKNOWN]
            continue
        signal_id = data.get("signal")
        if signal_id not in kb.signal_ids:
            raise KnowledgeBaseError(f"{path}: 'signal' must name a signal of the knowledge base, not {signal_id!r}")
        for answer_id, parts in (data.get("answers") or {}).items():
            answer_id = _check(path, kb, signal_id, answer_id)
            if answer_id == UNKNOWN:
                raise KnowledgeBaseError(f"{path}: list the unknown replies under 'unknown', not as an answer")
            for reply in (parts or {}).get("replies") or []:
                reply = str(reply)
                examples.append(Example(reply, signal_id, answer_id, True))
                if len(normalize_text(reply)) >= MIN_CONTEXT_FREE_LENGTH:
                    examples.append(Example(reply, signal_id, answer_id, False))
            for statement in (parts or {}).get("statements") or []:
                examples.append(Example(str(statement), signal_id, answer_id, None))
        for reply in data.get("unknown") or []:
            examples.append(Example(str(reply), signal_id, UNKNOWN, True))
    return examples


def lexicon_examples(kb: KnowledgeBase) -> List[Example]:
    """Every lexicon phrase is a short, reliable example of its answer."""
    return [
        Example(phrase, signal.id, answer.id, None)
        for signal in kb.signals
        for answer in signal.answers
        for phrase in answer.phrases
    ]


def implied_examples(kb: KnowledgeBase, positives: Sequence[Example]) -> List[Example]:
    """What the examples say through the knowledge base's `implies`, as replies to the implied question:
    "就这一笔没到" answers the income question too.

    Without them a text that states one fact would be a negative ("says nothing") for the fact it implies.
    """
    stated = {(normalize_text(e.text), e.signal_id) for e in positives}
    implied: List[Example] = []
    for example in positives:
        if example.label in (NONE, UNKNOWN) or not kb.is_valid_answer(example.signal_id, example.label):
            continue
        if normalize_text(example.text).isdigit():
            continue  # a bare code ("96") is a code only in context; its digits say nothing else on their own
        for signal_id, answer_id in kb.signal(example.signal_id).answer(example.label).implies.items():
            if (normalize_text(example.text), signal_id) not in stated:
                # Only as a reply to the implied question: read unprompted, the engine's `implies` already
                # adds the fact, and a second reading would only add side facts to misread.
                implied.append(Example(example.text, signal_id, answer_id, True))
    return implied


def training_examples(
    kb: KnowledgeBase,
    annotated: Sequence[Tuple[str, Mapping[str, Optional[str]]]],
    no_fact_texts: Sequence[str],
    dont_know_texts: Sequence[str] = (),
    typed_answers: Optional[Sequence[Example]] = None,
    affirm_texts: Sequence[str] = (),
    deny_texts: Sequence[str] = (),
) -> List[Example]:
    """All examples, completed with negatives so that each signal's classifier sees every text.

    annotated: (text, {signal: answer}) from the NLU data; a signal not named there counts as none, one
        named with answer None (an annotation the lexicon cannot map) is left out for that text.
    no_fact_texts: greetings, control phrases, chit-chat: none for every signal.
    dont_know_texts: "不知道" and the like: unknown when asked, none otherwise.
    affirm_texts, deny_texts: bare 是/没有: when asked, the question's affirm_means / deny_means (none
        for an either/or question, which the form answers by naming the options); none otherwise.
    """
    positives = list(typed_answers if typed_answers is not None else load_typed_answers(kb))
    positives += lexicon_examples(kb)
    for text, facts in annotated:
        for signal_id, answer_id in facts.items():
            if answer_id is not None:
                positives.append(Example(text, signal_id, answer_id, None))
    positives += implied_examples(kb, positives)
    examples = list(positives)
    # A text about one signal says nothing about the others, unless it is a bare reply that only
    # means something to its own question (those stay out of the other signals' negatives when asked).
    about: Dict[str, set] = {}
    for example in positives:
        about.setdefault(normalize_text(example.text), set()).add(example.signal_id)
    for text, facts in annotated:
        if facts:
            about.setdefault(normalize_text(text), set()).update(facts)
    for text, signals in about.items():
        for signal in kb.signals:
            if signal.id not in signals:
                short = len(text) < MIN_CONTEXT_FREE_LENGTH
                examples.append(Example(text, signal.id, NONE, False if short else None))
    for text, facts in annotated:
        if not facts:
            examples += [Example(text, s, NONE, None) for s in kb.signal_ids]
    for text in no_fact_texts:
        examples += [Example(text, s, NONE, None) for s in kb.signal_ids]
    for text in dont_know_texts:
        examples += [Example(text, s, UNKNOWN, True) for s in kb.signal_ids]
        examples += [Example(text, s, NONE, False) for s in kb.signal_ids]
    for texts, meaning in ((affirm_texts, "affirm_means"), (deny_texts, "deny_means")):
        for text in texts:
            for signal in kb.signals:
                examples.append(Example(text, signal.id, getattr(signal, meaning) or NONE, True))
                examples.append(Example(text, signal.id, NONE, False))
    return examples
