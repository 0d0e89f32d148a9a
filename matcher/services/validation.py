"""Field-level validation failures that forms and the API show beside each field."""

from __future__ import annotations

from matcher.services.errors import ServiceError


class ValidationFailed(ServiceError):
    """Input broke one or more rules; ``errors`` maps each field name to a message for the user.

    Messages follow the GOV.UK Design System's error message style ("Enter a title"), so a view
    can show them unchanged in its error summary and inline, and the API can return them as
    problem+json field details (HTTP 422).
    """

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = dict(errors)
