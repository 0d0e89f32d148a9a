"""The feedback form; its rules live in matcher.services.feedback."""

from __future__ import annotations

from wtforms import EmailField, TextAreaField

from matcher.web.forms import GovCharacterCount, SubmitOnceForm
from matcher.web.forms.accounts import EmailInput


class FeedbackForm(SubmitOnceForm):
    """What the person was trying to do, what could be better, and an optional address."""

    trying_to_do = TextAreaField("What were you trying to do?", widget=GovCharacterCount())
    could_be_better = TextAreaField(
        "What went wrong, or what could be better?",
        description="Do not include personal information, like your name or National "
        "Insurance number",
        widget=GovCharacterCount(),
    )
    reply_email = EmailField(
        "Email address (optional)",
        description="Only if you would like a reply. We will not use it for anything else",
        widget=EmailInput(),
    )
