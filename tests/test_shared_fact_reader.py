"""nlu_components.facts.SharedFeaturesFactReader reads exactly as pos_expert.facts.FactReader (issue 11).

Uses the fact reader of the trained model (models/pos-assistant.tar.gz), so it runs with the end-to-end
tests (make test-e2e trains first) and fails when there is no model.
"""
import pickle
import tarfile

import pytest

from bench.typed import load_typed_cases
from nlu_components.facts import MerchantFactExtractor, SharedFeaturesFactReader
from pos_expert.facts import FactReader
from pos_expert.knowledge import default_knowledge_base
from pos_expert.text import lexicon_for, normalize_text
from launcher.servers import MODEL


@pytest.fixture(scope="module")
def state():
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` first (make test-e2e does)")
    with tarfile.open(MODEL) as archive:
        member = next((m for m in archive.getmembers() if m.name.endswith("fact_reader.pkl")), None)
        if member is None:
            pytest.fail("the model has no fact reader")
        return archive.extractfile(member).read()


def _reader(cls, state):
    kb = default_knowledge_base()
    reader = cls(kb, lexicon_for(kb))
    loaded = pickle.loads(state)
    reader.featurizer.vocabulary, reader.models = loaded["vocabulary"], loaded["models"]
    return reader


def test_same_readings_as_fact_reader(state):
    plain = _reader(FactReader, state)
    shared = _reader(SharedFeaturesFactReader, state).prepare()
    cases = load_typed_cases()
    texts = [c.opening for c in cases] + [r.text for c in cases for r in c.answers.values()]
    texts = texts[::6]  # a spread of openings and answers: the plain reader is slow
    texts += ["", "好的", "网不好,哦不对,网是好的", "没有啊,app里找不到", "/affirm", "顾客扫码付了,没到账。"]
    for text in texts:
        # the order the component uses (read, then answers_if_asked), and the other way round
        assert shared.read(text, 0.5) == plain.read(text, 0.5), text
        assert shared.answers_if_asked(text) == plain.answers_if_asked(text), text
        assert shared.answers_if_asked(normalize_text(text)) == plain.answers_if_asked(text), text
        assert shared.read(text, 0.7) == plain.read(text, 0.7), text


def test_the_component_uses_the_shared_reader():
    component = MerchantFactExtractor(MerchantFactExtractor.get_default_config(), None, None)
    assert isinstance(component.reader, SharedFeaturesFactReader)
