"""The queues, and the one decorator that declares a task together with the queue it runs on.

Task modules import this module, never ``workers.app``: the app imports every task module (and
the beat schedule names tasks by their objects), so the dependency points one way only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from celery import Task, shared_task

QUEUE_MATCHING = "matching"
QUEUE_EMAIL = "email"
QUEUE_DEFAULT = "default"
# Jobs that find and re-enqueue lost work: never queued behind the work they look for.
QUEUE_RECOVERY = "recovery"
QUEUES = (QUEUE_MATCHING, QUEUE_EMAIL, QUEUE_DEFAULT, QUEUE_RECOVERY)

# Each task's queue by task name, filled in as task modules declare their tasks; publishers
# route through it (Celery 5.7 deprecates a queue attribute on the task itself).
TASK_QUEUES: dict[str, str] = {}

# The longest a task may wait before a retry; the broker must hold an unacknowledged
# message longer than this, or it would hand the message to a second worker mid-retry.
MAX_RETRY_DELAY_SECONDS = 600


def queued_task(name: str, *, queue: str, **options: Any) -> Callable[[Callable[..., Any]], Task]:
    """``shared_task(name=name, **options)`` that always runs on ``queue``."""

    def decorate(function: Callable[..., Any]) -> Task:
        TASK_QUEUES[name] = queue
        return shared_task(name=name, **options)(function)

    return decorate
