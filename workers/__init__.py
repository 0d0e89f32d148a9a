"""Celery entry point: ``celery -A workers worker`` and ``celery -A workers beat``.

The Flask and Celery apps are built from the environment on first use of ``workers.celery``
or ``workers.flask_app``, not on import: ``create_app`` imports ``workers.app``, and building
a second app from the environment there would be wrong.

``matcher.entrypoint`` is imported here, at import time, on purpose: ``celery -A workers``
puts the working directory on the path only while it imports this module, so the project's
packages must be found then, not when the app is first built.
"""

from __future__ import annotations

from typing import Any

from celery.concurrency.solo import TaskPool as SoloPool
from celery.signals import celeryd_after_setup, worker_process_init

from matcher.entrypoint import build_app_or_exit
from matcher.stored_matches.cores import limit_maths_threads, share_cores

_built: dict[str, Any] = {}


def _build() -> dict[str, Any]:
    if not _built:
        flask_app = build_app_or_exit()
        _built.update(flask_app=flask_app, celery=flask_app.extensions["celery"])
    return _built


def __getattr__(name: str) -> Any:
    if name in ("celery", "flask_app"):
        return _build()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@celeryd_after_setup.connect
def _share_cores(instance: Any, **_: Any) -> None:
    """Give each of this worker's pool processes its share of the cores for matching maths,
    before the pool starts them (a solo pool is one process)."""
    processes = 1 if issubclass(instance.pool_cls, SoloPool) else int(instance.concurrency)
    settings = _build()["flask_app"].config["MATCHER_SETTINGS"]
    share_cores(settings.match_threads, processes)


@worker_process_init.connect
def _fresh_database_connections(**_: Any) -> None:
    """Drop database connections a forked pool process inherited from its parent, and hold
    its maths to its share of the cores again."""
    limit_maths_threads()
    if _built:
        from matcher.extensions import db

        with _built["flask_app"].app_context():
            db.engine.dispose(close=False)
