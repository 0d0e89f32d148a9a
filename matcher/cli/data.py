"""``flask data import``: bulk onboarding of people and placements from JSON Lines."""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from matcher.extensions import db
from matcher.services.imports import Action, Importer, import_lines, read_json_lines

data = AppGroup("data", help="Bulk data in and out.")

# Below this many lines an import is over before a progress bar would say anything.
PROGRESS_FROM_LINES = 500


@data.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--dry-run",
    is_flag=True,
    help="Say what would be created, updated and refused, and save nothing.",
)
def import_command(path: Path, dry_run: bool) -> None:
    """Import people and placements from a JSON Lines FILE; nothing is kept if a line is bad.

    A line with an external_id updates what the same id imported before; importing the same
    file again changes nothing.
    """
    started = time.perf_counter()
    with path.open(encoding="utf-8") as count_handle:
        total = sum(1 for _ in count_handle)
    operator = Importer(
        actor_id=None,
        organisation_id=None,
        government_domains=current_app.config["MATCHER_SETTINGS"].government_email_domains,
    )
    with (
        path.open(encoding="utf-8") as lines,
        click.progressbar(
            length=total, label="Importing", hidden=total < PROGRESS_FROM_LINES
        ) as bar,
    ):
        report = import_lines(db.session, operator, read_json_lines(lines), progress=bar.update)
    for outcome in report.refused:
        for name, reason in outcome.errors.items():
            click.echo(
                f"line {outcome.line}: {name}: {reason}"
                if name
                else f"line {outcome.line}: {reason}",
                err=True,
            )
    counts = report.counts()
    done = (
        f"{counts[Action.CREATED]} created, {counts[Action.UPDATED]} updated, "
        f"{counts[Action.UNCHANGED]} unchanged, {counts[Action.REFUSED]} refused"
    )
    if dry_run:
        db.session.rollback()
        click.echo(f"Dry run of {path}, nothing saved: {done}.")
        return
    if report.refused:
        db.session.rollback()
        raise click.ClickException(
            f"{len(report.refused)} bad lines in {path}: nothing was imported."
        )
    db.session.commit()
    click.echo(f"Imported {path}: {done}, in {time.perf_counter() - started:.1f} s.")
