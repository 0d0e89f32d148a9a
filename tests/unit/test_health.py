"""The probes say whether the process answers and whether its database and broker do."""

from __future__ import annotations

from pathlib import Path

from matcher import create_app
from tests.conftest import make_settings
from tests.waiting import unused_port


def test_healthz_answers(app):
    response = app.test_client().get("/healthz")

    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readyz_is_ready_on_the_embedded_default(app):
    response = app.test_client().get("/readyz")

    assert response.status_code == 200
    assert response.json == {"status": "ready", "checks": {"database": "ok", "broker": "ok"}}


def test_readyz_names_an_unreachable_broker(tmp_path: Path, sqlite_template: Path):
    settings = make_settings(
        tmp_path,
        DATABASE_URL=f"sqlite:///{sqlite_template}",
        CELERY_BROKER_URL=f"redis://127.0.0.1:{unused_port()}/0",
        BROKER_PUBLISH_TIMEOUT_SECONDS="0.5",
    )

    response = create_app(settings).test_client().get("/readyz")

    assert response.status_code == 503
    assert response.json["failing"] == ["broker"]
    assert response.json["checks"] == {"database": "ok", "broker": "unreachable"}


def test_readyz_names_an_unreachable_database(tmp_path: Path):
    settings = make_settings(
        tmp_path, DATABASE_URL=f"postgresql+psycopg://nobody@127.0.0.1:{unused_port()}/none"
    )

    response = create_app(settings).test_client().get("/readyz")

    assert response.status_code == 503
    assert response.json["failing"] == ["database"]
