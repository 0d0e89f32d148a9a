"""`make run` starts web, worker and beat on the embedded default and stops them all on Ctrl-C."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from config import PROJECT_ROOT
from tests.waiting import unused_port

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


def test_make_run_serves_readyz_and_stops_every_process_on_ctrl_c(tmp_path: Path):
    port = unused_port()
    instance = tmp_path / "instance"
    environ = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "CELERY_BROKER_URL", "MATCHER_ENV", "SECRET_KEY")
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
        deadline = time.monotonic() + START_DEADLINE_SECONDS
        output = ""
        while time.monotonic() < deadline and runner.poll() is None and banner not in output:
            time.sleep(0.5)
            log.seek(0)
            output = log.read()
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

        # Ctrl-C in a terminal signals the whole foreground process group.
        os.killpg(runner.pid, signal.SIGINT)
        runner.wait(timeout=STOP_DEADLINE_SECONDS)
        deadline = time.monotonic() + STOP_DEADLINE_SECONDS
        while processes_with_environment(str(instance)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert processes_with_environment(str(instance)) == []
    finally:
        if runner.poll() is None:
            os.killpg(runner.pid, signal.SIGKILL)
            runner.wait()
        for pid in processes_with_environment(str(instance)):
            os.kill(pid, signal.SIGKILL)
        log.close()
