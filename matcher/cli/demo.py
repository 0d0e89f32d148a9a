"""``flask seed-demo`` and ``flask bootstrap``: demo data for trying and benchmarking matcher."""

from __future__ import annotations

import time
from contextlib import ExitStack

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from matcher.cli.reference import describe_load
from matcher.demo.seed import DEMO_ACCOUNTS, DEMO_PASSWORD, demo_data_present, seed_demo
from matcher.extensions import db
from matcher.models.match_runs import MatchRun, MatchRunStatus
from matcher.reference.loader import load_reference_data, reference_data_loaded
from matcher.stored_matches.rebuild import rebuild_sync

PROGRESS_FROM_ROWS = 5_000
BOOTSTRAP_PEOPLE = 300
BOOTSTRAP_PLACEMENTS = 200
BOOTSTRAP_SEED = 2026


@click.command("seed-demo")
@click.option("--people", type=click.IntRange(min=0), default=300, show_default=True)
@click.option("--placements", type=click.IntRange(min=0), default=200, show_default=True)
@click.option("--seed", type=int, default=BOOTSTRAP_SEED, show_default=True)
@with_appcontext
def seed_demo_command(people: int, placements: int, seed: int) -> None:
    """Seed deterministic demo people, organisation members and placements."""
    if demo_data_present(db.session):
        click.echo("Demo data is already present: nothing seeded.")
        return
    _seed(people, placements, seed)


@click.command("bootstrap")
@with_appcontext
def bootstrap_command() -> None:
    """Load reference data and a small demo when the database has none (after migrating)."""
    if not reference_data_loaded(db.session):
        click.echo(describe_load(load_reference_data(db.session)))
        db.session.commit()
    if demo_data_present(db.session):
        click.echo("Demo data is already present.")
    else:
        _seed(BOOTSTRAP_PEOPLE, BOOTSTRAP_PLACEMENTS, BOOTSTRAP_SEED)
    published_run = db.session.scalar(
        select(MatchRun.id).where(MatchRun.status == MatchRunStatus.PUBLISHED).limit(1)
    )
    if published_run is None:
        # Without this a newcomer would wait for the nightly rebuild to see any match.
        published = rebuild_sync(db.session, current_app.config["MATCHER_SETTINGS"])
        click.echo(f"Matched everyone once: {published.rows} matches stored.")
    click.echo(f"Demo sign-ins (password {DEMO_PASSWORD}):")
    for account in DEMO_ACCOUNTS:
        click.echo(f"  {account.email}  {account.description}")


def _seed(people: int, placements: int, seed: int) -> None:
    """Seed in one transaction, with a progress bar for big runs, and print a summary."""
    started = time.perf_counter()
    with ExitStack() as stack:
        advance = None
        if people + placements >= PROGRESS_FROM_ROWS:
            bar = stack.enter_context(
                click.progressbar(length=people + placements, label="Seeding demo data")
            )
            advance = bar.update
        summary = seed_demo(
            db.session, people=people, placements=placements, seed=seed, progress=advance
        )
        db.session.commit()
    click.echo(
        f"Seeded {summary.people} civil servants, {summary.members} organisation members "
        f"across {summary.organisations} organisations and {summary.placements} placements "
        f"(seed {seed}) in {time.perf_counter() - started:.1f} s."
    )
