"""``flask digests preview EMAIL`` and ``flask digests send --period P [--dry-run] [--resend]``."""

from __future__ import annotations

from datetime import datetime

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from config import Settings
from matcher.digests.content import load_contents
from matcher.digests.periods import BadPeriod, kind_of, period_for, period_start
from matcher.digests.rendering import render_digest
from matcher.digests.sending import (
    BatchOutcome,
    Pacer,
    RetryLater,
    chunks,
    pending_ids,
    plan_period,
    reopen_failed_for_now,
    reopen_sent,
    send_batch,
    worth_sending,
)
from matcher.extensions import app_settings, db
from matcher.mail import mail_backend_for
from matcher.models import (
    DeliveryStatus,
    DigestDelivery,
    DigestFrequency,
    DigestKind,
    User,
    utcnow,
)
from matcher.services.accounts import normalise_email

digests_group = AppGroup("digests", help="Plan, preview and send digest emails.")


@digests_group.command("preview")
@click.argument("email")
def preview_command(email: str) -> None:
    """Print the subject and plain-text part of EMAIL's next digest."""
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise click.ClickException("No account has that email address.")
    daily = user.profile is not None and user.profile.digest_frequency == DigestFrequency.DAILY
    kind = DigestKind.DAILY if daily else DigestKind.WEEKLY
    now = utcnow()
    content = load_contents(db.session, [user.id], kind, now)[user.id]
    if content.is_empty:
        click.echo("Nothing new: this digest would be skipped.")
        return
    message = render_digest(
        app_settings(),
        current_app.config["SECRET_KEY"],
        content,
        period_for(kind, now),
        "<preview>",
    ).as_email()
    click.echo(f"Subject: {message['Subject']}\n")
    click.echo(message.get_body(("plain",)).get_content())  # type: ignore[union-attr]


@digests_group.command("send")
@click.option("--period", required=True, help="2026-W48 for weekly digests, 2026-11-25 for daily.")
@click.option("--dry-run", is_flag=True, help="Render and count; plan and send nothing.")
@click.option(
    "--resend",
    is_flag=True,
    help="Send the period again to everyone it was sent to (after a send that went wrong).",
)
def send_command(period: str, dry_run: bool, resend: bool) -> None:
    """Plan PERIOD's digests and send the pending ones from this process.

    Deliveries that failed for a temporary reason (the mail server refused them for now until
    the period was over) are pending again and go too, with their Message-ID unchanged.
    """
    try:
        kind = kind_of(period)
    except BadPeriod as error:
        raise click.BadParameter(str(error), param_hint="--period") from None
    settings = app_settings()
    now = max(utcnow(), period_start(period))
    click.echo(f"Links in these digests point at {settings.base_url}")
    if dry_run:
        _dry_run(settings, kind, period, now, resend)
        return
    planned = plan_period(db.session, kind, period, now)
    retried = reopen_failed_for_now(db.session, period)
    reopened = reopen_sent(db.session, kind, period, utcnow()) if resend else 0
    db.session.commit()
    ids = pending_ids(db.session, period)
    db.session.rollback()
    total = BatchOutcome()
    pacer = Pacer(settings.digest_rate_per_second)
    left = 0
    with click.progressbar(length=len(ids), label=f"Sending {period}") as bar:
        for batch in chunks(ids, settings.digest_batch_size):
            try:
                outcome = send_batch(
                    db.session,
                    settings,
                    current_app.config["SECRET_KEY"],
                    batch,
                    lambda: mail_backend_for(settings),
                    pacer,
                    now,
                )
            except RetryLater as error:
                left = len(ids) - bar.pos
                click.echo(f"\nStopped: the mail server failed for now ({error}).", err=True)
                break
            for name in ("claimed", "sent", "skipped", "failed"):
                setattr(total, name, getattr(total, name) + getattr(outcome, name))
            bar.update(len(batch))
    click.echo(
        f"{period}: planned {planned}"
        + (f", {retried} failed for now to try again" if retried else "")
        + (f", {reopened} to send again" if resend else "")
        + f", sent {total.sent}, skipped {total.skipped}, "
        f"failed {total.failed}" + (f", left pending {left}" if left else "") + "."
    )


def _dry_run(
    settings: Settings, kind: DigestKind, period: str, now: datetime, resend: bool
) -> None:
    """Plan inside a transaction that is rolled back, and render every digest that would go."""
    planned = plan_period(db.session, kind, period, now)
    reopen_failed_for_now(db.session, period)
    if resend:
        reopen_sent(db.session, kind, period, utcnow())
    recipient_ids = list(
        db.session.scalars(
            select(DigestDelivery.recipient_id)
            .where(
                DigestDelivery.period == period,
                DigestDelivery.status == DeliveryStatus.PENDING,
            )
            .order_by(DigestDelivery.id)
        )
    )
    would_send = would_skip = 0
    with click.progressbar(length=len(recipient_ids), label=f"Rendering {period}") as bar:
        for batch in chunks(recipient_ids, settings.digest_batch_size):
            for content in load_contents(db.session, batch, kind, now).values():
                if worth_sending(content):
                    render_digest(
                        settings, current_app.config["SECRET_KEY"], content, period, "<dry-run>"
                    )
                    would_send += 1
                else:
                    would_skip += 1
            bar.update(len(batch))
    db.session.rollback()
    click.echo(
        f"{period} (dry run: nothing saved or sent): would plan {planned}; of "
        f"{len(recipient_ids)} pending, {would_send} would be sent and {would_skip} skipped."
    )
