"""Email: message building, templates and the backends that deliver messages."""

from matcher.mail.backends import (
    MailBackend,
    MailError,
    OutboxFolderBackend,
    PermanentMailError,
    SMTPBackend,
    TransientMailError,
    mail_backend_for,
)
from matcher.mail.message import build_message, mailbox, render_email
from matcher.mail.notify import NotifyBackend, NotifyRefusal
from matcher.mail.refusals import is_recipient_refusal
from matcher.mail.wire import WireMessage, build_wire_message

__all__ = [
    "MailBackend",
    "MailError",
    "NotifyBackend",
    "NotifyRefusal",
    "OutboxFolderBackend",
    "PermanentMailError",
    "SMTPBackend",
    "TransientMailError",
    "WireMessage",
    "build_message",
    "build_wire_message",
    "is_recipient_refusal",
    "mail_backend_for",
    "mailbox",
    "render_email",
]
