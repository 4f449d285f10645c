"""Custom NLU components: the grouped fallback classifier and the text normalizer."""
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu_components.fallback import GroupedFallbackClassifier
from nlu_components.normalizer import ChineseTextNormalizer


def _classify(ranking):
    classifier = GroupedFallbackClassifier(
        {**GroupedFallbackClassifier.get_default_config(), "threshold": 0.45,
         "equivalent_intents": [["report_problem", "inform"]]}
    )
    message = Message(data={TEXT: "x", INTENT: {"name": ranking[0][0], "confidence": ranking[0][1]},
                            INTENT_RANKING_KEY: [{"name": n, "confidence": c} for n, c in ranking]})
    return classifier.process([message])[0].get(INTENT)["name"]


def test_close_scores_within_a_group_are_no_ambiguity():
    assert _classify([("report_problem", 0.54), ("inform", 0.46)]) == "report_problem"
    assert _classify([("inform", 0.40), ("report_problem", 0.35), ("greet", 0.25)]) == "inform"


def test_close_scores_across_groups_still_fall_back():
    assert _classify([("affirm", 0.52), ("deny", 0.48)]) == "nlu_fallback"
    assert _classify([("report_problem", 0.52), ("out_of_scope", 0.48)]) == "nlu_fallback"
    assert _classify([("greet", 0.30), ("thank", 0.20), ("goodbye", 0.10)]) == "nlu_fallback"


def test_normalizer_converts_traditional_full_width_and_spaces():
    message = Message(data={TEXT: "顧客刷卡 ＰＯＳ機 T+1 沒到帳"})
    ChineseTextNormalizer().process([message])
    assert message.get(TEXT) == "顾客刷卡pos机t+1没到账"


def test_normalizer_maps_taiwan_words_dialect_and_input_slips():
    texts = ["網路不穩,螢幕當機了", "收到簡訊說扣款", "俺的機子木有反應", "提线一直处里中", "音想没响,刷咔显示成功"]
    messages = [Message(data={TEXT: t}) for t in texts]
    ChineseTextNormalizer().process(messages)
    assert [m.get(TEXT) for m in messages] == [
        "网络不稳,屏幕死机了", "收到短信说扣款", "我的机器没有反应", "提现一直处理中", "音响没响,刷卡显示成功",
    ]


def test_the_fact_reader_learns_each_intent_examples_in_its_role(kb):
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from nlu_components.facts import fact_training_examples
    from pos_expert.facts import NONE
    from pos_expert.knowledge import UNKNOWN
    from pos_expert.text import lexicon_for

    messages = [
        Message(data={TEXT: "明细里查不到这笔", INTENT: "inform",
                      "entities": [{"entity": "transaction_record", "value": "not_found"}]}),
        Message(data={TEXT: "这个我真不清楚", INTENT: "dont_know"}),
        Message(data={TEXT: "对的没错", INTENT: "affirm"}),
        Message(data={TEXT: "帮我写首诗吧", INTENT: "out_of_scope"}),
    ]
    examples = fact_training_examples(kb, lexicon_for(kb), TrainingData(messages), typed_answers=[])
    assert {e.label for e in examples if e.text == "明细里查不到这笔" and e.signal_id == "transaction_record"} == {
        "not_found"}
    assert {(e.label, e.asked) for e in examples if e.text == "这个我真不清楚" and e.signal_id == "payment_channel"} == {
        (UNKNOWN, True), (NONE, False)}
    assert {e.label for e in examples if e.text == "帮我写首诗吧"} == {NONE}
    affirm = {(e.label, e.asked) for e in examples if e.text == "对的没错" and e.signal_id == "transaction_record"}
    assert (NONE, False) in affirm and len(affirm) == 2
