"""Words and small view helpers shared by the matches, candidates and administration pages."""

from __future__ import annotations

import secrets
from datetime import datetime

from matcher.clock import LONDON
from matcher.extensions import db
from matcher.models import Interest, InterestStatus, PlacementKind
from matcher.services.errors import InvalidState
from matcher.services.interests import TRANSITIONS, Action, NoPlacesLeft

PLACEMENT_KIND_NAMES: dict[PlacementKind, str] = {
    PlacementKind.SECONDMENT: "Secondment",
    PlacementKind.PLACEMENT: "Placement",
    PlacementKind.PARTNERSHIP_PROJECT: "Partnership project",
    PlacementKind.JOB_SHADOWING: "Job shadowing",
    PlacementKind.MENTORING: "Mentoring",
}

# GOV.UK tag colours: blue while things move, green for a yes, grey or red for an end.
STATUS_TAGS: dict[InterestStatus, tuple[str, str]] = {
    InterestStatus.INTERESTED: ("Interested", "govuk-tag--blue"),
    InterestStatus.SHORTLISTED: ("Shortlisted", "govuk-tag--light-blue"),
    InterestStatus.OFFERED: ("Offered", "govuk-tag--yellow"),
    InterestStatus.ACCEPTED: ("Accepted", "govuk-tag--green"),
    InterestStatus.DECLINED: ("Declined", "govuk-tag--grey"),
    InterestStatus.WITHDRAWN: ("Withdrawn", "govuk-tag--grey"),
    InterestStatus.REJECTED: ("Not successful", "govuk-tag--red"),
}

VERBS: dict[Action, str] = {
    Action.SHORTLIST: "shortlist",
    Action.OFFER: "offer the placement to",
    Action.REJECT: "turn down",
    Action.ACCEPT: "accept",
    Action.DECLINE: "decline",
    Action.WITHDRAW: "withdraw",
}


# Leaving a process is final, so these ask "Are you sure?" first.
CONFIRM_FIRST = {Action.DECLINE, Action.WITHDRAW, Action.REJECT}


def status_tag(status: InterestStatus) -> dict[str, str]:
    """Parameters of govukTag for an interest status."""
    text, classes = STATUS_TAGS[status]
    return {"text": text, "classes": classes}


def when(moment: datetime | None) -> str:
    """A moment as GOV.UK writes it, in UK time: "25 November 2026 at 6:53pm"."""
    if moment is None:
        return ""
    local = moment.astimezone(LONDON)
    hour = local.hour % 12 or 12
    return f"{local.day} {local:%B %Y} at {hour}:{local:%M}{'am' if local.hour < 12 else 'pm'}"


def one_time_token() -> str:
    """A token for a button form, so a double-submitted button acts once."""
    return secrets.token_urlsafe(16)


def why_not(error: InvalidState, interest: Interest | None, action: Action) -> str:
    """A plain-English reason an action on an interest was refused."""
    if isinstance(error, NoPlacesLeft):
        return "There are no places left on this placement, so nothing has changed"
    if interest is not None:
        db.session.refresh(interest)
        if (interest.status, action) not in TRANSITIONS:
            words = status_tag(interest.status)["text"].lower()
            return f"You cannot {VERBS[action]} this interest because it is {words}"
    return "This placement is no longer open, so nothing has changed"
