"""Practice notes: drafting, validation, versions, the lifecycle, access and the read queries."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from matcher import clock
from matcher.extensions import db
from matcher.models import (
    AuditEntry,
    OrganisationKind,
    PracticeNoteStatus,
    Theme,
    VerificationStatus,
)
from matcher.services import InvalidState, NotFound, NotPermitted
from matcher.services import practice_notes as service
from matcher.services.concurrency import StaleObject
from matcher.services.practice_notes import NoteData, NoteSearch
from matcher.services.validation import ValidationFailed
from tests.unit.services.world import World, note_data, open_placement, published_note


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_a_draft_needs_only_a_title_and_publishing_asks_for_the_rest(world: World):
    note = service.create_draft(
        db.session, world.member_a.id, world.org_a.id, NoteData(title="Mobile library hubs")
    )
    assert note.status == PracticeNoteStatus.DRAFT and note.created_by_id == world.member_a.id

    with pytest.raises(ValidationFailed) as failed:
        service.publish(db.session, world.member_a.id, note.id)
    assert failed.value.errors == {
        "problem": "Enter the problem the practice set out to solve",
        "what_changed": "Enter what changed",
        "evidence": "Enter the evidence of its impact",
        "theme_ids": "Select at least one policy theme",
        "region_code": "Select the region",
        "contact_user_id": ("Select who people should contact, or enter a name and email address"),
    }
    with pytest.raises(ValidationFailed) as failed:
        service.create_draft(db.session, world.member_a.id, world.org_a.id, NoteData())
    assert failed.value.errors == {"title": "Enter a title"}


def test_links_must_be_web_addresses_with_words(world: World):
    malformed = (
        "Enter a web address starting with https:// or http://, like https://www.example.gov.uk"
    )

    def errors(*links: tuple[str, str]) -> dict[str, str]:
        data = note_data(world, evidence_links=links)
        with pytest.raises(ValidationFailed) as failed:
            service.create_draft(db.session, world.member_a.id, world.org_a.id, data)
        return failed.value.errors

    assert errors(
        ("javascript:alert(1)", "Report"), ("https://example.gov.uk/a", ""), ("", "Orphan words")
    ) == {
        "link_1_url": malformed,
        "link_2_label": "Enter the words to show for the link",
        "link_3_url": "Enter the link's web address",
    }
    assert errors(("https://", "No host")) == {"link_1_url": malformed}
    assert errors(*[("https://example.gov.uk", "Words")] * 4) == {
        "link_1_url": "Add 3 links or fewer"
    }


def test_a_contact_is_a_member_or_a_name_and_a_valid_address(world: World):
    with pytest.raises(ValidationFailed) as failed:
        service.create_draft(
            db.session,
            world.member_a.id,
            world.org_a.id,
            note_data(world, contact_user_id=world.admin_b.id),
        )
    assert failed.value.errors == {"contact_user_id": "Select a member of your organisation"}
    with pytest.raises(ValidationFailed) as failed:
        service.create_draft(
            db.session,
            world.member_a.id,
            world.org_a.id,
            note_data(world, contact_user_id=None, contact_name="Ann", contact_email="ann@"),
        )
    assert set(failed.value.errors) == {"contact_email"}
    note = service.create_draft(
        db.session,
        world.member_a.id,
        world.org_a.id,
        note_data(world, contact_user_id=None, contact_name="Ann", contact_email="Ann@X.gov.uk"),
    )
    assert (note.contact_name, note.contact_email) == ("Ann", "ann@x.gov.uk")


def test_only_the_organisations_own_placements_can_be_linked(world: World):
    own = open_placement(db.session, world)
    other = open_placement(db.session, world, member=world.admin_b)
    with pytest.raises(ValidationFailed) as failed:
        published_note(db.session, world, placement_ids=(own.id, other.id))
    assert failed.value.errors == {"placement_ids": "Select placements your organisation offers"}
    note = published_note(db.session, world, placement_ids=(own.id,))
    assert [placement.id for placement in note.placements] == [own.id]
    cited = service.published_notes_for_placements(db.session, [own.id, other.id])
    assert cited == {
        own.id: [service.NoteCitation(note.id, "Mobile library hubs", world.org_a.name)]
    }


def test_another_organisation_cannot_see_a_draft_nor_change_a_published_note(world: World):
    note = service.create_draft(db.session, world.member_a.id, world.org_a.id, note_data(world))
    with pytest.raises(NotFound):
        service.update_note(db.session, world.admin_b.id, note.id, note_data(world))
    with pytest.raises(NotFound):
        service.get_note(db.session, None, note.id)
    with pytest.raises(NotPermitted):
        service.create_draft(db.session, world.admin_b.id, world.org_a.id, note_data(world))
    service.publish(db.session, world.member_a.id, note.id)
    assert service.get_note(db.session, None, note.id) is note
    with pytest.raises(NotPermitted):
        service.update_note(db.session, world.admin_b.id, note.id, note_data(world))
    with pytest.raises(NotPermitted):
        service.withdraw(db.session, world.admin_b.id, note.id)
    with pytest.raises(NotPermitted):
        service.unpublish_by_admin(db.session, world.member_a.id, note.id, "Spam")


def test_an_edit_against_an_old_version_is_refused(world: World):
    note = published_note(db.session, world)
    seen = note.version_id
    service.update_note(
        db.session,
        world.member_a.id,
        note.id,
        note_data(world, title="Hubs"),
        expected_version=seen,
    )
    assert note.version_id == seen + 1
    updated = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "practice_note.updated")
    ).one()
    assert updated.details == {"fields": ["title"]} and updated.actor_id == world.member_a.id
    with pytest.raises(StaleObject):
        service.update_note(
            db.session, world.member_a.id, note.id, note_data(world), expected_version=seen
        )
    # A published note must stay complete.
    with pytest.raises(ValidationFailed) as failed:
        service.update_note(db.session, world.member_a.id, note.id, note_data(world, problem=""))
    assert set(failed.value.errors) == {"problem"}


def test_the_lifecycle_is_audited_and_final_states_are_final(world: World):
    note = published_note(db.session, world)
    service.withdraw(db.session, world.member_a.id, note.id)
    assert note.status == PracticeNoteStatus.WITHDRAWN and note.withdrawn_at is not None
    with pytest.raises(InvalidState):
        service.publish(db.session, world.member_a.id, note.id)
    with pytest.raises(InvalidState):
        service.update_note(db.session, world.member_a.id, note.id, note_data(world))

    other = published_note(db.session, world, title="Community hubs")
    with pytest.raises(ValidationFailed) as failed:
        service.unpublish_by_admin(db.session, world.platform_admin.id, other.id, "  ")
    assert failed.value.errors == {"reason": "Enter why the note is being unpublished"}
    service.unpublish_by_admin(db.session, world.platform_admin.id, other.id, "Names a resident")
    assert other.status == PracticeNoteStatus.UNPUBLISHED
    assert other.unpublished_reason == "Names a resident"
    assert actions() == [
        "practice_note.created",
        "practice_note.publish",
        "practice_note.withdraw",
        "practice_note.created",
        "practice_note.publish",
        "practice_note.unpublish",
    ]
    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry is not None and "Names a resident" not in str(entry.details)


def test_an_unverified_organisation_cannot_publish(world: World):
    world.org_a.status = VerificationStatus.PROPOSED
    world.org_a.verified_at = None
    note = service.create_draft(db.session, world.member_a.id, world.org_a.id, note_data(world))
    with pytest.raises(InvalidState):
        service.publish(db.session, world.member_a.id, note.id)


def test_the_library_searches_published_notes_by_theme_region_kind_and_words(world: World):
    theme = db.session.get(Theme, world.theme_ids[1])
    assert theme is not None
    hubs = published_note(db.session, world)
    policing = published_note(
        db.session,
        world,
        title="Neighbourhood problem solving",
        problem="Repeat calls to the same streets.",
        what_changed="Officers and housing staff meet weekly on each street.",
        theme_ids=(theme.id,),
        region_code="E12000003",
    )
    service.create_draft(
        db.session, world.member_a.id, world.org_a.id, note_data(world, title="Hidden")
    )
    world.org_a.kind = OrganisationKind.POLICE_FORCE

    def found(**filters: Any) -> list[int]:
        return [
            note.id for note in service.search_published(db.session, NoteSearch(**filters)).items
        ]

    assert found() == [policing.id, hubs.id]
    assert found(theme=theme.slug) == [policing.id]
    assert found(region_code="E12000002") == [hubs.id]
    assert found(text="library VANS") == [hubs.id]
    assert found(text="hidden") == []
    assert found(organisation_kind="council") == []
    assert found(organisation_kind="police_force") == [policing.id, hubs.id]


def test_new_notes_on_followed_themes_since_a_moment(world: World):
    followed = service.follow_themes(db.session, world.person.id, world.theme_ids[:1])
    assert service.followed_theme_ids(db.session, world.person.id) == followed
    with pytest.raises(NotPermitted):
        service.follow_themes(db.session, world.member_a.id, world.theme_ids[:1])
    old = published_note(db.session, world, title="Old")
    clock.set_now(clock.now() + timedelta(days=3))
    since = clock.now() - timedelta(days=1)
    new = published_note(db.session, world, title="New")
    published_note(db.session, world, title="Elsewhere", theme_ids=(world.theme_ids[1],))
    assert [n.id for n in service.published_notes_since(db.session, since, followed)] == [new.id]
    assert [n.id for n in service.published_notes_since(db.session, None, followed)] == [
        new.id,
        old.id,
    ]
    assert "themes.followed" in actions()
