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


def beat_schedule(settings: Settings) -> dict[str, Entry]:
    """Every periodic task by entry name; the digest and nightly-rebuild issues add theirs."""
    entries: dict[str, Entry] = {}
    return entries
