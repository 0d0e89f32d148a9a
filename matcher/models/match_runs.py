"""Full rebuilds of the matches: each run stages its rows, then publishes them in one commit."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from matcher.models.base import Base, BigId, UTCDateTime, enum_column, utcnow
from matcher.models.packed_reasons import PackedReasons


class MatchRunStatus(enum.StrEnum):
    BUILDING = "building"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"
    FAILED = "failed"


class MatchRun(Base):
    """One full rebuild: its chunks stage rows, and publishing swaps them into ``matches``."""

    __tablename__ = "match_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    status: Mapped[MatchRunStatus] = mapped_column(
        enum_column(MatchRunStatus, "match_run_status"), default=MatchRunStatus.BUILDING
    )
    engine_version: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    people: Mapped[int] = mapped_column(Integer, default=0)
    chunks: Mapped[int] = mapped_column(Integer, default=0)
    chunks_done: Mapped[int] = mapped_column(Integer, default=0)
    rows: Mapped[int] = mapped_column(Integer, default=0)


class StagedMatch(Base):
    """A match written by a rebuild chunk, invisible to readers until its run is published.

    No foreign keys to people or placements: a row whose person or placement was deleted
    meanwhile is simply left out when the run is published.
    """

    __tablename__ = "match_run_rows"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("match_runs.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    placement_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    score: Mapped[float] = mapped_column(Float)
    rank: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(PackedReasons)
    engine_version: Mapped[str] = mapped_column(String(40))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MatchRunChunk(Base):
    """A chunk of a run that has staged its rows; a redelivered chunk finds itself here."""

    __tablename__ = "match_run_chunks"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("match_runs.id", ondelete="CASCADE"), primary_key=True
    )
    chunk: Mapped[int] = mapped_column(Integer, primary_key=True)
    rows: Mapped[int] = mapped_column(Integer)
    done_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
