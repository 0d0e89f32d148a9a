"""Placements: the public search, and an organisation's own placements through their lifecycle.

Handlers map between JSON and ``matcher.services.placements``; the services own every rule
(validation, who may act, which status changes are allowed). Here the API adds only what is
about the URL and the token: the placement in the path must belong to the organisation in the
path (404 otherwise), and the token must act for that organisation (403 otherwise).
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import replace
from datetime import date, datetime
from typing import Annotated, Any

from flask import url_for
from pydantic import Field
from sqlalchemy import func, or_, select

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
    Skill,
    Theme,
)
from matcher.services import placements as service
from matcher.services.errors import NotFound
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
SEARCH_TEXT_MAX = 200
# An encoded (published_at, id) pair is about 60 characters; anything far longer is not ours.
CURSOR_MAX = 200
# The alphabet of the URL-safe base64 the service encodes cursors in, without padding.
CURSOR_PATTERN = r"^[A-Za-z0-9_-]*$"
CSV_BODY_MAX = 2 * 1024 * 1024
CSV_ROWS_MAX = 1_000

Title = Annotated[str, Field(max_length=TITLE_MAX)]
Summary = Annotated[str, Field(max_length=SUMMARY_MAX)]
Description = Annotated[str, Field(max_length=DESCRIPTION_MAX)]
GradeCode = Annotated[str, Field(max_length=GRADE_CODE_MAX, description="From `GET /grades`")]
Postcode = Annotated[str, Field(max_length=POSTCODE_MAX)]
Weeks = Annotated[int, Field(ge=1, le=DURATION_WEEKS_MAX), WholeNumber]
Places = Annotated[int, Field(ge=1, le=CAPACITY_MAX), WholeNumber]
ThemeIds = Annotated[
    list[Id],
    Field(max_length=THEMES_MAX, json_schema_extra=NON_EMPTY, description="From `GET /themes`"),
]
SkillIds = Annotated[list[Id], Field(max_length=SKILLS_MAX, description="From `GET /skills`")]


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
    """Every answer about a placement; the rules are the web form's."""

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


class PlacementChanges(Input):
    """The answers to change; a field left out keeps its value. Only `location_postcode` may
    be null (no postcode, for a remote placement)."""

    # Left-out fields default to None and are told apart by ``model_fields_set``; an explicit
    # null fails validation, as each field's type does not allow it.
    title: Title = None
    summary: Summary = None
    description: Description = None
    kind: PlacementKind = None
    theme_ids: ThemeIds = None
    skill_ids: SkillIds = None
    grade_min: GradeCode = None
    grade_max: GradeCode = None
    remote_possible: bool = None
    location_postcode: Postcode | None = None
    start_date: date = None
    duration_weeks: Weeks = None
    hours: Hours = None
    capacity: Places = None
    closing_date: date = None


class ImportedRow(Output):
    row: int = Field(description="The row's number in the file; the header is row 1")
    status: str = Field(description="`created`: saved as a draft")
    placement_id: int
    version: int


class ImportReport(Output):
    created: int
    rows: list[ImportedRow]


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


_STATUS_CHANGE = {
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


# CSV import

CSV_COLUMNS = (
    "title",
    "summary",
    "description",
    "kind",
    "themes",
    "skills",
    "grade_min",
    "grade_max",
    "remote",
    "postcode",
    "start_date",
    "duration_weeks",
    "hours",
    "capacity",
    "closing_date",
)
CSV_REQUIRED = frozenset(CSV_COLUMNS) - {"skills", "remote", "postcode", "capacity"}
# The service names some fields differently from the columns.
_COLUMN_OF = {
    "theme_ids": "themes",
    "skill_ids": "skills",
    "location_postcode": "postcode",
    "remote_possible": "remote",
}
_YES = frozenset({"yes", "y", "true"})
_NO = frozenset({"no", "n", "false", ""})


class _Terms:
    """Theme or skill ids by name or slug, looked up once per distinct value in an import."""

    def __init__(self, model: type[Theme] | type[Skill], most: int) -> None:
        self.model = model
        self.most = most
        self.known: dict[str, int | None] = {}

    def ids(self, cell: str, errors: dict[str, str], column: str, what: str) -> tuple[int, ...]:
        names = list(dict.fromkeys(part.strip() for part in cell.split(";") if part.strip()))
        found = []
        # One more than allowed is enough for the service to say there are too many.
        for name in names[: self.most + 1]:
            key = name.lower()
            if key not in self.known:
                model = self.model
                self.known[key] = db.session.scalar(
                    select(model.id).where(
                        or_(func.lower(model.name) == key, func.lower(model.slug) == key)
                    )
                )
            term_id = self.known[key]
            if term_id is None:
                errors.setdefault(column, f"There is no {what} called '{name[:80]}'")
            else:
                found.append(term_id)
        return tuple(found)


def _date(cell: str, errors: dict[str, str], column: str) -> date | None:
    if not cell:
        return None
    try:
        return date.fromisoformat(cell)
    except ValueError:
        errors[column] = "Enter a date like 2027-01-31"
        return None


def _whole(cell: str, errors: dict[str, str], column: str) -> int | None:
    if not cell:
        return None
    if not (cell.isascii() and cell.isdigit()) or len(cell) > 6:
        errors[column] = "Enter a whole number"
        return None
    return int(cell)


def _row_data(
    cells: dict[str, str], themes: _Terms, skills: _Terms
) -> tuple[PlacementData, dict[str, str]]:
    """A row as the service's input, and the errors of cells that are not even the right type."""
    errors: dict[str, str] = {}
    remote = cells.get("remote", "").lower()
    if remote not in _YES | _NO:
        errors["remote"] = "Enter yes or no"
    capacity = cells.get("capacity", "")
    data = PlacementData(
        title=cells["title"],
        summary=cells["summary"],
        description=cells["description"],
        kind=cells["kind"].lower(),
        theme_ids=themes.ids(cells["themes"], errors, "themes", "theme"),
        skill_ids=skills.ids(cells.get("skills", ""), errors, "skills", "skill"),
        grade_min=cells["grade_min"],
        grade_max=cells["grade_max"],
        remote_possible=remote in _YES,
        location_postcode=cells.get("postcode", ""),
        start_date=_date(cells["start_date"], errors, "start_date"),
        duration_weeks=_whole(cells["duration_weeks"], errors, "duration_weeks"),
        hours=cells["hours"].lower(),
        capacity=_whole(capacity, errors, "capacity") if capacity else 1,
        closing_date=_date(cells["closing_date"], errors, "closing_date"),
    )
    return data, errors


def _header(header: list[str] | None) -> list[str]:
    columns = [name.strip().lower() for name in header or []]
    if not any(columns):
        raise ValidationFailed(
            {"body": "The file is empty: send a header row, then one row per placement"}
        )
    if "" in columns:
        raise ValidationFailed({"header": f"Column {columns.index('') + 1} has no name"})
    unknown = [name for name in columns if name not in CSV_COLUMNS]
    if unknown:
        shown = ", ".join(f"'{name[:40]}'" for name in unknown[:5])
        raise ValidationFailed(
            {"header": f"Unknown columns {shown}; the columns are {', '.join(CSV_COLUMNS)}"}
        )
    repeated = sorted(name for name, times in Counter(columns).items() if times > 1)
    if repeated:
        raise ValidationFailed({"header": f"Columns appear twice: {', '.join(repeated)}"})
    missing = [name for name in CSV_COLUMNS if name in CSV_REQUIRED and name not in columns]
    if missing:
        raise ValidationFailed({"header": f"Columns missing: {', '.join(missing)}"})
    return columns


@operation(
    "POST",
    "/organisations/<id:organisation_id>/placements:import",
    summary="Save many draft placements from CSV, all or none",
    tag=TAG,
    response=ImportReport,
    status=201,
    body_media_type="text/csv",
    body_max=CSV_BODY_MAX,
    roles=MEMBERS,
    errors=[409],
)
def import_placements(caller: Caller, organisation_id: int, body: str) -> ImportReport:
    """Save one draft placement per row of a CSV file (UTF-8, comma-separated, a header row).

    Columns, in any order; the first eleven are required:
    `title`, `summary`, `description`, `kind` (`secondment`, `placement`,
    `partnership_project`, `job_shadowing`, `mentoring`), `themes` (theme names or slugs
    separated by `;`), `grade_min` and `grade_max` (grade codes such as `EO`, `G7`),
    `start_date` and `closing_date` (`YYYY-MM-DD`; closing in the future, starting after it),
    `duration_weeks` (1 to 260), `hours` (`full_time`, `part_time`, `flexible`); optional:
    `skills` (names or slugs separated by `;`), `remote` (`yes` or `no`, default `no`),
    `postcode` (required unless remote), `capacity` (default 1).

    Every row is checked with the same rules as the web form. If every row passes, all are
    saved as drafts (201, with each row's new placement id). If any row fails, nothing is
    saved and the 422 problem lists each failing cell as `rows.N.column`, where N is the row's
    number in the file counting the header as row 1. At most 1,000 rows and 2 MiB; unknown or
    missing columns, an empty file or a file with no rows are 422; a file that is not UTF-8
    is 400.
    """
    caller.require_organisation(organisation_id)
    columns, records = _records(body)
    themes, skills = _Terms(Theme, THEMES_MAX), _Terms(Skill, SKILLS_MAX)
    errors: dict[str, str] = {}
    created: list[ImportedRow] = []
    for number, record in records:
        if len(record) > len(columns):
            errors[f"rows.{number}"] = (
                f"The row has {len(record)} cells but the header has {len(columns)}"
            )
            continue
        cells = dict.fromkeys(CSV_COLUMNS, "")
        cells.update(zip(columns, (cell.strip() for cell in record), strict=False))
        saved = _import_row(caller, organisation_id, number, cells, themes, skills)
        if isinstance(saved, ImportedRow):
            created.append(saved)
        else:
            errors.update({f"rows.{number}.{column}": text for column, text in saved.items()})
    if errors:
        # Raising rolls back the whole request, the rows that passed included.
        raise ValidationFailed(errors)
    return ImportReport(created=len(created), rows=created)


def _records(body: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header's columns and the non-blank rows with their numbers; the whole file is
    read before anything is saved, so a file that is too long or not CSV costs no work."""
    # Strict: a stray quote is an error to report, not two rows silently run together.
    rows = csv.reader(io.StringIO(body.removeprefix("\ufeff"), newline=""), strict=True)
    number = 1
    try:
        columns = _header(next(rows, None))
        records = []
        for number, record in enumerate(rows, start=2):
            if any(cell.strip() for cell in record):
                records.append((number, record))
            if len(records) > CSV_ROWS_MAX:
                raise ValidationFailed({"body": f"Send at most {CSV_ROWS_MAX:,} rows in a file"})
    except csv.Error as error:
        raise ValidationFailed({"body": f"Row {number + 1} is not valid CSV: {error}"}) from None
    if not records:
        raise ValidationFailed({"body": "The file has a header but no placements"})
    return columns, records


def _import_row(
    caller: Caller,
    organisation_id: int,
    number: int,
    cells: dict[str, str],
    themes: _Terms,
    skills: _Terms,
) -> ImportedRow | dict[str, str]:
    """Save one row as a draft inside a savepoint; its errors by column if it fails."""
    data, cell_errors = _row_data(cells, themes, skills)
    try:
        # The savepoint keeps each row's writes apart, so a row that fails halfway leaves
        # nothing behind for the rows after it to trip over.
        with db.session.begin_nested():
            placement = service.create_draft(db.session, caller.user_id, organisation_id, data)
            if cell_errors:
                raise ValidationFailed(cell_errors)
    except ValidationFailed as failed:
        rule_errors = {_COLUMN_OF.get(name, name): text for name, text in failed.errors.items()}
        # A cell of the wrong type reaches the service as empty; say what was wrong with it.
        return {**rule_errors, **cell_errors}
    return ImportedRow(
        row=number, status="created", placement_id=placement.id, version=placement.version_id
    )
