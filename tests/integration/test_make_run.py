"""`make run` starts web, worker and beat on the embedded default, starts a dead worker again,
and stops them all on Ctrl-C."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

from config import PROJECT_ROOT
from matcher import create_app
from matcher.extensions import db
from matcher.services.organisations import verify_organisation
from tests.conftest import make_settings
from tests.integration.test_outbox_worker import seed_organisation
from tests.waiting import unused_port, wait_until

START_DEADLINE_SECONDS = 240
STOP_DEADLINE_SECONDS = 30


def processes_with_environment(marker: str) -> list[int]:
    """Ids of live processes whose environment mentions ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker.encode() in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except (FileNotFoundError, PermissionError, ProcessLookupError):
            continue
    return found


def get_json(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def _command_line(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError):
        return b""


def _parent(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def supervised_worker(instance: Path) -> int | None:
    """The id of the Celery worker that make run's supervisor started, if one is running."""
    pids = processes_with_environment(str(instance))
    supervisors = {pid for pid in pids if b"matcher.devserver" in _command_line(pid)}
    workers = [
        pid
        for pid in pids
        if _parent(pid) in supervisors and b"\x00worker\x00" in _command_line(pid)
    ]
    return workers[0] if workers else None


def emails_to(outbox: Path, address: str) -> list[Path]:
    return [path for path in outbox.glob("*.eml") if address in path.read_text(errors="replace")]


def test_make_run_serves_restarts_a_killed_worker_and_stops_every_process_on_ctrl_c(
    tmp_path: Path,
):
    port = unused_port()
    instance = tmp_path / "instance"
    environ = {
        key: value
        for key, value in os.environ.items()
        # make run empties its metrics folder as it starts: left to inherit the session's, it
        # would delete the samples of the tests running beside it.
        if key
        not in (
            "DATABASE_URL",
            "CELERY_BROKER_URL",
            "MATCHER_ENV",
            "SECRET_KEY",
            "PROMETHEUS_MULTIPROC_DIR",
        )
    }
    environ.update(PORT=str(port), INSTANCE_DIR=str(instance))
    log = (tmp_path / "make-run.log").open("w+")
    runner = subprocess.Popen(
        ["make", "run"],
        cwd=PROJECT_ROOT,
        env=environ,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    banner = f"matcher is running at http://127.0.0.1:{port}/"
    try:
        # make run announces the URL only once its own readiness check has passed.
        def log_text() -> str:
            log.seek(0)
            return log.read()

        wait_until(
            lambda: banner in log_text() or runner.poll() is not None,
            timeout=START_DEADLINE_SECONDS,
            what="make run to announce its URL",
        )
        output = log_text()
        assert banner in output, output
        status, body = get_json(f"http://127.0.0.1:{port}/readyz")
        assert status == 200, output
        assert body["checks"] == {"database": "ok", "broker": "ok"}
        assert (instance / "matcher.sqlite3").exists()
        assert "recruit@cabinetoffice.gov.uk" in output
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as home:
            assert re.search(r"[1-9][0-9]* open opportunities", home.read().decode())
        with sqlite3.connect(instance / "matcher.sqlite3") as database:
            [[matches]] = database.execute("SELECT count(*) FROM matches").fetchall()
        assert matches > 0
        assert len(processes_with_environment(str(instance))) >= 4

        # A worker killed outright is started again while the web app keeps serving, and the
        # new one does the work of a change made afterwards.
        killed = wait_until(lambda: supervised_worker(instance))
        os.kill(killed, signal.SIGKILL)
        wait_until(
            lambda: supervised_worker(instance) not in (None, killed),
            timeout=60,
            what="a new worker",
        )
        assert get_json(f"http://127.0.0.1:{port}/readyz")[0] == 200
        app = create_app(make_settings(instance))
        with app.app_context():
            actor_id, organisation_id, admin_email = seed_organisation()
            verify_organisation(db.session, actor_id=actor_id, organisation_id=organisation_id)
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
        wait_until(
            lambda: emails_to(instance / "outbox", admin_email),
            timeout=60,
            what="the new worker to send the email",
        )
        log.seek(0)
        assert "the worker process stopped (exit code -9); starting it again" in log.read()

        # Ctrl-C in a terminal signals the whole foreground process group.
        os.killpg(runner.pid, signal.SIGINT)
        runner.wait(timeout=STOP_DEADLINE_SECONDS)
        wait_until(
            lambda: processes_with_environment(str(instance)) == [],
            timeout=STOP_DEADLINE_SECONDS,
            what="every process of make run to stop",
        )
    finally:
        if runner.poll() is None:
            os.killpg(runner.pid, signal.SIGKILL)
            runner.wait()
        for pid in processes_with_environment(str(instance)):
            os.kill(pid, signal.SIGKILL)
        log.close()
