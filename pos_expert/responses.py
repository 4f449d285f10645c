"""Reply text from the domain's responses, for the places where Rasa's own NLG cannot render it.

Every fixed sentence the assistant says lives in domain.yml's responses. The actions send most of them by
name (`dispatcher.utter_message(response=...)`) and Rasa fills them in. Some text cannot go that way: a clause
inside another response (the runner-up in an explanation, the lines of the case summary), and the replies of the
input channels, which answer before any action runs. These are rendered here, from the same responses, with
Rasa's `{variable}` filling and its `audience` slot conditions.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping, Sequence

import yaml

DOMAIN_FILE = Path(__file__).resolve().parents[1] / "domain.yml"
DEFAULT_AUDIENCE = "merchant"
_PLACEHOLDER = re.compile(r"{([^\n{}]+?)}")
# How items are joined inside a sentence (毛病A、毛病B) and how quoted messages are (说法一;说法二).
ITEM_SEPARATOR = "、"
LIST_SEPARATOR = ";"

Responses = Mapping[str, Sequence[Mapping[str, Any]]]


@lru_cache(maxsize=1)
def project_responses() -> Responses:
    """The responses of the project's domain.yml (for code that has no domain at hand, such as the channels)."""
    return yaml.safe_load(DOMAIN_FILE.read_text(encoding="utf-8"))["responses"]


def variant(responses: Responses, name: str, audience: str = DEFAULT_AUDIENCE) -> Mapping[str, Any]:
    """The variant Rasa would choose: the first whose slot conditions match the audience, else the first without
    conditions. Raises KeyError for a response the domain does not have."""
    variants = responses[name]
    for candidate in variants:
        conditions = candidate.get("condition") or []
        if conditions and all(c.get("name") == "audience" and c.get("value") == audience for c in conditions):
            return candidate
    for candidate in variants:
        if not candidate.get("condition"):
            return candidate
    raise KeyError(f"{name}: no variant for audience {audience!r}")


def fill(template: str, values: Mapping[str, Any]) -> str:
    """Fills `{name}` placeholders as Rasa does; a placeholder without a value is left as it is."""
    return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]) if m.group(1) in values else m.group(0), template)


def render(responses: Responses, name: str, audience: str = DEFAULT_AUDIENCE, **values: Any) -> str:
    """The text of response `name` for `audience`, filled with `values`."""
    return fill(variant(responses, name, audience)["text"], values)


def numbered(items: Sequence[str]) -> str:
    """1. …\\n2. … (the steps of a solution)."""
    return "\n".join(f"{i}. {item}" for i, item in enumerate(items, 1))


def bulleted(items: Sequence[str]) -> str:
    """• …\\n• … (prevention advice). Not "- ": the chat widget renders that as a Markdown list, and the line
    after the list would run into its last item."""
    return "\n".join(f"• {item}" for item in items)
