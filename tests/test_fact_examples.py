"""The fact reader's training examples: what the knowledge base's `implies` adds."""
from pos_expert.facts import NONE, Example, implied_examples, training_examples


def test_a_fact_that_implies_another_teaches_both(kb):
    reply = Example("就这一笔没到,别的都有", "other_transactions", "only_this", True)

    implied = implied_examples(kb, [reply])

    assert implied == [Example(reply.text, "income_check", "some_missing", True)]


def test_an_implied_fact_is_no_negative_for_its_signal(kb):
    reply = Example("就这一笔没到,别的都有", "other_transactions", "only_this", True)

    examples = training_examples(kb, annotated=[], no_fact_texts=[], typed_answers=[reply])

    income = [e for e in examples if e.text == reply.text and e.signal_id == "income_check"]
    assert income == [Example(reply.text, "income_check", "some_missing", True)]
    assert all(e.label != NONE for e in income)


def test_an_implied_fact_is_taught_only_as_a_reply_to_its_question(kb):
    statement = Example("刷卡报了96,没出单", "error_code", "issuer_system", None)

    assert implied_examples(kb, [statement]) == [Example(statement.text, "terminal_result", "error_or_timeout", True)]


def test_a_bare_code_implies_nothing_else(kb):
    code = Example("96", "error_code", "issuer_system", None)

    assert implied_examples(kb, [code]) == []


def test_what_is_stated_is_not_overridden_by_what_is_implied(kb):
    both = [Example("就这一笔没到", "other_transactions", "only_this", True),
            Example("就这一笔没到", "income_check", "some_missing", True)]

    assert implied_examples(kb, both) == []
