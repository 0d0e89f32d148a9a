"""Flask extensions, created once here and bound to an app in ``create_app``."""

from flask import current_app
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import Session

from config import Settings
from matcher.models.base import Base


class Database(SQLAlchemy):
    """flask-sqlalchemy's extension, with the request's session typed as what services take."""

    # Services take a Session (the caller's unit of work); the scoped_session flask-sqlalchemy
    # builds forwards every Session method to the current one, so it is one to its callers.
    session: Session  # type: ignore[assignment]


db = Database(model_class=Base)
migrate = Migrate()


def app_settings() -> Settings:
    """The running app's validated settings (inside an app context: a request, a task, a CLI)."""
    return current_app.config["MATCHER_SETTINGS"]
