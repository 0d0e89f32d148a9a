"""Schemes and allocation rounds through their services: the state machine, who may do what, the
words of every refusal, and a small round from invitation to a second round."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from itertools import count

import pytest
from flask import current_app
from sqlalchemy import func, select

from matcher import notifications, outbox
from matcher.clock import set_now
from matcher.events import (
    ROUND_ALLOCATION_REQUESTED,
    ROUND_RESULTS_TO_ORGANISATIONS,
    ROUND_RESULTS_TO_PARTICIPANTS,
)
from matcher.extensions import db
from matcher.models import (
    AllocationResult,
    AllocationRound,
    AuditEntry,
    CivilServantProfile,
    Confirmation,
    ConfirmationDecision,
    Department,
    Match,
    OrganisationKind,
    OutboxEvent,
    RankingMode,
    RoundParticipant,
    RoundPlace,
    RoundPreference,
    RoundState,
    Scheme,
    User,
    utcnow,
)
from matcher.services import NotFound, NotPermitted, rounds, schemes
from matcher.services import allocation_results as results
from matcher.services import round_participants as participants
from matcher.services import round_places as places
from matcher.services.allocation_runs import allocate_round
from matcher.services.concurrency import StaleObject
from matcher.services.rounds import RoundSettings
from matcher.services.validation import ValidationFailed
from tests.unit.services.world import World, civil_servant, draft, open_placement

DOMAINS = ("gov.uk",)
SETTINGS = RoundSettings(name="Spring 2027", max_choices=3)


def errors_of(failure: pytest.ExceptionInfo[ValidationFailed]) -> dict[str, str]:
    return failure.value.errors


_schemes = count(1)


def scheme_for(world: World, department_id: int | None = None, name: str = "") -> Scheme:
    return schemes.create_scheme(
        db.session,
        world.platform_admin.id,
        name=name or f"Fast Stream {next(_schemes)}",
        department_id=department_id,
    )


def round_in(world: World, state: RoundState = RoundState.DRAFT) -> AllocationRound:
    scheme = scheme_for(world)
    allocation_round = rounds.create_round(db.session, world.platform_admin.id, scheme.id, SETTINGS)
    while allocation_round.state != state:
        rounds.advance(
            db.session,
            world.platform_admin.id,
            allocation_round.id,
            rounds.NEXT_STATE[allocation_round.state],
        )
    return allocation_round


# Schemes and managers


def test_only_a_platform_administrator_creates_a_scheme(world: World):
    with pytest.raises(NotPermitted):
        schemes.create_scheme(db.session, world.person.id, name="Mine", department_id=None)


def test_a_schemes_name_is_required_unique_and_its_department_real(world: World):
    scheme_for(world, name="Fast Stream")
    with pytest.raises(ValidationFailed) as empty:
        schemes.create_scheme(db.session, world.platform_admin.id, name=" ", department_id=None)
    with pytest.raises(ValidationFailed) as taken:
        schemes.create_scheme(
            db.session, world.platform_admin.id, name="Fast Stream", department_id=10**6
        )

    assert errors_of(empty) == {"name": "Enter a name for the scheme"}
    assert errors_of(taken) == {
        "name": "A scheme already has this name",
        "department_id": "Select a department from the list",
    }


def _in_department(person: User, department_id: int) -> None:
    profile = db.session.get(CivilServantProfile, person.id)
    assert profile is not None
    profile.department_id = department_id


def test_a_manager_appoints_colleagues_of_the_schemes_department_only(world: World):
    department, other = db.session.scalars(select(Department.id).limit(2)).all()
    scheme = scheme_for(world, department)
    _in_department(world.person, department)
    colleague = civil_servant(db.session)
    _in_department(colleague, department)
    _in_department(world.other_person, other)
    schemes.appoint_manager(db.session, world.platform_admin.id, scheme.id, world.person.email)

    schemes.appoint_manager(db.session, world.person.id, scheme.id, colleague.email.upper())
    with pytest.raises(ValidationFailed) as elsewhere:
        schemes.appoint_manager(db.session, world.person.id, scheme.id, world.other_person.email)
    with pytest.raises(ValidationFailed) as again:
        schemes.appoint_manager(db.session, world.person.id, scheme.id, colleague.email)
    with pytest.raises(ValidationFailed) as not_civil_servant:
        schemes.appoint_manager(db.session, world.person.id, scheme.id, world.member_a.email)
    with pytest.raises(NotPermitted):
        schemes.appoint_manager(db.session, world.other_person.id, scheme.id, colleague.email)

    assert errors_of(elsewhere) == {
        "email": "You can only appoint managers from the scheme's own department"
    }
    assert errors_of(again) == {"email": "This person already manages the scheme"}
    assert errors_of(not_civil_servant) == {
        "email": "Enter the email address of a civil servant with an account"
    }
    managers = schemes.managers_of(db.session, world.person.id, scheme.id)
    assert {m.id for m in managers} == {world.person.id, colleague.id}


def test_only_platform_administrators_appoint_to_a_cross_government_scheme(world: World):
    scheme = scheme_for(world)
    schemes.appoint_manager(db.session, world.platform_admin.id, scheme.id, world.person.email)

    with pytest.raises(ValidationFailed) as refused:
        schemes.appoint_manager(db.session, world.person.id, scheme.id, world.other_person.email)

    assert refused.value.errors["email"].startswith("You can only appoint managers")


# The round's states


def test_a_round_moves_through_its_states_one_at_a_time_and_asks_for_the_job_and_emails(
    world: World,
):
    allocation_round = round_in(world, RoundState.COLLECTING_PREFERENCES)

    with pytest.raises(ValidationFailed) as skipped:
        rounds.advance(
            db.session, world.platform_admin.id, allocation_round.id, RoundState.PUBLISHED
        )
    rounds.advance(db.session, world.platform_admin.id, allocation_round.id, RoundState.ALLOCATING)
    with pytest.raises(ValidationFailed) as unallocated:
        rounds.advance(
            db.session, world.platform_admin.id, allocation_round.id, RoundState.PUBLISHED
        )
    allocate_round(db.session, allocation_round.id, by=world.platform_admin)
    rounds.advance(db.session, world.platform_admin.id, allocation_round.id, RoundState.PUBLISHED)

    assert errors_of(skipped) == {
        "state": "A round that is collecting choices cannot move to published"
    }
    assert errors_of(unallocated) == {"state": "The round has not been allocated yet"}
    events = db.session.scalars(select(OutboxEvent.task_name).order_by(OutboxEvent.id)).all()
    assert events == [
        ROUND_ALLOCATION_REQUESTED,
        ROUND_RESULTS_TO_PARTICIPANTS,
        ROUND_RESULTS_TO_ORGANISATIONS,
    ]
    assert allocation_round.published_at is not None
    moves = db.session.scalar(select(func.count()).where(AuditEntry.action == "round.advanced"))
    assert moves == 4
    assert 0 <= allocation_round.lottery_seed < 2**62


def test_settings_are_checked_and_fixed_once_choices_are_in(world: World):
    scheme = scheme_for(world)
    bad = RoundSettings(
        name="",
        max_choices=51,
        preferences_close_at=utcnow() - timedelta(days=1),
        confirmations_close_at=utcnow() - timedelta(days=2),
    )
    with pytest.raises(ValidationFailed) as refused:
        rounds.create_round(db.session, world.platform_admin.id, scheme.id, bad)
    allocation_round = round_in(world, RoundState.ALLOCATING)
    with pytest.raises(ValidationFailed) as too_late:
        rounds.change_settings(db.session, world.platform_admin.id, allocation_round.id, SETTINGS)

    assert errors_of(refused) == {
        "name": "Enter a name for the round",
        "max_choices": "Each participant can choose between 1 and 50 places",
        "preferences_close_at": "The closing date for choices must be in the future",
        "confirmations_close_at": (
            "The deadline for confirming must be after the closing date for choices"
        ),
    }
    assert errors_of(too_late) == {"state": "The round is allocating, so this cannot be done now"}


def test_a_stale_change_of_settings_is_refused(world: World):
    allocation_round = round_in(world)
    version = allocation_round.version_id
    renamed = RoundSettings(name="Spring 2027, renamed", max_choices=3)
    rounds.change_settings(
        db.session, world.platform_admin.id, allocation_round.id, renamed, expected_version=version
    )

    with pytest.raises(StaleObject):
        rounds.change_settings(
            db.session,
            world.platform_admin.id,
            allocation_round.id,
            SETTINGS,
            expected_version=version,
        )


def test_who_may_see_and_run_a_round(world: World):
    allocation_round = round_in(world)

    with pytest.raises(NotFound):
        rounds.advance(
            db.session, world.member_a.id, allocation_round.id, RoundState.COLLECTING_PLACES
        )
    with pytest.raises(NotFound):
        rounds.advance(
            db.session, world.person.id, allocation_round.id, RoundState.COLLECTING_PLACES
        )
    rounds.advance(
        db.session, world.platform_admin.id, allocation_round.id, RoundState.COLLECTING_PLACES
    )
    # Out of draft, organisations see the round (to offer places) but do not run it.
    with pytest.raises(NotPermitted):
        rounds.advance(
            db.session, world.member_a.id, allocation_round.id, RoundState.COLLECTING_PREFERENCES
        )
    assert places.places_in_round(db.session, world.member_a.id, allocation_round.id) == []
    with pytest.raises(NotFound):
        places.places_in_round(db.session, world.person.id, allocation_round.id)


# Organisations' places


def test_an_organisation_offers_only_its_own_published_placements(world: World):
    allocation_round = round_in(world, RoundState.COLLECTING_PLACES)
    own = open_placement(db.session, world, capacity=3)
    others = open_placement(db.session, world, member=world.admin_b)
    unpublished = draft(db.session, world)
    others_draft = draft(db.session, world, member=world.admin_b)

    offered = places.offer_place(db.session, world.member_a.id, allocation_round.id, own.id, 2)
    with pytest.raises(ValidationFailed) as twice:
        places.offer_place(db.session, world.member_a.id, allocation_round.id, own.id, 1)
    with pytest.raises(NotPermitted):
        places.offer_place(db.session, world.member_a.id, allocation_round.id, others.id, 1)
    with pytest.raises(NotFound):
        places.offer_place(db.session, world.member_a.id, allocation_round.id, others_draft.id, 1)
    with pytest.raises(ValidationFailed) as not_open:
        places.offer_place(db.session, world.member_a.id, allocation_round.id, unpublished.id, 1)
    with pytest.raises(ValidationFailed) as too_many:
        places.change_places(db.session, world.member_a.id, offered.id, 4)
    with pytest.raises(NotPermitted):
        places.change_places(db.session, world.admin_b.id, offered.id, 1)
    with pytest.raises(NotPermitted):
        places.withdraw_place(db.session, world.admin_b.id, offered.id)

    assert errors_of(twice) == {"placement_id": "This placement is already offered into the round"}
    assert errors_of(not_open) == {
        "placement_id": "Only a published placement can be offered into a round"
    }
    assert errors_of(too_many) == {"places": "The placement can take between 1 and 3 of the cohort"}
    assert offered.places == 2


def test_places_are_offered_only_while_the_round_collects_them(world: World):
    allocation_round = round_in(world, RoundState.COLLECTING_PREFERENCES)
    placement = open_placement(db.session, world)

    with pytest.raises(ValidationFailed) as refused:
        places.offer_place(db.session, world.member_a.id, allocation_round.id, placement.id, 1)

    assert errors_of(refused) == {
        "state": "The round is collecting choices, so this cannot be done now"
    }


# The cohort


def test_invitations_follow_the_government_email_rule_line_by_line(world: World):
    allocation_round = round_in(world)

    bad = participants.invite(
        db.session,
        world.platform_admin.id,
        allocation_round.id,
        ["a@dwp.gov.uk", "someone@gmail.com", "not an address", "A@dwp.gov.uk"],
        government_domains=DOMAINS,
    )
    good = participants.invite_from_csv(
        db.session,
        world.platform_admin.id,
        allocation_round.id,
        "\ufeffname,Email\nAda,a@dwp.gov.uk\nBo,b@hmrc.gov.uk\n",
        government_domains=DOMAINS,
    )
    again = participants.invite(
        db.session,
        world.platform_admin.id,
        allocation_round.id,
        ["b@hmrc.gov.uk"],
        government_domains=DOMAINS,
    )
    with pytest.raises(ValidationFailed) as no_column:
        participants.invite_from_csv(
            db.session,
            world.platform_admin.id,
            allocation_round.id,
            "name\nAda\n",
            government_domains=DOMAINS,
        )

    assert bad.errors == {
        2: "Enter a government email address, like name@department.gov.uk",
        3: "Enter an email address in the correct format, like name@department.gov.uk",
        4: "This email address is also on line 1",
    }
    assert bad.invited == []
    assert [p.invited_email for p in good.invited] == ["a@dwp.gov.uk", "b@hmrc.gov.uk"]
    assert again.already == ["b@hmrc.gov.uk"] and again.invited == []
    assert errors_of(no_column) == {"file": "The first row must name a column called email"}
    from_file = participants.invite_from_csv(
        db.session,
        world.platform_admin.id,
        allocation_round.id,
        "email\nc@dwp.gov.uk\nc@gmail.com\n",
        government_domains=DOMAINS,
    )
    assert from_file.errors == {3: "Enter a government email address, like name@department.gov.uk"}


def test_an_invitee_joins_with_their_own_signed_link(world: World):
    allocation_round = round_in(world)
    invited = participants.invite(
        db.session,
        world.platform_admin.id,
        allocation_round.id,
        [world.person.email],
        government_domains=DOMAINS,
    ).invited[0]
    token = participants.invitation_token(invited, secret_key="test-secret")

    with pytest.raises(ValidationFailed) as someone_else:
        participants.accept_invitation(
            db.session,
            world.other_person.id,
            token,
            secret_key="test-secret",
            government_domains=DOMAINS,
        )
    with pytest.raises(NotFound):
        participants.accept_invitation(
            db.session,
            world.person.id,
            token + "x",
            secret_key="test-secret",
            government_domains=DOMAINS,
        )
    joined = participants.accept_invitation(
        db.session, world.person.id, token, secret_key="test-secret", government_domains=DOMAINS
    )

    assert errors_of(someone_else) == {
        "token": "This invitation was sent to another email address: sign in with that address"
    }
    assert joined.user_id == world.person.id and joined.joined_at is not None


def test_a_join_link_is_stored_as_a_digest_and_a_new_one_retires_the_old(world: World):
    allocation_round = round_in(world)
    old = participants.make_join_link_secret(
        db.session, world.platform_admin.id, allocation_round.id
    )
    new = participants.make_join_link_secret(
        db.session, world.platform_admin.id, allocation_round.id
    )

    with pytest.raises(ValidationFailed) as retired:
        participants.join_by_link(db.session, world.person.id, old, government_domains=DOMAINS)
    joined = participants.join_by_link(db.session, world.person.id, new, government_domains=DOMAINS)
    with pytest.raises(ValidationFailed) as twice:
        participants.join_by_link(db.session, world.person.id, new, government_domains=DOMAINS)
    with pytest.raises(ValidationFailed) as organisation_member:
        participants.join_by_link(db.session, world.member_a.id, new, government_domains=DOMAINS)

    assert new not in (allocation_round.join_code_digest or "")
    assert errors_of(retired) == {"secret": "The link to join the round is not valid any more"}
    assert errors_of(twice) == {"secret": "You are already in this round"}
    assert errors_of(organisation_member) == {"user": "Only civil servants can join a round"}
    assert joined.round_id == allocation_round.id


# A whole round


@dataclass
class Round:
    round: AllocationRound
    place_a: RoundPlace
    place_b: RoundPlace
    people: list[User]


def _joined(world: World, allocation_round: AllocationRound, people: list[User]) -> None:
    secret = participants.make_join_link_secret(
        db.session, world.platform_admin.id, allocation_round.id
    )
    for person in people:
        participants.join_by_link(db.session, person.id, secret, government_domains=DOMAINS)


@pytest.fixture
def choosing(world: World) -> Round:
    """A round collecting choices: organisation A's and B's placements, one place each, and
    three people whose stored matches rank B above A."""
    allocation_round = round_in(world, RoundState.COLLECTING_PLACES)
    placement_a = open_placement(db.session, world)
    placement_b = open_placement(db.session, world, member=world.admin_b)
    place_a = places.offer_place(
        db.session, world.member_a.id, allocation_round.id, placement_a.id, 1
    )
    place_b = places.offer_place(
        db.session, world.admin_b.id, allocation_round.id, placement_b.id, 1
    )
    people = [world.person, world.other_person, civil_servant(db.session)]
    for number, person in enumerate(people):
        for rank, placement in ((1, placement_b), (2, placement_a)):
            db.session.add(
                Match(
                    person_id=person.id,
                    placement_id=placement.id,
                    score=0.5 + number / 10,
                    rank=rank,
                    reasons=[],
                    engine_version="test",
                )
            )
    _joined(world, allocation_round, people)
    rounds.advance(
        db.session, world.platform_admin.id, allocation_round.id, RoundState.COLLECTING_PREFERENCES
    )
    db.session.commit()
    return Round(allocation_round, place_a, place_b, people)


def test_choices_are_prefilled_in_match_order_and_reordered_a_step_at_a_time(
    world: World, choosing: Round
):
    round_id = choosing.round.id
    suggested = participants.choices(db.session, world.person.id, round_id)

    moved = participants.move_choice(
        db.session, world.person.id, round_id, choosing.place_a.id, participants.Move.UP
    )
    unchanged = participants.move_choice(
        db.session, world.person.id, round_id, choosing.place_a.id, participants.Move.UP
    )
    removed = participants.remove_choice(db.session, world.person.id, round_id, choosing.place_b.id)

    assert suggested.prefilled
    assert suggested.round_place_ids == [choosing.place_b.id, choosing.place_a.id]
    assert moved.round_place_ids == [choosing.place_a.id, choosing.place_b.id]
    assert not moved.prefilled
    assert unchanged.round_place_ids == moved.round_place_ids
    assert removed.round_place_ids == [choosing.place_a.id]
    assert removed.version_id > moved.version_id
    with pytest.raises(StaleObject):
        participants.set_choices(
            db.session, world.person.id, round_id, [], expected_version=moved.version_id
        )


def test_bad_choices_are_worded(world: World, choosing: Round):
    round_id = choosing.round.id
    with pytest.raises(ValidationFailed) as repeated:
        participants.set_choices(
            db.session, world.person.id, round_id, [choosing.place_a.id, choosing.place_a.id]
        )
    with pytest.raises(ValidationFailed) as unknown:
        participants.set_choices(db.session, world.person.id, round_id, [10**6])
    with pytest.raises(ValidationFailed) as too_many:
        participants.set_choices(db.session, world.person.id, round_id, [1, 2, 3, 4])
    with pytest.raises(NotFound):
        participants.choices(db.session, world.member_a.id, round_id)

    assert errors_of(repeated) == {"choices": "Choose each place once"}
    assert errors_of(unknown) == {"choices": "Choose places from the round's list"}
    assert errors_of(too_many) == {"choices": "Choose 3 places or fewer"}


def _everyone_chooses(choosing: Round) -> None:
    for person in choosing.people:
        participants.set_choices(
            db.session,
            person.id,
            choosing.round.id,
            [choosing.place_a.id, choosing.place_b.id],
        )


def test_an_organisation_ranks_and_marks_only_those_who_chose_its_place(
    world: World, choosing: Round
):
    _everyone_chooses(choosing)
    ids = [
        db.session.scalar(
            select(RoundParticipant.id).where(
                RoundParticipant.user_id == p.id, RoundParticipant.round_id == choosing.round.id
            )
        )
        for p in choosing.people
    ]

    ranked = places.rank_participants(
        db.session, world.member_a.id, choosing.place_a.id, [(ids[2], 1), (ids[0], 2)]
    )
    places.mark_unacceptable(
        db.session, world.member_a.id, choosing.place_a.id, ids[1], "Needs a driving licence"
    )
    with pytest.raises(ValidationFailed) as no_reason:
        places.mark_unacceptable(db.session, world.member_a.id, choosing.place_a.id, ids[1], "")
    with pytest.raises(ValidationFailed) as malformed:
        places.rank_participants(db.session, world.member_a.id, choosing.place_a.id, [(ids[0], 0)])
    with pytest.raises(NotPermitted):
        places.rank_participants(db.session, world.member_a.id, choosing.place_b.id, [])
    with pytest.raises(NotPermitted):
        places.mark_unacceptable(db.session, world.admin_b.id, choosing.place_a.id, ids[0], "No")
    order = places.choosers(db.session, world.member_a.id, choosing.place_a.id)

    assert ranked.ranking_mode == RankingMode.OWN_ORDER
    assert [c.participant_id for c in order] == [ids[2], ids[0], ids[1]]
    assert order[2].unacceptable_reason == "Needs a driving licence"
    assert errors_of(no_reason) == {"reason": "Enter why the participant is unacceptable"}
    assert errors_of(malformed) == {"ranks": "Each rank must be a whole number, 1 or more"}
    engine = places.use_engine_order(db.session, world.member_a.id, choosing.place_a.id)
    assert engine.ranking_mode == RankingMode.ENGINE_SCORE


def test_a_round_from_choices_to_confirmations_and_a_second_round(world: World, choosing: Round):
    _everyone_chooses(choosing)
    ids = {
        p.id: db.session.scalar(
            select(RoundParticipant.id).where(
                RoundParticipant.user_id == p.id, RoundParticipant.round_id == choosing.round.id
            )
        )
        for p in choosing.people
    }
    first, second, third = choosing.people
    places.mark_unacceptable(
        db.session, world.member_a.id, choosing.place_a.id, ids[second.id], "Needs a licence"
    )
    participants.withdraw(db.session, third.id, choosing.round.id)
    rounds.advance(db.session, world.platform_admin.id, choosing.round.id, RoundState.ALLOCATING)
    db.session.commit()

    # The allocation job, run in-process as a worker would; a second event for the same round
    # (a second click, say) finds it allocated.
    job = current_app.extensions["celery"].tasks[ROUND_ALLOCATION_REQUESTED]
    event = db.session.scalar(
        select(OutboxEvent.id).where(OutboxEvent.task_name == ROUND_ALLOCATION_REQUESTED)
    )
    assert job(event_id=event) is True
    assert job(event_id=event) is False
    again = outbox.record_event(
        db.session, ROUND_ALLOCATION_REQUESTED, {"round_id": choosing.round.id}
    )
    db.session.commit()
    assert job(event_id=again.id) is True
    stored = db.session.scalars(select(AllocationResult)).all()
    assert len(stored) == 2

    rounds.advance(db.session, world.platform_admin.id, choosing.round.id, RoundState.PUBLISHED)
    mine = results.own_result(db.session, first.id, choosing.round.id)
    theirs = results.own_result(db.session, second.id, choosing.round.id)
    assert mine.choice_number == 1 and mine.round_place_id == choosing.place_a.id
    assert mine.words.headline.startswith("You got your first choice: Rural transport")
    assert theirs.round_place_id == choosing.place_b.id
    assert "marked you unacceptable: Needs a licence" in theirs.words.choices[0]

    results.answer_as_participant(
        db.session, first.id, choosing.round.id, ConfirmationDecision.CONFIRMED
    )
    with pytest.raises(NotPermitted):
        results.answer_as_organisation(
            db.session, world.admin_b.id, ids[first.id], ConfirmationDecision.CONFIRMED
        )
    results.answer_as_organisation(
        db.session, world.member_a.id, ids[first.id], ConfirmationDecision.CONFIRMED
    )
    results.answer_as_organisation(
        db.session, world.admin_b.id, ids[second.id], ConfirmationDecision.DECLINED
    )
    with pytest.raises(ValidationFailed) as twice:
        results.answer_as_organisation(
            db.session, world.admin_b.id, ids[second.id], ConfirmationDecision.CONFIRMED
        )
    coming = results.coming_to(db.session, world.member_a.id, choosing.round.id, world.org_a.id)
    assert errors_of(twice) == {"decision": "This place has already been declined"}
    assert [(c.participant_id, c.email) for c in coming] == [(ids[first.id], first.email)]

    rounds.advance(db.session, world.platform_admin.id, choosing.round.id, RoundState.CLOSED)
    second_round = rounds.start_second_round(
        db.session,
        world.platform_admin.id,
        choosing.round.id,
        RoundSettings(name="Spring 2027, second round", max_choices=2),
    )
    left_places = db.session.scalars(
        select(RoundPlace.placement_id).where(RoundPlace.round_id == second_round.id)
    ).all()
    left_people = db.session.scalars(
        select(RoundParticipant.user_id).where(RoundParticipant.round_id == second_round.id)
    ).all()
    assert second_round.parent_round_id == choosing.round.id
    assert left_places == [choosing.place_b.placement_id]
    assert left_people == [second.id]


def test_publishing_emails_every_participant_and_every_organisation_member_once(
    world: World, choosing: Round
):
    _everyone_chooses(choosing)
    rounds.advance(db.session, world.platform_admin.id, choosing.round.id, RoundState.ALLOCATING)
    allocate_round(db.session, choosing.round.id, by=None)
    rounds.advance(db.session, world.platform_admin.id, choosing.round.id, RoundState.PUBLISHED)
    db.session.commit()
    settings = current_app.config["MATCHER_SETTINGS"]
    payload = {"round_id": choosing.round.id}

    to_people = notifications.MESSAGES[ROUND_RESULTS_TO_PARTICIPANTS](db.session, settings, payload)
    to_organisations = notifications.MESSAGES[ROUND_RESULTS_TO_ORGANISATIONS](
        db.session, settings, payload
    )

    assert to_people is not None and to_organisations is not None
    assert sorted(email for email, _ in to_people.recipients) == sorted(
        p.email for p in choosing.people
    )
    assert sorted(email for email, _ in to_organisations.recipients) == sorted(
        [world.admin_a.email, world.member_a.email, world.admin_b.email]
    )
    assert to_people.subject == "Your result in Spring 2027"


def test_a_participant_withdraws_only_before_results_are_published(world: World, choosing: Round):
    participants.withdraw(db.session, world.person.id, choosing.round.id)

    with pytest.raises(ValidationFailed) as again:
        participants.withdraw(db.session, world.person.id, choosing.round.id)

    assert errors_of(again) == {"round": "You have withdrawn from this round"}
    for person in choosing.people[1:]:
        participants.set_choices(db.session, person.id, choosing.round.id, [choosing.place_a.id])
    rounds.advance(db.session, world.platform_admin.id, choosing.round.id, RoundState.ALLOCATING)
    allocate_round(db.session, choosing.round.id, by=None)
    # After the job ran but before anyone saw its results: they are dropped and the job asked
    # for again, which allocates without the one who left.
    participants.withdraw(db.session, world.other_person.id, choosing.round.id)
    assert choosing.round.allocated_at is None
    asked = db.session.scalar(
        select(func.count()).where(OutboxEvent.task_name == ROUND_ALLOCATION_REQUESTED)
    )
    assert asked == 2
    again = allocate_round(db.session, choosing.round.id, by=None)
    assert (again.participants, again.already_allocated) == (1, False)
    rounds.advance(db.session, world.platform_admin.id, choosing.round.id, RoundState.PUBLISHED)
    with pytest.raises(ValidationFailed) as published:
        participants.withdraw(db.session, choosing.people[2].id, choosing.round.id)
    assert errors_of(published) == {"state": "The round is published, so this cannot be done now"}


def test_managers_see_the_counts_and_the_places_left_empty(world: World, choosing: Round):
    participants.set_choices(db.session, world.person.id, choosing.round.id, [choosing.place_a.id])
    rounds.advance(db.session, world.platform_admin.id, choosing.round.id, RoundState.ALLOCATING)
    with pytest.raises(ValidationFailed):
        results.round_statistics(db.session, world.platform_admin.id, choosing.round.id)
    allocate_round(db.session, choosing.round.id, by=world.platform_admin)

    statistics = results.round_statistics(db.session, world.platform_admin.id, choosing.round.id)
    with pytest.raises(NotPermitted):
        results.round_statistics(db.session, world.member_a.id, choosing.round.id)

    assert (statistics.summary.placed, statistics.summary.first_choice) == (1, 1)
    assert statistics.summary.unplaced == 2
    assert statistics.unfilled_by_region == [("No region", 1)]
    assert statistics.unfilled_by_kind == [(OrganisationKind.POLICE_FORCE, 1)]


def test_a_round_closes_at_its_deadline_and_keeps_every_place_nobody_answered(
    world: World, choosing: Round
):
    _everyone_chooses(choosing)
    deadline = utcnow() + timedelta(days=10)
    rounds.change_settings(
        db.session,
        world.platform_admin.id,
        choosing.round.id,
        RoundSettings("Spring 2027", 3, confirmations_close_at=deadline),
    )
    rounds.advance(db.session, world.platform_admin.id, choosing.round.id, RoundState.ALLOCATING)
    allocate_round(db.session, choosing.round.id, by=None)
    rounds.advance(db.session, world.platform_admin.id, choosing.round.id, RoundState.PUBLISHED)
    first, second, third = choosing.people
    ids = {
        row.user_id: row.id
        for row in db.session.scalars(
            select(RoundParticipant).where(RoundParticipant.round_id == choosing.round.id)
        )
    }
    placed = {
        row.participant_id: row.round_place_id
        for row in db.session.scalars(select(AllocationResult))
        if row.round_place_id
    }
    # The first holds a place and answers; the organisation of the second's place declines.
    kept, declined = (p for p in (first, second, third) if ids[p.id] in placed)
    results.answer_as_participant(
        db.session, kept.id, choosing.round.id, ConfirmationDecision.CONFIRMED
    )
    declining = world.member_a if placed[ids[declined.id]] == choosing.place_a.id else world.admin_b
    results.answer_as_organisation(
        db.session, declining.id, ids[declined.id], ConfirmationDecision.DECLINED
    )
    db.session.commit()
    celery = current_app.extensions["celery"]
    beat = celery.tasks["rounds.close_past_deadline"]
    close = celery.tasks["rounds.close_at_deadline"]

    assert beat.apply().get() == 0
    assert close.apply(args=(choosing.round.id,)).get() is False
    set_now(deadline + timedelta(minutes=1))
    assert beat.apply().get() == 1
    assert close.apply(args=(choosing.round.id,)).get() is True
    assert close.apply(args=(choosing.round.id,)).get() is False
    assert beat.apply().get() == 0

    db.session.expire_all()
    closed = db.session.get(AllocationRound, choosing.round.id)
    assert closed is not None and closed.state == RoundState.CLOSED
    answers = {
        (row.participant_id, row.side.value): (row.decision.value, row.by_deadline)
        for row in db.session.scalars(select(Confirmation))
    }
    assert answers == {
        (ids[kept.id], "participant"): ("confirmed", False),
        (ids[kept.id], "organisation"): ("confirmed", True),
        (ids[declined.id], "organisation"): ("declined", False),
    }
    with pytest.raises(ValidationFailed):
        results.answer_as_participant(
            db.session, declined.id, choosing.round.id, ConfirmationDecision.CONFIRMED
        )
    left = rounds.left_over(db.session, world.platform_admin.id, choosing.round.id)
    assert [user for user, _ in left.people] == [p.id for p in choosing.people if p is not kept]
    audit_actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.object_id == str(choosing.round.id))
    ).all()
    assert "round.closed_at_deadline" in audit_actions


def test_settings_changed_while_people_choose_keep_their_lists_and_a_passed_closing_date(
    world: World, choosing: Round
):
    _everyone_chooses(choosing)
    closes = utcnow() + timedelta(days=3)
    admin = world.platform_admin.id
    rounds.change_settings(
        db.session, admin, choosing.round.id, RoundSettings("Spring 2027", 3, closes)
    )
    with pytest.raises(ValidationFailed) as shorter:
        rounds.change_settings(db.session, admin, choosing.round.id, RoundSettings("Spring", 1))
    set_now(closes + timedelta(days=1))
    # The closing date has passed, but it is the one already set: renaming keeps it.
    renamed = rounds.change_settings(
        db.session, admin, choosing.round.id, RoundSettings("Spring 2027 graduates", 2, closes)
    )
    with pytest.raises(ValidationFailed) as moved:
        rounds.change_settings(
            db.session,
            admin,
            choosing.round.id,
            RoundSettings("Spring", 2, closes - timedelta(days=1)),
        )

    assert errors_of(shorter) == {
        "max_choices": "A participant has already chosen 2 places, so each participant must "
        "be able to choose at least 2"
    }
    assert renamed.name == "Spring 2027 graduates"
    assert errors_of(moved) == {
        "preferences_close_at": "The closing date for choices must be in the future"
    }


def test_an_organisation_withdraws_a_place_until_allocation_and_choices_below_it_move_up(
    world: World, choosing: Round
):
    _everyone_chooses(choosing)
    versions = {
        p.id: p.version_id
        for p in db.session.scalars(
            select(RoundParticipant).where(RoundParticipant.round_id == choosing.round.id)
        )
    }

    chosen_by = places.withdraw_place(db.session, world.member_a.id, choosing.place_a.id)

    assert chosen_by == 3
    lists = [
        participants.choices(db.session, person.id, choosing.round.id).round_place_ids
        for person in choosing.people
    ]
    assert lists == [[choosing.place_b.id]] * 3
    ranks = db.session.scalars(
        select(RoundPreference.rank).where(RoundPreference.round_id == choosing.round.id)
    ).all()
    assert ranks == [1, 1, 1]
    assert all(
        db.session.get(RoundParticipant, pid).version_id == version + 1
        for pid, version in versions.items()
    )
    rounds.advance(db.session, world.platform_admin.id, choosing.round.id, RoundState.ALLOCATING)
    with pytest.raises(ValidationFailed) as late:
        places.withdraw_place(db.session, world.admin_b.id, choosing.place_b.id)
    assert errors_of(late) == {"state": "The round is allocating, so this cannot be done now"}
