"""The Celery application, configured from the same settings as the web app."""

from __future__ import annotations

from typing import Any

from celery import Celery, Task
from flask import Flask
from kombu import Exchange, Queue

from config import Settings

QUEUE_MATCHING = "matching"
QUEUE_EMAIL = "email"
QUEUE_DEFAULT = "default"
QUEUES = (QUEUE_MATCHING, QUEUE_EMAIL, QUEUE_DEFAULT)

# The longest a task may wait before a retry; the broker must hold an unacknowledged
# message longer than this, or it would hand the message to a second worker mid-retry.
MAX_RETRY_DELAY_SECONDS = 600
VISIBILITY_TIMEOUT_SECONDS = 2 * 60 * 60


def _broker_options(settings: Settings) -> dict[str, Any]:
    if settings.broker_url.startswith("filesystem://"):
        folder = settings.broker_folder
        for sub in ("queue", "processed"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        return {
            "data_folder_in": str(folder / "queue"),
            "data_folder_out": str(folder / "queue"),
            "processed_folder": str(folder / "processed"),
            "store_processed": False,
        }
    return {"visibility_timeout": VISIBILITY_TIMEOUT_SECONDS}


def make_celery(settings: Settings, flask_app: Flask) -> Celery:
    """Build the Celery app whose tasks run inside ``flask_app``'s application context."""

    class FlaskTask(Task):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            with flask_app.app_context():
                return self.run(*args, **kwargs)

    celery = Celery("matcher", task_cls=FlaskTask, set_as_current=True)
    exchange = Exchange("matcher", type="direct")
    celery.conf.update(
        broker_url=settings.broker_url,
        broker_transport_options=_broker_options(settings),
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=settings.broker_publish_timeout_seconds,
        task_queues=[Queue(name, exchange, routing_key=name) for name in QUEUES],
        task_default_queue=QUEUE_DEFAULT,
        task_default_exchange="matcher",
        task_default_routing_key=QUEUE_DEFAULT,
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_acks_on_failure_or_timeout=True,
        task_serializer="json",
        accept_content=["json"],
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        timezone="Europe/London",
        enable_utc=True,
    )
    return celery
