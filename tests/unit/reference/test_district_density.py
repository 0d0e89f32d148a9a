"""The rural-urban proxy: district_density.json holds what the postcode directory says."""

from __future__ import annotations

from matcher.reference.catalogue import postcode_densities, read_json
from matcher.reference.postcodes import district_density, letter_index

CITY_OF_LONDON, WESTMINSTER, EDEN = "E09000001", "E09000033", "E07000030"


def test_the_written_down_counts_are_the_directorys():
    # The City of London's postcodes all start with E (EC1 to EC4) or W (WC1, WC2).
    derived = district_density([letter_index("E"), letter_index("W")])
    written = read_json("district_density.json")["districts"]

    assert derived[CITY_OF_LONDON] == written[CITY_OF_LONDON]
    assert written[CITY_OF_LONDON]["postcodes"] > 1000


def test_every_district_has_a_density_and_the_cities_are_denser_than_the_fells():
    densities = postcode_densities()

    assert len(densities) == 331
    assert densities[EDEN] < 10 < 500 < densities[WESTMINSTER]
