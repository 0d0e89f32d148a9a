"""Periods in London time, the beat schedule across clock changes, and unsubscribe tokens."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from celery.schedules import crontab

from matcher.digests.links import unsubscribe_token, user_from_unsubscribe_token
from matcher.digests.periods import BadPeriod, describe, kind_of, period_for, period_start
from matcher.models import DigestKind
from matcher.security.tokens import InvalidToken, make_token
from tests.conftest import make_settings
from workers.schedule import beat_schedule

SECRET = "test-secret-key-that-is-long-enough-for-signing"


def test_periods_are_named_in_london_time():
    # 23:30 UTC on Sunday 29 March 2026 is already Monday 00:30 in London (BST).
    late = datetime(2026, 3, 29, 23, 30, tzinfo=UTC)
    assert period_for(DigestKind.WEEKLY, late) == "2026-W14"
    assert period_for(DigestKind.DAILY, late) == "2026-03-30"
    assert period_for(DigestKind.WEEKLY, datetime(2026, 11, 25, 12, tzinfo=UTC)) == "2026-W48"
    assert kind_of("2026-W48") == DigestKind.WEEKLY
    assert kind_of("2026-11-25") == DigestKind.DAILY
    assert period_start("2026-W48") == datetime(2026, 11, 23, tzinfo=UTC)
    assert describe("2026-W48") == "the week of 23 November 2026"
    for bad in ("2026-W54", "2026-13-01", "next week"):
        with pytest.raises(BadPeriod):
            kind_of(bad)


@pytest.mark.parametrize(
    ("after", "expected_utc"),
    [
        # The Monday after the last Sunday of March 2026 (clocks went forward): 06:00 UTC.
        (datetime(2026, 3, 29, 12, tzinfo=UTC), datetime(2026, 3, 30, 6, tzinfo=UTC)),
        # The Monday after the last Sunday of October 2026 (clocks went back): 07:00 UTC.
        (datetime(2026, 10, 25, 12, tzinfo=UTC), datetime(2026, 10, 26, 7, tzinfo=UTC)),
    ],
)
def test_the_weekly_digest_runs_at_seven_london_time_across_clock_changes(
    tmp_path: Path, after: datetime, expected_utc: datetime
):
    from celery import Celery

    app = Celery(set_as_current=False)
    app.conf.update(timezone="Europe/London", enable_utc=True)
    schedule: crontab = beat_schedule(make_settings(tmp_path))["weekly-digests"]["schedule"]
    schedule = crontab(
        minute=schedule._orig_minute,
        hour=schedule._orig_hour,
        day_of_week=schedule._orig_day_of_week,
        app=app,
    )
    local_after = after.astimezone(app.timezone)
    remaining = schedule.remaining_delta(local_after)[1]
    next_run = (local_after + remaining).astimezone(UTC)
    assert next_run == expected_utc


def test_the_send_time_is_configurable(tmp_path: Path):
    entries = beat_schedule(make_settings(tmp_path, DIGEST_SEND_TIME="08:30"))
    daily = entries["daily-digests"]["schedule"]
    assert daily.hour == {8} and daily.minute == {30}
    assert entries["weekly-digests"]["args"] == ("weekly",)


def test_unsubscribe_tokens_are_signed_for_that_purpose_only():
    token = unsubscribe_token(SECRET, 42)
    assert user_from_unsubscribe_token(SECRET, token) == 42
    tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    with pytest.raises(InvalidToken):
        user_from_unsubscribe_token(SECRET, tampered)
    with pytest.raises(InvalidToken):
        user_from_unsubscribe_token(SECRET, make_token(SECRET, "matcher.reset-password", {"u": 42}))
    with pytest.raises(InvalidToken):
        user_from_unsubscribe_token("another-secret-key-entirely-different", token)


def test_the_cached_unsubscribe_token_is_the_one_make_token_makes():
    from matcher.digests.links import UNSUBSCRIBE, unsubscribe_token, user_from_unsubscribe_token
    from matcher.security.tokens import make_token, read_token

    secret = "a-secret-key-long-enough-for-signing-tokens"
    token = unsubscribe_token(secret, 42)
    assert read_token(secret, UNSUBSCRIBE, token, max_age=60) == {"u": 42}
    assert user_from_unsubscribe_token(secret, make_token(secret, UNSUBSCRIBE, {"u": 42})) == 42
