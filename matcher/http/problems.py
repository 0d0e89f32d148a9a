"""RFC 9457 problem details: every API error has this one shape."""

from __future__ import annotations

from http import HTTPStatus

from flask import Response, json
from pydantic import BaseModel, ConfigDict, Field

PROBLEM_JSON = "application/problem+json"


class FieldError(BaseModel):
    """One rejected input: where it was and what is wrong with it."""

    field: str = Field(
        description="Where the field is: `body.theme_ids.2`, `query.per_page`, `rows.3.title`"
    )
    message: str


class Problem(BaseModel):
    """An error response (RFC 9457)."""

    model_config = ConfigDict(title="Problem")

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldError] | None = Field(
        default=None, description="Field-level details, for 400 and 422"
    )


def problem(
    status: int,
    detail: str | None = None,
    *,
    errors: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """A problem+json response with ``status``'s standard title."""
    body = Problem(
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        errors=[FieldError(field=f, message=m) for f, m in errors.items()] if errors else None,
    )
    response = Response(
        json.dumps(body.model_dump(exclude_none=True)), status=status, mimetype=PROBLEM_JSON
    )
    response.headers.update(headers or {})
    return response
