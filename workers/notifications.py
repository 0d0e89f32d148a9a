"""Email notifications triggered by outbox events."""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from config import Settings
from matcher.events import ORGANISATION_VERIFIED
from matcher.mail import build_message, mail_backend_for, mailbox, render_email
from matcher.models import Membership, MembershipRole, Organisation, User, VerificationStatus
from workers.outbox_tasks import outbox_task
from workers.queues import QUEUE_EMAIL

logger = logging.getLogger(__name__)


@outbox_task(ORGANISATION_VERIFIED, queue=QUEUE_EMAIL)
def organisation_verified(session: Session, payload: dict[str, Any]) -> None:
    """Email every admin member of a newly verified organisation."""
    settings: Settings = current_app.config["MATCHER_SETTINGS"]
    organisation = session.get(Organisation, payload["organisation_id"])
    if organisation is None or organisation.status != VerificationStatus.VERIFIED:
        logger.info("organisation %s is not verified; nothing to send", payload["organisation_id"])
        return
    admins = session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.organisation_id == organisation.id,
            Membership.role == MembershipRole.ADMIN,
        )
        .order_by(User.id)
    ).all()
    if not admins:
        return
    with mail_backend_for(settings) as mailer:
        for admin in admins:
            text, html = render_email(
                "organisation_verified",
                {
                    "recipient_name": admin.display_name,
                    "organisation_name": organisation.name,
                    "sign_in_url": f"{settings.base_url}/",
                },
            )
            mailer.send(
                build_message(
                    settings,
                    to=mailbox(admin.email, admin.display_name),
                    subject="Your organisation is verified",
                    text=text,
                    html=html,
                )
            )
    logger.info("organisation %s verified: emailed %d admins", organisation.id, len(admins))
