"""When should a sale's money arrive? Settlement cycles on China's working-day calendar.

T+1 is the next working day after the transaction day, T+0 the transaction day itself when it is a
working day, D+1 the next calendar day, D0 the same calendar day. A card sale after the acquirer's
日切 (often about 23:00) belongs to the next transaction day. Working days come from the
`chinese-calendar` package (official holidays and 调休 working weekends); for a year it does not cover
yet, weekends alone are used and the estimate says that the holiday schedule is not known.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Optional, Tuple

import chinese_calendar

logger = logging.getLogger(__name__)

CYCLES = ("T+0", "T+1", "D0", "D+1")
DEFAULT_CUTOFF = dt.time(23, 0)
WEEKDAYS_ZH = "一二三四五六日"  # date_zh's weekday names; the sentences are domain responses (utter_payout_*)
NOT_DUE, DUE_TODAY, OVERDUE = "not_due", "due_today", "overdue"


@dataclass(frozen=True)
class PayoutEstimate:
    """The expected payout date of one sale, and whether the holiday calendar for it is known."""

    cycle: str
    sale: dt.datetime
    transaction_day: dt.date
    payout_day: dt.date
    after_cutoff: bool
    holidays_known: bool

    def status(self, today: dt.date) -> str:
        """not_due, due_today or overdue, seen from `today`."""
        if today < self.payout_day:
            return NOT_DUE
        return DUE_TODAY if today == self.payout_day else OVERDUE


DAY_OFF, RECENT, DAYS_AGO = "day_off", "recent", "days_ago"


def is_working_day(day: dt.date) -> Tuple[bool, bool]:
    """(is a working day, whether the official holiday schedule for that year is known)."""
    try:
        return chinese_calendar.is_workday(day), True
    except NotImplementedError:
        return day.weekday() < 5, False


def sale_day_kind(sale: dt.datetime, today: dt.date) -> str:
    """What the calendar says about a dated sale: DAY_OFF (weekend, holiday), RECENT (today or yesterday)
    or DAYS_AGO."""
    working, _known = is_working_day(sale.date())
    if not working:
        return DAY_OFF
    return RECENT if (today - sale.date()).days <= 1 else DAYS_AGO


def next_working_day(day: dt.date, include_today: bool = False) -> Tuple[dt.date, bool]:
    """The first working day after `day` (or `day` itself with include_today); and whether all was known."""
    known = True
    candidate = day if include_today else day + dt.timedelta(days=1)
    for _ in range(40):  # the longest run of days off (春节 with weekends) is well under this
        working, year_known = is_working_day(candidate)
        known = known and year_known
        if working:
            return candidate, known
        candidate += dt.timedelta(days=1)
    raise ValueError(f"no working day within 40 days after {day}")


def transaction_day(sale: dt.datetime, cutoff: Optional[dt.time] = DEFAULT_CUTOFF) -> Tuple[dt.date, bool]:
    """The transaction day of a sale: a sale at or after the 日切 counts for the next day."""
    if cutoff is not None and sale.time() >= cutoff:
        return sale.date() + dt.timedelta(days=1), True
    return sale.date(), False


def expected_payout(sale: dt.datetime, cycle: str, cutoff: Optional[dt.time] = DEFAULT_CUTOFF) -> PayoutEstimate:
    """When the money of a sale made at `sale` should arrive under `cycle` (one of CYCLES)."""
    if cycle not in CYCLES:
        raise ValueError(f"unknown settlement cycle {cycle!r}; expected one of {CYCLES}")
    day, after_cutoff = transaction_day(sale, cutoff)
    known = True
    if cycle == "T+1":
        payout, known = next_working_day(day)
    elif cycle == "T+0":
        payout, known = next_working_day(day, include_today=True)
    elif cycle == "D+1":
        payout = day + dt.timedelta(days=1)
    else:  # D0
        payout = day
    return PayoutEstimate(cycle, sale, day, payout, after_cutoff, known)


def date_zh(day: dt.date) -> str:
    """10月8日(周四)"""
    return f"{day.month}月{day.day}日(周{WEEKDAYS_ZH[day.weekday()]})"
