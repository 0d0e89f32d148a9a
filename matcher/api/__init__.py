"""The JSON API under /api/v1, its OpenAPI document and its human-readable docs page.

Each module of this package declares the operations of one area with ``@operation``; the
handlers translate between JSON and the same services the web pages use, so the business
rules live in one place.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Flask, abort, jsonify, render_template

from matcher.api.openapi import openapi_document
from matcher.api.operations import api, init_operations

AREAS = (
    "matcher.api.reference",
    "matcher.api.me",
    "matcher.api.placements",
    "matcher.api.candidates",
    "matcher.api.rounds",
    "matcher.api.insights",
    "matcher.api.practice_notes",
    "matcher.api.round_management",
    "matcher.api.round_places",
)

docs = Blueprint("api_docs", __name__, url_prefix="/api")


@docs.get("/openapi.json")
def openapi_json():
    return jsonify(openapi_document())


def _slug(tag: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", tag.lower()).strip("-")


def _operations_by_area(document: dict[str, Any]) -> dict[str, list[tuple[str, str, dict]]]:
    """Each area's (tag's) operations, as (method, path, operation), in the document's order."""
    areas: dict[str, list[tuple[str, str, dict]]] = {tag["name"]: [] for tag in document["tags"]}
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            for tag in operation["tags"]:
                areas[tag].append((method, path, operation))
    return areas


def _references(value: Any) -> Iterator[str]:
    """The names of the schemas ``value`` (part of the document) refers to directly."""
    if isinstance(value, dict):
        reference = value.get("$ref")
        if isinstance(reference, str):
            yield reference.rsplit("/", 1)[1]
        for inner in value.values():
            yield from _references(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _references(inner)


def _schemas_used(document: dict[str, Any], operations: list[tuple[str, str, dict]]) -> list[str]:
    """The names of the schemas ``operations`` refer to, and those they refer to in turn."""
    schemas = document["components"]["schemas"]
    found: set[str] = set()
    waiting: list[Any] = [operation for _, _, operation in operations]
    while waiting:
        for name in _references(waiting.pop()):
            if name not in found:
                found.add(name)
                waiting.append(schemas[name])
    return sorted(found)


@docs.get("/docs")
def api_docs():
    """The reference's contents: each area with its operations, each on the area's own page."""
    document = openapi_document()
    areas = {
        tag: (_slug(tag), operations) for tag, operations in _operations_by_area(document).items()
    }
    return render_template("pages/api/docs.html", document=document, areas=areas)


@docs.get("/docs/<area>")
def api_docs_area(area: str):
    """One area's operations in full, and the schemas they use."""
    document = openapi_document()
    for tag, operations in _operations_by_area(document).items():
        if _slug(tag) == area:
            return render_template(
                "pages/api/area.html",
                document=document,
                tag=tag,
                operations=operations,
                schemas=_schemas_used(document, operations),
            )
    abort(404)


def init_api(app: Flask) -> None:
    """Register the API's operations, its document and docs page; bearer tokens, not CSRF."""
    from importlib import import_module

    from matcher.http.extensions import csrf

    for area in AREAS:
        import_module(area)
    init_operations(app)
    csrf.exempt(api)
    app.register_blueprint(api)
    app.register_blueprint(docs)
