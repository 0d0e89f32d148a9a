"""Plain-English sentences for the reasons the matching engine stores with each match.

Pure functions, for both sides of a match: the person (digest, matches page, API) and the
organisation (recommended people, page and API). Callers pass in the stored reasons and the
theme and skill names they already loaded, and get back short sentences, strongest first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from matcher.distances import miles_in_words

# Below this cosine similarity the texts share little more than common words.
TEXT_SIMILARITY_WORTH_SAYING = 0.2


def list_in_words(items: Sequence[str], most: int = 3) -> str:
    """Join names as a sentence does: "a and b", "a, b and c", "a, b, c and 2 more"."""
    shown = [*items[:most], f"{len(items) - most} more"] if len(items) > most else list(items)
    if len(shown) <= 1:
        return "".join(shown)
    return f"{', '.join(shown[:-1])} and {shown[-1]}"


def _names(ids: Iterable[int], names: Mapping[int, str]) -> list[str]:
    # An id missing from the taxonomy (deleted since the match was stored) is left out.
    return [names[i] for i in ids if i in names]


def _starts_in(days: int) -> str | None:
    if days < 0:
        return None
    if days == 0:
        return "Starts today"
    if days == 1:
        return "Starts tomorrow"
    if days < 14:
        return f"Starts in {days} days"
    if days < 61:
        return f"Starts in {round(days / 7)} weeks"
    return f"Starts in {round(days / 30.44)} months"


def sentence_for(
    component: str,
    evidence: Mapping[str, Any],
    theme_names: Mapping[int, str],
    skill_names: Mapping[int, str],
) -> str | None:
    """One reason component as a sentence, or None when there is nothing worth saying."""
    if component == "themes":
        themes = _names(evidence.get("shared_theme_ids", ()), theme_names)
        return f"Shares your interest in {list_in_words(themes)}" if themes else None
    if component == "skills":
        skills = _names(evidence.get("shared_skill_ids", ()), skill_names)
        return f"Uses your skills in {list_in_words(skills)}" if skills else None
    if component == "text":
        similarity = evidence.get("similarity") or 0.0
        if similarity >= TEXT_SIMILARITY_WORTH_SAYING:
            return "Close to what you wrote about yourself"
        return None
    if component == "distance":
        if evidence.get("remote"):
            return "Can be done remotely"
        km = evidence.get("distance_km")
        if km is None:
            return None
        return f"{miles_in_words(km).capitalize()} from your home"
    if component == "start":
        days = evidence.get("days_to_start")
        return _starts_in(int(days)) if days is not None else None
    if component == "bridging":
        return (
            "A chance to work in local public service"
            if evidence.get("local_organisation")
            else None
        )
    return None


def describe_reasons(
    reasons: Sequence[Mapping[str, Any]],
    theme_names: Mapping[int, str],
    skill_names: Mapping[int, str],
    *,
    grade_fits: bool = False,
    limit: int | None = None,
) -> list[str]:
    """The reasons that helped a match, strongest first, as sentences; at most ``limit``.

    Components that lowered the score ("not for me" similarity) are left out: the digest says
    why a placement fits, not why it fits less. ``grade_fits`` adds "Open to your grade", which
    is a filter rather than a scored component, so it comes last.
    """
    helpful = sorted(
        (reason for reason in reasons if (reason.get("contribution") or 0.0) > 0),
        key=lambda reason: -reason["contribution"],
    )
    sentences = []
    for reason in helpful:
        sentence = sentence_for(
            reason.get("component", ""), reason.get("evidence") or {}, theme_names, skill_names
        )
        if sentence:
            sentences.append(sentence)
    if grade_fits:
        sentences.append("Open to your grade")
    return sentences if limit is None else sentences[:limit]


def organisation_sentences(
    reasons: Sequence[Mapping[str, Any]],
    theme_names: Mapping[int, str],
    skill_names: Mapping[int, str],
) -> list[str]:
    """Why a person fits a placement, strongest first, in words for the organisation."""
    helpful = sorted(
        (reason for reason in reasons if (reason.get("contribution") or 0.0) > 0),
        key=lambda reason: -reason["contribution"],
    )
    sentences = []
    for reason in helpful:
        evidence = reason.get("evidence") or {}
        component = reason.get("component")
        sentence = None
        if component == "themes":
            themes = [
                theme_names[i] for i in evidence.get("shared_theme_ids", ()) if i in theme_names
            ]
            sentence = f"Interested in {list_in_words(themes)}" if themes else None
        elif component == "skills":
            skills = [
                skill_names[i] for i in evidence.get("shared_skill_ids", ()) if i in skill_names
            ]
            sentence = f"Has skills in {list_in_words(skills)}" if skills else None
        elif component == "text":
            if (evidence.get("similarity") or 0.0) >= TEXT_SIMILARITY_WORTH_SAYING:
                sentence = "What they wrote about themselves is close to your description"
        elif component == "distance":
            km = evidence.get("distance_km")
            if evidence.get("remote"):
                sentence = "Can work remotely"
            elif km is not None:
                sentence = f"Lives {miles_in_words(km)} away"
        elif component == "start":
            sentence = "Available when the placement starts"
        elif component == "bridging" and evidence.get("local_organisation"):
            sentence = "Would bring central government experience to local public service"
        if sentence:
            sentences.append(sentence)
    sentences.append("Their grade is in your range")
    return sentences
