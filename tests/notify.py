"""A local HTTP server that answers like GOV.UK Notify's send-email endpoint, for contract tests.

It checks what Notify checks before sending: a bearer JWT signed (HS256) with the key's secret
and issued by its service id, and a JSON body with an email address and a template id. It
records every request it accepted the token of, and answers 201 unless told otherwise, with
Notify's own body shapes.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt

from tests.waiting import unused_port

SERVICE_ID = "26785a09-ab16-4eb0-8407-a37497a57506"
SECRET = "3d844edf-8d35-48ac-975b-e847b4f122b0"
API_KEY = f"matcher_test-{SERVICE_ID}-{SECRET}"
# The same service, but a secret Notify does not know: as a revoked or mistyped key.
UNKNOWN_KEY = f"matcher_test-{SERVICE_ID}-{uuid.UUID(int=1)}"

INVALID_ADDRESS = (400, "ValidationError", "email_address Not a valid email address")
TEAM_ONLY_KEY = (400, "BadRequestError", "Can't send to this recipient using a team-only API key")
RATE_LIMITED = (
    429,
    "RateLimitError",
    "Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds",
)
SERVER_ERROR = (500, "Exception", "Internal server error")


@dataclass(frozen=True)
class NotifyRequest:
    """One send-email request, as Notify received it."""

    email_address: str
    template_id: str
    personalisation: dict[str, str]
    reference: str | None
    one_click_unsubscribe_url: str | None


@dataclass
class FakeNotify:
    """What the server has received and how it answers: by address, or every request alike."""

    port: int
    requests: list[NotifyRequest] = field(default_factory=list)
    answer_for: dict[str, tuple[int, str, str]] = field(default_factory=dict)
    answer_all: tuple[int, str, str] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def received(self) -> list[NotifyRequest]:
        with self._lock:
            return list(self.requests)

    def answer(self, headers: Any, body: bytes) -> tuple[int, dict[str, Any]]:
        token = headers.get("Authorization", "").removeprefix("Bearer ")
        try:
            claims = jwt.decode(token, SECRET, algorithms=["HS256"], options={"require": ["iat"]})
        except jwt.PyJWTError:
            return _error(403, "AuthError", "Invalid token: API key not found")
        if claims.get("iss") != SERVICE_ID:
            return _error(403, "AuthError", "Invalid token: service not found")
        data = json.loads(body)
        if not data.get("email_address") or not data.get("template_id"):
            return _error(400, "ValidationError", "email_address is a required property")
        request = NotifyRequest(
            data["email_address"],
            data["template_id"],
            data.get("personalisation", {}),
            data.get("reference"),
            data.get("one_click_unsubscribe_url"),
        )
        with self._lock:
            self.requests.append(request)
            scripted = self.answer_all or self.answer_for.get(request.email_address)
        if scripted is not None:
            return _error(*scripted)
        return 201, {
            "id": str(uuid.uuid4()),
            "reference": request.reference,
            "content": {
                "subject": request.personalisation.get("subject", ""),
                "body": request.personalisation.get("body", ""),
                "from_email": "find.a.placement@notifications.service.gov.uk",
            },
            "uri": f"{self.base_url}/v2/notifications/{uuid.uuid4()}",
            "template": {"id": request.template_id, "version": 1, "uri": ""},
        }


def _error(status: int, error: str, message: str) -> tuple[int, dict[str, Any]]:
    return status, {"status_code": status, "errors": [{"error": error, "message": message}]}


@contextmanager
def running_fake_notify() -> Iterator[FakeNotify]:
    """Run a ``FakeNotify`` on a free loopback port for the duration of the block."""
    notify = FakeNotify(port=unused_port())

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            if self.path != "/v2/notifications/email":
                status, payload = _error(404, "NotFound", "Not found")
            else:
                length = int(self.headers.get("Content-Length", 0))
                status, payload = notify.answer(self.headers, self.rfile.read(length))
            body = json.dumps(payload).encode()
            self.send_response(HTTPStatus(status))
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", notify.port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield notify
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
