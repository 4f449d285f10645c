"""Writes the signal blocks of domain.yml from the knowledge base (knowledge/knowledge_base.yml).

Every signal of the knowledge base needs an entity (the fact extractor reports answers as entities), a slot
(the form keeps the answer there) and, unless it is derived, a place in the form's required_slots. Those three
lists live in domain.yml between marker comments and are generated here, in knowledge-base order, so a new
signal is added in the knowledge base only:

    # >>> signal entities: generated from knowledge/knowledge_base.yml by `make domain`; do not edit
    - payment_channel
    ...
    # <<< signal entities: generated

Derived signals (e.g. payout_due, worked out by the actions from the sale date and the settlement cycle) get a
slot but no entity and no place in the form: they are never asked. Everything outside the markers is
hand-written and left as it is.

Regenerate with `make domain` (python -m pos_expert.domain_blocks); `--check` exits 1 when domain.yml is stale,
and tests/test_domain_blocks.py fails then too.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Callable, Dict, List, Sequence

from pos_expert.knowledge import KnowledgeBase, default_knowledge_base

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
DOMAIN_PATH = ROOT / "domain.yml"
COMMAND = "make domain"
BEGIN = "# >>> {name}: generated from knowledge/knowledge_base.yml by `" + COMMAND + "`; do not edit"
END = "# <<< {name}: generated"


class DomainBlocksError(ValueError):
    """domain.yml lacks a block's markers, or has them twice or out of order; the message says which."""


def _entities(kb: KnowledgeBase) -> List[str]:
    # Derived signals are never extracted from what the merchant types, so they have no entity.
    return [f"- {s.id}" for s in kb.signals if not s.derived]


def _slots(kb: KnowledgeBase) -> List[str]:
    lines: List[str] = []
    for signal in kb.signals:
        lines.append(f"{signal.id}:")
        if signal.derived:
            lines.append(f"  # {signal.name_zh}: derived (knowledge base), worked out by the actions, never asked")
        # The actions fill every signal slot (custom mapping): an entity never sets one by itself, and the
        # engine, not the dialogue policy, decides what to ask next.
        lines += ["  type: text", "  influence_conversation: false", "  mappings:", "  - type: custom"]
    return lines


def _required_slots(kb: KnowledgeBase) -> List[str]:
    # Only the signals the form may ask; validate_diagnosis_form picks the real order from the engine.
    return [f"- {s.id}" for s in kb.signals if not s.derived]


# Block name (as written in the markers) -> its lines, unindented; the marker's indentation is added.
BLOCKS: Dict[str, Callable[[KnowledgeBase], List[str]]] = {
    "signal entities": _entities,
    "signal slots": _slots,
    "diagnosis_form required_slots": _required_slots,
}


def _find_marker(lines: Sequence[str], marker: str, name: str, after: int = -1) -> int:
    hits = [i for i, line in enumerate(lines) if line.strip() == marker]
    if len(hits) != 1:
        found = "not found" if not hits else f"found {len(hits)} times"
        raise DomainBlocksError(f"domain.yml: marker for the {name} block {found}: {marker!r}")
    if hits[0] <= after:
        raise DomainBlocksError(f"domain.yml: the end marker of the {name} block comes before its start")
    return hits[0]


def render_domain(domain_text: str, kb: KnowledgeBase) -> str:
    """domain_text with the content between each pair of markers replaced by the blocks generated from kb."""
    lines = domain_text.split("\n")
    for name, render in BLOCKS.items():
        begin = _find_marker(lines, BEGIN.format(name=name), name)
        end = _find_marker(lines, END.format(name=name), name, after=begin)
        # The marker's indentation is the block's: column 0 for entities, 2 for slots, 4 for required_slots.
        indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())]
        lines[begin + 1 : end] = [indent + line for line in render(kb)]
    return "\n".join(lines)


def stale_blocks(domain_text: str, kb: KnowledgeBase) -> List[str]:
    """Names of the generated blocks whose content in domain_text differs from what kb generates."""
    fresh = render_domain(domain_text, kb).split("\n")
    current = domain_text.split("\n")
    stale = []
    for name in BLOCKS:
        begin, end = BEGIN.format(name=name), END.format(name=name)
        spans = []
        for lines in (current, fresh):
            start = _find_marker(lines, begin, name)
            spans.append(lines[start : _find_marker(lines, end, name, after=start)])
        if spans[0] != spans[1]:
            stale.append(name)
    return stale


def main(argv: Sequence[str]) -> int:
    """Rewrite the generated blocks of domain.yml, or with --check exit 1 when they are stale."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    text = DOMAIN_PATH.read_text(encoding="utf-8")
    kb = default_knowledge_base()
    try:
        fresh = render_domain(text, kb)
    except DomainBlocksError as error:
        logger.error("%s", error)
        return 2
    if "--check" in argv:
        stale = stale_blocks(text, kb)
        if stale:
            logger.error(
                "domain.yml is stale: the %s block(s) differ from knowledge/knowledge_base.yml; run `%s` "
                "(python -m pos_expert.domain_blocks)",
                ", ".join(stale),
                COMMAND,
            )
            return 1
        logger.info("domain.yml: the generated signal blocks match knowledge/knowledge_base.yml")
        return 0
    if fresh == text:
        logger.info("domain.yml: already up to date")
        return 0
    DOMAIN_PATH.write_text(fresh, encoding="utf-8")
    logger.info("wrote the generated signal blocks of %s", DOMAIN_PATH)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
