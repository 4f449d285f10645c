"""A later clause that is just as sure wins, read unprompted or as a reply (pos_expert.facts.FactReader).

"没人打电话,不过收款码被人换过" answers the suspicious-contact question with yes: the question asks about calls
*or* a swapped code, and the merchant puts what matters after 不过. The readings per segment are fixed here,
so the rule is tested apart from any trained model.
"""
import pytest

from pos_expert.facts import CORRECTION_CONFIDENCE, NONE, FactReader, SegmentReadings, clauses
from pos_expert.text import lexicon_for, normalize_text

SIGNAL = "suspicious_contact"


def reader_with(kb, text, labels):
    """A reader whose segments of `text` (whole text, then each clause) read as `labels`, in both views."""
    reader = FactReader(kb, lexicon_for(kb))
    reader._models = {SIGNAL: object()}
    spans = [(0, len(text))] + clauses(text)
    assert len(spans) == len(labels)
    reader._last = SegmentReadings(text, spans, {False: {SIGNAL: labels}, True: {SIGNAL: labels}})
    return reader


@pytest.mark.parametrize(
    "labels, expected",
    [
        # whole text, 没人打电话, 收款码被人换过
        ([("no", 0.97), ("no", 0.99), ("yes", 0.95)], "yes"),  # the later clause is sure enough: it wins
        ([("no", 0.97), ("no", 0.99), ("yes", CORRECTION_CONFIDENCE - 0.05)], "no"),  # not sure enough
        ([("yes", 0.96), ("no", 0.99), (NONE, 0.99)], "no"),  # a later clause that says nothing changes nothing
    ],
)
def test_a_sure_later_clause_wins_as_a_reply_and_unprompted(kb, labels, expected):
    text = normalize_text("没人打电话,不过收款码被人换过")
    reader = reader_with(kb, text, labels)
    assert reader.answers_if_asked(text)[SIGNAL].answer_id == expected
    assert [r.answer_id for r in reader.read(text, threshold=0.5)] == [expected]
