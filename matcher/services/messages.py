"""Every error message a person can see about a placement, a profile or an allocation round,
in one table.

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
    # Practice notes
    "note.title.missing": "Enter a title",
    "note.problem.missing": "Enter the problem the practice set out to solve",
    "note.what_changed.missing": "Enter what changed",
    "note.evidence.missing": "Enter the evidence of its impact",
    "note.themes.missing": "Select at least one policy theme",
    "note.region.missing": "Select the region",
    "note.contact.missing": "Select who people should contact, or enter a name and email address",
    "note.contact.not_member": "Select a member of your organisation",
    "note.contact_name.missing": "Enter the contact's name",
    "note.contact_email.missing": "Enter the contact's email address",
    "note.contact_email.malformed": (
        "Enter an email address in the correct format, like name@council.gov.uk"
    ),
    "note.links.too_many": "Add {most} links or fewer",
    "note.link.url_missing": "Enter the link's web address",
    "note.link.url_malformed": (
        "Enter a web address starting with https:// or http://, like https://www.example.gov.uk"
    ),
    "note.link.label_missing": "Enter the words to show for the link",
    "note.placements.not_own": "Select placements your organisation offers",
    "note.placements.too_many": "Select {most} placements or fewer",
    "note.unpublish_reason.missing": "Enter why the note is being unpublished",
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
    # Allocation schemes and rounds
    "scheme.name.missing": "Enter a name for the scheme",
    "scheme.name.taken": "A scheme already has this name",
    "scheme.department.unknown": "Select a department from the list",
    "scheme.manager.unknown": "Enter the email address of a civil servant with an account",
    "scheme.manager.other_department": (
        "You can only appoint managers from the scheme's own department"
    ),
    "scheme.manager.already": "This person already manages the scheme",
    "round.name.missing": "Enter a name for the round",
    "round.max_choices.missing": "Enter how many places each participant can choose",
    "round.max_choices.range": "Each participant can choose between 1 and {most} places",
    "round.max_choices.below_chosen": (
        "A participant has already chosen {chosen} places, so each participant must be able "
        "to choose at least {chosen}"
    ),
    "round.preferences_close.past": "The closing date for choices must be in the future",
    "round.confirmations_close.order": (
        "The deadline for confirming must be after the closing date for choices"
    ),
    "round.state.wrong": "The round is {state}, so this cannot be done now",
    "round.state.not_next": "A round that is {state} cannot move to {target}",
    "round.not_allocated": "The round has not been allocated yet",
    "round.second.not_closed": "Close the round before starting a second round from it",
    "round.second.nothing_left": "Every place and person in the round has been confirmed",
    "round_place.places.missing": "Enter how many of the cohort the placement can take",
    "round_place.places.range": "The placement can take between 1 and {most} of the cohort",
    "round_place.placement.not_open": "Only a published placement can be offered into a round",
    "round_place.placement.already": "This placement is already offered into the round",
    "round_place.organisation.unverified": (
        "Your organisation must be verified before it offers places"
    ),
    "round_place.ranking.not_chosen": "Rank only participants who chose this place",
    "round_place.ranking.repeated": "Rank each participant once",
    "round_place.ranking.malformed": "Each rank must be a whole number, 1 or more",
    "round_place.unacceptable.reason_missing": "Enter why the participant is unacceptable",
    "round_place.unacceptable.not_chosen": "Mark only participants who chose this place",
    "participants.emails.missing": "Enter at least one email address",
    "participants.email.malformed": (
        "Enter an email address in the correct format, like name@department.gov.uk"
    ),
    "participants.email.repeated": "This email address is also on {counted_as} {line}",
    "participants.csv.malformed": "The file is not a CSV file: {reason}",
    "participants.csv.no_email": "The first row must name a column called email",
    "participants.csv.missing": "Select a CSV file of email addresses",
    "participants.csv.not_text": "The file must be a CSV file saved as UTF-8 text",
    "participants.csv.too_large": "The file must be smaller than {most}",
    "participants.csv.rows_refused": (
        "{count} of the file cannot be invited, so nobody has been: correct the file and "
        "upload it again"
    ),
    "participants.invitation.other_email": (
        "This invitation was sent to another email address: sign in with that address"
    ),
    "participants.invitation.used": "This invitation has already been accepted",
    "participants.join_link.not_valid": "The link to join the round is not valid any more",
    "participants.already": "You are already in this round",
    "participants.withdrawn": "You have withdrawn from this round",
    "participants.civil_servants_only": "Only civil servants can join a round",
    "choices.too_many": "Choose {most} places or fewer",
    "choices.repeated": "Choose each place once",
    "choices.unknown": "Choose places from the round's list",
    "choices.not_chosen": "This place is not one of your choices",
    "confirmation.deadline_passed": "The deadline for confirming was {deadline}",
    "confirmation.unplaced": "There is no place to confirm",
    "confirmation.already": "This place has already been {decision}",
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
    # Reflections on completed placements
    "reflection.learned.missing": "Enter what was learned",
    "reflection.recommend.missing": "Select yes if you would recommend it, or no if not",
    "reflection.rating.missing": "Select a rating from 1 to 5",
    "reflection.too_long": "{subject} must be {limit} characters or fewer",
    "reflection.closed": "Reflections on this placement closed on {closed_on}",
}


def message(key: str, **values: Any) -> str:
    """The words for ``key``, with ``values`` filled in."""
    return MESSAGES[key].format(**values)
