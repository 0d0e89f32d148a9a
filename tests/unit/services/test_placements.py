"""Placements: validation, editing with versions, the status lifecycle and the read queries."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from matcher.events import PLACEMENT_CHANGED
from matcher.extensions import db
from matcher.models import (
    AuditEntry,
    OutboxEvent,
    Placement,
    PlacementKind,
    PlacementStatus,
    Theme,
    VerificationStatus,
)
from matcher.services import InvalidState, NotFound, NotPermitted, placements
from matcher.services.concurrency import StaleObject
from matcher.services.placements import (
    STATUS_CHANGES,
    PlacementSearch,
    placement_data,
)
from matcher.services.validation import ValidationFailed
from tests.conftest import TODAY
from tests.unit.services.world import World, draft, open_placement, valid_data


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def events(task_name: str = PLACEMENT_CHANGED) -> list[dict[str, Any]]:
    return list(
        db.session.scalars(
            select(OutboxEvent.payload)
            .where(OutboxEvent.task_name == task_name)
            .order_by(OutboxEvent.id)
        )
    )


def count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_a_member_saves_a_draft_with_its_postcode_resolved(world: World):
    placement = draft(db.session, world)
    db.session.commit()

    assert placement.status == PlacementStatus.DRAFT
    assert placement.organisation_id == world.org_a.id
    assert placement.created_by_id == world.member_a.id
    assert (placement.grade_min_rank, placement.grade_max_rank) == (3, 6)
    assert placement.location_postcode == "LS1 1UR"
    assert placement.local_authority_code == "E08000035"
    assert placement.region_code == "E12000003"
    assert placement.easting is not None and placement.northing is not None
    assert [theme.id for theme in placement.themes] == world.theme_ids[:1]
    assert placement.version_id == 1
    [entry] = db.session.scalars(select(AuditEntry)).all()
    assert (entry.action, entry.object_id, entry.actor_id) == (
        "placement.created",
        str(placement.id),
        world.member_a.id,
    )
    assert "title" in entry.details["fields"] and "themes" in entry.details["fields"]
    # A draft is invisible to matching.
    assert events() == []


def test_a_remote_placement_needs_no_postcode(world: World):
    placement = draft(db.session, world, remote_possible=True, location_postcode="")
    assert placement.location_postcode is None
    assert placement.easting is None and placement.region_code is None


def test_placement_data_round_trips_the_stored_placement(world: World):
    placement = draft(db.session, world)
    assert placement_data(placement) == valid_data(world)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": "  "}, "title", "Enter a title"),
        ({"title": "x" * 151}, "title", "Title must be 150 characters or fewer"),
        ({"summary": ""}, "summary", "Enter a summary"),
        ({"summary": "x" * 301}, "summary", "Summary must be 300 characters or fewer"),
        ({"description": ""}, "description", "Enter a description"),
        (
            {"description": "x" * 10_001},
            "description",
            "Description must be 10,000 characters or fewer",
        ),
        ({"kind": "cruise"}, "kind", "Select the kind of placement"),
        ({"theme_ids": []}, "theme_ids", "Select at least one policy theme"),
        ({"theme_ids": [999_999]}, "theme_ids", "Select themes from the list"),
        ({"theme_ids": list(range(1, 12))}, "theme_ids", "Select 10 themes or fewer"),
        ({"skill_ids": [999_999]}, "skill_ids", "Select skills from the list"),
        ({"grade_min": ""}, "grade_min", "Select a minimum grade"),
        ({"grade_max": "XX"}, "grade_max", "Select a maximum grade"),
        (
            {"grade_min": "G7", "grade_max": "EO"},
            "grade_min",
            "Minimum grade must be the same as or lower than maximum grade",
        ),
        (
            {"location_postcode": ""},
            "location_postcode",
            "Enter a postcode, or say the placement can be done remotely",
        ),
        (
            {"location_postcode": "not a postcode"},
            "location_postcode",
            "Enter a real UK postcode, like SW1A 2AA",
        ),
        (
            {"location_postcode": "ls99 9zz"},
            "location_postcode",
            "We could not find the postcode LS99 9ZZ. Check it and try again",
        ),
        ({"closing_date": None}, "closing_date", "Enter a closing date"),
        ({"closing_date": TODAY}, "closing_date", "Closing date must be in the future"),
        ({"start_date": None}, "start_date", "Enter a start date"),
        (
            {"start_date": TODAY + timedelta(days=30)},
            "start_date",
            "Start date must be after the closing date",
        ),
        ({"duration_weeks": None}, "duration_weeks", "Enter how many weeks the placement lasts"),
        ({"duration_weeks": 0}, "duration_weeks", "Duration must be between 1 and 260 weeks"),
        ({"duration_weeks": 261}, "duration_weeks", "Duration must be between 1 and 260 weeks"),
        ({"hours": ""}, "hours", "Select the hours"),
        ({"capacity": None}, "capacity", "Enter how many people the placement is for"),
        ({"capacity": 0}, "capacity", "Capacity must be between 1 and 100"),
        ({"capacity": 101}, "capacity", "Capacity must be between 1 and 100"),
    ],
)
def test_each_invalid_field_gets_its_own_message_and_nothing_is_saved(
    world: World, changes: dict[str, Any], field: str, message: str
):
    with pytest.raises(ValidationFailed) as raised:
        draft(db.session, world, **changes)
    assert raised.value.errors == {field: message}
    assert count(Placement) == 0
    assert audit_actions() == []


def test_every_failing_field_is_reported_at_once(world: World):
    with pytest.raises(ValidationFailed) as raised:
        placements.create_draft(
            db.session, world.member_a.id, world.org_a.id, placements.PlacementData(capacity=0)
        )
    assert set(raised.value.errors) == {
        "title",
        "summary",
        "description",
        "kind",
        "theme_ids",
        "grade_min",
        "grade_max",
        "location_postcode",
        "closing_date",
        "start_date",
        "duration_weeks",
        "hours",
        "capacity",
    }


def test_an_inactive_theme_cannot_be_chosen(world: World):
    db.session.execute(update(Theme).where(Theme.id == world.theme_ids[0]).values(active=False))
    with pytest.raises(ValidationFailed) as raised:
        draft(db.session, world)
    assert raised.value.errors == {"theme_ids": "Select themes from the list"}


def test_editing_an_open_placement_bumps_its_version_and_tells_matching(world: World):
    placement = open_placement(db.session, world)
    db.session.commit()
    version = placement.version_id

    placements.update_placement(
        db.session,
        world.admin_a.id,
        placement.id,
        replace(placement_data(placement), title="New title", capacity=2),
        expected_version=version,
    )
    db.session.commit()

    assert placement.title == "New title"
    assert placement.version_id == version + 1
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "placement.updated")
    ).one()
    assert entry.details == {"fields": ["title", "capacity"]}
    assert events() == [{"placement_id": placement.id}] * 2  # publish, then the edit


def test_a_themes_only_edit_still_bumps_the_version(world: World):
    placement = draft(db.session, world)
    db.session.commit()
    placements.update_placement(
        db.session,
        world.member_a.id,
        placement.id,
        replace(placement_data(placement), theme_ids=world.theme_ids),
    )
    db.session.commit()
    assert placement.version_id == 2
    assert sorted(theme.id for theme in placement.themes) == sorted(world.theme_ids)
    # Drafts are not matched, so editing one records no matching event.
    assert events() == []


def test_an_edit_that_changes_nothing_writes_nothing(world: World):
    placement = draft(db.session, world)
    db.session.commit()
    placements.update_placement(
        db.session, world.member_a.id, placement.id, placement_data(placement)
    )
    db.session.commit()
    assert placement.version_id == 1
    assert audit_actions() == ["placement.created"]


def test_an_edit_against_an_old_version_is_refused_and_writes_nothing(world: World):
    placement = open_placement(db.session, world)
    db.session.commit()
    stale = placement.version_id
    placements.update_placement(
        db.session, world.admin_a.id, placement.id, replace(placement_data(placement), title="A")
    )
    db.session.commit()
    before = (audit_actions(), events())

    with pytest.raises(StaleObject) as raised:
        placements.update_placement(
            db.session,
            world.member_a.id,
            placement.id,
            replace(placement_data(placement), title="B"),
            expected_version=stale,
        )
    db.session.rollback()
    assert (raised.value.expected, raised.value.current) == (stale, stale + 1)
    assert placement.title == "A"
    assert (audit_actions(), events()) == before


def test_an_unchanged_past_closing_date_does_not_block_other_edits(world: World):
    placement = open_placement(db.session, world)
    db.session.execute(
        update(Placement)
        .where(Placement.id == placement.id)
        .values(closing_date=TODAY - timedelta(days=1), version_id=Placement.version_id + 1)
    )
    db.session.commit()
    data = placement_data(placement)
    placements.update_placement(
        db.session, world.member_a.id, placement.id, replace(data, title="T")
    )
    with pytest.raises(ValidationFailed) as raised:
        placements.update_placement(
            db.session,
            world.member_a.id,
            placement.id,
            replace(data, closing_date=TODAY, start_date=TODAY + timedelta(days=5)),
        )
    assert raised.value.errors == {"closing_date": "Closing date must be in the future"}


def placement_in(world: World, status: PlacementStatus) -> Placement:
    """A placement of organisation A brought to ``status`` through the services."""
    placement = draft(db.session, world)
    actor = world.member_a.id
    if status != PlacementStatus.DRAFT:
        placements.publish(db.session, actor, placement.id)
        if status == PlacementStatus.WITHDRAWN:
            placements.withdraw(db.session, actor, placement.id)
        if status == PlacementStatus.CLOSED:
            placements.close(db.session, actor, placement.id)
        if status == PlacementStatus.FILLED:
            placements.mark_filled(db.session, actor, placement.id)
    db.session.commit()
    assert placement.status == status
    return placement


def run_action(world: World, action: str, placement_id: int) -> Placement:
    if action == "unpublish":
        return placements.unpublish_by_admin(
            db.session, world.platform_admin.id, placement_id, "Duplicate of another placement"
        )
    return getattr(placements, action)(db.session, world.member_a.id, placement_id)


LIFECYCLE = [(action, status) for action in STATUS_CHANGES for status in PlacementStatus]


@pytest.mark.parametrize(("action", "status"), LIFECYCLE, ids=[f"{a}-{s}" for a, s in LIFECYCLE])
def test_the_lifecycle_allows_exactly_the_listed_status_changes(
    world: World, action: str, status: PlacementStatus
):
    placement = placement_in(world, status)
    sources, target = STATUS_CHANGES[action]
    audit_before, events_before = audit_actions(), events()

    if status not in sources:
        with pytest.raises(InvalidState):
            run_action(world, action, placement.id)
        db.session.rollback()
        assert placement.status == status
        assert (audit_actions(), events()) == (audit_before, events_before)
        return

    run_action(world, action, placement.id)
    db.session.commit()
    assert placement.status == target
    stamp = {
        PlacementStatus.OPEN: "published_at",
        PlacementStatus.CLOSED: "closed_at",
        PlacementStatus.FILLED: "filled_at",
        PlacementStatus.WITHDRAWN: "withdrawn_at",
    }[target]
    assert getattr(placement, stamp) is not None
    assert audit_actions() == [*audit_before, f"placement.{action}"]
    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.details["status"] == {"from": status.value, "to": target.value}
    # Matching hears of every move onto or away from open, and of nothing else.
    touches_open = PlacementStatus.OPEN in (status, target)
    assert events() == events_before + ([{"placement_id": placement.id}] if touches_open else [])


def test_a_placement_goes_live_only_once_its_organisation_is_verified(world: World):
    db.session.execute(
        update(type(world.org_a))
        .where(type(world.org_a).id == world.org_a.id)
        .values(status=VerificationStatus.PROPOSED, verified_at=None)
    )
    db.session.commit()
    placement = draft(db.session, world)
    with pytest.raises(InvalidState, match="not verified"):
        placements.publish(db.session, world.member_a.id, placement.id)
    assert placement.status == PlacementStatus.DRAFT


def test_a_rejected_organisation_cannot_draft(world: World):
    world.org_a.status = VerificationStatus.REJECTED
    world.org_a.verified_at = None
    db.session.commit()
    with pytest.raises(InvalidState, match="rejected"):
        draft(db.session, world)


def test_publishing_checks_the_closing_date_again(world: World):
    placement = draft(db.session, world)
    placement.closing_date = TODAY
    db.session.commit()
    with pytest.raises(ValidationFailed) as raised:
        placements.publish(db.session, world.member_a.id, placement.id)
    assert raised.value.errors == {"closing_date": "Closing date must be in the future"}


def test_a_closed_placement_reopens_only_before_its_closing_date(world: World):
    placement = placement_in(world, PlacementStatus.CLOSED)
    placement.closing_date = TODAY
    db.session.commit()
    with pytest.raises(ValidationFailed):
        placements.reopen(db.session, world.member_a.id, placement.id)


def test_only_a_platform_administrator_unpublishes_and_must_say_why(world: World):
    placement = open_placement(db.session, world)
    with pytest.raises(NotPermitted):
        placements.unpublish_by_admin(db.session, world.admin_a.id, placement.id, "Because")
    with pytest.raises(ValidationFailed) as raised:
        placements.unpublish_by_admin(db.session, world.platform_admin.id, placement.id, " ")
    assert raised.value.errors == {"reason": "Enter why the placement is being unpublished"}

    placements.unpublish_by_admin(
        db.session, world.platform_admin.id, placement.id, "Names a real person in the text"
    )
    db.session.commit()
    assert placement.status == PlacementStatus.WITHDRAWN
    assert placement.unpublished_reason == "Names a real person in the text"
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "placement.unpublish")
    ).one()
    assert "Names" not in str(entry.details)


def test_version_preconditions_apply_to_status_changes_too(world: World):
    placement = draft(db.session, world)
    db.session.commit()
    with pytest.raises(StaleObject):
        placements.publish(db.session, world.member_a.id, placement.id, expected_version=7)
    placements.publish(db.session, world.member_a.id, placement.id, expected_version=1)
    assert placement.version_id == 2


# Read queries


def test_open_placements_are_public_and_others_only_for_their_organisation(world: World):
    live = open_placement(db.session, world)
    hidden = draft(db.session, world)
    db.session.commit()
    for viewer in (None, world.person.id, world.admin_b.id):
        assert placements.get_placement(db.session, viewer, live.id) is live
    for viewer in (None, world.person.id, world.admin_b.id):
        with pytest.raises(NotFound):
            placements.get_placement(db.session, viewer, hidden.id)
    for viewer in (world.member_a.id, world.platform_admin.id):
        assert placements.get_placement(db.session, viewer, hidden.id) is hidden
    with pytest.raises(NotFound):
        placements.get_placement(db.session, None, 999_999)


def test_an_organisation_lists_its_own_placements_by_status(world: World):
    live = open_placement(db.session, world)
    hidden = draft(db.session, world)
    open_placement(db.session, world, member=world.admin_b)
    db.session.commit()
    page = placements.list_organisation_placements(db.session, world.member_a.id, world.org_a.id)
    assert {p.id for p in page.items} == {live.id, hidden.id} and page.total == 2
    only_drafts = placements.list_organisation_placements(
        db.session, world.member_a.id, world.org_a.id, status=PlacementStatus.DRAFT
    )
    assert [p.id for p in only_drafts.items] == [hidden.id]
    with pytest.raises(NotPermitted):
        placements.list_organisation_placements(db.session, world.admin_b.id, world.org_a.id)


def test_search_filters_open_placements(world: World):
    other_theme = world.theme_ids[1]
    slug = db.session.get(Theme, other_theme).slug
    leeds = open_placement(db.session, world, title="Leeds social care review")
    remote = open_placement(
        db.session,
        world,
        member=world.admin_b,
        title="Remote data project",
        kind=PlacementKind.PARTNERSHIP_PROJECT.value,
        remote_possible=True,
        location_postcode="",
        theme_ids=[other_theme],
    )
    draft(db.session, world, title="Draft social care")
    closing_passed = open_placement(db.session, world, title="Expired social care")
    closing_passed.closing_date = TODAY - timedelta(days=1)
    db.session.commit()

    def ids(**filters: Any) -> list[int]:
        page = placements.search_open_placements(db.session, PlacementSearch(**filters))
        return [p.id for p in page.items]

    assert ids() == [remote.id, leeds.id]
    assert ids(text="social CARE") == [leeds.id]
    assert ids(text="care 100%") == []
    assert ids(theme=slug) == [remote.id]
    assert ids(kind="partnership_project") == [remote.id]
    assert ids(remote=True) == [remote.id]
    assert ids(remote=False) == [leeds.id]
    assert ids(region_code="E12000003") == [leeds.id]
    with pytest.raises(ValidationFailed):
        ids(kind="cruise")


def test_offset_and_cursor_pages_walk_every_open_placement_once(world: World):
    made = [open_placement(db.session, world, title=f"Placement {n}") for n in range(7)]
    # Two share a publication time: the id breaks the tie.
    made[3].published_at = made[4].published_at
    db.session.commit()
    expected = [p.id for p in sorted(made, key=lambda p: (p.published_at, p.id), reverse=True)]

    page = placements.search_open_placements(db.session, PlacementSearch(), limit=3, offset=3)
    assert page.total == 7 and [p.id for p in page.items] == expected[3:6]

    seen: list[int] = []
    cursor = None
    while True:
        result = placements.search_open_placements_by_cursor(
            db.session, PlacementSearch(), cursor=cursor, limit=3
        )
        seen.extend(p.id for p in result.items)
        if result.next_cursor is None:
            break
        cursor = result.next_cursor
    assert seen == expected

    with pytest.raises(ValidationFailed) as raised:
        placements.search_open_placements_by_cursor(db.session, PlacementSearch(), cursor="nope")
    assert raised.value.errors == {"cursor": "The page link is not valid"}


def test_page_sizes_are_bounded(app: Flask, world: World):
    page = placements.search_open_placements(db.session, PlacementSearch(), limit=10_000)
    assert page.limit == placements.PAGE_SIZE_MAX
