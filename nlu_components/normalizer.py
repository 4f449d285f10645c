"""Rasa component that normalises Chinese text before spaCy sees it.

繁體 → 简体, full-width → half-width, whitespace tidied (see pos_expert.text). Importing
it also loads the domain words into jieba, before SpacyNLP loads the project's pipeline.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from pos_expert.knowledge import default_knowledge_base
from pos_expert.segmentation import load_domain_dictionary
from pos_expert.text import normalize_text

load_domain_dictionary(default_knowledge_base())


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class ChineseTextNormalizer(GraphComponent):
    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "ChineseTextNormalizer":
        return cls()

    @staticmethod
    def _normalize(messages: List[Message]) -> List[Message]:
        for message in messages:
            text: Optional[Text] = message.get(TEXT)
            if text:
                message.set(TEXT, normalize_text(text))
        return messages

    def process(self, messages: List[Message]) -> List[Message]:
        return self._normalize(messages)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._normalize(training_data.training_examples)
        return training_data
