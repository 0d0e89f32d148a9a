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
from matcher.mail.wire import WireMessage, build_wire_message

__all__ = [
    "MailBackend",
    "MailError",
    "OutboxFolderBackend",
    "PermanentMailError",
    "SMTPBackend",
    "TransientMailError",
    "WireMessage",
    "build_message",
    "build_wire_message",
    "mail_backend_for",
    "mailbox",
    "render_email",
]
