"""The caller's own things: their account and profile, their matches and their interests.

Handlers translate JSON to and from the services the web pages use (``save_profile``,
``matches_for_person``, the interest workflow), so every rule lives in the services once.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from flask import url_for
from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from matcher.api.operations import Caller, Link, Reply, operation
from matcher.api.schemas import (
    NON_EMPTY,
    Id,
    Input,
    Integer,
    MatchReason,
    Output,
    PageInfo,
    PageNumber,
    PageSize,
    service_rule,
)
from matcher.extensions import db
from matcher.models import (
    CivilServantProfile,
    DigestFrequency,
    Hours,
    Interest,
    InterestStatus,
    Placement,
    PlacementKind,
    Role,
    User,
)
from matcher.reasons import describe_reasons
from matcher.services import interests as workflow
from matcher.services.errors import NotFound
from matcher.services.interests import Action
from matcher.services.match_queries import matches_for_person, taxonomy_names
from matcher.services.profiles import (
    ABOUT_MAX_LENGTH,
    TRAVEL_LIMIT_MAX_KM,
    ProfileAnswers,
    answers_from_profile,
    save_profile,
)

TAG = "Me"
# Far more than the taxonomies hold; it bounds the work one request can ask for.
CHOICES_MAX = 100
# "sw1a  2aa " and the like: room for spacing around the eight characters of a postcode.
POSTCODE_MAX_LENGTH = 16
# ONS region codes, like E12000003.
REGION_CODE_MAX_LENGTH = 9
MATCHES_PER_PAGE = 20


# Schemas


class Account(Output):
    """Who the token acts for."""

    id: int
    display_name: str
    email: str
    role: Role
    organisation_id: int | None = Field(
        description="The organisation an organisation member's token acts for; null otherwise"
    )


class Profile(Output):
    """A civil servant's profile, in the shape ``PUT /me/profile`` accepts."""

    department_id: int
    grade_rank: int
    profession_id: int
    theme_ids: list[int]
    skill_ids: list[int]
    postcode: str | None
    region_code: str | None
    travel_limit_km: int
    remote_ok: bool
    available_from: date
    available_until: date | None
    wanted_kinds: list[PlacementKind]
    hours: Hours
    about: str
    discoverable: bool
    digest_frequency: DigestFrequency
    completed_at: datetime
    updated_at: datetime


class Me(Output):
    """The caller's account, and their profile when they are a civil servant."""

    account: Account
    profile: Profile | None = Field(description="A civil servant's profile; null for other roles")


class ProfileInput(Input):
    """Every answer of the profile, replacing what was saved before."""

    department_id: Id = Field(description="From `GET /departments`")
    grade_rank: Id = Field(description="A grade's `rank`, from `GET /grades`")
    profession_id: Id = Field(description="From `GET /professions`")
    theme_ids: list[Id] = Field(
        max_length=CHOICES_MAX, json_schema_extra=NON_EMPTY, description="From `GET /themes`"
    )
    skill_ids: list[Id] = Field(
        max_length=CHOICES_MAX, json_schema_extra=NON_EMPTY, description="From `GET /skills`"
    )
    postcode: str | None = Field(
        default=None,
        max_length=POSTCODE_MAX_LENGTH,
        description="Home postcode; organisations never see it. Give it or `region_code`",
    )
    region_code: str | None = Field(
        default=None,
        max_length=REGION_CODE_MAX_LENGTH,
        description="ONS region code from `GET /regions`, used when there is no postcode",
    )
    travel_limit_km: Integer = service_rule(minimum=0, maximum=TRAVEL_LIMIT_MAX_KM)
    remote_ok: bool
    available_from: date
    available_until: date | None = None
    wanted_kinds: list[PlacementKind] = Field(
        max_length=len(PlacementKind), json_schema_extra=NON_EMPTY
    )
    hours: Hours
    about: Annotated[str, service_rule(maxLength=ABOUT_MAX_LENGTH)] = ""
    discoverable: bool
    digest_frequency: DigestFrequency


class PlacementBrief(Output):
    """Enough of a placement to list it; the placement's own operations give the rest."""

    id: int
    title: str
    organisation_name: str
    kind: PlacementKind
    closing_date: date


class InterestBrief(Output):
    id: int
    status: InterestStatus


class CitedNote(Output):
    """A published practice note linked to the matched placement: work you could do there."""

    id: int = Field(description="The note's public page is `/practice/{id}` on the web")
    title: str
    organisation_name: str = Field(description="The organisation that made the practice work")
    sentence: str = Field(
        description="The note as a match card says it, after the reasons: "
        '"Work alongside {organisation_name}\'s {title}"'
    )


class MatchItem(Output):
    placement: PlacementBrief
    rank: int = Field(description="1 for the best match")
    score: float
    reasons: list[MatchReason]
    sentences: list[str] = Field(
        description="The reasons in plain English, strongest first; a sentence that would be "
        "said of every match on the page is left out"
    )
    practice_notes: list[CitedNote] = Field(
        description="Published practice notes linked to the placement, newest first; not a "
        "component of the score"
    )
    interest: InterestBrief | None = Field(description="The caller's interest, if they have one")


class MatchesQuery(Input):
    page: PageNumber = 1
    per_page: PageSize = MATCHES_PER_PAGE


class MatchList(Output):
    items: list[MatchItem]
    page: PageInfo


class InterestOut(Output):
    """An interest in a placement and what its person may do with it now."""

    id: int
    placement: PlacementBrief
    status: InterestStatus
    allowed_actions: list[Action] = Field(
        description="The custom methods that apply now, e.g. `withdraw` for "
        "`POST /me/interests/{interest_id}:withdraw`"
    )
    created_at: datetime
    updated_at: datetime


class InterestsQuery(Input):
    status: InterestStatus | None = None


class InterestList(Output):
    items: list[InterestOut]


class NewInterest(Input):
    placement_id: Id


# Translations


def _profile_out(profile: CivilServantProfile) -> Profile:
    assert profile.completed_at is not None
    return Profile(
        **answers_from_profile(profile),
        completed_at=profile.completed_at,
        updated_at=profile.updated_at,
    )


def _completed_profile(user: User) -> CivilServantProfile | None:
    """The profile, once its questions have all been answered (the web's start is not one)."""
    profile = user.profile
    return profile if profile is not None and profile.completed_at is not None else None


def _brief(placement: Placement) -> PlacementBrief:
    return PlacementBrief(
        id=placement.id,
        title=placement.title,
        organisation_name=placement.organisation.name,
        kind=placement.kind,
        closing_date=placement.closing_date,
    )


def _briefs(placement_ids: set[int]) -> dict[int, PlacementBrief]:
    if not placement_ids:
        return {}
    placements = db.session.scalars(
        select(Placement)
        .join(Placement.organisation)
        .options(contains_eager(Placement.organisation))
        .where(Placement.id.in_(placement_ids))
    )
    return {placement.id: _brief(placement) for placement in placements}


def _interest_out(caller: Caller, interest: Interest, brief: PlacementBrief) -> InterestOut:
    return InterestOut(
        id=interest.id,
        placement=brief,
        status=interest.status,
        allowed_actions=workflow.allowed_actions(db.session, caller.user_id, interest.id),
        created_at=interest.created_at,
        updated_at=interest.updated_at,
    )


def _one_interest(caller: Caller, interest: Interest) -> InterestOut:
    return _interest_out(caller, interest, _briefs({interest.placement_id})[interest.placement_id])


def _own_interest(caller: Caller, interest_id: int) -> Interest:
    interest = workflow.get_interest(db.session, caller.user_id, interest_id)
    if interest.person_id != caller.user_id:
        raise NotFound(f"interest {interest_id} is not the caller's")
    return interest


# Operations


@operation(
    "GET",
    "/me",
    summary="Your account and profile",
    tag=TAG,
    response=Me,
    etag=True,
)
def get_me(caller: Caller) -> Reply:
    """The account the token acts for and, for a civil servant, their profile.

    A civil servant who has not finished their profile gets 404: create it with
    `PUT /me/profile`. The ETag is the profile's version, for `If-Match` when you replace it.
    """
    user = db.session.get(User, caller.user_id)
    assert user is not None
    account = Account(
        id=user.id,
        display_name=user.display_name,
        email=user.email,
        role=user.role,
        organisation_id=caller.organisation_id,
    )
    if user.role != Role.CIVIL_SERVANT:
        return Reply(body=Me(account=account, profile=None))
    profile = _completed_profile(user)
    if profile is None:
        raise NotFound(f"user {user.id} has no profile yet")
    return Reply(
        body=Me(account=account, profile=_profile_out(profile)), version=profile.version_id
    )


@operation(
    "PUT",
    "/me/profile",
    summary="Create or replace your profile",
    tag=TAG,
    response=Profile,
    body=ProfileInput,
    roles=[Role.CIVIL_SERVANT],
    etag=True,
    if_match=True,
)
def put_my_profile(caller: Caller, body: ProfileInput, expected_version: int | None) -> Reply:
    """Save every answer of your profile at once; the rules are the web form's.

    Send `If-Match` with the ETag of your last `GET /me`, so an edit made since (on the web,
    say) is not silently lost: a stale one gets 412. To create your first profile, when there
    is no ETag to send, send `If-Match: *`, which means "whatever is there now". Matches are
    worked out again shortly after a save.
    """
    answers = ProfileAnswers(
        department_id=body.department_id,
        grade_rank=body.grade_rank,
        profession_id=body.profession_id,
        theme_ids=tuple(body.theme_ids),
        skill_ids=tuple(body.skill_ids),
        postcode=(body.postcode or "").strip() or None,
        region_code=body.region_code or None,
        travel_limit_km=body.travel_limit_km,
        remote_ok=body.remote_ok,
        available_from=body.available_from,
        available_until=body.available_until,
        wanted_kinds=tuple(body.wanted_kinds),
        hours=body.hours,
        about=body.about.strip(),
        discoverable=body.discoverable,
        digest_frequency=body.digest_frequency,
    )
    profile = save_profile(
        db.session, user_id=caller.user_id, answers=answers, expected_version=expected_version
    )
    return Reply(body=_profile_out(profile), version=profile.version_id)


@operation(
    "GET",
    "/me/matches",
    summary="Your matches, best first, with the reasons why",
    tag=TAG,
    response=MatchList,
    query=MatchesQuery,
    roles=[Role.CIVIL_SERVANT],
)
def list_my_matches(caller: Caller, query: MatchesQuery) -> MatchList:
    """Open placements the matching engine found for you, best first, a page at a time.

    Each match keeps the components of its score (`reasons`) and says them in plain English
    (`sentences`); `practice_notes` cites the published practice notes of the placement's
    organisation linked to it, as the match cards do. Placements you said are not for you are
    left out.
    """
    result = matches_for_person(
        db.session, caller.user_id, page=query.page, per_page=query.per_page
    )
    themes, skills = taxonomy_names(db.session, [row.reasons for row in result.items])
    sentences = describe_reasons([(row.reasons, row.facts) for row in result.items], themes, skills)
    items = []
    for row, said in zip(result.items, sentences, strict=True):
        placement = row.placement
        items.append(
            MatchItem(
                placement=PlacementBrief(
                    id=placement.id,
                    title=placement.title,
                    organisation_name=placement.organisation_name,
                    kind=placement.kind,
                    closing_date=placement.closing_date,
                ),
                rank=row.rank,
                score=row.score,
                reasons=MatchReason.listed(row.reasons),
                sentences=said,
                practice_notes=[
                    CitedNote(
                        id=note.note_id,
                        title=note.title,
                        organisation_name=note.organisation_name,
                        sentence=note.words,
                    )
                    for note in row.practice
                ],
                interest=InterestBrief(id=row.interest[0], status=row.interest[1])
                if row.interest
                else None,
            )
        )
    return MatchList(
        items=items,
        page=PageInfo.of(result.page, result.per_page, result.total),
    )


def _interest_links(interest_id: str) -> tuple[Link, ...]:
    """Where an answer naming one of your interests leads."""
    actions = ("get_my_interest", "withdraw_my_interest", "accept_my_offer", "decline_my_offer")
    return tuple(Link(action, {"interest_id": interest_id}) for action in actions)


INTEREST_LINKS = _interest_links("$response.body#/id")


@operation(
    "GET",
    "/me/interests",
    summary="Your interests in placements",
    tag=TAG,
    response=InterestList,
    links=_interest_links("$response.body#/items/0/id"),
    query=InterestsQuery,
    roles=[Role.CIVIL_SERVANT],
)
def list_my_interests(caller: Caller, query: InterestsQuery) -> InterestList:
    """Every placement you said you are interested in, most recently changed first."""
    mine = workflow.list_my_interests(db.session, caller.user_id, status=query.status)
    briefs = _briefs({interest.placement_id for interest in mine})
    return InterestList(
        items=[_interest_out(caller, interest, briefs[interest.placement_id]) for interest in mine]
    )


@operation(
    "POST",
    "/me/interests",
    summary="Say you are interested in a placement",
    tag=TAG,
    response=InterestOut,
    status=201,
    body=NewInterest,
    roles=[Role.CIVIL_SERVANT],
    errors=[409],
    links=INTEREST_LINKS,
)
def express_my_interest(caller: Caller, body: NewInterest) -> Reply:
    """Tell the placement's organisation you are interested; it is told by email.

    The placement must be open. Saying it again while your interest is active returns the
    same interest; after withdrawing you may say it again. 409 if the placement is not open,
    or you said it is not for you.
    """
    interest = workflow.express_interest(db.session, caller.user_id, body.placement_id)
    return Reply(
        body=_one_interest(caller, interest),
        status=201,
        headers={"Location": url_for("api_v1.get_my_interest", interest_id=interest.id)},
    )


@operation(
    "GET",
    "/me/interests/<id:interest_id>",
    summary="One of your interests",
    tag=TAG,
    response=InterestOut,
    roles=[Role.CIVIL_SERVANT],
    links=INTEREST_LINKS,
)
def get_my_interest(caller: Caller, interest_id: int) -> InterestOut:
    """Where one of your interests stands and what you may do with it now."""
    return _one_interest(caller, _own_interest(caller, interest_id))


_MINE = "/me/interests/<id:interest_id>"
_MY_DECISION: dict[str, Any] = {
    "tag": TAG,
    "response": InterestOut,
    "roles": [Role.CIVIL_SERVANT],
    "errors": [409],
    "links": INTEREST_LINKS,
}


def _act(caller: Caller, interest_id: int, action: Action) -> InterestOut:
    interest = _own_interest(caller, interest_id)
    moved = workflow.transition(db.session, caller.user_id, interest.id, action)
    return _one_interest(caller, moved)


@operation("POST", _MINE + ":withdraw", summary="Withdraw your interest", **_MY_DECISION)
def withdraw_my_interest(caller: Caller, interest_id: int) -> InterestOut:
    """Step out while you are interested, shortlisted or offered; 409 at any other stage."""
    return _act(caller, interest_id, Action.WITHDRAW)


@operation("POST", _MINE + ":accept", summary="Accept an offer", **_MY_DECISION)
def accept_my_offer(caller: Caller, interest_id: int) -> InterestOut:
    """Accept the placement you were offered; 409 without an offer or with no places left."""
    return _act(caller, interest_id, Action.ACCEPT)


@operation("POST", _MINE + ":decline", summary="Decline an offer", **_MY_DECISION)
def decline_my_offer(caller: Caller, interest_id: int) -> InterestOut:
    """Turn down the placement you were offered; 409 without an offer."""
    return _act(caller, interest_id, Action.DECLINE)
