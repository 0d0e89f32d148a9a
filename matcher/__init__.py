"""matcher: matches civil servants with placements in local public organisations."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from config import Settings, load_settings
from matcher.database import engine_options, prepare_engine
from matcher.extensions import db, migrate
from matcher.http.routing import LazilyBuiltRule
from matcher.observability import init_observability
from matcher.security.passwords import parameters_for, use_parameters

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def create_app(settings: Settings | None = None) -> Flask:
    """Build the Flask application from ``settings`` (read from the environment by default)."""
    settings = settings or load_settings()
    settings.instance_dir.mkdir(parents=True, exist_ok=True)
    app = Flask(__name__, instance_path=str(settings.instance_dir))
    app.url_rule_class = LazilyBuiltRule
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SQLALCHEMY_DATABASE_URI=settings.database_url,
        SQLALCHEMY_ENGINE_OPTIONS=engine_options(settings.database_url),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.is_production,
        PREFERRED_URL_SCHEME="https" if settings.is_production else "http",
        MATCHER_SETTINGS=settings,
    )
    # First, so that the request id is set before any other request hook runs.
    init_observability(app, settings)

    use_parameters(parameters_for(settings.env))
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    with app.app_context():
        prepare_engine(db.engine)

    from workers.app import make_celery

    app.extensions["celery"] = make_celery(settings, app)

    from matcher.outbox import install_commit_hook

    install_commit_hook()

    from matcher.api import init_api
    from matcher.cli import register_commands
    from matcher.health import health
    from matcher.web import init_web

    app.register_blueprint(health)
    init_web(app)
    init_api(app)
    register_commands(app)
    return app
