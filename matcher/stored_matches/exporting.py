"""Stream every stored match out as JSON Lines, in constant memory."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import IO

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matcher.models import Match

STREAM_BATCH = 10_000


def count_matches(session: Session) -> int:
    """How many matches are stored."""
    return int(session.scalar(select(func.count()).select_from(Match)) or 0)


def export_matches(
    session: Session, out: IO[str], progress: Callable[[int], None] | None = None
) -> int:
    """Write one JSON object per stored match, person by person and best first; return count."""
    advance = progress or (lambda _: None)
    rows = session.execute(
        select(
            Match.person_id,
            Match.placement_id,
            Match.score,
            Match.rank,
            Match.reasons,
            Match.engine_version,
            Match.computed_at,
        )
        .order_by(Match.person_id, Match.rank)
        .execution_options(yield_per=STREAM_BATCH)
    )
    written = 0
    for row in rows:
        record = {
            "person_id": row.person_id,
            "placement_id": row.placement_id,
            "score": row.score,
            "rank": row.rank,
            "reasons": row.reasons,
            "engine_version": row.engine_version,
            "computed_at": row.computed_at.isoformat(),
        }
        out.write(json.dumps(record, separators=(",", ":")) + "\n")
        written += 1
        if written % STREAM_BATCH == 0:
            advance(STREAM_BATCH)
    advance(written % STREAM_BATCH)
    return written
