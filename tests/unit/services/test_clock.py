"""The service's clock: services read the date from it, in London, and tests set it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from matcher.clock import london_today, now, set_now
from matcher.extensions import db
from matcher.models import utcnow
from matcher.services.validation import ValidationFailed
from tests.unit.services.world import World, draft

CLOSING = date(2026, 7, 1)


def test_a_set_clock_reads_the_instant_it_was_set_to_and_runs_on():
    set_now(datetime(2027, 3, 28, 0, 59, tzinfo=UTC))
    first = now()
    assert first >= datetime(2027, 3, 28, 0, 59, tzinfo=UTC)
    assert utcnow() >= first
    # The clocks go forward at 01:00 UTC that day; London's date is the 28th either side.
    assert london_today() == date(2027, 3, 28)


def test_a_clock_is_set_to_an_instant_that_names_its_timezone():
    with pytest.raises(ValueError):
        set_now(datetime(2026, 7, 1, 12, 0))


def test_the_closing_date_rule_reads_the_date_in_london_from_the_clock(world: World):
    # 23:30 on 30 June in London (22:30 UTC): a placement may still close on 1 July.
    set_now(datetime(2026, 6, 30, 22, 30, tzinfo=UTC))
    placement = draft(
        db.session, world, closing_date=CLOSING, start_date=CLOSING + timedelta(days=30)
    )
    assert placement.closing_date == CLOSING

    # An hour later it is 1 July in London, though 30 June still in UTC.
    set_now(datetime(2026, 6, 30, 23, 30, tzinfo=UTC))
    with pytest.raises(ValidationFailed) as raised:
        draft(db.session, world, closing_date=CLOSING, start_date=CLOSING + timedelta(days=30))
    assert raised.value.errors == {"closing_date": "Closing date must be in the future"}
