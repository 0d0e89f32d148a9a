"""Verifying an organisation: the rules, the audit entry and the notification event."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from matcher.events import ORGANISATION_VERIFIED
from matcher.extensions import db
from matcher.models import AuditEntry, OutboxEvent, Role, VerificationStatus
from matcher.services import InvalidState, NotFound, NotPermitted
from matcher.services.organisations import verify_organisation
from tests import builders


def test_an_administrator_verifies_a_proposed_organisation(app: Flask):
    admin = builders.user(db.session, role=Role.ADMINISTRATOR)
    organisation = builders.organisation(db.session)

    verify_organisation(db.session, actor_id=admin.id, organisation_id=organisation.id)
    db.session.commit()

    assert organisation.status == VerificationStatus.VERIFIED
    assert organisation.verified_at is not None
    assert organisation.verified_by_id == admin.id
    [entry] = db.session.scalars(select(AuditEntry)).all()
    assert (entry.actor_id, entry.action, entry.object_type, entry.object_id) == (
        admin.id,
        "organisation.verified",
        "organisation",
        str(organisation.id),
    )
    [event] = db.session.scalars(select(OutboxEvent)).all()
    assert (event.task_name, event.payload) == (
        ORGANISATION_VERIFIED,
        {"organisation_id": organisation.id},
    )


def test_only_a_platform_administrator_may_verify(app: Flask):
    member = builders.user(db.session, role=Role.ORGANISATION_MEMBER)
    organisation = builders.organisation(db.session)
    with pytest.raises(NotPermitted):
        verify_organisation(db.session, actor_id=member.id, organisation_id=organisation.id)
    assert organisation.status == VerificationStatus.PROPOSED


def test_an_organisation_is_verified_only_once(app: Flask):
    admin = builders.user(db.session, role=Role.ADMINISTRATOR)
    organisation = builders.organisation(db.session)
    verify_organisation(db.session, actor_id=admin.id, organisation_id=organisation.id)
    with pytest.raises(InvalidState, match="is verified, not proposed"):
        verify_organisation(db.session, actor_id=admin.id, organisation_id=organisation.id)


def test_a_missing_organisation_is_not_found(app: Flask):
    admin = builders.user(db.session, role=Role.ADMINISTRATOR)
    with pytest.raises(NotFound):
        verify_organisation(db.session, actor_id=admin.id, organisation_id=999)
