"""Passwords are stored as argon2id hashes and verified against them."""

from __future__ import annotations

from argon2 import PasswordHasher, extract_parameters

from matcher.security.passwords import (
    PRODUCTION_PARAMETERS,
    TEST_PARAMETERS,
    hash_password,
    parameters_for,
    verify_password,
)


def test_hash_verifies_only_the_same_password() -> None:
    stored = hash_password("correct horse battery staple")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "correct horse battery staple")
    assert not verify_password(stored, "Correct horse battery staple")


def test_malformed_hash_does_not_verify() -> None:
    assert not verify_password("not-a-hash", "anything")


def test_production_parameters_are_rfc_9106_low_memory() -> None:
    """README and the security review rely on these numbers; change both together."""
    assert PRODUCTION_PARAMETERS.type.name == "ID"
    assert PRODUCTION_PARAMETERS.time_cost == 3
    assert PRODUCTION_PARAMETERS.memory_cost == 64 * 1024
    assert PRODUCTION_PARAMETERS.parallelism == 4
    assert PRODUCTION_PARAMETERS.salt_len == 16


def test_only_the_test_environment_hashes_cheaply() -> None:
    assert parameters_for("production") == PRODUCTION_PARAMETERS
    assert parameters_for("development") == PRODUCTION_PARAMETERS
    assert parameters_for("test") == TEST_PARAMETERS


def test_an_app_under_test_stores_cheap_hashes(app) -> None:
    assert extract_parameters(hash_password("a password")) == TEST_PARAMETERS


def test_a_production_hash_still_verifies_under_test(app) -> None:
    """Verification reads the parameters from the stored hash, whatever today's are."""
    stored = PasswordHasher.from_parameters(PRODUCTION_PARAMETERS).hash("a password")
    assert verify_password(stored, "a password")
