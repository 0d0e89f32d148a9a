"""The written-down reference facts are complete and consistent."""

from __future__ import annotations

from collections import Counter

import brotli
import msgpack

from matcher.reference import catalogue
from matcher.reference.postcodes import LETTERS, data_dir

ABOLISHED_2023 = {
    "Allerdale": "Cumberland",
    "Carlisle": "Cumberland",
    "Copeland": "Cumberland",
    "Barrow-in-Furness": "Westmorland and Furness",
    "Eden": "Westmorland and Furness",
    "South Lakeland": "Westmorland and Furness",
    "Craven": "North Yorkshire",
    "Hambleton": "North Yorkshire",
    "Harrogate": "North Yorkshire",
    "Richmondshire": "North Yorkshire",
    "Ryedale": "North Yorkshire",
    "Scarborough": "North Yorkshire",
    "Selby": "North Yorkshire",
    "Mendip": "Somerset",
    "Sedgemoor": "Somerset",
    "Somerset West and Taunton": "Somerset",
    "South Somerset": "Somerset",
}


def test_every_district_gets_a_region() -> None:
    districts = catalogue.districts()
    region_codes = {region["code"] for region in catalogue.regions()}
    assert len(districts) == 331
    assert all(row["region_code"] in region_codes for row in districts)


def test_district_counts_per_region_match_ons() -> None:
    counts = Counter(row["region_code"] for row in catalogue.districts())
    assert counts == {
        "E12000001": 12,
        "E12000002": 39,
        "E12000003": 21,
        "E12000004": 35,
        "E12000005": 30,
        "E12000006": 45,
        "E12000007": 33,
        "E12000008": 64,
        "E12000009": 30,
        "W92000004": 22,
    }


def test_every_english_upper_tier_authority_has_exactly_one_region() -> None:
    listed = [
        code for codes in catalogue.read_json("upper_tier_regions.json").values() for code in codes
    ]
    assert len(listed) == len(set(listed))
    needed = {
        row["upper_tier_code"]
        for row in catalogue.districts()
        if row["code"][:3] in ("E06", "E07", "E08")
    }
    assert needed == set(listed)


def test_organisations_have_unique_names_and_known_regions() -> None:
    organisations = catalogue.organisations()
    names = [o["name"] for o in organisations]
    assert len(names) == len(set(names))
    kinds = Counter(o["kind"] for o in organisations)
    # 331 district councils of 2021, less the 17 abolished on 1 April 2023, plus their 4 successors
    assert kinds["council"] == 318
    assert kinds["police_force"] == 45
    assert {"London Collaborative", "Cumbria Strategic Partnership"} <= set(names)
    region_codes = {region["code"] for region in catalogue.regions()}
    assert all(o["region_code"] in region_codes for o in organisations)


def test_council_names_read_naturally() -> None:
    assert catalogue.council_name("Bristol, City of") == "Bristol Council"
    assert catalogue.council_name("Herefordshire, County of") == "Herefordshire Council"
    assert catalogue.council_name("Hartlepool") == "Hartlepool Council"


def test_grades_rank_from_aa_to_scs4() -> None:
    grades = catalogue.grades()
    assert [g["code"] for g in grades] == [
        "AA",
        "AO",
        "EO",
        "HEO",
        "SEO",
        "G7",
        "G6",
        "SCS1",
        "SCS2",
        "SCS3",
        "SCS4",
    ]
    assert [g["rank"] for g in grades] == list(range(1, 12))


def test_taxonomies_cover_the_innovation_areas_and_have_unique_slugs() -> None:
    themes = catalogue.themes()
    slugs = {t["slug"] for t in themes}
    assert {
        "rural-access-to-services",
        "social-care",
        "citizen-facing-technology",
        "financing-local-regeneration",
        "collaborative-governance",
    } <= slugs
    assert len(slugs) == len(themes) and 25 <= len(themes) <= 35
    assert all(t["description"].endswith(".") for t in themes)
    skills = catalogue.skills()
    assert len({s["slug"] for s in skills}) == len(skills)
    assert 80 <= len(skills) <= 150


def directory_council_codes() -> dict[str, set[str]]:
    """The English and Welsh district codes (column laua) in the ONS Postcode Directory, with
    a few of each one's postcodes."""
    found: dict[str, set[str]] = {}
    for letter in LETTERS:
        path = data_dir() / f"postcodes_{letter}.msgpack.br"
        columns = msgpack.unpackb(brotli.decompress(path.read_bytes()), raw=False)["data"]
        for postcode, code in zip(columns["pcd"], columns["laua"], strict=True):
            if isinstance(code, str) and code[:1] in "EW":
                found.setdefault(code, set()).add(" ".join(postcode.split()))
    return found


def test_councils_are_the_ones_the_postcode_directory_names_today() -> None:
    councils = {o["ons_code"]: o["name"] for o in catalogue.organisations() if o["ons_code"]}
    directory = directory_council_codes()

    assert set(councils) == set(directory)
    for postcode, code, name in [
        ("CA1 1AA", "E06000063", "Cumberland Council"),
        ("LA9 4DQ", "E06000064", "Westmorland and Furness Council"),
        ("HG1 1AA", "E06000065", "North Yorkshire Council"),
        ("TA1 1AA", "E06000066", "Somerset Council"),
        ("S70 1AA", "E08000038", "Barnsley Council"),
    ]:
        assert postcode in directory[code]
        assert councils[code] == name


def test_the_councils_abolished_in_2023_are_gone_and_their_successors_known() -> None:
    names = {o["name"] for o in catalogue.organisations()}
    assert not {f"{district} Council" for district in ABOLISHED_2023} & names
    by_name = {row["name"]: row["code"] for row in catalogue.districts()}
    successors = {o["ons_code"]: o["name"] for o in catalogue.organisations()}
    assert {
        district: successors[catalogue.abolished_councils()[by_name[district]]]
        for district in ABOLISHED_2023
    } == {district: f"{successor} Council" for district, successor in ABOLISHED_2023.items()}
    assert catalogue.council_districts("E06000064") == ["E07000027", "E07000030", "E07000031"]
    assert catalogue.council_districts("E08000035") == ["E08000035"]
