"""Running allocation rounds: a scheme's rounds, a new round, its steps, its cohort, its results.

For a scheme's managers (appointed civil servants, and platform administrators, who run every
scheme). Handlers translate JSON to and from ``matcher.services.rounds``,
``round_participants`` and ``allocation_results``, which decide who runs what: a round the
caller may not see is 404, one they may see but do not run (their own, as a participant) 403.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from flask import url_for
from pydantic import AfterValidator, AwareDatetime, Field

from matcher.api.operations import Caller, Link, Reply, operation
from matcher.api.rounds import RoundOut, round_out, round_reply
from matcher.api.schemas import (
    NON_EMPTY,
    Input,
    Output,
    PageInfo,
    PageNumber,
    PageSize,
    WholeNumber,
    service_rule,
)
from matcher.extensions import app_settings, db
from matcher.models import (
    ConfirmationDecision,
    ConfirmationSide,
    OrganisationKind,
    Role,
    RoundState,
)
from matcher.services import allocation_results, round_participants, rounds
from matcher.services.round_participants import EMAIL_MAX
from matcher.services.round_queries import schemes_run_by
from matcher.services.rounds import MAX_CHOICES_MOST, ROUND_NAME_MAX, RoundSettings
from matcher.services.validation import ValidationFailed

TAG = "Running rounds"
# Scheme managers are civil servants; platform administrators run every scheme.
MANAGERS = (Role.CIVIL_SERVANT, Role.ADMINISTRATOR)
PER_PAGE_DEFAULT = 20
# As many addresses as one request invites; each is checked, stored and emailed.
INVITATIONS_MAX = 1_000


def _in_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("Give a time between the years 1 and 9999 in UTC") from None


# A moment, with its offset from UTC: a deadline without one would be a guess.
Instant = Annotated[AwareDatetime, AfterValidator(_in_utc)]


# Schemas


class SchemeOut(Output):
    """A scheme whose rounds the caller runs."""

    id: int
    name: str
    department_id: int | None = Field(description="Null for a cross-government scheme")


class SchemeList(Output):
    items: list[SchemeOut]


class SchemeRoundsQuery(Input):
    page: PageNumber = 1
    per_page: PageSize = PER_PAGE_DEFAULT


class RoundPage(Output):
    items: list[RoundOut]
    page: PageInfo


class NewRound(Input):
    """A round's settings; it starts as a draft."""

    name: Annotated[str, service_rule(maxLength=ROUND_NAME_MAX)]
    max_choices: Annotated[
        int,
        service_rule(minimum=1, maximum=MAX_CHOICES_MOST),
        Field(description="How many places each participant may choose"),
        WholeNumber,
    ]
    preferences_close_at: Instant | None = Field(
        default=None, description="When choosing closes; in the future"
    )
    confirmations_close_at: Instant | None = Field(
        default=None, description="When answering results closes; after choosing closes"
    )


class InvitationsIn(Input):
    """The work email addresses to invite; the same government domains as registering."""

    emails: Annotated[
        list[Annotated[str, service_rule(maxLength=EMAIL_MAX)]],
        service_rule(**NON_EMPTY),
        Field(max_length=INVITATIONS_MAX),
    ]


class InvitedPerson(Output):
    participant_id: int
    email: str


class InvitationsOut(Output):
    invited: list[InvitedPerson] = Field(description="Each new invitation; each is emailed")
    already_in_round: list[str] = Field(
        description="Addresses already invited, or of people who already joined"
    )


class ParticipantsQuery(Input):
    page: PageNumber = 1
    per_page: PageSize = PER_PAGE_DEFAULT


class ParticipantOut(Output):
    """A member of the round's cohort: invited, joined, or withdrawn."""

    id: int
    name: str = Field(description="Their name, or the address invited until they join")
    invited_email: str | None
    invited_at: datetime | None
    joined_at: datetime | None
    withdrawn_at: datetime | None


class ParticipantPage(Output):
    items: list[ParticipantOut]
    page: PageInfo


class RegionCount(Output):
    region: str
    places: int


class KindCount(Output):
    kind: OrganisationKind
    places: int


class RoundStatisticsOut(Output):
    """How the allocation went; places left empty by the organisations' region and kind."""

    participants: int
    placed: int
    first_choice: int
    top_three: int
    unplaced: int
    places_offered: int = Field(description="The sum of the places' capacities")
    unfilled_by_region: list[RegionCount]
    unfilled_by_kind: list[KindCount]


class ResultsQuery(Input):
    page: PageNumber = 1
    per_page: PageSize = PER_PAGE_DEFAULT


class ParticipantResultOut(Output):
    """Where the allocation put one participant, and each side's answer so far."""

    participant_id: int
    name: str
    round_place_id: int | None = Field(description="Null if they were not given a place")
    placement_title: str | None
    organisation_name: str | None
    choice_number: int | None = Field(description="1 for their first choice")
    participant_answer: ConfirmationDecision | None
    organisation_answer: ConfirmationDecision | None


class ResultPage(Output):
    items: list[ParticipantResultOut]
    page: PageInfo


# Operations


_ROUND_LINKS = {"round_id": "$response.body#/id", "If-Match": "$response.header.ETag"}
_STEPS = ("open_round_for_places", "open_round_for_choices", "start_allocation")
ROUND_LINKS = (
    Link("get_round", {"round_id": "$response.body#/id"}),
    *(Link(step, _ROUND_LINKS) for step in (*_STEPS, "publish_round", "close_round")),
    Link("invite_participants", {"round_id": "$response.body#/id"}),
)


@operation(
    "GET",
    "/schemes",
    summary="The schemes you run",
    tag=TAG,
    response=SchemeList,
    roles=MANAGERS,
)
def list_schemes(caller: Caller) -> SchemeList:
    """By name: those you were appointed to run, or every scheme for a platform administrator."""
    return SchemeList(
        items=[
            SchemeOut(id=scheme.id, name=scheme.name, department_id=scheme.department_id)
            for scheme in schemes_run_by(db.session, caller.user_id)
        ]
    )


@operation(
    "GET",
    "/schemes/<id:scheme_id>/rounds",
    summary="A scheme's rounds",
    tag=TAG,
    response=RoundPage,
    query=SchemeRoundsQuery,
    roles=MANAGERS,
)
def list_scheme_rounds(caller: Caller, scheme_id: int, query: SchemeRoundsQuery) -> RoundPage:
    """Newest first, for those who run the scheme (403 for anyone else)."""
    found = rounds.rounds_of(db.session, caller.user_id, scheme_id)
    start = (query.page - 1) * query.per_page
    shown = found[start : start + query.per_page]
    return RoundPage(
        items=[round_out(r) for r in shown],
        page=PageInfo.of(query.page, query.per_page, len(found)),
    )


@operation(
    "POST",
    "/schemes/<id:scheme_id>/rounds",
    summary="Start a new round as a draft",
    tag=TAG,
    response=RoundOut,
    status=201,
    body=NewRound,
    roles=MANAGERS,
    etag=True,
    links=ROUND_LINKS,
)
def create_round(caller: Caller, scheme_id: int, body: NewRound) -> Reply:
    """A draft round of the scheme, with its lottery seed drawn now and kept. 422 if a setting
    does not pass: a name, 1 to 50 choices, choosing closing in the future and answering
    closing after it."""
    created = rounds.create_round(
        db.session,
        caller.user_id,
        scheme_id,
        RoundSettings(
            name=body.name,
            max_choices=body.max_choices,
            preferences_close_at=body.preferences_close_at,
            confirmations_close_at=body.confirmations_close_at,
        ),
    )
    return round_reply(created, 201, Location=url_for("api_v1.get_round", round_id=created.id))


def _step(caller: Caller, round_id: int, expected_version: int | None, to: RoundState) -> Reply:
    moved = rounds.advance(
        db.session, caller.user_id, round_id, to, expected_version=expected_version
    )
    return round_reply(moved)


_STEP: dict[str, Any] = {
    "tag": TAG,
    "response": RoundOut,
    "roles": MANAGERS,
    "etag": True,
    "if_match": True,
    "links": ROUND_LINKS,
}
_ROUND = "/rounds/<id:round_id>"


@operation("POST", _ROUND + ":open-for-places", summary="Open a draft round for places", **_STEP)
def open_round_for_places(caller: Caller, round_id: int, expected_version: int | None) -> Reply:
    """Let organisations offer places into a draft round. 422 unless it is a draft."""
    return _step(caller, round_id, expected_version, RoundState.COLLECTING_PLACES)


@operation(
    "POST", _ROUND + ":open-for-choices", summary="Open a round for participants' choices", **_STEP
)
def open_round_for_choices(caller: Caller, round_id: int, expected_version: int | None) -> Reply:
    """Stop taking places and let participants choose. 422 unless it is collecting places."""
    return _step(caller, round_id, expected_version, RoundState.COLLECTING_PREFERENCES)


@operation("POST", _ROUND + ":allocate", summary="Allocate the round's places", **_STEP)
def start_allocation(caller: Caller, round_id: int, expected_version: int | None) -> Reply:
    """Close choosing and ask for the allocation, which runs in the background: read the round
    until `allocated_at` is set, then its statistics and results. 422 unless it is collecting
    choices."""
    return _step(caller, round_id, expected_version, RoundState.ALLOCATING)


@operation("POST", _ROUND + ":publish", summary="Publish the round's results", **_STEP)
def publish_round(caller: Caller, round_id: int, expected_version: int | None) -> Reply:
    """Tell every participant and organisation their results by email; both sides may then
    confirm or decline. 422 unless the allocation has run."""
    return _step(caller, round_id, expected_version, RoundState.PUBLISHED)


@operation("POST", _ROUND + ":close", summary="Close the round", **_STEP)
def close_round(caller: Caller, round_id: int, expected_version: int | None) -> Reply:
    """End answering: a place nobody declined is kept, and a side that has not answered for it
    is recorded as confirming it, as at the deadline. 422 unless its results are published."""
    return _step(caller, round_id, expected_version, RoundState.CLOSED)


@operation(
    "POST",
    _ROUND + "/invitations",
    summary="Invite people to a round by email",
    tag=TAG,
    response=InvitationsOut,
    body=InvitationsIn,
    roles=MANAGERS,
)
def invite_participants(caller: Caller, round_id: int, body: InvitationsIn) -> InvitationsOut:
    """Invite each address until choosing closes; each new one is emailed a link to join.

    All or none: if any address is not a government work address, is malformed or is repeated,
    nobody is invited and the 422 problem names each as `body.emails.N`, counting from 0 (its
    words count the same way). Addresses already in the round are listed, not invited again.
    """
    outcome = round_participants.invite(
        db.session,
        caller.user_id,
        round_id,
        body.emails,
        government_domains=app_settings().government_email_domains,
        first_line=0,
        counted_as="item",
    )
    if outcome.errors:
        raise ValidationFailed({f"emails.{line}": words for line, words in outcome.errors.items()})
    return InvitationsOut(
        invited=[
            InvitedPerson(participant_id=p.id, email=p.invited_email or "") for p in outcome.invited
        ],
        already_in_round=outcome.already,
    )


@operation(
    "GET",
    _ROUND + "/participants",
    summary="A round's cohort",
    tag=TAG,
    response=ParticipantPage,
    query=ParticipantsQuery,
    roles=MANAGERS,
)
def list_round_participants(
    caller: Caller, round_id: int, query: ParticipantsQuery
) -> ParticipantPage:
    """Everyone invited to the round or in it, in the order they were invited or joined."""
    cohort = round_participants.cohort(db.session, caller.user_id, round_id)
    start = (query.page - 1) * query.per_page
    return ParticipantPage(
        items=[
            ParticipantOut(
                id=participant.id,
                name=name,
                invited_email=participant.invited_email,
                invited_at=participant.invited_at,
                joined_at=participant.joined_at,
                withdrawn_at=participant.withdrawn_at,
            )
            for participant, name in cohort[start : start + query.per_page]
        ],
        page=PageInfo.of(query.page, query.per_page, len(cohort)),
    )


@operation(
    "GET",
    _ROUND + "/statistics",
    summary="How a round's allocation went",
    tag=TAG,
    response=RoundStatisticsOut,
    roles=MANAGERS,
)
def get_round_statistics(caller: Caller, round_id: int) -> RoundStatisticsOut:
    """The counts the results page charts, once the allocation has run (422 before)."""
    statistics = allocation_results.round_statistics(db.session, caller.user_id, round_id)
    summary = statistics.summary
    return RoundStatisticsOut(
        participants=summary.participants,
        placed=summary.placed,
        first_choice=summary.first_choice,
        top_three=summary.top_three,
        unplaced=summary.unplaced,
        places_offered=summary.places_offered,
        unfilled_by_region=[
            RegionCount(region=region, places=places)
            for region, places in statistics.unfilled_by_region
        ],
        unfilled_by_kind=[
            KindCount(kind=kind, places=places) for kind, places in statistics.unfilled_by_kind
        ],
    )


@operation(
    "GET",
    _ROUND + "/results",
    summary="Every participant's result in a round",
    tag=TAG,
    response=ResultPage,
    query=ResultsQuery,
    roles=MANAGERS,
)
def list_round_results(caller: Caller, round_id: int, query: ResultsQuery) -> ResultPage:
    """Once the allocation has run (422 before), so you can check it before publishing: where
    each participant was placed and both sides' answers. A participant reads their own, with
    the reasons, at `GET /rounds/{round_id}/result`."""
    found, total = allocation_results.round_results(
        db.session,
        caller.user_id,
        round_id,
        limit=query.per_page,
        offset=(query.page - 1) * query.per_page,
    )
    return ResultPage(
        items=[
            ParticipantResultOut(
                participant_id=result.participant_id,
                name=result.name,
                round_place_id=result.round_place_id,
                placement_title=result.place.placement if result.place else None,
                organisation_name=result.place.organisation if result.place else None,
                choice_number=result.choice_number,
                participant_answer=result.decisions.get(ConfirmationSide.PARTICIPANT),
                organisation_answer=result.decisions.get(ConfirmationSide.ORGANISATION),
            )
            for result in found
        ],
        page=PageInfo.of(query.page, query.per_page, total),
    )
