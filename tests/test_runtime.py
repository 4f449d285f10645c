"""runtime/: the Rasa patches are applied, validate exactly as Rasa does, and refuse another Rasa (issue 11)."""
import copy

import jsonschema
import pytest
import rasa
from rasa.core.actions.action import RemoteAction

import nlu_components  # noqa: F401  (what loads runtime/ in a Rasa process)
from runtime import rasa_patches
from runtime.rasa_patches import UnsupportedRasaVersion, check_rasa_version


def rasa_original(result):
    """Rasa 3.6.21's RemoteAction._validate_action_result, verbatim but for the method's self."""
    from jsonschema import ValidationError, validate
    from rasa.shared.constants import DOCS_BASE_URL

    try:
        validate(result, RemoteAction.action_response_format_spec())
        return True
    except ValidationError as e:
        e.message += (
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise e


VALID = [
    {},
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "audience", "value": "merchant", "timestamp": None}],
     "responses": [{"text": "您好", "buttons": [{"title": "是", "payload": "/affirm"}]}]},
    {"events": [{"event": "active_loop", "name": "diagnosis_form"},
                {"event": "action", "name": "action_listen", "policy": None, "confidence": None}],
     "responses": [{"response": "utter_greet"}]},
]
INVALID = [
    [],
    "text",
    {"events": {"event": "slot"}},
    {"events": [{"event": "no_such_event"}]},
    {"events": [{"name": "audience"}]},
    {"responses": ["not an object"]},
    {"events": [{"event": "slot", "name": 3, "value": 1}]},
]


def test_patch_is_applied_on_import():
    assert rasa_patches.is_patched()
    assert RemoteAction._validate_action_result is rasa_patches.validate_action_result


def test_apply_is_idempotent():
    rasa_patches.apply_patches()
    rasa_patches.apply_patches()
    assert RemoteAction._validate_action_result is rasa_patches.validate_action_result


@pytest.mark.parametrize("result", VALID)
def test_valid_responses_validate_as_in_rasa(result):
    action = RemoteAction("action_x", None)
    assert rasa_original(copy.deepcopy(result)) is True
    assert action._validate_action_result(copy.deepcopy(result)) is True


@pytest.mark.parametrize("result", INVALID)
def test_invalid_responses_raise_the_same_error(result):
    action = RemoteAction("action_x", None)
    with pytest.raises(jsonschema.ValidationError) as expected:
        rasa_original(copy.deepcopy(result))
    with pytest.raises(jsonschema.ValidationError) as got:
        action._validate_action_result(copy.deepcopy(result))
    assert got.value.message == expected.value.message
    assert list(got.value.absolute_path) == list(expected.value.absolute_path)
    assert list(got.value.absolute_schema_path) == list(expected.value.absolute_schema_path)
    assert got.value.validator == expected.value.validator
    assert "Failed to validate Action server response from API" in got.value.message


def test_validator_is_built_once(monkeypatch):
    calls = []
    original = jsonschema.Draft202012Validator.check_schema.__func__

    def counting(cls, schema, *args, **kwargs):
        calls.append(1)
        return original(cls, schema, *args, **kwargs)

    monkeypatch.setattr(rasa_patches, "_validators", {})
    for cls in (jsonschema.Draft4Validator, jsonschema.Draft7Validator, jsonschema.Draft202012Validator):
        monkeypatch.setattr(cls, "check_schema", classmethod(counting))
    action = RemoteAction("action_x", None)
    for _ in range(5):
        action._validate_action_result({"events": [], "responses": []})
    assert len(calls) == 1


def test_guard_accepts_the_supported_version():
    assert rasa.__version__ == rasa_patches.SUPPORTED_RASA_VERSION
    check_rasa_version()


def test_guard_refuses_another_rasa(monkeypatch):
    monkeypatch.delenv("RASA_PATCHES_ALLOW_VERSION", raising=False)
    with pytest.raises(UnsupportedRasaVersion, match="3.7.0"):
        check_rasa_version("3.7.0")
    monkeypatch.setattr(rasa, "__version__", "3.6.22")
    with pytest.raises(UnsupportedRasaVersion):
        check_rasa_version()


def test_guard_runs_at_import(monkeypatch):
    """A process that imports runtime/ on another Rasa fails at start-up, not later."""
    import importlib
    import sys

    monkeypatch.delenv("RASA_PATCHES_ALLOW_VERSION", raising=False)
    monkeypatch.setattr(rasa, "__version__", "4.0.0")
    saved = sys.modules.pop("runtime")
    try:
        with pytest.raises(UnsupportedRasaVersion):
            importlib.import_module("runtime")
    finally:
        sys.modules["runtime"] = saved


def test_guard_can_be_overridden_explicitly(monkeypatch):
    monkeypatch.setenv("RASA_PATCHES_ALLOW_VERSION", "3.6.22")
    check_rasa_version("3.6.22")


# --- session start in the Rasa server ------------------------------------------------------------------------

SESSION_METADATA = [{"audience": "agent"}, {"audience": "merchant"}, {"audience": "admin"}, None, {}, "agent"]


def _as_comparable(event_dicts):
    return [{k: v for k, v in e.items() if k != "timestamp"} for e in event_dicts]


@pytest.mark.parametrize("metadata", SESSION_METADATA)
def test_in_server_session_start_gives_the_action_servers_events(tracker_state, metadata):
    """Same events as actions/session.py's action_session_start (which tests/test_actions.py pins)."""
    import asyncio

    from rasa.core.actions.action import action_for_name_or_text
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import SlotSet
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher

    from actions.session import ActionSessionStart as ActionServerSessionStart
    from runtime.session import ProjectActionSessionStart

    domain = Domain.load("domain.yml")
    assert "action_session_start" not in domain.user_actions
    action = action_for_name_or_text("action_session_start", domain, None)
    assert isinstance(action, ProjectActionSessionStart)

    tracker = DialogueStateTracker.from_events("s", [], domain.slots)
    if metadata:
        tracker.update(SlotSet("session_started_metadata", metadata), domain)
    in_server = asyncio.run(action.run(None, None, tracker, domain))

    state = tracker_state(slots={"session_started_metadata": metadata}, events=[], latest_action_name=None)
    remote = asyncio.run(ActionServerSessionStart().run(CollectingDispatcher(), Tracker.from_dict(state), {}))

    # what the Rasa server made of the action server's reply (RemoteAction.run deserialises it so)
    from rasa.shared.core.events import deserialise_events

    from_remote = [e.as_dict() for e in deserialise_events(remote)]
    assert _as_comparable([e.as_dict() for e in in_server]) == _as_comparable(from_remote)
    assert in_server == deserialise_events(remote)


def test_session_start_patch_is_rasa_default_otherwise():
    from rasa.core.actions import action

    names = [a.name() for a in action.default_actions(None)]
    assert names == [a.name() for a in action.default_actions.__wrapped__(None)]
