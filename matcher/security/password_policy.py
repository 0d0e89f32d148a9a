"""What makes a password acceptable: long enough, not the email address, not a common one."""

from __future__ import annotations

MIN_LENGTH = 12
MAX_LENGTH = 128

# Passwords of 12 or more characters that top the published breach lists; shorter ones are
# already refused by the length rule.
COMMON_PASSWORDS = frozenset(
    {
        "123456789012",
        "1234567890123",
        "12345678910",
        "123456789123",
        "qwertyuiopas",
        "qwertyuiop123",
        "1q2w3e4r5t6y",
        "1qaz2wsx3edc",
        "passwordpassword",
        "password1234",
        "password12345",
        "password123456",
        "passw0rd1234",
        "p@ssw0rd1234",
        "letmein12345",
        "welcome12345",
        "welcome123456",
        "iloveyou1234",
        "administrator",
        "abcdefghijkl",
        "abc123abc123",
        "aaaaaaaaaaaa",
        "111111111111",
        "000000000000",
        "qwerty123456",
        "sunshine1234",
        "football1234",
        "baseball1234",
        "monkey123456",
        "princess1234",
        "changeme1234",
        "correcthorsebatterystaple",
        "trustno1trustno1",
        "whitehall123",
        "civilservice",
        "civilservice1",
        "civilservice123",
        "governmentuk",
        "government123",
        "london123456",
        "summer123456",
        "winter123456",
        "spring123456",
        "autumn123456",
    }
)


def password_problem(password: str, email: str = "") -> str | None:
    """Why ``password`` is not acceptable, as a GOV.UK error message; None if it is fine."""
    if len(password) < MIN_LENGTH:
        return f"Password must be {MIN_LENGTH} characters or more"
    if len(password) > MAX_LENGTH:
        return f"Password must be {MAX_LENGTH} characters or fewer"
    lowered = password.lower()
    local_part = email.lower().partition("@")[0]
    if email and (lowered == email.lower() or (len(local_part) >= 4 and local_part in lowered)):
        return "Password must not contain your email address"
    if lowered in COMMON_PASSWORDS or len(set(lowered)) <= 2:
        return "Password is too easy to guess. Try a longer phrase of 3 or 4 unrelated words"
    return None
