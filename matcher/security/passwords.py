"""Password hashing with argon2id."""

from __future__ import annotations

from argon2 import Parameters, PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

# RFC 9106's second recommendation: 3 passes over 64 MiB with 4 lanes, about 50 ms here.
PRODUCTION_PARAMETERS: Parameters = profiles.RFC_9106_LOW_MEMORY
# The test suite hashes thousands of passwords; at production cost argon2 dominated its run time.
TEST_PARAMETERS: Parameters = profiles.CHEAPEST

_hasher = PasswordHasher.from_parameters(PRODUCTION_PARAMETERS)


def parameters_for(env: str) -> Parameters:
    """The argon2 parameters for a ``MATCHER_ENV``: cheap under test, full cost otherwise."""
    return TEST_PARAMETERS if env == "test" else PRODUCTION_PARAMETERS


def use_parameters(parameters: Parameters) -> None:
    """Hash new passwords with ``parameters`` from now on (the app factory calls this)."""
    global _hasher
    _hasher = PasswordHasher.from_parameters(parameters)


def hash_password(password: str) -> str:
    """Hash a password for storage (argon2id, salted, deliberately slow)."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``; False for a malformed hash too."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether a stored hash was made with other parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)
