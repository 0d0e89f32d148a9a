"""The insights pages, their CSV files, the open data and the Atom feed, through the client."""

from __future__ import annotations

import csv
import io
import re
from xml.etree import ElementTree

import pytest
from flask import Flask

from matcher.extensions import db
from matcher.services import practice_notes
from matcher.services.errors import NotPermitted
from matcher.services.insights import count_again, refresh_snapshot
from tests.unit.services.world import World, build_world, draft, open_placement, published_note
from tests.unit.web.matches_world import browser_of, confirm_everyone
from tests.unit.web.test_matches_pages import post_button

ATOM = "{http://www.w3.org/2005/Atom}"
YORKSHIRE = "Yorkshire and The Humber"


@pytest.fixture
def world(app: Flask) -> World:
    """The service-test world with three placements posted in Leeds and one draft."""
    built = build_world(db.session)
    confirm_everyone()
    for title in ("Leeds housing secondment", "Leeds care placement", "Leeds transport project"):
        open_placement(db.session, built, title=title)
    draft(db.session, built, title="Unfinished draft in Leeds")
    db.session.commit()
    return built


def _published_note(world: World) -> int:
    """A published practice note of organisation A, and a draft that the feed leaves out."""
    note = published_note(db.session, world, title="Leeds neighbourhood care teams")
    practice_notes.create_draft(
        db.session, world.member_a.id, world.org_a.id, practice_notes.NoteData(title="Draft")
    )
    db.session.commit()
    return note.id


def _figures(document: dict, key: str, label: str) -> list[dict]:
    table = next(t for t in document["tables"] if t["key"] == key)
    return next(r["figures"] for r in table["rows"] if r["labels"] == [label])


def test_a_count_of_3_never_reaches_the_public_in_html_csv_or_json(app, world):
    client = app.test_client()
    page = client.get("/insights").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(client.get("/insights/by-region.csv").get_data(True))))
    document = client.get("/api/v1/insights").get_json()

    # Three placements posted in Yorkshire: shown nowhere as 3.
    assert f"{YORKSHIRE}: fewer than 5." in page
    assert not re.search(r'cell--numeric"[^>]*>\s*3\s*<|font-weight="bold"[^>]*>3<|: 3\.', page)
    assert rows[0] == ["Region", "Posted", "Filled", "Still open", "Closed unfilled"]
    assert rows[1] == [YORKSHIRE, *["fewer than 5"] * 4]
    assert all("3" not in cell for row in rows for cell in row)
    posted = _figures(document, "by-region", YORKSHIRE)[0]
    assert posted == {"value": None, "suppressed": True, "text": "fewer than 5"}
    values = [f["value"] for t in document["tables"] for r in t["rows"] for f in r["figures"]]
    assert 3 not in values


def test_administrators_see_the_raw_counts_and_nobody_else_does(app, world):
    admin = browser_of(app, world.platform_admin)
    page = admin.get("/admin/insights").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(admin.get("/admin/insights/by-region.csv").get_data(True))))

    assert f"{YORKSHIRE}: 3." in page
    assert rows[1] == [YORKSHIRE, "3", "0", "3", "0"]
    assert browser_of(app, world.person).get("/admin/insights").status_code == 403
    assert app.test_client().get("/admin/insights/by-region.csv").status_code == 302
    assert admin.get("/admin/insights/nothing.csv").status_code == 404


def test_the_page_draws_each_table_as_an_accessible_svg_beside_its_table(app, world):
    page = app.test_client().get("/insights").get_data(as_text=True)

    charts = re.findall(r'<svg role="img" aria-labelledby="([\w-]+)-title \1-desc"', page)
    # Nobody is placed yet: those two tables say so instead of drawing an empty chart.
    assert page.count("Nothing to count yet.") == 2
    assert charts == [
        "by-region-chart",
        "by-theme-chart",
        "funnel-chart",
        "ratings-chart",
        "areas-chart",
        "months-chart",
    ]
    assert "<script" not in page.split("<main", 1)[1].split("</main>", 1)[0]
    assert "not the ONS Rural-Urban Classification" in page
    assert page.count("(CSV)</a>") == 8


def test_the_feed_is_atom_with_the_open_placements_and_notes_and_every_page_links_it(app, world):
    note_id = _published_note(world)
    client = app.test_client()
    response = client.get("/feed.atom")
    feed = ElementTree.fromstring(response.get_data())

    assert response.mimetype == "application/atom+xml"
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated", "author"):
        assert feed.find(f"{ATOM}{required}") is not None, required
    entries = feed.findall(f"{ATOM}entry")
    titles = sorted(e.findtext(f"{ATOM}title") for e in entries)
    assert titles == [
        "Placement: Leeds care placement",
        "Placement: Leeds housing secondment",
        "Placement: Leeds transport project",
        "Practice note: Leeds neighbourhood care teams",
    ]
    note = next(e for e in entries if "Practice note" in e.findtext(f"{ATOM}title"))
    assert note.find(f"{ATOM}link").get("href").endswith(f"/practice/{note_id}")
    for entry in entries:
        for required in ("id", "title", "updated", "link", "summary"):
            assert entry.find(f"{ATOM}{required}") is not None, required
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", entry.findtext(f"{ATOM}updated"))
    for path in ("/", "/insights", "/placements"):
        assert '<link rel="alternate" type="application/atom+xml"' in client.get(path).get_data(
            as_text=True
        )


def test_both_pages_show_the_last_count_until_an_administrator_counts_again(app, world):
    refresh_snapshot(db.session)
    db.session.commit()
    for title in ("Leeds fourth placement", "Leeds fifth placement"):
        open_placement(db.session, world, title=title)
    db.session.commit()
    admin = browser_of(app, world.platform_admin)
    public = app.test_client()
    before = public.get("/insights").get_data(as_text=True)

    assert f"{YORKSHIRE}: 3." in admin.get("/admin/insights").get_data(as_text=True)
    assert f"{YORKSHIRE}: fewer than 5." in before
    assert "counted again every 5 minutes" in before
    counted, _ = post_button(admin, "/admin/insights", "/admin/insights/count-again")
    assert counted.status_code == 302
    assert f"{YORKSHIRE}: 5." in admin.get("/admin/insights").get_data(as_text=True)
    assert f"{YORKSHIRE}: 5." in public.get("/insights").get_data(as_text=True)
    with pytest.raises(NotPermitted):
        count_again(db.session, world.person.id)
    posted = _figures(public.get("/api/v1/insights").get_json(), "by-region", YORKSHIRE)[0]
    assert posted == {"value": 5.0, "suppressed": False, "text": "5"}
