"""The trained model's fact reader reads, batched (pos_expert.facts.FactReader), exactly as one
`predict_proba` per signal did (tests/support/unbatched_reader.py; issue 11).

Uses the fact reader of the trained model (models/pos-assistant.tar.gz), so it runs with the end-to-end
tests (make test-e2e trains first) and fails when there is no model. tests/test_fact_batching.py makes the
same comparison, without a trained model, in the unit tests.
"""
import pickle
import tarfile

import numpy as np
import pytest

from bench.typed import load_typed_cases
from launcher.servers import MODEL
from nlu_components.facts import MerchantFactExtractor
from pos_expert.facts import FactReader
from pos_expert.knowledge import default_knowledge_base
from pos_expert.text import lexicon_for, normalize_text
from tests.support import unbatched_reader


@pytest.fixture(scope="module")
def reader():
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` first (make test-e2e does)")
    with tarfile.open(MODEL) as archive:
        member = next((m for m in archive.getmembers() if m.name.endswith("fact_reader.pkl")), None)
        if member is None:
            pytest.fail("the model has no fact reader")
        loaded = pickle.loads(archive.extractfile(member).read())
    kb = default_knowledge_base()
    reader = FactReader(kb, lexicon_for(kb))
    reader.featurizer.vocabulary, reader.models = loaded["vocabulary"], loaded["models"]
    return reader.prepare()


@pytest.fixture(scope="module")
def texts():
    cases = load_typed_cases()
    texts = [c.opening for c in cases] + [r.text for c in cases for r in c.answers.values()]
    return texts + ["", "好的", "网不好,哦不对,网是好的", "没有啊,app里找不到", "/affirm", "顾客扫码付了,没到账。"]


@pytest.mark.parametrize("asked", [False, True])
def test_same_probabilities_as_predict_proba(reader, texts, asked):
    normalised = sorted({normalize_text(t) for t in texts} - {""})
    batched = reader.probabilities(reader.featurizer.transform(normalised), asked)
    for signal_id, expected in unbatched_reader.per_model_probabilities(reader, normalised, asked).items():
        assert np.abs(batched[signal_id] - expected).max() <= 1e-9, signal_id


def test_same_readings_as_before(reader, texts):
    for text in texts[::6] + texts[-6:]:  # a spread of openings and answers: the unbatched reader is slow
        # the order the component uses (read, then answers_if_asked), and the other way round
        assert reader.read(text, 0.5) == unbatched_reader.read(reader, text, 0.5), text
        assert reader.answers_if_asked(text) == unbatched_reader.answers_if_asked(reader, text), text
        assert reader.answers_if_asked(normalize_text(text)) == unbatched_reader.answers_if_asked(reader, text), text
        assert reader.read(text, 0.7) == unbatched_reader.read(reader, text, 0.7), text


def test_the_component_uses_the_batched_reader():
    component = MerchantFactExtractor(MerchantFactExtractor.get_default_config(), None, None)
    assert type(component.reader) is FactReader


def test_a_message_without_chinese_states_no_fact_on_its_own(reader):
    from rasa.shared.nlu.constants import ENTITIES, TEXT
    from rasa.shared.nlu.training_data.message import Message

    from nlu_components.facts import ANSWERS_IF_ASKED

    component = MerchantFactExtractor(MerchantFactExtractor.get_default_config(), None, None)
    component.reader = reader
    garbage, code, sentence = (Message(data={TEXT: t}) for t in ("\\u0000", "96", "机器报96,钱没到"))
    component.process([garbage, code, sentence])
    assert garbage.get(ENTITIES) == [] and code.get(ENTITIES) == []
    assert code.get(ANSWERS_IF_ASKED)["error_code"]["answer"] == "issuer_system"  # still an answer when asked
    assert ("error_code", "issuer_system") in {(e["entity"], e["value"]) for e in sentence.get(ENTITIES)}
