"""Digest periods: an ISO week ("2026-W48") for weekly digests, a date ("2026-11-25") for daily.

Periods are named in Europe/London time, which is what "Monday at 07:00" means to recipients.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from matcher.clock import LONDON, london_date
from matcher.models import DigestKind

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# How far back the first digest of someone who never had one looks for news.
FIRST_DIGEST_LOOKBACK = {DigestKind.WEEKLY: timedelta(days=7), DigestKind.DAILY: timedelta(days=1)}


class BadPeriod(ValueError):
    """A period string that is neither an ISO week nor a date."""


def period_for(kind: DigestKind, now: datetime) -> str:
    """The period a digest of ``kind`` sent at ``now`` belongs to."""
    today = london_date(now)
    if kind == DigestKind.WEEKLY:
        year, week, _ = today.isocalendar()
        return f"{year}-W{week:02d}"
    return today.isoformat()


def kind_of(period: str) -> DigestKind:
    """Whether ``period`` names a week or a day; BadPeriod if neither."""
    week = _WEEK.match(period)
    if week:
        try:
            date.fromisocalendar(int(week.group(1)), int(week.group(2)), 1)
        except ValueError:
            raise BadPeriod(f"{period!r} is not an ISO week") from None
        return DigestKind.WEEKLY
    if _DAY.match(period):
        try:
            date.fromisoformat(period)
        except ValueError:
            raise BadPeriod(f"{period!r} is not a date") from None
        return DigestKind.DAILY
    raise BadPeriod(f"{period!r} is neither an ISO week like 2026-W48 nor a date like 2026-11-25")


def period_start(period: str) -> datetime:
    """The instant (UTC) at which ``period`` begins: London midnight of its first day."""
    if kind_of(period) == DigestKind.WEEKLY:
        year, week = period.split("-W")
        first = date.fromisocalendar(int(year), int(week), 1)
    else:
        first = date.fromisoformat(period)
    return datetime(first.year, first.month, first.day, tzinfo=LONDON).astimezone(UTC)


def describe(period: str) -> str:
    """A period for people: "the week of 23 November 2026" or "25 November 2026"."""
    start = period_start(period).astimezone(LONDON).date()
    day = f"{start.day} {start:%B %Y}"
    return f"the week of {day}" if kind_of(period) == DigestKind.WEEKLY else day
