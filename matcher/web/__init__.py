"""The HTML side of the app: templates, GOV.UK Frontend assets, headers and error pages."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask
from jinja2 import ChoiceLoader, PackageLoader, PrefixLoader

from matcher.web.errors import register_error_pages
from matcher.web.headers import install_security_headers
from matcher.web.templating import GovukUndefined

GOVUK_ASSETS = Path(__file__).resolve().parent.parent / "static" / "govuk-frontend" / "assets"


def init_web(app: Flask) -> None:
    """Wire templates, assets, headers, error pages and the page blueprints into ``app``."""
    app.jinja_loader = ChoiceLoader(
        [
            app.jinja_loader,
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
        ]
    )
    app.jinja_env.undefined = GovukUndefined
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    # GOV.UK Frontend's stylesheet asks for its fonts and images under /assets/.
    app.register_blueprint(
        Blueprint("govuk_assets", __name__, static_folder=GOVUK_ASSETS, static_url_path="/assets")
    )
    install_security_headers(app)
    register_error_pages(app)

    from matcher.web.views.public import public

    app.register_blueprint(public)
