"""Pages render in the GOV.UK layout, carry strict security headers and never show a traceback."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import insert

from config import load_settings
from matcher import create_app
from matcher.extensions import db
from matcher.models import Organisation, utcnow


def test_home_page_counts_what_is_on_offer(app):
    db.session.execute(
        insert(Organisation),
        [
            {
                "name": "Cumbria Constabulary",
                "kind": "police_force",
                "status": "verified",
                "verified_at": utcnow(),
            },
            {"name": "A proposed partnership", "kind": "regional_partnership"},
        ],
    )
    db.session.commit()

    response = app.test_client().get("/")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<title>Find a placement in local public service \u2013 GOV.UK</title>" in page
    assert "0 open opportunities" in page
    assert "1 verified organisation<" in page


def test_inline_script_runs_only_by_the_nonce_in_the_policy(app):
    response = app.test_client().get("/")

    policy = response.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert f'<script nonce="{nonce}">' in response.get_data(as_text=True)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in response.headers


def test_each_response_gets_a_fresh_nonce(app):
    client = app.test_client()

    first = client.get("/").headers["Content-Security-Policy"]
    second = client.get("/").headers["Content-Security-Policy"]

    assert first != second


def test_production_sends_hsts(tmp_path: Path):
    settings = load_settings(
        {
            "MATCHER_ENV": "production",
            "INSTANCE_DIR": str(tmp_path),
            "SECRET_KEY": "p" * 40,
            "DATABASE_URL": "postgresql+psycopg://matcher@127.0.0.1:1/matcher",
            "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",
            "RATELIMIT_STORAGE_URL": "redis://127.0.0.1:1/1",
            "BASE_URL": "https://matcher.service.gov.uk",
            "MAIL_BACKEND": "smtp",
        }
    )

    response = create_app(settings).test_client().get("/healthz")

    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_unknown_page_is_a_govuk_404(app):
    response = app.test_client().get("/no-such-page")

    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_unexpected_error_is_a_friendly_500_without_a_traceback(app):
    @app.get("/explode")
    def explode():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/explode")

    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in page
    assert "secret internals" not in page
    assert "Traceback" not in page


def test_govuk_frontend_assets_are_served(app):
    client = app.test_client()

    for path in (
        "/static/govuk-frontend/govuk-frontend.min.css",
        "/static/js/init.mjs",
        "/assets/fonts/bold-b542beb274-v2.woff2",
        "/assets/images/favicon.svg",
    ):
        with client.get(path) as response:
            assert response.status_code == 200, path
