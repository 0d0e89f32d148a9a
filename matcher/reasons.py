"""Plain-English sentences for the reasons the matching engine stores with each match.

Pure functions, for both sides of a match: the person (digest, matches page, API) and the
organisation (recommended people, page and API). Callers pass in the cards they show together
(each a match's stored reasons and the ``MatchFacts`` of its pair) and the theme and skill names
they already loaded, and get back each card's short sentences, strongest first.

A match is stored when the engine runs; it is read days or weeks later. So a sentence never
repeats a stored figure that ages (the stored ``days_to_start`` was right on the day of the
run only): dates come from ``MatchFacts``, read when the sentence is shown, and are stated
plainly ("Starts 14 February 2027") with the gap to the person's first free day beside them.

Every sentence has to tell one placement (or person) from another, so a sentence that would be
said on every one of two or more cards shown together (a page of matches, one digest, a page of
recommended people) is said on none of them: a person whose every match can be done remotely,
or shares their one theme, is not told so ten times over. Only cards that differ in nothing the
sentences say (a card would be left empty) keep them all. Two things the engine weighs need
more than that:

- Distance. A pair within the person's travel limit is stored with its distance; a pair beyond
  it passed only because both sides accept remote work, and its distance counts nothing, so
  the engine stores no distance reason for it. "Can be done remotely" is said for such a pair
  (both sides accept remote work and no distance reason was stored), and the distance in miles
  otherwise, even when remote work is possible too.
- Bridging. The engine favours every council, police force and regional partnership alike, so
  "a chance to work in local public service" would be on every card. It names a kind of
  organisation the person has never had a placement with (their accepted interests:
  ``MatchFacts.worked_with``): "Your first placement with a police force". Someone with no
  accepted placement yet is making their first move from central to local government, which
  the same sentence says for each kind. So a recruit whose matches are all councils is not told
  "Your first placement with a council" on each of them, and an organisation is told "Their
  first placement with a police force" only of the people beside others who have worked with
  one. Callers read the kinds of every person on a page in one query
  (``match_queries.organisation_kinds_worked_with``).

Grade is a hard filter, true of every match, so no sentence says it. Components that lowered
the score ("not for me" look-alikes, the exposure price of a placement shown to many) are never
said. A themes or skills reason counts neighbouring themes or skills too; it names only the
shared ones, and says nothing when none is shared.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from matcher.distances import miles_in_words

Reasons = Sequence[Mapping[str, Any]]

# Below this cosine similarity the texts share little more than common words.
TEXT_SIMILARITY_WORTH_SAYING = 0.2

# The organisation kinds the bridging weight favours, as a sentence names them.
ORGANISATION_KIND_WORDS = {
    "council": "a council",
    "police_force": "a police force",
    "regional_partnership": "a regional partnership",
}


@dataclass(frozen=True, slots=True)
class MatchFacts:
    """What a pair's sentences need beyond its stored reasons, read when they are shown."""

    today: date  # from matcher.clock, so tests set it
    start_date: date  # the placement's
    available_from: date | None  # the person's, as their profile says it
    remote: bool  # the placement can be done remotely and the person accepts remote work
    organisation_kind: str  # of the placement's organisation
    worked_with: frozenset[str]  # organisation kinds of the person's accepted placements

    @property
    def first_free_day(self) -> date:
        """The first day the person could start: today, or later if they said so."""
        if self.available_from is None:
            return self.today
        return max(self.today, self.available_from)

    @property
    def new_kind(self) -> str | None:
        """The placement's kind of organisation in words, if the person has never worked in one."""
        if self.organisation_kind in self.worked_with:
            return None
        return ORGANISATION_KIND_WORDS.get(self.organisation_kind)


def list_in_words(items: Sequence[str], most: int = 3) -> str:
    """Join names as a sentence does: "a and b", "a, b and c", "a, b, c and 2 more"."""
    shown = [*items[:most], f"{len(items) - most} more"] if len(items) > most else list(items)
    if len(shown) <= 1:
        return "".join(shown)
    return f"{', '.join(shown[:-1])} and {shown[-1]}"


def date_in_words(day: date) -> str:
    """A date as GOV.UK writes it: "14 February 2027"."""
    return f"{day.day} {day:%B %Y}"


def days_in_words(days: int) -> str:
    """A number of days (1 or more) as people say it: "1 day", "6 days", "11 weeks", "4 months".

    Weeks up to 13 and months after: the date beside it is exact, this is its size.
    """
    if days < 14:
        return "1 day" if days == 1 else f"{days} days"
    if days < 91:
        return f"{round(days / 7)} weeks"
    return f"{round(days / 30.44)} months"


def _names(ids: Iterable[int], names: Mapping[int, str]) -> list[str]:
    # An id missing from the taxonomy (deleted since the match was stored) is left out.
    return [names[i] for i in ids if i in names]


def _helpful(reasons: Reasons) -> list[Mapping[str, Any]]:
    """The reasons that raised the score, strongest first."""
    return sorted(
        (reason for reason in reasons if (reason.get("contribution") or 0.0) > 0),
        key=lambda reason: -reason["contribution"],
    )


def _only_remote(helpful: Sequence[Mapping[str, Any]], facts: MatchFacts) -> bool:
    """Whether the pair passed the travel filter only because both sides accept remote work."""
    # A place with no known location (remote by design) has a distance reason without a distance.
    return facts.remote and not any(
        reason.get("component") == "distance"
        and (reason.get("evidence") or {}).get("distance_km") is not None
        for reason in helpful
    )


def start_in_words(facts: MatchFacts) -> str:
    """When the placement starts, for the person: its date and how long after they are free."""
    starts = f"Starts {date_in_words(facts.start_date)}"
    free = facts.first_free_day
    gap = (facts.start_date - free).days
    if gap < 0:
        # The person moved their availability since the match was stored; the date is still true.
        return starts
    if free == facts.today:
        if gap == 0:
            return f"{starts}, today"
        return f"{starts}, tomorrow" if gap == 1 else f"{starts}, in {days_in_words(gap)}"
    if gap == 0:
        return f"{starts}, the day you are free"
    return f"{starts}, {days_in_words(gap)} after you are free"


def free_in_words(facts: MatchFacts) -> str | None:
    """When the person is free, for the organisation: the date and how long before the start."""
    free = facts.first_free_day
    gap = (facts.start_date - free).days
    if gap < 0:
        return None
    since = "Free now" if free == facts.today else f"Free from {date_in_words(free)}"
    return (
        f"{since}, the day it starts"
        if gap == 0
        else f"{since}, {days_in_words(gap)} before it starts"
    )


@dataclass(frozen=True)
class Wording:
    """How one audience is told each reason: ``{}`` takes the names or the distance."""

    themes: str
    skills: str
    text: str
    interests: str
    distance: str
    start: Callable[[MatchFacts], str | None]
    first_placement: str
    remote: str
    # {rating} and {count}: the host's mean rating by past secondees; None: not said.
    host_rating: str | None = None


FOR_PERSON = Wording(
    themes="Shares your interest in {}",
    skills="Uses your skills in {}",
    text="Close to what you wrote about yourself",
    interests="Like placements you said you were interested in",
    distance="{} from your home",
    start=start_in_words,
    first_placement="Your first placement with",
    remote="Can be done remotely",
    host_rating="Past secondees rate this organisation {rating} out of 5 ({count})",
)

FOR_ORGANISATION = Wording(
    themes="Interested in {}",
    skills="Has skills in {}",
    text="What they wrote about themselves is close to your description",
    interests="Like placements they said they were interested in",
    distance="Lives {} away",
    start=free_in_words,
    first_placement="Their first placement with",
    remote="Can work remotely",
)


def sentence_for(
    component: str,
    evidence: Mapping[str, Any],
    facts: MatchFacts,
    theme_names: Mapping[int, str],
    skill_names: Mapping[int, str],
    wording: Wording = FOR_PERSON,
) -> str | None:
    """One reason component, bridging aside, as a sentence in ``wording``, or None."""
    if component == "themes":
        themes = _names(evidence.get("shared_theme_ids", ()), theme_names)
        return wording.themes.format(list_in_words(themes)) if themes else None
    if component == "skills":
        skills = _names(evidence.get("shared_skill_ids", ()), skill_names)
        return wording.skills.format(list_in_words(skills)) if skills else None
    if component == "text":
        similarity = evidence.get("similarity") or 0.0
        return wording.text if similarity >= TEXT_SIMILARITY_WORTH_SAYING else None
    if component == "interests":
        return wording.interests if evidence.get("similar_to_interest_ids") else None
    if component == "distance":
        km = evidence.get("distance_km")
        if km is None:
            return None
        sentence = wording.distance.format(miles_in_words(km))
        return sentence[0].upper() + sentence[1:]
    if component == "start":
        return wording.start(facts)
    if component == "host_rating" and wording.host_rating and evidence.get("rating"):
        count = evidence.get("reflections") or 0
        return wording.host_rating.format(
            rating=f"{evidence['rating']:.1f}",
            count="1 reflection" if count == 1 else f"{count} reflections",
        )
    return None


def _cards_in_words(
    cards: Sequence[tuple[Reasons, MatchFacts]],
    theme_names: Mapping[int, str],
    skill_names: Mapping[int, str],
    wording: Wording,
) -> list[list[str]]:
    """Each card's helpful reasons as sentences, strongest first, then the remote sentence if it
    applies; leaving out any sentence said on every one of two or more cards, unless a card
    would be left with nothing to say."""
    described = []
    for reasons, facts in cards:
        helpful = _helpful(reasons)
        sentences = []
        for reason in helpful:
            component = reason.get("component", "")
            if component == "bridging":
                kind = facts.new_kind
                sentence = f"{wording.first_placement} {kind}" if kind else None
            else:
                evidence = reason.get("evidence") or {}
                sentence = sentence_for(
                    component, evidence, facts, theme_names, skill_names, wording
                )
            if sentence:
                sentences.append(sentence)
        if _only_remote(helpful, facts):
            sentences.append(wording.remote)
        described.append(sentences)
    if len(described) < 2:
        return described
    on_every_card = set.intersection(*(set(sentences) for sentences in described))
    kept = [[s for s in sentences if s not in on_every_card] for sentences in described]
    # Cards that differ in nothing still say why they match, alike as they are.
    if any(sentences and not left for sentences, left in zip(described, kept, strict=True)):
        return described
    return kept


def describe_reasons(
    cards: Sequence[tuple[Reasons, MatchFacts]],
    theme_names: Mapping[int, str],
    skill_names: Mapping[int, str],
    *,
    limit: int | None = None,
) -> list[list[str]]:
    """Why each placement shown together fits the person, as sentences; at most ``limit`` each.

    Components that lowered the score ("not for me" similarity) are left out: the digest says
    why a placement fits, not why it fits less. "Can be done remotely" counts nothing towards
    the score, so it comes last.
    """
    described = _cards_in_words(cards, theme_names, skill_names, FOR_PERSON)
    return described if limit is None else [sentences[:limit] for sentences in described]


def organisation_sentences(
    cards: Sequence[tuple[Reasons, MatchFacts]],
    theme_names: Mapping[int, str],
    skill_names: Mapping[int, str],
) -> list[list[str]]:
    """Why each person shown together fits the placement, strongest first, for the organisation."""
    return _cards_in_words(cards, theme_names, skill_names, FOR_ORGANISATION)


def practice_in_words(organisation_name: str, note_title: str) -> str:
    """A published practice note linked to a matched placement, as the card says it.

    Not a scored reason: a fact read from the database when the card is shown, so it is said on
    every card it is true of, after the reasons that make up the score.
    """
    return f"Work alongside {organisation_name}'s {note_title}"
