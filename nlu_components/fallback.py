"""A FallbackClassifier that does not call two intents ambiguous when the dialogue treats them alike.

A merchant describing the problem (report_problem) and a merchant stating a fact (inform) both start or
feed the diagnosis, and many messages are honestly both ("昨天有笔380的钱没到,其他都到了"). Rasa's
FallbackClassifier would answer such a message with "没明白" because the two scores are close; here the
intents of one group count as one for the ambiguity and the confidence checks.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier
from rasa.shared.nlu.constants import INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY
from rasa.shared.nlu.training_data.message import Message

EQUIVALENT_INTENTS_KEY = "equivalent_intents"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class GroupedFallbackClassifier(FallbackClassifier):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**FallbackClassifier.get_default_config(), EQUIVALENT_INTENTS_KEY: []}

    def _group_of(self, intent_name: Optional[Text]) -> Optional[List[Text]]:
        for group in self.component_config[EQUIVALENT_INTENTS_KEY]:
            if intent_name in group:
                return group
        return None

    def _top_two_share_a_group(self, message: Message) -> bool:
        ranking = message.data.get(INTENT_RANKING_KEY, [])
        if len(ranking) < 2:
            return False
        group = self._group_of(ranking[0].get("name"))
        return group is not None and ranking[1].get("name") in group

    def _nlu_confidence_below_threshold(self, message: Message) -> Tuple[bool, float]:
        if self._top_two_share_a_group(message):
            ranking = message.data[INTENT_RANKING_KEY]
            confidence = ranking[0][PREDICTED_CONFIDENCE_KEY] + ranking[1][PREDICTED_CONFIDENCE_KEY]
            return confidence < self.component_config["threshold"], confidence
        return super()._nlu_confidence_below_threshold(message)

    def _nlu_prediction_ambiguous(self, message: Message) -> Tuple[bool, Optional[float]]:
        if self._top_two_share_a_group(message):
            return False, None
        return super()._nlu_prediction_ambiguous(message)
