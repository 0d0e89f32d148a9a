"""Error pages in the GOV.UK style, never a traceback."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from matcher.extensions import db
from matcher.http.problems import problem


def _wants_json() -> bool:
    return request.path.startswith(("/healthz", "/readyz"))


def _is_api() -> bool:
    return request.path.startswith("/api/")


def register_error_pages(app: Flask) -> None:
    """Render HTTP errors as pages (or JSON for machine endpoints) with the right status."""

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        status = error.code or 500
        if _is_api():
            headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
            return problem(status, error.description, headers=headers)
        if _wants_json():
            return {"title": error.name, "status": status, "detail": error.description}, status
        template = "errors/404.html" if status in (404, 410) else "errors/generic.html"
        return render_template(template, error=error), status

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        if _is_api():
            return problem(400, error.description)
        if _wants_json():
            return {"title": "Bad Request", "status": 400, "detail": error.description}, 400
        return render_template("errors/csrf.html"), 400

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        app.logger.exception("unhandled error in %s %s", request.method, request.endpoint)
        # A failed statement leaves the transaction unusable for the error page's own queries.
        db.session.rollback()
        return http_error(InternalServerError())
