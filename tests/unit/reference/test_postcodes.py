"""Postcodes resolve through the real ONS Postcode Directory; bad ones give clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from matcher.reference.postcodes import (
    PostcodeError,
    UnknownPostcode,
    lookup,
    normalise_postcode,
    postcode_sample,
)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("sw1a2aa", "SW1A 2AA"),
        ("  SW1A   2AA ", "SW1A 2AA"),
        ("m1 1ae", "M1 1AE"),
        ("ls14ap", "LS1 4AP"),
    ],
)
def test_normalise_postcode_spaces_and_cases(typed: str, expected: str) -> None:
    assert normalise_postcode(typed) == expected


@pytest.mark.parametrize("typed", ["NOT A POSTCODE", "", "SW1A", "12345", "SW1A 2A", "QQ1 1AA"])
def test_malformed_postcode_is_a_user_facing_error(typed: str) -> None:
    with pytest.raises(PostcodeError) as raised:
        normalise_postcode(typed)
    assert raised.value.message.startswith("Enter")
    assert not isinstance(raised.value, UnknownPostcode)


def test_downing_street_is_in_westminster() -> None:
    location = lookup("sw1a2aa")
    assert location.postcode == "SW1A 2AA"
    assert location.local_authority_code == "E09000033"
    assert location.region_code == "E12000007"
    assert location.easting == pytest.approx(530047, abs=50)
    assert location.northing == pytest.approx(179951, abs=50)


def test_renamed_district_maps_back_to_its_2021_code() -> None:
    # The directory gives Sheffield its post-2023 code; matcher keeps 2021 districts.
    assert lookup("S1 2HH").local_authority_code == "E08000019"


def test_merged_unitary_postcode_resolves_to_a_former_district() -> None:
    # Workington lies in Allerdale, now part of Cumberland.
    assert lookup("CA14 3YJ").local_authority_code == "E07000026"
    # Kendal lies in South Lakeland, now part of Westmorland and Furness.
    assert lookup("LA9 4DL").local_authority_code == "E07000031"


def test_scottish_postcode_has_a_nation_but_no_district() -> None:
    location = lookup("EH1 1YZ")
    assert location.local_authority_code is None
    assert location.region_code == "S92000003"


def test_well_formed_unknown_postcode() -> None:
    with pytest.raises(UnknownPostcode) as raised:
        lookup("SW1A 9ZZ")
    assert "SW1A 9ZZ" in raised.value.message


def test_drawing_in_a_district_is_deterministic_and_stays_inside() -> None:
    sample = postcode_sample()
    first = sample.draw_in(np.random.default_rng(3), "E08000035", 20)
    again = sample.draw_in(np.random.default_rng(3), "E08000035", 20)
    assert list(first) == list(again)
    for position in first:
        place = sample.location(int(position))
        assert lookup(place.postcode).local_authority_code == "E08000035"
