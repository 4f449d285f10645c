"""Renders docs/knowledge.md, the handbook support leads review and new agents study.

Regenerate with `make handbook` (python -m pos_expert.handbook); a test fails when it is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

import jinja2

from pos_expert.knowledge import KnowledgeBase, default_knowledge_base

HANDBOOK_PATH = Path(__file__).resolve().parent.parent / "docs" / "knowledge.md"
TEMPLATE_PATH = Path(__file__).resolve().parent.parent / "knowledge" / "handbook.md.j2"


def _weights_text(kb: KnowledgeBase, weights) -> str:
    if not weights:
        return "—"
    names = {c.id: c.name_zh for c in kb.causes}
    return "; ".join(f"{names[c]} {w:+d}" for c, w in sorted(weights.items(), key=lambda kv: -kv[1]))


def render_handbook(kb: KnowledgeBase) -> str:
    """The handbook: the wording is the template's (knowledge/handbook.md.j2), the content the knowledge base's."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_PATH.parent),
        keep_trailing_newline=False,
        undefined=jinja2.StrictUndefined,
    )
    template = environment.get_template(TEMPLATE_PATH.name)
    return template.render(
        kb=kb,
        percent=lambda p: f"{p:.0%}",
        weights=lambda w: _weights_text(kb, w),
    )


def main() -> int:
    HANDBOOK_PATH.parent.mkdir(parents=True, exist_ok=True)
    HANDBOOK_PATH.write_text(render_handbook(default_knowledge_base()), encoding="utf-8")
    print(f"wrote {HANDBOOK_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
