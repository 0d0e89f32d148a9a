"""Turn a service's refusal into the page a person should see, the same way in every view."""

from __future__ import annotations

from typing import NoReturn

from flask import abort

from matcher.extensions import db
from matcher.services.errors import NotFound, NotPermitted, ServiceError


def refuse(error: ServiceError) -> NoReturn:
    """Roll back, then 404 for what the person may not know exists and 403 for the rest."""
    db.session.rollback()
    if isinstance(error, NotFound):
        abort(404)
    if isinstance(error, NotPermitted):
        abort(403)
    raise error
