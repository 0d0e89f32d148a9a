"""What a log line is about: the request id, and the task when one is running.

One context variable carries it through a web request, the outbox event the request records
and the Celery task that event runs, so every line about one change can be found by one id.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass

REQUEST_ID_HEADER = "X-Request-Id"
# Fits outbox_events.request_id; letters, digits and a few separators only, so an id taken
# from a caller cannot forge a log line or smuggle markup into one.
WELL_FORMED_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")


@dataclass(frozen=True)
class LogContext:
    """The ids a log line carries; empty outside a request or a task."""

    request_id: str | None = None
    task_name: str | None = None
    task_id: str | None = None


NO_CONTEXT = LogContext()
_current: ContextVar[LogContext] = ContextVar("matcher_log_context")


def current() -> LogContext:
    """The context of the code running now."""
    return _current.get(NO_CONTEXT)


def current_request_id() -> str | None:
    """The request id of the code running now, if it has one."""
    return current().request_id


def accepted_request_id(offered: str | None) -> str:
    """``offered`` when it is a well-formed request id, else a new one."""
    if offered and WELL_FORMED_REQUEST_ID.fullmatch(offered):
        return offered
    return uuid.uuid4().hex


def bind(context: LogContext) -> Token[LogContext]:
    """Make ``context`` the current one until ``unbind`` is given the token this returns."""
    return _current.set(context)


def unbind(token: Token[LogContext]) -> None:
    """Restore the context that was current before the ``bind`` that returned ``token``."""
    _current.reset(token)


@contextmanager
def bound(context: LogContext) -> Iterator[LogContext]:
    """Make ``context`` the current one until the block ends."""
    token = bind(context)
    try:
        yield context
    finally:
        unbind(token)
