"""Observability: structured logs with request ids, and Prometheus metrics at /metrics."""

from __future__ import annotations

from flask import Flask

from config import Settings
from matcher.observability.logs import configure_logging
from matcher.observability.metrics import use_directory
from matcher.observability.web import install_request_observability, metrics_endpoint


def init_observability(app: Flask, settings: Settings) -> None:
    """Configure logging and metrics for this process; request ids and /metrics for ``app``."""
    configure_logging(settings)
    use_directory(settings.metrics_dir)
    install_request_observability(app)
    app.register_blueprint(metrics_endpoint)
