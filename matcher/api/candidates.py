"""The organisation's side of a placement: who is interested, who is recommended, decisions.

The interest workflow and who may act on it are ``matcher.services.interests``' and
``matcher.services.match_queries``'; here the token must also act for the placement's
organisation (403), after the placement is found at all (404 for what the caller may not see).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from matcher.api.operations import Caller, Link, operation
from matcher.api.schemas import Input, MatchReason, Output, PageNumber, PageSize
from matcher.extensions import db
from matcher.models import Interest, InterestInvitation, InterestStatus, Placement, Role
from matcher.reasons import organisation_sentences
from matcher.services import interests as workflow
from matcher.services import match_queries
from matcher.services import placements as placement_service
from matcher.services.errors import NotFound
from matcher.services.interests import Action

TAG = "Candidates"
MEMBERS = (Role.ORGANISATION_MEMBER,)
PER_PAGE_DEFAULT = 20


# Schemas


class Person(Output):
    """What an organisation sees of a person who said they are interested: their name."""

    id: int
    display_name: str


class PlacementInterest(Output):
    """A person's interest in the placement and what the organisation may do with it now."""

    id: int
    person: Person
    status: InterestStatus
    invited: bool = Field(description="Whether a member invited them to express interest")
    allowed_actions: list[Action] = Field(
        description="The custom methods that apply now, e.g. `shortlist` for "
        "`POST /placements/{placement_id}/interests/{interest_id}:shortlist`"
    )
    created_at: datetime
    updated_at: datetime


class OfferInput(Input):
    message: str = Field(
        max_length=workflow.OFFER_MESSAGE_MAX,
        description="What happens next, the dates and whom to contact",
    )


class PlacementInterestsQuery(Input):
    status: InterestStatus | None = None
    page: PageNumber = 1
    per_page: PageSize = PER_PAGE_DEFAULT


class PageLinks(Output):
    """Where a page sits, when the whole list is not counted."""

    page: int
    per_page: int
    next_page: int | None = Field(description="The next page's number; null on the last page")


class PlacementInterestPage(Output):
    items: list[PlacementInterest]
    page: PageLinks


class RecommendedPerson(Output):
    """What an organisation sees of a person who has not said they are interested: their
    profile summary, never their name or contact details. Their name appears in the interests
    list once they say they are interested."""

    id: int = Field(description="The id to invite them by")
    grade: str | None
    department: str | None
    profession: str | None
    themes: list[str]
    skills: list[str]


class Candidate(Output):
    """A discoverable person the matching engine recommends for the placement."""

    person: RecommendedPerson
    score: float
    reasons: list[MatchReason]
    sentences: list[str] = Field(
        description="Why they fit, strongest first, in plain English; a sentence that would be "
        "said of everyone on the page is left out"
    )
    invited: bool = Field(description="Whether a member already invited them")


class CandidatesQuery(Input):
    page: PageNumber = 1
    per_page: PageSize = PER_PAGE_DEFAULT


class CandidatePage(Output):
    items: list[Candidate]
    page: PageLinks


class Invitation(Output):
    id: int
    placement_id: int
    person_id: int
    created_at: datetime


# Translations


def _members_placement(caller: Caller, placement_id: int) -> Placement:
    """The placement, if the caller may see it (404) and the token acts for its owner (403)."""
    placement = placement_service.get_placement(
        db.session, caller.user_id, placement_id, acting_for=caller.organisation_id
    )
    caller.require_organisation(placement.organisation_id)
    return placement


def _interest_out(caller: Caller, interest: Interest, names: dict[int, str]) -> PlacementInterest:
    return PlacementInterest(
        id=interest.id,
        person=Person(id=interest.person_id, display_name=names.get(interest.person_id, "")),
        status=interest.status,
        invited=interest.invited_by_id is not None,
        allowed_actions=workflow.allowed_actions(db.session, caller.user_id, interest.id),
        created_at=interest.created_at,
        updated_at=interest.updated_at,
    )


def _links(page: int, per_page: int, more: bool) -> PageLinks:
    return PageLinks(page=page, per_page=per_page, next_page=page + 1 if more else None)


# Operations


def _decision_links(interest_id: str) -> tuple[Link, ...]:
    """Where an answer naming an interest in the placement of the request's path leads."""
    decisions = ("shortlist_interest", "offer_interest", "reject_interest")
    path = {"placement_id": "$request.path.placement_id", "interest_id": interest_id}
    return tuple(Link(decision, path) for decision in decisions)


@operation(
    "GET",
    "/placements/<id:placement_id>/interests",
    summary="People interested in a placement",
    tag=TAG,
    response=PlacementInterestPage,
    query=PlacementInterestsQuery,
    roles=MEMBERS,
    links=_decision_links("$response.body#/items/0/id"),
)
def list_placement_interests(
    caller: Caller, placement_id: int, query: PlacementInterestsQuery
) -> PlacementInterestPage:
    """Everyone who said they are interested, oldest first, with what you may do next.

    For members of the placement's organisation, with a token that acts for it.
    """
    placement = _members_placement(caller, placement_id)
    found = workflow.list_placement_interests(
        db.session, caller.user_id, placement.id, status=query.status
    )
    start = (query.page - 1) * query.per_page
    shown = found[start : start + query.per_page]
    names = match_queries.names_of(db.session, [interest.person_id for interest in shown])
    return PlacementInterestPage(
        items=[_interest_out(caller, interest, names) for interest in shown],
        page=_links(query.page, query.per_page, len(found) > start + query.per_page),
    )


def _decide(
    caller: Caller, placement_id: int, interest_id: int, action: Action, message: str = ""
) -> Any:
    placement = _members_placement(caller, placement_id)
    interest = workflow.get_interest(db.session, caller.user_id, interest_id)
    if interest.placement_id != placement.id:
        raise NotFound(f"interest {interest_id} is not in placement {placement_id}")
    if action == Action.OFFER:
        moved = workflow.offer(db.session, caller.user_id, interest.id, message)
    else:
        moved = workflow.transition(db.session, caller.user_id, interest.id, action)
    names = match_queries.names_of(db.session, [moved.person_id])
    return _interest_out(caller, moved, names)


_DECISION: dict[str, Any] = {
    "tag": TAG,
    "response": PlacementInterest,
    "roles": MEMBERS,
    "errors": [409],
    "links": _decision_links("$response.body#/id"),
}
_ONE = "/placements/<id:placement_id>/interests/<id:interest_id>"


@operation("POST", _ONE + ":shortlist", summary="Shortlist an interested person", **_DECISION)
def shortlist_interest(caller: Caller, placement_id: int, interest_id: int) -> PlacementInterest:
    """Move an interested person to the shortlist; the person is told by email. 409 unless
    they are interested and the placement is open or closed."""
    return _decide(caller, placement_id, interest_id, Action.SHORTLIST)


@operation("POST", _ONE + ":offer", summary="Offer the placement", body=OfferInput, **_DECISION)
def offer_interest(
    caller: Caller, placement_id: int, interest_id: int, body: OfferInput
) -> PlacementInterest:
    """Offer the placement to a shortlisted person, with a message they read with the offer and
    in the offer email. 422 without a message; 409 unless they are shortlisted and a place is
    left."""
    return _decide(caller, placement_id, interest_id, Action.OFFER, body.message)


@operation("POST", _ONE + ":reject", summary="Turn down an interested person", **_DECISION)
def reject_interest(caller: Caller, placement_id: int, interest_id: int) -> PlacementInterest:
    """Tell an interested, shortlisted or offered person they were not successful; final.
    409 from any other status."""
    return _decide(caller, placement_id, interest_id, Action.REJECT)


@operation(
    "GET",
    "/placements/<id:placement_id>/candidates",
    summary="People the matching engine recommends for a placement",
    tag=TAG,
    response=CandidatePage,
    query=CandidatesQuery,
    roles=MEMBERS,
    links=[
        Link(
            "invite_candidate",
            {
                "placement_id": "$request.path.placement_id",
                "person_id": "$response.body#/items/0/person/id",
            },
        )
    ],
)
def list_placement_candidates(
    caller: Caller, placement_id: int, query: CandidatesQuery
) -> CandidatePage:
    """Discoverable people matched with the placement who have not responded, best first.

    Each comes with the components of the match's score and the same reasons in words.
    People who said the placement is not for them, or who already responded, are left out.
    Recommendations appear a few minutes after a placement is published.
    """
    placement = _members_placement(caller, placement_id)
    found = match_queries.recommended_people(
        db.session,
        caller.user_id,
        placement.id,
        # One more than the page says whether there is a next page, without counting them all.
        limit=query.per_page + 1,
        offset=(query.page - 1) * query.per_page,
    )
    shown = found[: query.per_page]
    themes, skills = match_queries.taxonomy_names(db.session, [r.match.reasons for r in shown])
    sentences = organisation_sentences(
        [(r.match.reasons or [], r.facts) for r in shown], themes, skills
    )
    return CandidatePage(
        items=[
            Candidate(
                person=RecommendedPerson(
                    id=r.person_id,
                    grade=r.profile.grade,
                    department=r.profile.department,
                    profession=r.profile.profession,
                    themes=list(r.profile.themes),
                    skills=list(r.profile.skills),
                ),
                score=r.match.score,
                reasons=MatchReason.listed(r.match.reasons),
                sentences=said,
                invited=r.invited,
            )
            for r, said in zip(shown, sentences, strict=True)
        ],
        page=_links(query.page, query.per_page, len(found) > query.per_page),
    )


@operation(
    "POST",
    "/placements/<id:placement_id>/candidates/<id:person_id>:invite",
    summary="Invite a recommended person to express interest",
    tag=TAG,
    response=Invitation,
    roles=MEMBERS,
    errors=[409],
)
def invite_candidate(caller: Caller, placement_id: int, person_id: int) -> Invitation:
    """Ask a discoverable person to say whether they are interested; they are told by email.

    Inviting the same person again returns the first invitation. 404 if the person is not
    discoverable (or said the placement is not for them); 409 if the placement is not open or
    they already responded.
    """
    placement = _members_placement(caller, placement_id)
    invitation: InterestInvitation = workflow.invite_to_express_interest(
        db.session, caller.user_id, placement.id, person_id
    )
    return Invitation(
        id=invitation.id,
        placement_id=invitation.placement_id,
        person_id=invitation.person_id,
        created_at=invitation.created_at,
    )
