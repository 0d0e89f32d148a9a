"""Reference data: places, organisations, grades, professions, taxonomies and postcodes."""
