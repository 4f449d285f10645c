"""The expected payout date: from the sale time the merchant typed and the settlement cycle they gave.

Once both are known, validate_diagnosis_form tells the merchant when the money should arrive, and the
computed "not yet due" / "overdue" goes to the engine as the derived signal `payout_due`.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from typing import Any, Dict, List, Optional, Text, Tuple
from zoneinfo import ZoneInfo

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from pos_expert.knowledge import UNKNOWN
from pos_expert.payout import (
    DAY_OFF,
    DAYS_AGO,
    OVERDUE,
    RECENT,
    PayoutEstimate,
    date_zh,
    expected_payout,
    sale_day_kind,
)
from pos_expert.responses import Responses, render
from pos_expert.sale_time import sale_time

logger = logging.getLogger(__name__)

TIMEZONE = ZoneInfo("Asia/Shanghai")
SALE_SLOT = "sale_time"
DUE_SIGNAL = "payout_due"
# settlement_cycle answers that name a cycle (a "changed" cycle names none).
CYCLE_OF_ANSWER = {"same_day": "D0", "next_working_day": "T+1", "next_day": "D+1"}
# transaction_timing's answer for what the calendar says about a dated sale ("上周六", "国庆那天", "昨天").
TIMING_SIGNAL = "transaction_timing"
TIMING_OF_DAY_KIND = {DAY_OFF: "weekend_holiday_or_night", RECENT: "recent", DAYS_AGO: "days_ago"}
NIGHT_OR_DAY_OFF = TIMING_OF_DAY_KIND[DAY_OFF]
# The questions whose replies may say when the sale happened.
SALE_TIME_QUESTIONS = {"transaction_timing", "settlement_cycle"}
RESPONSE_OF_STATUS = {
    "not_due": "utter_payout_not_due",
    "due_today": "utter_payout_due_today",
    "overdue": "utter_payout_overdue",
}


# A fixed "now" for reproducible end-to-end runs (launcher/servers.py); unset in production.
NOW_OVERRIDE_ENV = "POS_NOW"


def local_now() -> dt.datetime:
    """Now in mainland China, naive (the payout calendar is China's); POS_NOW=2026-12-01T15:00 fixes it."""
    fixed = os.environ.get(NOW_OVERRIDE_ENV)
    if fixed:
        return dt.datetime.fromisoformat(fixed)
    return dt.datetime.now(TIMEZONE).replace(tzinfo=None)


def estimate_for(slots: Dict[Text, Any]) -> Optional[PayoutEstimate]:
    """The payout estimate the slots allow, or None while the sale time or the cycle is missing."""
    cycle = CYCLE_OF_ANSWER.get(slots.get("settlement_cycle") or "")
    sale = slots.get(SALE_SLOT)
    if not cycle or not sale:
        return None
    try:
        return expected_payout(dt.datetime.fromisoformat(sale), cycle)
    except ValueError:
        logger.warning("unusable sale time %r", sale)
        return None


def payout_summary(
    slots: Dict[Text, Any], responses: Responses, now: Optional[dt.datetime] = None
) -> Optional[Dict[Text, Any]]:
    """What the agent console shows about the payout date; `text` is what the merchant was told."""
    estimate = estimate_for(slots)
    if estimate is None:
        return None
    today = (now or local_now()).date()
    return {
        "text": " ".join(payout_texts(responses, estimate, estimate.status(today))),
        "cycle": estimate.cycle,
        "sale_time": estimate.sale.isoformat(timespec="minutes"),
        "transaction_day": estimate.transaction_day.isoformat(),
        "after_cutoff": estimate.after_cutoff,
        "payout_date": estimate.payout_day.isoformat(),
        "payout_date_zh": date_zh(estimate.payout_day),
        "status": estimate.status(today),
        "holidays_known": estimate.holidays_known,
    }


def _timing_events(tracker: Tracker, sale: dt.datetime, now: dt.datetime) -> List[SlotSet]:
    """transaction_timing from the calendar once the sale has a day: a weekend or a holiday is a day off
    whatever the words ("昨天" on a Monday, "国庆那天"); a working day answers only what the words left open
    ("礼拜三刷的" is days ago), since a message may name other days too ("周末的钱周一还没到")."""
    timing = TIMING_OF_DAY_KIND[sale_day_kind(sale, now.date())]
    current = tracker.get_slot(TIMING_SIGNAL)
    if current == timing or (current not in (None, UNKNOWN) and timing != NIGHT_OR_DAY_OFF):
        return []
    return [SlotSet(TIMING_SIGNAL, timing)]


def payout_events(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    text: Text,
    now: Optional[dt.datetime] = None,
    asked: Optional[Text] = None,
) -> List[SlotSet]:
    """Read a sale time from the message; once the cycle is known too, say the payout date and set payout_due.

    The sale time is read from the opening (`asked` None) and from replies to the questions about time
    and the settlement cycle only: in a reply to anything else, "今天的都报错" is about today's attempts,
    not the sale whose money is missing.
    """
    now = now or local_now()
    events: List[SlotSet] = []
    reads_time = asked is None or asked in SALE_TIME_QUESTIONS
    found = sale_time(text, now) if reads_time and text and not text.startswith("/") else None
    if found is not None:
        iso = found.isoformat(timespec="minutes")
        if iso != tracker.get_slot(SALE_SLOT):
            events.append(SlotSet(SALE_SLOT, iso))
        if asked in (None, TIMING_SIGNAL):
            events += _timing_events(tracker, found, now)
    sale_events = [e for e in events if e["name"] == SALE_SLOT]
    slots = {
        "settlement_cycle": tracker.get_slot("settlement_cycle"),
        SALE_SLOT: sale_events[0]["value"] if sale_events else tracker.get_slot(SALE_SLOT),
    }
    estimate = estimate_for(slots)
    if estimate is None:
        return events
    status = estimate.status(now.date())
    due = "overdue" if status == OVERDUE else "not_yet_due"
    if due == tracker.get_slot(DUE_SIGNAL) and not sale_events:
        return events  # said already
    events.append(SlotSet(DUE_SIGNAL, due))
    for name, values in payout_responses(estimate, status):
        dispatcher.utter_message(response=name, **values)
    return events


def payout_responses(estimate: PayoutEstimate, status: Text) -> List[Tuple[Text, Dict[Text, Text]]]:
    """The responses that say the payout date, with their values, in order."""
    said = [(RESPONSE_OF_STATUS[status], {"cycle": estimate.cycle, "payout_date": date_zh(estimate.payout_day)})]
    if estimate.after_cutoff:
        said.append(("utter_payout_after_cutoff", {"transaction_day": date_zh(estimate.transaction_day)}))
    if not estimate.holidays_known:
        said.append(("utter_payout_calendar_unknown", {}))
    return said


def payout_texts(responses: Responses, estimate: PayoutEstimate, status: Text) -> List[Text]:
    """The same sentences as text, for the case summary."""
    return [render(responses, name, **values) for name, values in payout_responses(estimate, status)]
