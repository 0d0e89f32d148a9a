"""The beat schedule, declared here and only here.

Each entry names a task by its object, so a renamed task cannot leave the schedule behind, and
runs on the queue the task was declared with. Periodic work that must not be lost when the
broker is down does not belong here alone: beat publishes through the broker. That is why the
outbox sweep runs in the workers (``workers.relay``), not from beat.
"""

from __future__ import annotations

from typing import Any

from celery import Task
from celery.schedules import crontab, schedule

from config import Settings
from matcher.services.insights import REFRESH_SECONDS
from workers.allocation import close_rounds_past_deadline
from workers.digests import recover_digests, start_digests
from workers.emails import send_due_notifications
from workers.insights import refresh_insights
from workers.matching import rebuild_all
from workers.outbox_tasks import purge_outbox
from workers.queues import TASK_QUEUES
from workers.reflections import ask_for_reflections

Entry = dict[str, Any]


def entry(task: Task, when: crontab | schedule, *args: Any) -> Entry:
    """One beat entry: run ``task`` with ``args`` at ``when`` (Europe/London for crontabs)."""
    return {
        "task": task.name,
        "schedule": when,
        "args": args,
        "options": {"queue": TASK_QUEUES[task.name]},
    }


def beat_schedule(settings: Settings) -> dict[str, Entry]:
    """Every periodic task by entry name."""
    hour, minute = settings.digest_send_time
    return {
        # Crontabs run in the app's timezone (Europe/London), so 07:00 stays 07:00 for
        # recipients across the clock changes: 06:00 UTC in summer, 07:00 UTC in winter.
        "weekly-digests": entry(
            start_digests, crontab(minute=minute, hour=hour, day_of_week="mon"), "weekly"
        ),
        "daily-digests": entry(start_digests, crontab(minute=minute, hour=hour), "daily"),
        # Often, so a batch lost with the broker's queue goes again within minutes.
        "digest-recovery": entry(
            recover_digests, schedule(settings.digest_recovery_interval_seconds)
        ),
        # Nightly, before the 07:00 digests, so they read freshly rebuilt matches.
        "nightly-match-rebuild": entry(rebuild_all, crontab(minute=30, hour=2)),
        # Processed outbox events are kept OUTBOX_RETENTION_DAYS for tracing, then deleted.
        "outbox-purge": entry(purge_outbox, crontab(minute=15, hour=3)),
        # Notification emails a temporary failure deferred (matcher.notifications).
        "notifications-send-due": entry(send_due_notifications, schedule(60.0)),
        # Each morning: reflections on placements that ended, and the one reminder.
        "reflections-ask": entry(ask_for_reflections, crontab(minute=0, hour=9)),
        # A round's deadline for confirming is a moment, so rounds past it close within minutes.
        "rounds-close-past-deadline": entry(close_rounds_past_deadline, schedule(300.0)),
        # The public insights page and the open data read the newest count (services.insights).
        "insights-refresh": entry(refresh_insights, schedule(float(REFRESH_SECONDS))),
    }
