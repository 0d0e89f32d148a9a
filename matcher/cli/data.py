"""``flask data import``: bulk onboarding of people and placements from JSON Lines."""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask.cli import AppGroup

from matcher.extensions import db
from matcher.stored_matches.importing import import_lines

data = AppGroup("data", help="Bulk data in and out.")


@data.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(path: Path) -> None:
    """Import people and placements from a JSON Lines FILE; nothing is kept if a line is bad."""
    started = time.perf_counter()
    with path.open(encoding="utf-8") as count_handle:
        total = sum(1 for _ in count_handle)
    with (
        path.open(encoding="utf-8") as lines,
        click.progressbar(length=total, label="Importing") as bar,
    ):
        result = import_lines(db.session, lines, progress=bar.update)
    if result.errors:
        for number, reason in result.errors:
            click.echo(f"line {number}: {reason}", err=True)
        raise click.ClickException(
            f"{len(result.errors)} bad lines in {path}: nothing was imported."
        )
    click.echo(
        f"Imported {result.people} people and {result.placements} placements from {path} "
        f"in {time.perf_counter() - started:.1f} s."
    )
