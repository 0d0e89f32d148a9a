"""Mail backends: .eml files in an outbox folder (development) and SMTP (production).

Both are context managers: open once, send a batch, close. ``send`` raises
``TransientMailError`` when trying again later may succeed (4xx replies, refused or dropped
connections, timeouts, authentication trouble) and ``PermanentMailError`` when the server
refused this message or recipient for good (5xx to MAIL, RCPT or DATA).

``send(message, commit_point=...)`` calls ``commit_point()`` at the last moment before the
message becomes the mail system's: for SMTP, after the whole body is written and just before
the final "." that ends DATA; for the folder, just before the file takes its visible name. If
``commit_point`` raises, the message is abandoned: the SMTP connection is dropped mid-DATA,
which makes the server discard it. ``commit_point`` may return ``finish(handed_over)``, which is
called straight after the "." is written (or the file renamed) with True, before the server's
reply is read, or with False if writing the "." failed. A sender prepares its "handed over"
record in ``commit_point`` (checking the message is still its to send) and commits it in
``finish``: a crash then leaves each message either not handed over and not recorded, or
handed over and recorded, bar the microseconds between two writes to two sockets.
"""

from __future__ import annotations

import logging
import os
import re
import smtplib
import socket
import ssl
import tempfile
import uuid
from collections.abc import Callable
from email import policy
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from pathlib import Path
from types import TracebackType
from typing import Protocol, Self, TypeAlias

from config import Settings
from matcher.mail.wire import WireMessage

logger = logging.getLogger(__name__)

# ``commit_point()``, optionally returning ``finish(handed_over)``: see the module docstring.
CommitPoint: TypeAlias = Callable[[], "Callable[[bool], None] | None"]


class MailError(Exception):
    """A message could not be handed to the mail system."""

    def __init__(self, message: str, code: int | None = None, reply: str = "") -> None:
        super().__init__(message)
        self.code = code
        # The server's words may quote the address, so they stay out of the message (and logs).
        self.reply = reply


class TransientMailError(MailError):
    """The mail system is unavailable for now; the same message may succeed later."""


class PermanentMailError(MailError):
    """The mail system refused this message or recipient; sending it again will not help."""


class MailBackend(Protocol):
    """What the mailer needs from a backend."""

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...

    def send(
        self,
        message: EmailMessage | WireMessage,
        commit_point: CommitPoint | None = None,
    ) -> object: ...


class OutboxFolderBackend:
    """Write each message as an .eml file into a folder, atomically."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __enter__(self) -> Self:
        self.folder.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        return None

    def send(
        self,
        message: EmailMessage | WireMessage,
        commit_point: CommitPoint | None = None,
    ) -> Path:
        """Write ``message``; return the path of the new .eml file."""
        self.folder.mkdir(parents=True, exist_ok=True)
        data = (
            message.data
            if isinstance(message, WireMessage)
            else message.as_bytes(policy=policy.SMTP)
        )
        descriptor, temporary = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            # Readers list *.eml, so they never see a half-written message.
            path = self.folder / f"{uuid.uuid4().hex}.eml"
            finish = commit_point() if commit_point is not None else None
            try:
                os.replace(temporary, path)
            except BaseException:
                if finish is not None:
                    finish(False)
                raise
            if finish is not None:
                finish(True)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return path


def _classify(what: str, code: int, reply: bytes | str) -> MailError:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    if 400 <= code < 500:
        return TransientMailError(f"{what}: {code}", code, text)
    return PermanentMailError(f"{what}: {code}", code, text)


class SMTPBackend:
    """Send through one SMTP connection per batch, with STARTTLS and login when configured."""

    def __init__(self, settings: Settings) -> None:
        self.host = settings.smtp_host
        self.port = settings.smtp_port
        self.username = settings.smtp_username
        self.password = settings.smtp_password
        self.starttls = settings.smtp_starttls
        self.timeout = settings.smtp_timeout_seconds
        self._connection: smtplib.SMTP | None = None

    def __enter__(self) -> Self:
        self._connect()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Say QUIT and close the connection, ignoring a server that has already gone."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.quit()
        except (smtplib.SMTPException, OSError):
            connection.close()

    def _connect(self) -> smtplib.SMTP:
        if self._connection is not None:
            return self._connection
        try:
            connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        except smtplib.SMTPConnectError as error:
            raise TransientMailError(
                f"SMTP server refused the connection: {error.smtp_code}", error.smtp_code
            ) from error
        except (OSError, smtplib.SMTPException) as error:
            raise TransientMailError(f"cannot connect to the SMTP server: {error}") from error
        try:
            # The body and the final "." go out in two writes (the commit point sits between
            # them); with Nagle's algorithm on, the "." would wait for the server's delayed ACK
            # of the body (40 ms on Linux) on every message.
            assert connection.sock is not None, "connect() opened it"
            connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            connection.ehlo()
            if self.starttls:
                connection.starttls(context=ssl.create_default_context())
                connection.ehlo()
            if self.username:
                connection.login(self.username, self.password)
        except (OSError, smtplib.SMTPException) as error:
            connection.close()
            # A failed handshake or login is the server's or our configuration's problem, never
            # the recipient's, so it must not count against the address.
            raise TransientMailError(f"SMTP session set-up failed: {error}") from error
        self._connection = connection
        return connection

    def send(
        self,
        message: EmailMessage | WireMessage,
        commit_point: CommitPoint | None = None,
    ) -> dict[str, tuple[int, bytes]]:
        """Send ``message``; return the recipients refused when others were accepted."""
        connection = self._connect()
        try:
            if commit_point is not None:
                return _send_with_commit_point(connection, message, commit_point)
            if isinstance(message, WireMessage):
                return connection.sendmail(message.sender, list(message.recipients), message.data)
            return connection.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            answers = list(error.recipients.values())
            # Every recipient was refused; if any only for now, the message is worth retrying.
            code, reply = next((answer for answer in answers if answer[0] < 500), answers[0])
            raise _classify("recipient refused", code, reply) from error
        except smtplib.SMTPResponseException as error:
            raise _classify("SMTP server refused", error.smtp_code, error.smtp_error) from error
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            raise TransientMailError(f"SMTP connection lost: {error}") from error
        except smtplib.SMTPException as error:
            raise TransientMailError(f"SMTP failure: {error}") from error
        finally:
            if connection.sock is None:
                # smtplib closed it (a 421 reply, a disconnect): the next send reconnects.
                self._connection = None


def _send_with_commit_point(
    connection: smtplib.SMTP,
    message: EmailMessage | WireMessage,
    commit_point: CommitPoint,
) -> dict[str, tuple[int, bytes]]:
    """``smtplib.SMTP.send_message`` for one message, calling ``commit_point`` before the "."."""
    if isinstance(message, WireMessage):
        sender, recipients, data = message.sender, list(message.recipients), message.data
    else:
        sender = parseaddr(str(message["Sender"] or message["From"]))[1]
        recipients = [address for _, address in getaddresses(message.get_all("To", []))]
        data = message.as_bytes(policy=policy.SMTP)
    connection.ehlo_or_helo_if_needed()
    code, reply = connection.mail(sender)
    if code != 250:
        _abandon_transaction(connection, code)
        raise smtplib.SMTPSenderRefused(code, reply, sender)
    refused: dict[str, tuple[int, bytes]] = {}
    for recipient in recipients:
        code, reply = connection.rcpt(recipient)
        if code not in (250, 251):
            refused[recipient] = (code, reply)
            if code == 421:
                connection.close()
                raise smtplib.SMTPRecipientsRefused(refused)
    if len(refused) == len(recipients):
        _abandon_transaction(connection, 0)
        raise smtplib.SMTPRecipientsRefused(refused)
    connection.putcmd("data")
    code, reply = connection.getreply()
    if code != 354:
        _abandon_transaction(connection, code)
        raise smtplib.SMTPDataError(code, reply)
    # Dot-stuffing (RFC 5321 4.5.2), as smtplib does for lines that start with ".".
    body = _DOT_AT_LINE_START.sub(b"..", data)
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    connection.send(body)
    try:
        finish = commit_point()
    except BaseException:
        # Without the final "." the server never takes the message; closing discards it.
        connection.close()
        raise
    try:
        connection.send(b".\r\n")
    except BaseException:
        if finish is not None:
            finish(False)
        raise
    if finish is not None:
        try:
            finish(True)
        except BaseException:
            # The server has the message, but its reply will never be read: start afresh.
            connection.close()
            raise
    code, reply = connection.getreply()
    if code != 250:
        _abandon_transaction(connection, code)
        raise smtplib.SMTPDataError(code, reply)
    return refused


_DOT_AT_LINE_START = re.compile(rb"(?m)^\.")


def _abandon_transaction(connection: smtplib.SMTP, code: int) -> None:
    # A 421 means the server is closing the channel; anything else leaves the session usable.
    if code == 421:
        connection.close()
        return
    try:
        connection.rset()
    except (smtplib.SMTPException, OSError):
        connection.close()


def mail_backend_for(settings: Settings) -> MailBackend:
    """The backend ``settings.mail_backend`` names."""
    if settings.mail_backend == "smtp":
        return SMTPBackend(settings)
    if settings.mail_backend == "notify":
        from matcher.mail.notify import NotifyBackend  # imported late: it imports this module

        return NotifyBackend(settings)
    return OutboxFolderBackend(settings.mail_outbox_dir)
