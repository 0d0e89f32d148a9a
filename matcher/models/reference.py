"""Reference data: places, departments, grades, professions and the two taxonomies."""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from matcher.models.base import Base


class Region(Base):
    """An ONS region of England, or one of the three other nations."""

    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(9), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)


class LocalAuthority(Base):
    """An ONS lower-tier local authority district (2021 boundaries)."""

    __tablename__ = "local_authorities"

    code: Mapped[str] = mapped_column(String(9), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    upper_tier_code: Mapped[str] = mapped_column(String(9), index=True)
    upper_tier_name: Mapped[str] = mapped_column(String(100))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    # Postcodes per occupied square kilometre: how densely the district is settled, the proxy
    # for rural and urban (``reference/data/district_density.json`` says how it is derived).
    postcode_density: Mapped[float | None] = mapped_column(Float)


class Department(Base):
    """A central government department that employs civil servants."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(150), unique=True)
    abbreviation: Mapped[str | None] = mapped_column(String(20))
    ministerial: Mapped[bool] = mapped_column(Boolean, default=True)


class Grade(Base):
    """A Civil Service grade; ``rank`` orders them from AA (1) upwards."""

    __tablename__ = "grades"
    __table_args__ = (CheckConstraint("rank >= 1", name="rank_positive"),)

    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    rank: Mapped[int] = mapped_column(Integer, unique=True)


class Profession(Base):
    """A Civil Service profession (policy, digital, finance, ...)."""

    __tablename__ = "professions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)


class Theme(Base):
    """A policy theme in the taxonomy administrators keep."""

    __tablename__ = "themes"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Skill(Base):
    """A skill in the taxonomy administrators keep."""

    __tablename__ = "skills"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(150), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
