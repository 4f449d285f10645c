"""Patches of Rasa 3.6.21 that remove per-call cost without changing behaviour.

RemoteAction._validate_action_result calls ``jsonschema.validate(result, spec)`` on every action-server
response. ``jsonschema.validate`` first checks ``spec`` against its meta-schema (``check_schema``), then
builds a validator, then validates: the meta-schema check is most of a call's cost (EVENTS_SCHEMA is large)
and its result never changes. The patched method checks the schema once, keeps the validator, and per call
does exactly what ``jsonschema.validate`` does after that: ``best_match(validator.iter_errors(result))``,
raising that error with the same message suffix Rasa adds. Same errors, same messages, same return value.

Event.resolve_by_type walks every subclass of Event (rasa.shared.utils.common.all_subclasses, recursive,
with an abstractness check per class) for every event it deserialises: each stored event when a tracker
is retrieved, each event an action returns. The patched lookup keeps the answer per type name and forgets
all of them whenever a new Event subclass is defined, so it returns what the walk would.

EndpointConfig.request opens a new aiohttp ClientSession, and with it a new TCP connection, for every
request: every action-server call pays a connect and a new connection task on both servers. The patched
``EndpointConfig.session`` hands ``request`` one kept session per endpoint and event loop, whose pooled
connections are reused while they are younger than KEEPALIVE_SECONDS (below the action server's own
keep-alive timeout, Sanic's 5 s, so the client never sends on a connection the server is closing). Same
headers, authentication, timeout, requests and responses; only the connection is reused.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import weakref
from typing import Any, Callable, Dict, List, Text

import rasa
from rasa.shared.core.constants import ACTION_SESSION_START_NAME

logger = logging.getLogger(__name__)

SUPPORTED_RASA_VERSION = "3.6.21"
# Set RASA_PATCHES_ALLOW_VERSION=<version> only after re-reading the patched methods in that version.
_ALLOW_ENV = "RASA_PATCHES_ALLOW_VERSION"

_validators: Dict[type, Any] = {}
_lock = threading.Lock()


class UnsupportedRasaVersion(RuntimeError):
    """Rasa is not the version these patches were written and tested against."""


def check_rasa_version(version: Text | None = None) -> None:
    """Refuses to start on a Rasa other than the one the patches were reviewed for."""
    import os

    version = rasa.__version__ if version is None else version
    if version == SUPPORTED_RASA_VERSION or version == os.environ.get(_ALLOW_ENV):
        return
    raise UnsupportedRasaVersion(
        f"runtime/rasa_patches.py patches Rasa {SUPPORTED_RASA_VERSION}, but Rasa {version} is installed. "
        f"Check that RemoteAction._validate_action_result is unchanged (or fixed upstream, see "
        f"docs/rasa-upstream.md), then update SUPPORTED_RASA_VERSION (or set {_ALLOW_ENV}={version})."
    )


def _validator_for(action_class: type) -> Any:
    validator = _validators.get(action_class)
    if validator is None:
        from jsonschema.validators import validator_for

        with _lock:
            validator = _validators.get(action_class)
            if validator is None:
                spec = action_class.action_response_format_spec()  # type: ignore[attr-defined]
                cls = validator_for(spec)
                cls.check_schema(spec)  # once, as jsonschema.validate would on every call
                validator = cls(spec)
                _validators[action_class] = validator
    return validator


def validate_action_result(self: Any, result: Dict[Text, Any]) -> bool:
    """RemoteAction._validate_action_result with the validator built once per action class."""
    from jsonschema import ValidationError
    from jsonschema.exceptions import best_match
    from rasa.shared.constants import DOCS_BASE_URL

    error = best_match(_validator_for(type(self)).iter_errors(result))
    if error is None:
        return True
    assert isinstance(error, ValidationError)
    error.message += (
        f". Failed to validate Action server response from API, "
        f"make sure your response from the Action endpoint is valid. "
        f"For more information about the format visit "
        f"{DOCS_BASE_URL}/custom-actions"
    )
    raise error


validate_action_result.__pos_patch__ = True  # type: ignore[attr-defined]


_event_classes: Dict[Text, Any] = {}


def _forget_event_classes(cls: type, **kwargs: Any) -> None:
    """Event.__init_subclass__: a new event class may answer a type name, so look again."""
    _event_classes.clear()


def resolve_event_type(type_name: Text, default: Any = None) -> Any:
    """Event.resolve_by_type, remembering the walk's answer per type name."""
    from rasa.shared.core.events import Event
    from rasa.shared.utils.common import all_subclasses

    if type_name not in _event_classes:
        # The first subclass in the walk's order with that type name, as Rasa's loop returns; None: none.
        _event_classes[type_name] = next((c for c in all_subclasses(Event) if c.type_name == type_name), None)
    found = _event_classes[type_name]
    if found is not None:
        return found
    if type_name == "topic":
        return None  # backwards compatibility to support old TopicSet evts
    elif default is not None:
        return default
    else:
        raise ValueError(f"Unknown event name '{type_name}'.")


resolve_event_type.__pos_patch__ = True  # type: ignore[attr-defined]


def _with_project_session_start(original: Callable[..., List[Any]]) -> Callable[..., List[Any]]:
    from runtime.session import ProjectActionSessionStart

    def default_actions(action_endpoint: Any = None) -> List[Any]:
        return [
            ProjectActionSessionStart() if a.name() == ACTION_SESSION_START_NAME else a
            for a in original(action_endpoint)
        ]

    default_actions.__pos_patch__ = True  # type: ignore[attr-defined]
    default_actions.__wrapped__ = original  # type: ignore[attr-defined]
    return default_actions


KEEPALIVE_SECONDS = 2.0
# event loop -> {id(endpoint): (endpoint, session)}; weak on the loop, so a closed test loop takes its sessions
_kept_sessions: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Dict[int, Any]]" = weakref.WeakKeyDictionary()


class KeptSession:
    """What ``async with endpoint.session()`` enters: the endpoint's kept ClientSession, left open on exit."""

    def __init__(self, endpoint: Any) -> None:
        self.endpoint = endpoint

    async def __aenter__(self) -> Any:
        return kept_session(self.endpoint)

    async def __aexit__(self, *exc_info: Any) -> bool:
        return False


def kept_session(endpoint: Any) -> Any:
    """The endpoint's ClientSession for the running loop, built as Rasa's EndpointConfig.session builds one."""
    import aiohttp
    from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT

    sessions = _kept_sessions.setdefault(asyncio.get_running_loop(), {})
    kept = sessions.get(id(endpoint))
    if kept is not None and kept[0] is endpoint and not kept[1].closed:
        return kept[1]
    auth = None
    if endpoint.basic_auth:
        auth = aiohttp.BasicAuth(endpoint.basic_auth["username"], endpoint.basic_auth["password"])
    session = aiohttp.ClientSession(
        headers=endpoint.headers,
        auth=auth,
        timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
        connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_SECONDS),
    )
    sessions[id(endpoint)] = (endpoint, session)  # the endpoint is kept too, so its id is not reused
    return session


def endpoint_session(self: Any) -> KeptSession:
    """EndpointConfig.session: a kept session per endpoint and event loop (see the module docstring)."""
    return KeptSession(self)


endpoint_session.__pos_patch__ = True  # type: ignore[attr-defined]


def apply_patches() -> None:
    """Idempotent: safe to call from every module that needs the patches.

    1. RemoteAction._validate_action_result builds its validator once (see the module docstring).
    2. Rasa's default action_session_start is runtime.session.ProjectActionSessionStart, which also sets
       the audience slot from the channel's session metadata; the domain no longer lists
       action_session_start, so session start is no longer a call to the action server.
    3. Event.resolve_by_type remembers which class answers a type name (see the module docstring).
    4. EndpointConfig.session keeps one session, and its connections, per endpoint and event loop.
    """
    from rasa.core.actions import action
    from rasa.shared.core.events import Event
    from rasa.utils.endpoints import EndpointConfig

    if not getattr(action.RemoteAction._validate_action_result, "__pos_patch__", False):
        action.RemoteAction._validate_action_result = validate_action_result
        logger.debug("runtime: RemoteAction._validate_action_result uses a validator built once")
    if not getattr(action.default_actions, "__pos_patch__", False):
        action.default_actions = _with_project_session_start(action.default_actions)
        logger.debug("runtime: action_session_start runs in the Rasa server")
    if not getattr(Event.resolve_by_type, "__pos_patch__", False):
        Event.__init_subclass__ = classmethod(_forget_event_classes)
        _event_classes.clear()
        Event.resolve_by_type = staticmethod(resolve_event_type)
        logger.debug("runtime: Event.resolve_by_type remembers its answers")
    if not getattr(EndpointConfig.session, "__pos_patch__", False):
        EndpointConfig.session = endpoint_session
        logger.debug("runtime: endpoints keep their HTTP connections")


def is_patched() -> bool:
    from rasa.core.actions import action
    from rasa.shared.core.events import Event
    from rasa.utils.endpoints import EndpointConfig

    return bool(
        getattr(action.RemoteAction._validate_action_result, "__pos_patch__", False)
        and getattr(action.default_actions, "__pos_patch__", False)
        and getattr(Event.resolve_by_type, "__pos_patch__", False)
        and getattr(EndpointConfig.session, "__pos_patch__", False)
    )
