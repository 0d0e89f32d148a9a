"""Use cases: each function checks the rules and makes one change, in the caller's transaction.

A service takes the session as its first argument, flushes when it needs ids, and never
commits or rolls back: the caller (a view, a CLI command, a task, a test) owns the transaction
and commits once, so several services can make one atomic change and outbox events are
published only when the whole change is committed. Services raise the ``ServiceError``
subclasses below for broken rules; callers roll back and turn them into a page, an API error or
an exit status.
"""

from matcher.services.errors import InvalidState, NotFound, NotPermitted, ServiceError

__all__ = ["InvalidState", "NotFound", "NotPermitted", "ServiceError"]
