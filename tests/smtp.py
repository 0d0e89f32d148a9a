"""A real SMTP server on loopback (aiosmtpd) that records what it receives, and misbehaves.

Drills make it fail the way real servers do: answer 421 to a number of messages, stop
listening for a while (connections refused, those open dropped), or take a message and close
the connection before replying to its final "." (as a server dying at that moment would).
"""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.waiting import unused_port


@dataclass(frozen=True)
class Received:
    """One message taken: the envelope, the parsed message, and whether the sender heard 250.

    An unanswered message may or may not have been delivered: a server that died before its
    reply may have queued it or lost it.
    """

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    answered: bool = True


@dataclass
class SMTPSink:
    """An aiosmtpd handler that accepts mail, unless told to refuse or misbehave.

    ``refuse`` answers given recipients with a reply, ``refuse_all`` every recipient;
    ``refuse_next`` answers that many messages' recipients 421; ``leave_unanswered`` takes the
    next message to each of its addresses and closes the connection instead of replying;
    ``stop`` and ``start`` take the server off its port and put it back.
    """

    host: str = "127.0.0.1"
    port: int = 0
    received: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    refuse_all: str | None = None
    refuse_next: int = 0
    refused: int = 0
    leave_unanswered: set[str] = field(default_factory=set)
    _controller: Controller | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        reply = self.refuse_all or self.refuse.get(address.lower())
        if reply:
            return reply
        with self._lock:
            if self.refuse_next > 0:
                self.refuse_next -= 1
                self.refused += 1
                return "421 4.3.2 Too busy, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            recipients = {address.lower() for address in envelope.rcpt_tos}
            answered = not recipients & self.leave_unanswered
            self.leave_unanswered -= recipients
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), message, answered)
            )
        if not answered:
            # The reply written below goes nowhere: the sender sees its connection end.
            server.transport.abort()
        return "250 Message accepted for delivery"

    def start(self) -> None:
        """Listen on ``port`` (again)."""
        controller = Controller(self, hostname=self.host, port=self.port)
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        """Stop listening and drop the connections open: new ones are refused until ``start``."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def refusing_connections(self) -> bool:
        """Whether a connection to ``port`` is refused right now."""
        try:
            socket.create_connection((self.host, self.port), timeout=1).close()
        except ConnectionRefusedError:
            return True
        return False

    def messages(self) -> list[Received]:
        """A snapshot of what has arrived so far."""
        with self._lock:
            return list(self.received)

    def per_recipient(self, answered_only: bool = False) -> Counter[str]:
        """How many messages each recipient got (only those the sender heard 250 for)."""
        return Counter(
            address
            for received in self.messages()
            if received.answered or not answered_only
            for address in received.rcpt_tos
        )

    def message_ids(self, recipient: str) -> set[str]:
        """The Message-IDs of every message ``recipient`` got."""
        return {
            str(received.message["Message-ID"])
            for received in self.messages()
            if recipient in received.rcpt_tos
        }

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        """Wait until at least ``count`` messages arrived; fail after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            arrived = self.messages()
            if len(arrived) >= count:
                return arrived
            time.sleep(0.05)
        raise AssertionError(f"expected {count} messages within {timeout} s, got {self.messages()}")


@contextmanager
def running_smtp_sink() -> Iterator[SMTPSink]:
    """Run an ``SMTPSink`` on a free loopback port for the duration of the block."""
    sink = SMTPSink(port=unused_port())
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()
