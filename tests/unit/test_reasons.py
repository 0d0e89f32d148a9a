"""Reasons in plain English."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from matcher.reasons import MatchFacts, describe_reasons, list_in_words, organisation_sentences

THEMES = {1: "social care", 2: "rural services", 3: "policing", 4: "housing"}
SKILLS = {10: "data analysis"}
TODAY = date(2026, 11, 30)
# Free now, a council placement starting in 3 weeks, never placed before, not remote.
FACTS = MatchFacts(
    today=TODAY,
    start_date=date(2026, 12, 21),
    available_from=None,
    remote=False,
    organisation_kind="council",
    worked_with=frozenset(),
)


def reason(component: str, contribution: float, **evidence):
    return {"component": component, "contribution": contribution, "evidence": evidence}


def facts(**changes) -> MatchFacts:
    return replace(FACTS, **changes)


def person_reads(reasons, shown=FACTS, **kw) -> list[str]:
    """What the person reads on one card, shown beside a card from another public body."""
    beside = ([], facts(organisation_kind="other_public_body"))
    return describe_reasons([(reasons, shown), beside], THEMES, SKILLS, **kw)[0]


def organisation_reads(reasons, shown=FACTS) -> list[str]:
    """What the organisation reads on one card, beside someone who has worked with every kind."""
    beside = ([], facts(worked_with=frozenset({"council", "police_force", "regional_partnership"})))
    return organisation_sentences([(reasons, shown), beside], THEMES, SKILLS)[0]


def test_sentences_come_strongest_first_and_leave_out_what_lowered_the_score():
    reasons = [
        reason("distance", 0.1, distance_km=17.6, remote=False),
        reason("themes", 0.5, shared_theme_ids=[1]),
        reason("not_for_me", -0.2, similar_to_dismissed_ids=[5]),
        reason("exposure", -0.1),
        reason("start", 0.2, days_to_start=21),
        # Neighbouring skills only: nothing shared to name.
        reason("skills", 0.3, shared_skill_ids=[]),
    ]
    assert person_reads(reasons, FACTS) == [
        "Shares your interest in social care",
        "Starts 21 December 2026, in 3 weeks",
        "11 miles from your home",
    ]


# (stored reason, facts when shown, the person's sentence, the organisation's sentence)
TABLE = [
    (
        reason("skills", 1, shared_skill_ids=[10]),
        FACTS,
        "Uses your skills in data analysis",
        "Has skills in data analysis",
    ),
    (
        reason("text", 1, similarity=0.4),
        FACTS,
        "Close to what you wrote about yourself",
        "What they wrote about themselves is close to your description",
    ),
    (
        reason("interests", 0.2, similar_to_interest_ids=[7]),
        FACTS,
        "Like placements you said you were interested in",
        "Like placements they said they were interested in",
    ),
    # Within the travel limit: miles, even when remote work is possible too.
    (
        reason("distance", 1, distance_km=0.4, remote=False),
        FACTS,
        "Less than 1 mile from your home",
        "Lives less than 1 mile away",
    ),
    (
        reason("distance", 1, distance_km=1.6, remote=False),
        facts(remote=True),
        "1 mile from your home",
        "Lives 1 mile away",
    ),
    (
        reason("distance", 1, distance_km=64.4, remote=False),
        FACTS,
        "40 miles from your home",
        "Lives 40 miles away",
    ),
    # Stored days_to_start is as old as the match: the date is read when shown.
    (
        reason("start", 1, days_to_start=11),
        facts(start_date=date(2027, 2, 15)),
        "Starts 15 February 2027, in 11 weeks",
        "Free now, 11 weeks before it starts",
    ),
    (
        reason("start", 1, days_to_start=1),
        facts(start_date=date(2027, 1, 12)),
        "Starts 12 January 2027, in 6 weeks",
        "Free now, 6 weeks before it starts",
    ),
    (
        reason("start", 1, days_to_start=5),
        facts(start_date=date(2026, 12, 1)),
        "Starts 1 December 2026, tomorrow",
        "Free now, 1 day before it starts",
    ),
    (
        reason("start", 1, days_to_start=5),
        facts(start_date=date(2026, 12, 4)),
        "Starts 4 December 2026, in 4 days",
        "Free now, 4 days before it starts",
    ),
    (
        reason("start", 1, days_to_start=0),
        facts(start_date=TODAY),
        "Starts 30 November 2026, today",
        "Free now, the day it starts",
    ),
    (
        reason("start", 1, days_to_start=0),
        facts(start_date=date(2027, 4, 1)),
        "Starts 1 April 2027, in 4 months",
        "Free now, 4 months before it starts",
    ),
    # The person is free later than today: the gap is to their first free day.
    (
        reason("start", 1, days_to_start=42),
        facts(start_date=date(2027, 2, 14), available_from=date(2027, 1, 3)),
        "Starts 14 February 2027, 6 weeks after you are free",
        "Free from 3 January 2027, 6 weeks before it starts",
    ),
    (
        reason("start", 1, days_to_start=0),
        facts(start_date=date(2027, 2, 14), available_from=date(2027, 2, 14)),
        "Starts 14 February 2027, the day you are free",
        "Free from 14 February 2027, the day it starts",
    ),
    (
        reason("start", 1, days_to_start=3),
        facts(start_date=date(2027, 2, 17), available_from=date(2027, 2, 14)),
        "Starts 17 February 2027, 3 days after you are free",
        "Free from 14 February 2027, 3 days before it starts",
    ),
    # A date already past means free now.
    (
        reason("start", 1, days_to_start=14),
        facts(start_date=date(2026, 12, 14), available_from=date(2026, 1, 1)),
        "Starts 14 December 2026, in 2 weeks",
        "Free now, 2 weeks before it starts",
    ),
    # Availability moved past the start since the match was stored: the date alone is true.
    (
        reason("start", 1, days_to_start=14),
        facts(start_date=date(2026, 12, 14), available_from=date(2027, 1, 1)),
        "Starts 14 December 2026",
        None,
    ),
    # Bridging names a kind of organisation the person has never worked with.
    (
        reason("bridging", 1, local_organisation=True),
        FACTS,
        "Your first placement with a council",
        "Their first placement with a council",
    ),
    (
        reason("bridging", 1, local_organisation=True),
        facts(organisation_kind="police_force", worked_with=frozenset({"council"})),
        "Your first placement with a police force",
        "Their first placement with a police force",
    ),
    (
        reason("bridging", 1, local_organisation=True),
        facts(organisation_kind="regional_partnership"),
        "Your first placement with a regional partnership",
        "Their first placement with a regional partnership",
    ),
    (
        reason("bridging", 1, local_organisation=True),
        facts(worked_with=frozenset({"council"})),
        None,
        None,
    ),
    # The host's ratings, said to the person only (an organisation's own rating tells it
    # nothing about a person).
    (
        reason("host_rating", 0.03, rating=4.6, reflections=7),
        FACTS,
        "Past secondees rate this organisation 4.6 out of 5 (7 reflections)",
        None,
    ),
    (
        reason("host_rating", 0.01, rating=5.0, reflections=1),
        FACTS,
        "Past secondees rate this organisation 5.0 out of 5 (1 reflection)",
        None,
    ),
]


@pytest.mark.parametrize(("stored", "shown", "for_person", "for_organisation"), TABLE)
def test_each_component_in_words_for_both_sides(stored, shown, for_person, for_organisation):
    assert person_reads([stored], shown) == ([for_person] if for_person else [])
    assert organisation_reads([stored], shown) == ([for_organisation] if for_organisation else [])


def test_remote_is_said_only_for_a_pair_beyond_the_travel_limit():
    # Beyond the limit the distance counts nothing, so the engine stores no distance reason.
    beyond = [reason("themes", 1, shared_theme_ids=[1])]
    within = [*beyond, reason("distance", 0.5, distance_km=19.3, remote=False)]
    remote = facts(remote=True)
    assert person_reads(beyond, remote) == [
        "Shares your interest in social care",
        "Can be done remotely",
    ]
    assert organisation_reads(beyond, remote)[-1] == "Can work remotely"
    assert person_reads(within, remote)[-1] == "12 miles from your home"
    assert organisation_reads(within, remote)[-1] == "Lives 12 miles away"
    assert person_reads(beyond, FACTS) == ["Shares your interest in social care"]


def test_the_same_stored_match_reads_true_as_the_days_pass():
    stored = [reason("start", 1, days_to_start=11)]
    start = date(2027, 2, 15)
    assert person_reads(stored, facts(start_date=start)) == ["Starts 15 February 2027, in 11 weeks"]
    later = facts(start_date=start, today=date(2027, 2, 4))
    assert person_reads(stored, later) == ["Starts 15 February 2027, in 11 days"]


def test_nothing_is_said_without_evidence_and_unknown_ids_are_dropped():
    reasons = [
        reason("themes", 1, shared_theme_ids=[99]),
        reason("text", 1, similarity=0.05),
        reason("bridging", 1, local_organisation=True),
    ]
    placed = facts(worked_with=frozenset({"council"}))
    assert person_reads(reasons, placed) == []
    assert organisation_reads(reasons, placed) == []


def test_many_names_read_as_a_sentence_and_limit_applies():
    reasons = [
        reason("themes", 1, shared_theme_ids=[1, 2, 3, 4]),
        reason("start", 0.5, days_to_start=1),
    ]
    assert person_reads(reasons, FACTS, limit=1) == [
        "Shares your interest in social care, rural services, policing and 1 more"
    ]
    assert list_in_words(["a", "b"]) == "a and b"
    assert list_in_words([]) == ""


def test_bridging_names_a_kind_only_where_it_tells_the_cards_apart():
    council, police = FACTS, facts(organisation_kind="police_force")
    placed = facts(worked_with=frozenset({"council"}))

    def cards(shown):
        # Each card also lies at its own distance, so none is left with nothing to say.
        bridging = reason("bridging", 1, local_organisation=True)
        return [
            ([bridging, reason("distance", 0.5, distance_km=10.0 * (i + 1))], f)
            for i, f in enumerate(shown)
        ]

    def first_placements(described):
        return [[s for s in card if "first placement" in s] for card in described]

    def person(*shown):
        return first_placements(describe_reasons(cards(shown), THEMES, SKILLS))

    assert person(council, council, council) == [[], [], []]
    assert person(council) == [["Your first placement with a council"]]
    assert person(council, police) == [
        ["Your first placement with a council"],
        ["Your first placement with a police force"],
    ]
    assert person(council, placed) == [["Your first placement with a council"], []]
    # A card from a body the engine does not favour has no bridging reason to say.
    other = (
        [reason("distance", 0.5, distance_km=50.0)],
        facts(organisation_kind="other_public_body"),
    )
    assert first_placements(describe_reasons([*cards([council]), other], THEMES, SKILLS)) == [
        ["Your first placement with a council"],
        [],
    ]

    # The organisation's cards share a placement: only the people's histories differ.
    def organisation(*shown):
        return first_placements(organisation_sentences(cards(shown), THEMES, SKILLS))

    assert organisation(council, council) == [[], []]
    assert organisation(council, placed) == [["Their first placement with a council"], []]


def test_a_sentence_on_every_card_shown_together_is_said_on_none():
    themes = reason("themes", 1, shared_theme_ids=[1])
    near = [themes, reason("distance", 0.5, distance_km=19.3)]
    far = [themes, reason("skills", 0.5, shared_skill_ids=[10])]
    remote = facts(remote=True)
    assert describe_reasons([(far, remote), (far, remote), (near, remote)], THEMES, SKILLS) == [
        ["Uses your skills in data analysis", "Can be done remotely"],
        ["Uses your skills in data analysis", "Can be done remotely"],
        ["12 miles from your home"],
    ]
    assert organisation_sentences([(far, remote), (near, remote)], THEMES, SKILLS) == [
        ["Has skills in data analysis", "Can work remotely"],
        ["Lives 12 miles away"],
    ]


def test_cards_that_differ_in_nothing_still_say_why_they_match():
    alike = [reason("themes", 1, shared_theme_ids=[1]), reason("distance", 0.5, distance_km=19.3)]
    assert describe_reasons([(alike, FACTS), (alike, FACTS)], THEMES, SKILLS) == [
        ["Shares your interest in social care", "12 miles from your home"],
        ["Shares your interest in social care", "12 miles from your home"],
    ]
