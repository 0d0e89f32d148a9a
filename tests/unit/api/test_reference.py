"""Reference data through the API: what profiles and placements refer to, open to anyone."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import func, select

from matcher.extensions import db
from matcher.models import (
    Grade,
    Organisation,
    OrganisationKind,
    Profession,
    Region,
    Theme,
    VerificationStatus,
)


def test_taxonomies_list_active_terms_by_name(client: FlaskClient):
    retired = db.session.scalars(select(Theme).order_by(Theme.id)).first()
    retired.active = False
    db.session.commit()

    names = [item["name"] for item in client.get("/api/v1/themes").json["items"]]

    assert retired.name not in names
    assert names == sorted(names)
    assert len(names) == db.session.scalar(select(func.count()).where(Theme.active)) > 0


def test_every_list_a_profile_needs_is_served(client: FlaskClient):
    grades = client.get("/api/v1/grades").json["items"]
    professions = client.get("/api/v1/professions").json["items"]
    regions = client.get("/api/v1/regions").json["items"]

    assert [g["rank"] for g in grades] == sorted(g["rank"] for g in grades)
    assert len(grades) == db.session.scalar(select(func.count()).select_from(Grade))
    assert {p["id"] for p in professions} == set(db.session.scalars(select(Profession.id)))
    assert {r["code"] for r in regions} == set(db.session.scalars(select(Region.code)))


def test_organisations_are_searched_filtered_and_paged(client: FlaskClient):
    leeds = db.session.scalars(
        select(Organisation).where(Organisation.name == "Leeds Council")
    ).one()
    leeds.status = VerificationStatus.REJECTED
    leeds.verified_at = None
    db.session.commit()

    found = client.get("/api/v1/organisations?q=leeds").json
    forces = client.get("/api/v1/organisations?kind=police_force&per_page=10&page=2").json
    forces_total = db.session.scalar(
        select(func.count()).where(Organisation.kind == OrganisationKind.POLICE_FORCE)
    )

    assert "Leeds Council" not in [o["name"] for o in found["items"]]
    assert {o["kind"] for o in forces["items"]} == {"police_force"}
    assert forces["page"] == {
        "page": 2,
        "per_page": 10,
        "total": forces_total,
        "pages": -(-forces_total // 10),
    }
    assert len(forces["items"]) == 10


def test_a_wildcard_in_the_search_is_taken_literally(client: FlaskClient):
    assert client.get("/api/v1/organisations?q=%25").json["items"] == []
