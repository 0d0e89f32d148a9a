"""Celery's side: a task's log lines carry its request id, and its runs are measured.

The request id travels as a message header. ``matcher.outbox.publish`` sets it from the outbox
event; any other task sent while a request or a task is running (a retry, a rebuild's chunks)
gets the current one here, before it is published.
"""

from __future__ import annotations

import time
from contextvars import Token
from typing import Any

from celery import Task
from celery.signals import before_task_publish, task_failure, task_postrun, task_prerun, task_retry

from matcher.observability.context import (
    WELL_FORMED_REQUEST_ID,
    LogContext,
    bind,
    current_request_id,
    unbind,
)
from matcher.observability.metrics import instruments

REQUEST_ID = "request_id"

# Per task id: the context to restore and when the run started. prerun and postrun of one run
# happen in the same thread, one after the other.
_running: dict[str, tuple[Token[LogContext], float]] = {}


def request_id_header(request_id: str | None) -> dict[str, str]:
    """Message headers that carry ``request_id`` to the task's log lines."""
    return {REQUEST_ID: request_id} if request_id else {}


def _carry_request_id(headers: dict[str, Any] | None = None, **_: Any) -> None:
    request_id = current_request_id()
    if headers is not None and request_id and not headers.get(REQUEST_ID):
        headers[REQUEST_ID] = request_id


def _received_request_id(task: Task) -> str | None:
    # Anything that can write to the broker can set a header: keep only a well-formed id.
    request_id = getattr(task.request, REQUEST_ID, None)
    if isinstance(request_id, str) and WELL_FORMED_REQUEST_ID.fullmatch(request_id):
        return request_id
    return None


def _started(task_id: str, task: Task, **_: Any) -> None:
    context = LogContext(
        request_id=_received_request_id(task), task_name=task.name, task_id=task_id
    )
    _running[task_id] = (bind(context), time.perf_counter())


def _finished(task_id: str, task: Task, state: str | None = None, **_: Any) -> None:
    running = _running.pop(task_id, None)
    if running is None:
        return
    token, started = running
    instruments().task_duration.labels(task=task.name, state=state or "UNKNOWN").observe(
        time.perf_counter() - started
    )
    unbind(token)


def _failed(sender: Task, **_: Any) -> None:
    instruments().task_failures.labels(task=sender.name).inc()


def _retried(sender: Task, **_: Any) -> None:
    instruments().task_retries.labels(task=sender.name).inc()


def connect_task_signals() -> None:
    """Carry request ids into tasks and measure every task run in this process."""
    before_task_publish.connect(_carry_request_id, weak=False, dispatch_uid=__name__ + ".carry")
    task_prerun.connect(_started, weak=False, dispatch_uid=__name__ + ".started")
    task_postrun.connect(_finished, weak=False, dispatch_uid=__name__ + ".finished")
    task_failure.connect(_failed, weak=False, dispatch_uid=__name__ + ".failed")
    task_retry.connect(_retried, weak=False, dispatch_uid=__name__ + ".retried")
