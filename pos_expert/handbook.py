"""Renders docs/knowledge.md, the handbook support leads review and new agents study.

Regenerate with `make handbook` (python -m pos_expert.handbook); a test fails when it is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List

from pos_expert.knowledge import KnowledgeBase, default_knowledge_base

HANDBOOK_PATH = Path(__file__).resolve().parent.parent / "docs" / "knowledge.md"


def _weights_text(kb: KnowledgeBase, weights) -> str:
    if not weights:
        return "—"
    names = {c.id: c.name_zh for c in kb.causes}
    return "; ".join(f"{names[c]} {w:+d}" for c, w in sorted(weights.items(), key=lambda kv: -kv[1]))


def render_handbook(kb: KnowledgeBase) -> str:
    lines: List[str] = [
        "# POS收款诊断助手 知识手册",
        "",
        "<!-- Generated from knowledge/knowledge_base.yml by `make handbook`. Do not edit by hand. -->",
        "",
        "本手册由知识库自动生成,供客服主管审核、新客服学习。助手的提问、结论和解决步骤都来自同一个知识库文件。",
        "",
        "## 目录",
        "",
    ]
    lines += [f"- [{c.name_zh}](#cause-{c.id}) (`{c.id}`)" for c in kb.causes]
    lines += ["- [诊断信号与话术](#signals)", "- [通用预防措施](#general-prevention)", ""]
    for cause in kb.causes:
        lines += [f'<a id="cause-{cause.id}"></a>', f"## {cause.name_zh} (`{cause.id}`)", "", cause.summary_zh, ""]
        lines += ["**解决步骤**", ""] + [f"{i}. {step}" for i, step in enumerate(cause.steps, 1)] + [""]
        lines += ["**预防建议**", ""] + [f"- {item}" for item in cause.prevention] + [""]
        esc = cause.escalation
        lines += [
            "**升级处理**",
            "",
            f"- 首先联系:{esc.contact_first}",
            f"- 准备好:{'、'.join(esc.have_ready)}",
            f"- 何时转人工:{esc.handoff_when}",
            "",
            f"先验概率 {cause.prior:.2f};来源:{';'.join(cause.seed_refs)}",
            "",
        ]
    lines += ['<a id="signals"></a>', "## 诊断信号与话术", ""]
    lines += [
        f"引擎每次选择期望信息增益最大的问题;领先原因的把握达到 {kb.settings.stop_confidence:.0%}、"
        f"没有问题能改变结论、或已问满 {kb.settings.max_questions} 个问题时停止。"
        f"权重从 -3(强烈否定)到 +3(强烈支持),「{kb.settings.unknown_label}」不计入证据。",
        "",
    ]
    for signal in kb.signals:
        lines += [f"### {signal.name_zh} (`{signal.id}`)", ""]
        lines += [f"- 问商户:{signal.question_merchant}", f"- 客服话术:{signal.question_agent}"]
        if signal.ask_only_if:
            conditions = ";".join(f"`{k}` 为 {'/'.join(v)}" for k, v in signal.ask_only_if.items())
            lines.append(f"- 仅在以下情况下询问:{conditions}")
        if signal.ask_unless:
            conditions = ";".join(f"`{k}` 为 {'/'.join(v)}" for k, v in signal.ask_unless.items())
            lines.append(f"- 以下情况下不再询问(已有同样的信息):{conditions}")
        if signal.derived:
            lines.append("- 不直接询问:由交易日期和结算周期推算(`pos_expert/payout.py`)")
        lines += ["", "| 回答 | 说明 | 常见说法 | 对各原因的权重 |", "|---|---|---|---|"]
        for answer in signal.answers:
            if answer.is_unknown:
                continue
            phrases = "、".join(answer.phrases[:8]) + ("……" if len(answer.phrases) > 8 else "")
            lines.append(
                f"| `{answer.id}` {answer.label_zh} | {answer.fact_zh} | {phrases} | {_weights_text(kb, answer.weights)} |"
            )
        lines.append("")
    lines += ['<a id="general-prevention"></a>', "## 通用预防措施", ""]
    lines += [f"- {item}" for item in kb.general_prevention] + [""]
    return "\n".join(lines)


def main() -> int:
    HANDBOOK_PATH.parent.mkdir(parents=True, exist_ok=True)
    HANDBOOK_PATH.write_text(render_handbook(default_knowledge_base()), encoding="utf-8")
    print(f"wrote {HANDBOOK_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
