"""The outbox relay: a thread in every worker process that publishes pending outbox events.

Why a worker bootstep and not a beat entry: beat itself publishes through the broker, so a
sweep scheduled by beat cannot run while the broker is down, which is exactly when events pile
up; and beat is one more process to keep alive. A thread beside the worker's consumer keeps
running while the consumer waits for the broker to come back, needs no extra process, and
starts with every worker (so ``make run`` has it for free). Several workers sweep at once
safely: each event is claimed before it is published (``SKIP LOCKED`` on PostgreSQL).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from celery import bootsteps
from flask import Flask

from matcher.outbox import dispatch_pending

logger = logging.getLogger(__name__)


def relay_step(flask_app: Flask, interval_seconds: float) -> type[bootsteps.StartStopStep]:
    """A worker bootstep that sweeps ``flask_app``'s outbox every ``interval_seconds``."""

    class OutboxRelay(bootsteps.StartStopStep):
        """Sweep the outbox in a background thread while the worker runs."""

        requires = ("celery.worker.components:Pool",)

        def __init__(self, parent: Any, **kwargs: Any) -> None:
            super().__init__(parent, **kwargs)
            self._stopping = threading.Event()
            self._thread: threading.Thread | None = None

        def start(self, parent: Any) -> None:
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name="outbox-relay", daemon=True)
            self._thread.start()

        def stop(self, parent: Any) -> None:
            self._stopping.set()
            if self._thread is not None:
                self._thread.join(timeout=interval_seconds + 10)
                self._thread = None

        def _run(self) -> None:
            while not self._stopping.is_set():
                try:
                    published = dispatch_pending(flask_app)
                except Exception:
                    # The database may be down; the next sweep tries again.
                    logger.exception("outbox relay: sweep failed")
                else:
                    if published:
                        logger.info("outbox relay: published %d events", published)
                self._stopping.wait(interval_seconds)

    return OutboxRelay
