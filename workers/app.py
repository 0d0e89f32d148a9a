"""The Celery application, configured from the same settings as the web app."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from celery import Celery, Task
from flask import Flask
from kombu import Exchange, Queue

import workers
from config import Settings
from matcher.observability.tasks import connect_task_signals
from workers.queues import QUEUE_DEFAULT, QUEUES, TASK_QUEUES
from workers.relay import relay_step
from workers.schedule import beat_schedule

VISIBILITY_TIMEOUT_SECONDS = 2 * 60 * 60
SQLITE_BROKER_LOCK_TIMEOUT_SECONDS = 15


def _broker_options(settings: Settings) -> dict[str, Any]:
    if settings.broker_url.startswith("sqla+"):
        # kombu passes these to SQLAlchemy's create_engine. Web, worker and beat share the
        # file: wait for a moment's lock instead of failing a publish or a poll.
        return {"connect_args": {"timeout": SQLITE_BROKER_LOCK_TIMEOUT_SECONDS}}
    if settings.broker_url.startswith("filesystem://"):
        folder = settings.broker_folder
        for sub in ("queue", "processed", "control"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        return {
            # Without control_folder kombu keeps its exchange tables in the working directory.
            "control_folder": str(folder / "control"),
            "data_folder_in": str(folder / "queue"),
            "data_folder_out": str(folder / "queue"),
            "processed_folder": str(folder / "processed"),
            "store_processed": False,
        }
    return {"visibility_timeout": VISIBILITY_TIMEOUT_SECONDS}


def route_task(name: str, *_: Any, **__: Any) -> dict[str, str] | None:
    """Celery router: send each task to the queue it was registered on."""
    queue = TASK_QUEUES.get(name)
    return {"queue": queue} if queue else None


def import_task_modules() -> None:
    """Import every module of the ``workers`` package, so every process registers every task.

    Workers run the tasks and publishers look up their queues; a new task module needs no list.
    """
    for module in pkgutil.iter_modules(workers.__path__, prefix=f"{workers.__name__}."):
        importlib.import_module(module.name)


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
        task_routes=(route_task,),
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
        # Tasks claim their outbox event or rows, so letting a task finish after the broker
        # connection drops is safe (its redelivery is a no-op); cancelling could cut off a
        # batch of emails half sent.
        worker_cancel_long_running_tasks_on_connection_loss=False,
        worker_hijack_root_logger=False,
        timezone="Europe/London",
        enable_utc=True,
        beat_schedule=beat_schedule(settings),
        beat_schedule_filename=str(settings.instance_dir / "celerybeat-schedule"),
    )
    celery.steps["worker"].add(relay_step(flask_app, settings.outbox_relay_interval_seconds))
    connect_task_signals()
    import_task_modules()
    return celery
