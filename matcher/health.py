"""Liveness and readiness probes for load balancers and ``make run``."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from matcher.extensions import db

health = Blueprint("health", __name__)


@health.get("/healthz")
def healthz():
    """Answer as long as the process can serve a request."""
    return jsonify(status="ok")


@health.get("/readyz")
def readyz():
    """Answer 200 when the database and the broker are reachable, else 503 naming what is not."""
    checks = {"database": _database_ready(), "broker": _broker_ready()}
    failing = [name for name, ready in checks.items() if not ready]
    body = {
        "status": "ready" if not failing else "unavailable",
        "checks": {name: "ok" if ready else "unreachable" for name, ready in checks.items()},
    }
    if failing:
        body["failing"] = failing
    return jsonify(body), 200 if not failing else 503


def _database_ready() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        current_app.logger.warning("readiness: database unreachable", exc_info=True)
        db.session.rollback()
        return False
    return True


def _broker_ready() -> bool:
    celery = current_app.extensions["celery"]
    settings = current_app.config["MATCHER_SETTINGS"]
    try:
        with celery.connection_for_write() as connection:
            connection.ensure_connection(
                max_retries=1, timeout=settings.broker_publish_timeout_seconds
            )
    except Exception:
        current_app.logger.warning("readiness: broker unreachable", exc_info=True)
        return False
    return True
