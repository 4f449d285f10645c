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

Reading is batched (issue 11): every signal's coefficients are stacked into one matrix
(`StackedClassifiers`), so a message's segments are featurised once and all signals' decision
scores, in both views, come from one sparse product; each signal's probabilities are then computed
exactly as its model's `predict_proba` would (tests/test_fact_batching.py).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Collection, Dict, Iterable, List, Mapping, NamedTuple, Optional, Sequence, Tuple

import numpy as np
import yaml
from scipy import sparse
from scipy.special import expit

from pos_expert.knowledge import UNKNOWN, KnowledgeBase, KnowledgeBaseError

if TYPE_CHECKING:  # imported lazily at run time: scikit-learn is slow to import
    from sklearn.linear_model import LogisticRegression
from pos_expert.text import NEGATION_CUES, Lexicon, normalize_text

logger = logging.getLogger(__name__)

NONE = "__nothing__"  # not an answer id: the text says nothing about the signal
TYPED_ANSWERS_DIR = Path(__file__).resolve().parent.parent / "knowledge" / "typed_answers"

# Clauses: punctuation, and the conjunctions that start a new statement ("网络正常,但是机器死机了").
_CLAUSE_BREAK = re.compile(r"[,.!?;:、。!?;:\n]+|(?:但是|可是|不过|然后|而且|结果|后来)")
_DIGITS = re.compile(r"\d+")
# A negation's scope: the few characters after 没/不/未… up to the clause's end. The characters in it get
# a marked copy ("~扣"), so that "没被扣服务费" need not read like "被扣了服务费".
_NEGATION = re.compile("|".join(sorted(NEGATION_CUES, key=len, reverse=True)))
_NEGATION_SCOPE = 6
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


def negated_grams(text: str) -> List[str]:
    """Marked 1-2 grams of the characters in a negation's scope ("没被扣什么" gives ~被, ~扣, ~被扣 …)."""
    grams: List[str] = []
    for match in _NEGATION.finditer(text):
        scope = text[match.end() : match.end() + _NEGATION_SCOPE]
        brk = _CLAUSE_BREAK.search(scope)
        scope = scope[: brk.start()] if brk else scope
        grams += [f"~{scope[i : i + n]}" for n in (1, 2) for i in range(len(scope) - n + 1)]
    return grams


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
        return grams + matches + matches + [length] + negated_grams(masked)

    def fit(self, texts: Iterable[str]) -> None:
        vocabulary: Dict[str, int] = {}
        for text in texts:
            for feature in self.features(text):
                vocabulary.setdefault(feature, len(vocabulary))
        self.vocabulary = vocabulary

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """One L2-normalised row of binary features per text (float32).

        Built directly in CSR form, with exactly the values and in-row order that building it from
        COO triples and multiplying by diag(1 / norm) gave (column indices descending), so that
        every product with it adds its terms in the same order as before: a message costs a
        fraction of a millisecond instead of several sparse constructions (issue 11).
        """
        indptr = [0]
        indices: List[int] = []
        for text in texts:
            seen = {self.vocabulary[f] for f in self.features(text) if f in self.vocabulary}
            indices.extend(sorted(seen, reverse=True))
            indptr.append(len(indices))
        counts = np.diff(np.asarray(indptr, dtype=np.int32))
        # L2-normalise so that long and short texts weigh alike (binary features: the norm is √count).
        norms = np.sqrt(counts.astype(np.float32))
        norms[norms == 0] = 1.0
        data = np.repeat(np.float32(1.0) / norms, counts)
        return sparse.csr_matrix(
            (data, np.asarray(indices, dtype=np.int32), np.asarray(indptr, dtype=np.int32)),
            shape=(len(texts), len(self.vocabulary)),
        )


def with_question(matrix: sparse.csr_matrix, asked: bool) -> sparse.csr_matrix:
    """[x, asked·x, asked]: the question-conjoined view of a feature matrix."""
    flag = np.full((matrix.shape[0], 1), 1.0 if asked else 0.0, dtype=np.float32)
    conjoined = matrix if asked else sparse.csr_matrix(matrix.shape, dtype=np.float32)
    return sparse.hstack([matrix, conjoined, sparse.csr_matrix(flag)], format="csr")


def both_views(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    """`with_question(matrix, False)` stacked on `with_question(matrix, True)`, built directly.

    The same rows, values and in-row order as the two stacked views (so the same products), without
    the general sparse stacking, which cost more than the product itself.
    """
    rows, width = matrix.shape
    indptr, indices = matrix.indptr.astype(np.int64), matrix.indices.astype(np.int64)
    unprompted = indices
    # Each asked row: the features, the same features conjoined with the question, then the flag.
    asked = np.empty(2 * len(indices) + rows, dtype=np.int64)
    dtype = np.result_type(matrix.dtype, np.float32)  # what stacking with the float32 flag gives
    asked_data = np.empty(len(asked), dtype=dtype)
    asked_ptr = indptr * 2 + np.arange(rows + 1)
    data = matrix.data.astype(dtype)
    for row in range(rows):
        start, stop, at = indptr[row], indptr[row + 1], asked_ptr[row]
        n = stop - start
        asked[at : at + n] = indices[start:stop]
        asked[at + n : at + 2 * n] = indices[start:stop] + width
        asked[at + 2 * n] = 2 * width
        asked_data[at : at + n] = data[start:stop]
        asked_data[at + n : at + 2 * n] = data[start:stop]
        asked_data[at + 2 * n] = 1.0
    return sparse.csr_matrix(
        (
            np.concatenate([data, asked_data]),
            np.concatenate([unprompted, asked]),
            np.concatenate([indptr, asked_ptr[1:] + indptr[-1]]),
        ),
        shape=(2 * rows, 2 * width + 1),
    )


def _one_vs_rest(model: "LogisticRegression") -> bool:
    """Whether `model.predict_proba` normalises one-vs-rest logistic outputs (else: softmax), as scikit-learn decides."""
    multi_class = getattr(model, "multi_class", "auto")
    return multi_class in ("ovr", "warn") or (
        multi_class in ("auto", "deprecated")
        and (model.classes_.size <= 2 or getattr(model, "solver", "lbfgs") == "liblinear")
    )


def _softmax(scores: np.ndarray) -> np.ndarray:
    """sklearn.utils.extmath.softmax, in place (same operations, so the same bits)."""
    scores -= np.max(scores, axis=1).reshape((-1, 1))
    np.exp(scores, scores)
    scores /= np.sum(scores, axis=1).reshape((-1, 1))
    return scores


class StackedClassifiers:
    """Every signal's logistic regression as one coefficient matrix: one sparse product scores them all.

    The rows of all models' `coef_` are stacked in one Fortran-ordered array, so its transpose is
    C-contiguous and scipy multiplies without copying it; each model's `coef_` then becomes a view of
    its rows, so the coefficients are held once. A row's decision score is accumulated over the row's
    features in the same order as in the model's own `decision_function`, and the probabilities are
    computed with the same operations as its `predict_proba`, so the numbers are the same. (Stacking
    rebinds the models' `coef_`: models shared with another reader stay correct but are no longer views.)
    """

    def __init__(self, models: Mapping[str, "LogisticRegression"]):
        self.signal_ids = list(models)
        self.models = dict(models)
        stacked = np.asfortranarray(np.vstack([model.coef_ for model in self.models.values()]))
        self.coef_t = stacked.T
        self.intercept = np.concatenate([model.intercept_ for model in self.models.values()])
        self.columns: Dict[str, slice] = {}
        start = 0
        for signal_id, model in self.models.items():
            stop = start + model.coef_.shape[0]
            self.columns[signal_id] = slice(start, stop)
            model.coef_ = stacked[start:stop]
            start = stop
        self.one_vs_rest = {signal_id: _one_vs_rest(model) for signal_id, model in self.models.items()}
        self.classes = {signal_id: [str(c) for c in model.classes_] for signal_id, model in self.models.items()}

    def probabilities(self, views: sparse.csr_matrix) -> Dict[str, np.ndarray]:
        """Each signal's class probabilities for the rows of `views` (question-conjoined features)."""
        scores = views @ self.coef_t + self.intercept
        result = {}
        for signal_id, columns in self.columns.items():
            # A contiguous copy of the model's columns: the row sums below then run as in scikit-learn.
            decision = np.ascontiguousarray(scores[:, columns])
            if decision.shape[1] == 1:  # binary: scikit-learn's decision_function returns one column, raveled
                positive = decision.ravel()
                if self.one_vs_rest[signal_id]:
                    expit(positive, out=positive)
                    result[signal_id] = np.vstack([1 - positive, positive]).T
                else:
                    result[signal_id] = _softmax(np.c_[-positive, positive])
            elif self.one_vs_rest[signal_id]:
                expit(decision, out=decision)
                decision /= decision.sum(axis=1).reshape((decision.shape[0], -1))
                result[signal_id] = decision
            else:
                result[signal_id] = _softmax(decision)
        return result


def corrected(found: Sequence[Reading]) -> Reading:
    """The surest reading, unless a later clause is just as sure: merchants correct themselves ("网不好,哦不对,网是好的")
    and put the fact that matters after a 但/不过 ("没人打电话,不过收款码被人换过" is a yes)."""
    best = max(found, key=lambda r: r.confidence)
    later = [r for r in found if r.start > best.start and r.confidence >= CORRECTION_CONFIDENCE]
    return max(later, key=lambda r: r.start) if later else best


class SegmentReadings(NamedTuple):
    """One text's segments and, per view (asked or not), each signal's best label and its probability."""

    text: str
    spans: List[Tuple[int, int]]
    best: Dict[bool, Dict[str, List[Tuple[str, float]]]]


class FactReader:
    """Per-signal answer classifiers; `read` returns the facts of a text, `answers_if_asked` the in-context reading."""

    def __init__(self, kb: KnowledgeBase, lexicon: Lexicon):
        self.kb = kb
        self.lexicon = lexicon
        self.featurizer = Featurizer(lexicon)
        self._models: Dict[str, LogisticRegression] = {}
        self._stacked: Optional[StackedClassifiers] = None
        # The last text's readings: the Rasa component asks `read` and `answers_if_asked` of the same text.
        self._last: Optional[SegmentReadings] = None

    @property
    def models(self) -> Dict[str, "LogisticRegression"]:
        """Signal id -> its trained classifier."""
        return self._models

    @models.setter
    def models(self, models: Dict[str, "LogisticRegression"]) -> None:
        self._models = models
        self._stacked, self._last = None, None

    def prepare(self) -> "FactReader":
        """Stacks the classifiers for batched reading (done on first use otherwise; call after loading)."""
        self._stacked = StackedClassifiers(self._models) if self._models else None
        self._last = None
        logger.debug("stacked %d fact classifiers", len(self._models))
        return self

    # --- training ----------------------------------------------------------------------------
    def train(self, examples: Sequence[Example], regularization: float = 8.0) -> "FactReader":
        from sklearn.linear_model import LogisticRegression

        texts = sorted({normalize_text(e.text) for e in examples})
        self.featurizer.fit(texts)
        base = self.featurizer.transform(texts)
        index = {t: i for i, t in enumerate(texts)}
        models: Dict[str, LogisticRegression] = {}
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
            models[signal.id] = model
        self.models = models
        logger.info("trained fact classifiers for %d signals on %d texts", len(self.models), len(texts))
        return self.prepare()

    # --- reading -----------------------------------------------------------------------------
    def probabilities(self, matrix: sparse.csr_matrix, asked: bool) -> Dict[str, np.ndarray]:
        """Every signal's class probabilities (columns in `models[signal].classes_` order) for the rows of `matrix`."""
        if self._stacked is None:
            self.prepare()
        assert self._stacked is not None
        return self._stacked.probabilities(with_question(matrix, asked))

    def _segments(self, text: str) -> List[Tuple[int, int]]:
        """The whole text, then each clause when there are several."""
        spans = clauses(text)
        return [(0, len(text))] + (spans if len(spans) > 1 else [])

    def _readings(self, text: str) -> SegmentReadings:
        """Featurise a normalised text's segments once and read them for every signal in both views."""
        last = self._last
        if last is not None and last.text == text:
            return last
        if self._stacked is None:
            self.prepare()
        assert self._stacked is not None
        spans = self._segments(text)
        matrix = self.featurizer.transform([text[s:e] for s, e in spans])
        # Both views in one product: rows 0..n-1 unprompted, n..2n-1 as a reply to the question.
        views = both_views(matrix)
        best: Dict[bool, Dict[str, List[Tuple[str, float]]]] = {False: {}, True: {}}
        for signal_id, probabilities in self._stacked.probabilities(views).items():
            classes = self._stacked.classes[signal_id]
            top = probabilities.argmax(axis=1)
            labelled = [(classes[b], float(p[b])) for b, p in zip(top, probabilities, strict=True)]
            best[False][signal_id], best[True][signal_id] = labelled[: len(spans)], labelled[len(spans) :]
        self._last = SegmentReadings(text, spans, best)
        return self._last

    def _best(self, signal_id: str, readings: SegmentReadings, asked: bool) -> List[Reading]:
        """For each segment, the most likely label (NONE included)."""
        return [
            Reading(signal_id, label, p, s, e)
            for (s, e), (label, p) in zip(readings.spans, readings.best[asked][signal_id], strict=True)
        ]

    def read(self, text: str, threshold: float = 0.5) -> List[Reading]:
        """Facts the text states unprompted: for each signal, its surest reading over the whole text and clauses."""
        text = normalize_text(text)
        if not text or not self.models:
            return []
        readings: List[Reading] = []
        segments = self._readings(text)
        for signal_id in self.models:
            found = [
                r
                for r in self._best(signal_id, segments, asked=False)
                if r.answer_id not in (NONE, UNKNOWN) and r.confidence >= threshold
            ]
            if not found:
                continue
            readings.append(corrected(found))
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
        segments = self._readings(text)
        for signal_id in self.models:
            readings = self._best(signal_id, segments, asked=True)
            answers = [r for r in readings if r.answer_id != NONE]
            result[signal_id] = corrected(answers) if answers else readings[0]
        return result


# --- training examples ----------------------------------------------------------------------
def _check(path: Path, kb: KnowledgeBase, signal_id: str, answer_id: str) -> str:
    answer_id = str(answer_id)
    if signal_id not in kb.signal_ids:
        raise KnowledgeBaseError(f"{path}: {signal_id!r} is no signal of the knowledge base")
    if not kb.is_valid_answer(signal_id, answer_id):
        raise KnowledgeBaseError(f"{path}: signal {signal_id!r} has no answer {answer_id!r}")
    return answer_id


def load_typed_answers(
    kb: KnowledgeBase, folder: Path = TYPED_ANSWERS_DIR, names: Optional[Collection[str]] = None
) -> List[Example]:
    """The reviewed answer bank in knowledge/typed_answers/, in three shapes:

    - <signal>.yml: `signal`, then per answer `replies` (typed after the question) and `statements`
      (said unprompted), and `unknown` replies;
    - openings_*.yml: `openings`, first messages with every fact they state (`facts`, maybe {});
    - replies_*.yml: `replies` per signal, each with what it `means` for that question and any
      other fact it states (`also`); an off-target reply (means unknown, with also) says nothing
      about its own question.

    `names` reads only those files of the folder (all of them when None).
    """
    examples: List[Example] = []
    for path in sorted(Path(folder).glob("*.yml")):
        if names is not None and path.name not in names:
            continue
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
