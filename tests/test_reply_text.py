"""No Chinese sentence is composed in Python or JavaScript: reply text lives in domain.yml's responses (and the
knowledge base), page words in the HTML, the handbook's wording in its template (knowledge/handbook.md.j2). The
check reads every string literal of the code that writes replies or documents.

Allowed, each for its stated reason: the date format of the payout date (10月8日(周四)) and the speaker labels of
the benchmark transcript. Words the code *reads* live in the knowledge base too (ending_words, the lexicon).
"""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
IDEOGRAPH = re.compile(r"[\u4e00-\u9fff]")
WRITERS = sorted(
    [
        *ROOT.glob("actions/*.py"),
        *ROOT.glob("channels/*.py"),
        *ROOT.glob("runtime/*.py"),
        *ROOT.glob("launcher/*.py"),
        ROOT / "pos_expert" / "engine.py",
        ROOT / "pos_expert" / "payout.py",
        ROOT / "pos_expert" / "responses.py",
        ROOT / "pos_expert" / "payloads.py",
        ROOT / "pos_expert" / "handbook.py",
        ROOT / "nlu_components" / "fallback.py",
    ]
)
# (file, the function or the name assigned) where Chinese literals are allowed, and why
ALLOWED = {
    ("pos_expert/payout.py", "WEEKDAYS_ZH"): "the weekday names of the date format",
    ("pos_expert/payout.py", "date_zh"): "the date format 10月8日(周四)",
    ("launcher/conversation.py", "ConversationRecord"): "speaker labels of a benchmark transcript (docs/benchmarks.md)",
}


def chinese_literals(source: str):
    """(line, owner, text) of every string literal with a Chinese character that is not a docstring; the owner is
    the module-level name assigned or the function the literal is in."""
    tree = ast.parse(source)
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    owners = {}
    for top in tree.body:
        names = []
        if isinstance(top, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names = [top.name]
        elif isinstance(top, ast.Assign):
            names = [t.id for t in top.targets if isinstance(t, ast.Name)]
        elif isinstance(top, ast.AnnAssign) and isinstance(top.target, ast.Name):
            names = [top.target.id]
        for node in ast.walk(top):
            owners[id(node)] = names[0] if names else "<module>"
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            if IDEOGRAPH.search(node.value):
                yield node.lineno, owners.get(id(node), "<module>"), node.value


@pytest.mark.parametrize("path", WRITERS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_chinese_sentence_is_composed_in_python(path):
    relative = str(path.relative_to(ROOT))
    found = [
        f"{relative}:{line} ({owner}): {text[:40]!r}"
        for line, owner, text in chinese_literals(path.read_text(encoding="utf-8"))
        if (relative, owner) not in ALLOWED
    ]
    assert not found, "reply text belongs in domain.yml's responses:\n" + "\n".join(found)


@pytest.mark.parametrize("path", sorted(ROOT.glob("web/js/*.js")), ids=lambda p: p.name)
def test_no_chinese_text_in_the_pages_scripts(path):
    code = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.strip().startswith("//")]
    found = [line.strip() for line in code if IDEOGRAPH.search(line)]
    assert not found, "the pages' words belong in the HTML (data-*), replies in domain.yml:\n" + "\n".join(found)


def test_the_check_finds_a_composed_sentence_and_skips_docstrings_and_allowed_names():
    source = '''
"""模块说明。"""
ENDING_WORDS = ("人工",)
def present(name):
    """说明。"""
    return f"最可能的原因是{name}。"
'''
    found = list(chinese_literals(source))
    assert [(owner, text) for _, owner, text in found] == [("ENDING_WORDS", "人工"), ("present", "最可能的原因是")]


def test_every_allowed_owner_still_exists():
    """An allowance for code that is gone would let new text in under its name."""
    for relative, owner in ALLOWED:
        owners = {o for _, o, _ in chinese_literals((ROOT / relative).read_text(encoding="utf-8"))}
        assert owner in owners, (relative, owner)
