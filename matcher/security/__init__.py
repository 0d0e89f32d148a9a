"""Security helpers: password hashing."""
