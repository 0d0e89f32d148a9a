"""Words and small view helpers shared by the matches, candidates and administration pages."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from flask import request, url_for

from matcher.clock import LONDON
from matcher.models import InterestStatus, PlacementKind
from matcher.services.interests import Action

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


# Past this a listing is not being read page by page; the offset would also outgrow bigint.
LAST_PAGE_NUMBER = 100_000


def page_number() -> int:
    """The ``page`` query parameter as a page number; anything odd is page 1."""
    value = request.args.get("page", "1")
    # isascii: "²" and "٣" are digits to str.isdigit() but not to int().
    if value.isascii() and value.isdigit() and 0 < int(value) <= LAST_PAGE_NUMBER:
        return int(value)
    return 1


def pagination(page: int, pages: int, endpoint: str, **args: Any) -> dict[str, Any] | None:
    """Parameters of govukPagination for ``endpoint``, or None when there is one page."""
    if pages <= 1:
        return None

    def href(number: int) -> str:
        return url_for(endpoint, page=number, **{k: v for k, v in args.items() if v})

    shown = sorted({1, pages, page - 1, page, page + 1} & set(range(1, pages + 1)))
    items: list[dict[str, Any]] = []
    for index, number in enumerate(shown):
        if index and number - shown[index - 1] > 1:
            items.append({"ellipsis": True})
        items.append({"number": number, "href": href(number), "current": number == page})
    params: dict[str, Any] = {"items": items}
    if page > 1:
        params["previous"] = {"href": href(page - 1)}
    if page < pages:
        params["next"] = {"href": href(page + 1)}
    return params
