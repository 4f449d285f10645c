"""MerchantFactExtractor: the one path from a merchant's text to the facts the diagnosis uses.

It trains pos_expert.facts.FactReader on the knowledge base (lexicon phrases and the typed answer
bank in knowledge/typed_answers/) and on the NLU data (annotated inform/report_problem examples,
and every other intent's examples as texts that state no fact). For each message it returns:

- `entities`: the facts the text states unprompted, one per signal, with the answer id as value
  and the classifier's confidence (`confidence_entity`);
- `answers_if_asked`: for every signal, how the whole text reads as a reply to that signal's
  question ({signal: {"answer": id, "confidence": p}}). The diagnosis form knows which question is
  open and reads its entry: "找不到" answers "交易明细里能查到吗?" but states nothing on its own.

The knowledge files are part of the fingerprint, so a change to the knowledge base, the lexicon or
the answer bank retrains this component (and what depends on it).
"""

from __future__ import annotations

import hashlib
import logging
import pickle
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Text, Tuple

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from pos_expert.facts import NONE, TYPED_ANSWERS_DIR, Example, FactReader, training_examples
from pos_expert.knowledge import DEFAULT_PATH, UNKNOWN, KnowledgeBase, default_knowledge_base
from pos_expert.text import Lexicon, has_chinese, lexicon_for, normalize_text

logger = logging.getLogger(__name__)

ANSWERS_IF_ASKED = "answers_if_asked"
EXTRACTOR_NAME = "MerchantFactExtractor"
FACT_INTENTS = ("inform", "report_problem")
DONT_KNOW_INTENT = "dont_know"
AFFIRM_INTENT, DENY_INTENT = "affirm", "deny"
_FILE = "fact_reader.pkl"
_SOURCES = (
    DEFAULT_PATH,
    Path(__file__),
    Path(__file__).resolve().parent.parent / "pos_expert" / "facts.py",
    Path(__file__).resolve().parent.parent / "pos_expert" / "text.py",
)


def knowledge_fingerprint() -> Text:
    """Hash of every file the fact reader learns from (and of the code that reads them)."""
    digest = hashlib.sha256()
    for path in list(_SOURCES) + sorted(TYPED_ANSWERS_DIR.glob("*.yml")):
        digest.update(path.name.encode())
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()


def _annotated(kb: KnowledgeBase, lexicon: Lexicon, message: Message) -> Dict[Text, Optional[Text]]:
    facts: Dict[Text, Optional[Text]] = {}
    for entity in message.get(ENTITIES) or []:
        signal_id, value = entity.get("entity"), str(entity.get("value"))
        if signal_id not in kb.signal_ids:
            continue
        if kb.is_valid_answer(signal_id, value):
            facts[signal_id] = value
        else:
            facts[signal_id] = lexicon.answer_for_entity(signal_id, value)
    return facts


def fact_training_examples(
    kb: KnowledgeBase,
    lexicon: Lexicon,
    training_data: TrainingData,
    typed_answers: Optional[Sequence[Example]] = None,
) -> List[Example]:
    """The fact reader's training examples from the NLU data: inform/report_problem examples with their
    annotated facts, 不知道 and bare 是/没有 replies, every other intent's texts as stating no fact; the answer
    bank (`typed_answers`, all of knowledge/typed_answers/ when None) and the lexicon come with them."""
    annotated: List[Tuple[Text, Mapping[Text, Optional[Text]]]] = []
    no_fact: List[Text] = []
    dont_know: List[Text] = []
    yes_no: Dict[Text, List[Text]] = {AFFIRM_INTENT: [], DENY_INTENT: []}
    for message in training_data.intent_examples:
        text, intent = message.get(TEXT), message.get(INTENT)
        if not text:
            continue
        if intent in FACT_INTENTS:
            annotated.append((text, _annotated(kb, lexicon, message)))
        elif intent == DONT_KNOW_INTENT:
            dont_know.append(text)
        elif intent in yes_no:
            yes_no[intent].append(text)
        else:
            no_fact.append(text)
    return training_examples(
        kb,
        annotated,
        no_fact,
        dont_know,
        typed_answers=typed_answers,
        affirm_texts=yes_no[AFFIRM_INTENT],
        deny_texts=yes_no[DENY_INTENT],
    )


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=True)
class MerchantFactExtractor(GraphComponent):
    """Facts for Rasa (entities) and for the actions (answers_if_asked), from one trained reader."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # Unprompted facts below this confidence are not reported as entities.
            "entity_threshold": 0.5,
            # Inverse regularisation of the per-signal logistic regressions.
            "regularization": 8.0,
        }

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[Text]:
        return knowledge_fingerprint()

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        reader: Optional[FactReader] = None,
    ) -> None:
        self.config = config
        self._model_storage = model_storage
        self._resource = resource
        self.kb = default_knowledge_base()
        self.reader = reader or FactReader(self.kb, lexicon_for(self.kb))

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "MerchantFactExtractor":
        return cls(config, model_storage, resource)

    # --- training ----------------------------------------------------------------------------
    def train(self, training_data: TrainingData) -> Resource:
        examples = fact_training_examples(self.kb, self.reader.lexicon, training_data)
        self.reader.train(examples, regularization=self.config["regularization"])
        with self._model_storage.write_to(self._resource) as directory:
            state = {"vocabulary": self.reader.featurizer.vocabulary, "models": self.reader.models}
            (Path(directory) / _FILE).write_bytes(pickle.dumps(state))
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "MerchantFactExtractor":
        component = cls(config, model_storage, resource)
        try:
            with model_storage.read_from(resource) as directory:
                state = pickle.loads((Path(directory) / _FILE).read_bytes())
        except (ValueError, FileNotFoundError):
            logger.warning("no trained fact reader in the model; facts come from the lexicon only")
            return component
        component.reader.featurizer.vocabulary = state["vocabulary"]
        component.reader.models = state["models"]
        # Stacked now rather than on the first message, so that no merchant waits for it.
        component.reader.prepare()
        return component

    # --- prediction --------------------------------------------------------------------------
    def _entities(self, text: Text) -> List[Dict[Text, Any]]:
        return [
            {
                "entity": r.signal_id,
                "value": r.answer_id,
                "start": r.start,
                "end": r.end,
                "confidence_entity": round(r.confidence, 3),
                "extractor": EXTRACTOR_NAME,
            }
            for r in self.reader.read(text, threshold=self.config["entity_threshold"])
        ]

    def _answers_if_asked(self, text: Text) -> Dict[Text, Dict[Text, Any]]:
        return {
            signal_id: {"answer": r.answer_id, "confidence": round(r.confidence, 3)}
            for signal_id, r in self.reader.answers_if_asked(text).items()
            if r.answer_id != NONE
        }

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = normalize_text(message.get(TEXT) or "")
            if not text or text.startswith("/") or not self.reader.models:
                message.set(ANSWERS_IF_ASKED, {}, add_to_output=True)
                continue
            entities = [e for e in message.get(ENTITIES, []) if e.get("extractor") != EXTRACTOR_NAME]
            # A message without one Chinese character ("\\u0000", "null") states no fact on its own; as the reply
            # to the open question it may still answer it ("96" to the error-code question).
            stated = self._entities(text) if has_chinese(text) else []
            message.set(ENTITIES, entities + stated, add_to_output=True)
            message.set(ANSWERS_IF_ASKED, self._answers_if_asked(text), add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data


__all__ = ["MerchantFactExtractor", "ANSWERS_IF_ASKED", "UNKNOWN"]
