"""The reflection form; its rules live in matcher.services.reflections."""

from __future__ import annotations

from wtforms import HiddenField, RadioField, SelectMultipleField, TextAreaField

from matcher.web.forms import BaseForm, GovCharacterCount, GovCheckboxes, GovRadios, options

RATINGS = [
    ("5", "5 (excellent)"),
    ("4", "4 (good)"),
    ("3", "3 (fair)"),
    ("2", "2 (poor)"),
    ("1", "1 (very poor)"),
]


class ReflectionForm(BaseForm):
    """What was learned, what it informed, whether to recommend it, a rating, and consent.

    The view words the questions for the side answering; the secondee alone is asked about
    quoting.
    """

    learned = TextAreaField("What did you learn?", widget=GovCharacterCount())
    informed = TextAreaField(
        "Which policy or service did it inform? (optional)",
        description="For example, a policy you have worked on since, or a service that changed "
        "because of it",
        widget=GovCharacterCount(),
    )
    recommend = RadioField(
        "Would you recommend it?",
        choices=options([("yes", "Yes"), ("no", "No")]),
        validate_choice=False,
        widget=GovRadios(),
    )
    rating = RadioField(
        "How would you rate it overall?",
        choices=options(RATINGS),
        validate_choice=False,
        widget=GovRadios(),
    )
    may_quote = SelectMultipleField(
        "Can we quote what you learned?",
        choices=options(
            [("yes", "Yes, you may quote what I learned on the organisation's public page")]
        ),
        description="We show your words, the placement and your department, never your name",
        validate_choice=False,
        widget=GovCheckboxes(),
    )
    version = HiddenField()
