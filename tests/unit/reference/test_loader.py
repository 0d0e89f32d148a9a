"""Loading reference data twice changes nothing the second time (SQLite)."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select

from matcher.extensions import db
from matcher.models import LocalAuthority, Organisation, Theme
from matcher.reference.loader import load_reference_data


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
