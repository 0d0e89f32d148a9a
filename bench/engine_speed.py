"""Engine speed: full rebuild and one placement, against faiss, numpy and a naive loop.

Run: .venv/bin/python -m bench.engine_speed [--quick]
"""

from __future__ import annotations

import math
import os
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import faiss
import numpy as np
from threadpoolctl import threadpool_info

from bench.synthetic import Synthetic, generate
from matcher.engine import Engine, EngineConfig
from matcher.engine.frames import day_number

K = 20
DIMENSIONS = 256


def timed(run: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds taken by run() and its result."""
    start = time.perf_counter()
    result = run()
    return time.perf_counter() - start, result


def faiss_top_k(queries: np.ndarray, base: np.ndarray) -> float:
    """Seconds for faiss IndexFlatIP top K of every query."""
    index = faiss.IndexFlatIP(base.shape[1])
    index.add(base)
    seconds, _ = timed(lambda: index.search(queries, K))
    return seconds


def numpy_top_k(queries: np.ndarray, base: np.ndarray, block: int = 4096) -> float:
    """Seconds for blocked matmul + argpartition + sort of the K, over the same vectors."""

    def run() -> None:
        for start in range(0, len(queries), block):
            scores = queries[start : start + block] @ base.T
            top = np.argpartition(-scores, K - 1, axis=1)[:, :K]
            order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1)
            np.take_along_axis(top, order, axis=1)

    seconds, _ = timed(run)
    return seconds


def naive_seconds_per_pair(data: Synthetic, engine: Engine, sample: int = 30) -> float:
    """Seconds per pair of a per-pair Python loop over records (filters, components)."""
    p, q, c = data.people, data.placements, engine.config
    w, today = c.weights, day_number(data.today, 0)
    text_p, text_q = engine.fitted.p_text.tolist(), engine.fitted.q_text.tolist()

    def overlap(a: frozenset[int], b: frozenset[int]) -> float:
        return len(a & b) / math.sqrt(len(a) * len(b)) if a and b else 0.0

    def run() -> None:
        for i in range(sample):
            scored = []
            for j in range(len(q)):
                if not (q.is_open[j] and q.closing_date[j] >= today):
                    continue
                if not q.grade_min_rank[j] <= p.grade_rank[i] <= q.grade_max_rank[j]:
                    continue
                if not p.wanted_kinds[i] & q.kind_bit[j]:
                    continue
                if p.available_from[i] > q.end_date[j] or q.start_date[j] > p.available_until[i]:
                    continue
                km = math.hypot(p.easting[i] - q.easting[j], p.northing[i] - q.northing[j]) / 1e3
                near = km <= p.travel_limit_km[i]
                if not near and not (p.remote_ok[i] and q.remote_possible[j]):
                    continue
                score = w.themes * overlap(p.themes[i], q.themes[j])
                score += w.skills * overlap(p.skills[i], q.skills[j])
                score += w.text * sum(a * b for a, b in zip(text_p[i], text_q[j], strict=True))
                score += w.distance * max(0.0, 1 - km / p.travel_limit_km[i]) if near else 0.0
                days = q.start_date[j] - max(p.available_from[i], today)
                score += w.start * max(0.0, 1 - abs(days) / c.start_horizon_days)
                scored.append((-score, int(q.ids[j])))
            sorted(scored)[:K]

    seconds, _ = timed(run)
    return seconds / (sample * len(q))


def bench(n_people: int, n_placements: int) -> None:
    """Print every figure for one size."""
    print(f"\n== {n_people:,} people x {n_placements:,} placements, top {K} ==")
    seconds, data = timed(lambda: generate(n_people, n_placements, seed=1))
    print(f"synthetic data: {seconds:.2f} s")
    engine = Engine(EngineConfig(today=data.today, k=K))
    fit_s, _ = timed(lambda: engine.fit(data.people, data.placements))
    top_s, top = timed(engine.top_placements_for_people)
    reasons_s, _ = timed(lambda: top.reasons)
    org_s, org = timed(engine.top_people_for_placements)
    rebuild = fit_s + top_s + reasons_s
    print(f"engine fit (TF-IDF/LSA, sets, arrays): {fit_s:.2f} s")
    print(f"engine top {K} placements per person:  {top_s:.2f} s ({len(top):,} matches)")
    print(f"engine reasons for those matches:      {reasons_s:.2f} s")
    print(f"engine top {K} people per placement:   {org_s:.2f} s ({len(org):,} matches)")
    print(f"full rebuild people side (fit+top+reasons): {rebuild:.2f} s")

    tracemalloc.start()
    engine.top_placements_for_people()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"peak traced memory of top-k scoring: {peak / 2**20:.0f} MiB")

    rng = np.random.default_rng(0)
    queries = rng.standard_normal((n_people, DIMENSIONS), dtype=np.float32)
    base = rng.standard_normal((n_placements, DIMENSIONS), dtype=np.float32)
    faiss_s = faiss_top_k(queries, base)
    numpy_s = numpy_top_k(queries, base)
    per_pair = naive_seconds_per_pair(data, engine)
    naive_s = per_pair * n_people * n_placements
    print(f"(a) faiss IndexFlatIP d={DIMENSIONS} top {K}: {faiss_s:.2f} s")
    print(f"(b) numpy matmul + argpartition d={DIMENSIONS}: {numpy_s:.2f} s")
    print(f"(c) naive per-pair loop: {per_pair * 1e6:.2f} us/pair -> {naive_s:,.0f} s projected")
    print(
        f"ratios engine top-k / (a) {top_s / faiss_s:.2f}, / (b) {top_s / numpy_s:.2f}, "
        f"/ (c) {top_s / naive_s:.5f}"
    )
    print(
        f"ratios full rebuild / (a) {rebuild / faiss_s:.2f}, / (b) {rebuild / numpy_s:.2f}, "
        f"/ (c) {rebuild / naive_s:.5f}"
    )

    if n_people >= 100_000:
        picks = np.flatnonzero(engine.fitted.q_eligible)[:50]
        one_s, _ = timed(lambda: [engine.top_people_for_placements(np.array([j])) for j in picks])
        one_s /= len(picks)
        reasons_one, _ = timed(
            lambda: engine.top_people_for_placements(np.array([picks[0]])).reasons
        )
        print(
            f"one placement against {n_people:,} people: {one_s * 1e3:.1f} ms top {K} "
            f"(+{reasons_one * 1e3:.1f} ms with reasons)"
        )


def main() -> None:
    """Both sizes, or only the small one with --quick."""
    print(f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}")
    for info in threadpool_info():
        print(
            f"  {info['internal_api']} {info.get('version')} {info.get('architecture')} "
            f"threads={info['num_threads']}"
        )
    bench(10_000, 1_000)
    if "--quick" not in sys.argv:
        bench(100_000, 10_000)
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nprocess peak RSS (whole bench, incl. data and baselines): {peak_rss:.0f} MiB")


if __name__ == "__main__":
    main()
