"""Practice notes in the weekly digest: new notes on followed themes, and notes beside matches."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes, policy

from flask import Flask
from sqlalchemy import insert

from matcher.clock import london_today
from matcher.digests.content import load_contents
from matcher.digests.sending import Pacer, pending_ids, plan_period, send_batch
from matcher.extensions import db
from matcher.mail import OutboxFolderBackend
from matcher.models import DigestKind, Placement, PracticeNote, PracticeNoteStatus, Theme, utcnow
from matcher.models.practice_notes import theme_follows
from tests import digest_world


def _note(world: digest_world.DigestWorld, title: str, theme: Theme, **fields: object) -> int:
    note = PracticeNote(
        organisation_id=world.organisation_id,
        title=title,
        problem="p",
        what_changed="w",
        evidence="e",
        status=PracticeNoteStatus.PUBLISHED,
        published_at=utcnow() - timedelta(hours=1),
        themes=[theme],
        **fields,
    )
    db.session.add(note)
    db.session.flush()
    return note.id


def _send(app: Flask, period: str) -> dict[str, str]:
    """Plan and send ``period``; each recipient's plain-text digest by address."""
    settings = app.config["MATCHER_SETTINGS"]
    folder = settings.mail_outbox_dir
    before = set(folder.glob("*.eml"))
    plan_period(db.session, DigestKind.WEEKLY, period, utcnow())
    db.session.commit()
    send_batch(
        db.session,
        settings,
        app.config["SECRET_KEY"],
        pending_ids(db.session, period),
        lambda: OutboxFolderBackend(folder),
        Pacer(0),
    )
    texts = {}
    for path in set(folder.glob("*.eml")) - before:
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        texts[str(message["To"])] = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    return texts


def test_a_followed_themes_new_note_appears_once_and_an_unfollowed_one_never(app: Flask):
    world = digest_world.build(db.session, 2, today=london_today())
    follower, other = world.people
    care = db.session.get(Theme, 1)
    policing = Theme(id=2, slug="policing", name="policing")
    db.session.add(policing)
    followed = _note(world, "Mobile library hubs", care)
    _note(world, "Street triage", policing)
    placement = db.session.get(Placement, world.placement_id)
    cited = _note(world, "Care closer to home", care, placements=[placement])
    db.session.execute(insert(theme_follows).values(user_id=follower, theme_id=1))
    db.session.commit()

    texts = _send(app, "2026-W48")
    [mine] = [text for to, text in texts.items() if f"person{follower - world.people[0]}@" in to]
    [theirs] = [text for to, text in texts.items() if f"person{other - world.people[0]}@" in to]
    assert "NEW PRACTICE NOTES ON THEMES YOU FOLLOW" in mine
    assert mine.count("Mobile library hubs") == 1
    assert f"/practice/{followed}" in mine
    assert "Street triage" not in mine
    assert "NEW PRACTICE NOTES" not in theirs and "Mobile library hubs" not in theirs
    # Beside the matched placement, for everyone matched with it.
    reason = "- Work alongside Cumbria County Council's Care closer to home: http://"
    assert reason in mine and reason in theirs and f"/practice/{cited}" in theirs

    # A week on, the note is not news again.
    contents = load_contents(db.session, [follower], DigestKind.WEEKLY, utcnow())
    assert contents[follower].new_practice_notes == []
