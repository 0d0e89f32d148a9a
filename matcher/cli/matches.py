"""``flask matches rebuild`` and ``flask matches export``: the stored matches, in bulk."""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from config import Settings
from matcher.extensions import db
from matcher.stored_matches.exporting import count_matches, export_matches
from matcher.stored_matches.rebuild import rebuild_sync

matches = AppGroup("matches", help="Rebuild and export the stored matches.")


@matches.command("rebuild")
@click.option("--sync", is_flag=True, help="Run every chunk in this process instead of workers.")
def rebuild_command(sync: bool) -> None:
    """Rebuild every person's matches and publish them atomically."""
    settings: Settings = current_app.config["MATCHER_SETTINGS"]
    if not sync:
        from workers.matching import rebuild_all

        rebuild_all.apply_async()
        click.echo("Full rebuild queued: workers on the matching queue share its chunks.")
        return
    started = time.perf_counter()
    people = db.session.execute(
        db.text("SELECT count(*) FROM profiles WHERE completed_at IS NOT NULL")
    ).scalar_one()
    with click.progressbar(length=int(people), label="Rebuilding matches") as bar:
        published = rebuild_sync(db.session, settings, progress=bar.update)
    click.echo(
        f"Published run {published.run_id}: {published.rows} matches for {people} people "
        f"in {time.perf_counter() - started:.1f} s (caught up {published.caught_up_people} "
        f"people and {published.caught_up_placements} placements changed meanwhile)."
    )


@matches.command("export")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), required=True)
def export_command(out_path: Path) -> None:
    """Write every stored match as JSON Lines to FILE."""
    started = time.perf_counter()
    total = count_matches(db.session)
    with (
        out_path.open("w", encoding="utf-8") as out,
        click.progressbar(length=total, label="Exporting matches") as bar,
    ):
        written = export_matches(db.session, out, progress=bar.update)
    db.session.rollback()
    click.echo(
        f"Exported {written} matches to {out_path} in {time.perf_counter() - started:.1f} s."
    )
