"""The insights as last counted, so the public page reads one row instead of counting."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Mapped, mapped_column

from matcher.models.base import Base, BigId, JSONDocument, UTCDateTime


class InsightsSnapshot(Base):
    """Every table of the insights with raw counts, as the beat job counted them at
    ``counted_at``; suppression is applied when it is read (``services.insights.public``)."""

    __tablename__ = "insights_snapshots"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    counted_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
