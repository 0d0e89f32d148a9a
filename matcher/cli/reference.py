"""``flask reference ...``: load the reference facts."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from matcher.extensions import db
from matcher.reference.loader import load_reference_data

reference = AppGroup("reference", help="Reference data: places, organisations, taxonomies.")


@reference.command("load")
def load() -> None:
    """Insert or update the reference data; running it again changes nothing."""
    counts = load_reference_data(db.session)
    db.session.commit()
    click.echo(describe_load(counts))


def describe_load(counts: dict[str, int]) -> str:
    """One line saying what a reference load wrote."""
    written = ", ".join(f"{n} {table.replace('_', ' ')}" for table, n in counts.items() if n)
    if not written:
        return "Reference data is up to date: nothing changed."
    return f"Reference data loaded (rows inserted or updated): {written}."
