"""The beat schedule, declared here and only here.

Each entry names a task, when it runs and the queue it goes to. Periodic work that must not
be lost when the broker is down does not belong here alone: beat publishes through the broker.
That is why the outbox sweep runs in the workers (``workers.relay``), not from beat.
"""

from __future__ import annotations

from typing import Any

from celery.schedules import crontab, schedule

from config import Settings

Entry = dict[str, Any]


def entry(task_name: str, when: crontab | schedule, queue: str) -> Entry:
    """One beat entry: run ``task_name`` on ``queue`` at ``when`` (Europe/London for crontabs)."""
    return {"task": task_name, "schedule": when, "options": {"queue": queue}}


# Task names and queue as strings: importing the task modules here would import them circularly.
DIGESTS_START = "digests.start"
DIGESTS_RECOVER = "digests.recover"
EMAIL_QUEUE = "email"
DIGEST_RECOVERY_MINUTES = 5
MATCHING_REBUILD_ALL = "matching.rebuild_all"
MATCHING_QUEUE = "matching"
OUTBOX_PURGE = "outbox.purge"
NOTIFICATIONS_SEND_DUE = "notifications.send_due"
DEFAULT_QUEUE = "default"


def beat_schedule(settings: Settings) -> dict[str, Entry]:
    """Every periodic task by entry name; the nightly-rebuild issue adds its own."""
    hour, minute = settings.digest_send_time
    entries: dict[str, Entry] = {
        # Crontabs run in the app's timezone (Europe/London), so 07:00 stays 07:00 for
        # recipients across the clock changes: 06:00 UTC in summer, 07:00 UTC in winter.
        "weekly-digests": entry(
            DIGESTS_START, crontab(minute=minute, hour=hour, day_of_week="mon"), EMAIL_QUEUE
        ),
        "daily-digests": entry(DIGESTS_START, crontab(minute=minute, hour=hour), EMAIL_QUEUE),
        "digest-recovery": entry(
            DIGESTS_RECOVER, crontab(minute=f"*/{DIGEST_RECOVERY_MINUTES}"), EMAIL_QUEUE
        ),
    }
    # Nightly, before the 07:00 digests, so they read freshly rebuilt matches.
    entries["nightly-match-rebuild"] = entry(
        MATCHING_REBUILD_ALL, crontab(minute=30, hour=2), MATCHING_QUEUE
    )
    # Processed outbox events are kept OUTBOX_RETENTION_DAYS for tracing, then deleted.
    entries["outbox-purge"] = entry(OUTBOX_PURGE, crontab(minute=15, hour=3), DEFAULT_QUEUE)
    # Notification emails a temporary failure deferred (matcher.notifications).
    entries["notifications-send-due"] = entry(NOTIFICATIONS_SEND_DUE, schedule(60.0), EMAIL_QUEUE)
    entries["weekly-digests"]["args"] = ("weekly",)
    entries["daily-digests"]["args"] = ("daily",)
    return entries
