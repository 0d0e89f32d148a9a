"""The written-down reference facts are complete and consistent."""

from __future__ import annotations

from collections import Counter

from matcher.reference import catalogue


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
    assert kinds["council"] == 331
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
