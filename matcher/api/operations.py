"""Declaring API operations: one decorator gives a route, its checks and its OpenAPI entry.

``@operation`` registers the handler under /api/v1 and records an ``Operation`` that the
OpenAPI document is generated from, so the description cannot drift from the code. For each
request it authenticates the bearer token, applies the per-token rate limit and the role
check, validates the query and body against pydantic models (unknown fields rejected), reads
``If-Match``, calls the handler, commits once, and turns service errors into problem+json:
NotFound 404, NotPermitted 403, InvalidState 409, StaleObject 412, ValidationFailed 422.
"""

from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from flask import Blueprint, Response, json, request
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import IntegrityError
from werkzeug.routing import BaseConverter

from matcher.api.schemas import ID_MAX
from matcher.extensions import db
from matcher.http.problems import problem
from matcher.http.ratelimit import TooManyAttempts, count_api_request
from matcher.models import Role
from matcher.services.api_tokens import token_for_secret
from matcher.services.concurrency import StaleObject
from matcher.services.errors import InvalidState, NotFound, NotPermitted, ServiceError
from matcher.services.validation import ValidationFailed

Method = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
JSON_BODY_MAX = 64 * 1024
NUL_MESSAGE = "Text cannot hold a NUL character (\\u0000)"

API_PREFIX = "/api/v1"
api = Blueprint("api_v1", __name__, url_prefix=API_PREFIX)


class IdConverter(BaseConverter):
    """``<id:name>``: a row id, as digits; ``_handle`` answers 404 for one out of range.

    The range is not checked here: when a converter refuses a value that its pattern matched,
    Werkzeug answers 405 if another operation has the same path (GET and POST of a
    collection), where the answer is 404. Ten digits at most keeps the number small.
    """

    regex = r"\d{1,10}"
    part_isolating = True

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: Any) -> str:
        return str(int(value))


@dataclass(frozen=True)
class Caller:
    """Who a request acts for: the token's owner, their role, and the token's organisation."""

    user_id: int
    role: Role
    organisation_id: int | None
    token_id: int

    def require_organisation(self, organisation_id: int) -> None:
        """NotPermitted unless the token acts for ``organisation_id``."""
        if self.organisation_id != organisation_id:
            raise NotPermitted(f"token {self.token_id} does not act for {organisation_id}")


@dataclass(frozen=True)
class Reply:
    """A handler's answer when the default (200, the model, no headers) is not enough."""

    body: BaseModel | None = None
    status: int = 200
    version: int | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Link:
    """An OpenAPI link: the success answer carries what operation ``operation_id`` takes.

    ``parameters`` maps the target's parameter names (path, query or header) to runtime
    expressions such as ``$response.body#/id``, ``$request.path.placement_id`` or
    ``$response.header.ETag``; schemathesis follows links in its stateful phase.
    """

    operation_id: str
    parameters: dict[str, str] = field(hash=False)


@dataclass(frozen=True)
class Operation:
    """One API operation as the OpenAPI document describes it."""

    method: Method
    rule: str
    handler: Callable[..., Any]
    summary: str
    tag: str
    response: type[BaseModel] | None
    status: int
    query: type[BaseModel] | None
    body: type[BaseModel] | None
    # A text body (no ``body`` model) may come in several media types; the handler reads
    # ``request.mimetype`` to tell them apart.
    body_media_types: tuple[str, ...]
    body_max: int
    roles: frozenset[Role] | None
    errors: frozenset[int]
    etag: bool
    if_match: bool
    public: bool
    links: tuple[Link, ...] = ()

    @property
    def operation_id(self) -> str:
        return self.handler.__name__

    @property
    def description(self) -> str:
        return inspect.cleandoc(self.handler.__doc__ or "")

    @property
    def path(self) -> str:
        """The OpenAPI form of the rule: ``/placements/{id}`` for ``/placements/<id:id>``."""
        return API_PREFIX + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", self.rule)

    @property
    def path_parameters(self) -> list[str]:
        return re.findall(r"<(?:\w+:)?(\w+)>", self.rule)


OPERATIONS: list[Operation] = []


def operation(
    method: Method,
    rule: str,
    *,
    summary: str,
    tag: str,
    response: type[BaseModel] | None = None,
    status: int = 200,
    query: type[BaseModel] | None = None,
    body: type[BaseModel] | None = None,
    body_media_type: str | tuple[str, ...] = "application/json",
    body_max: int = JSON_BODY_MAX,
    roles: Collection[Role] | None = None,
    errors: Collection[int] = (),
    etag: bool = False,
    if_match: bool = False,
    public: bool = False,
    links: Collection[Link] = (),
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``handler`` as ``method rule`` under /api/v1.

    The handler receives, by parameter name, any of ``caller`` (a ``Caller``), ``query`` and
    ``body`` (validated models; ``body`` is the raw text when ``body`` is not a model but the
    media type is), ``expected_version`` (from If-Match) and the path parameters. It returns
    the response model, a ``Reply``, or None for 204. ``errors`` lists the extra statuses the
    handler can produce (404, 409, 412...), for the document; ``links`` the operations its
    success answer leads to.
    """

    def register(handler: Callable[..., Any]) -> Callable[..., Any]:
        spec = Operation(
            method=method,
            rule=rule,
            handler=handler,
            summary=summary,
            tag=tag,
            response=response,
            status=status,
            query=query,
            body=body,
            body_media_types=(
                (body_media_type,) if isinstance(body_media_type, str) else body_media_type
            ),
            body_max=body_max,
            roles=frozenset(roles) if roles is not None else None,
            errors=frozenset(errors),
            etag=etag,
            if_match=if_match,
            public=public,
            links=tuple(links),
        )
        wanted = set(inspect.signature(handler).parameters)

        def view(**path_args: Any) -> Response:
            return _handle(spec, wanted, path_args)

        api.add_url_rule(rule, endpoint=handler.__name__, view_func=view, methods=[method])
        OPERATIONS.append(spec)
        return handler

    return register


def _authenticate() -> Caller | Response:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    challenge = {"WWW-Authenticate": 'Bearer realm="matcher"'}
    if scheme.lower() != "bearer" or not secret.strip():
        return problem(
            401, "Send a personal API token as 'Authorization: Bearer …'", headers=challenge
        )
    token = token_for_secret(db.session, secret.strip())
    if token is None:
        return problem(401, "The token is unknown, revoked or expired", headers=challenge)
    return Caller(token.user_id, token.user.role, token.organisation_id, token.id)


def _rate_limited(caller: Caller) -> Response | None:
    try:
        count_api_request(caller.token_id)
    except TooManyAttempts as limited:
        return problem(
            429,
            f"Too many requests for this token; try again in {limited.retry_after} seconds",
            headers={"Retry-After": str(limited.retry_after)},
        )
    return None


def _field_errors(error: ValidationError, prefix: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in error.errors(include_url=False):
        path = ".".join(str(part) for part in (prefix, *item["loc"]) if part != "")
        found.setdefault(path or prefix, item["msg"])
    return found


def _is_list(model: type[BaseModel], name: str) -> bool:
    annotation = model.model_fields[name].annotation
    return typing.get_origin(annotation) in (list, tuple, set, frozenset)


def _validated(model: type[BaseModel], data: Any, where: str) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        errors = _field_errors(error, where)
        raise _Refused(problem(422, "Some fields are not valid", errors=errors)) from None


def _query(model: type[BaseModel]) -> BaseModel:
    data: dict[str, Any] = {}
    for name in request.args:
        values = request.args.getlist(name)
        many = name in model.model_fields and _is_list(model, name)
        data[name] = values if many or len(values) > 1 else values[0]
    return _validated(model, data, "query")


class _Refused(Exception):
    """The request cannot reach the handler; ``response`` says why."""

    def __init__(self, response: Response) -> None:
        self.response = response


def _body(spec: Operation) -> Any:
    request.max_content_length = spec.body_max
    media_type = request.mimetype
    if media_type not in spec.body_media_types:
        accepted = " or ".join(spec.body_media_types)
        raise _Refused(problem(415, f"Send the body as {accepted}"))
    if spec.body is None:
        try:
            return request.get_data().decode("utf-8")
        except UnicodeDecodeError:
            raise _Refused(problem(400, "The body is not valid UTF-8")) from None
    # Strict, from the JSON text itself: JSON has types of its own, so "1" is not an integer
    # and "yes" is not a boolean; lax coercion would accept what the document says is invalid.
    try:
        body = spec.body.model_validate_json(request.get_data(), strict=True)
    except ValidationError as error:
        if any(item["type"] == "json_invalid" for item in error.errors(include_url=False)):
            raise _Refused(problem(400, "The body is not valid JSON")) from None
        raise _Refused(
            problem(422, "Some fields are not valid", errors=_field_errors(error, "body"))
        ) from None
    nul = _path_to_nul(body.model_dump(), "body")
    if nul is not None:
        raise _Refused(problem(422, "Some fields are not valid", errors={nul: NUL_MESSAGE}))
    return body


def _path_to_nul(value: Any, path: str) -> str | None:
    """Where in a parsed body a string holds a NUL character (JSON's \\u0000), if anywhere."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    items: Iterable[tuple[Any, Any]]
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list | tuple):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        found = _path_to_nul(item, f"{path}.{key}")
        if found is not None:
            return found
    return None


def _expected_version() -> int | None:
    """The version an If-Match names: ``"3"`` or ``W/"3"``; ``*`` matches any version."""
    header = request.headers.get("If-Match")
    if header is None:
        raise _Refused(
            problem(428, "Send If-Match with the ETag you read, so no one's edit is lost")
        )
    if header.strip() == "*":
        return None
    matched = re.fullmatch(r'\s*(?:W/)?"(\d{1,9})"\s*', header)
    if matched is None:
        # Not an ETag of ours at all: the request is malformed (400), as the document's pattern
        # says; an ETag of another version is a failed precondition (412).
        raise _Refused(problem(400, 'If-Match must be the ETag you read, such as "3", or *'))
    return int(matched.group(1))


def _in_body(field: str) -> str:
    return field if field == "body" or field.startswith("body.") else f"body.{field}"


def _service_error(spec: Operation, error: ServiceError) -> Response:
    if isinstance(error, ValidationFailed):
        # A service names the fields it checked as the body does; say where they are, as the
        # errors pydantic finds in the body do.
        errors = {_in_body(f): m for f, m in error.errors.items()} if spec.body else error.errors
        return problem(422, "Some fields are not valid", errors=errors)
    if isinstance(error, StaleObject):
        return problem(412, "It changed since you read it: read it again and repeat the change")
    if isinstance(error, NotFound):
        return problem(404, "There is nothing here, or you may not see it")
    if isinstance(error, NotPermitted):
        return problem(403, "Your token may not do this")
    if isinstance(error, InvalidState):
        return problem(409, str(error))
    return problem(400, str(error))


def etag_of(version: int) -> str:
    return f'"{version}"'


def _respond(spec: Operation, result: Any) -> Response:
    reply = result if isinstance(result, Reply) else Reply(body=result, status=spec.status)
    if reply.body is None:
        response = Response(status=204 if reply.status == 200 else reply.status)
    else:
        payload = json.dumps(reply.body.model_dump(mode="json"))
        response = Response(payload, status=reply.status, mimetype="application/json")
    if reply.version is not None:
        response.headers["ETag"] = etag_of(reply.version)
    response.headers.update(reply.headers)
    return response


def _handle(spec: Operation, wanted: set[str], path_args: dict[str, Any]) -> Response:
    if any(not 1 <= value <= ID_MAX for value in path_args.values()):
        return problem(404, "There is nothing here, or you may not see it")
    arguments: dict[str, Any] = {k: v for k, v in path_args.items() if k in wanted}
    caller = None
    if not spec.public:
        authenticated = _authenticate()
        if isinstance(authenticated, Response):
            return authenticated
        caller = authenticated
        limited = _rate_limited(caller)
        if limited is not None:
            return limited
        if spec.roles is not None and caller.role not in spec.roles:
            db.session.rollback()
            return problem(403, "This operation is not for your role")
    try:
        if spec.query is not None:
            arguments["query"] = _query(spec.query)
        elif request.args:
            raise _Refused(problem(422, "This operation takes no query parameters"))
        if "body" in wanted:
            arguments["body"] = _body(spec)
        if spec.if_match:
            arguments["expected_version"] = _expected_version()
    except _Refused as refused:
        db.session.rollback()
        return refused.response
    if "caller" in wanted:
        arguments["caller"] = caller
    try:
        result = spec.handler(**arguments)
        db.session.commit()
    except ServiceError as error:
        db.session.rollback()
        return _service_error(spec, error)
    except IntegrityError:
        db.session.rollback()
        return problem(409, "That conflicts with something saved at the same moment: try again")
    return _respond(spec, result)


def init_operations(app: Any) -> None:
    """Teach the app's URL map the ``id`` converter the API's rules use."""
    app.url_map.converters["id"] = IdConverter
