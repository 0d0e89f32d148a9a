"""Log lines: readable text in development and tests, one JSON object a line in production.

Both carry the request id and, inside a task, the task's name and id (``context``). One
handler on the root logger writes them, so the web app, the workers and the libraries they
use all log the same way.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from config import Settings
from matcher.observability.context import current

HANDLER_NAME = "matcher"
CONTEXT_FIELDS = ("request_id", "task_name", "task_id")


class ContextFilter(logging.Filter):
    """Copy the current request and task ids onto each record the handler writes."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = current()
        record.request_id = context.request_id
        record.task_name = context.task_name
        record.task_id = context.task_id
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, request_id, and the task if any."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        if getattr(record, "task_name", None):
            line["task_name"] = getattr(record, "task_name", None)
            line["task_id"] = getattr(record, "task_id", None)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``time level logger [request_id task_name[task_id]] message`` for people to read."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(context)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        ids = [getattr(record, "request_id", None)]
        task_name = getattr(record, "task_name", None)
        if task_name:
            ids.append(f"{task_name}[{getattr(record, 'task_id', None)}]")
        shown = " ".join(value for value in ids if value)
        record.context = f" [{shown}]" if shown else ""
        return super().format(record)


def configure_logging(settings: Settings) -> None:
    """Send every log record to standard error in the format and at the level ``settings`` ask.

    Building a second app in one process (tests do) replaces the handler instead of adding
    one, and leaves handlers that others installed (pytest's capture) alone.
    """
    root = logging.getLogger()
    for handler in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(handler)
    handler = logging.StreamHandler()
    handler.set_name(HANDLER_NAME)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else TextFormatter())
    root.addHandler(handler)
    root.setLevel(settings.log_level)
