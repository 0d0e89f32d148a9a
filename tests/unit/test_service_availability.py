"""A test that cannot reach PostgreSQL or Redis skips on a laptop and fails under CI=true."""

from __future__ import annotations

import pytest

from tests.services import unavailable


def test_missing_service_skips_outside_ci(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("CI", raising=False)

    with pytest.raises(pytest.skip.Exception, match="PostgreSQL is not reachable"):
        unavailable("PostgreSQL", ConnectionRefusedError("connection refused"))


def test_missing_service_fails_under_ci(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CI", "true")

    with pytest.raises(pytest.fail.Exception, match="Redis is not reachable"):
        unavailable("Redis", ConnectionRefusedError("connection refused"))
