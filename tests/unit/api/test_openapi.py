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


def test_the_docs_pages_describe_every_operation_and_every_schema(
    client: FlaskClient, document: dict[str, Any]
):
    """The contents page links each operation to its area's page, which describes it in full
    along with every schema it uses (query models appear as its parameters instead); a link to
    a schema never leaves the page."""
    contents = client.get("/api/docs").get_data(as_text=True)
    areas = sorted(set(re.findall(r'href="(/api/docs/[a-z-]+)#op-', contents)))
    assert len(areas) == len(document["tags"])
    pages = {area: client.get(area).get_data(as_text=True) for area in areas}
    described: set[str] = set()
    for area, html in pages.items():
        for operation_id in re.findall(r'href="' + area + r'#op-(\w+)"', contents):
            assert f'id="op-{operation_id}"' in html, (area, operation_id)
            described.add(operation_id)
        for name in re.findall(r'href="#schema-(\w+)"', html):
            assert f'id="schema-{name}"' in html, (area, name)
    assert described == {operation["operationId"] for _, _, operation in _operations(document)}
    schemas = document["components"]["schemas"]
    used: set[str] = set()
    waiting = [ref.rsplit("/", 1)[1] for ref in _refs(document["paths"])]
    while waiting:
        name = waiting.pop()
        if name not in used:
            used.add(name)
            waiting += [ref.rsplit("/", 1)[1] for ref in _refs(schemas[name])]
    on_some_page = set().union(*(re.findall(r'id="schema-(\w+)"', html) for html in pages.values()))
    assert on_some_page == used
    assert client.get("/api/docs/no-such-area").status_code == 404


RUNTIME_EXPRESSION = re.compile(
    r"^\$(response\.body#(/[\w-]+)+|response\.header\.[\w-]+|request\.path\.\w+)$"
)


def test_links_name_existing_operations_and_their_parameters(document):
    operations = {operation["operationId"]: operation for _, _, operation in _operations(document)}
    seen = 0
    for _, _, source in _operations(document):
        source_path = {p["name"] for p in source["parameters"] if p["in"] == "path"}
        for response in source["responses"].values():
            for name, link in response.get("links", {}).items():
                seen += 1
                target = operations.get(link["operationId"])
                assert target is not None, f"{source['operationId']} links to {name}"
                taken = {p["name"]: p for p in target["parameters"]}
                required = {name for name, p in taken.items() if p["required"]}
                given = link["parameters"]
                assert set(given) <= set(taken), (source["operationId"], name)
                assert {p for p in required if taken[p]["in"] == "path"} <= set(given), name
                for expression in given.values():
                    assert RUNTIME_EXPRESSION.match(expression), expression
                    if expression.startswith("$request.path."):
                        assert expression.rsplit(".", 1)[1] in source_path, expression
    assert seen > 0
    created = document["paths"]["/api/v1/organisations/{organisation_id}/placements"]["post"]
    publish = created["responses"]["201"]["links"]["publish_placement"]
    assert publish["parameters"] == {
        "placement_id": "$response.body#/id",
        "organisation_id": "$response.body#/organisation_id",
        "If-Match": "$response.header.ETag",
    }


def test_schemathesis_can_follow_the_links(document):
    machine = schemathesis.openapi.from_dict(document).as_state_machine()
    assert machine.schema.statistic.transitions.total > 0
