"""Building messages and delivering them to a folder and to a real SMTP server."""

from __future__ import annotations

from collections.abc import Iterator
from email import message_from_bytes, policy
from email.headerregistry import Address
from pathlib import Path

import pytest

from config import Settings
from matcher.mail import (
    OutboxFolderBackend,
    PermanentMailError,
    SMTPBackend,
    TransientMailError,
    build_message,
    mail_backend_for,
    render_email,
)
from tests.conftest import make_settings
from tests.smtp import SMTPSink, running_smtp_sink
from tests.waiting import unused_port


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(
        tmp_path,
        MAIL_FROM="matcher <no-reply@matcher.example>",
        MAIL_REPLY_TO="help@matcher.example",
    )


@pytest.fixture
def smtp_sink() -> Iterator[SMTPSink]:
    with running_smtp_sink() as sink:
        yield sink


def _smtp_settings(tmp_path: Path, sink_port: int) -> Settings:
    return make_settings(
        tmp_path, MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=str(sink_port)
    )


def _message(settings: Settings, to: str = "ada@example.gov.uk", subject: str = "Hello"):
    text, html = render_email(
        "organisation_verified",
        {
            "recipient_name": "Ada <Lovelace>",
            "organisation_name": "Cumbria Constabulary",
            "sign_in_url": "http://127.0.0.1:5000/",
        },
    )
    return build_message(
        settings, to=to, subject=subject, text=text, html=html, kind="organisation_verified"
    )


def test_a_message_has_the_headers_and_both_parts(settings: Settings):
    message = _message(settings, to=Address("Ada", "ada", "example.gov.uk"))
    assert message["From"] == "matcher <no-reply@matcher.example>"
    assert message["Reply-To"] == "help@matcher.example"
    assert message["To"] == "Ada <ada@example.gov.uk>"
    assert message["Date"]
    assert message["Message-ID"].endswith("@matcher.example>")
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Cumbria Constabulary is now verified" in text
    assert "Hello Ada <Lovelace>," in text
    # The HTML part escapes what it is given; the text part must not.
    assert "Ada &lt;Lovelace&gt;" in html
    assert 'href="http://127.0.0.1:5000/"' in html


def test_the_outbox_folder_backend_writes_a_parseable_eml_file_atomically(
    settings: Settings, tmp_path: Path
):
    folder = tmp_path / "outbox"
    with OutboxFolderBackend(folder) as backend:
        path = backend.send(_message(settings))
    assert [entry.name for entry in folder.iterdir()] == [path.name]
    assert path.suffix == ".eml"
    parsed = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert parsed["To"] == "ada@example.gov.uk"
    assert parsed.get_body(("html",)) is not None
    assert "is now verified" in parsed.get_body(("plain",)).get_content()


def test_mail_backend_for_follows_the_setting(settings: Settings, tmp_path: Path):
    assert isinstance(mail_backend_for(settings), OutboxFolderBackend)
    assert isinstance(mail_backend_for(_smtp_settings(tmp_path, 2525)), SMTPBackend)


def test_smtp_backend_sends_a_batch_over_one_connection(tmp_path: Path, smtp_sink: SMTPSink):
    settings = _smtp_settings(tmp_path, smtp_sink.port)
    with SMTPBackend(settings) as backend:
        connection = backend._connection
        backend.send(_message(settings, to="one@example.gov.uk"))
        backend.send(_message(settings, to="two@example.gov.uk"))
        assert backend._connection is connection
    received = smtp_sink.wait_for(2)
    assert [item.rcpt_tos for item in received] == [["one@example.gov.uk"], ["two@example.gov.uk"]]
    assert received[0].mail_from == "no-reply@matcher.localhost"
    assert received[0].message.get_body(("plain",)) is not None


def test_a_4xx_reply_is_transient_and_the_next_send_reconnects(tmp_path: Path, smtp_sink: SMTPSink):
    settings = _smtp_settings(tmp_path, smtp_sink.port)
    smtp_sink.refuse_all = "421 4.3.2 Service shutting down, try later"
    with SMTPBackend(settings) as backend:
        with pytest.raises(TransientMailError) as raised:
            backend.send(_message(settings))
        assert raised.value.code == 421
        assert "example.gov.uk" not in str(raised.value)
        smtp_sink.refuse_all = None
        backend.send(_message(settings))
    assert len(smtp_sink.wait_for(1)) == 1


def test_a_5xx_reply_is_permanent_and_the_batch_carries_on(tmp_path: Path, smtp_sink: SMTPSink):
    settings = _smtp_settings(tmp_path, smtp_sink.port)
    smtp_sink.refuse["gone@example.gov.uk"] = "550 5.1.1 <gone@example.gov.uk>: no such user"
    with SMTPBackend(settings) as backend:
        with pytest.raises(PermanentMailError) as raised:
            backend.send(_message(settings, to="gone@example.gov.uk"))
        backend.send(_message(settings, to="here@example.gov.uk"))
    assert raised.value.code == 550
    assert "gone@" not in str(raised.value)
    assert "no such user" in raised.value.reply
    assert [item.rcpt_tos for item in smtp_sink.wait_for(1)] == [["here@example.gov.uk"]]


def test_a_server_that_is_not_there_is_transient(tmp_path: Path):
    settings = _smtp_settings(tmp_path, unused_port())
    with pytest.raises(TransientMailError), SMTPBackend(settings):
        pass
