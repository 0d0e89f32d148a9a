"""Constraints live in the schema: the database itself refuses rows that break the rules."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from matcher.extensions import db
from matcher.models import Grade, Organisation, Placement, User


def test_email_must_be_stored_lowercase(app):
    with pytest.raises(IntegrityError):
        db.session.execute(
            insert(User).values(
                email="Someone@Example.gov.uk",
                password_hash="x",
                role="civil_servant",
                display_name="Someone",
            )
        )
