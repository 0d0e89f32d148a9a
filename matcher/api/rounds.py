"""Allocation rounds: the rounds open to the caller, one round, the places offered into it, and
a participant's choices and result.

Handlers translate JSON to and from the round services the web pages use, so who may see and
change what is decided in one place (``matcher.services.access``). Running a round is in
``matcher.api.round_management``; an organisation's places in it in ``matcher.api.round_places``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field

from matcher.api.operations import Caller, Reply, operation
from matcher.api.schemas import Id, Input, Output
from matcher.extensions import db
from matcher.models import (
    AllocationRound,
    ConfirmationDecision,
    ConfirmationSide,
    Role,
    RoundState,
)
from matcher.services import round_participants
from matcher.services.access import load_actor, load_round
from matcher.services.allocation_results import answer_as_participant, own_result
from matcher.services.round_places import places_in_round
from matcher.services.round_queries import rounds_joined_by, rounds_open_to_organisations
from matcher.services.rounds import MAX_CHOICES_MOST, NEXT_STATE

TAG = "Allocation rounds"


class RoundOut(Output):
    """An allocation round: its settings, where it is in its life, and when it got there."""

    id: int
    scheme_id: int
    scheme_name: str
    name: str
    state: RoundState
    next_state: RoundState | None = Field(
        description="The state its managers move it on to next; null once it is closed"
    )
    max_choices: int = Field(description="How many places each participant may choose")
    preferences_close_at: datetime | None
    confirmations_close_at: datetime | None
    parent_round_id: int | None = Field(
        description="The closed round whose places and people this second round offers again"
    )
    created_at: datetime
    allocated_at: datetime | None = Field(
        description="When the allocation ran; its results can be published after this"
    )
    published_at: datetime | None
    closed_at: datetime | None
    version: int = Field(description="The same number as the ETag; send it back as If-Match")


class RoundList(Output):
    items: list[RoundOut]


def round_out(allocation_round: AllocationRound) -> RoundOut:
    """The API's view of a round."""
    return RoundOut(
        id=allocation_round.id,
        scheme_id=allocation_round.scheme_id,
        scheme_name=allocation_round.scheme.name,
        name=allocation_round.name,
        state=allocation_round.state,
        next_state=NEXT_STATE.get(allocation_round.state),
        max_choices=allocation_round.max_choices,
        preferences_close_at=allocation_round.preferences_close_at,
        confirmations_close_at=allocation_round.confirmations_close_at,
        parent_round_id=allocation_round.parent_round_id,
        created_at=allocation_round.created_at,
        allocated_at=allocation_round.allocated_at,
        published_at=allocation_round.published_at,
        closed_at=allocation_round.closed_at,
        version=allocation_round.version_id,
    )


def round_reply(allocation_round: AllocationRound, status: int = 200, **headers: str) -> Reply:
    """A round with its version as the ETag."""
    return Reply(
        body=round_out(allocation_round),
        status=status,
        version=allocation_round.version_id,
        headers=headers,
    )


@operation("GET", "/rounds", summary="The rounds you take part in", tag=TAG, response=RoundList)
def list_rounds(caller: Caller) -> RoundList:
    """Newest first. For an organisation member, every round past its draft, into which the
    organisation may offer places (and, later, answer its results); for anyone else, the
    rounds they have joined and not left. A scheme's managers list its rounds with
    `GET /schemes/{scheme_id}/rounds`."""
    if caller.role == Role.ORGANISATION_MEMBER:
        found = rounds_open_to_organisations(db.session, caller.user_id)
    else:
        found = rounds_joined_by(db.session, caller.user_id)
    return RoundList(items=[round_out(allocation_round) for allocation_round in found])


@operation(
    "GET",
    "/rounds/<id:round_id>",
    summary="One allocation round",
    tag=TAG,
    response=RoundOut,
    etag=True,
)
def get_round(caller: Caller, round_id: int) -> Reply:
    """For its scheme's managers, its participants and, once it is out of draft, organisation
    members; 404 for anyone else. The ETag is for If-Match on the managers' steps."""
    return round_reply(load_round(db.session, load_actor(db.session, caller.user_id), round_id))


class RoundPlaceOut(Output):
    """A placement offered into a round, and how many of the cohort it takes."""

    id: int
    placement_id: int
    placement_title: str
    places: int


class RoundPlaceList(Output):
    items: list[RoundPlaceOut]


class ChoicesOut(Output):
    """A participant's choices, first choice first."""

    round_place_ids: list[int]
    prefilled: bool = Field(
        description="True while these are the suggestion in match order, not yet saved"
    )
    max_choices: int


class ChoicesIn(Input):
    """The places to choose, first choice first; the round says how many at most."""

    round_place_ids: Annotated[list[Id], Field(max_length=MAX_CHOICES_MOST)]


class ResultOut(Output):
    """Where the allocation placed the caller, and why, in plain English."""

    headline: str
    reasons: list[str] = Field(description="One sentence for each of your choices, in order")
    round_place_id: int | None
    choice_number: int | None
    your_answer: ConfirmationDecision | None
    organisation_answer: ConfirmationDecision | None


@operation(
    "GET",
    "/rounds/<id:round_id>/places",
    summary="The places offered into a round",
    tag=TAG,
    response=RoundPlaceList,
)
def list_round_places(caller: Caller, round_id: int) -> RoundPlaceList:
    """Every placement offered into the round, by title, for anyone who may see the round:
    its managers, its participants and, once it is out of draft, organisation members."""
    places = places_in_round(db.session, caller.user_id, round_id)
    return RoundPlaceList(
        items=[
            RoundPlaceOut(
                id=place.id,
                placement_id=place.placement_id,
                placement_title=place.placement.title,
                places=place.places,
            )
            for place in places
        ]
    )


def _choices_out(choices: round_participants.Choices) -> ChoicesOut:
    return ChoicesOut(
        round_place_ids=choices.round_place_ids,
        prefilled=choices.prefilled,
        max_choices=choices.max_choices,
    )


@operation(
    "GET",
    "/rounds/<id:round_id>/choices",
    summary="Your choices in a round",
    tag=TAG,
    response=ChoicesOut,
    roles=[Role.CIVIL_SERVANT],
)
def get_my_choices(caller: Caller, round_id: int) -> ChoicesOut:
    """Your choices, first choice first; before you save any, the round's places in the order
    they match you best."""
    return _choices_out(round_participants.choices(db.session, caller.user_id, round_id))


@operation(
    "PUT",
    "/rounds/<id:round_id>/choices",
    summary="Save your choices in a round",
    tag=TAG,
    response=ChoicesOut,
    body=ChoicesIn,
    roles=[Role.CIVIL_SERVANT],
)
def put_my_choices(caller: Caller, round_id: int, body: ChoicesIn) -> ChoicesOut:
    """Replace your choices while the round collects them, first choice first."""
    saved = round_participants.set_choices(
        db.session, caller.user_id, round_id, body.round_place_ids
    )
    return _choices_out(saved)


@operation(
    "GET",
    "/rounds/<id:round_id>/result",
    summary="Your result in a round",
    tag=TAG,
    response=ResultOut,
    roles=[Role.CIVIL_SERVANT],
)
def get_my_result(caller: Caller, round_id: int) -> ResultOut:
    """Once the round's results are published: the place you were given, if any, why, and
    both sides' answers so far."""
    return _result_out(caller, round_id)


_MY_ANSWER: dict[str, Any] = {"tag": TAG, "response": ResultOut, "roles": [Role.CIVIL_SERVANT]}


@operation("POST", "/rounds/<id:round_id>/result:confirm", summary="Take your place", **_MY_ANSWER)
def confirm_my_place(caller: Caller, round_id: int) -> ResultOut:
    """Take the place the round gave you; final. 422 if you were given none, once you have
    answered, after the round's deadline for answers, or once it is closed."""
    answer_as_participant(db.session, caller.user_id, round_id, ConfirmationDecision.CONFIRMED)
    return _result_out(caller, round_id)


@operation(
    "POST", "/rounds/<id:round_id>/result:decline", summary="Turn down your place", **_MY_ANSWER
)
def decline_my_place(caller: Caller, round_id: int) -> ResultOut:
    """Turn down the place the round gave you; final, and the place goes to a second round. 422
    if you were given none, once you have answered, after the round's deadline for answers, or
    once it is closed."""
    answer_as_participant(db.session, caller.user_id, round_id, ConfirmationDecision.DECLINED)
    return _result_out(caller, round_id)


def _result_out(caller: Caller, round_id: int) -> ResultOut:
    result = own_result(db.session, caller.user_id, round_id)
    return ResultOut(
        headline=result.words.headline,
        reasons=result.words.choices,
        round_place_id=result.round_place_id,
        choice_number=result.choice_number,
        your_answer=result.decisions.get(ConfirmationSide.PARTICIPANT),
        organisation_answer=result.decisions.get(ConfirmationSide.ORGANISATION),
    )
