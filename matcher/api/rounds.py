"""Allocation rounds: the places offered into a round, a participant's choices and result.

Handlers translate JSON to and from the round services the web pages use, so who may see and
change what is decided in one place (``matcher.services.access``).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from matcher.api.operations import Caller, operation
from matcher.api.schemas import Id, Input, Output
from matcher.extensions import db
from matcher.models import ConfirmationDecision, ConfirmationSide, Role
from matcher.services import round_participants
from matcher.services.allocation_results import own_result
from matcher.services.round_places import places_in_round
from matcher.services.rounds import MAX_CHOICES_MOST

TAG = "Allocation rounds"


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
    result = own_result(db.session, caller.user_id, round_id)
    return ResultOut(
        headline=result.words.headline,
        reasons=result.words.choices,
        round_place_id=result.round_place_id,
        choice_number=result.choice_number,
        your_answer=result.decisions.get(ConfirmationSide.PARTICIPANT),
        organisation_answer=result.decisions.get(ConfirmationSide.ORGANISATION),
    )
