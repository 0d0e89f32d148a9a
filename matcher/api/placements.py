"""Placements: the public search, and an organisation's own placements through their lifecycle.

Handlers map between JSON and ``matcher.services.placements``; the services own every rule
(validation, who may act, which status changes are allowed). Here the API adds only what is
about the URL and the token: the placement in the path must belong to the organisation in the
path (404 otherwise), and the token must act for that organisation (403 otherwise).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Annotated, Any

from flask import request, url_for
from pydantic import Field
from sqlalchemy import select

from matcher.api.operations import Caller, Link, Reply, operation
from matcher.api.schemas import (
    NON_EMPTY,
    Id,
    Input,
    Output,
    PageInfo,
    PageNumber,
    PageSize,
    WholeNumber,
    service_rule,
)
from matcher.extensions import db
from matcher.models import (
    Grade,
    Hours,
    OrganisationKind,
    Placement,
    PlacementKind,
    PlacementStatus,
    Role,
)
from matcher.services import imports
from matcher.services import placements as service
from matcher.services.errors import NotFound
from matcher.services.imports import Action
from matcher.services.placements import (
    CAPACITY_MAX,
    DESCRIPTION_MAX,
    DURATION_WEEKS_MAX,
    PAGE_SIZE_DEFAULT,
    SKILLS_MAX,
    SUMMARY_MAX,
    THEMES_MAX,
    TITLE_MAX,
    PlacementData,
    PlacementSearch,
)
from matcher.services.text import SEARCH_TEXT_MAX
from matcher.services.validation import ValidationFailed

TAG = "Placements"
MEMBERS = (Role.ORGANISATION_MEMBER,)
# Room for spacing around the eight characters of a postcode, as on the web form.
POSTCODE_MAX = 16
# Grade codes such as SCS1; the column holds eight characters.
GRADE_CODE_MAX = 8
# ONS region codes, like E12000003.
REGION_CODE_MAX = 9
THEME_SLUG_MAX = 80
# An encoded (published_at, id) pair is about 60 characters; anything far longer is not ours.
CURSOR_MAX = 200
# The alphabet of the URL-safe base64 the service encodes cursors in, without padding.
CURSOR_PATTERN = r"^[A-Za-z0-9_-]*$"
IMPORT_BODY_MAX = 2 * 1024 * 1024

Title = Annotated[str, service_rule(maxLength=TITLE_MAX)]
Summary = Annotated[str, service_rule(maxLength=SUMMARY_MAX)]
Description = Annotated[str, service_rule(maxLength=DESCRIPTION_MAX)]
GradeCode = Annotated[
    str, service_rule(maxLength=GRADE_CODE_MAX), Field(description="From `GET /grades`")
]
Postcode = Annotated[str, service_rule(maxLength=POSTCODE_MAX)]
Weeks = Annotated[int, service_rule(minimum=1, maximum=DURATION_WEEKS_MAX), WholeNumber]
Places = Annotated[int, service_rule(minimum=1, maximum=CAPACITY_MAX), WholeNumber]
ThemeIds = Annotated[
    list[Id],
    service_rule(maxItems=THEMES_MAX, **NON_EMPTY),
    Field(description="From `GET /themes`"),
]
SkillIds = Annotated[
    list[Id], service_rule(maxItems=SKILLS_MAX), Field(description="From `GET /skills`")
]


# Schemas


class PlacementOut(Output):
    """A placement, in the shape its create and update operations accept, plus its state."""

    id: int
    organisation_id: int
    organisation_name: str
    status: PlacementStatus
    title: str
    summary: str
    description: str
    kind: PlacementKind
    theme_ids: list[int]
    skill_ids: list[int]
    grade_min: str = Field(description="The most junior grade's code")
    grade_max: str = Field(description="The most senior grade's code")
    remote_possible: bool
    location_postcode: str | None
    region_code: str | None
    start_date: date
    duration_weeks: int
    hours: Hours
    capacity: int
    closing_date: date
    published_at: datetime | None
    updated_at: datetime
    version: int = Field(description="The same number as the ETag; send it back as If-Match")


class PlacementSearchQuery(Input):
    theme: str | None = Field(
        default=None, max_length=THEME_SLUG_MAX, description="A theme's `slug`"
    )
    kind: PlacementKind | None = None
    organisation_kind: OrganisationKind | None = None
    region: str | None = Field(
        default=None,
        max_length=REGION_CODE_MAX,
        description="ONS region code; a remote placement without a postcode is in its "
        "organisation's region",
    )
    remote: bool | None = Field(
        default=None, description="Only placements that can (or cannot) be done remotely"
    )
    text: str | None = Field(
        default=None,
        max_length=SEARCH_TEXT_MAX,
        description="Words to find in the title, summary, description or organisation name",
    )
    cursor: str | None = Field(
        default=None,
        max_length=CURSOR_MAX,
        pattern=CURSOR_PATTERN,
        description="`next_cursor` from the previous page, as it was given: URL-safe base64 "
        "without padding. Leave it out (or empty) for the first page",
    )
    limit: PageSize = PAGE_SIZE_DEFAULT


class PlacementSearchPage(Output):
    items: list[PlacementOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end"
    )


class OrganisationPlacementsQuery(Input):
    status: PlacementStatus | None = None
    page: PageNumber = 1
    per_page: PageSize = PAGE_SIZE_DEFAULT


class OrganisationPlacementPage(Output):
    items: list[PlacementOut]
    page: PageInfo


class NewPlacement(Input):
    """Every answer about a placement; the rules, and their words, are the web form's."""

    title: Title
    summary: Summary
    description: Description
    kind: PlacementKind
    theme_ids: ThemeIds
    skill_ids: SkillIds = Field(default_factory=list)
    grade_min: GradeCode
    grade_max: GradeCode
    remote_possible: bool = False
    location_postcode: Postcode | None = Field(
        default=None, description="Required unless the placement can be done remotely"
    )
    start_date: date = Field(description="After the closing date")
    duration_weeks: Weeks
    hours: Hours
    capacity: Places = 1
    closing_date: date = Field(description="In the future")


# The default of a field that may be left out but not given as null: None, typed as Any since
# it is no value of the field's own type.
OMITTED: Any = None


class PlacementChanges(Input):
    """The answers to change; a field left out keeps its value. Only `location_postcode` may
    be null (no postcode, for a remote placement)."""

    # Left-out fields default to OMITTED and are told apart by ``model_fields_set``; an explicit
    # null fails validation, as each field's type does not allow it.
    title: Title = OMITTED
    summary: Summary = OMITTED
    description: Description = OMITTED
    kind: PlacementKind = OMITTED
    theme_ids: ThemeIds = OMITTED
    skill_ids: SkillIds = OMITTED
    grade_min: GradeCode = OMITTED
    grade_max: GradeCode = OMITTED
    remote_possible: bool = OMITTED
    location_postcode: Postcode | None = None
    start_date: date = OMITTED
    duration_weeks: Weeks = OMITTED
    hours: Hours = OMITTED
    capacity: Places = OMITTED
    closing_date: date = OMITTED


# Translations


def _grade_codes() -> dict[int, str]:
    return dict(db.session.execute(select(Grade.rank, Grade.code)).tuples().all())


def placement_out(placement: Placement, grade_codes: dict[int, str] | None = None) -> PlacementOut:
    """The API's view of a placement; pass ``grade_codes`` when converting many."""
    codes = grade_codes if grade_codes is not None else _grade_codes()
    return PlacementOut(
        id=placement.id,
        organisation_id=placement.organisation_id,
        organisation_name=placement.organisation.name,
        status=placement.status,
        title=placement.title,
        summary=placement.summary,
        description=placement.description,
        kind=placement.kind,
        theme_ids=sorted(theme.id for theme in placement.themes),
        skill_ids=sorted(skill.id for skill in placement.skills),
        grade_min=codes[placement.grade_min_rank],
        grade_max=codes[placement.grade_max_rank],
        remote_possible=placement.remote_possible,
        location_postcode=placement.location_postcode,
        region_code=placement.region_code,
        start_date=placement.start_date,
        duration_weeks=placement.duration_weeks,
        hours=placement.hours,
        capacity=placement.capacity,
        closing_date=placement.closing_date,
        published_at=placement.published_at,
        updated_at=placement.updated_at,
        version=placement.version_id,
    )


def _reply(placement: Placement, status: int = 200, **headers: str) -> Reply:
    return Reply(
        body=placement_out(placement), status=status, version=placement.version_id, headers=headers
    )


def _as_data(values: dict[str, Any]) -> dict[str, Any]:
    """Body fields as ``PlacementData`` holds them."""
    data = dict(values)
    for name in ("theme_ids", "skill_ids"):
        if name in data:
            data[name] = tuple(data[name])
    for name in ("kind", "hours"):
        if name in data:
            data[name] = str(data[name])
    if "location_postcode" in data:
        data["location_postcode"] = data["location_postcode"] or ""
    return data


def organisation_placement(caller: Caller, organisation_id: int, placement_id: int) -> Placement:
    """The placement, if the token acts for the organisation and the placement is its own."""
    caller.require_organisation(organisation_id)
    placement = service.get_placement(db.session, caller.user_id, placement_id)
    if placement.organisation_id != organisation_id:
        raise NotFound(f"placement {placement_id} is not organisation {organisation_id}'s")
    return placement


# Anyone with a token


@operation(
    "GET",
    "/placements",
    summary="Search open placements",
    tag=TAG,
    response=PlacementSearchPage,
    query=PlacementSearchQuery,
)
def search_placements(query: PlacementSearchQuery) -> PlacementSearchPage:
    """Open placements, newest first, filtered by theme, kind, region, remote working and words.

    Any token may search; the results are the same for everyone. A token is asked for, though
    the web search is public, because the per-token rate limit is what keeps free-text search
    from being run without bound. Follow `next_cursor` for the next page; a cursor stays valid
    while placements are published meanwhile (they appear on a new first page).
    """
    page = service.search_open_placements_by_cursor(
        db.session,
        PlacementSearch(
            theme=query.theme,
            kind=query.kind,
            organisation_kind=query.organisation_kind,
            region_code=query.region,
            remote=query.remote,
            text=query.text,
        ),
        cursor=query.cursor,
        limit=query.limit,
    )
    codes = _grade_codes()
    return PlacementSearchPage(
        items=[placement_out(placement, codes) for placement in page.items],
        next_cursor=page.next_cursor,
    )


def _placement_links(placement_id: str, organisation_id: str, etag: bool) -> tuple[Link, ...]:
    """Where an answer naming a placement leads; If-Match from the ETag when it has one."""
    one = {"placement_id": placement_id}
    own = one | {"organisation_id": organisation_id}
    versioned = own | {"If-Match": "$response.header.ETag"} if etag else own
    changes = ("update", "publish", "close", "reopen", "fill", "withdraw")
    return (
        Link("get_placement", one),
        *(Link(f"{change}_placement", versioned) for change in changes),
        Link("list_placement_interests", one),
        Link("list_placement_candidates", one),
    )


PLACEMENT_LINKS = _placement_links("$response.body#/id", "$response.body#/organisation_id", True)


@operation(
    "GET",
    "/placements/<id:placement_id>",
    summary="One placement",
    tag=TAG,
    response=PlacementOut,
    etag=True,
    links=PLACEMENT_LINKS,
)
def get_placement(caller: Caller, placement_id: int) -> Reply:
    """An open placement, for anyone; a placement in any other status only for its
    organisation's members, platform administrators and people with an interest in it (404
    for everyone else). The ETag is for If-Match on the organisation's update operations."""
    placement = service.get_placement(
        db.session, caller.user_id, placement_id, acting_for=caller.organisation_id
    )
    return _reply(placement)


# The organisation's own placements


@operation(
    "GET",
    "/organisations/<id:organisation_id>/placements",
    summary="An organisation's placements, in every status",
    tag=TAG,
    response=OrganisationPlacementPage,
    query=OrganisationPlacementsQuery,
    links=_placement_links("$response.body#/items/0/id", "$request.path.organisation_id", False),
    roles=MEMBERS,
)
def list_organisation_placements(
    caller: Caller, organisation_id: int, query: OrganisationPlacementsQuery
) -> OrganisationPlacementPage:
    """Drafts, open, closed, filled and withdrawn placements, most recently changed first.

    For members of the organisation, with a token that acts for it.
    """
    caller.require_organisation(organisation_id)
    page = service.list_organisation_placements(
        db.session,
        caller.user_id,
        organisation_id,
        status=query.status,
        limit=query.per_page,
        offset=(query.page - 1) * query.per_page,
    )
    codes = _grade_codes()
    return OrganisationPlacementPage(
        items=[placement_out(placement, codes) for placement in page.items],
        page=PageInfo.of(query.page, query.per_page, page.total),
    )


@operation(
    "POST",
    "/organisations/<id:organisation_id>/placements",
    summary="Save a new draft placement",
    tag=TAG,
    response=PlacementOut,
    status=201,
    body=NewPlacement,
    roles=MEMBERS,
    etag=True,
    errors=[409],
    links=PLACEMENT_LINKS,
)
def create_placement(caller: Caller, organisation_id: int, body: NewPlacement) -> Reply:
    """Save a draft; publish it with `:publish` once the organisation is verified.

    409 if the organisation was rejected. The closing date must be in the future and the start
    date after it.
    """
    caller.require_organisation(organisation_id)
    placement = service.create_draft(
        db.session, caller.user_id, organisation_id, PlacementData(**_as_data(dict(body)))
    )
    return _reply(
        placement,
        201,
        Location=url_for("api_v1.get_placement", placement_id=placement.id),
    )


@operation(
    "PATCH",
    "/organisations/<id:organisation_id>/placements/<id:placement_id>",
    summary="Change some of a placement's answers",
    tag=TAG,
    response=PlacementOut,
    body=PlacementChanges,
    roles=MEMBERS,
    etag=True,
    if_match=True,
    errors=[409],
    links=PLACEMENT_LINKS,
)
def update_placement(
    caller: Caller,
    organisation_id: int,
    placement_id: int,
    body: PlacementChanges,
    expected_version: int | None,
) -> Reply:
    """Change the fields sent; the rest keep their values. Drafts and open placements only
    (409 otherwise). Send the ETag you read as If-Match: 412 if someone changed the placement
    since. The closing date must be in the future only if it changes."""
    placement = organisation_placement(caller, organisation_id, placement_id)
    changes = _as_data({name: getattr(body, name) for name in body.model_fields_set})
    data = replace(service.placement_data(placement), **changes)
    changed = service.update_placement(
        db.session, caller.user_id, placement.id, data, expected_version=expected_version
    )
    return _reply(changed)


def _change_status(
    caller: Caller,
    organisation_id: int,
    placement_id: int,
    expected_version: int | None,
    change: Any,
) -> Reply:
    placement = organisation_placement(caller, organisation_id, placement_id)
    moved = change(db.session, caller.user_id, placement.id, expected_version=expected_version)
    return _reply(moved)


_STATUS_CHANGE: dict[str, Any] = {
    "tag": TAG,
    "response": PlacementOut,
    "roles": MEMBERS,
    "etag": True,
    "if_match": True,
    "errors": [409],
    "links": PLACEMENT_LINKS,
}
_ONE = "/organisations/<id:organisation_id>/placements/<id:placement_id>"


@operation("POST", _ONE + ":publish", summary="Publish a draft", **_STATUS_CHANGE)
def publish_placement(
    caller: Caller, organisation_id: int, placement_id: int, expected_version: int | None
) -> Reply:
    """Put a draft live. 409 unless it is a draft and the organisation is verified; 422 if a
    field no longer passes (a closing date now past, say)."""
    return _change_status(caller, organisation_id, placement_id, expected_version, service.publish)


@operation("POST", _ONE + ":close", summary="Stop taking interest", **_STATUS_CHANGE)
def close_placement(
    caller: Caller, organisation_id: int, placement_id: int, expected_version: int | None
) -> Reply:
    """Close an open placement to new interest; 409 unless it is open."""
    return _change_status(caller, organisation_id, placement_id, expected_version, service.close)


@operation("POST", _ONE + ":reopen", summary="Reopen a closed placement", **_STATUS_CHANGE)
def reopen_placement(
    caller: Caller, organisation_id: int, placement_id: int, expected_version: int | None
) -> Reply:
    """Open a closed placement again; 409 unless it is closed, 422 if its closing date passed."""
    return _change_status(caller, organisation_id, placement_id, expected_version, service.reopen)


@operation("POST", _ONE + ":fill", summary="Mark a placement filled", **_STATUS_CHANGE)
def fill_placement(
    caller: Caller, organisation_id: int, placement_id: int, expected_version: int | None
) -> Reply:
    """Record that an open or closed placement is filled; final. 409 from any other status."""
    return _change_status(
        caller, organisation_id, placement_id, expected_version, service.mark_filled
    )


@operation("POST", _ONE + ":withdraw", summary="Withdraw a placement", **_STATUS_CHANGE)
def withdraw_placement(
    caller: Caller, organisation_id: int, placement_id: int, expected_version: int | None
) -> Reply:
    """Withdraw an open or closed placement for good; 409 from any other status."""
    return _change_status(caller, organisation_id, placement_id, expected_version, service.withdraw)


# Import


class ImportedRow(Output):
    row: int = Field(description="The line's number in the file; a CSV file's header is row 1")
    status: Action = Field(
        description="`created`: saved as a draft; `updated`: the placement imported before "
        "with the same `external_id` was changed; `unchanged`: it already said the same"
    )
    placement_id: int
    version: int


class ImportReport(Output):
    created: int
    updated: int
    unchanged: int
    rows: list[ImportedRow]


IMPORT_MEDIA_TYPES = ("text/csv", "application/jsonl")


@operation(
    "POST",
    "/organisations/<id:organisation_id>/placements:import",
    summary="Save or update many draft placements from CSV or JSON Lines, all or none",
    tag=TAG,
    response=ImportReport,
    status=201,
    body_media_type=IMPORT_MEDIA_TYPES,
    body_max=IMPORT_BODY_MAX,
    roles=MEMBERS,
    errors=[409],
)
def import_placements(caller: Caller, organisation_id: int, body: str) -> ImportReport:
    """One draft placement per CSV row or JSON Lines line, for an HR system to send again and
    again: a line with an `external_id` updates the placement imported with it before.

    Send `text/csv` (UTF-8, comma-separated, a header row naming the columns) or
    `application/jsonl` (one JSON object per line). The fields, in any order; the first eleven
    are required:
    `title`, `summary`, `description`, `kind` (`secondment`, `placement`,
    `partnership_project`, `job_shadowing`, `mentoring`), `themes` (theme names or slugs: a
    JSON list, or separated by `;` in CSV), `grade_min` and `grade_max` (grade codes such as
    `EO` or names such as `Grade 7`), `start_date` and `closing_date` (`YYYY-MM-DD`; closing
    in the future, starting after it), `duration_weeks` (1 to 260), `hours` (`full_time`,
    `part_time`, `flexible`; `Full time` is read as `full_time`); optional: `external_id`
    (your own id for the placement, unique in the organisation), `skills` (names or slugs),
    `remote` (`yes` or `no`, or true or false; default no), `postcode` (required unless
    remote), `capacity` (1 to 100, default 1).

    Every line is checked with the same rules, and in the same words, as the web form. If
    every line passes, each is saved (201, with its placement id and what happened to it): a
    new `external_id`, or none, makes a draft; a known one updates that placement (drafts and
    open placements only), or leaves it alone if nothing changed, so sending the same file
    twice changes nothing. If any line fails, nothing is saved and the 422 problem lists each
    failing field as `rows.N.field` (CSV, counting the header as row 1) or `lines.N.field`
    (JSON Lines). A field that is not one of the above is refused by name, with the field
    it was probably meant to be. At most 1,000 lines and 2 MiB; an empty file or one with no
    lines is 422; a file that is not UTF-8 is 400.
    """
    caller.require_organisation(organisation_id)
    if request.mimetype == "text/csv":
        lines, prefix = imports.read_csv(body), "rows"
    else:
        lines, prefix = _json_lines(body), "lines"
    member = imports.Importer(actor_id=caller.user_id, organisation_id=organisation_id)
    report = imports.import_lines(db.session, member, lines)
    if report.refused:
        # Raising rolls back the whole request, the lines that passed included.
        raise ValidationFailed(report.errors(prefix))
    counts = report.counts()
    return ImportReport(
        created=counts[Action.CREATED],
        updated=counts[Action.UPDATED],
        unchanged=counts[Action.UNCHANGED],
        rows=[
            ImportedRow(
                row=outcome.line,
                status=outcome.action,
                placement_id=outcome.record_id or 0,
                version=outcome.version or 0,
            )
            for outcome in report.outcomes
        ],
    )


def _json_lines(body: str) -> list[imports.Line]:
    """The file's lines, read before anything is saved, so a file too long costs no work."""
    lines = list(imports.read_json_lines(body.removeprefix("\ufeff").splitlines()))
    if not lines:
        raise ValidationFailed({"body": "The file is empty: send one placement per line"})
    if len(lines) > imports.ROWS_MAX:
        raise ValidationFailed({"body": f"Send at most {imports.ROWS_MAX:,} lines in a file"})
    return lines
