"""Reference data: themes, skills, departments, grades and organisations (public reads)."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import func, or_, select

from matcher.api.operations import operation
from matcher.api.schemas import Input, Output, PageInfo, PageNumber, PageSize
from matcher.extensions import db
from matcher.models import (
    Department,
    Grade,
    Organisation,
    OrganisationKind,
    Profession,
    Region,
    Skill,
    Theme,
    VerificationStatus,
)

TAG = "Reference data"


class Term(Output):
    """A theme or skill from the taxonomy."""

    id: int
    slug: str
    name: str
    description: str


class TermList(Output):
    items: list[Term]


class DepartmentOut(Output):
    id: int
    name: str
    abbreviation: str | None


class DepartmentList(Output):
    items: list[DepartmentOut]


class ProfessionOut(Output):
    id: int
    name: str


class ProfessionList(Output):
    items: list[ProfessionOut]


class RegionOut(Output):
    code: str
    name: str


class RegionList(Output):
    items: list[RegionOut]


class GradeOut(Output):
    code: str
    name: str
    rank: int


class GradeList(Output):
    items: list[GradeOut]


class OrganisationOut(Output):
    id: int
    name: str
    kind: OrganisationKind
    ons_code: str | None
    region_code: str | None
    verified: bool


class OrganisationQuery(Input):
    q: str | None = None
    kind: OrganisationKind | None = None
    page: PageNumber = 1
    per_page: PageSize = 50


class OrganisationPage(Output):
    items: list[OrganisationOut]
    page: PageInfo


TermModel = TypeVar("TermModel", Theme, Skill)


def _terms(model: type[TermModel]) -> TermList:
    rows = db.session.scalars(select(model).where(model.active).order_by(model.name))
    return TermList(
        items=[Term(id=t.id, slug=t.slug, name=t.name, description=t.description) for t in rows]
    )


@operation(
    "GET", "/themes", summary="Policy themes in use", tag=TAG, response=TermList, public=True
)
def list_themes() -> TermList:
    """The active policy themes, by name; profiles and placements refer to them by id."""
    return _terms(Theme)


@operation("GET", "/skills", summary="Skills in use", tag=TAG, response=TermList, public=True)
def list_skills() -> TermList:
    """The active skills, by name; profiles and placements refer to them by id."""
    return _terms(Skill)


@operation(
    "GET",
    "/departments",
    summary="Government departments",
    tag=TAG,
    response=DepartmentList,
    public=True,
)
def list_departments() -> DepartmentList:
    rows = db.session.scalars(select(Department).order_by(Department.name))
    return DepartmentList(
        items=[DepartmentOut(id=d.id, name=d.name, abbreviation=d.abbreviation) for d in rows]
    )


@operation(
    "GET",
    "/professions",
    summary="Civil service professions",
    tag=TAG,
    response=ProfessionList,
    public=True,
)
def list_professions() -> ProfessionList:
    """Professions by name; a profile refers to one by id."""
    rows = db.session.scalars(select(Profession).order_by(Profession.name))
    return ProfessionList(items=[ProfessionOut(id=p.id, name=p.name) for p in rows])


@operation(
    "GET", "/regions", summary="Regions and nations", tag=TAG, response=RegionList, public=True
)
def list_regions() -> RegionList:
    """ONS regions by name; placement search and a profile without a postcode use the code."""
    rows = db.session.scalars(select(Region).order_by(Region.name))
    return RegionList(items=[RegionOut(code=r.code, name=r.name) for r in rows])


@operation(
    "GET", "/grades", summary="Civil service grades", tag=TAG, response=GradeList, public=True
)
def list_grades() -> GradeList:
    """Grades from most junior (rank 1) up; placements give a range of grade codes."""
    rows = db.session.scalars(select(Grade).order_by(Grade.rank))
    return GradeList(items=[GradeOut(code=g.code, name=g.name, rank=g.rank) for g in rows])


@operation(
    "GET",
    "/organisations",
    summary="Councils, police forces and partnerships",
    tag=TAG,
    response=OrganisationPage,
    query=OrganisationQuery,
    public=True,
)
def list_organisations(query: OrganisationQuery) -> OrganisationPage:
    """Organisations that are verified or proposed (rejected ones are left out), by name."""
    where = [Organisation.status != VerificationStatus.REJECTED]
    if query.q:
        pattern = "%" + query.q.strip().lower().replace("%", r"\%").replace("_", r"\_") + "%"
        where.append(
            or_(
                func.lower(Organisation.name).like(pattern, escape="\\"),
                func.lower(Organisation.ons_code).like(pattern, escape="\\"),
            )
        )
    if query.kind is not None:
        where.append(Organisation.kind == query.kind)
    total = db.session.scalar(select(func.count()).select_from(Organisation).where(*where)) or 0
    rows = db.session.scalars(
        select(Organisation)
        .where(*where)
        .order_by(Organisation.name, Organisation.id)
        .offset((query.page - 1) * query.per_page)
        .limit(query.per_page)
    )
    return OrganisationPage(
        items=[
            OrganisationOut(
                id=o.id,
                name=o.name,
                kind=o.kind,
                ons_code=o.ons_code,
                region_code=o.region_code,
                verified=o.status == VerificationStatus.VERIFIED,
            )
            for o in rows
        ],
        page=PageInfo.of(query.page, query.per_page, total),
    )
