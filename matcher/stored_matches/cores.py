"""How many threads one process's matching maths may use: its share of the machine's cores.

numpy's BLAS, OpenMP and the engine's own scoring threads each start one thread a core. Two
worker processes on two cores then run four busy threads that take turns, and two workers
finished a rebuild later than one (#14 §4). A worker process gives its maths its share of the
cores once, when it starts; a process that never does (``matches rebuild --sync``, the web
app) keeps every core.
"""

from __future__ import annotations

import os

from threadpoolctl import threadpool_limits

_threads: int | None = None


def share_of_cores(processes: int) -> int:
    """The threads each of ``processes`` processes on this machine gets: at least one."""
    return max(1, (os.cpu_count() or 1) // processes)


def share_cores(configured: int, processes: int) -> int:
    """Limit this process's maths to ``configured`` threads (``MATCH_THREADS``), or when that
    is 0 to its share of the cores among ``processes``; return the number."""
    global _threads
    _threads = configured or share_of_cores(processes)
    limit_maths_threads()
    return _threads


def limit_maths_threads() -> None:
    """Hold BLAS and OpenMP to this process's share again (in a forked pool process)."""
    if _threads is not None:
        threadpool_limits(_threads)


def matching_threads() -> int:
    """The threads the engine may score with in this process."""
    return _threads or os.cpu_count() or 1
