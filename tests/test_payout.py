"""The expected payout date (issue 10): China's working-day calendar (pos_expert/payout.py), the sale time
read from what the merchant typed (pos_expert/sale_time.py), and what validate_diagnosis_form says and sets
(actions/payout.py) with the reply text from the domain's responses.
"""
import datetime as dt
from pathlib import Path

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.payout import payout_events, payout_summary
from pos_expert.payout import DUE_TODAY, NOT_DUE, OVERDUE, expected_payout
from pos_expert.sale_time import sale_time

D = dt.datetime
NOW = D(2026, 12, 1, 15, 0)  # Tuesday; the same clock as tests/conftest.py fixed_clock
RESPONSES = yaml.safe_load((Path(__file__).resolve().parents[1] / "domain.yml").read_text(encoding="utf-8"))["responses"]


def rendered(messages):
    """The texts the merchant sees: each dispatched response filled in from domain.yml."""
    texts = []
    for message in messages:
        template = RESPONSES[message["response"]][0]["text"]
        texts.append(template.format(**{k: v for k, v in message.items() if k != "response"}))
    return texts



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


def test_the_plain_words_of_the_issue():
    estimate = expected_payout(D(2026, 9, 30, 15, 0), "T+1")
    assert estimate.status(dt.date(2026, 10, 5)) == NOT_DUE
    assert estimate.status(dt.date(2026, 10, 8)) == DUE_TODAY
    assert estimate.status(dt.date(2026, 10, 9)) == OVERDUE


def test_an_unknown_cycle_is_refused():
    with pytest.raises(ValueError):
        expected_payout(D(2026, 11, 24, 10, 0), "T+7")


# --- the sale time in the merchant's words ------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("今天下午2点22分刷的", D(2026, 12, 1, 14, 22)),
    ("昨天刷的卡", D(2026, 11, 30, 12, 0)),             # a day without a time of day: noon
    ("昨晚十一点半刷的", D(2026, 11, 30, 23, 30)),
    ("前天", D(2026, 11, 29, 12, 0)),
    ("上周五的单子", D(2026, 11, 27, 12, 0)),
    ("周六刷的", D(2026, 11, 28, 12, 0)),              # said on a Tuesday: the Saturday before
    ("12月1日那笔", D(2026, 12, 1, 12, 0)),
    ("11月28号晚上11点半", D(2026, 11, 28, 23, 30)),
    ("国庆前一天刷的", D(2026, 9, 30, 12, 0)),          # a festival with an offset, in the past
    ("大年三十那天", D(2026, 2, 16, 12, 0)),
    ("昨天上午十点多刷的,今天还没到", D(2026, 11, 30, 10, 0)),
    ("晚上10点刷的", D(2026, 11, 30, 22, 0)),          # a time of day still ahead (it is 3 pm): last night
    ("昨天3点多刷的", D(2026, 11, 30, 15, 0)),          # a bare hour from 1 to 6 is the afternoon
    ("今天两点多", D(2026, 12, 1, 14, 0)),
    ("凌晨3点刷的", D(2026, 12, 1, 3, 0)),              # unless the merchant says it is night
    ("昨天夜里2点刷的", D(2026, 11, 30, 2, 0)),
    ("5点20刷的", D(2026, 12, 1, 5, 20)),              # the afternoon is still ahead (it is 3 pm): as said
])
def test_sale_time_from_typed_words(text, expected):
    assert sale_time(text, NOW) == expected


@pytest.mark.parametrize("text", [
    "一般第二天到账",      # the settlement cycle, not the sale
    "前两天",              # too vague to date
    "上个月",
    "顾客刷了98块钱",      # an amount
    "钱咋没到",
    "",
])
def test_no_sale_time(text):
    assert sale_time(text, NOW) is None


# --- what the form says and sets -------------------------------------------------------------------

def run_payout(tracker_state, text, slots):
    dispatcher = CollectingDispatcher()
    events = payout_events(dispatcher, Tracker.from_dict(tracker_state(slots=slots, text=text)), text, now=NOW)
    return events, rendered(dispatcher.messages)


def test_a_sale_time_is_kept_until_the_cycle_is_known(tracker_state):
    events, said = run_payout(tracker_state, "昨天下午三点刷的", {})
    assert events == [SlotSet("sale_time", "2026-11-30T15:00"), SlotSet("transaction_timing", "recent")]
    assert said == []


def test_t1_sale_from_yesterday_is_due_today(tracker_state):
    events, said = run_payout(tracker_state, "昨天下午三点刷的", {"settlement_cycle": "next_working_day"})
    assert events == [SlotSet("sale_time", "2026-11-30T15:00"), SlotSet("transaction_timing", "recent"),
                      SlotSet("payout_due", "not_yet_due")]
    assert said == ["按T+1,这笔应在今天(12月1日(周二))到账;跨行的一般当天晚些时候到,可以晚点再看看。"]


def test_t1_sale_from_last_friday_is_overdue(tracker_state):
    events, said = run_payout(tracker_state, "上周五刷的", {"settlement_cycle": "next_working_day"})
    assert events == [SlotSet("sale_time", "2026-11-27T12:00"), SlotSet("transaction_timing", "days_ago"),
                      SlotSet("payout_due", "overdue")]
    assert said == ["按T+1,这笔应在11月30日(周一)到账,现在已经过了结算日。"]


def test_the_cycle_given_after_the_sale_time(tracker_state):
    events, said = run_payout(tracker_state, "一般第二天到", {"settlement_cycle": "next_working_day",
                                                          "sale_time": "2026-12-01T11:00"})
    assert events == [SlotSet("payout_due", "not_yet_due")]
    assert said == ["按T+1,这笔应在12月2日(周三)到账,现在还没到结算日。"]


def test_late_night_sale_names_the_transaction_day(tracker_state):
    events, said = run_payout(tracker_state, "昨晚十一点半刷的", {"settlement_cycle": "next_working_day",
                                                              "transaction_timing": "weekend_holiday_or_night"})
    assert events == [SlotSet("sale_time", "2026-11-30T23:30"), SlotSet("payout_due", "not_yet_due")]
    assert said == ["按T+1,这笔应在12月2日(周三)到账,现在还没到结算日。",
                    "这笔刷在日切(晚上23点左右)之后,算12月1日(周二)的交易。"]


def test_d1_counts_calendar_days(tracker_state):
    events, said = run_payout(tracker_state, "周六刷的", {"settlement_cycle": "next_day"})
    assert events == [SlotSet("sale_time", "2026-11-28T12:00"), SlotSet("transaction_timing", "weekend_holiday_or_night"),
                      SlotSet("payout_due", "overdue")]
    assert said == ["按D+1,这笔应在11月29日(周日)到账,现在已经过了结算日。"]


def test_said_once(tracker_state):
    events, said = run_payout(tracker_state, "嗯", {"settlement_cycle": "next_working_day",
                                                  "sale_time": "2026-11-27T12:00", "payout_due": "overdue"})
    assert events == [] and said == []


def test_a_changed_cycle_gives_no_date(tracker_state):
    events, said = run_payout(tracker_state, "昨天刷的", {"settlement_cycle": "changed"})
    assert events == [SlotSet("sale_time", "2026-11-30T12:00"), SlotSet("transaction_timing", "recent")]
    assert said == []


def test_a_button_payload_is_not_read_for_a_time(tracker_state):
    events, said = run_payout(tracker_state, '/inform{"settlement_cycle": "next_working_day"}', {})
    assert events == [] and said == []


def test_the_console_summary():
    summary = payout_summary({"settlement_cycle": "next_working_day", "sale_time": "2026-09-30T15:00"},
                             RESPONSES, now=D(2026, 10, 5, 9, 0))
    assert summary == {"text": "按T+1,这笔应在10月8日(周四)到账,现在还没到结算日。", "cycle": "T+1", "sale_time": "2026-09-30T15:00", "transaction_day": "2026-09-30",
                       "after_cutoff": False, "payout_date": "2026-10-08", "payout_date_zh": "10月8日(周四)",
                       "status": "not_due", "holidays_known": True}


def test_national_day_holiday_in_the_form(tracker_state):
    dispatcher = CollectingDispatcher()
    tracker = Tracker.from_dict(tracker_state(slots={"settlement_cycle": "next_working_day"}, text="国庆前一天刷的"))
    events = payout_events(dispatcher, tracker, "国庆前一天刷的", now=D(2026, 10, 5, 10, 0))
    assert events == [SlotSet("sale_time", "2026-09-30T12:00"), SlotSet("transaction_timing", "days_ago"),
                      SlotSet("payout_due", "not_yet_due")]
    assert rendered(dispatcher.messages) == ["按T+1,这笔应在10月8日(周四)到账,现在还没到结算日。"]


def test_a_year_without_a_published_calendar_says_so(tracker_state):
    dispatcher = CollectingDispatcher()
    tracker = Tracker.from_dict(tracker_state(slots={"settlement_cycle": "next_working_day"}, text="昨天刷的"))
    events = payout_events(dispatcher, tracker, "昨天刷的", now=D(2027, 1, 9, 10, 0))  # Saturday
    assert events == [SlotSet("sale_time", "2027-01-08T12:00"), SlotSet("transaction_timing", "recent"),
                      SlotSet("payout_due", "not_yet_due")]
    assert rendered(dispatcher.messages) == [
        "按T+1,这笔应在1月11日(周一)到账,现在还没到结算日。",
        "(这一年的法定节假日安排还没有公布,只按周末推算,节假日可能再往后顺延。)"]


def test_now_can_be_fixed_for_reproducible_runs(monkeypatch):
    import actions.payout

    monkeypatch.undo()  # drop the autouse fixed_clock: this tests the real local_now
    monkeypatch.setenv("POS_NOW", "2026-10-05T09:30")
    assert actions.payout.local_now() == D(2026, 10, 5, 9, 30)
    monkeypatch.delenv("POS_NOW")
    assert abs(actions.payout.local_now() - dt.datetime.utcnow() - dt.timedelta(hours=8)) < dt.timedelta(minutes=1)


@pytest.mark.parametrize("asked, reads", [(None, True), ("transaction_timing", True), ("settlement_cycle", True),
                                          ("terminal_result", False), ("transaction_record", False)])
def test_the_sale_time_is_read_from_the_opening_and_the_time_questions_only(tracker_state, asked, reads):
    dispatcher = CollectingDispatcher()
    text = "今天的都报错"  # to "POS机上显示的是什么?" this is about today's attempts, not the sale
    events = payout_events(dispatcher, Tracker.from_dict(tracker_state(text=text)), text, now=NOW, asked=asked)
    sale = [SlotSet("sale_time", "2026-12-01T12:00")] if reads else []
    timing = [SlotSet("transaction_timing", "recent")] if asked in (None, "transaction_timing") else []
    assert events == sale + timing  # the timing is read only where the sale itself is the subject


# --- transaction_timing from the calendar -------------------------------------------------------------

@pytest.mark.parametrize("text, now, known, timing", [
    ("上周六刷的", NOW, None, "weekend_holiday_or_night"),    # a weekend day
    ("国庆那天刷的", NOW, None, "weekend_holiday_or_night"),   # a holiday
    ("上周三刷的", NOW, None, "days_ago"),
    ("今天上午刷的", NOW, None, "recent"),
    ("昨天刷的", D(2026, 11, 30, 10, 0), "recent", "weekend_holiday_or_night"),  # said on a Monday: Sunday
    ("2026年2月14日刷的", NOW, None, "days_ago"),              # a Saturday that was a 调休 working day
])
def test_the_calendar_answers_the_timing_question(tracker_state, text, now, known, timing):
    slots = {"transaction_timing": known} if known else {}
    events = payout_events(CollectingDispatcher(), Tracker.from_dict(tracker_state(slots=slots, text=text)), text,
                           now=now, asked="transaction_timing")
    assert SlotSet("transaction_timing", timing) in events


def test_a_working_day_does_not_override_what_the_words_said(tracker_state):
    # "周末的钱周一还没到": the words said weekend; 周一 is when the merchant looked, not a reason to change it.
    text = "周一刷的"
    tracker = Tracker.from_dict(tracker_state(slots={"transaction_timing": "weekend_holiday_or_night"}, text=text))
    events = payout_events(CollectingDispatcher(), tracker, text, now=NOW)
    assert events == [SlotSet("sale_time", "2026-11-30T12:00")]
