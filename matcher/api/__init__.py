"""The JSON API under /api/v1, its OpenAPI document and its human-readable docs page.

Each module of this package declares the operations of one area with ``@operation``; the
handlers translate between JSON and the same services the web pages use, so the business
rules live in one place.
"""

from __future__ import annotations

from flask import Blueprint, Flask, jsonify, render_template

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


@docs.get("/docs")
def api_docs():
    return render_template("pages/api/docs.html", document=openapi_document())


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
