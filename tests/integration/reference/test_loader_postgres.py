"""Loading reference data twice on PostgreSQL changes nothing the second time."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select

from matcher.extensions import db
from matcher.models import LocalAuthority, Organisation, Skill
from matcher.reference.loader import load_reference_data


def test_load_is_idempotent_on_postgres(pg_app: Flask) -> None:
    first = load_reference_data(db.session)
    db.session.commit()
    counts = [
        db.session.scalar(select(func.count()).select_from(model))
        for model in (LocalAuthority, Organisation, Skill)
    ]
    second = load_reference_data(db.session)
    db.session.commit()
    assert counts[0] == first["local_authorities"] == 331
    assert set(second.values()) == {0}
    assert counts == [
        db.session.scalar(select(func.count()).select_from(model))
        for model in (LocalAuthority, Organisation, Skill)
    ]
