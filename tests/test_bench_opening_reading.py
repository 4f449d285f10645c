"""The quick opening check (bench/opening_reading.py) and the writers' question sheet (bench/question_sheet.py)."""

from bench.opening_reading import ENTITY_THRESHOLD, score_openings
from bench.question_sheet import question_sheet
from bench.typed import Reply, TypedCase
from nlu_components.facts import MerchantFactExtractor
from pos_expert.facts import Reading
from pos_expert.knowledge import UNKNOWN


class FixedReader:
    """Reads each opening as the table says."""

    def __init__(self, table):
        self.table = table
        self.thresholds = []

    def read(self, text, threshold):
        self.thresholds.append(threshold)
        return [Reading(s, a, 0.9) for s, a in self.table[text].items()]


def case(opening, facts, answers=None):
    return TypedCase("c", "network", opening, facts, answers or {})


def test_wrong_readings_are_checked_against_the_whole_case_and_unchecked_ones_do_not_count():
    cases = [
        case("网断了刷卡失败", {"network_condition": "unstable", "payment_channel": "card"}),
        # The reply to the record question says not_found: reading success from the opening is wrong.
        case("钱没到", {}, {"transaction_record": Reply("查不到", "not_found", {})}),
        case("昨天刷的", {"payment_channel": "card", "network_condition": UNKNOWN}),
    ]
    reader = FixedReader(
        {
            "网断了刷卡失败": {"network_condition": "unstable", "terminal_result": "error_or_timeout"},
            "钱没到": {"transaction_record": "success"},
            "昨天刷的": {},
        }
    )
    figures = score_openings(reader, cases)
    assert reader.thresholds == [ENTITY_THRESHOLD] * 3
    # right: network_condition; wrong: transaction_record; terminal_result has no truth in its case.
    assert (figures["wrong"], figures["precision"]) == (1, 0.5)
    # stated: 2 + 0 + 1 (an unknown is no stated fact); missed: payment_channel twice.
    assert (figures["stated"], figures["missed"], figures["recall"]) == (3, 2, 0.333)
    assert dict(figures["worst"]) == {"missed payment_channel": 2, "wrong transaction_record": 1}


def test_the_check_reads_at_the_components_entity_threshold():
    assert ENTITY_THRESHOLD == MerchantFactExtractor.get_default_config()["entity_threshold"]


def test_the_sheet_names_every_cause_question_and_answer_and_nothing_the_reader_learns(kb):
    sheet = question_sheet(kb)
    for cause in kb.causes:
        assert f"`{cause.id}`: {cause.name_zh}" in sheet
    for signal in kb.signals:
        assert signal.question_merchant in sheet
        for answer in signal.answers:
            assert f"`{answer.id}`" in sheet
    assert "weights" not in sheet and "phrases" not in sheet
