"""The batched fact reader (issue 11) reads exactly as one `predict_proba` per signal did.

pos_expert.facts.FactReader stacks every signal's classifier into one matrix and scores a message's
segments, in both question views, with one sparse product. Compared here with each model's own
`predict_proba` (tests/support/unbatched_reader.py) on every text of the typed answer bank: the
probabilities within 1e-9, and `read` / `answers_if_asked` unchanged. The reader is trained on a
twentieth of the answer bank's texts (a few seconds); the trained model's reader is compared the same
way in tests/test_shared_fact_reader.py (end-to-end tests).
"""
import copy

import numpy as np
import pytest
from scipy import sparse
from sklearn.linear_model import LogisticRegression

from pos_expert.facts import (
    NONE,
    FactReader,
    both_views,
    clauses,
    load_typed_answers,
    training_examples,
    with_question,
)
from pos_expert.text import lexicon_for, normalize_text
from tests.support import unbatched_reader

TOLERANCE = 1e-9


@pytest.fixture(scope="module")
def bank_texts(kb):
    """Every distinct text of knowledge/typed_answers, normalised, with each clause of the longer ones."""
    texts = sorted({normalize_text(e.text) for e in load_typed_answers(kb)} - {""})
    pieces = {t[s:e] for t in texts for s, e in clauses(t)}
    return texts + sorted(pieces - set(texts))


@pytest.fixture(scope="module")
def reader(kb):
    examples = training_examples(kb, [], [], dont_know_texts=["不知道", "不清楚"], affirm_texts=["是的"],
                                 deny_texts=["没有"])
    texts = sorted({normalize_text(e.text) for e in examples})
    keep = set(texts[::20])
    return FactReader(kb, lexicon_for(kb)).train([e for e in examples if normalize_text(e.text) in keep])


@pytest.fixture(scope="module")
def mixed_reader(kb, reader):
    """The trained reader plus one-vs-rest and binary classifiers, so that every branch of predict_proba is used."""
    mixed = FactReader(kb, reader.lexicon)
    mixed.featurizer.vocabulary = reader.featurizer.vocabulary
    models = copy.deepcopy(reader.models)
    first, second, third = list(models)[:3]
    base = reader.featurizer.transform(sorted(reader.featurizer.vocabulary)[:400])
    rng = np.random.default_rng(11)
    for name, labels, multi_class in ((first, 4, "ovr"), (second, 2, "auto"), (third, 2, "multinomial")):
        matrix = with_question(base, bool(rng.integers(2)))
        model = LogisticRegression(C=8.0, max_iter=500, multi_class=multi_class)
        models[name] = model.fit(matrix, [f"answer_{i % labels}" for i in range(matrix.shape[0])])
    mixed.models = models
    return mixed


def _same_matrix(a, b):
    assert a.shape == b.shape and a.dtype == b.dtype
    for name in ("indptr", "indices", "data"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name


def test_features_are_built_as_before(reader, bank_texts):
    """The same values in the same in-row order: products with them add the same terms in the same order."""
    texts = bank_texts + ["", "~~~"]
    _same_matrix(reader.featurizer.transform(texts), unbatched_reader.transform(reader, texts))


def test_both_views_are_the_stacked_question_views(reader, bank_texts):
    for texts in (bank_texts[:1], bank_texts[:7], bank_texts, ["~~~", "好的", "~~~"]):
        matrix = reader.featurizer.transform(texts)
        stacked = sparse.vstack([with_question(matrix, False), with_question(matrix, True)], format="csr")
        _same_matrix(both_views(matrix), stacked)


def _max_difference(reader, texts, asked):
    batched = reader.probabilities(reader.featurizer.transform(texts), asked)
    expected = unbatched_reader.per_model_probabilities(reader, texts, asked)
    assert list(batched) == list(expected)
    for signal_id, probabilities in expected.items():
        assert batched[signal_id].shape == probabilities.shape, signal_id
    return max(float(np.abs(batched[s] - p).max()) for s, p in expected.items())


@pytest.mark.parametrize("asked", [False, True])
def test_batched_probabilities_are_predict_proba(reader, bank_texts, asked):
    assert len(bank_texts) > 1000
    assert _max_difference(reader, bank_texts, asked) <= TOLERANCE


@pytest.mark.parametrize("asked", [False, True])
def test_one_vs_rest_and_binary_models_too(mixed_reader, bank_texts, asked):
    assert {len(m.classes_) for m in mixed_reader.models.values()} >= {2, 4}
    assert _max_difference(mixed_reader, bank_texts[::5], asked) <= TOLERANCE


def _same(batched, unbatched):
    assert (batched.signal_id, batched.answer_id, batched.start, batched.end) == (
        unbatched.signal_id, unbatched.answer_id, unbatched.start, unbatched.end)
    assert abs(batched.confidence - unbatched.confidence) <= TOLERANCE


@pytest.mark.parametrize("which", ["reader", "mixed_reader"])
def test_readings_unchanged(request, bank_texts, which):
    reader = request.getfixturevalue(which)
    texts = bank_texts[::12] + ["", "好的", "网不好,哦不对,网是好的", "没有啊,app里找不到", "顾客扫码付了,没到账。"]
    answered = 0
    for text in texts:
        for threshold in (0.5, 0.7):
            batched, unbatched = reader.read(text, threshold), unbatched_reader.read(reader, text, threshold)
            assert len(batched) == len(unbatched), text
            for b, u in zip(batched, unbatched, strict=True):
                _same(b, u)
        batched_answers, unbatched_answers = reader.answers_if_asked(text), unbatched_reader.answers_if_asked(
            reader, text)
        assert list(batched_answers) == list(unbatched_answers), text
        for signal_id, u in unbatched_answers.items():
            _same(batched_answers[signal_id], u)
        answered += sum(r.answer_id != NONE for r in unbatched_answers.values())
    assert answered > len(texts) // 4  # the comparison covers real answers, not only NONE


def test_the_last_text_is_featurised_once(reader, monkeypatch):
    calls = []
    transform = reader.featurizer.transform
    monkeypatch.setattr(reader.featurizer, "transform", lambda texts: calls.append(texts) or transform(texts))
    text = normalize_text("顾客刷卡显示成功,但是钱没到账")
    reader.read(text)
    reader.answers_if_asked(text)
    reader.read(text, 0.7)
    assert len(calls) == 1
    reader.answers_if_asked("网络正常")
    assert len(calls) == 2


def test_new_models_are_stacked_again(kb, reader):
    other = FactReader(kb, reader.lexicon)
    other.featurizer.vocabulary = reader.featurizer.vocabulary
    models = copy.deepcopy(reader.models)
    other.models = models
    text = "机器显示交易成功"
    first = other.answers_if_asked(text)
    other.models = {}
    assert other.answers_if_asked(text) == {} and other.read(text) == []
    other.models = models
    assert other.answers_if_asked(text) == first


def test_coefficients_are_held_once(reader):
    """Each model's coef_ is a view of the stacked matrix (no second copy in the server's memory)."""
    stacked = reader._stacked
    assert stacked is not None
    assert stacked.coef_t.flags.c_contiguous
    for model in reader.models.values():
        assert np.shares_memory(model.coef_, stacked.coef_t)
