"""``make run``: migrate, load reference and demo data, then run web, worker and beat together.

The three processes run in their own sessions so that Ctrl-C reaches only this supervisor,
which then stops them in order and waits for each, instead of leaving orphans behind. A worker
or beat that dies is started again after a short, growing pause while the web app keeps
serving; only the web app stopping stops everything.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from config import ConfigError, Settings, load_settings, record_served_base_url
from matcher.demo.seed import DEMO_ACCOUNTS, DEMO_PASSWORD
from matcher.observability.metrics import empty_directory
from workers.queues import QUEUES

BIN = Path(sys.executable).parent
READY_TIMEOUT_SECONDS = 120
STOP_TIMEOUT_SECONDS = 15


# Processes started again when they stop; the web app is not: without it there is no service.
RESTARTABLE = ("worker", "beat")
# Pauses before each successive restart of a process that keeps dying; a process that ran for
# STABLE_SECONDS counts as healthy again and its next restart comes after the first pause.
RESTART_PAUSES_SECONDS = (1.0, 2.0, 5.0, 10.0, 30.0)
STABLE_SECONDS = 60.0


@dataclass
class Child:
    """One supervised process, the command that starts it and its restart history."""

    command: list[str]
    process: subprocess.Popen[bytes]
    started_at: float
    quick_exits: int = 0
    restart_at: float | None = None


def _start_process(command: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, start_new_session=True)


def _kill_leftovers(process: subprocess.Popen[bytes]) -> None:
    """Kill what a dead process left in its session (a worker's pool children, say)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


@dataclass
class Supervisor:
    """Starts named child processes, restarts the restartable ones, and stops all of them."""

    children: dict[str, Child] = field(default_factory=dict)
    stopping: bool = False

    def start(self, name: str, command: list[str]) -> None:
        self.children[name] = Child(command, _start_process(command), time.monotonic())

    def first_exited(self) -> str | None:
        return next(
            (name for name, child in self.children.items() if child.process.poll() is not None),
            None,
        )

    def keep_running(self) -> str | None:
        """Restart restartable children that stopped; return the name of one that may not be."""
        now = time.monotonic()
        for name, child in self.children.items():
            code = child.process.poll()
            if code is None:
                continue
            if name not in RESTARTABLE:
                return name
            if child.restart_at is None:
                _kill_leftovers(child.process)
                if now - child.started_at >= STABLE_SECONDS:
                    child.quick_exits = 0
                pause = RESTART_PAUSES_SECONDS[
                    min(child.quick_exits, len(RESTART_PAUSES_SECONDS) - 1)
                ]
                child.quick_exits += 1
                child.restart_at = now + pause
                print(
                    f"matcher: the {name} process stopped (exit code {code}); "
                    f"starting it again in {pause:g} s",
                    file=sys.stderr,
                    flush=True,
                )
            elif now >= child.restart_at:
                child.process = _start_process(child.command)
                child.started_at = now
                child.restart_at = None
                print(f"matcher: started the {name} process again", file=sys.stderr, flush=True)
        return None

    def stop_all(self) -> None:
        self.stopping = True
        processes = [child.process for child in self.children.values()]
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for process in processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            _kill_leftovers(process)


def _flask(*args: str) -> list[str]:
    return [str(BIN / "flask"), "--app", "wsgi", *args]


def _run_step(description: str, command: list[str]) -> None:
    print(f"matcher: {description}", flush=True)
    if subprocess.run(command).returncode != 0:
        raise SystemExit(f"matcher: {description} failed; see the messages above")


def _wait_until_ready(settings: Settings, supervisor: Supervisor) -> None:
    url = f"http://{settings.host}:{settings.port}/readyz"
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if (name := supervisor.first_exited()) is not None:
            raise SystemExit(f"matcher: the {name} process stopped during start-up")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    raise SystemExit(f"matcher: {url} did not answer 200 within {READY_TIMEOUT_SECONDS} s")


def _print_banner(settings: Settings) -> None:
    lines = [
        "",
        f"matcher is running at {settings.base_url}/  (Ctrl-C stops it)",
        f"Demo sign-ins, all with the password {DEMO_PASSWORD}:",
        *(f"  {account.email:<32} {account.description}" for account in DEMO_ACCOUNTS),
        f"Emails the service sends are written to {settings.mail_outbox_dir}/",
        "",
    ]
    print("\n".join(lines), flush=True)


def main() -> int:
    """Run the whole embedded service until Ctrl-C or until the web app stops."""
    try:
        settings = record_served_base_url(load_settings())
    except ConfigError as error:
        print(f"matcher: configuration error: {error}", file=sys.stderr)
        return 2
    os.chdir(Path(__file__).resolve().parent.parent)
    _run_step("applying migrations", _flask("db", "upgrade"))
    _run_step("loading reference and demo data when the database is empty", _flask("bootstrap"))

    supervisor = Supervisor()

    def request_stop(signum: int, _frame: object) -> None:
        if not supervisor.stopping:
            print(f"\nmatcher: stopping ({signal.Signals(signum).name})", flush=True)
            supervisor.stop_all()
        raise SystemExit(0)

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    beat_schedule = settings.instance_dir / "celerybeat-schedule"
    empty_directory(settings.metrics_dir)
    supervisor.start(
        "web",
        _flask("run", "--host", settings.host, "--port", str(settings.port), "--no-reload"),
    )
    supervisor.start(
        "worker",
        [
            str(BIN / "celery"),
            "-A",
            "workers",
            "worker",
            "-Q",
            ",".join(QUEUES),
            "--concurrency",
            "1",
            "--loglevel",
            settings.log_level,
        ],
    )
    supervisor.start(
        "beat",
        [
            str(BIN / "celery"),
            "-A",
            "workers",
            "beat",
            "--schedule",
            str(beat_schedule),
            "--loglevel",
            settings.log_level,
        ],
    )
    try:
        _wait_until_ready(settings, supervisor)
        _print_banner(settings)
        while (name := supervisor.keep_running()) is None:
            time.sleep(0.5)
        print(f"matcher: the {name} process stopped; stopping the others", file=sys.stderr)
        return 1
    finally:
        if not supervisor.stopping:
            supervisor.stop_all()


if __name__ == "__main__":
    sys.exit(main())
