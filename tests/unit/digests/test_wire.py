"""Messages serialised straight to wire bytes read back like the email package's own."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.headerregistry import Address
from pathlib import Path

from config import Settings
from matcher.mail import SMTPBackend, build_message
from matcher.mail.wire import WireMessage, build_wire_message
from tests.conftest import make_settings
from tests.smtp import running_smtp_sink

HEADERS = {
    "List-Unsubscribe": "<https://matcher.example/digests/unsubscribe/" + "x" * 120 + ">",
    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
}


def _settings(tmp_path: Path, **overrides: str) -> Settings:
    return make_settings(
        tmp_path,
        MAIL_FROM="matcher <no-reply@matcher.example>",
        MAIL_REPLY_TO="Matcher support <help@matcher.example>",
        **overrides,
    )


def _both(settings: Settings, name: str, subject: str, text: str, html: str):
    wire = build_wire_message(
        settings,
        name=name,
        address="ada@example.gov.uk",
        subject=subject,
        text=text,
        html=html,
        kind="digest",
        message_id="<digest.weekly.2026-W48.7@matcher.example>",
        headers=HEADERS,
    )
    reference = build_message(
        settings,
        to=Address(name, "ada", "example.gov.uk"),
        subject=subject,
        text=text,
        html=html,
        kind="digest",
        message_id="<digest.weekly.2026-W48.7@matcher.example>",
        headers=HEADERS,
    )
    parsed = message_from_bytes(reference.as_bytes(policy=policy.SMTP), policy=policy.default)
    return wire, wire.as_email(), parsed


def _assert_same(ours, theirs) -> None:
    for header in ("From", "Reply-To", "To", "Subject", "Message-ID", *HEADERS):
        assert str(ours[header]) == str(theirs[header]), header
    assert ours["Date"]
    assert ours.get_content_type() == "multipart/alternative"
    for subtype in ("plain", "html"):
        assert ours.get_body((subtype,)).get_content() == theirs.get_body((subtype,)).get_content()
    assert not ours.defects


def test_plain_ascii_digest_reads_back_as_the_email_package_builds_it(tmp_path: Path):
    wire, ours, theirs = _both(
        _settings(tmp_path),
        "Ada Lovelace",
        "2 new placement matches: your weekly digest",
        "Hello Ada,\n\n.a line that starts with a dot\n- item\n",
        '<html lang="en"><body><p>Hello Ada</p></body></html>\n',
    )
    _assert_same(ours, theirs)
    assert wire.sender == "no-reply@matcher.example"
    assert wire.recipients == ("ada@example.gov.uk",)
    assert b"\r\n" in wire.data and b"\n" not in wire.data.replace(b"\r\n", b"")


def test_non_ascii_names_long_subjects_and_long_lines_survive(tmp_path: Path):
    long_line = "word " * 300
    wire, ours, theirs = _both(
        _settings(tmp_path),
        'Siân "Ffion" O\u2019Brien, <Cymru>',
        "3 new placement matches, 1 match closing soon and 2 updates on your interests: your "
        "weekly digest — café",
        f"Helo Siân,\n{long_line}\n=_ not a boundary\n",
        f"<p>Helo Siân</p><p>{long_line}</p>\n",
    )
    _assert_same(ours, theirs)
    assert all(len(line) <= 998 for line in wire.data.split(b"\r\n"))


def test_header_injection_through_a_name_is_impossible(tmp_path: Path):
    wire = build_wire_message(
        _settings(tmp_path),
        name="Ada\r\nBcc: everyone@example.com",
        address="ada@example.gov.uk",
        subject="Hi\nBcc: x@example.com",
        text="t",
        html="h",
        kind="digest",
        message_id="<m@x>",
    )
    assert wire.as_email()["Bcc"] is None


def test_a_wire_message_goes_through_smtp_intact_with_and_without_a_commit_point(
    tmp_path: Path,
):
    with running_smtp_sink() as sink:
        settings = _settings(
            tmp_path, MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=str(sink.port)
        )
        text = "Hello\n.\n..two dots\nend\n"
        message = build_wire_message(
            settings,
            name="Ada",
            address="ada@example.gov.uk",
            subject="Dots",
            text=text,
            html="<p>.</p>\n",
            kind="digest",
            message_id="<dots@matcher.example>",
            headers=HEADERS,
        )
        committed: list[bool] = []
        with SMTPBackend(settings) as backend:
            backend.send(message, commit_point=lambda: committed.append(True))
            backend.send(message)
        received = sink.wait_for(2)
    assert committed == [True]
    for arrived in received:
        assert arrived.mail_from == "no-reply@matcher.example"
        assert arrived.rcpt_tos == ["ada@example.gov.uk"]
        plain = arrived.message.get_body(("plain",)).get_content()
        assert plain.replace("\r\n", "\n") == text
        assert str(arrived.message["List-Unsubscribe"]) == HEADERS["List-Unsubscribe"]


def test_the_folder_backend_writes_the_wire_bytes(tmp_path: Path):
    from matcher.mail import OutboxFolderBackend

    message = WireMessage("a@x.example", ("b@y.example",), "<m@x>", b"Subject: s\r\n\r\nbody\r\n")
    with OutboxFolderBackend(tmp_path / "out") as backend:
        path = backend.send(message)
    assert path.read_bytes() == message.data
