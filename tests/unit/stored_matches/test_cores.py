"""A worker process's matching maths keep to its share of the cores."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date

import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from config import load_settings
from matcher.stored_matches import cores
from matcher.stored_matches.loading import engine_config

CORES = os.cpu_count() or 1


@pytest.fixture(autouse=True)
def _unshared(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts as a process that never shared its cores, and leaves BLAS as it was."""
    monkeypatch.setattr(cores, "_threads", None)
    with threadpool_limits(None):
        yield


def test_a_process_that_never_shares_its_cores_scores_with_all_of_them() -> None:
    config = engine_config(load_settings({}), date(2026, 11, 25))

    assert config.threads == CORES


def test_pool_processes_share_the_cores_and_hold_blas_and_openmp_to_their_share() -> None:
    threads = cores.share_cores(0, processes=CORES)

    assert threads == 1
    assert engine_config(load_settings({}), date(2026, 11, 25)).threads == 1
    assert {pool["num_threads"] for pool in threadpool_info()} == {1}


def test_more_processes_than_cores_still_get_a_thread_and_match_threads_wins() -> None:
    assert cores.share_cores(0, processes=CORES * 4) == 1
    assert cores.share_cores(3, processes=CORES * 4) == 3
    assert load_settings({"MATCH_THREADS": "3"}).match_threads == 3
