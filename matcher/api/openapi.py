"""The OpenAPI 3.1 document, generated from the registered operations and their models."""

from __future__ import annotations

from functools import cache
from http import HTTPStatus
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from matcher.api.operations import OPERATIONS, Operation
from matcher.api.schemas import ID_MAX
from matcher.http.problems import PROBLEM_JSON, Problem

REF = "#/components/schemas/{model}"
# What ``operations._expected_version`` accepts: an ETag as read ("3", or weak W/"3"), or *.
IF_MATCH_PATTERN = r'^(\*|(W/)?"[0-9]{1,9}")$'
ETAG_PATTERN = r'^"[0-9]+"$'


def _models() -> list[tuple[type[BaseModel], JsonSchemaMode]]:
    wanted: list[tuple[type[BaseModel], JsonSchemaMode]] = [(Problem, "serialization")]
    for spec in OPERATIONS:
        for model in (spec.query, spec.body):
            if model is not None:
                wanted.append((model, "validation"))
        if spec.response is not None:
            wanted.append((spec.response, "serialization"))
    return list(dict.fromkeys(wanted))


def _problem(status: int, description: str | None = None) -> dict[str, Any]:
    return {
        "description": description or HTTPStatus(status).phrase,
        "content": {PROBLEM_JSON: {"schema": {"$ref": REF.format(model="Problem")}}},
    }


def _error_responses(spec: Operation) -> dict[str, Any]:
    # 400: any query holding a NUL byte is refused before it reaches an operation.
    statuses = set(spec.errors) | {400, 404, 422}
    if not spec.public:
        statuses |= {401, 403, 429}
    if spec.body is not None or spec.body_media_types != ("application/json",):
        statuses |= {400, 413, 415}
    if spec.if_match:
        statuses |= {412, 428}
    responses = {str(status): _problem(status) for status in sorted(statuses)}
    if "429" in responses:
        responses["429"]["headers"] = {
            "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}
        }
    if "401" in responses:
        responses["401"]["headers"] = {
            "WWW-Authenticate": {
                "description": "The Bearer challenge",
                "schema": {"type": "string"},
            }
        }
    return responses


def _query_parameters(schema: dict[str, Any], defs: dict[str, Any]) -> list[dict[str, Any]]:
    resolved = defs[schema["$ref"].rsplit("/", 1)[1]]
    required = set(resolved.get("required", ()))
    parameters = []
    for name, prop in resolved.get("properties", {}).items():
        parameter: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": {k: v for k, v in prop.items() if k != "description"},
        }
        if "description" in prop:
            parameter["description"] = prop["description"]
        if prop.get("type") == "array":
            parameter.update(style="form", explode=True)
        parameters.append(parameter)
    return parameters


def _operation(
    spec: Operation, schemas: dict[Any, dict[str, Any]], defs: dict[str, Any]
) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": ID_MAX},
        }
        for name in spec.path_parameters
    ]
    if spec.query is not None:
        parameters += _query_parameters(schemas[(spec.query, "validation")], defs)
    if spec.if_match:
        parameters.append(
            {
                "name": "If-Match",
                "in": "header",
                "required": True,
                "description": (
                    'The ETag from your last read of this resource, such as `"3"` (or `W/"3"`); '
                    "`*` for whatever version is current. Without it the answer is 428, with "
                    "another version 412, and with a value of any other shape 400"
                ),
                "schema": {"type": "string", "pattern": IF_MATCH_PATTERN},
            }
        )
    success: dict[str, Any] = {"description": HTTPStatus(spec.status).phrase}
    if spec.response is not None:
        success["content"] = {
            "application/json": {"schema": schemas[(spec.response, "serialization")]}
        }
    if spec.etag:
        success["headers"] = {
            "ETag": {
                "description": "Send it back as If-Match",
                "schema": {"type": "string", "pattern": ETAG_PATTERN},
            }
        }
    if spec.links:
        success["links"] = {
            link.operation_id: {"operationId": link.operation_id, "parameters": link.parameters}
            for link in spec.links
        }
    document: dict[str, Any] = {
        "operationId": spec.operation_id,
        "summary": spec.summary,
        "tags": [spec.tag],
        "parameters": parameters,
        "responses": {str(spec.status): success, **_error_responses(spec)},
    }
    if spec.description:
        document["description"] = spec.description
    if spec.body is not None:
        body_schema = schemas[(spec.body, "validation")]
        document["requestBody"] = {
            "required": True,
            "content": {
                media_type: {"schema": body_schema} for media_type in spec.body_media_types
            },
        }
    elif spec.body_media_types != ("application/json",):
        document["requestBody"] = {
            "required": True,
            "content": {
                media_type: {"schema": {"type": "string"}} for media_type in spec.body_media_types
            },
        }
    document["security"] = [] if spec.public else [{"bearerToken": []}]
    return document


@cache
def openapi_document() -> dict[str, Any]:
    """The whole document; built once, since operations are fixed at import time."""
    schemas, top = models_json_schema(_models(), ref_template=REF)
    defs = top.get("$defs", {})
    paths: dict[str, dict[str, Any]] = {}
    for spec in OPERATIONS:
        paths.setdefault(spec.path, {})[spec.method.lower()] = _operation(spec, schemas, defs)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "matcher API",
            "version": "1.0.0",
            "description": (
                "Everything the matcher web service does, for HR systems and personal tools. "
                "Authenticate with a personal API token from your account's 'API tokens' page, "
                "sent as `Authorization: Bearer <token>`. Errors are RFC 9457 problem+json."
            ),
        },
        "servers": [{"url": "/"}],
        "tags": [{"name": tag} for tag in dict.fromkeys(spec.tag for spec in OPERATIONS)],
        "paths": paths,
        "components": {
            "schemas": defs,
            "securitySchemes": {
                "bearerToken": {"type": "http", "scheme": "bearer", "bearerFormat": "mt_…"}
            },
        },
    }
