"""Rate limits on sign-in and on asking for emails (per IP address and per account), and on
API requests (per token).

Counting is explicit rather than by decorator: only failed sign-ins count towards the limits.
Sign-in failures are counted three ways (OWASP ASVS V2.2.1, soft lockout):
- per account and source: reached, that source cannot sign in to that account, even with the
  right password, so guessing cannot go on in the background;
- per source: reached, that source cannot sign in to any account;
- per account, from every source: reached, only a source that has not failed for the account
  may try, so a botnet gets one guess per address while the owner still gets in from theirs.
Nobody can lock an owner out by failing on purpose from elsewhere.
Accounts are counted by a keyed digest of the address, so the store holds no email addresses.
"""

from __future__ import annotations

import time

from flask import Flask, current_app, render_template
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse

from matcher.http.extensions import limiter
from matcher.security.tokens import fingerprint
from matcher.services.accounts import normalise_email

SIGN_IN_PER_ACCOUNT = "RATELIMIT_SIGN_IN_PER_ACCOUNT"
SIGN_IN_PER_ACCOUNT_AND_IP = "RATELIMIT_SIGN_IN_PER_ACCOUNT_AND_IP"
SIGN_IN_PER_IP = "RATELIMIT_SIGN_IN_PER_IP"
EMAILS_PER_ACCOUNT = "RATELIMIT_EMAILS_PER_ACCOUNT"
EMAILS_PER_IP = "RATELIMIT_EMAILS_PER_IP"
API_PER_TOKEN = "RATELIMIT_API_PER_TOKEN"
FEEDBACK_PER_IP = "RATELIMIT_FEEDBACK_PER_IP"

DEFAULT_LIMITS = {
    SIGN_IN_PER_ACCOUNT_AND_IP: "5 per 15 minutes",
    SIGN_IN_PER_IP: "30 per 15 minutes",
    SIGN_IN_PER_ACCOUNT: "50 per hour",
    EMAILS_PER_ACCOUNT: "5 per hour",
    EMAILS_PER_IP: "30 per hour",
    API_PER_TOKEN: "600 per minute",
    FEEDBACK_PER_IP: "30 per hour",
}


class TooManyAttempts(Exception):
    """A rate limit is reached; ``retry_after`` is how many seconds until it resets."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"rate limit reached; retry after {retry_after} s")
        self.retry_after = retry_after


def _item(setting: str) -> RateLimitItem:
    return parse(current_app.config[setting])


def _account_key(email: str) -> str:
    return "account:" + fingerprint(current_app.config["SECRET_KEY"], normalise_email(email))


def _ip_key() -> str:
    return "ip:" + get_remote_address()


def _keys(per_account: str, per_ip: str, email: str) -> list[tuple[RateLimitItem, str]]:
    return [(_item(per_account), _account_key(email)), (_item(per_ip), _ip_key())]


def _too_many(item: RateLimitItem, key: str) -> TooManyAttempts:
    reset_at = limiter.limiter.get_window_stats(item, key).reset_time
    return TooManyAttempts(max(1, min(int(reset_at - time.time()) + 1, item.get_expiry())))


def _check(pairs: list[tuple[RateLimitItem, str]]) -> None:
    for item, key in pairs:
        if not limiter.limiter.test(item, key):
            raise _too_many(item, key)


def _sign_in_keys(email: str) -> dict[str, tuple[RateLimitItem, str]]:
    account = _account_key(email)
    return {
        SIGN_IN_PER_ACCOUNT_AND_IP: (_item(SIGN_IN_PER_ACCOUNT_AND_IP), f"{account}:{_ip_key()}"),
        SIGN_IN_PER_IP: (_item(SIGN_IN_PER_IP), _ip_key()),
        SIGN_IN_PER_ACCOUNT: (_item(SIGN_IN_PER_ACCOUNT), account),
    }


def check_sign_in(email: str) -> None:
    """Raise TooManyAttempts if this source may not try to sign in to this account now."""
    keys = _sign_in_keys(email)
    _check([keys[SIGN_IN_PER_ACCOUNT_AND_IP], keys[SIGN_IN_PER_IP]])
    item, key = keys[SIGN_IN_PER_ACCOUNT]
    if not limiter.limiter.test(item, key):
        pair_item, pair_key = keys[SIGN_IN_PER_ACCOUNT_AND_IP]
        failures_here = (
            pair_item.amount - limiter.limiter.get_window_stats(pair_item, pair_key).remaining
        )
        if failures_here:
            raise _too_many(item, key)


def failed_sign_in(email: str) -> None:
    """Count a failed sign-in against this source, this account, and the two together."""
    for item, key in _sign_in_keys(email).values():
        limiter.limiter.hit(item, key)


def succeeded_sign_in(email: str) -> None:
    """Forget this source's failures for the account once its owner has signed in from it.

    The account-wide count stays: guesses from elsewhere go on counting while the owner works.
    """
    limiter.limiter.clear(*_sign_in_keys(email)[SIGN_IN_PER_ACCOUNT_AND_IP])


def count_email_request(email: str) -> None:
    """Count a request that sends an email; raise TooManyAttempts once it is too many."""
    pairs = [
        (item, f"email-{key}") for item, key in _keys(EMAILS_PER_ACCOUNT, EMAILS_PER_IP, email)
    ]
    _check(pairs)
    for item, key in pairs:
        limiter.limiter.hit(item, key)


def count_api_request(token_id: int) -> None:
    """Count one API request against its token; raise TooManyAttempts once it is too many."""
    item, key = _item(API_PER_TOKEN), f"api-token:{token_id}"
    if not limiter.limiter.hit(item, key):
        raise _too_many(item, key)


def count_feedback() -> None:
    """Count feedback sent from this IP address; raise TooManyAttempts once it is too many."""
    item, key = _item(FEEDBACK_PER_IP), "feedback-" + _ip_key()
    if not limiter.limiter.hit(item, key):
        raise _too_many(item, key)


def init_rate_limits(app: Flask, storage_url: str) -> None:
    """Bind the limiter to ``app``'s storage and show a GOV.UK page when a limit is reached."""
    for setting, default in DEFAULT_LIMITS.items():
        app.config.setdefault(setting, default)
    app.config.setdefault("RATELIMIT_STORAGE_URI", storage_url)
    app.config.setdefault("RATELIMIT_STRATEGY", "fixed-window")
    limiter.init_app(app)

    @app.errorhandler(TooManyAttempts)
    def too_many_attempts(error: TooManyAttempts):
        minutes = max(1, -(-error.retry_after // 60))
        response = current_app.make_response(
            (render_template("errors/too_many_attempts.html", minutes=minutes), 429)
        )
        response.headers["Retry-After"] = str(error.retry_after)
        return response
