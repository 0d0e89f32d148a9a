"""Reasons in plain English."""

from __future__ import annotations

from matcher.reasons import describe_reasons, list_in_words, organisation_sentences

THEMES = {1: "social care", 2: "rural services", 3: "policing", 4: "housing"}
SKILLS = {10: "data analysis"}


def reason(component: str, contribution: float, **evidence):
    return {"component": component, "contribution": contribution, "evidence": evidence}


def test_sentences_come_strongest_first_and_leave_out_what_lowered_the_score():
    reasons = [
        reason("distance", 0.1, distance_km=17.6, remote=False),
        reason("themes", 0.5, shared_theme_ids=[1]),
        reason("not_for_me", -0.2, similar_to_dismissed_ids=[5]),
        reason("start", 0.2, days_to_start=21),
    ]
    assert describe_reasons(reasons, THEMES, SKILLS, grade_fits=True) == [
        "Shares your interest in social care",
        "Starts in 3 weeks",
        "11 miles from your home",
        "Open to your grade",
    ]


def test_each_component_has_words():
    cases = [
        (reason("skills", 1, shared_skill_ids=[10]), "Uses your skills in data analysis"),
        (reason("distance", 1, distance_km=None, remote=True), "Can be done remotely"),
        (reason("distance", 1, distance_km=0.4, remote=False), "Less than 1 mile from your home"),
        (reason("distance", 1, distance_km=1.6, remote=False), "1 mile from your home"),
        (reason("distance", 1, distance_km=64.4, remote=False), "40 miles from your home"),
        (reason("start", 1, days_to_start=3), "Starts in 3 days"),
        (reason("start", 1, days_to_start=90), "Starts in 3 months"),
        (
            reason("bridging", 1, local_organisation=True),
            "A chance to work in local public service",
        ),
        (reason("text", 1, similarity=0.4), "Close to what you wrote about yourself"),
    ]
    for stored, sentence in cases:
        assert describe_reasons([stored], THEMES, SKILLS) == [sentence]


def test_nothing_is_said_without_evidence_and_unknown_ids_are_dropped():
    reasons = [
        reason("themes", 1, shared_theme_ids=[99]),
        reason("text", 1, similarity=0.05),
        reason("start", 1, days_to_start=-3),
        reason("bridging", 1, local_organisation=False),
    ]
    assert describe_reasons(reasons, THEMES, SKILLS) == []


def test_many_names_read_as_a_sentence_and_limit_applies():
    reasons = [
        reason("themes", 1, shared_theme_ids=[1, 2, 3, 4]),
        reason("start", 0.5, days_to_start=1),
    ]
    assert describe_reasons(reasons, THEMES, SKILLS, limit=1) == [
        "Shares your interest in social care, rural services, policing and 1 more"
    ]
    assert list_in_words(["a", "b"]) == "a and b"
    assert list_in_words([]) == ""


def test_organisations_read_distances_in_miles_too():
    near = [reason("distance", 1, distance_km=0.3, remote=False)]
    far = [reason("distance", 1, distance_km=18.2, remote=False)]
    assert organisation_sentences(near, THEMES, SKILLS)[0] == "Lives less than 1 mile away"
    assert organisation_sentences(far, THEMES, SKILLS)[0] == "Lives 11 miles away"
