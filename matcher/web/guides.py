"""The guidance pages a civil servant or an organisation reads before deciding to take part."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Guide:
    """One guidance page: its address, its title and a one-line summary for lists."""

    slug: str
    title: str
    summary: str


GUIDES = (
    Guide(
        "who-can-apply",
        "Who can apply for a placement",
        "Which civil servants can use this service, and what you need before you start.",
    ),
    Guide(
        "agree-with-your-line-manager",
        "Agree a placement with your line manager",
        "Why you need your manager\u2019s agreement, when to ask and what to talk about.",
    ),
    Guide(
        "pay-expenses-and-terms",
        "Pay, expenses and terms during a placement",
        "Who pays you, how travel and subsistence work, and what stays the same.",
    ),
    Guide(
        "after-you-accept-an-offer",
        "What happens after you accept an offer",
        "The steps between saying yes and your first day with the host organisation.",
    ),
    Guide(
        "what-organisations-get",
        "What councils, police forces and partnerships get",
        "How hosting a civil servant helps your organisation, and what it asks of you.",
    ),
)
GUIDE_BY_SLUG = {guide.slug: guide for guide in GUIDES}
