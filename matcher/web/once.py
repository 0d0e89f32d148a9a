"""Spot a form submitted twice: the first submission of a one-time token wins.

The tokens are counted in the rate-limit store (memory in development, Redis in production):
it increments atomically and shared between processes, so two copies of a double-clicked form
racing each other still see one winner. A submission the service refuses changes nothing, so
its token is released: the page that shows the errors carries the same token, and the
corrected form must be able to go through.
"""

from __future__ import annotations

from flask import Response, after_this_request

from matcher.http.extensions import limiter
from matcher.web.forms import SubmitOnceForm

REMEMBER_SECONDS = 24 * 3600


def first_submission(form: SubmitOnceForm) -> bool:
    """Whether this is the first time ``form``'s one-time token has been submitted."""
    token = form.submission.data or ""
    if not token:
        return True
    key = f"matcher/once/{token}"
    if limiter.storage.incr(key, REMEMBER_SECONDS) != 1:
        return False

    @after_this_request
    def release_if_refused(response: Response) -> Response:
        if response.status_code >= 400:
            limiter.storage.clear(key)
        return response

    return True
