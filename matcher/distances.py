"""Distances as people in the UK say them: stored in kilometres, shown and asked in miles.

The engine, the database and the JSON API work in kilometres; every page, email and sentence
that a person reads converts here, so the two units meet in one place.
"""

from __future__ import annotations

KM_PER_MILE = 1.609344


def km_to_miles(km: float) -> float:
    """``km`` kilometres in miles."""
    return km / KM_PER_MILE


def whole_miles(km: float) -> int:
    """``km`` kilometres as a whole number of miles (a stored travel limit, asked back)."""
    return round(km_to_miles(km))


def whole_km(miles: float) -> int:
    """``miles`` as whole kilometres, for storing; whole miles round-trip through it exactly."""
    return round(miles * KM_PER_MILE)


def miles_in_words(km: float) -> str:
    """A distance given in kilometres as words: "less than 1 mile", "1 mile", "12 miles"."""
    miles = km_to_miles(km)
    if miles < 0.5:
        return "less than 1 mile"
    whole = round(miles)
    return "1 mile" if whole == 1 else f"{whole} miles"


def travel_limit_in_words(km: int) -> str:
    """A stored travel limit as its owner gave it: "Up to 25 miles"."""
    miles = whole_miles(km)
    return f"Up to {miles} mile" if miles == 1 else f"Up to {miles} miles"
