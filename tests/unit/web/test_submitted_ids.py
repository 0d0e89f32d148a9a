"""An id or count read from a form or query value is ASCII digits up to ID_MAX, or unknown."""

from __future__ import annotations

import pytest

from matcher.database import ID_MAX
from matcher.web.forms import UNKNOWN_ID, chosen_ids, submitted_id
from matcher.web.forms.rounds import whole_number


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7", 7),
        ("0007", 7),
        (7, 7),  # a field not posted keeps the int its view gave it
        (str(ID_MAX), ID_MAX),
        (None, None),
        ("", None),
        # No row has id 0: the service calls it unknown, as it does every value below.
        ("0", UNKNOWN_ID),
        (str(ID_MAX + 1), UNKNOWN_ID),
        ("99999999999999999999", UNKNOWN_ID),
        # More digits than int() reads from a string (4,300) must not raise either.
        ("9" * 5000, UNKNOWN_ID),
        ("²", UNKNOWN_ID),  # a digit to str.isdigit(), not to int()
        ("٣", UNKNOWN_ID),  # an Arabic-Indic three, which int() reads as 3
        (" 7 ", UNKNOWN_ID),  # no page sends a padded id
        ("-1", UNKNOWN_ID),
        ("+7", UNKNOWN_ID),
        ("7.0", UNKNOWN_ID),
        ("1e3", UNKNOWN_ID),
        ("0x1f", UNKNOWN_ID),
        ("1_000", UNKNOWN_ID),
        ("else", UNKNOWN_ID),
    ],
)
def test_a_submitted_value_is_an_id_only_if_it_is_ascii_digits_up_to_id_max(
    value: str | int | None, expected: int | None
):
    assert submitted_id(value) == expected


def test_no_row_has_the_unknown_id():
    assert not 1 <= UNKNOWN_ID <= ID_MAX


def test_each_box_ticked_is_read_as_an_id_and_a_bad_one_stays_to_be_refused():
    assert chosen_ids(["3", "²", "", str(ID_MAX + 1), "12"]) == (
        3,
        UNKNOWN_ID,
        UNKNOWN_ID,
        UNKNOWN_ID,
        12,
    )
    assert chosen_ids(None) == ()
    assert chosen_ids([]) == ()


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        (" 12 ", 12),
        ("0", 0),
        ("00", 0),
        ("", None),
        ("x", None),
        ("²", None),
        ("99999999999999999999", None),
        ("9" * 5000, None),
    ],
)
def test_a_typed_count_is_read_by_the_same_rule(typed: str, expected: int | None):
    assert whole_number(typed) == expected
