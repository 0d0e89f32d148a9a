"""What an organisation may read of people: recommended people anonymously, interested by name."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select

from matcher.extensions import db
from matcher.models import Grade, Match, Profession
from matcher.services import NotFound, interests, match_queries
from tests.unit.services.world import World, open_placement


def _match(world: World, placement_id: int) -> None:
    db.session.add(
        Match(
            person_id=world.person.id,
            placement_id=placement_id,
            score=0.9,
            rank=1,
            reasons=[],
            engine_version="test",
        )
    )
    db.session.flush()


def test_a_recommendation_carries_a_profile_summary_and_no_name_or_contact(world: World):
    placement = open_placement(db.session, world)
    profile = world.person.profile
    profile.grade_rank = db.session.scalar(select(Grade.rank).where(Grade.code == "SEO"))
    profile.profession_id = db.session.scalar(select(Profession.id).order_by(Profession.id))
    _match(world, placement.id)

    [found] = match_queries.recommended_people(db.session, world.member_a.id, placement.id)

    assert found.person_id == world.person.id
    assert found.profile.grade == "Senior Executive Officer"
    assert found.profile.profession is not None
    shown = repr(found) + repr(dataclasses.asdict(found.profile))
    assert world.person.display_name not in shown
    assert world.person.email not in shown


def test_the_interested_person_is_named_with_their_email_for_the_organisation_only(
    world: World,
):
    placement = open_placement(db.session, world)
    world.person.profile.about = "Ten years in housing policy."
    interest = interests.express_interest(db.session, world.person.id, placement.id)

    seen = match_queries.interested_person(db.session, world.member_a.id, interest.id)

    assert (seen.name, seen.email) == (world.person.display_name, world.person.email)
    assert seen.about == "Ten years in housing policy."
    for outsider in (world.admin_b, world.other_person, world.person):
        with pytest.raises(NotFound):
            match_queries.interested_person(db.session, outsider.id, interest.id)


def test_a_filled_placement_is_neither_matched_nor_recommended_from_the_accepting_commit(
    world: World,
):
    placement = open_placement(db.session, world, capacity=1)
    _match(world, placement.id)
    db.session.add(
        Match(
            person_id=world.other_person.id,
            placement_id=placement.id,
            score=0.8,
            rank=1,
            reasons=[],
            engine_version="test",
        )
    )
    interest = interests.express_interest(db.session, world.person.id, placement.id)
    interests.shortlist(db.session, world.member_a.id, interest.id)
    interests.offer(db.session, world.member_a.id, interest.id, "Start on 2 March.")
    db.session.commit()
    other = world.other_person.id
    assert match_queries.matches_for_person(db.session, other, page=1, per_page=10).total == 1
    assert match_queries.recommended_people(db.session, world.member_a.id, placement.id)

    interests.accept_offer(db.session, world.person.id, interest.id)
    db.session.commit()

    assert match_queries.matches_for_person(db.session, other, page=1, per_page=10).total == 0
    assert match_queries.recommended_people(db.session, world.member_a.id, placement.id) == []
