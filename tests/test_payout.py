"""Expected payout dates on China's working-day calendar (pos_expert/payout.py).

Groundwork for issue 10: the module is not wired into the dialogue yet.
"""
import datetime as dt

import pytest

from pos_expert.payout import DUE_TODAY, NOT_DUE, OVERDUE, describe, expected_payout

D = dt.datetime


@pytest.mark.parametrize("sale, cycle, payout", [
    (D(2026, 11, 24, 15, 0), "T+1", dt.date(2026, 11, 25)),   # Tuesday → Wednesday
    (D(2026, 11, 27, 15, 0), "T+1", dt.date(2026, 11, 30)),   # Friday → Monday
    (D(2026, 11, 28, 15, 0), "T+1", dt.date(2026, 11, 30)),   # Saturday → Monday
    (D(2026, 11, 29, 15, 0), "T+1", dt.date(2026, 11, 30)),   # Sunday → Monday
    (D(2026, 2, 13, 10, 0), "T+1", dt.date(2026, 2, 14)),     # Friday before 春节; Saturday 2-14 is a 调休 working day
    (D(2026, 9, 30, 15, 0), "T+1", dt.date(2026, 10, 8)),     # before 国庆: the next working day is 10-8 (Thursday)
    (D(2026, 2, 16, 12, 0), "T+1", dt.date(2026, 2, 24)),     # 除夕 in the 春节 holiday
    (D(2026, 11, 24, 23, 30), "T+1", dt.date(2026, 11, 26)),  # after 日切: counts for Wednesday, paid Thursday
    (D(2026, 11, 27, 15, 0), "D+1", dt.date(2026, 11, 28)),   # D+1 is the next calendar day, weekend or not
    (D(2026, 11, 27, 15, 0), "T+0", dt.date(2026, 11, 27)),
    (D(2026, 11, 28, 15, 0), "T+0", dt.date(2026, 11, 30)),   # T+0 on a Saturday: the next working day
    (D(2026, 11, 28, 15, 0), "D0", dt.date(2026, 11, 28)),
])
def test_payout_dates(sale, cycle, payout):
    estimate = expected_payout(sale, cycle)
    assert estimate.payout_day == payout
    assert estimate.holidays_known


def test_2027_falls_back_to_weekends_and_says_so():
    estimate = expected_payout(D(2027, 1, 8, 10, 0), "T+1")  # Friday
    assert estimate.payout_day == dt.date(2027, 1, 11)
    assert not estimate.holidays_known
    assert "2027年的法定节假日安排还没有公布" in describe(estimate, dt.date(2027, 1, 9))


def test_the_plain_words_of_the_issue():
    estimate = expected_payout(D(2026, 9, 30, 15, 0), "T+1")
    assert describe(estimate, dt.date(2026, 10, 5)) == "按T+1,这笔应在10月8日(周四)到账,现在还没到结算日。"
    assert estimate.status(dt.date(2026, 10, 5)) == NOT_DUE
    assert estimate.status(dt.date(2026, 10, 8)) == DUE_TODAY
    assert estimate.status(dt.date(2026, 10, 9)) == OVERDUE


def test_a_late_night_sale_says_which_day_it_counts_for():
    text = describe(expected_payout(D(2026, 11, 24, 23, 30), "T+1"), dt.date(2026, 11, 25))
    assert "日切之后" in text and "11月25日(周三)" in text


def test_an_unknown_cycle_is_refused():
    with pytest.raises(ValueError):
        expected_payout(D(2026, 11, 24, 10, 0), "T+7")
