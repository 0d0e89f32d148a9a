"""``make run``: migrate, load reference and demo data, then run web, worker and beat together.

The three processes run in their own sessions so that Ctrl-C reaches only this supervisor,
which then stops them in order and waits for each, instead of leaving orphans behind.
"""

from __future__ import annotations

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
from workers.app import QUEUES

BIN = Path(sys.executable).parent
READY_TIMEOUT_SECONDS = 120
STOP_TIMEOUT_SECONDS = 15


@dataclass
class Supervisor:
    """Starts named child processes and stops all of them when one stops or we are told to."""

    children: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    stopping: bool = False

    def start(self, name: str, command: list[str]) -> None:
        self.children[name] = subprocess.Popen(command, start_new_session=True)

    def first_exited(self) -> str | None:
        return next((name for name, p in self.children.items() if p.poll() is not None), None)

    def stop_all(self) -> None:
        self.stopping = True
        for process in self.children.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for process in self.children.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


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
    """Run the whole embedded service until Ctrl-C or until one of its processes stops."""
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
        while (name := supervisor.first_exited()) is None:
            time.sleep(0.5)
        print(f"matcher: the {name} process stopped; stopping the others", file=sys.stderr)
        return 1
    finally:
        if not supervisor.stopping:
            supervisor.stop_all()


if __name__ == "__main__":
    sys.exit(main())
