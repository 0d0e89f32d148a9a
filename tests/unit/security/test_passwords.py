"""Passwords are stored as argon2id hashes and verified against them."""

from __future__ import annotations

from matcher.security.passwords import hash_password, verify_password


def test_hash_verifies_only_the_same_password() -> None:
    stored = hash_password("correct horse battery staple")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "correct horse battery staple")
    assert not verify_password(stored, "Correct horse battery staple")


def test_malformed_hash_does_not_verify() -> None:
    assert not verify_password("not-a-hash", "anything")
