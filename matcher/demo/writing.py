"""Names and text templates that make demo people and placements read naturally."""

from __future__ import annotations

import numpy as np

_FIRST = (
    "Olivia Amelia Isla Ava Mia Ivy Lily Isabella Rosie Sophia Grace Freya Evie Emily "
    "Charlotte Ella Poppy Aisha Zara Priya Hannah Chloe Megan Niamh Siobhan Catrin Eleri "
    "Fatima Maryam Sarah Noah Oliver George Arthur Muhammad Leo Harry Oscar Archie Henry "
    "Theo Jack Charlie Freddie Alfie Thomas James William Daniel Samuel Ibrahim Yusuf "
    "Arjun Rohan Dylan Rhys Owen Callum Ewan Connor David Michael Andrew Peter Joseph "
    "Kwame Tomasz Luca Mateo Adam"
)
FIRST_NAMES = tuple(_FIRST.split())

_LAST = (
    "Smith Jones Taylor Brown Williams Wilson Johnson Davies Patel Robinson Wright "
    "Thompson Evans Walker White Roberts Green Hall Thomas Clarke Jackson Wood Harris "
    "Edwards Turner Martin Cooper Hill Ward Hughes Moore Clark King Harrison Lewis Baker "
    "Lee Allen Morris Khan Scott Watson Davis Parker James Bennett Young Phillips "
    "Richardson Mitchell Bailey Carter Cook Singh Shaw Bell Collins Morgan Kelly Begum "
    "Miller Cox Hussain Marshall Simpson Price Anderson Adams Wilkinson Ali Ahmed Foster "
    "Ellis Murphy Chapman Mason Gray Richards Webb Griffiths Hunt Palmer Campbell Holmes "
    "Mills Rogers Barnes Knight Matthews Barker Powell Stevens Kaur Dixon Nowak Okafor "
    "Mensah Osei Chen Nguyen O'Brien MacDonald"
)
LAST_NAMES = tuple(_LAST.split())

ABOUT_OPENINGS = (
    "I work in {profession} at {department}.",
    "I'm {grade} in {department}, part of the {profession} profession.",
    "I joined {department} recently and work in {profession}.",
    "At {department} I work as {grade} in {profession}.",
)

ABOUT_INTERESTS = (
    " I'm most interested in {themes}.",
    " The areas I care about most are {themes}.",
    " I'd like to get closer to how {themes} work on the ground.",
    " My policy interests are {themes}.",
)

ABOUT_CLOSINGS = (
    " I want to see how councils and local partners turn policy into practice.",
    " I'd like to spend time with a local team to understand what residents actually experience.",
    " I'm keen to bring what I learn back into national policy.",
    " I want to learn from people who deliver services every day.",
    "",
)

PLACEMENT_TITLES = {
    "secondment": (
        "{theme} secondment with {organisation}",
        "Secondment: {theme} lead, {organisation}",
    ),
    "placement": (
        "{theme} placement at {organisation}",
        "Work placement in {theme_lower}, {organisation}",
    ),
    "partnership_project": (
        "Partnership project: {theme_lower}",
        "Joint project on {theme_lower} with {organisation}",
    ),
    "job_shadowing": (
        "Shadow our {theme_lower} team at {organisation}",
        "Job shadowing: {theme_lower} in practice",
    ),
    "mentoring": (
        "Mentoring in {theme_lower} with {organisation}",
        "Be mentored by a {theme_lower} practitioner",
    ),
}

PLACEMENT_SUMMARIES = {
    "secondment": "Join {organisation} for {weeks} weeks and help lead our work on {theme_lower}.",
    "placement": "Spend {weeks} weeks with {organisation} working on {theme_lower}.",
    "partnership_project": (
        "Work alongside {organisation} and its partners on a {weeks}-week project on {theme_lower}."
    ),
    "job_shadowing": "Shadow the people at {organisation} who deliver {theme_lower} every day.",
    "mentoring": "Meet regularly with an experienced practitioner in {theme_lower}.",
}

PLACEMENT_BODIES = (
    "{organisation} is changing how it approaches {theme_lower}. {theme_description} "
    "You will work with frontline staff and partners to understand what works and what gets "
    "in the way.",
    "Our {theme_lower} team is small and busy. {theme_description} You will take on a real piece "
    "of work, see decisions made close to residents and take that insight back to your department.",
    "We want someone from central government to help us with {theme_lower}. {theme_description} "
    "You will join team meetings, visit services and help shape our next steps.",
)

PLACEMENT_SKILLS = (
    " Useful skills include {skills}.",
    " We would value experience of {skills}.",
    " You will use and build skills in {skills}.",
)

PLACEMENT_CLOSINGS = (
    " The role suits {hours} working{location}.",
    " We can offer {hours} working{location}.",
)


def join_words(words: list[str]) -> str:
    """Join ``words`` as English prose: "a", "a and b", "a, b and c"."""
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"


def pick(rng: np.random.Generator, options: tuple[str, ...]) -> str:
    """One of ``options``, drawn from ``rng``."""
    return options[int(rng.integers(len(options)))]


def lower_first(text: str) -> str:
    """``text`` with its first letter lower-cased, to sit inside a sentence."""
    return text[:1].lower() + text[1:]
