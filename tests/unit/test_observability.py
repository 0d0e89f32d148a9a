"""Request ids reach the outbox and the log lines; /metrics is closed to the public and says
what the web app, the tasks and the database are doing."""

from __future__ import annotations

import json
import logging
import re
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from config import ConfigError, load_settings
from matcher import create_app, outbox
from matcher.events import ORGANISATION_VERIFIED
from matcher.extensions import db
from matcher.models import (
    DeliveryStatus,
    DigestDelivery,
    DigestKind,
    OutboxEvent,
    utcnow,
)
from matcher.observability.context import LogContext, accepted_request_id, bound
from matcher.observability.logs import ContextFilter, JsonFormatter, TextFormatter
from matcher.observability.metrics import empty_directory
from matcher.stored_matches.rebuild import rebuild_sync
from tests import builders
from tests.conftest import make_settings
from tests.web import confirmed_user, submit

TOKEN = "metrics-token-" + "x" * 40


@pytest.fixture
def metrics_app(tmp_path: Path, sqlite_template: Path) -> Iterator[Flask]:
    """An app on its own migrated SQLite database whose /metrics opens with TOKEN."""
    shutil.copy(sqlite_template, tmp_path / "matcher.sqlite3")
    application = create_app(make_settings(tmp_path, METRICS_TOKEN=TOKEN))
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


def scrape(app: Flask) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample /metrics gives, by name and labels."""
    response = app.test_client().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


def queued(app: Flask) -> list[dict]:
    """The task messages waiting in the embedded broker's SQLite file."""
    broker = app.config["MATCHER_SETTINGS"].instance_dir / "broker.sqlite3"
    with closing(sqlite3.connect(broker)) as connection:
        rows = connection.execute("SELECT payload FROM kombu_message ORDER BY id").fetchall()
    return [json.loads(payload) for (payload,) in rows]


def sample(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def record(context: LogContext, message: str) -> logging.LogRecord:
    """A log record as the handler sees it while ``context`` is current."""
    entry = logging.LogRecord("matcher.example", logging.INFO, __file__, 1, message, (), None)
    with bound(context):
        ContextFilter().filter(entry)
    return entry


def test_a_well_formed_request_id_is_kept_and_anything_else_replaced():
    assert accepted_request_id("abc-123_X.y:z") == "abc-123_X.y:z"
    for offered in (None, "", "a" * 65, "two words", "line\nbreak", "<script>", "-leading"):
        replaced = accepted_request_id(offered)
        assert re.fullmatch(r"[0-9a-f]{32}", replaced), offered


def test_a_response_carries_the_callers_request_id_or_a_new_one(app: Flask):
    client = app.test_client()

    kept = client.get("/healthz", headers={"X-Request-Id": "caller-id-1"})
    made = client.get("/healthz")
    refused = client.get("/healthz", headers={"X-Request-Id": "bad id <b>"})

    assert kept.headers["X-Request-Id"] == "caller-id-1"
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["X-Request-Id"])
    assert re.fullmatch(r"[0-9a-f]{32}", refused.headers["X-Request-Id"])
    assert made.headers["X-Request-Id"] != refused.headers["X-Request-Id"]


def test_json_log_lines_carry_the_request_and_the_task():
    in_request = json.loads(JsonFormatter().format(record(LogContext("req-1"), "saved")))
    in_task = json.loads(
        JsonFormatter().format(record(LogContext("req-1", "matching.person_changed", "t-9"), "ok"))
    )
    outside = json.loads(JsonFormatter().format(record(LogContext(), "started")))

    assert in_request["message"] == "saved"
    assert in_request["level"] == "INFO"
    assert in_request["logger"] == "matcher.example"
    assert in_request["request_id"] == "req-1"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", in_request["time"])
    assert "task_name" not in in_request
    assert (in_task["request_id"], in_task["task_name"], in_task["task_id"]) == (
        "req-1",
        "matching.person_changed",
        "t-9",
    )
    assert outside["request_id"] is None


def test_text_log_lines_show_the_ids_for_people_to_read():
    line = TextFormatter().format(record(LogContext("req-1", "outbox.purge", "t-9"), "purged"))

    assert line.endswith(" INFO matcher.example [req-1 outbox.purge[t-9]] purged")


def test_logs_are_json_in_production_and_text_elsewhere_unless_chosen(tmp_path: Path):
    production = {
        "MATCHER_ENV": "production",
        "SECRET_KEY": "k" * 40,
        "DATABASE_URL": "postgresql+psycopg://matcher@db.internal/matcher",
        "CELERY_BROKER_URL": "redis://cache.internal:6379/0",
        "RATELIMIT_STORAGE_URL": "redis://cache.internal:6379/1",
        "BASE_URL": "https://matcher.service.gov.uk",
        "MAIL_BACKEND": "smtp",
    }
    assert load_settings(production).log_format == "json"
    assert make_settings(tmp_path).log_format == "text"
    assert make_settings(tmp_path, LOG_FORMAT="json").log_format == "json"
    with pytest.raises(ConfigError, match="METRICS_TOKEN"):
        make_settings(tmp_path, METRICS_TOKEN="short")


def test_a_web_requests_id_is_stored_with_its_outbox_event_and_sent_as_a_task_header(app: Flask):
    user = confirmed_user()

    client = app.test_client()
    client.environ_base["HTTP_X_REQUEST_ID"] = "reset-request-7"
    response = submit(client, "/reset-password", {"email": user.email})

    assert response.status_code == 302
    event = db.session.scalars(select(OutboxEvent)).one()
    assert event.request_id == "reset-request-7"
    [message] = queued(app)
    assert message["headers"]["task"] == event.task_name
    assert message["headers"]["request_id"] == "reset-request-7"


def test_the_relay_publishes_an_events_request_id_long_after_the_request(app: Flask):
    # Recorded while the broker was down: no request is running when the relay publishes it.
    db.session.add(
        OutboxEvent(
            task_name=ORGANISATION_VERIFIED,
            payload={"organisation_id": 1},
            publish_attempts=0,
            request_id="request-before-the-outage",
        )
    )
    db.session.commit()

    assert outbox.dispatch(db.engine, app.extensions["celery"]) == 1

    [message] = queued(app)
    assert message["headers"]["request_id"] == "request-before-the-outage"


def test_metrics_is_not_found_without_a_token_setting(app: Flask):
    response = app.test_client().get("/metrics", headers={"Authorization": "Bearer anything"})

    assert response.status_code == 404


def test_metrics_asks_for_the_token_it_was_given(metrics_app: Flask):
    client = metrics_app.test_client()

    missing = client.get("/metrics")
    wrong = client.get("/metrics", headers={"Authorization": "Bearer " + TOKEN[:-1] + "y"})
    other_scheme = client.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"})
    right = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})

    assert [missing.status_code, wrong.status_code, other_scheme.status_code] == [401, 401, 401]
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert TOKEN not in missing.get_data(as_text=True)
    assert right.status_code == 200
    assert "Set-Cookie" not in right.headers


def test_requests_are_measured_by_route_template_method_and_status(metrics_app: Flask):
    client = metrics_app.test_client()
    before = scrape(metrics_app)

    client.get("/healthz")
    client.get("/healthz")
    client.get("/api/v1/placements/4242")
    client.get("/no/such/page/31337")

    after = scrape(metrics_app)
    count = "matcher_http_request_duration_seconds_count"

    def added(**labels: str) -> float:
        return sample(after, count, **labels) - sample(before, count, **labels)

    assert added(route="/healthz", method="GET", status="200") == 2
    assert added(route="/api/v1/placements/<id:placement_id>", method="GET", status="401") == 1
    assert added(route="unmatched", method="GET", status="404") == 1
    routes = {dict(labels)["route"] for name, labels in after if name == count}
    assert not any(re.search(r"\d{4}", route) for route in routes), routes


def test_metrics_reads_the_outbox_backlog_and_deliveries_from_the_database(metrics_app: Flask):
    recipient = builders.user(db.session)
    an_hour_ago = utcnow() - timedelta(hours=1)
    db.session.add_all(
        [
            OutboxEvent(
                task_name=ORGANISATION_VERIFIED,
                payload={},
                publish_attempts=5,
                created_at=an_hour_ago,
            ),
            OutboxEvent(
                task_name=ORGANISATION_VERIFIED,
                payload={},
                publish_attempts=1,
                processed_at=utcnow(),
            ),
        ]
    )
    for period, status in (
        ("2026-W45", DeliveryStatus.SENT),
        ("2026-W46", DeliveryStatus.FAILED),
        ("2026-W47", DeliveryStatus.SENDING),
        ("2026-W48", DeliveryStatus.PENDING),
    ):
        db.session.add(
            DigestDelivery(
                recipient_id=recipient.id,
                kind=DigestKind.WEEKLY,
                period=period,
                status=status,
                claimed_at=an_hour_ago if status == DeliveryStatus.SENDING else None,
                sent_at=utcnow() if status == DeliveryStatus.SENT else None,
            )
        )
    db.session.commit()

    samples = scrape(metrics_app)

    assert sample(samples, "matcher_database_metrics_up") == 1
    assert sample(samples, "matcher_outbox_backlog_events") == 1
    assert sample(samples, "matcher_outbox_oldest_event_age_seconds") >= 3600
    for status in ("pending", "sending", "failed"):
        assert sample(samples, "matcher_digest_deliveries", status=status) == 1
        assert ("matcher_notification_deliveries", frozenset({("status", status)})) in samples
    assert sample(samples, "matcher_digest_oldest_sending_age_seconds") >= 3600


def test_a_full_rebuild_is_timed(metrics_app: Flask):
    count = "matcher_match_rebuild_duration_seconds_count"
    before = sample(scrape(metrics_app), count)

    rebuild_sync(db.session, metrics_app.config["MATCHER_SETTINGS"])

    assert sample(scrape(metrics_app), count) == before + 1


def test_a_fresh_start_forgets_the_samples_of_stopped_processes(tmp_path: Path):
    (tmp_path / "counter_123.db").write_bytes(b"\0" * 8)
    (tmp_path / "histogram_123.db").write_bytes(b"\0" * 8)
    (tmp_path / "notes.txt").write_text("kept")

    empty_directory(tmp_path)

    assert sorted(path.name for path in tmp_path.iterdir()) == ["notes.txt"]
