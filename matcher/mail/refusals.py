"""Which permanent refusals are about the recipient's address, so that address is suppressed."""

from __future__ import annotations

import smtplib

from matcher.mail.backends import PermanentMailError
from matcher.mail.notify import NotifyRefusal


def is_recipient_refusal(error: PermanentMailError) -> bool:
    """Whether ``error`` refused the recipient's address rather than our sender, key or request."""
    if isinstance(error, NotifyRefusal):
        return error.about_recipient
    # SMTP: a refused sender is our configuration's problem, never the recipient's address.
    return not isinstance(error.__cause__, smtplib.SMTPSenderRefused)
