"""The reasons on a page of match cards, read as the person and the organisation read them."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta
from html import unescape

from flask import Flask
from sqlalchemy import func, select, update

from matcher.clock import london_today
from matcher.extensions import db
from matcher.models import Match, Placement, User
from matcher.stored_matches.rebuild import rebuild_sync
from tests.unit.services.world import build_world, open_placement
from tests.unit.stored_matches.helpers import seed
from tests.unit.web.matches_world import (
    browser_of,
    complete_profile,
    confirm_everyone,
    stored_match,
)

_REASON_LIST = re.compile(r"Why it matches</h3>\s*<ul[^>]*>(.*?)</ul>", re.S)
_ITEM = re.compile(r"<li>(.*?)</li>", re.S)
PEOPLE_LOOKED_AT = 10
CARDS_AT_LEAST = 4


def cards(page: str) -> list[list[str]]:
    """Each card's reasons on a matches page, in order."""
    return [
        [unescape(item).strip() for item in _ITEM.findall(listed)]
        for listed in _REASON_LIST.findall(page)
    ]


def test_no_sentence_is_on_every_card_of_a_realistic_matches_page(app: Flask):
    seed(db.session, people=40, placements=300)
    rebuild_sync(db.session, app.config["MATCHER_SETTINGS"])
    confirm_everyone()
    per_person = (
        select(Match.person_id)
        .group_by(Match.person_id)
        .having(func.count() >= CARDS_AT_LEAST)
        .order_by(Match.person_id)
        .limit(PEOPLE_LOOKED_AT)
    )
    people = db.session.scalars(select(User).where(User.id.in_(per_person))).all()
    assert len(people) == PEOPLE_LOOKED_AT
    said: Counter[str] = Counter()
    for person in people:
        page = browser_of(app, person).get("/matches").get_data(as_text=True)
        shown = cards(page)
        assert len(shown) >= CARDS_AT_LEAST, page
        on_every_card = set.intersection(*(set(card) for card in shown))
        assert on_every_card == set(), (person.email, shown)
        said.update(sentence.split(",")[0].split(" ")[0] for card in shown for sentence in card)
    # The page says dates, distances and first placements at all, so the check is not empty.
    assert said["Starts"] and said["Your"], said
    assert said["Shares"] and any(word[0].isdigit() or word == "Less" for word in said), said


def test_a_stored_match_reads_its_start_date_when_the_page_is_shown(app: Flask):
    world = build_world(db.session)
    confirm_everyone()
    complete_profile(world.person)
    placement = open_placement(db.session, world, title="Youth justice secondment")
    db.session.commit()
    match = stored_match(world, world.person, placement, rank=1)
    # Stored 66 days ago, when the placement was 11 days from its start as the engine saw it.
    reasons = [
        *match.reasons,
        {"component": "start", "contribution": 0.1, "evidence": {"days_to_start": 11}},
    ]
    db.session.execute(update(Match).values(reasons=reasons))
    start = london_today() + timedelta(days=77)
    db.session.execute(
        update(Placement).where(Placement.id == placement.id).values(start_date=start)
    )
    db.session.commit()

    page = browser_of(app, world.person).get("/matches").get_data(as_text=True)

    (card,) = cards(page)
    assert f"Starts {start.day} {start:%B %Y}, in 11 weeks" in card, card
    assert not any("11 days" in sentence for sentence in card), card
