"""Loading reference data twice changes nothing the second time (SQLite)."""

from __future__ import annotations

from datetime import date

from flask import Flask
from sqlalchemy import func, select

from matcher.extensions import db
from matcher.models import LocalAuthority, Membership, Organisation, Placement, Role, Theme, utcnow
from matcher.reference import catalogue
from matcher.reference.loader import load_reference_data
from matcher.services.organisation_queries import verified_organisations
from tests import builders


def table_counts() -> dict[str, int]:
    return {
        model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
        for model in (LocalAuthority, Organisation, Theme)
    }


def test_load_is_idempotent(app: Flask) -> None:
    first = load_reference_data(db.session)
    db.session.commit()
    counts = table_counts()
    second = load_reference_data(db.session)
    db.session.commit()
    assert first["local_authorities"] == 331
    assert first["organisations"] == counts["organisations"] > 331
    assert set(second.values()) == {0}
    assert table_counts() == counts


def test_councils_are_verified_with_their_district(app: Flask) -> None:
    load_reference_data(db.session)
    leeds = db.session.scalars(
        select(Organisation).where(Organisation.ons_code == "E08000035")
    ).one()
    assert leeds.name == "Leeds Council"
    assert leeds.kind == "council" and leeds.status == "verified" and leeds.verified_at
    assert leeds.region_code == "E12000003"


def test_load_restores_a_changed_fact(app: Flask) -> None:
    load_reference_data(db.session)
    theme = db.session.scalars(select(Theme).where(Theme.slug == "social-care")).one()
    theme.name = "Care"
    db.session.flush()
    assert load_reference_data(db.session)["themes"] == 1
    assert theme.name == "Social care"


def test_cli_load_reports_then_says_nothing_changed(app: Flask) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["reference", "load"])
    second = runner.invoke(args=["reference", "load"])
    assert first.exit_code == 0 and "331 local authorities" in first.output
    assert second.exit_code == 0 and "nothing changed" in second.output


def _the_list_before_2023() -> dict[str, int]:
    """Turn a loaded database back into what loads before this change left: the abolished
    district councils, Barnsley and Sheffield under their 2021 codes, no successors."""
    successors = set(catalogue.abolished_councils().values())
    for organisation in db.session.scalars(
        select(Organisation).where(Organisation.ons_code.in_(successors))
    ):
        db.session.delete(organisation)
    for old, new in catalogue.current_council_codes().items():
        if new not in successors:
            db.session.scalars(
                select(Organisation).where(Organisation.ons_code == new)
            ).one().ons_code = old
    ids = {}
    for row in catalogue.districts():
        if row["code"] in catalogue.abolished_councils():
            council = Organisation(
                name=catalogue.council_name(row["name"]),
                kind="council",
                ons_code=row["code"],
                region_code=row["region_code"],
                status="verified",
                verified_at=utcnow(),
            )
            db.session.add(council)
            db.session.flush()
            ids[row["name"]] = council.id
    db.session.commit()
    return ids


def test_a_load_retires_the_councils_abolished_in_2023_and_keeps_what_refers_to_them(
    app: Flask,
) -> None:
    load_reference_data(db.session)
    old = _the_list_before_2023()
    barnsley = db.session.scalars(
        select(Organisation).where(Organisation.ons_code == "E08000016")
    ).one()
    officer = builders.user(db.session, role=Role.ORGANISATION_MEMBER, email="pat@carlisle.gov.uk")
    membership = builders.membership(
        db.session, officer, db.session.get(Organisation, old["Carlisle"])
    )
    placement = Placement(
        organisation_id=old["Carlisle"],
        title="Rural transport",
        summary="Buses",
        description="Buses across the fells",
        kind="secondment",
        grade_min_rank=3,
        grade_max_rank=5,
        start_date=date(2027, 1, 4),
        duration_weeks=12,
        hours="full_time",
        closing_date=date(2026, 12, 18),
        remote_possible=True,
    )
    db.session.add(placement)
    db.session.commit()

    counts = load_reference_data(db.session)
    db.session.commit()

    # 4 new councils, 2 new codes, 17 councils retired.
    assert counts["organisations"] == 4 + 2 + 17
    cumberland = db.session.scalars(
        select(Organisation).where(Organisation.ons_code == "E06000063")
    ).one()
    assert (cumberland.name, cumberland.status, cumberland.region_code) == (
        "Cumberland Council",
        "verified",
        "E12000002",
    )
    carlisle = db.session.get(Organisation, old["Carlisle"])
    assert carlisle.merged_into_id == cumberland.id
    assert (
        db.session.get(Organisation, old["Harrogate"]).merged_into.name == "North Yorkshire Council"
    )
    assert barnsley.ons_code == "E08000038"
    assert db.session.get(Membership, membership.id).organisation_id == carlisle.id
    assert db.session.get(Placement, placement.id).organisation_id == carlisle.id

    choosable = {o.name for o in verified_organisations(db.session)}
    assert "Cumberland Council" in choosable and "Carlisle Council" not in choosable
    assert "Eden Council" not in choosable

    assert set(load_reference_data(db.session).values()) == {0}


def test_a_fresh_load_lists_only_todays_councils(app: Flask) -> None:
    load_reference_data(db.session)
    names = set(db.session.scalars(select(Organisation.name)))
    assert {"Cumberland Council", "Somerset Council"} <= names
    assert not {"Carlisle Council", "Mendip Council"} & names
