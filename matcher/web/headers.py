"""Security headers on every response, with a per-request nonce for the one inline script."""

from __future__ import annotations

import secrets

from flask import Flask, Response, request


def csp_nonce() -> str:
    """The nonce that lets this response's inline scripts run; made on first use."""
    return request.environ.setdefault("matcher.csp_nonce", secrets.token_urlsafe(18))


def _content_security_policy() -> str:
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{csp_nonce()}'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def install_security_headers(app: Flask) -> None:
    """Add CSP, framing, sniffing, referrer and (in production) HSTS headers to responses."""
    production = app.config["MATCHER_SETTINGS"].is_production
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.after_request
    def add_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", _content_security_policy())
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"
        )
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if production:
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        return response
