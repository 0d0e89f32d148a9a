"""Kilometres stored, miles said: the one place the two units meet."""

from __future__ import annotations

from matcher.distances import miles_in_words, travel_limit_in_words, whole_km, whole_miles


def test_whole_miles_survive_the_trip_through_stored_kilometres():
    assert whole_km(25) == 40
    assert all(whole_miles(whole_km(miles)) == miles for miles in range(0, 622))


def test_distances_read_in_miles():
    assert miles_in_words(0.3) == "less than 1 mile"
    assert miles_in_words(1.7) == "1 mile"
    assert miles_in_words(18.2) == "11 miles"
    assert travel_limit_in_words(40) == "Up to 25 miles"
    assert travel_limit_in_words(2) == "Up to 1 mile"
