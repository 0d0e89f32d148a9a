"""The OpenAPI document says exactly what the server accepts: integers, lists, If-Match, cursors."""

from __future__ import annotations

import importlib
import re
import typing
from datetime import UTC, datetime
from typing import Any

import pytest
from annotated_types import Ge, Le, MaxLen, MinLen
from flask import Flask
from flask.testing import FlaskClient
from pydantic import BaseModel, BeforeValidator

from matcher.api import AREAS
from matcher.api.me import ProfileInput
from matcher.api.openapi import IF_MATCH_PATTERN, openapi_document
from matcher.api.operations import OPERATIONS, _expected_version, _Refused
from matcher.api.placements import NewPlacement, PlacementChanges
from matcher.api.round_management import InvitationsIn
from matcher.database import ID_MAX
from matcher.extensions import db
from matcher.models import Placement
from matcher.services.placements import encode_cursor
from tests.api import profile_body
from tests.api_world import ApiWorld, call, fixtures, placement_body

api_world_template, world, http = fixtures()

# Every area registers its operations on import; the document is built once, from all of them.
for area in AREAS:
    importlib.import_module(area)

HTTP_METHODS = {"get", "put", "post", "patch", "delete"}
# Lists the services refuse when empty: the document must say minItems 1.
NON_EMPTY_LISTS = [
    (ProfileInput, "theme_ids"),
    (ProfileInput, "skill_ids"),
    (ProfileInput, "wanted_kinds"),
    (NewPlacement, "theme_ids"),
    (PlacementChanges, "theme_ids"),
    (InvitationsIn, "emails"),
]


def _document_operation(method: str, path: str) -> dict[str, Any]:
    return openapi_document()["paths"][path][method.lower()]


def _component(model: type[BaseModel]) -> dict[str, Any]:
    return openapi_document()["components"]["schemas"][model.__name__]


def _options(prop: dict[str, Any]) -> list[dict[str, Any]]:
    return [option for option in prop.get("anyOf", [prop]) if option.get("type") != "null"]


def _expected_keywords(model: type[BaseModel], name: str) -> dict[str, Any]:
    """The JSON Schema keywords a model field's own constraints call for."""
    info = model.model_fields[name]
    is_list = "list[" in str(info.annotation)
    keywords: dict[str, Any] = {}
    for constraint in info.metadata:
        if isinstance(constraint, MinLen):
            keywords["minItems" if is_list else "minLength"] = constraint.min_length
        elif isinstance(constraint, MaxLen):
            keywords["maxItems" if is_list else "maxLength"] = constraint.max_length
        elif isinstance(constraint, Ge):
            keywords["minimum"] = constraint.ge
        elif isinstance(constraint, Le):
            keywords["maximum"] = constraint.le
        elif getattr(constraint, "pattern", None) is not None:
            keywords["pattern"] = constraint.pattern
    return keywords


def test_every_constraint_of_every_body_and_query_model_is_in_the_document():
    checked = 0
    for spec in OPERATIONS:
        operation = _document_operation(spec.method, spec.path)
        parameters = {p["name"]: p["schema"] for p in operation["parameters"]}
        for model, properties in (
            (spec.body, _component(spec.body)["properties"] if spec.body else {}),
            (spec.query, parameters if spec.query else {}),
        ):
            if model is None:
                continue
            for name in model.model_fields:
                for keyword, value in _expected_keywords(model, name).items():
                    assert any(
                        option.get(keyword) == value for option in _options(properties[name])
                    ), (spec.operation_id, name, keyword)
                    checked += 1
    assert checked > 20


def _bare_integers(annotation: Any, metadata: list[Any], where: str) -> list[str]:
    """Where an input takes an ``int`` that is not an ``Integer`` (so refuses 14133.0)."""
    if typing.get_origin(annotation) is typing.Annotated:
        base, *more = typing.get_args(annotation)
        return _bare_integers(base, [*metadata, *more], where)
    if annotation is int:
        whole = any(isinstance(item, BeforeValidator) for item in metadata)
        return [] if whole else [where]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _bare_model_integers(annotation)
    return [
        found
        for argument in typing.get_args(annotation)
        for found in _bare_integers(argument, [], where)
    ]


def _bare_model_integers(model: type[BaseModel]) -> list[str]:
    return [
        found
        for name, info in model.model_fields.items()
        for found in _bare_integers(info.annotation, info.metadata, f"{model.__name__}.{name}")
    ]


def test_every_integer_an_input_takes_may_be_written_with_a_zero_fraction():
    inputs = {model for spec in OPERATIONS for model in (spec.body, spec.query) if model}
    assert [found for model in inputs for found in _bare_model_integers(model)] == []


@pytest.mark.parametrize(("model", "name"), NON_EMPTY_LISTS)
def test_lists_that_must_not_be_empty_say_min_items_1(model: type[BaseModel], name: str):
    [option] = _options(_component(model)["properties"][name])
    assert option["type"] == "array"
    assert option["minItems"] == 1


def test_an_empty_list_of_themes_is_refused_as_the_document_says(
    http: FlaskClient, world: ApiWorld
):
    body = placement_body(world, theme_ids=[])
    path = f"/organisations/{world.org_a}/placements"

    response = call(http, world, "member", "POST", path, json=body)

    assert response.status_code == 422
    assert response.json["errors"] == [
        {"field": "body.theme_ids", "message": "Select at least one policy theme"}
    ]


@pytest.mark.parametrize("name", ["theme_ids", "skill_ids", "wanted_kinds"])
def test_an_empty_profile_list_is_refused_as_the_document_says(
    http: FlaskClient, world: ApiWorld, name: str
):
    body = profile_body(db.session, list(world.theme_ids), list(world.skill_ids)) | {name: []}

    response = call(
        http, world, "civil_servant", "PUT", "/me/profile", json=body, headers={"If-Match": "*"}
    )

    assert response.status_code == 422
    [error] = response.json["errors"]
    assert error["field"] == f"body.{name}"
    assert error["message"].startswith("Select")


def test_an_integer_written_with_a_zero_fraction_is_accepted_as_json_schema_says(
    http: FlaskClient, world: ApiWorld
):
    path = f"/organisations/{world.org_a}/placements"
    whole = placement_body(
        world, capacity=2.0, duration_weeks=12.0, theme_ids=[float(world.theme_ids[0])]
    )
    fraction = placement_body(world, capacity=2.5)

    created = call(http, world, "member", "POST", path, json=whole)
    refused = call(http, world, "member", "POST", path, json=fraction)

    assert created.status_code == 201, created.json
    assert (created.json["capacity"], created.json["duration_weeks"]) == (2, 12)
    assert created.json["theme_ids"] == [world.theme_ids[0]]
    assert refused.status_code == 422
    assert [error["field"] for error in refused.json["errors"]] == ["body.capacity"]


def test_a_profile_takes_whole_numbers_with_a_zero_fraction(http: FlaskClient, world: ApiWorld):
    body = profile_body(db.session, list(world.theme_ids), list(world.skill_ids))
    body = {**body, "travel_limit_km": 30.0, "department_id": float(body["department_id"])}

    response = call(
        http, world, "civil_servant", "PUT", "/me/profile", json=body, headers={"If-Match": "*"}
    )

    assert response.status_code == 200, response.json


def test_every_if_match_operation_documents_the_header_with_its_pattern():
    for spec in OPERATIONS:
        parameters = _document_operation(spec.method, spec.path)["parameters"]
        headers = [p for p in parameters if p["in"] == "header" and p["name"] == "If-Match"]
        if not spec.if_match:
            assert headers == [], spec.operation_id
            continue
        [header] = headers
        assert header["required"] is True
        assert header["schema"] == {"type": "string", "pattern": IF_MATCH_PATTERN}


@pytest.mark.parametrize(
    "value",
    ['"3"', 'W/"3"', "*", '"123456789"', "3", '"1234567890"', 'w/"3"', '"3', '"a"', "", "**"],
)
def test_the_if_match_pattern_matches_exactly_what_the_server_takes(api_app: Flask, value: str):
    with api_app.test_request_context(headers={"If-Match": value}):
        try:
            _expected_version()
        except _Refused:
            taken = False
        else:
            taken = True
    assert (re.fullmatch(IF_MATCH_PATTERN, value) is not None) is taken


def test_the_cursor_is_documented_and_every_cursor_the_service_makes_fits_it():
    [search] = [spec for spec in OPERATIONS if spec.operation_id == "search_placements"]
    [cursor] = [
        p
        for p in _document_operation(search.method, search.path)["parameters"]
        if p["name"] == "cursor"
    ]
    [schema] = _options(cursor["schema"])
    assert "base64" in cursor["description"]
    for moment, placement_id in [
        (datetime(2026, 11, 29, 18, 0, 0, 123456, tzinfo=UTC), 1),
        (datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC), ID_MAX),
    ]:
        made = encode_cursor(Placement(id=placement_id, published_at=moment))
        assert re.fullmatch(schema["pattern"], made), made
        assert len(made) <= schema["maxLength"]


def test_a_cursor_outside_the_documented_alphabet_is_refused(http: FlaskClient, world: ApiWorld):
    first = call(http, world, "member", "GET", "/placements?limit=1").json["next_cursor"]

    response = call(http, world, "member", "GET", f"/placements?limit=1&cursor={first}!")

    assert response.status_code == 422
    assert [error["field"] for error in response.json["errors"]] == ["query.cursor"]


def test_a_nul_byte_in_a_query_is_refused_with_a_status_the_document_lists(
    http: FlaskClient, world: ApiWorld
):
    response = call(http, world, "member", "GET", "/placements?text=a%00b")

    assert response.status_code == 400
    for spec in OPERATIONS:
        assert "400" in _document_operation(spec.method, spec.path)["responses"]
