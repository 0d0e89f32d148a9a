"""Command-line commands, one module per group, registered on the Flask app."""

from __future__ import annotations

from flask import Flask


def register_commands(app: Flask) -> None:
    """Attach every command group to ``app.cli``."""
    from matcher.cli.data import data
    from matcher.cli.demo import bootstrap_command, seed_demo_command
    from matcher.cli.digests import digests_group
    from matcher.cli.matches import matches
    from matcher.cli.reference import reference

    app.cli.add_command(reference)
    app.cli.add_command(matches)
    app.cli.add_command(data)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(bootstrap_command)
    app.cli.add_command(digests_group)
