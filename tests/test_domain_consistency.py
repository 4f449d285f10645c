"""domain.yml, the knowledge base and the action code name the same causes, actions, responses and intents.

The signal entities, slots and form slots are generated from the knowledge base: tests/test_domain_blocks.py.
"""

import re
import warnings
from pathlib import Path

import pytest
import yaml
from rasa_sdk.executor import ActionExecutor

ROOT = Path(__file__).resolve().parents[1]
DOMAIN_PATH = ROOT / "domain.yml"
ACTIONS_DIR = ROOT / "actions"
# Slots that are not signals; none of them may be filled from user input by Rasa itself.
SESSION_SLOTS = {
    "audience",
    "diagnosed_cause",
    "excluded_causes",
    "asked_signals",
    "pending_answer",
    "unclear_replies",
    "rejected_answers",
    "case_messages",
    "sale_time",
}


@pytest.fixture(scope="module")
def domain():
    return yaml.safe_load(DOMAIN_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def registered_actions():
    """name -> class of every custom action the action server registers from the actions package."""
    executor = ActionExecutor()
    executor.register_package("actions")
    return {
        name: run.__self__.__class__
        for name, run in executor.actions.items()
        if run.__self__.__class__.__module__.split(".")[0] == "actions"
    }


def action_sources():
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(ACTIONS_DIR.glob("*.py"))}


def test_the_domain_loads_in_rasa():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # Rasa always warns that slot auto-fill was removed
        warnings.simplefilter("ignore", DeprecationWarning)  # pkg_resources, from Rasa's own imports
        from rasa.shared.core.domain import Domain

        loaded = Domain.load(str(DOMAIN_PATH))
    assert loaded.form_names == ["diagnosis_form"]
    assert "validate_diagnosis_form" in loaded.user_actions


def test_the_slots_besides_the_signals_are_the_session_slots(kb, domain):
    """The signal slots are generated (tests/test_domain_blocks.py); the hand-written ones are these."""
    assert set(domain["slots"]) - set(kb.signal_ids) == SESSION_SLOTS


def test_diagnosed_cause_values_are_the_cause_ids(kb, domain):
    slot = domain["slots"]["diagnosed_cause"]
    assert slot["type"] == "categorical"
    assert slot["values"] == kb.cause_ids


def test_audience_values_are_the_audiences_the_actions_know(domain):
    from actions.common import AUDIENCES

    slot = domain["slots"]["audience"]
    assert slot["values"] == list(AUDIENCES)
    assert slot["initial_value"] == "merchant"


def test_every_slot_is_filled_by_the_actions_only(domain):
    """No entity, intent or text mapping: user input can never set diagnosed_cause (or anything else) directly."""
    for name, slot in domain["slots"].items():
        assert slot["mappings"] == [{"type": "custom"}], name
    assert "diagnosed_cause" not in domain["entities"]
    assert "requested_slot" not in domain["slots"]  # Rasa adds it; the form sets it


def test_domain_actions_are_exactly_the_registered_custom_actions(domain, registered_actions):
    assert len(domain["actions"]) == len(set(domain["actions"]))
    assert set(domain["actions"]) == set(registered_actions)


def test_every_action_class_in_the_code_is_registered(registered_actions):
    """Also by reading the code, so an action class the executor would skip is caught as well."""
    names = set()
    for source in action_sources().values():
        names.update(re.findall(r"def name\(self\) -> Text:\s+return \"(\w+)\"", source))
    assert names == set(registered_actions)
    assert "validate_diagnosis_form" in names


def test_the_validation_action_belongs_to_the_form(domain):
    from actions.diagnosis_form import FORM_NAME, ValidateDiagnosisForm

    assert FORM_NAME in domain["forms"]
    assert ValidateDiagnosisForm().name() == f"validate_{FORM_NAME}"
    assert ValidateDiagnosisForm().form_name() == FORM_NAME


def test_every_response_the_actions_send_is_in_the_domain(domain):
    used = set()
    for source in action_sources().values():
        used.update(re.findall(r"response=\"(utter_\w+)\"", source))
    assert used, "the actions send at least utter_not_understood_answer"
    assert used <= set(domain["responses"])


def test_every_intent_the_actions_name_is_in_the_domain(domain):
    from actions.diagnosis_form import INTERRUPTING_INTENTS
    from actions.facts import AFFIRM_INTENTS, DENY_INTENTS, DONT_KNOW_INTENT

    intents = set(domain["intents"])
    assert set(INTERRUPTING_INTENTS) <= intents
    assert set(AFFIRM_INTENTS + DENY_INTENTS + (DONT_KNOW_INTENT,)) <= intents
    # The question buttons (actions.common.options_payload) send /inform{...} and /dont_know.
    assert {"inform", "dont_know", "report_problem"} <= intents


def test_every_button_in_the_responses_sends_a_known_intent(domain):
    intents = set(domain["intents"])
    for name, variants in domain["responses"].items():
        for variant in variants:
            for button in variant.get("buttons", []):
                intent = re.match(r"/(\w+)", button["payload"]).group(1)
                assert intent in intents, (name, button)
