"""Seed deterministic demo data in bulk: the same seed and day give the same rows."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from matcher.clock import london_today
from matcher.demo import writing
from matcher.demo.bulk import bulk_insert, insert_returning_ids, table_of
from matcher.models import (
    CivilServantProfile,
    Department,
    Membership,
    Organisation,
    Placement,
    PlacementStatus,
    PracticeNote,
    PracticeNoteStatus,
    Profession,
    Skill,
    Theme,
    User,
    WantedKind,
)
from matcher.models.placements import placement_skills, placement_themes
from matcher.models.practice_notes import theme_follows
from matcher.models.users import profile_skills, profile_themes
from matcher.reference.catalogue import council_districts, district_regions, slugify
from matcher.reference.loader import load_reference_data, reference_data_loaded
from matcher.reference.postcodes import PostcodeSample, district_codes, lookup, postcode_sample
from matcher.security.passwords import hash_password

DEMO_PASSWORD = "matcher-demo-2026"
CHUNK = 5_000

# Bulk demo addresses sit under "demo." subdomains that receive no mail, so a seeded database
# wired to real SMTP cannot write to real people.
DEPARTMENT_DOMAINS = {
    "Cabinet Office": "cabinetoffice.gov.uk",
    "HM Treasury": "hmtreasury.gov.uk",
    "Department for Education": "education.gov.uk",
    "Department for Work and Pensions": "dwp.gov.uk",
    "Home Office": "homeoffice.gov.uk",
    "Ministry of Justice": "justice.gov.uk",
    "Department of Health and Social Care": "dhsc.gov.uk",
    "Department for Transport": "dft.gov.uk",
    "Department for Environment, Food and Rural Affairs": "defra.gov.uk",
    "Ministry of Housing, Communities and Local Government": "communities.gov.uk",
    "HM Revenue and Customs": "hmrc.gov.uk",
    "Ministry of Defence": "mod.gov.uk",
    "Department for Business and Trade": "businessandtrade.gov.uk",
    "Department for Science, Innovation and Technology": "dsit.gov.uk",
    "Department for Energy Security and Net Zero": "energysecurity.gov.uk",
    "Department for Culture, Media and Sport": "dcms.gov.uk",
}
# Rough relative headcounts, so big operational departments supply most demo people.
DEPARTMENT_WEIGHTS = {
    "Department for Work and Pensions": 9.0,
    "HM Revenue and Customs": 7.0,
    "Ministry of Justice": 9.0,
    "Home Office": 4.5,
    "Ministry of Defence": 6.0,
    "Department for Environment, Food and Rural Affairs": 1.0,
}
# Rough shares of the Civil Service by grade, AA (rank 1) to SCS4 (rank 11).
GRADE_WEIGHTS = np.array([3, 10, 24, 21, 16, 15, 7, 3, 0.8, 0.18, 0.02])
KINDS = ("secondment", "placement", "partnership_project", "job_shadowing", "mentoring")
KIND_WEIGHTS = np.array([35, 25, 15, 15, 10])
DURATION_WEEKS = {
    "secondment": (12, 52),
    "placement": (4, 26),
    "partnership_project": (8, 52),
    "job_shadowing": (1, 2),
    "mentoring": (12, 26),
}
STATUSES = ("open", "draft", "closed", "filled", "withdrawn")
STATUS_WEIGHTS = np.array([75, 10, 8, 4, 3])
HOURS = ("full_time", "part_time", "flexible")
HOURS_WORDS = {"full_time": "full-time", "part_time": "part-time", "flexible": "flexible"}
MAIL_SUFFIX = {
    "council": "{}.gov.uk",
    "police_force": "{}.police.uk",
    "regional_partnership": "{}.org.uk",
    "other_public_body": "{}.org.uk",
}
TRAVEL_LIMITS_KM = np.array([10, 25, 40, 60, 100, 200])


@dataclass(frozen=True)
class DemoAccount:
    """A sign-in printed for people trying the demo."""

    email: str
    role: str
    description: str
    # A person's name, as the pages and emails address them ("Jo Whitaker at Leeds Council").
    name: str


DEMO_ACCOUNTS = (
    DemoAccount("recruit@cabinetoffice.gov.uk", "civil_servant", "a new recruit", "Priya Shah"),
    DemoAccount(
        "officer@leeds.gov.uk", "organisation_member", "admin of Leeds Council", "Jo Whitaker"
    ),
    DemoAccount("admin@matcher.localhost", "administrator", "platform administrator", "Sam Okafor"),
)


@dataclass(frozen=True)
class DemoSummary:
    """What a seeding run inserted."""

    people: int
    members: int
    placements: int
    organisations: int


@dataclass(frozen=True)
class Reference:
    """The reference rows the demo draws from."""

    departments: list[tuple[int, str]]
    professions: list[tuple[int, str]]
    themes: list[tuple[int, str, str]]
    skills: list[tuple[int, str]]
    organisations: list[tuple[int, str, str, str | None, str | None, str | None]]


Progress = Callable[[int], None]


def demo_data_present(session: Session) -> bool:
    """Whether demo data has been seeded (its fixed sign-in accounts exist)."""
    emails = [account.email for account in DEMO_ACCOUNTS]
    return session.scalar(select(User.id).where(User.email.in_(emails)).limit(1)) is not None


def seed_demo(
    session: Session,
    *,
    people: int,
    placements: int,
    seed: int,
    today: date | None = None,
    progress: Progress | None = None,
) -> DemoSummary:
    """Insert demo accounts, people, members and placements; the caller commits."""
    today = today or london_today()
    advance = progress or (lambda _: None)
    if not reference_data_loaded(session):
        load_reference_data(session)
    rng = np.random.default_rng(seed)
    reference = _reference(session)
    sample = postcode_sample()
    password_hash = hash_password(DEMO_PASSWORD)
    now = datetime.combine(today, time(9, 0), tzinfo=UTC)

    _insert_demo_accounts(session, reference, password_hash, now)
    for done in _insert_people(session, rng, reference, sample, people, password_hash, now):
        advance(done)
    members = _insert_members(session, rng, reference, password_hash, now)
    for done in _insert_placements(session, rng, reference, sample, members, placements, today):
        advance(done)
    _insert_practice_notes(session, now)
    return DemoSummary(
        people=people + 1,
        members=sum(len(ids) for ids in members.values()) + 1,
        placements=placements,
        organisations=len(members),
    )


def _reference(session: Session) -> Reference:
    organisations = session.execute(
        select(
            Organisation.id,
            Organisation.name,
            Organisation.kind,
            Organisation.ons_code,
            Organisation.region_code,
            Organisation.email_domain,
        )
        .where(Organisation.status == "verified", Organisation.merged_into_id.is_(None))
        .order_by(Organisation.id)
    ).all()
    return Reference(
        departments=[
            (row.id, row.name)
            for row in session.execute(
                select(Department.id, Department.name).order_by(Department.id)
            )
            if row.name in DEPARTMENT_DOMAINS
        ],
        professions=[
            (row.id, row.name)
            for row in session.execute(
                select(Profession.id, Profession.name).order_by(Profession.id)
            )
        ],
        themes=[
            (row.id, row.name, row.description)
            for row in session.execute(
                select(Theme.id, Theme.name, Theme.description)
                .where(Theme.active)
                .order_by(Theme.id)
            )
        ],
        skills=[
            (row.id, row.name)
            for row in session.execute(
                select(Skill.id, Skill.name).where(Skill.active).order_by(Skill.id)
            )
        ],
        organisations=[
            (row.id, row.name, str(row.kind), row.ons_code, row.region_code, row.email_domain)
            for row in organisations
        ],
    )


def _insert_demo_accounts(
    session: Session, reference: Reference, password_hash: str, now: datetime
) -> None:
    """The fixed sign-ins: a recruit with a full profile, a council officer and an admin."""
    ids = {}
    for account in DEMO_ACCOUNTS:
        ids[account.email] = session.scalar(
            insert(User)
            .values(
                email=account.email,
                password_hash=password_hash,
                role=account.role,
                display_name=account.name,
                email_confirmed_at=now,
                created_at=now,
                updated_at=now,
            )
            .returning(User.id)
        )
    home = lookup("SW1A 2AA")
    recruit = ids["recruit@cabinetoffice.gov.uk"]
    department = next(i for i, name in reference.departments if name == "Cabinet Office")
    profession = next(i for i, name in reference.professions if name == "Policy")
    session.execute(
        insert(CivilServantProfile).values(
            user_id=recruit,
            department_id=department,
            grade_rank=4,
            profession_id=profession,
            home_postcode=home.postcode,
            local_authority_code=home.local_authority_code,
            region_code=home.region_code,
            easting=home.easting,
            northing=home.northing,
            travel_limit_km=300,
            remote_ok=True,
            available_from=now.date() + timedelta(days=30),
            available_until=now.date() + timedelta(days=400),
            hours="full_time",
            about=(
                "I joined the Cabinet Office this autumn on the policy profession's graduate "
                "scheme. I want to see how councils and police forces run services for rural "
                "communities and how they work together across a region."
            ),
            discoverable=True,
            digest_frequency="weekly",
            completed_at=now,
            created_at=now,
            updated_at=now,
        )
    )
    themes = [i for i, _, _ in reference.themes[:5]]
    session.execute(insert(profile_themes), [{"user_id": recruit, "theme_id": t} for t in themes])
    skills = [i for i, _ in reference.skills[:6]]
    session.execute(insert(profile_skills), [{"user_id": recruit, "skill_id": s} for s in skills])
    session.execute(
        insert(WantedKind),
        [{"user_id": recruit, "kind": kind} for kind in ("secondment", "placement")],
    )
    leeds = next(o[0] for o in reference.organisations if o[3] == "E08000035")
    session.execute(
        insert(Membership).values(
            user_id=ids["officer@leeds.gov.uk"], organisation_id=leeds, role="admin", created_at=now
        )
    )


def _weighted_subsets(
    rng: np.random.Generator, count: int, weights: np.ndarray, low: int, high: int
) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``low..high`` distinct items per row, weighted (Gumbel top-k); returns (items, mask)."""
    keys = np.log(weights)[None, :] + rng.gumbel(size=(count, len(weights)))
    items = np.argsort(-keys, axis=1)[:, :high]
    sizes = rng.integers(low, high + 1, size=count)
    return items, np.arange(high)[None, :] < sizes[:, None]


def _chunks(total: int) -> Iterator[slice]:
    for start in range(0, total, CHUNK):
        yield slice(start, min(start + CHUNK, total))


def _email_part(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())


def _insert_people(
    session: Session,
    rng: np.random.Generator,
    reference: Reference,
    sample: PostcodeSample,
    count: int,
    password_hash: str,
    now: datetime,
) -> Iterator[int]:
    """Insert civil servants with profiles in chunks, yielding how many each chunk added."""
    today = now.date()
    first = rng.integers(len(writing.FIRST_NAMES), size=count)
    last = rng.integers(len(writing.LAST_NAMES), size=count)
    department_weights = np.array(
        [DEPARTMENT_WEIGHTS.get(name, 0.8) for _, name in reference.departments]
    )
    department = rng.choice(
        len(reference.departments), size=count, p=department_weights / department_weights.sum()
    )
    grade_rank = rng.choice(np.arange(1, 12), size=count, p=GRADE_WEIGHTS / GRADE_WEIGHTS.sum())
    profession_weights = np.array(
        [
            8.0 if name in ("Policy", "Operational Delivery") else 1.0
            for _, name in reference.professions
        ]
    )
    profession = rng.choice(
        len(reference.professions), size=count, p=profession_weights / profession_weights.sum()
    )
    theme_weights = np.linspace(2.0, 1.0, len(reference.themes))
    themes, theme_mask = _weighted_subsets(rng, count, theme_weights, 2, 5)
    skills, skill_mask = _weighted_subsets(rng, count, np.ones(len(reference.skills)), 3, 8)
    kinds, kind_mask = _weighted_subsets(rng, count, KIND_WEIGHTS.astype(float), 1, 3)
    home = sample.draw_anywhere(rng, count)
    travel = rng.choice(TRAVEL_LIMITS_KM, size=count, p=[0.1, 0.25, 0.25, 0.2, 0.15, 0.05])
    remote_ok = rng.random(count) < 0.6
    available_from = rng.integers(0, 180, size=count)
    available_weeks = rng.integers(12, 105, size=count)
    open_ended = rng.random(count) < 0.1
    hours = rng.choice(len(HOURS), size=count, p=[0.6, 0.15, 0.25])
    discoverable = rng.random(count) < 0.7
    digest = rng.choice(3, size=count, p=[0.8, 0.1, 0.1])
    template = rng.integers(0, 12, size=(count, 3))
    joined_days = rng.integers(1, 700, size=count)

    for part in _chunks(count):
        users = []
        for i in range(part.start, part.stop):
            first_name = writing.FIRST_NAMES[first[i]]
            last_name = writing.LAST_NAMES[last[i]]
            domain = DEPARTMENT_DOMAINS[reference.departments[department[i]][1]]
            joined = now - timedelta(days=int(joined_days[i]))
            users.append(
                {
                    "email": (
                        f"{_email_part(first_name)}.{_email_part(last_name)}.{i + 1}@demo.{domain}"
                    ),
                    "password_hash": password_hash,
                    "role": "civil_servant",
                    "display_name": f"{first_name} {last_name}",
                    "email_confirmed_at": joined,
                    "created_at": joined,
                    "updated_at": joined,
                }
            )
        ids = insert_returning_ids(session, table_of(User), users)
        profiles, theme_rows, skill_rows, kind_rows = [], [], [], []
        for user_id, i, user in zip(ids, range(part.start, part.stop), users, strict=True):
            place = sample.location(int(home[i]))
            person_themes = [reference.themes[t] for t in themes[i][theme_mask[i]]]
            start = today + timedelta(days=int(available_from[i]))
            profiles.append(
                {
                    "user_id": user_id,
                    "department_id": reference.departments[department[i]][0],
                    "grade_rank": int(grade_rank[i]),
                    "profession_id": reference.professions[profession[i]][0],
                    "home_postcode": place.postcode,
                    "local_authority_code": place.local_authority_code,
                    "region_code": place.region_code,
                    "easting": place.easting,
                    "northing": place.northing,
                    "travel_limit_km": int(travel[i]),
                    "remote_ok": bool(remote_ok[i]),
                    "available_from": start,
                    "available_until": (
                        None if open_ended[i] else start + timedelta(weeks=int(available_weeks[i]))
                    ),
                    "hours": HOURS[hours[i]],
                    "about": _about(
                        template[i],
                        reference.departments[department[i]][1],
                        reference.professions[profession[i]][1],
                        int(grade_rank[i]),
                        [name for _, name, _ in person_themes],
                    ),
                    "discoverable": bool(discoverable[i]),
                    "digest_frequency": ("weekly", "daily", "never")[digest[i]],
                    "completed_at": user["created_at"],
                    "created_at": user["created_at"],
                    "updated_at": user["created_at"],
                }
            )
            theme_rows += [{"user_id": user_id, "theme_id": t[0]} for t in person_themes]
            skill_rows += [
                {"user_id": user_id, "skill_id": reference.skills[s][0]}
                for s in skills[i][skill_mask[i]]
            ]
            kind_rows += [{"user_id": user_id, "kind": KINDS[k]} for k in kinds[i][kind_mask[i]]]
        bulk_insert(session, table_of(CivilServantProfile), profiles)
        bulk_insert(session, profile_themes, theme_rows)
        bulk_insert(session, profile_skills, skill_rows)
        bulk_insert(session, table_of(WantedKind), kind_rows)
        yield part.stop - part.start


GRADE_WORDS = (
    "",
    "an AA",
    "an AO",
    "an EO",
    "an HEO",
    "an SEO",
    "a Grade 7",
    "a Grade 6",
    "a Deputy Director",
    "a Director",
    "a Director General",
    "a Permanent Secretary",
)


def _about(
    template: np.ndarray, department: str, profession: str, rank: int, themes: list[str]
) -> str:
    """A short first-person profile that names the person's themes."""
    values = {
        "department": department if department.startswith("HM ") else f"the {department}",
        "profession": profession.removeprefix("Government "),
        "grade": GRADE_WORDS[rank],
        "themes": writing.join_words([writing.lower_first(t) for t in themes[:3]]),
    }
    parts = (writing.ABOUT_OPENINGS, writing.ABOUT_INTERESTS, writing.ABOUT_CLOSINGS)
    return "".join(
        options[int(choice) % len(options)].format(**values)
        for options, choice in zip(parts, template, strict=True)
    )


def _insert_members(
    session: Session,
    rng: np.random.Generator,
    reference: Reference,
    password_hash: str,
    now: datetime,
) -> dict[int, list[int]]:
    """One admin for every organisation and a second member for some; ids by organisation."""
    extra = rng.random(len(reference.organisations)) < 0.5
    first = rng.integers(len(writing.FIRST_NAMES), size=(len(reference.organisations), 2))
    last = rng.integers(len(writing.LAST_NAMES), size=(len(reference.organisations), 2))
    users, owners = [], []
    for n, (org_id, name, kind, _ons, _region, domain) in enumerate(reference.organisations):
        for k in range(2 if extra[n] else 1):
            first_name = writing.FIRST_NAMES[first[n, k]]
            last_name = writing.LAST_NAMES[last[n, k]]
            mail_domain = domain or MAIL_SUFFIX[kind].format(slugify(name.removesuffix(" Council")))
            users.append(
                {
                    "email": (
                        f"{_email_part(first_name)}.{_email_part(last_name)}.{n + 1}.{k + 1}"
                        f"@demo.{mail_domain}"
                    ),
                    "password_hash": password_hash,
                    "role": "organisation_member",
                    "display_name": f"{first_name} {last_name}",
                    "email_confirmed_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            owners.append((org_id, "admin" if k == 0 else "member"))
    ids = insert_returning_ids(session, table_of(User), users)
    session.execute(
        insert(Membership),
        [
            {"user_id": user_id, "organisation_id": org_id, "role": role, "created_at": now}
            for user_id, (org_id, role) in zip(ids, owners, strict=True)
        ],
    )
    members: dict[int, list[int]] = {}
    for user_id, (org_id, _) in zip(ids, owners, strict=True):
        members.setdefault(org_id, []).append(user_id)
    return members


def _insert_placements(
    session: Session,
    rng: np.random.Generator,
    reference: Reference,
    sample: PostcodeSample,
    members: dict[int, list[int]],
    count: int,
    today: date,
) -> Iterator[int]:
    """Insert placements with themes and skills in chunks, yielding how many each added."""
    organisations = reference.organisations
    kind_weight = {"council": 3.0, "police_force": 2.0, "regional_partnership": 2.0}
    weights = np.array([kind_weight.get(o[2], 1.0) for o in organisations])
    organisation = rng.choice(len(organisations), size=count, p=weights / weights.sum())
    kind = rng.choice(len(KINDS), size=count, p=KIND_WEIGHTS / KIND_WEIGHTS.sum())
    status = rng.choice(len(STATUSES), size=count, p=STATUS_WEIGHTS / STATUS_WEIGHTS.sum())
    themes, theme_mask = _weighted_subsets(rng, count, np.ones(len(reference.themes)), 1, 3)
    skills, skill_mask = _weighted_subsets(rng, count, np.ones(len(reference.skills)), 2, 5)
    remote = rng.random(count)
    grade_min = rng.integers(2, 8, size=count)
    grade_span = rng.integers(0, 4, size=count)
    capacity = rng.choice([1, 1, 1, 2, 3], size=count)
    hours = rng.choice(len(HOURS), size=count, p=[0.5, 0.2, 0.3])
    closing_offset = rng.integers(7, 61, size=count)
    start_gap = rng.integers(14, 91, size=count)
    published_ago = rng.integers(1, 46, size=count)
    duration_draw = rng.random(count)
    template = rng.integers(0, 12, size=(count, 5))
    districts_by_region: dict[str, list[str]] = {}
    for code in sample_districts(sample):
        districts_by_region.setdefault(district_regions()[code], []).append(code)
    place_draw = rng.integers(0, 1 << 30, size=count)
    position_rng = np.random.default_rng(rng.integers(1 << 62))
    # The first placements go to the organisations of the demo's practice notes: open, on the
    # note's themes, and within the demo recruit's grade, dates and kinds of placement, so a
    # newcomer signed in as the recruit sees a match citing a note ("Work alongside ...").
    for i, (organisation_index, theme_indices) in enumerate(_noted(session, reference)[:count]):
        organisation[i] = organisation_index
        kind[i] = KINDS.index("secondment")
        status[i] = STATUSES.index("open")
        themes[i, : len(theme_indices)] = theme_indices
        theme_mask[i] = np.arange(themes.shape[1]) < len(theme_indices)
        remote[i] = 0.2  # located (0.1 and above) and open to remote working (below 0.3)
        grade_min[i], grade_span[i] = 3, 3
        hours[i] = HOURS.index("full_time")
        closing_offset[i], start_gap[i] = 30, 30

    for part in _chunks(count):
        rows = []
        for i in range(part.start, part.stop):
            org_id, org_name, org_kind, ons_code, region, _ = organisations[organisation[i]]
            kind_name = KINDS[kind[i]]
            status_name = STATUSES[status[i]]
            low, high = DURATION_WEEKS[kind_name]
            weeks = low + int(duration_draw[i] * (high - low + 1))
            if status_name in ("open", "draft"):
                closing = today + timedelta(days=int(closing_offset[i]))
            else:
                closing = today - timedelta(days=int(closing_offset[i]))
            if status_name == "draft":
                published = None
            elif status_name == "open":
                published = _stamp(today - timedelta(days=int(published_ago[i])), hour=9)
            else:
                published = _stamp(closing - timedelta(days=int(published_ago[i]) + 14), hour=9)
            fully_remote = remote[i] < 0.1 or (org_kind != "council" and region is None)
            located_district = _choose(
                council_districts(ons_code)
                if org_kind == "council" and ons_code
                else districts_by_region.get(region or "", []),
                int(place_draw[i]),
            )
            place = None
            if not fully_remote and located_district:
                draw = sample.draw_in(position_rng, located_district, 1)
                place = sample.location(int(draw[0]))
            theme = reference.themes[themes[i][0]]
            created = published or datetime.combine(today, time(9), tzinfo=UTC)
            values = {
                "organisation": org_name,
                "theme": theme[1],
                "theme_lower": writing.lower_first(theme[1]),
                "theme_description": theme[2],
                "weeks": weeks,
            }
            skill_names = [reference.skills[s][1] for s in skills[i][skill_mask[i]]]
            remote_possible = place is None or remote[i] < 0.3
            location = (
                " and can be done remotely"
                if place is None
                else f", based near {place.postcode}"
                + (" with some remote working" if remote_possible else "")
            )
            rows.append(
                {
                    "organisation_id": org_id,
                    "title": _fit(
                        _choice(writing.PLACEMENT_TITLES[kind_name], template[i, 0]).format(
                            **values
                        ),
                        150,
                    ),
                    "summary": _fit(writing.PLACEMENT_SUMMARIES[kind_name].format(**values), 300),
                    "description": (
                        _choice(writing.PLACEMENT_BODIES, template[i, 1]).format(**values)
                        + _choice(writing.PLACEMENT_SKILLS, template[i, 2]).format(
                            skills=writing.join_words([writing.lower_first(s) for s in skill_names])
                        )
                        + _choice(writing.PLACEMENT_CLOSINGS, template[i, 3]).format(
                            hours=HOURS_WORDS[HOURS[hours[i]]], location=location
                        )
                    ),
                    "kind": kind_name,
                    "grade_min_rank": int(grade_min[i]),
                    "grade_max_rank": int(min(11, grade_min[i] + grade_span[i])),
                    "location_postcode": place.postcode if place else None,
                    "local_authority_code": place.local_authority_code if place else None,
                    "region_code": place.region_code if place else region,
                    "easting": place.easting if place else None,
                    "northing": place.northing if place else None,
                    "remote_possible": remote_possible,
                    "start_date": closing + timedelta(days=int(start_gap[i])),
                    "duration_weeks": weeks,
                    "hours": HOURS[hours[i]],
                    "capacity": int(capacity[i]),
                    "closing_date": closing,
                    "status": status_name,
                    "created_by_id": members[org_id][0],
                    "created_at": created,
                    "updated_at": created,
                    "published_at": published,
                    "closed_at": _stamp(closing) if status_name in ("closed", "filled") else None,
                    "filled_at": _stamp(closing) if status_name == "filled" else None,
                    "withdrawn_at": _stamp(closing) if status_name == "withdrawn" else None,
                }
            )
        ids = insert_returning_ids(session, table_of(Placement), rows)
        bulk_insert(
            session,
            placement_themes,
            [
                {"placement_id": pid, "theme_id": reference.themes[t][0]}
                for pid, i in zip(ids, range(part.start, part.stop), strict=True)
                for t in themes[i][theme_mask[i]]
            ],
        )
        bulk_insert(
            session,
            placement_skills,
            [
                {"placement_id": pid, "skill_id": reference.skills[s][0]}
                for pid, i in zip(ids, range(part.start, part.stop), strict=True)
                for s in skills[i][skill_mask[i]]
            ],
        )
        yield part.stop - part.start


def _noted(session: Session, reference: Reference) -> list[tuple[int, list[int]]]:
    """For each demo practice note whose organisation is loaded: where that organisation and
    the note's themes sit in ``reference``."""
    slugs = dict(session.execute(select(Theme.id, Theme.slug)).tuples().all())
    theme_index = {slugs[theme_id]: n for n, (theme_id, _, _) in enumerate(reference.themes)}
    noted = []
    for note in DEMO_NOTES:
        for n, (_, name, _, ons_code, _, _) in enumerate(reference.organisations):
            if note.organisation in (ons_code, name):
                noted.append((n, [theme_index[slug] for slug in note.themes]))
                break
    return noted


def sample_districts(sample: PostcodeSample) -> list[str]:
    """District codes that have at least one located postcode to draw."""
    return [code for i, code in enumerate(district_codes()) if sample.stops[i] > sample.starts[i]]


def _choose(options: Sequence[str], draw: int) -> str | None:
    return options[draw % len(options)] if options else None


def _choice(options: tuple[str, ...], draw: Any) -> str:
    return options[int(draw) % len(options)]


def _fit(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _stamp(day: date, hour: int = 17) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


@dataclass(frozen=True)
class DemoNote:
    """A practice note the demo publishes for one organisation (by ONS code or name)."""

    organisation: str
    title: str
    problem: str
    what_changed: str
    evidence: str
    themes: tuple[str, ...]  # slugs
    link: tuple[str, str]  # the organisation's own website and its words
    days_ago: int


DEMO_NOTES = (
    DemoNote(
        "E06000063",
        "Mobile library hubs",
        "Villages across the district had lost their bank branches, post offices and most bus "
        "routes. Older residents and people without broadband travelled an hour or more to ask "
        "about council tax, benefits or a blue badge, or went without.",
        "The mobile library vans became service hubs. Each van keeps its books and adds a desk "
        "staffed in turn by council advisers, the local health trust and the Citizens Advice "
        "service, with a connected laptop for anyone who wants help to get online. Timetables "
        "follow the market days people already travel for.",
        "In the first year the hubs answered several thousand enquiries that would otherwise "
        "have needed a trip to a town office, and visits to the vans rose by about a half. "
        "The council's evaluation compares stops with and without a hub.",
        ("rural-access-to-services", "citizen-facing-technology"),
        ("https://www.cumberland.gov.uk/", "Cumberland Council website"),
        12,
    ),
    DemoNote(
        "E08000035",
        "Neighbourhood health and care teams",
        "People leaving hospital waited days for a care package because social workers, "
        "district nurses and GP practices each assessed them separately.",
        "Social workers, community nurses and therapists now share a base and one assessment "
        "in each neighbourhood, with a joint daily meeting to plan discharges.",
        "Delayed discharges from the city's hospitals fell and people say they tell their story "
        "once. The council and the health trust report the figures to their joint board.",
        ("health-and-care-integration", "social-care"),
        ("https://www.leeds.gov.uk/", "Leeds City Council website"),
        30,
    ),
    DemoNote(
        "Cumbria Constabulary",
        "Rural crime partnership with farmers",
        "Thefts of machinery, fuel and livestock went unreported because farmers expected "
        "nothing to come of it, so patrols went to the wrong places.",
        "Officers, the farming unions and the fire service run a shared messaging group and "
        "monthly surgeries at livestock auctions, and mark machinery together.",
        "Reports of rural crime rose at first, as trust grew, and repeat thefts from the same "
        "farms fell. The force publishes the figures each quarter.",
        ("community-safety-and-policing", "rural-access-to-services"),
        ("https://www.cumbria.police.uk/", "Cumbria Constabulary website"),
        5,
    ),
    DemoNote(
        "Yorkshire and Humber Regional Partnership",
        "A pooled fund for town centre regeneration",
        "Each council bid separately for small regeneration grants, and the costs of bidding "
        "fell hardest on the smallest districts.",
        "The councils pooled their grants into one fund with a shared investment panel, "
        "common business cases and a small team that helps districts prepare schemes.",
        "More schemes reached the start of building in the fund's first two years than in the "
        "two years before it, with less spent on bids.",
        ("financing-local-regeneration", "collaborative-governance"),
        (
            "https://www.gov.uk/government/organisations/ministry-of-housing-communities-local-government",
            "Ministry of Housing, Communities and Local Government",
        ),
        45,
    ),
)


def _insert_practice_notes(session: Session, now: datetime) -> None:
    """Publish the demo's practice notes, each linked to up to two of its organisation's open
    placements on the note's themes, and let the demo recruit follow two themes so the digest
    shows new notes."""
    themes = dict(session.execute(select(Theme.slug, Theme.id)).tuples().all())
    for demo in DEMO_NOTES:
        organisation = session.scalars(
            select(Organisation).where(
                (Organisation.ons_code == demo.organisation)
                | (Organisation.name == demo.organisation)
            )
        ).first()
        if organisation is None:
            continue
        # Only placements on the note's own themes: someone there would work on the practice.
        placements = session.scalars(
            select(Placement)
            .where(
                Placement.organisation_id == organisation.id,
                Placement.status == PlacementStatus.OPEN,
                Placement.themes.any(Theme.slug.in_(demo.themes)),
            )
            .order_by(Placement.id)
            .limit(2)
        ).all()
        url, label = demo.link
        session.add(
            PracticeNote(
                organisation_id=organisation.id,
                title=demo.title,
                problem=demo.problem,
                what_changed=demo.what_changed,
                evidence=demo.evidence,
                evidence_links=[{"url": url, "label": label}],
                region_code=organisation.region_code,
                contact_name="Practice lead",
                contact_email=f"practice@demo.{slugify(organisation.name)}.gov.uk",
                status=PracticeNoteStatus.PUBLISHED,
                published_at=now - timedelta(days=demo.days_ago),
                created_at=now - timedelta(days=demo.days_ago + 3),
                updated_at=now - timedelta(days=demo.days_ago),
                themes=list(session.scalars(select(Theme).where(Theme.slug.in_(demo.themes)))),
                placements=list(placements),
            )
        )
    recruit = session.scalar(select(User.id).where(User.email == DEMO_ACCOUNTS[0].email))
    followed = [themes[slug] for slug in ("rural-access-to-services", "social-care")]
    session.execute(
        insert(theme_follows), [{"user_id": recruit, "theme_id": theme} for theme in followed]
    )
    session.flush()
