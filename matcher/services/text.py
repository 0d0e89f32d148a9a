"""Which characters saved text may hold: one rule for every name, title, message and note.

A name or title is one line: a CR or LF in one would break the email headers it is put in (a
display name in To:, a title in Subject:). A message may hold line breaks and tabs. Neither may
hold other control characters, nor the bidirectional overrides that make text read differently
from what it is.
"""

from __future__ import annotations

import unicodedata

from matcher.services.messages import message
from matcher.services.validation import ValidationFailed

# How much of a search box's words a search reads: the pages keep this much of what was typed,
# and the API refuses more.
SEARCH_TEXT_MAX = 200
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_LINE_CONTROLS = frozenset("\n\t")


def has_hidden_characters(text: str, *, multiline: bool = False) -> bool:
    """Whether ``text`` holds a character that may not be saved in it."""
    allowed = _LINE_CONTROLS if multiline else frozenset()
    return any(
        (unicodedata.category(char) == "Cc" and char not in allowed) or char in _BIDI_CONTROLS
        for char in text
    )


def hidden_characters_message(label: str, *, multiline: bool = False) -> str:
    """What to tell someone whose ``label`` holds a character it may not."""
    if multiline:
        return (
            f"{label} must not include hidden formatting characters. "
            "Copying and pasting can add them: type the words instead"
        )
    return (
        f"{label} must be one line, without hidden formatting characters. "
        "Copying and pasting can add them: type the words instead"
    )


def plain_line_breaks(text: str) -> str:
    """``text`` with Windows and old Mac line endings made plain newlines."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def checked_text(
    errors: dict[str, str],
    field: str,
    value: str | None,
    *,
    label: str,
    limit: int,
    missing: str,
    multiline: bool = False,
) -> str:
    """``value`` trimmed; records in ``errors[field]`` why it is missing, hides characters or is
    longer than ``limit`` (``missing`` is the words for an empty value)."""
    value = plain_line_breaks(value or "").strip()
    if not value:
        errors[field] = missing
    elif has_hidden_characters(value, multiline=multiline):
        errors[field] = hidden_characters_message(label, multiline=multiline)
    elif len(value) > limit:
        errors[field] = message("text.too_long", label=label, most=limit)
    return value


def checked_reason(value: str | None, missing: str, limit: int, field: str = "reason") -> str:
    """An administrator's reason for taking something down, trimmed; ValidationFailed on
    ``field`` when it is empty (``missing``), hides characters or is longer than ``limit``."""
    errors: dict[str, str] = {}
    reason = checked_text(
        errors, field, value, label="Reason", limit=limit, missing=missing, multiline=True
    )
    if errors:
        raise ValidationFailed(errors)
    return reason
