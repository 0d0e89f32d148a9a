"""A mail backend that sends through GOV.UK Notify's API instead of SMTP.

Notify sends from templates: each kind of email (the ``X-Matcher-Kind`` header, one of
``config.MAIL_KINDS``) goes through the template ``NOTIFY_TEMPLATE_<KIND>`` names, with the
message's subject and plain-text body as the personalisation ``subject`` and ``body``; the
digest's unsubscribe link also goes as Notify's one-click unsubscribe URL. Notify's
``reference`` is the delivery row's id (the ``X-Matcher-Delivery`` header), so a message sent
twice is recognisable in Notify as the same delivery.

What Notify's answers mean here:

- 201: Notify has the message.
- 400: refused for good. ``NotifyRefusal.about_recipient`` says whether the recipient's address
  was the reason (then the callers suppress it) or our request was (a template, a team-only key,
  trial mode), which is logged as an ERROR and never held against the address.
- 429 (rate or daily limit), 5xx, no answer: temporary, tried again later with backoff.
- 401, 403 (the key is rejected) and anything else: our configuration, not the recipient:
  temporary, so the messages wait for the key to be fixed, with an ERROR in the log each time.

The commit point: HTTP has no "." to write, so ``commit_point()`` runs just before the POST,
``finish(True)`` after a 2xx and ``finish(False)`` after anything else. A POST whose answer is
lost (a timeout, a dropped connection, a crash before ``finish``) may have reached Notify all
the same: the delivery is then sent again with the same reference. At least once, never lost.
"""

from __future__ import annotations

import logging
from email.message import EmailMessage
from email.utils import parseaddr
from types import TracebackType
from typing import Any, Self

from notifications_python_client import NotificationsAPIClient
from notifications_python_client.errors import HTTPError

from config import Settings
from matcher.mail.backends import CommitPoint, PermanentMailError, TransientMailError
from matcher.mail.wire import DELIVERY_HEADER, KIND_HEADER, WireMessage

logger = logging.getLogger(__name__)

# One slow answer ends a digest batch (which is retried), so wait less than the client's 30 s.
REQUEST_TIMEOUT_SECONDS = 10


class NotifyRefusal(PermanentMailError):
    """Notify refused the request for good (400); sending it again will not help."""

    def __init__(self, message: str, reply: str, about_recipient: bool) -> None:
        super().__init__(message, 400, reply)
        # Only a refusal of the address itself is the recipient's: the rest is our request.
        self.about_recipient = about_recipient


def _errors(error: HTTPError) -> list[tuple[str, str]]:
    """Notify's (error, message) pairs from its error body, or none when it sent no JSON."""
    try:
        body = error.response.json()
        return [(str(item["error"]), str(item["message"])) for item in body["errors"]]
    except (AttributeError, TypeError, ValueError, KeyError):
        return []


def _translate(error: HTTPError) -> PermanentMailError | TransientMailError:
    """The mail error Notify's answer amounts to (see the module docstring)."""
    if error.response is None:
        return TransientMailError(f"cannot reach GOV.UK Notify: {type(error.__cause__).__name__}")
    status = error.status_code
    errors = _errors(error)
    kinds = ", ".join(sorted({kind for kind, _ in errors})) or "no error body"
    # Notify's messages name the field and the rule, never the address itself.
    reply = "; ".join(message for _, message in errors)
    if status == 400:
        about_recipient = any(message.startswith("email_address ") for _, message in errors)
        if not about_recipient:
            logger.error("GOV.UK Notify refused our request for good: %s", reply or kinds)
        return NotifyRefusal(
            f"GOV.UK Notify refused the message: 400 {kinds}", reply, about_recipient
        )
    if status == 429 or status >= 500:
        return TransientMailError(f"GOV.UK Notify is unavailable for now: {status} {kinds}", status)
    if status in (401, 403):
        logger.error(
            "GOV.UK Notify rejected the API key (%s: %s); check NOTIFY_API_KEY", status, reply
        )
    else:
        logger.error("GOV.UK Notify answered %s (%s); check NOTIFY_BASE_URL", status, reply)
    return TransientMailError(f"GOV.UK Notify refused our request: {status} {kinds}", status)


def _personalised(message: EmailMessage | WireMessage) -> dict[str, Any]:
    """What Notify's send-email request needs from ``message``, bar the template id."""
    email = message.as_email() if isinstance(message, WireMessage) else message
    body = email.get_body(preferencelist=("plain",))
    unsubscribe = str(email.get("List-Unsubscribe", "")).strip().strip("<>")
    return {
        "email_address": parseaddr(str(email["To"]))[1],
        "kind": str(email[KIND_HEADER]),
        "personalisation": {
            "subject": str(email["Subject"]),
            "body": body.get_content() if body is not None else "",
        },
        "reference": email.get(DELIVERY_HEADER),
        "one_click_unsubscribe_url": unsubscribe or None,
    }


class NotifyBackend:
    """Send each message as one request to GOV.UK Notify, over one HTTP session per batch."""

    def __init__(self, settings: Settings) -> None:
        self.api_key = settings.notify_api_key
        self.base_url = settings.notify_base_url
        self.template_ids = dict(settings.notify_template_ids)
        self._client: NotificationsAPIClient | None = None

    def __enter__(self) -> Self:
        self._client = NotificationsAPIClient(
            self.api_key, base_url=self.base_url, timeout=REQUEST_TIMEOUT_SECONDS
        )
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.request_session.close()

    def send(
        self,
        message: EmailMessage | WireMessage,
        commit_point: CommitPoint | None = None,
    ) -> dict[str, Any]:
        """Send ``message``; return Notify's answer (the notification's id and content)."""
        if self._client is None:
            raise RuntimeError("NotifyBackend.send outside its with block")
        request = _personalised(message)
        template_id = self.template_ids[request.pop("kind")]
        finish = commit_point() if commit_point is not None else None
        try:
            answer = self._client.send_email_notification(template_id=template_id, **request)
        except BaseException as error:
            if finish is not None:
                finish(False)
            if isinstance(error, HTTPError):
                raise _translate(error) from error
            raise
        if finish is not None:
            finish(True)
        return answer
