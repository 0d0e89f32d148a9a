"""The service's clock: dates mean what they mean in the UK."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def london_date(now: datetime) -> date:
    """The calendar date in London at the instant ``now``."""
    return now.astimezone(LONDON).date()


def london_today() -> date:
    """Today's date in the UK, which is what closing dates and digest periods mean."""
    return datetime.now(LONDON).date()
