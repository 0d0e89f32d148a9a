"""A web request's id reaches the log lines of the task a real worker runs for it, and /metrics
adds up what the web app and that worker measured."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flask import Flask
from prometheus_client.parser import text_string_to_metric_families

from matcher.events import PASSWORD_RESET_EMAIL_REQUESTED
from tests.services import redis_database_url
from tests.waiting import wait_until
from tests.web import confirmed_user, submit

TOKEN = "integration-metrics-token-" + "z" * 32
REQUEST_ID = "abc-0123456789-observability"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def json_lines(log: str) -> list[dict[str, Any]]:
    """The worker's log lines that are JSON objects (the banner Celery prints is not)."""
    lines = []
    for line in log.splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def scrape(app: Flask) -> Samples:
    response = app.test_client().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


def sample(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_a_requests_id_reaches_its_tasks_log_lines_and_both_are_measured(
    service_app, celery_worker_process, postgres_url: str, metrics_directory: Path
):
    broker_url = redis_database_url()
    app: Flask = service_app(CELERY_BROKER_URL=broker_url, METRICS_TOKEN=TOKEN)
    # The web app (this process) and the worker add their samples to one directory, as the
    # processes of one machine do.
    worker = celery_worker_process(
        DATABASE_URL=postgres_url,
        CELERY_BROKER_URL=broker_url,
        LOG_FORMAT="json",
        PROMETHEUS_MULTIPROC_DIR=str(metrics_directory),
    )
    with app.app_context():
        email = confirmed_user().email
    # Each request below has an app context, and so a transaction, of its own: one held open
    # here would keep the rebuild's publish waiting for its locks.
    before = scrape(app)

    client = app.test_client()
    client.environ_base["HTTP_X_REQUEST_ID"] = REQUEST_ID
    response = submit(client, "/reset-password", {"email": email})
    assert response.headers["X-Request-Id"] == REQUEST_ID

    def task_lines() -> list[dict[str, Any]]:
        return [
            line
            for line in json_lines(worker.log())
            if line.get("task_name") == PASSWORD_RESET_EMAIL_REQUESTED
            and "succeeded" in line["message"]
        ]

    [finished] = wait_until(task_lines, what="the reset email task to finish")
    assert finished["request_id"] == REQUEST_ID
    assert finished["task_id"]
    assert {"time", "level", "logger", "message"} <= finished.keys()
    assert email not in worker.log()

    app.extensions["celery"].send_task("outbox.purge", kwargs={"unexpected": 1})
    app.extensions["celery"].send_task("matching.rebuild_all")

    def added(samples: Samples, name: str, **labels: str) -> float:
        return sample(samples, name, **labels) - sample(before, name, **labels)

    def measured() -> Samples | None:
        samples = scrape(app)
        done = (
            added(samples, "matcher_task_failures_total", task="outbox.purge") == 1
            and added(samples, "matcher_match_rebuild_duration_seconds_count") == 1
        )
        return samples if done else None

    after = wait_until(measured, what="the worker's failure and rebuild to be measured")

    reset = {"task": PASSWORD_RESET_EMAIL_REQUESTED, "state": "SUCCESS"}
    assert added(after, "matcher_task_duration_seconds_count", **reset) == 1
    assert added(after, "matcher_task_duration_seconds_bucket", **reset, le="+Inf") == 1
    purge = {"task": "outbox.purge", "state": "FAILURE"}
    assert added(after, "matcher_task_duration_seconds_count", **purge) == 1
    posted = {"route": "/reset-password", "method": "POST", "status": "302"}
    assert added(after, "matcher_http_request_duration_seconds_count", **posted) == 1
    assert sample(after, "matcher_outbox_backlog_events") == 0
    assert ("matcher_outbox_oldest_event_age_seconds", frozenset()) in after
    for status in ("pending", "sending", "failed"):
        assert ("matcher_digest_deliveries", frozenset({("status", status)})) in after
        assert ("matcher_notification_deliveries", frozenset({("status", status)})) in after
