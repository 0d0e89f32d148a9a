"""Command-line commands, one module per group, registered on the Flask app."""

from __future__ import annotations

from flask import Flask


def register_commands(app: Flask) -> None:
    """Attach every command group to ``app.cli``."""
    del app
