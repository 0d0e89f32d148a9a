"""Spot a form submitted twice: the first submission of a one-time token wins.

The tokens are counted in the rate-limit store (memory in development, Redis in production):
it increments atomically and shared between processes, so two copies of a double-clicked form
racing each other still see one winner.
"""

from __future__ import annotations

from matcher.web.extensions import limiter
from matcher.web.forms import SubmitOnceForm

REMEMBER_SECONDS = 24 * 3600


def first_submission(form: SubmitOnceForm) -> bool:
    """Whether this is the first time ``form``'s one-time token has been submitted."""
    token = form.submission.data or ""
    if not token:
        return True
    return limiter.storage.incr(f"matcher/once/{token}", REMEMBER_SECONDS) == 1
