"""Waiting on conditions with a deadline, and the free ports tests start servers on."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any

DEADLINE_SECONDS = 30
POLL_SECONDS = 0.1


def wait_until(
    condition: Callable[[], Any], timeout: float = DEADLINE_SECONDS, what: str = "condition"
) -> Any:
    """Poll ``condition`` until it returns something truthy; return it, or fail at the deadline."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(POLL_SECONDS)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def stays_true(condition: Callable[[], bool], duration: float) -> bool:
    """Check ``condition`` repeatedly for ``duration`` seconds; False as soon as it fails."""
    deadline = time.monotonic() + duration
    while time.monotonic() < deadline:
        if not condition():
            return False
        time.sleep(POLL_SECONDS)
    return True


def unused_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
