"""Optimistic concurrency: refuse an edit made against a version someone has since changed."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from matcher.services.errors import ServiceError


class StaleObject(ServiceError):
    """The object changed since the caller read it (the API answers 412 to a stale If-Match)."""

    def __init__(self, object_type: str, object_id: int, expected: int, current: int) -> None:
        super().__init__(
            f"{object_type} {object_id} is at version {current}, not {expected}; "
            "read it again and repeat the change"
        )
        self.object_type = object_type
        self.object_id = object_id
        self.expected = expected
        self.current = current


def check_version(object_type: str, object_id: int, expected: int | None, current: int) -> None:
    """Raise StaleObject unless ``expected`` is None (no precondition) or ``current``."""
    if expected is not None and expected != current:
        raise StaleObject(object_type, object_id, expected, current)


def flush_versioned(session: Session, row: Any, object_type: str) -> None:
    """Flush a row mapped with ``version_id_col``, turning a concurrent writer's version bump
    into StaleObject."""
    expected = row.version_id
    try:
        session.flush()
    except StaleDataError as error:
        raise StaleObject(object_type, row.id, expected, expected + 1) from error
