"""Turn digest content into an email: subject, plain-text and HTML parts, headers."""

from __future__ import annotations

from typing import Any

from config import Settings
from matcher.digests.content import DigestContent
from matcher.digests.links import (
    digest_url,
    follow_themes_url,
    interest_url,
    placement_people_url,
    placement_url,
    practice_note_url,
    preferences_url,
    unsubscribe_url,
)
from matcher.digests.periods import describe
from matcher.mail import render_email
from matcher.mail.wire import WireMessage, build_wire_message
from matcher.models import DigestKind, Role

SERVICE_NAME = "Find a placement in local public service"


def _count(number: int, singular: str, plural: str | None = None) -> str:
    return f"{number} {singular if number == 1 else (plural or singular + 's')}"


def subject_for(content: DigestContent) -> str:
    """A subject line that says what is inside."""
    parts: list[str] = []
    if content.recipient.role == Role.CIVIL_SERVANT:
        if content.new_matches:
            parts.append(
                _count(len(content.new_matches), "new placement match", "new placement matches")
            )
        if content.closing_soon:
            parts.append(_count(len(content.closing_soon), "match", "matches") + " closing soon")
        if content.interest_changes:
            parts.append(_count(len(content.interest_changes), "update") + " on your interests")
        if content.new_practice_notes:
            parts.append(_count(len(content.new_practice_notes), "new practice note"))
    else:
        interested = sum(line.count for line in content.new_interest)
        if interested:
            parts.append(_count(interested, "new interested person", "new interested people"))
        accepted = sum(line.count for line in content.accepted)
        if accepted:
            parts.append(_count(accepted, "offer") + " accepted")
        recommended = sum(len(line.people) for line in content.recommendations)
        if recommended:
            parts.append(_count(recommended, "recommended person", "recommended people"))
        if content.own_closing_soon:
            parts.append(_count(len(content.own_closing_soon), "placement") + " closing soon")
    if len(parts) > 1:
        summary = f"{', '.join(parts[:-1])} and {parts[-1]}"
    else:
        summary = "".join(parts) or "Nothing new"
    kind = "weekly" if content.kind == DigestKind.WEEKLY else "daily"
    return f"{summary[0].upper()}{summary[1:]}: your {kind} digest"


def template_context(
    settings: Settings,
    secret_key: str,
    content: DigestContent,
    period: str,
    delivery_id: int | None = None,
) -> dict[str, Any]:
    """What the digest templates (email and web page) need, links included.

    ``delivery_id`` names the delivery being sent, whose copy "see this digest on the web" opens;
    without one (previews) that link opens the next digest.
    """
    return {
        "service_name": SERVICE_NAME,
        "content": content,
        "recipient_name": content.recipient.name,
        "is_civil_servant": content.recipient.role == Role.CIVIL_SERVANT,
        "kind": "weekly" if content.kind == DigestKind.WEEKLY else "daily",
        "period_description": describe(period),
        "subject": subject_for(content),
        "digest_url": digest_url(settings, delivery_id),
        "preferences_url": preferences_url(settings, content.recipient.role),
        "unsubscribe_url": unsubscribe_url(settings, secret_key, content.recipient.id),
        "placement_url": lambda placement_id: placement_url(settings, placement_id),
        "practice_note_url": lambda note_id: practice_note_url(settings, note_id),
        "follow_themes_url": follow_themes_url(settings),
        "people_url": lambda placement_id: placement_people_url(settings, placement_id),
        "interest_url": lambda line: (
            interest_url(settings, line.interest_id)
            if line.interest_id is not None
            else placement_url(settings, line.placement_id)
        ),
    }


def render_digest(
    settings: Settings,
    secret_key: str,
    content: DigestContent,
    period: str,
    message_id: str,
    delivery_id: int | None = None,
) -> WireMessage:
    """The digest email, with a stable Message-ID and RFC 8058 one-click unsubscribe headers.

    Serialised straight to wire bytes (``WireMessage``): building an ``EmailMessage`` and
    flattening it cost three times as much as rendering both templates.
    """
    context = template_context(settings, secret_key, content, period, delivery_id)
    text, html = render_email("digest", context)
    return build_wire_message(
        settings,
        name=content.recipient.name,
        address=content.recipient.email,
        subject=context["subject"],
        text=text,
        html=html,
        kind="digest",
        message_id=message_id,
        delivery_id=delivery_id,
        headers={
            "List-Unsubscribe": f"<{context['unsubscribe_url']}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
