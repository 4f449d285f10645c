"""The question sheet given to independent writers of answer-bank and evaluation data.

It holds only what a merchant could know from talking to the assistant: the ten causes by name, each
question in merchant wording, and each answer's id and label. No lexicon phrase, training sentence,
weight or test is on it, so what a writer produces from it is their own wording.

    python -m bench.question_sheet --out /tmp/sheet.md
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import List

from pos_expert.knowledge import UNKNOWN, KnowledgeBase, default_knowledge_base


def question_sheet(kb: KnowledgeBase) -> str:
    """The sheet as Markdown."""
    lines: List[str] = ["# 问题单 (question sheet)", "", "## 十类原因 (cause ids)", ""]
    lines += [f"- `{cause.id}`: {cause.name_zh}" for cause in kb.causes]
    lines += ["", "## 信号与回答 (signals, their question, and the answer ids)", ""]
    for signal in kb.signals:
        lines += [f"### `{signal.id}` ({signal.name_zh})", f"问题: {signal.question_merchant}", ""]
        lines += [f"- `{a.id}`: {a.label_zh} — {a.fact_zh}" for a in signal.answers if a.id != UNKNOWN]
        lines += [f"- `{UNKNOWN}`: 不知道/说不清", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    args.out.write_text(question_sheet(default_knowledge_base()), encoding="utf-8")


if __name__ == "__main__":
    main()
