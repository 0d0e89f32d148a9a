"""Every error message a person can see about a placement or a profile, in one table.

The services decide what is valid and raise ``ValidationFailed`` with these words; the web
forms, the JSON API and the imports only parse types, and say a value is missing or malformed
with these words too. So the same bad answer reads the same however it arrives. Messages
follow the GOV.UK Design System's error message style ("Enter a title").
"""

from __future__ import annotations

from typing import Any, Final

MESSAGES: Final[dict[str, str]] = {
    # Placements
    "placement.title.missing": "Enter a title",
    "placement.summary.missing": "Enter a summary",
    "placement.description.missing": "Enter a description",
    "placement.kind.missing": "Select the kind of placement",
    "placement.themes.missing": "Select at least one policy theme",
    "placement.grade_min.missing": "Select a minimum grade",
    "placement.grade_max.missing": "Select a maximum grade",
    "placement.grades.order": "Minimum grade must be the same as or lower than maximum grade",
    "placement.postcode.missing": "Enter a postcode, or say the placement can be done remotely",
    "placement.closing_date.missing": "Enter a closing date",
    "placement.closing_date.past": "Closing date must be in the future",
    "placement.start_date.missing": "Enter a start date",
    "placement.start_date.order": "Start date must be after the closing date",
    "placement.duration_weeks.missing": "Enter how many weeks the placement lasts",
    "placement.duration_weeks.range": "Duration must be between 1 and {most} weeks",
    "placement.duration_weeks.malformed": "How many weeks must be a whole number, like 26",
    "placement.hours.missing": "Select the hours",
    "placement.capacity.missing": "Enter how many people the placement is for",
    "placement.capacity.range": "Capacity must be between 1 and {most}",
    "placement.capacity.malformed": "How many people must be a whole number, like 1",
    "placement.unpublish_reason.missing": "Enter why the placement is being unpublished",
    # Profiles
    "profile.department.missing": "Select your department",
    "profile.grade.missing": "Select your grade",
    "profile.profession.missing": "Select your profession",
    "profile.themes.missing": "Select the policy themes that interest you",
    "profile.skills.missing": "Select your skills",
    "profile.location.missing": "Enter your home postcode or select your region",
    "profile.region.unknown": "Select your region",
    "profile.travel_limit.missing": "Enter how far you could travel, in miles",
    "profile.remote_ok.missing": "Select yes if remote work would suit you",
    "profile.discoverable.missing": "Select yes if organisations can find your profile",
    "profile.digest_frequency.missing": "Select how often we should email you",
    "profile.travel_limit.range": "How far you could travel must be between 0 and {most} {unit}",
    "profile.travel_limit.malformed": (
        "How far you could travel must be a whole number of miles, like 25"
    ),
    "profile.available_from.missing": "Enter the date you are available from",
    "profile.available_until.order": (
        "The date you are available until must be the same as or after the date you are "
        "available from"
    ),
    "profile.available_until.past": (
        "The date you are available until must be today or in the future"
    ),
    "profile.wanted_kinds.missing": "Select the kinds of placement you want",
    "profile.hours.missing": "Select the hours you could work",
    # Imported people
    "account.email.taken": "An account already uses this email address",
    "person.email.changed": (
        "This person was imported with another email address; people change their own"
    ),
    # Imports
    "import.field.unknown": "`{name}` is not a field; the fields are {fields}",
    "import.field.misspelt": "`{name}` is not a field; did you mean `{suggestion}`?",
    "import.type.unknown": 'Give each line a type: "person" or "placement"',
    "import.line.not_json": "The line is not a JSON object: {reason}",
    "import.line.duplicate": "This {field} is also on line {line}",
    "import.reference.unknown": "There is no {what} called '{name}'",
    "import.organisation.unknown": (
        "There is no organisation called '{name}': give its name or ONS code"
    ),
    "import.organisation.missing": "Enter the organisation's name or ONS code",
    "import.organisation.unverified": (
        "The organisation is not verified yet: import its placements as drafts"
    ),
    "import.placement.final": "The placement is {status}, so it can no longer be changed",
    "import.text.malformed": "Enter text",
    "import.list.malformed": "Enter a list of names",
    "import.stale": "Someone changed this record while it was being imported: import it again",
    # Rules shared by both
    "text.too_long": "{label} must be {most:,} characters or fewer",
    "terms.too_many": "Select {most} {what} or fewer",
    "terms.unknown": "Select {what} from the list",
    "whole_number.malformed": "Enter a whole number",
    "date.malformed": "Enter a date like 2027-01-31",
    "date.part_missing": "{subject} must include a {parts}",
    "date.not_real": "{subject} must be a real date",
    "date.year_digits": "Year must include 4 numbers",
    "flag.malformed": "Enter yes or no",
    "choice.unknown": "Enter one of: {allowed}",
}


def message(key: str, **values: Any) -> str:
    """The words for ``key``, with ``values`` filled in."""
    return MESSAGES[key].format(**values)
