"""One transaction per page, as ``@operation`` gives each API request, and one way to answer
a service's refusal.

``@unit_of_work`` runs a view and commits once when it returns; anything it raises rolls the
transaction back. A refusal that leaves the view unanswered is the 404 page (NotFound: the
person may not know it exists), the 403 page (NotPermitted), or else a fault.

A view says how its page answers the refusals a person can act on by wrapping the service
call in ``with answering(form, {ErrorType: answer})``. The transaction is rolled back first,
then a ValidationFailed puts its messages on ``form``, and each listed error gets its answer:
- ``Tell(message, url)``: a notification banner on the page at ``url``;
- ``{"field": "message"}``: that error on ``form``;
- a function of the error: the page it renders.
An error on the form lets the view carry on past the ``with`` block to show the form again,
which ``form_page`` answers with 422.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import abort, flash, make_response, redirect
from flask.typing import ResponseReturnValue

from matcher.extensions import db
from matcher.services.errors import NotFound, NotPermitted, ServiceError
from matcher.services.validation import ValidationFailed
from matcher.web.forms import BaseForm, add_errors

View = TypeVar("View", bound=Callable[..., Any])


@dataclass(frozen=True)
class Tell:
    """Say why nothing changed in a banner on the page at ``url``; ``message`` may be worked
    out from the error, after the rollback has reloaded what it reads."""

    message: str | Callable[[Any], str]
    url: str


Answer = Tell | Mapping[str, str] | Callable[[Any], ResponseReturnValue]


def told_on(url: str) -> Tell:
    """Say a ValidationFailed's first message in a banner on the page at ``url``."""
    return Tell(lambda error: next(iter(error.errors.values())), url)


def unit_of_work(view: View) -> View:
    """Commit once when ``view`` returns; roll back when it raises, and answer a refusal."""

    @wraps(view)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            response = view(*args, **kwargs)
        except NotFound:
            db.session.rollback()
            abort(404)
        except NotPermitted:
            db.session.rollback()
            abort(403)
        except BaseException:
            db.session.rollback()
            raise
        db.session.commit()
        return response

    return run  # type: ignore[return-value]


@contextmanager
def answering(
    form: BaseForm | None = None,
    answers: Mapping[type[ServiceError], Answer] | None = None,
    *,
    field_names: Mapping[str, str] | None = None,
) -> Iterator[None]:
    """Answer the listed refusals of the service calls inside, and field errors on ``form``.

    ``answers`` are tried in order, so list a subclass before its parent; ``field_names`` maps
    the service's names of fields to the form's.
    """
    try:
        yield
    except ServiceError as error:
        answer = next((a for kind, a in (answers or {}).items() if isinstance(error, kind)), None)
        if answer is None and form is not None and isinstance(error, ValidationFailed):
            answer = error.errors
        if answer is None:
            raise
        db.session.rollback()
        if isinstance(answer, Tell):
            message = answer.message if isinstance(answer.message, str) else answer.message(error)
            flash(message)
            abort(redirect(answer.url))
        if isinstance(answer, Mapping):
            assert form is not None, "field errors need the form to show them on"
            add_errors(form, dict(answer), dict(field_names or {}))
            return
        abort(make_response(answer(error)))
