"""The practice library: published practice notes, searched as the library page searches them.

Open data under the Open Government Licence, like the notes' pages: no token needed. Writing,
publishing and withdrawing notes stay on the web pages.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from matcher.api.operations import operation
from matcher.api.schemas import Input, Output, PageInfo, PageNumber, PageSize
from matcher.extensions import db
from matcher.models import OrganisationKind
from matcher.services import practice_notes as service
from matcher.services.practice_notes import NoteSearch
from matcher.services.text import SEARCH_TEXT_MAX

TAG = "Practice notes"
PER_PAGE_DEFAULT = 20
# The lengths of a theme's slug and of an ONS region code, as the tables hold them.
THEME_MAX_LENGTH = 80
REGION_CODE_MAX_LENGTH = 9
LICENCE = "Open Government Licence v3.0"


class PracticeNotesQuery(Input):
    text: str | None = Field(
        default=None,
        max_length=SEARCH_TEXT_MAX,
        description="Words, each found in the title, the problem, what changed, the evidence "
        "or the organisation's name",
    )
    theme: str | None = Field(
        default=None,
        max_length=THEME_MAX_LENGTH,
        description="A theme's `slug`, from `GET /themes`",
    )
    region_code: str | None = Field(
        default=None,
        max_length=REGION_CODE_MAX_LENGTH,
        description="An ONS region code, from `GET /regions`",
    )
    organisation_kind: OrganisationKind | None = None
    page: PageNumber = 1
    per_page: PageSize = PER_PAGE_DEFAULT


class NoteOrganisation(Output):
    id: int
    name: str
    kind: OrganisationKind


class NoteTheme(Output):
    id: int
    slug: str
    name: str


class EvidenceLink(Output):
    url: str
    label: str


class PracticeNoteOut(Output):
    """A published note of a practice an organisation has made work."""

    id: int = Field(description="The note's public page is `/practice/{id}` on the web")
    title: str
    organisation: NoteOrganisation
    region_code: str | None
    problem: str
    what_changed: str
    evidence: str
    evidence_links: list[EvidenceLink]
    themes: list[NoteTheme]
    open_placement_ids: list[int] = Field(
        description="Open placements linked to the note, where someone could work alongside "
        "the practice; `GET /placements/{placement_id}` gives each"
    )
    published_at: datetime
    licence: str = Field(description=f"Always {LICENCE}")


class PracticeNotePage(Output):
    items: list[PracticeNoteOut]
    page: PageInfo


@operation(
    "GET",
    "/practice-notes",
    summary="Published practice notes",
    tag=TAG,
    response=PracticeNotePage,
    query=PracticeNotesQuery,
    public=True,
)
def list_practice_notes(query: PracticeNotesQuery) -> PracticeNotePage:
    """The practice library, newest first, filtered as its page filters: by words, a theme,
    a region and the kind of organisation. A theme or region that names nothing finds no notes.
    Open data: no token needed."""
    found = service.search_published(
        db.session,
        NoteSearch(
            theme=query.theme or None,
            region_code=query.region_code or None,
            organisation_kind=query.organisation_kind.value if query.organisation_kind else None,
            text=query.text or None,
        ),
        limit=query.per_page,
        offset=(query.page - 1) * query.per_page,
    )
    placements = service.open_placements_of_notes(db.session, [n.id for n in found.items])
    items = []
    for note in found.items:
        assert note.published_at is not None
        items.append(
            PracticeNoteOut(
                id=note.id,
                title=note.title,
                organisation=NoteOrganisation(
                    id=note.organisation.id,
                    name=note.organisation.name,
                    kind=note.organisation.kind,
                ),
                region_code=note.region_code,
                problem=note.problem,
                what_changed=note.what_changed,
                evidence=note.evidence,
                evidence_links=[
                    EvidenceLink(url=link["url"], label=link["label"])
                    for link in note.evidence_links
                ],
                themes=[NoteTheme(id=t.id, slug=t.slug, name=t.name) for t in note.themes],
                open_placement_ids=placements.get(note.id, []),
                published_at=note.published_at,
                licence=LICENCE,
            )
        )
    return PracticeNotePage(items=items, page=PageInfo.of(query.page, query.per_page, found.total))
