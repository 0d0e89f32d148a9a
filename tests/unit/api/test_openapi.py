"""The OpenAPI document: valid OpenAPI 3.1, and a description of every route under /api/v1."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import jsonschema_rs
import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient

HTTP_METHODS = {"get", "put", "post", "patch", "delete"}


@pytest.fixture
def document(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield path, method, operation


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]):
    assert document["openapi"] == "3.1.0"
    # schemathesis checks the document against the OpenAPI 3.1 meta-schema.
    schemathesis.openapi.from_dict(document).validate()
    for name, schema in document["components"]["schemas"].items():
        assert jsonschema_rs.meta.is_valid(schema), name


def test_every_reference_resolves(document: dict[str, Any]):
    schemas = document["components"]["schemas"]
    for ref in set(_refs(document)):
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.rsplit("/", 1)[1] in schemas, ref


def test_every_route_under_api_v1_is_in_the_document_and_nothing_else(
    api_app: Flask, document: dict[str, Any]
):
    routes = set()
    for rule in api_app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            routes |= {(path, method.lower()) for method in rule.methods - {"HEAD", "OPTIONS"}}
    described = {(path, method) for path, method, _ in _operations(document)}
    assert routes == described
    assert ("/api/v1/me/interests/{interest_id}:withdraw", "post") in described


def test_operation_ids_are_unique_and_every_operation_says_what_it_is(document: dict[str, Any]):
    ids = [operation["operationId"] for _, _, operation in _operations(document)]
    assert len(ids) == len(set(ids))
    for _, _, operation in _operations(document):
        assert operation["summary"] and operation["tags"]


def test_every_operation_documents_the_errors_the_framework_can_give(document: dict[str, Any]):
    for path, method, operation in _operations(document):
        statuses = set(operation["responses"])
        assert {"400", "404", "422"} <= statuses, (path, method)
        if operation["security"]:
            assert {"401", "403", "429"} <= statuses, (path, method)
            assert "Retry-After" in operation["responses"]["429"]["headers"]
            assert "WWW-Authenticate" in operation["responses"]["401"]["headers"]
        if "requestBody" in operation:
            assert {"400", "413", "415"} <= statuses, (path, method)
        if any(p["name"] == "If-Match" for p in operation["parameters"]):
            assert {"400", "412", "428"} <= statuses, (path, method)
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                assert list(response["content"]) == ["application/problem+json"]


def test_bodies_are_closed_and_strings_and_lists_bounded(document: dict[str, Any]):
    schemas = document["components"]["schemas"]
    for path, method, operation in _operations(document):
        if "requestBody" not in operation:
            continue
        for content in operation["requestBody"]["content"].values():
            if "$ref" not in content["schema"]:
                # A raw text body (a CSV file): bounded by the operation's body size limit.
                assert content["schema"] == {"type": "string"}, (path, method)
                continue
            schema = schemas[content["schema"]["$ref"].rsplit("/", 1)[1]]
            assert schema["additionalProperties"] is False, (path, method)
            for name, prop in schema["properties"].items():
                for option in prop.get("anyOf", [prop]):
                    if option.get("type") == "string" and "enum" not in option:
                        assert "maxLength" in option or "format" in option, (path, name)
                    if option.get("type") == "array":
                        assert "maxItems" in option, (path, name)


def test_the_docs_page_lists_every_operation(client: FlaskClient, document: dict[str, Any]):
    html = client.get("/api/docs").get_data(as_text=True)
    for path, method, operation in _operations(document):
        assert f'id="op-{operation["operationId"]}"' in html, (method, path)
