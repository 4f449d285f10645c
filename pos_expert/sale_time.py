"""When did the sale happen? Chinese time expressions in a merchant's message, read with JioNLP.

JioNLP (`jionlp.ner.extract_time`) finds and normalises 今天/昨晚十一点半/上周五/12月1日/国庆节/大年三十.
Around it this module adds what a payment conversation needs:
- a sale lies in the past: a weekday or festival that JioNLP places in the future ("周六" said on a
  Tuesday) is read again from a week or a year earlier;
- words about the settlement cycle (第二天到, 当天到, T+1) and about now (现在, 到现在) are not sale times;
- "国庆前一天" / "春节后两天": a festival with a day offset, which JioNLP reads as an open span;
- vague spans (前两天, 上个月) give no date: the payout estimate needs a day;
- a bare hour from 1 to 6 ("3点多", "昨天两点") is an afternoon: JioNLP reads it as night, but a shop that
  means 3 am says 凌晨/半夜.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import logging
import re
from typing import Optional

logger = logging.getLogger(__name__)

# Spans longer than this are too vague to date a sale ("前两天", "上个月").
MAX_SPAN = dt.timedelta(days=1, hours=1)
# Expressions about the cycle or the present, never the sale itself.
NOT_A_SALE = re.compile(
    r"^(现在|目前|此刻|到现在|至今|当天|第二天|次日|隔天|下一个工作日|工作日|每天|今天该|明天|后天)"
)
CYCLE_WORDS = re.compile(r"(第二天|当天|次日|隔天)(才|就|能|会)?(到|到账|结算|出款)")
FESTIVAL_OFFSET = re.compile(
    r"(国庆|春节|过年|元旦|五一|劳动节|中秋|端午|清明|除夕|大年三十|双十一|圣诞)节?"
    r"(前|后)(一|二|两|三|1|2|3)天"
)
# An expression that names only a time of day (no day, date, weekday or festival).
TIME_OF_DAY_ONLY = re.compile(
    r"^[^日号月年周期拜天节]*(点|时|:|：|晚上|早上|上午|下午|凌晨|中午|傍晚|夜)[^日号月年周期拜天节]*$"
)
# Words that place a clock hour in the day; without one, 1-6 o'clock is read as the afternoon.
PART_OF_DAY = re.compile(r"(凌晨|半夜|夜里|深夜|夜间|早上|早晨|清晨|一早|上午|中午|下午|午后|傍晚|晚上|晚|夜)")
AFTERNOON_HOURS = range(1, 7)
NUMBERS = {"一": 1, "二": 2, "两": 2, "三": 3, "1": 1, "2": 2, "3": 3}

_jionlp = None


def _library():
    """JioNLP, imported once and quietly (it prints a banner on import)."""
    global _jionlp
    if _jionlp is None:
        with contextlib.redirect_stdout(io.StringIO()):
            import jionlp  # noqa: WPS433 - heavy import, done on first use

        _jionlp = jionlp
    return _jionlp


def _parse(expression: str, base: dt.datetime) -> Optional[tuple]:
    try:
        result = _library().parse_time(expression, time_base=base.timestamp())
    except (ValueError, KeyError, TypeError, IndexError, AttributeError):
        return None
    times = result.get("time") if isinstance(result, dict) else None
    if not isinstance(times, list) or len(times) != 2 or not all(isinstance(t, str) for t in times):
        return None
    if "inf" in times[0] or "inf" in times[1]:
        return None
    return dt.datetime.fromisoformat(times[0]), dt.datetime.fromisoformat(times[1])


def _in_the_past(expression: str, now: dt.datetime) -> Optional[tuple]:
    """The expression's span, moved back a day (a time of day alone: "晚上10点" said at 3 pm is last night),
    a week (weekdays) or a year (dates, festivals) if it lies ahead."""
    span = _parse(expression, now)
    if span is None or span[0] <= now:
        return span
    if TIME_OF_DAY_ONLY.match(expression):
        back = dt.timedelta(days=1)
    elif re.search(r"(周|星期|礼拜)", expression):
        back = dt.timedelta(days=7)
    else:
        back = dt.timedelta(days=365)
    earlier = now - back
    span = _parse(expression, earlier)
    return span if span is not None and span[0] <= now else None


def _festival_offset(text: str, now: dt.datetime) -> Optional[dt.datetime]:
    match = FESTIVAL_OFFSET.search(text)
    if not match:
        return None
    span = _in_the_past(match.group(1) if match.group(1) != "过年" else "春节", now)
    if span is None:
        return None
    days = NUMBERS[match.group(3)] * (-1 if match.group(2) == "前" else 1)
    return span[0] + dt.timedelta(days=days)


def sale_time(text: str, now: dt.datetime) -> Optional[dt.datetime]:
    """When the sale a message talks about happened, or None when it names no usable day.

    A time of day is kept when given (it decides the 日切); a day without one is taken at noon.
    `now` is naive local time (Asia/Shanghai).
    """
    if not text or not re.search(r"[天日号周礼拜期点晚早午夜节年月前]|\d", text):
        return None
    offset = _festival_offset(text, now)
    if offset is not None:
        return offset.replace(hour=12, minute=0, second=0)
    cleaned = CYCLE_WORDS.sub(" ", text)
    try:
        found = _library().ner.extract_time(cleaned, time_base=now.timestamp(), with_parsing=False)
    except (ValueError, KeyError, TypeError, IndexError, AttributeError):
        logger.warning("time extraction failed", exc_info=True)
        return None
    for item in found:
        expression = item.get("text") or ""
        if NOT_A_SALE.match(expression):
            continue
        span = _in_the_past(expression, now)
        if span is None or span[1] - span[0] > MAX_SPAN:
            continue
        start, end = span
        if end - start >= dt.timedelta(hours=23):  # a whole day: no time of day given
            return start.replace(hour=12, minute=0, second=0)
        if start.hour in AFTERNOON_HOURS and not PART_OF_DAY.search(expression):
            afternoon = start + dt.timedelta(hours=12)
            if afternoon <= now:
                return afternoon
        return start
    return None
