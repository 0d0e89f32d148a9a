"""POST /organisations/{id}/placements:import: CSV or JSON Lines, every line saved or none."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select

from matcher.clock import london_today
from matcher.extensions import db
from matcher.models import Placement, PlacementStatus, Skill, Theme
from matcher.services.imports import PLACEMENT_FIELDS, ROWS_MAX
from tests.api_world import ApiWorld, call, fixtures

api_world_template, world, http = fixtures()
# The columns of a file without external ids, as the first HR systems sent them.
CSV_COLUMNS = tuple(name for name in PLACEMENT_FIELDS if name != "external_id")


def _row(**changes: str) -> dict[str, str]:
    today = london_today()
    row = {
        "title": "Community safety partnership analyst",
        "summary": "Map where anti-social behaviour and housing need meet.",
        "description": "Work with the council's housing team and the police.",
        "kind": "secondment",
        "themes": _theme(0).name,
        "skills": "",
        "grade_min": "EO",
        "grade_max": "G7",
        "remote": "no",
        "postcode": "LS1 1UR",
        "start_date": (today + timedelta(days=100)).isoformat(),
        "duration_weeks": "26",
        "hours": "full_time",
        "capacity": "1",
        "closing_date": (today + timedelta(days=40)).isoformat(),
    }
    row.update(changes)
    return row


def _theme(index: int) -> Theme:
    return db.session.scalars(select(Theme).order_by(Theme.id).offset(index)).first()


def _csv(rows: list[dict[str, str]], columns: Any = CSV_COLUMNS) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _import(http: FlaskClient, world: ApiWorld, text: str | bytes, role: str = "member", **kw):
    return call(
        http,
        world,
        role,
        "POST",
        f"/organisations/{world.org_a}/placements:import",
        data=text,
        content_type=kw.pop("content_type", "text/csv"),
    )


def _placements_of_a(world: ApiWorld) -> int:
    db.session.rollback()
    count = select(func.count()).where(Placement.organisation_id == world.org_a)
    return db.session.scalar(count.select_from(Placement)) or 0


def _errors(response) -> dict[str, str]:
    return {error["field"]: error["message"] for error in response.json["errors"]}


def test_a_good_file_saves_every_row_as_a_draft(http: FlaskClient, world: ApiWorld):
    skill = db.session.scalars(select(Skill).order_by(Skill.id)).first()
    rows = [
        _row(title="First"),
        _row(title="Second", themes=f"{_theme(0).slug}; {_theme(1).name.upper()}"),
        _row(title="Third", remote="yes", postcode="", skills=skill.name, capacity=""),
    ]
    before = _placements_of_a(world)

    response = _import(http, world, _csv(rows))

    assert response.status_code == 201, response.json
    assert response.json["created"] == 3
    assert [row["row"] for row in response.json["rows"]] == [2, 3, 4]
    assert {row["status"] for row in response.json["rows"]} == {"created"}
    assert _placements_of_a(world) == before + 3
    saved = [db.session.get(Placement, row["placement_id"]) for row in response.json["rows"]]
    assert [p.title for p in saved] == ["First", "Second", "Third"]
    assert {p.status for p in saved} == {PlacementStatus.DRAFT}
    assert sorted(t.id for t in saved[1].themes) == [_theme(0).id, _theme(1).id]
    assert saved[2].remote_possible and saved[2].location_postcode is None
    assert [s.id for s in saved[2].skills] == [skill.id]
    assert saved[2].capacity == 1


def test_a_file_with_one_bad_row_saves_nothing_and_names_the_row(
    http: FlaskClient, world: ApiWorld
):
    yesterday = (london_today() - timedelta(days=1)).isoformat()
    rows = [_row(title="Good"), _row(title="Bad", closing_date=yesterday), _row(title="Good")]
    before = _placements_of_a(world)
    # A token used a moment ago is not written to again, so the import's first statement
    # that writes is inside the first row's savepoint.
    call(http, world, "member", "GET", "/placements")

    response = _import(http, world, _csv(rows))

    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    assert _errors(response) == {"rows.3.closing_date": "Closing date must be in the future"}
    assert _placements_of_a(world) == before


def test_every_bad_row_is_reported_with_each_cell_that_is_wrong(http: FlaskClient, world: ApiWorld):
    rows = [
        _row(themes="Underwater basket weaving", duration_weeks="six"),
        _row(),
        _row(remote="perhaps", postcode="", start_date="next spring", title=""),
    ]

    response = _import(http, world, _csv(rows))

    assert response.status_code == 422
    assert _errors(response) == {
        "rows.2.themes": "There is no theme called 'Underwater basket weaving'",
        "rows.2.duration_weeks": "Enter a whole number",
        "rows.4.title": "Enter a title",
        "rows.4.remote": "Enter yes or no",
        "rows.4.postcode": "Enter a postcode, or say the placement can be done remotely",
        "rows.4.start_date": "Enter a date like 2027-01-31",
    }


def test_cells_that_only_look_like_numbers_and_too_many_themes_are_row_errors(
    http: FlaskClient, world: ApiWorld
):
    themes = ";".join(db.session.scalars(select(Theme.slug).order_by(Theme.id).limit(12)))
    rows = [_row(capacity="\u00b2"), _row(themes=themes)]

    response = _import(http, world, _csv(rows))

    assert _errors(response) == {
        "rows.2.capacity": "Enter a whole number",
        "rows.3.themes": "Select 10 themes or fewer",
    }


def test_row_numbers_count_the_header_and_blank_lines_as_in_the_file(
    http: FlaskClient, world: ApiWorld
):
    text = _csv([_row()]) + "\r\n" + _csv([_row(hours="sometimes")]).split("\r\n", 1)[1]

    response = _import(http, world, text)

    assert _errors(response) == {"rows.4.hours": "Enter one of: full_time, part_time, flexible"}


def test_a_row_with_more_cells_than_the_header_is_reported(http: FlaskClient, world: ApiWorld):
    text = _csv([_row()]).rstrip("\r\n") + ",surplus\r\n"

    response = _import(http, world, text)

    assert _errors(response) == {"rows.2": "The row has 16 cells but the header has 15"}


def test_a_spreadsheets_byte_order_mark_and_column_order_do_not_matter(
    http: FlaskClient, world: ApiWorld
):
    text = "\ufeff" + _csv([_row()], columns=reversed(CSV_COLUMNS))

    response = _import(http, world, text.encode("utf-8"))

    assert response.status_code == 201


def test_the_header_must_name_known_columns_once_and_every_required_one(
    http: FlaskClient, world: ApiWorld
):
    unknown = _import(http, world, _csv([{**_row(), "salary": "1"}], [*CSV_COLUMNS, "salary"]))
    twice = _import(http, world, "title,title\r\nA,B\r\n")
    missing = _import(http, world, "title,summary\r\nA,B\r\n")

    assert unknown.status_code == twice.status_code == missing.status_code == 422
    assert _errors(unknown)["header"].startswith(
        "`salary` is not a field; the fields are external_id, title"
    )
    assert _errors(twice) == {"header": "Columns appear twice: title"}
    assert _errors(missing)["header"].startswith("Columns missing: description, kind")


def test_an_empty_file_or_one_without_rows_is_422(http: FlaskClient, world: ApiWorld):
    empty = _import(http, world, "")
    blank = _import(http, world, "\r\n\r\n")
    header_only = _import(http, world, _csv([]))

    assert [r.status_code for r in (empty, blank, header_only)] == [422, 422, 422]
    assert _errors(header_only) == {"body": "The file has a header but no placements"}


def test_a_file_with_too_many_rows_is_refused_before_any_is_checked(
    http: FlaskClient, world: ApiWorld
):
    text = _csv([_row()] * (ROWS_MAX + 1))

    response = _import(http, world, text)

    assert _errors(response) == {"body": f"Send at most {ROWS_MAX:,} rows in a file"}


def test_a_file_that_is_not_utf8_or_not_csv_is_refused(http: FlaskClient, world: ApiWorld):
    latin1 = _import(http, world, _csv([_row(title="Café")]).encode("latin-1"))
    json = _import(http, world, "{}", content_type="application/json")
    broken = _import(http, world, _csv([_row()]) + 'a,"b\x00\r\n')

    assert latin1.status_code == 400
    assert json.status_code == 415
    assert broken.status_code == 422
    assert _errors(broken)["body"].startswith("Row 3 is not valid CSV")


def test_only_a_token_for_the_organisation_may_import(http: FlaskClient, world: ApiWorld):
    before = _placements_of_a(world)

    response = _import(http, world, _csv([_row()]), role="other_org")

    assert response.status_code == 403
    assert _placements_of_a(world) == before


# JSON Lines, and sending a file again


def _json_lines(records: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(record) + "\n" for record in records)


def _line(**changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {**_row(**changes), "external_id": changes.get("external_id", "HR-7")}
    row.update(themes=[row["themes"]], skills=[], remote=False, duration_weeks=26, capacity=1)
    del row["skills"]
    return row


def test_json_lines_go_to_the_same_endpoint_and_a_second_send_changes_nothing(
    http: FlaskClient, world: ApiWorld
):
    before = _placements_of_a(world)
    lines = _json_lines([_line(), _line(external_id="HR-8", title="Second")])

    first = _import(http, world, lines, content_type="application/jsonl")
    again = _import(http, world, lines, content_type="application/jsonl")
    changed = _import(
        http,
        world,
        _json_lines([_line(title="Renamed"), _line(external_id="HR-8", title="Second")]),
        content_type="application/jsonl",
    )

    assert first.status_code == again.status_code == changed.status_code == 201
    assert (first.json["created"], first.json["updated"], first.json["unchanged"]) == (2, 0, 0)
    assert (again.json["created"], again.json["updated"], again.json["unchanged"]) == (0, 0, 2)
    assert (changed.json["created"], changed.json["updated"], changed.json["unchanged"]) == (
        0,
        1,
        1,
    )
    assert changed.json["rows"][0]["placement_id"] == first.json["rows"][0]["placement_id"]
    assert changed.json["rows"][0]["version"] > first.json["rows"][0]["version"]
    assert _placements_of_a(world) == before + 2


def test_a_csv_row_with_an_external_id_is_not_imported_twice(http: FlaskClient, world: ApiWorld):
    before = _placements_of_a(world)
    text = _csv([{**_row(), "external_id": "HR-9"}], columns=("external_id", *CSV_COLUMNS))

    assert _import(http, world, text).json["created"] == 1
    assert _import(http, world, text).json["unchanged"] == 1
    assert _placements_of_a(world) == before + 1


def test_json_lines_errors_name_the_line_and_the_field_in_the_files_words(
    http: FlaskClient, world: ApiWorld
):
    line = {**_line(), "titel": "Typo", "location_postcode": "LS1 1UR"}
    del line["title"]

    response = _import(http, world, _json_lines([_line(), line]), content_type="application/jsonl")

    assert response.status_code == 422
    assert _errors(response) == {
        "lines.2.titel": "`titel` is not a field; did you mean `title`?",
        "lines.2.location_postcode": "`location_postcode` is not a field; did you mean `postcode`?",
        "lines.2.title": "Enter a title",
        "lines.2.external_id": "This external_id is also on line 1",
    }


def test_the_document_offers_both_kinds_of_file(http: FlaskClient, world: ApiWorld):
    document = http.get("/api/openapi.json").json
    body = document["paths"]["/api/v1/organisations/{organisation_id}/placements:import"]["post"][
        "requestBody"
    ]

    assert set(body["content"]) == {"text/csv", "application/jsonl"}
