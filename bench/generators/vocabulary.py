"""Words for the generators' texts, written apart from the engine: each theme is told three ways.

Placements speak the sector's formal register; people describe the same interests in their own
words. Only the ``shared`` words appear on both sides, so a text signal has to learn which lay
words go with which formal ones (from the words that do recur, or from declared themes) to
connect a person with a placement they never named.
"""

from __future__ import annotations

from typing import NamedTuple


class ThemeWords(NamedTuple):
    """How one theme is written about: words both sides use, the sector's, and a person's."""

    shared: tuple[str, ...]
    formal: tuple[str, ...]
    lay: tuple[str, ...]


# Keyed by the theme slugs of matcher/reference/data/themes.json.
THEME_WORDS: dict[str, ThemeWords] = {
    "rural-access-to-services": ThemeWords(
        ("rural", "villages"),
        ("sparsity", "outreach provision", "mobile service hubs", "demand responsive transport"),
        ("farming communities", "isolated hamlets", "countryside", "market towns", "remote dales"),
    ),
    "social-care": ThemeWords(
        ("care", "carers"),
        (
            "domiciliary provision",
            "care market sustainability",
            "Care Act assessments",
            "commissioning framework",
        ),
        ("looking after elderly relatives", "care homes", "support workers", "my nan"),
    ),
    "citizen-facing-technology": ThemeWords(
        ("digital", "online"),
        ("channel shift", "GDS service standard", "customer portal", "self-serve transactions"),
        ("apps", "websites", "coding", "building tools people enjoy using", "tech"),
    ),
    "financing-local-regeneration": ThemeWords(
        ("investment", "regeneration"),
        (
            "land value capture",
            "tax increment financing",
            "prudential borrowing",
            "public works loan board",
        ),
        ("money for rundown areas", "funding deals", "bringing derelict sites back"),
    ),
    "collaborative-governance": ThemeWords(
        ("partnership", "governance"),
        ("joint commissioning boards", "memoranda of understanding", "place-based leadership"),
        ("getting organisations round one table", "people working together", "shared decisions"),
    ),
    "community-safety-and-policing": ThemeWords(
        ("policing", "crime"),
        ("anti-social behaviour powers", "neighbourhood tasking", "problem-oriented policing"),
        ("safer streets", "bobbies on the beat", "feeling safe at night", "knife crime"),
    ),
    "criminal-justice": ThemeWords(
        ("justice", "probation"),
        ("offender management", "reoffending reduction", "courts backlog", "custody pathways"),
        ("prisons", "second chances", "people leaving jail", "the court system"),
    ),
    "public-health": ThemeWords(
        ("health", "prevention"),
        (
            "health inequalities",
            "joint strategic needs assessment",
            "health protection",
            "wider determinants",
        ),
        ("obesity", "smoking", "healthy eating", "keeping people well", "life expectancy gaps"),
    ),
    "health-and-care-integration": ThemeWords(
        ("NHS", "integration"),
        ("integrated care boards", "better care fund", "hospital discharge pathways"),
        ("hospitals and councils joining up", "bed blocking", "GP surgeries", "joined-up care"),
    ),
    "children-and-families": ThemeWords(
        ("children", "families"),
        ("early help offer", "safeguarding partnerships", "looked after children", "family hubs"),
        ("kids", "young people in care", "fostering", "parents struggling", "adoption"),
    ),
    "education-and-skills": ThemeWords(
        ("skills", "schools"),
        ("further education colleges", "apprenticeship levy", "local skills improvement plans"),
        ("teaching", "classrooms", "learning", "training courses", "tutoring"),
    ),
    "employment-and-welfare": ThemeWords(
        ("employment", "benefits"),
        ("labour market activation", "universal credit", "jobcentre partnerships"),
        ("helping people find jobs", "work coaches", "getting back to work", "jobseekers"),
    ),
    "housing-and-homelessness": ThemeWords(
        ("housing", "homelessness"),
        ("temporary accommodation", "housing revenue account", "homelessness reduction duty"),
        ("rough sleepers", "people without a home", "affordable homes", "renters", "landlords"),
    ),
    "planning-and-land-use": ThemeWords(
        ("planning", "land"),
        (
            "local plan examination",
            "section 106 agreements",
            "development management",
            "green belt review",
        ),
        ("new estates", "building on fields", "how towns grow", "architecture"),
    ),
    "transport-and-connectivity": ThemeWords(
        ("transport", "buses"),
        ("bus service improvement plans", "active travel schemes", "local transport plans"),
        ("trains", "cycling", "commuting", "rail journeys", "potholes", "broadband"),
    ),
    "economic-development": ThemeWords(
        ("growth", "business"),
        (
            "inward investment",
            "inclusive growth strategy",
            "enterprise zones",
            "business rates retention",
        ),
        ("small firms", "start-ups", "entrepreneurs", "jobs for the area", "shops opening"),
    ),
    "town-centres-and-high-streets": ThemeWords(
        ("high streets", "town centres"),
        ("retail vacancy rates", "placemaking", "footfall analysis"),
        ("empty shops", "markets", "cafes", "where people meet", "main street"),
    ),
    "net-zero-and-climate": ThemeWords(
        ("climate", "carbon"),
        ("decarbonisation pathways", "climate adaptation plans", "emissions baselines"),
        ("global warming", "flooding", "heatwaves", "the planet", "sustainability"),
    ),
    "environment-and-nature": ThemeWords(
        ("nature", "biodiversity"),
        ("biodiversity net gain", "air quality management areas", "local nature recovery strategy"),
        ("wildlife", "parks", "birds", "trees", "rivers", "walking in the hills"),
    ),
    "waste-and-circular-economy": ThemeWords(
        ("recycling", "waste"),
        ("extended producer responsibility", "residual waste contracts", "circular economy"),
        ("bin collections", "rubbish", "litter picking", "repair cafes", "plastic"),
    ),
    "energy": ThemeWords(
        ("energy", "retrofit"),
        ("heat networks", "public sector decarbonisation scheme", "solar PV procurement"),
        ("insulating houses", "heat pumps", "electricity bills", "wind farms", "cold homes"),
    ),
    "devolution": ThemeWords(
        ("devolution", "funding"),
        ("combined authorities", "fair funding review", "devolution deals", "council tax base"),
        ("mayors", "power moving out of Whitehall", "council budgets", "local democracy"),
    ),
    "community-cohesion": ThemeWords(
        ("communities", "volunteering"),
        (
            "social cohesion programmes",
            "voluntary and community sector grants",
            "civil society infrastructure",
        ),
        ("neighbours", "faith groups", "charities", "food banks", "bringing people together"),
    ),
    "ageing-well": ThemeWords(
        ("older", "ageing"),
        ("age-friendly places", "falls prevention", "extra care housing"),
        ("pensioners", "grandparents", "loneliness", "retirement", "dementia"),
    ),
    "disability-and-inclusion": ThemeWords(
        ("disability", "inclusion"),
        ("reasonable adjustments", "accessibility standards", "equality duty"),
        ("wheelchair users", "deaf people", "autism", "fairness", "accessible buildings"),
    ),
    "mental-health": ThemeWords(
        ("mental health", "wellbeing"),
        ("crisis care concordat", "community mental health transformation", "IAPT access"),
        ("anxiety", "depression", "counselling", "suicide prevention", "talking therapies"),
    ),
    "emergency-planning-and-resilience": ThemeWords(
        ("emergencies", "resilience"),
        ("local resilience forums", "civil contingencies", "business continuity planning"),
        ("floods and storms", "disaster response", "crisis", "pandemic", "blackouts"),
    ),
    "culture-heritage-and-tourism": ThemeWords(
        ("culture", "heritage"),
        ("visitor economy", "cultural strategy", "library service review"),
        ("museums", "theatre", "history", "old buildings", "festivals", "music"),
    ),
    "public-service-reform": ThemeWords(
        ("reform", "outcomes"),
        ("whole-system redesign", "demand management", "prevention-led commissioning"),
        ("fixing how services work", "cutting red tape", "doing things differently"),
    ),
    "data-and-evidence": ThemeWords(
        ("data", "evidence"),
        ("performance dashboards", "evaluation frameworks", "data sharing agreements"),
        ("statistics", "spreadsheets", "numbers", "finding out what works", "research"),
    ),
    "migration-and-resettlement": ThemeWords(
        ("refugees", "resettlement"),
        (
            "asylum dispersal",
            "Homes for Ukraine",
            "resettlement schemes",
            "no recourse to public funds",
        ),
        ("people fleeing war", "newcomers", "migrants", "learning English", "welcoming families"),
    ),
    "domestic-abuse-and-violence-against-women": ThemeWords(
        ("domestic abuse", "victims"),
        ("MARAC", "safe accommodation duty", "VAWG strategy", "perpetrator programmes"),
        ("women's refuges", "violence at home", "survivors", "coercive control"),
    ),
}

# The generator's own idea of which themes sit near each other; a person drawn to one often
# cares about its neighbours.
THEME_NEIGHBOURHOODS: tuple[tuple[str, ...], ...] = (
    (
        "social-care",
        "health-and-care-integration",
        "ageing-well",
        "mental-health",
        "public-health",
        "disability-and-inclusion",
    ),
    (
        "community-safety-and-policing",
        "criminal-justice",
        "domestic-abuse-and-violence-against-women",
        "emergency-planning-and-resilience",
    ),
    ("children-and-families", "education-and-skills", "employment-and-welfare"),
    (
        "housing-and-homelessness",
        "planning-and-land-use",
        "financing-local-regeneration",
        "town-centres-and-high-streets",
        "economic-development",
        "transport-and-connectivity",
    ),
    ("net-zero-and-climate", "environment-and-nature", "waste-and-circular-economy", "energy"),
    (
        "collaborative-governance",
        "devolution",
        "public-service-reform",
        "data-and-evidence",
        "citizen-facing-technology",
    ),
    (
        "community-cohesion",
        "migration-and-resettlement",
        "culture-heritage-and-tourism",
        "rural-access-to-services",
    ),
)

PLACEMENT_OPENINGS = (
    "The postholder will lead work on {a}.",
    "This secondment supports our programme on {a} and {b}.",
    "You will join a small team delivering {a}, working closely with partners on {b}.",
    "We are looking for someone to help shape {a}.",
    "Responsibilities include {a}, reporting to the board on {b}.",
)
PLACEMENT_CLOSINGS = (
    "Hybrid working is available.",
    "You will work with elected members and senior officers.",
    "The role offers exposure to frontline services and local partners.",
    "",
)
ROLE_NOUNS = ("lead", "officer", "adviser", "project manager", "analyst", "coordinator")
PERSON_OPENINGS = (
    "I really care about {a}.",
    "Outside work I spend a lot of time on {a}.",
    "I'd love to learn more about {a} and {b}.",
    "Growing up I saw {a} up close, and {b} matters to me.",
    "I'm curious about {a}.",
    "Friends would say I never stop talking about {a}.",
)
PERSON_CLOSINGS = (
    "I want to see how things work on the ground.",
    "I'm keen to get out of London for a while.",
    "Happy to travel.",
    "",
)
