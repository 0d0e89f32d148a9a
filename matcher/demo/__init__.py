"""Demo data: realistic, deterministic people, organisation members and placements."""
