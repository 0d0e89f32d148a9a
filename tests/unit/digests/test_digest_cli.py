"""``flask digests send`` from another shell links to the server people use, and can resend."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from email import message_from_bytes, policy
from pathlib import Path

from config import PROJECT_ROOT, load_settings, record_served_base_url
from matcher import create_app
from matcher.clock import london_today
from matcher.extensions import db
from tests import digest_world
from tests.conftest import make_settings

PERIOD = "2026-W48"
SERVED = "http://127.0.0.1:5101"


def test_a_recorded_server_address_is_the_default_base_url_outside_production(tmp_path: Path):
    served = load_settings({"INSTANCE_DIR": str(tmp_path), "PORT": "5101"})
    assert record_served_base_url(served, {}).base_url == SERVED

    assert load_settings({"INSTANCE_DIR": str(tmp_path)}).base_url == SERVED
    explicit = {"INSTANCE_DIR": str(tmp_path), "BASE_URL": "http://matcher.test"}
    assert load_settings(explicit).base_url == "http://matcher.test"


def _flask(instance: Path, *args: str) -> str:
    environ = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PORT", "HOST", "BASE_URL", "DATABASE_URL", "MAIL_OUTBOX_DIR")
    }
    environ.update(
        MATCHER_ENV="test",
        INSTANCE_DIR=str(instance),
        SECRET_KEY="test-secret-key-that-is-long-enough-for-signing",
        LOG_LEVEL="warning",
    )
    result = subprocess.run(
        [str(Path(sys.executable).parent / "flask"), "--app", "wsgi", *args],
        cwd=PROJECT_ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _messages(instance: Path):
    return [
        message_from_bytes(path.read_bytes(), policy=policy.default)
        for path in sorted((instance / "outbox").glob("*.eml"))
    ]


def test_send_from_another_shell_links_to_the_served_address_and_resend_sends_again(
    tmp_path: Path, sqlite_template: Path
):
    shutil.copy(sqlite_template, tmp_path / "matcher.sqlite3")
    app = create_app(make_settings(tmp_path))
    with app.app_context():
        digest_world.build(db.session, 2, today=london_today())
        db.engine.dispose()
    # ``PORT=5101 make run`` records where it serves; this shell has no PORT.
    record_served_base_url(make_settings(tmp_path, PORT="5101"), {})

    output = _flask(tmp_path, "digests", "send", "--period", PERIOD)
    assert f"Links in these digests point at {SERVED}" in output
    first = _messages(tmp_path)
    assert len(first) == 3
    for message in first:
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        links = re.findall(r"https?://[^\s\"<>]+", text + html)
        assert links and all(link.startswith(f"{SERVED}/") for link in links), links
        assert message["List-Unsubscribe"].startswith(f"<{SERVED}/")

    # Later runs in-process: the app reads the same recorded address.
    app = create_app(make_settings(tmp_path))
    runner = app.test_cli_runner()
    again = runner.invoke(args=["digests", "send", "--period", PERIOD])
    assert again.exit_code == 0 and "sent 0" in again.output
    assert len(_messages(tmp_path)) == 3

    resent = runner.invoke(args=["digests", "send", "--period", PERIOD, "--resend"])
    assert resent.exit_code == 0 and "3 to send again, sent 3" in resent.output
    messages = _messages(tmp_path)
    assert len(messages) == 6
    assert len({message["Message-ID"] for message in messages}) == 6
    with app.app_context():
        db.engine.dispose()
