"""Building email messages: headers from settings, a plain-text part and an HTML alternative."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import Policy
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from config import Settings
from matcher.mail.wire import recipient_value, subject_value, tagged_headers
from matcher.models import utcnow

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates" / "email"


@cache
def _environment() -> Environment:
    # A plain Jinja environment, not Flask's: workers and benchmarks render without an app.
    return Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )


def render_email(name: str, context: Mapping[str, Any]) -> tuple[str, str]:
    """Render the ``name.txt`` and ``name.html`` templates; return (text, html)."""
    environment = _environment()
    text = environment.get_template(f"{name}.txt").render(context)
    html = environment.get_template(f"{name}.html").render(context)
    return text, html


class _Folded(str):
    """A header the message prints as ``folded`` gives it, not as the email package refolds it.

    Assigned as plain strings, the email package's own folder drops the space between two
    encoded words where it folds a line, so a subject "Data 🚀 team" arrived as "Data🚀 team",
    and it split and respaced names in To. The header still reads as ``value``.
    """

    defects = ()
    name: str
    _folded: Callable[[str], str]

    def __new__(cls, name: str, value: str, folded: Callable[[str], str]) -> _Folded:
        header = super().__new__(cls, value)
        header.name = name
        header._folded = folded
        return header

    def fold(self, *, policy: Policy) -> str:
        return f"{self.name}: {self._folded(policy.linesep)}{policy.linesep}"


def _subject(subject: str) -> _Folded:
    subject = " ".join(subject.splitlines())
    return _Folded("Subject", subject, lambda linesep: subject_value(subject, linesep))


def _to(to: Address | str) -> Address | str | _Folded:
    if isinstance(to, Address):
        name, address = to.display_name, to.addr_spec
    else:
        name, address = parseaddr(to)
    if not address or not address.isascii():
        return to
    shown = formataddr((name, address)) if name else address
    return _Folded("To", shown, lambda _linesep: recipient_value(name, address))


def _domain(settings: Settings) -> str:
    address = parseaddr(settings.mail_from)[1]
    return address.rpartition("@")[2] or "matcher.localhost"


def mailbox(email: str, display_name: str = "") -> Address:
    """The To: value for ``email``, with the name the person goes by when there is one."""
    username, _, domain = email.partition("@")
    return Address(display_name=display_name, username=username, domain=domain)


def build_message(
    settings: Settings,
    *,
    to: Address | str,
    subject: str,
    text: str,
    html: str,
    kind: str,
    message_id: str | None = None,
    delivery_id: int | None = None,
    headers: Mapping[str, str] | None = None,
) -> EmailMessage:
    """An email to one recipient with From, Reply-To, Date, Message-ID and both parts.

    ``kind`` (one of ``config.MAIL_KINDS``) and ``delivery_id`` (the row the message sends, if
    any) go into headers, where a backend that sends by template (Notify) reads them.
    """
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["Reply-To"] = settings.mail_reply_to
    message["To"] = _to(to)
    message["Subject"] = _subject(subject)
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = message_id or make_msgid(domain=_domain(settings))
    for name, value in tagged_headers(headers, kind, delivery_id).items():
        message[name] = value
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message
