"""The fact reader's features: a negation marks what follows it, up to the clause's end."""
from pos_expert.facts import Featurizer, negated_grams
from pos_expert.text import lexicon_for


def test_a_negation_marks_the_characters_in_its_scope():
    assert negated_grams("没扣") == ["~扣"]
    assert negated_grams("也没被扣服务费") == ["~被", "~扣", "~服", "~务", "~费", "~被扣", "~扣服", "~服务", "~务费"]


def test_the_scope_ends_at_the_clause_and_after_a_few_characters():
    assert negated_grams("没有,扣了") == []
    assert negated_grams("没" + "一二三四五六七八") == negated_grams("没一二三四五六")


def test_a_text_without_negation_has_no_marked_features():
    assert negated_grams("扣了服务费") == []


def test_negated_and_affirmed_statements_differ_in_their_marked_features(kb):
    featurizer = Featurizer(lexicon_for(kb))
    affirmed = set(featurizer.features("被扣了服务费"))
    negated = set(featurizer.features("没被扣服务费"))
    assert "~扣" in negated and "~扣" not in affirmed
