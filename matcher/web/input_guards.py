"""Refuse input no page or operation can use before it reaches a view: NUL bytes, huge ids.

PostgreSQL cannot store a NUL byte in text, and its integer columns end at 2**31 - 1; SQLite
accepts both, so without these checks the same request is a 500 on one database only.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, request

from matcher.database import ID_MAX


def _holds_nul(values: Any) -> bool:
    return any("\x00" in key or "\x00" in value for key, value in values.items(multi=True))


def install_input_guards(app: Flask) -> None:
    """Answer 400 for a NUL byte in a query or form field, and 404 for an id out of range."""

    @app.url_value_preprocessor
    def refuse_ids_out_of_range(endpoint: str | None, values: dict[str, Any] | None) -> None:
        for value in (values or {}).values():
            if isinstance(value, int) and not 0 <= value <= ID_MAX:
                abort(404)

    @app.before_request
    def refuse_nul_bytes() -> None:
        if _holds_nul(request.args) or (request.method == "POST" and _holds_nul(request.form)):
            abort(400, "A field holds a character that cannot be saved (a NUL byte).")
