"""Start-up that turns a configuration mistake into one clear line instead of a traceback."""

from __future__ import annotations

import sys

from flask import Flask

from config import ConfigError, load_settings


def build_app_or_exit() -> Flask:
    """Create the app from the environment, or print the configuration error and exit 2."""
    from matcher import create_app

    try:
        settings = load_settings()
    except ConfigError as error:
        print(f"matcher: configuration error: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    return create_app(settings)
