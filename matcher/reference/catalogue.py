"""The reference facts written down under ``data/``, read once and shaped into rows."""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any

import qlacref_authorities

LONDON = "E12000007"
NATION_BY_PREFIX = {"W": "W92000004", "S": "S92000003", "N": "N92000002"}


def read_json(name: str) -> Any:
    """Parse one of the package's data files."""
    return json.loads(resources.files("matcher.reference").joinpath("data", name).read_text())


def slugify(text: str) -> str:
    """A lower-case, hyphenated key for ``text``."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower().replace("'", "")).strip("-")


@cache
def upper_tier_regions() -> dict[str, str]:
    """Region code for every English upper-tier authority (county, unitary, metropolitan)."""
    return {
        upper_tier: region
        for region, upper_tiers in read_json("upper_tier_regions.json").items()
        for upper_tier in upper_tiers
    }


def region_of_district(district_code: str, upper_tier_code: str) -> str:
    """The region or nation a local authority district lies in; KeyError when unknown."""
    nation = NATION_BY_PREFIX.get(district_code[:1])
    if nation is not None:
        return nation
    if district_code.startswith("E09"):
        return LONDON
    return upper_tier_regions()[upper_tier_code]


def council_name(district_name: str) -> str:
    """The organisation name of a district's council: "Bristol, City of" -> "Bristol Council"."""
    return re.sub(r", (City|County) of$", "", district_name) + " Council"


@cache
def districts() -> tuple[dict[str, str], ...]:
    """The 331 local authority districts (2021) as ``local_authorities`` rows."""
    return tuple(
        {
            "code": record["LTLA21CD"],
            "name": record["LTLA21NM"],
            "upper_tier_code": record["UTLA21CD"],
            "upper_tier_name": record["UTLA21NM"],
            "region_code": region_of_district(record["LTLA21CD"], record["UTLA21CD"]),
            "postcode_density": postcode_density(record["LTLA21CD"]),
        }
        for record in qlacref_authorities.records
    )


@cache
def postcode_densities() -> dict[str, float]:
    """Postcodes per occupied square kilometre of each district (``district_density.json``)."""
    counted = read_json("district_density.json")["districts"]
    return {code: round(n["postcodes"] / n["squares"], 2) for code, n in counted.items()}


def postcode_density(district_code: str) -> float | None:
    """How densely ``district_code`` is settled; None for a district the file does not hold."""
    return postcode_densities().get(district_code)


@cache
def district_regions() -> dict[str, str]:
    """Region code by district code."""
    return {row["code"]: row["region_code"] for row in districts()}


def regions() -> list[dict[str, str]]:
    """The twelve ONS regions and nations."""
    return list(read_json("regions.json"))


def departments() -> list[dict[str, Any]]:
    """Central government departments."""
    return list(read_json("departments.json"))


def grades() -> list[dict[str, Any]]:
    """Civil Service grades from AA (rank 1) to SCS4 (rank 11)."""
    return list(read_json("grades.json"))


def professions() -> list[dict[str, str]]:
    """Civil Service professions."""
    return [{"name": name} for name in read_json("professions.json")]


def themes() -> list[dict[str, str]]:
    """The policy-theme taxonomy."""
    return list(read_json("themes.json"))


def skills() -> list[dict[str, str]]:
    """The skills taxonomy; the description names its group."""
    return [
        {"slug": slugify(name), "name": name, "description": group}
        for group, names in read_json("skills.json").items()
        for name in names
    ]


def council_email_domains() -> dict[str, str]:
    """Known email domains of some councils, by district code."""
    return dict(read_json("council_email_domains.json"))


@cache
def current_council_codes() -> dict[str, str]:
    """The ONS code of today's council for each 2021 district whose code has changed since.

    Renamed districts keep their council under a new code; the districts merged into a new
    unitary on 1 April 2023 lost their councils to the unitary's. These are the codes the
    postcode directory gives (``data/district_changes.json``).
    """
    changes = read_json("district_changes.json")
    current = {former: code for code, former in changes["renamed"].items()}
    for code, former_districts in changes["merged"].items():
        current.update(dict.fromkeys(former_districts, code))
    return current


@cache
def abolished_councils() -> dict[str, str]:
    """The successor's ONS code for each district council abolished by a merger."""
    merged = read_json("district_changes.json")["merged"]
    return {
        former: successor
        for former, successor in current_council_codes().items()
        if successor in merged
    }


def council_districts(ons_code: str) -> list[str]:
    """The 2021 districts a current council covers, by code (one, unless it is a merger)."""
    former = [code for code, current in current_council_codes().items() if current == ons_code]
    return former or [ons_code]


def _successor_councils() -> list[dict[str, Any]]:
    """The unitary councils created on 1 April 2023, each in the region of its districts."""
    domains = council_email_domains()
    return [
        {
            "name": council_name(name),
            "kind": "council",
            "ons_code": code,
            "region_code": district_regions()[council_districts(code)[0]],
            "email_domain": domains.get(code),
        }
        for code, name in read_json("district_changes.json")["councils"].items()
    ]


def organisations() -> list[dict[str, Any]]:
    """Today's councils (current ONS codes), police forces and regional partnerships, without
    their verification stamp."""
    domains = council_email_domains()
    current = current_council_codes()
    abolished = abolished_councils()
    councils = [
        {
            "name": council_name(row["name"]),
            "kind": "council",
            "ons_code": current.get(row["code"], row["code"]),
            "region_code": row["region_code"],
            "email_domain": domains.get(current.get(row["code"], row["code"])),
        }
        for row in districts()
        if row["code"] not in abolished
    ] + _successor_councils()
    others = [
        {
            "name": entry["name"],
            "kind": kind,
            "ons_code": None,
            "region_code": entry["region_code"],
            "email_domain": entry.get("email_domain"),
        }
        for kind, file in (
            ("police_force", "police_forces.json"),
            ("regional_partnership", "partnerships.json"),
        )
        for entry in read_json(file)
    ]
    return councils + others
