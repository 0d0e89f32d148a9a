"""Messages serialised straight to SMTP wire bytes, for mail sent in bulk (digests).

``email.message.EmailMessage`` parses every header it is given into a tree and folds it back on
output, and ``set_content`` / ``as_bytes`` pick encodings and boundaries with regular
expressions: about 3 ms a message, which is most of the time it takes to render a digest. A
``WireMessage`` writes the same headers and the same multipart/alternative structure directly:
the headers that never change (From, Reply-To) are folded once by the email package and cached;
the rest are simple enough to write by hand, and anything unusual (a non-ASCII address, an
over-long header) falls back to the email package, so the output is always valid RFC 5322/2045.
"""

from __future__ import annotations

import binascii
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from functools import cache

from config import MAIL_KINDS, Settings
from matcher.models import utcnow

# RFC 5322 2.1.1: lines SHOULD be at most 78 characters and MUST be at most 998.
_SOFT_LIMIT = 78
_HARD_LIMIT = 998

# Which kind of email a message is (config.MAIL_KINDS) and which delivery row it sends: the
# Notify backend picks the template by the one and sets Notify's ``reference`` to the other.
KIND_HEADER = "X-Matcher-Kind"
DELIVERY_HEADER = "X-Matcher-Delivery"


def tagged_headers(
    headers: Mapping[str, str] | None, kind: str, delivery_id: int | None
) -> dict[str, str]:
    """``headers`` with the kind and, when the message sends a delivery row, that row's id."""
    if kind not in MAIL_KINDS:
        raise ValueError(f"unknown kind of email {kind!r}; add it to config.MAIL_KINDS")
    tags = {KIND_HEADER: kind}
    if delivery_id is not None:
        tags[DELIVERY_HEADER] = str(delivery_id)
    return {**tags, **(headers or {})}


@dataclass(frozen=True)
class WireMessage:
    """One message ready for SMTP: envelope sender and recipients, Message-ID and the bytes.

    ``data`` uses CRLF line endings and is not dot-stuffed (the SMTP backend does that).
    """

    sender: str
    recipients: tuple[str, ...]
    message_id: str
    data: bytes

    def as_email(self) -> EmailMessage:
        """The message parsed back, for previews and tests."""
        return message_from_bytes(self.data, policy=policy.default)


@cache
def _fixed(mail_from: str, reply_to: str) -> tuple[str, bytes]:
    """The envelope sender and the folded From and Reply-To header lines (computed once)."""
    message = EmailMessage()
    message["From"] = mail_from
    message["Reply-To"] = reply_to
    headers = message.as_bytes(policy=policy.SMTP)
    return parseaddr(mail_from)[1], headers.rstrip(b"\r\n") + b"\r\n"


def _one_line(value: str) -> str:
    # Names and subjects never span lines: a CR or LF would start a header of its own.
    return value.replace("\r", " ").replace("\n", " ")


def subject_value(subject: str, linesep: str = "\r\n") -> str:
    """A Subject header's value on the wire, folded; decoded, it is ``subject`` on one line.

    RFC 2047 encoded words for non-ASCII and folding at spaces for long lines, by
    ``email.header.Header``, which keeps every space inside the encoded text: the email
    package's newer folder drops a space that falls between two encoded words.
    """
    subject = _one_line(subject)
    if subject.isascii() and len(subject) + len("Subject: ") <= _SOFT_LIMIT:
        return subject
    charset = "us-ascii" if subject.isascii() else "utf-8"
    return Header(subject, charset, header_name="Subject").encode(linesep=linesep)


def recipient_value(name: str, address: str) -> str:
    """A To header's value for an ASCII address: a non-ASCII name as one encoded word.

    One encoded word keeps every space in the name; the email package's newer folder splits a
    long name into several words and loses or adds spaces around emoji and right-to-left text.
    """
    name = _one_line(name)
    return formataddr((name, address), charset="utf-8") if name else address


def _part(subtype: str, content: str, boundary: str) -> bytes | None:
    """A text part's headers and body, or None when the boundary occurs in it."""
    content = content.replace("\r\n", "\n").replace("\r", "\n")
    if not content.endswith("\n"):
        content += "\n"
    lines = content.split("\n")
    if content.isascii() and max(map(len, lines)) <= _HARD_LIMIT:
        encoding = "7bit"
        body = content.replace("\n", "\r\n").encode("ascii")
        if boundary.encode() in body:
            return None
    else:
        # Quoted-printable keeps mostly-ASCII text readable and never contains "=_".
        encoding = "quoted-printable"
        body = binascii.b2a_qp(content.encode("utf-8"), istext=True).replace(b"\n", b"\r\n")
    head = (
        f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
        f"Content-Transfer-Encoding: {encoding}\r\n\r\n"
    )
    return head.encode("ascii") + body


def _fallback(
    settings: Settings,
    name: str,
    address: str,
    subject: str,
    text: str,
    html: str,
    message_id: str,
    headers: Mapping[str, str],
) -> WireMessage:
    from matcher.mail.message import build_message  # imported late: message imports this module

    message = build_message(
        settings,
        to=formataddr((name, address)) if name else address,
        subject=subject,
        text=text,
        html=html,
        kind=headers[KIND_HEADER],
        message_id=message_id,
        headers=headers,
    )
    sender, _ = _fixed(settings.mail_from, settings.mail_reply_to)
    return WireMessage(sender, (address,), message_id, message.as_bytes(policy=policy.SMTP))


def build_wire_message(
    settings: Settings,
    *,
    name: str,
    address: str,
    subject: str,
    text: str,
    html: str,
    kind: str,
    message_id: str,
    delivery_id: int | None = None,
    headers: Mapping[str, str] | None = None,
) -> WireMessage:
    """``build_message`` for one recipient, serialised directly: same headers, same two parts."""
    headers = tagged_headers(headers, kind, delivery_id)
    name = _one_line(name)
    extra = [f"{key}: {_one_line(value)}" for key, value in headers.items()]
    if (
        not address.isascii()
        or "\r" in message_id
        or "\n" in message_id
        or any(len(line) > _HARD_LIMIT for line in extra)
    ):
        return _fallback(settings, name, address, subject, text, html, message_id, headers)
    to = recipient_value(name, address)
    boundary = f"=_{secrets.token_hex(12)}"
    text_part = _part("plain", text, boundary)
    html_part = _part("html", html, boundary)
    if text_part is None or html_part is None or len(to) > _HARD_LIMIT - 4:
        return _fallback(settings, name, address, subject, text, html, message_id, headers)
    sender, fixed = _fixed(settings.mail_from, settings.mail_reply_to)
    head = "\r\n".join(
        [
            f"To: {to}",
            f"Subject: {subject_value(subject)}",
            f"Date: {format_datetime(utcnow())}",
            f"Message-ID: {message_id}",
            *extra,
            "MIME-Version: 1.0",
            f'Content-Type: multipart/alternative;\r\n boundary="{boundary}"',
            "",
            "",
        ]
    )
    delimiter = f"\r\n--{boundary}\r\n".encode("ascii")
    data = b"".join(
        [
            fixed,
            head.encode("ascii"),
            delimiter[2:],
            text_part,
            delimiter,
            html_part,
            f"\r\n--{boundary}--\r\n".encode("ascii"),
        ]
    )
    return WireMessage(sender, (address,), message_id, data)
