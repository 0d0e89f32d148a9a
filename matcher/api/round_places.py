"""An organisation's places in allocation rounds: offering them, ordering who chose them, and
answering who the allocation placed with it.

Handlers translate JSON to and from ``matcher.services.round_places`` and
``allocation_results``, which decide who may act: a round the caller may not see is 404, another
organisation's place 403. Here the API adds only what is about the token: it must act for the
place's organisation (403 otherwise), as it must for a placement.
"""

from __future__ import annotations

from typing import Annotated, Any

from flask import url_for
from pydantic import Field

from matcher.api.operations import Caller, Link, Reply, operation
from matcher.api.schemas import (
    Id,
    Input,
    Output,
    PageInfo,
    PageNumber,
    PageSize,
    WholeNumber,
    service_rule,
)
from matcher.database import ID_MAX
from matcher.extensions import db
from matcher.models import (
    ConfirmationDecision,
    ConfirmationSide,
    RankingMode,
    Role,
    RoundPlace,
)
from matcher.services import round_places as service
from matcher.services.access import load_actor, load_round, load_round_place_for_member
from matcher.services.allocation_results import Incoming, answer_as_organisation, coming_to
from matcher.services.errors import NotFound
from matcher.services.placements import CAPACITY_MAX, get_placement
from matcher.services.round_places import REASON_MAX, Chooser

TAG = "Places in rounds"
MEMBERS = (Role.ORGANISATION_MEMBER,)
PER_PAGE_DEFAULT = 50
# Rank lists as long as a national cohort choosing one place, and the body to carry one.
RANKS_MAX = 50_000
# Ranks are stored as PostgreSQL INTEGERs.
RANK_MAX = ID_MAX
RANKING_BODY_MAX = 4 * 1024 * 1024

Places = Annotated[
    int,
    service_rule(minimum=1, maximum=CAPACITY_MAX),
    Field(description="How many of the cohort it takes; at most the placement's own capacity"),
    WholeNumber,
]


# Schemas


class OfferedPlaceOut(Output):
    """One of your organisation's placements offered into a round."""

    id: int
    round_id: int
    placement_id: int
    placement_title: str
    places: int
    ranking_mode: RankingMode = Field(
        description="`engine_score`: those who chose it in the order of their match scores; "
        "`own_order`: in the ranks you gave"
    )
    version: int = Field(description="The same number as the ETag; send it back as If-Match")


class OfferIn(Input):
    placement_id: Id = Field(description="One of your organisation's open placements")
    places: Places


class PlacesIn(Input):
    places: Places


class ChoosersQuery(Input):
    page: PageNumber = 1
    per_page: PageSize = PER_PAGE_DEFAULT


class ChooserOut(Output):
    """A participant who chose the place, as the allocation will order them."""

    participant_id: int
    name: str
    choice_rank: int = Field(description="Where they put the place on their list; 1 is first")
    score: float | None = Field(description="Their match score with the placement, if any")
    own_rank: int | None = Field(description="Your rank for them, if you gave one")
    unacceptable_reason: str | None = Field(
        description="Why you will not take them, if you said so; they read it in their result"
    )


class ChooserPage(Output):
    items: list[ChooserOut]
    page: PageInfo


class RankIn(Input):
    participant_id: Id
    rank: Annotated[int, service_rule(minimum=1), Field(le=RANK_MAX), WholeNumber] = Field(
        description="Lower is better; equal ranks tie, and a lottery breaks the tie"
    )


class RankingIn(Input):
    """Your order of those who chose the place; anyone left out comes after everyone ranked."""

    ranks: Annotated[list[RankIn], Field(max_length=RANKS_MAX)]


class UnacceptableIn(Input):
    reason: Annotated[str, service_rule(maxLength=REASON_MAX)] = Field(
        description="Why you will not take them; they read it in their result"
    )


class IncomingOut(Output):
    """Someone the allocation placed with your organisation, and each side's answer."""

    participant_id: int
    round_place_id: int
    placement_title: str
    name: str
    email: str | None = Field(description="Shown once both sides have confirmed")
    participant_answer: ConfirmationDecision | None
    organisation_answer: ConfirmationDecision | None


class IncomingList(Output):
    items: list[IncomingOut]


# Translations


def _own_place(caller: Caller, round_place_id: int) -> RoundPlace:
    """The place, if the caller may see its round (404), is a member of its organisation and
    the token acts for it (403)."""
    place = load_round_place_for_member(
        db.session, load_actor(db.session, caller.user_id), round_place_id
    )
    caller.require_organisation(place.placement.organisation_id)
    return place


def _reply(place: RoundPlace, status: int = 200, **headers: str) -> Reply:
    body = OfferedPlaceOut(
        id=place.id,
        round_id=place.round_id,
        placement_id=place.placement_id,
        placement_title=place.placement.title,
        places=place.places,
        ranking_mode=place.ranking_mode,
        version=place.version_id,
    )
    return Reply(body=body, status=status, version=place.version_id, headers=headers)


def _chooser_out(chooser: Chooser) -> ChooserOut:
    return ChooserOut(
        participant_id=chooser.participant_id,
        name=chooser.name,
        choice_rank=chooser.choice_rank,
        score=chooser.score,
        own_rank=chooser.own_rank,
        unacceptable_reason=chooser.unacceptable_reason,
    )


def _chooser(caller: Caller, round_place_id: int, participant_id: int) -> Chooser:
    """A participant who chose the place; 404 for anyone else."""
    for chooser in service.choosers(db.session, caller.user_id, round_place_id):
        if chooser.participant_id == participant_id:
            return chooser
    raise NotFound(f"participant {participant_id} did not choose place {round_place_id}")


def _incoming_out(person: Incoming) -> IncomingOut:
    return IncomingOut(
        participant_id=person.participant_id,
        round_place_id=person.round_place_id,
        placement_title=person.placement_title,
        name=person.name,
        email=person.email,
        participant_answer=person.decisions.get(ConfirmationSide.PARTICIPANT),
        organisation_answer=person.decisions.get(ConfirmationSide.ORGANISATION),
    )


# Operations


_ONE = "/round-places/<id:round_place_id>"
_PLACE = {"round_place_id": "$response.body#/id"}
_VERSIONED = _PLACE | {"If-Match": "$response.header.ETag"}
PLACE_LINKS = (
    Link("get_round_place", _PLACE),
    Link("change_round_place", _VERSIONED),
    Link("withdraw_round_place", _PLACE),
    Link("list_round_place_choosers", _PLACE),
    Link("use_engine_order", _VERSIONED),
)
_CHANGE: dict[str, Any] = {
    "tag": TAG,
    "response": OfferedPlaceOut,
    "roles": MEMBERS,
    "etag": True,
    "links": PLACE_LINKS,
}


@operation(
    "POST",
    "/rounds/<id:round_id>/places",
    summary="Offer a placement into a round",
    status=201,
    body=OfferIn,
    **_CHANGE,
)
def offer_round_place(caller: Caller, round_id: int, body: OfferIn) -> Reply:
    """Offer one of your organisation's open placements while the round collects places, and
    say how many of the cohort it takes (at most the placement's own capacity). 422 if the
    round is not collecting places, the placement is not open or is already offered."""
    actor = load_actor(db.session, caller.user_id)
    load_round(db.session, actor, round_id)
    placement = get_placement(
        db.session, caller.user_id, body.placement_id, acting_for=caller.organisation_id
    )
    caller.require_organisation(placement.organisation_id)
    place = service.offer_place(
        db.session, caller.user_id, round_id, body.placement_id, body.places
    )
    return _reply(place, 201, Location=url_for("api_v1.get_round_place", round_place_id=place.id))


@operation("GET", _ONE, summary="One of your places in a round", **_CHANGE)
def get_round_place(caller: Caller, round_place_id: int) -> Reply:
    """For members of the placement's organisation. The ETag is for If-Match."""
    return _reply(_own_place(caller, round_place_id))


@operation(
    "PATCH",
    _ONE,
    summary="Change how many of the cohort a place takes",
    body=PlacesIn,
    if_match=True,
    **_CHANGE,
)
def change_round_place(
    caller: Caller, round_place_id: int, body: PlacesIn, expected_version: int | None
) -> Reply:
    """While the round collects places (422 after)."""
    place = _own_place(caller, round_place_id)
    changed = service.change_places(
        db.session, caller.user_id, place.id, body.places, expected_version=expected_version
    )
    return _reply(changed)


@operation(
    "DELETE",
    _ONE,
    summary="Withdraw a place from a round",
    tag=TAG,
    status=204,
    roles=MEMBERS,
)
def withdraw_round_place(caller: Caller, round_place_id: int) -> None:
    """Take the place out of the round until it allocates (422 after); anyone who chose it loses
    that choice, their choices below it moving up."""
    place = _own_place(caller, round_place_id)
    service.withdraw_place(db.session, caller.user_id, place.id)


@operation(
    "GET",
    _ONE + "/choosers",
    summary="Who chose a place",
    tag=TAG,
    response=ChooserPage,
    query=ChoosersQuery,
    roles=MEMBERS,
)
def list_round_place_choosers(
    caller: Caller, round_place_id: int, query: ChoosersQuery
) -> ChooserPage:
    """Participants who chose the place, in the order the allocation will use: your own ranks
    or their match scores, best first, then the rest by name."""
    place = _own_place(caller, round_place_id)
    found = service.choosers(db.session, caller.user_id, place.id)
    start = (query.page - 1) * query.per_page
    return ChooserPage(
        items=[_chooser_out(c) for c in found[start : start + query.per_page]],
        page=PageInfo.of(query.page, query.per_page, len(found)),
    )


@operation(
    "PUT",
    _ONE + "/ranking",
    summary="Rank who chose a place",
    body=RankingIn,
    body_max=RANKING_BODY_MAX,
    if_match=True,
    **_CHANGE,
)
def rank_round_place_choosers(
    caller: Caller, round_place_id: int, body: RankingIn, expected_version: int | None
) -> Reply:
    """Replace your ranks of those who chose the place; the place then uses them instead of
    match scores. Until participants' choices close (422 after); 422 if you rank someone who
    did not choose the place, or anyone twice."""
    place = _own_place(caller, round_place_id)
    ranked = service.rank_participants(
        db.session,
        caller.user_id,
        place.id,
        [(rank.participant_id, rank.rank) for rank in body.ranks],
        expected_version=expected_version,
    )
    return _reply(ranked)


@operation(
    "POST",
    _ONE + ":use-engine-order",
    summary="Let match scores order who chose a place",
    if_match=True,
    **_CHANGE,
)
def use_engine_order(caller: Caller, round_place_id: int, expected_version: int | None) -> Reply:
    """Order those who chose the place by their match scores; your own ranks are kept, unused,
    until you rank again. Until participants' choices close (422 after)."""
    place = _own_place(caller, round_place_id)
    return _reply(
        service.use_engine_order(
            db.session, caller.user_id, place.id, expected_version=expected_version
        )
    )


_MARK = _ONE + "/unacceptable/<id:participant_id>"


@operation(
    "PUT",
    _MARK,
    summary="Say you will not take someone who chose a place",
    tag=TAG,
    response=ChooserOut,
    body=UnacceptableIn,
    roles=MEMBERS,
)
def mark_unacceptable(
    caller: Caller, round_place_id: int, participant_id: int, body: UnacceptableIn
) -> ChooserOut:
    """The allocation will not place them here, and they read your reason in their result;
    marking again changes the reason. Until participants' choices close (422 after); 404 if
    they did not choose the place."""
    place = _own_place(caller, round_place_id)
    _chooser(caller, place.id, participant_id)
    service.mark_unacceptable(db.session, caller.user_id, place.id, participant_id, body.reason)
    return _chooser_out(_chooser(caller, place.id, participant_id))


@operation(
    "DELETE",
    _MARK,
    summary="Take back an unacceptable mark",
    tag=TAG,
    status=204,
    roles=MEMBERS,
)
def clear_unacceptable(caller: Caller, round_place_id: int, participant_id: int) -> None:
    """They may be placed here again. Until participants' choices close (422 after); 404 if
    they did not choose the place."""
    place = _own_place(caller, round_place_id)
    _chooser(caller, place.id, participant_id)
    service.clear_unacceptable(db.session, caller.user_id, place.id, participant_id)


_INCOMING = "/organisations/<id:organisation_id>/rounds/<id:round_id>/incoming"


@operation(
    "GET",
    _INCOMING,
    summary="Who is coming to your places from a round",
    tag=TAG,
    response=IncomingList,
    roles=MEMBERS,
    links=[
        Link(
            answer,
            {
                "organisation_id": "$request.path.organisation_id",
                "round_id": "$request.path.round_id",
                "participant_id": "$response.body#/items/0/participant_id",
            },
        )
        for answer in ("confirm_incoming_person", "decline_incoming_person")
    ],
)
def list_incoming_people(caller: Caller, organisation_id: int, round_id: int) -> IncomingList:
    """Once the round's results are published (422 before): who the allocation placed with
    your organisation's places, by placement, with each side's answer and, once both sides have
    confirmed, their email address."""
    caller.require_organisation(organisation_id)
    found = coming_to(db.session, caller.user_id, round_id, organisation_id)
    return IncomingList(items=[_incoming_out(person) for person in found])


def _answer(
    caller: Caller,
    organisation_id: int,
    round_id: int,
    participant_id: int,
    decision: ConfirmationDecision,
) -> IncomingOut:
    caller.require_organisation(organisation_id)

    def placed() -> Incoming:
        for person in coming_to(db.session, caller.user_id, round_id, organisation_id):
            if person.participant_id == participant_id:
                return person
        raise NotFound(f"participant {participant_id} is not placed with {organisation_id}")

    placed()
    answer_as_organisation(db.session, caller.user_id, participant_id, decision)
    return _incoming_out(placed())


_ANSWER: dict[str, Any] = {"tag": TAG, "response": IncomingOut, "roles": MEMBERS}


@operation("POST", _INCOMING + "/<id:participant_id>:confirm", summary="Confirm someone", **_ANSWER)
def confirm_incoming_person(
    caller: Caller, organisation_id: int, round_id: int, participant_id: int
) -> IncomingOut:
    """Confirm, for your organisation, someone placed with it; final. 422 once answered, after
    the round's deadline for answers, or once it is closed."""
    return _answer(
        caller, organisation_id, round_id, participant_id, ConfirmationDecision.CONFIRMED
    )


@operation("POST", _INCOMING + "/<id:participant_id>:decline", summary="Decline someone", **_ANSWER)
def decline_incoming_person(
    caller: Caller, organisation_id: int, round_id: int, participant_id: int
) -> IncomingOut:
    """Decline, for your organisation, someone placed with it; final, and their place goes to a
    second round. 422 once answered, after the round's deadline for answers, or once it is
    closed."""
    return _answer(caller, organisation_id, round_id, participant_id, ConfirmationDecision.DECLINED)
