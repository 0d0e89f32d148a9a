"""Absolute links in emails, built from the app's routes.

An email is read long after it is sent, away from any request, so its links are built against
``BASE_URL`` rather than the current request; building them from the routes (not by writing
paths out again) means an email can never point at a path the app no longer serves.
"""

from __future__ import annotations

from functools import cache
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from werkzeug.routing import Map, MapAdapter

from config import Settings


@cache
def _adapter(url_map: Map, base_url: str) -> MapAdapter:
    parts = urlsplit(base_url)
    return url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme)


def email_link(settings: Settings, endpoint: str, **values: Any) -> str:
    """The absolute address of ``endpoint`` with ``values``, as a recipient's browser needs it."""
    adapter = _adapter(current_app.url_map, settings.base_url)
    return adapter.build(endpoint, values, force_external=True)
