"""Prometheus metrics: what the web app and the workers measure, and the /metrics exposition.

Web requests run in several gunicorn processes and tasks in several Celery pool processes, so
every process writes its samples to files in one directory (prometheus_client's multiprocess
mode, ``PROMETHEUS_MULTIPROC_DIR``) and the web app's /metrics adds them up. Figures that live
in the database (the outbox backlog, deliveries by status) are read when Prometheus scrapes,
with aggregate queries the tables' indexes answer.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, values
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from matcher.models import DeliveryStatus, DigestDelivery, NotificationDelivery, OutboxEvent, utcnow

logger = logging.getLogger(__name__)

MULTIPROCESS_DIRECTORY = "PROMETHEUS_MULTIPROC_DIR"
# Statuses counted at scrape time: the work still to do and the work that failed. "sent" and
# "skipped" grow with every period and would make each scrape read the whole table.
WATCHED_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.FAILED)
# Methods a route label is kept with; anything else a client invents is counted as "other".
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED_ROUTE = "unmatched"

# DESIGN.md's API budget is p99 under 50 ms; the buckets around it are the fine ones.
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
TASK_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)
# DESIGN.md's full rebuild budgets are 15 s (100,000 people) and 3 minutes (500,000).
REBUILD_BUCKETS = (1.0, 2.5, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 180.0, 300.0, 600.0, 1800.0)


def use_directory(directory: Path) -> Path:
    """Write this process's samples under ``directory``, or where an earlier call chose.

    Only one directory can serve a process: prometheus_client reads it from the environment.
    The environment variable wins, then the first app built in the process (tests build many).
    """
    chosen = Path(os.environ.setdefault(MULTIPROCESS_DIRECTORY, str(directory)))
    chosen.mkdir(parents=True, exist_ok=True)
    if not getattr(values.ValueClass, "_multiprocess", False):
        # prometheus_client picks its kind of value when first imported, which may have been
        # before any settings were read; samples are made only after this, by ``instruments``.
        values.ValueClass = values.get_value_class()
    return chosen


def empty_directory(directory: Path) -> None:
    """Forget the samples of processes that have stopped; call before a machine's processes start.

    Each process's counters stay in its own file after it exits, so that totals never go down
    while the others run; a fresh start begins from nothing.
    """
    for samples in directory.glob("*.db"):
        samples.unlink()


@dataclass(frozen=True)
class Instruments:
    """The metrics that code records into; the database's figures are read at scrape time."""

    http_request_duration: Histogram
    task_duration: Histogram
    task_failures: Counter
    task_retries: Counter
    match_rebuild_duration: Histogram


@cache
def instruments() -> Instruments:
    """This process's metrics, made on first use (after ``use_directory``)."""
    return Instruments(
        http_request_duration=Histogram(
            "matcher_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template, method and status.",
            ("route", "method", "status"),
            buckets=HTTP_BUCKETS,
            registry=None,
        ),
        task_duration=Histogram(
            "matcher_task_duration_seconds",
            "Time a Celery task ran, by task name and outcome.",
            ("task", "state"),
            buckets=TASK_BUCKETS,
            registry=None,
        ),
        task_failures=Counter(
            "matcher_task_failures",
            "Celery task runs that ended in an error (not counting retries), by task name.",
            ("task",),
            registry=None,
        ),
        task_retries=Counter(
            "matcher_task_retries",
            "Celery task runs that asked to be retried, by task name.",
            ("task",),
            registry=None,
        ),
        match_rebuild_duration=Histogram(
            "matcher_match_rebuild_duration_seconds",
            "Time from the start of a full match rebuild to its publication and catch-up.",
            buckets=REBUILD_BUCKETS,
            registry=None,
        ),
    )


def observe_request(route: str | None, method: str, status: int, seconds: float) -> None:
    """Record one HTTP request under its route template (never the path with its ids)."""
    instruments().http_request_duration.labels(
        route=route or UNMATCHED_ROUTE,
        method=method if method in HTTP_METHODS else "other",
        status=str(status),
    ).observe(seconds)


def observe_rebuild(seconds: float) -> None:
    """Record how long a full match rebuild took, from its start to its catch-up."""
    instruments().match_rebuild_duration.observe(seconds)


def _age_seconds(since: datetime | None, now: datetime) -> float:
    return max(0.0, (now - since).total_seconds()) if since is not None else 0.0


def _by_status(
    connection: Connection, model: type[DigestDelivery] | type[NotificationDelivery]
) -> dict[DeliveryStatus, int]:
    rows = connection.execute(
        select(model.status, func.count())
        .where(model.status.in_(WATCHED_STATUSES))
        .group_by(model.status)
    ).all()
    counts = {DeliveryStatus(status): count for status, count in rows}
    return {status: counts.get(status, 0) for status in WATCHED_STATUSES}


class DatabaseCollector:
    """Gauges read from the database on each scrape: the outbox and the deliveries."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "matcher_database_metrics_up", "1 if the database answered the metrics queries."
        )
        try:
            with self._engine.connect() as connection:
                metrics = list(self._read(connection))
        except SQLAlchemyError:
            logger.warning("metrics: the database did not answer", exc_info=True)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from metrics

    def _read(self, connection: Connection) -> Iterator[Metric]:
        now = utcnow()
        backlog, oldest = connection.execute(
            select(func.count(), func.min(OutboxEvent.created_at)).where(
                OutboxEvent.processed_at.is_(None)
            )
        ).one()
        yield GaugeMetricFamily(
            "matcher_outbox_backlog_events",
            "Outbox events whose task has not finished.",
            value=backlog,
        )
        yield GaugeMetricFamily(
            "matcher_outbox_oldest_event_age_seconds",
            "Age of the oldest outbox event whose task has not finished; 0 when there is none.",
            value=_age_seconds(oldest, now),
        )
        for name, model in (
            ("matcher_digest_deliveries", DigestDelivery),
            ("matcher_notification_deliveries", NotificationDelivery),
        ):
            family = GaugeMetricFamily(
                name,
                f"Rows of {model.__tablename__} still to send or failed, by status.",
                labels=("status",),
            )
            for status, count in _by_status(connection, model).items():
                family.add_metric([status.value], count)
            yield family
        oldest_sending = connection.scalar(
            select(func.min(DigestDelivery.claimed_at)).where(
                DigestDelivery.status == DeliveryStatus.SENDING
            )
        )
        yield GaugeMetricFamily(
            "matcher_digest_oldest_sending_age_seconds",
            "How long the longest-claimed digest has been sending; 0 when none is.",
            value=_age_seconds(oldest_sending, now),
        )


def exposition(engine: Engine) -> tuple[bytes, str]:
    """Every process's samples in this machine's directory plus the database's gauges."""
    registry = CollectorRegistry(auto_describe=False)
    MultiProcessCollector(registry, path=os.environ[MULTIPROCESS_DIRECTORY])
    registry.register(DatabaseCollector(engine))
    return generate_latest(registry), CONTENT_TYPE_LATEST
