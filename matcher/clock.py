"""The service's clock: every "now" and "today" is read here, and tests set it.

Dates mean what they mean in the UK. Setting the clock moves it, not stops it: it reads the
instant it was set to and runs on from there, so rows written one after another still come in
order.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")

# (the instant the clock was set to, the monotonic time it was set at); None reads the machine.
_set_at: tuple[datetime, float] | None = None


def now() -> datetime:
    """The current instant, in UTC."""
    if _set_at is None:
        return datetime.now(UTC)
    instant, monotonic = _set_at
    return instant + timedelta(seconds=time.monotonic() - monotonic)


def set_now(instant: datetime | None) -> None:
    """Make the clock read ``instant`` (timezone-aware) from this moment on; None: the machine's."""
    if instant is not None and instant.tzinfo is None:
        raise ValueError("set the clock to a timezone-aware instant")
    global _set_at
    _set_at = None if instant is None else (instant.astimezone(UTC), time.monotonic())


def london_date(instant: datetime) -> date:
    """The calendar date in London at ``instant``."""
    return instant.astimezone(LONDON).date()


def london_today() -> date:
    """Today's date in the UK, which is what closing dates and digest periods mean."""
    return london_date(now())
