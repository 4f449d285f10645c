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

def _run_session_start(metadata):
    import asyncio

    from rasa.core.actions.action import action_for_name_or_text
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import SlotSet
    from rasa.shared.core.trackers import DialogueStateTracker

    from runtime.session import ProjectActionSessionStart

    domain = Domain.load("domain.yml")
    assert "action_session_start" not in domain.user_actions  # so Rasa runs its default, i.e. ours
    action = action_for_name_or_text("action_session_start", domain, None)
    assert isinstance(action, ProjectActionSessionStart)
    tracker = DialogueStateTracker.from_events("s", [], domain.slots)
    if metadata is not None:
        tracker.update(SlotSet("session_started_metadata", metadata), domain)
    return asyncio.run(action.run(None, None, tracker, domain))


# The expectations of the action server's action_session_start (tests/test_actions.py before issue 11),
# now met by the Rasa server's own session start.
@pytest.mark.parametrize(
    "metadata, expected",
    [
        ({"audience": "agent"}, ["session_started", ("audience", "agent"), "action_listen"]),
        ({"audience": "merchant"}, ["session_started", ("audience", "merchant"), "action_listen"]),
        ({"audience": "admin"}, ["session_started", "action_listen"]),
        ({}, ["session_started", "action_listen"]),
        ("agent", ["session_started", "action_listen"]),
        (None, ["session_started", "action_listen"]),
    ],
)
def test_session_start_keeps_the_audience_from_the_channel_metadata(metadata, expected):
    from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet

    events = _run_session_start(metadata)
    shown = []
    for event in events:
        if isinstance(event, SessionStarted):
            shown.append("session_started")
        elif isinstance(event, SlotSet):
            shown.append((event.key, event.value))
        elif isinstance(event, ActionExecuted):
            shown.append(event.action_name)
        else:
            shown.append(repr(event))
    assert shown == expected


def test_session_start_events_are_exact_dicts():
    events = [e.as_dict() for e in _run_session_start({"audience": "agent"})]
    for event in events:
        event.pop("timestamp")
    assert events == [
        {"event": "session_started"},
        {"event": "slot", "name": "audience", "value": "agent"},
        {"event": "action", "name": "action_listen", "policy": None, "confidence": None, "action_text": None,
         "hide_rule_turn": False},
    ]


def test_session_start_patch_is_rasa_default_otherwise():
    from rasa.core.actions import action

    names = [a.name() for a in action.default_actions(None)]
    assert names == [a.name() for a in action.default_actions.__wrapped__(None)]


# --- Event.resolve_by_type remembers its answers -------------------------------------------------------
def rasa_resolve_by_type(type_name, default=None):
    """Rasa 3.6.21's Event.resolve_by_type, verbatim."""
    from rasa.shared.core.events import Event
    from rasa.shared.utils.common import all_subclasses

    for cls in all_subclasses(Event):
        if cls.type_name == type_name:
            return cls
    if type_name == "topic":
        return None
    elif default is not None:
        return default
    else:
        raise ValueError(f"Unknown event name '{type_name}'.")


def test_event_lookup_is_patched_and_answers_as_rasa():
    from rasa.shared.core.events import Event, SlotSet, UserUttered
    from rasa.shared.utils.common import all_subclasses

    assert getattr(Event.resolve_by_type, "__pos_patch__", False)
    names = sorted({c.type_name for c in all_subclasses(Event)})
    assert {"user", "slot", "action", "bot", "session_started", "active_loop"} <= set(names)
    for _ in range(2):  # first the walk, then the remembered answers
        for name in names + ["topic"]:
            assert Event.resolve_by_type(name) is rasa_resolve_by_type(name), name
        for default in (SlotSet, UserUttered):
            assert Event.resolve_by_type("no_such_event", default) is default
        with pytest.raises(ValueError, match="Unknown event name 'no_such_event'"):
            Event.resolve_by_type("no_such_event")
    # the path Rasa deserialises through
    event = Event.from_parameters({"event": "slot", "name": "audience", "value": "agent"})
    assert isinstance(event, SlotSet) and event.key == "audience"


def test_event_lookup_sees_event_classes_defined_later():
    from rasa.shared.core.events import Event, SlotSet

    assert Event.resolve_by_type("pos_test_event", SlotSet) is SlotSet  # remembered: none

    class PosTestEvent(SlotSet):
        type_name = "pos_test_event"

    assert Event.resolve_by_type("pos_test_event") is PosTestEvent is rasa_resolve_by_type("pos_test_event")
    assert Event.resolve_by_type("slot") is rasa_resolve_by_type("slot")


def _run(coroutine):
    import asyncio

    return asyncio.new_event_loop().run_until_complete(coroutine)


async def _serve(handler):
    """A loopback aiohttp server calling `handler(request)`; returns (runner, url)."""
    from aiohttp import web

    app = web.Application()
    app.router.add_post("/webhook", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    return runner, f"http://127.0.0.1:{port}/webhook"


def test_endpoint_session_patch_is_applied():
    from rasa.utils.endpoints import EndpointConfig

    assert EndpointConfig.session is rasa_patches.endpoint_session


def test_endpoint_requests_reuse_one_connection_and_send_what_rasa_sends():
    from aiohttp import web
    from rasa.utils.endpoints import EndpointConfig

    seen = []

    async def handler(request):
        seen.append((request.transport.get_extra_info("peername"), request.headers.get("X-Shop"),
                     request.headers.get("Authorization"), request.query.get("token"), await request.json()))
        return web.json_response({"events": [], "n": len(seen)})

    async def scenario():
        runner, url = await _serve(handler)
        try:
            endpoint = EndpointConfig(url, headers={"X-Shop": "a"}, token="t",
                                      basic_auth={"username": "u", "password": "p"})
            replies = [await endpoint.request(json={"i": i}, method="post") for i in range(3)]
            other = await EndpointConfig(url).request(json={"i": 9}, method="post")
            return replies, other
        finally:
            await runner.cleanup()

    replies, other = _run(scenario())
    assert [r["n"] for r in replies] == [1, 2, 3] and other["n"] == 4
    assert [s[4] for s in seen] == [{"i": 0}, {"i": 1}, {"i": 2}, {"i": 9}]
    assert {s[0] for s in seen[:3]} == {seen[0][0]}  # one connection for the endpoint's three requests
    assert seen[3][0] != seen[0][0]  # another endpoint: its own session
    assert all(s[1:4] == ("a", "Basic dTpw", "t") for s in seen[:3])
    assert seen[3][1:4] == (None, None, None)


def test_endpoint_session_survives_closed_connections_and_a_closed_session():
    from aiohttp import web
    from rasa.utils.endpoints import EndpointConfig

    async def closing(request):
        return web.json_response({"ok": True}, headers={"Connection": "close"})

    async def scenario():
        runner, url = await _serve(closing)
        try:
            endpoint = EndpointConfig(url)
            first = await endpoint.request(json={}, method="post")
            second = await endpoint.request(json={}, method="post")  # the server closed the first connection
            session = rasa_patches.kept_session(endpoint)
            await session.close()
            third = await endpoint.request(json={}, method="post")  # a closed session is replaced
            return first, second, third, rasa_patches.kept_session(endpoint) is not session
        finally:
            await runner.cleanup()

    assert _run(scenario()) == ({"ok": True}, {"ok": True}, {"ok": True}, True)


def test_endpoint_session_keepalive_is_below_the_action_servers():
    from sanic.config import DEFAULT_CONFIG

    assert rasa_patches.KEEPALIVE_SECONDS < DEFAULT_CONFIG["KEEP_ALIVE_TIMEOUT"]
