"""Settings come from the environment, refuse unsafe production defaults, and fail in one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config import PROJECT_ROOT, ConfigError, load_settings

PRODUCTION = {
    "MATCHER_ENV": "production",
    "SECRET_KEY": "k" * 40,
    "DATABASE_URL": "postgresql+psycopg://matcher@db.internal/matcher",
    "CELERY_BROKER_URL": "redis://cache.internal:6379/0",
    "RATELIMIT_STORAGE_URL": "redis://cache.internal:6379/1",
    "BASE_URL": "https://matcher.service.gov.uk",
    "MAIL_BACKEND": "smtp",
}


def test_defaults_are_the_embedded_service(tmp_path: Path):
    settings = load_settings({"INSTANCE_DIR": str(tmp_path)})

    assert settings.env == "development"
    assert settings.database_url == f"sqlite:///{tmp_path / 'matcher.sqlite3'}"
    assert settings.uses_sqlite
    assert settings.broker_url == f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}"
    assert settings.mail_backend == "outbox"
    assert settings.mail_outbox_dir == tmp_path / "outbox"
    assert (settings.host, settings.port) == ("127.0.0.1", 5000)
    assert settings.base_url == "http://127.0.0.1:5000"


def test_the_filesystem_broker_is_still_accepted_when_chosen(tmp_path: Path):
    settings = load_settings({"INSTANCE_DIR": str(tmp_path), "CELERY_BROKER_URL": "filesystem://"})

    assert settings.broker_url == "filesystem://"


def test_development_secret_key_is_generated_once_and_kept_private(tmp_path: Path):
    first = load_settings({"INSTANCE_DIR": str(tmp_path)})
    second = load_settings({"INSTANCE_DIR": str(tmp_path)})

    assert len(first.secret_key) >= 32
    assert second.secret_key == first.secret_key
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_host_and_port_shape_the_base_url(tmp_path: Path):
    settings = load_settings({"INSTANCE_DIR": str(tmp_path), "HOST": "0.0.0.0", "PORT": "8080"})

    assert settings.port == 8080
    assert settings.base_url == "http://0.0.0.0:8080"


def test_bare_postgresql_url_uses_psycopg_3(tmp_path: Path):
    settings = load_settings(
        {"INSTANCE_DIR": str(tmp_path), "DATABASE_URL": "postgresql://u:p@localhost/matcher"}
    )

    assert settings.database_url == "postgresql+psycopg://u:p@localhost/matcher"
    assert not settings.uses_sqlite


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("PORT", "five thousand"),
        ("PORT", "70000"),
        ("DATABASE_URL", "not a url"),
        ("DATABASE_URL", "mysql://localhost/matcher"),
        ("CELERY_BROKER_URL", "amqp://localhost"),
        ("CELERY_BROKER_URL", "sqla+mysql://localhost/broker"),
        ("BASE_URL", "matcher.example"),
        ("SMTP_STARTTLS", "perhaps"),
        ("SMTP_TIMEOUT_SECONDS", "soon"),
        ("OUTBOX_RETENTION_DAYS", "0"),
        ("MAIL_BACKEND", "pigeon"),
        ("MATCHER_ENV", "staging"),
    ],
)
def test_malformed_values_name_the_variable(tmp_path: Path, variable: str, value: str):
    with pytest.raises(ConfigError) as raised:
        load_settings({"INSTANCE_DIR": str(tmp_path), variable: value})

    message = str(raised.value)
    assert message.startswith(variable)
    assert "\n" not in message


def test_production_accepts_a_complete_safe_configuration():
    settings = load_settings(PRODUCTION)

    assert settings.is_production
    assert settings.secret_key == "k" * 40


@pytest.mark.parametrize(
    ("variable", "unsafe_value"),
    [
        ("SECRET_KEY", ""),
        ("SECRET_KEY", "short"),
        ("DATABASE_URL", "sqlite:///matcher.sqlite3"),
        ("CELERY_BROKER_URL", "filesystem://"),
        ("BASE_URL", "http://matcher.service.gov.uk"),
        ("MAIL_BACKEND", "outbox"),
        ("RATELIMIT_STORAGE_URL", "memory://"),
    ],
)
def test_production_refuses_development_defaults(variable: str, unsafe_value: str):
    environ = {**PRODUCTION, variable: unsafe_value}

    with pytest.raises(ConfigError) as raised:
        load_settings(environ)

    assert str(raised.value).startswith(variable)


def test_production_never_generates_a_secret_key(tmp_path: Path):
    environ = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}

    with pytest.raises(ConfigError, match="SECRET_KEY must be set"):
        load_settings({**environ, "INSTANCE_DIR": str(tmp_path)})
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize("command", ["import wsgi", "import workers; workers.celery"])
def test_entry_points_report_a_bad_setting_in_one_line(tmp_path: Path, command: str):
    environ = {**os.environ, "INSTANCE_DIR": str(tmp_path), "PORT": "abc"}

    result = subprocess.run(
        [sys.executable, "-c", command],
        cwd=PROJECT_ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "matcher: configuration error: PORT must be a whole number; got 'abc'"
    ]
