"""The HTML side of the app: templates, GOV.UK Frontend assets, headers and error pages."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask
from jinja2 import ChoiceLoader, PackageLoader, PrefixLoader

from matcher.http.extensions import csrf
from matcher.http.ratelimit import init_rate_limits
from matcher.web import charts
from matcher.web.auth import init_auth
from matcher.web.errors import register_error_pages
from matcher.web.headers import install_security_headers
from matcher.web.input_guards import install_input_guards
from matcher.web.templating import COMPILED_TEMPLATES, GovukUndefined

GOVUK_ASSETS = Path(__file__).resolve().parent.parent / "static" / "govuk-frontend" / "assets"


def init_web(app: Flask) -> None:
    """Wire templates, assets, headers, error pages and the page blueprints into ``app``."""
    templates = app.jinja_loader
    assert templates is not None, "the app has a templates folder"
    app.jinja_loader = ChoiceLoader(
        [
            templates,
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.undefined = GovukUndefined
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.bytecode_cache = COMPILED_TEMPLATES
    app.jinja_env.globals.update(bar_chart=charts.bar_chart, line_chart=charts.line_chart)
    # GOV.UK Frontend's stylesheet asks for its fonts and images under /assets/.
    app.register_blueprint(
        Blueprint("govuk_assets", __name__, static_folder=GOVUK_ASSETS, static_url_path="/assets")
    )
    install_security_headers(app)
    install_input_guards(app)
    register_error_pages(app)
    csrf.init_app(app)
    init_rate_limits(app, app.config["MATCHER_SETTINGS"].ratelimit_storage_url)
    init_auth(app)

    from matcher.web.views.accounts import accounts
    from matcher.web.views.admin import admin
    from matcher.web.views.api_tokens import api_tokens
    from matcher.web.views.candidates import candidates
    from matcher.web.views.digests import digests
    from matcher.web.views.feed import feed
    from matcher.web.views.feedback import feedback
    from matcher.web.views.guidance import guidance
    from matcher.web.views.insights import insights
    from matcher.web.views.matches import matches
    from matcher.web.views.organisations import organisations
    from matcher.web.views.placements import placements
    from matcher.web.views.practice_notes import practice_notes
    from matcher.web.views.profile import profile
    from matcher.web.views.public import public
    from matcher.web.views.reflections import reflections
    from matcher.web.views.round_choices import round_choices
    from matcher.web.views.round_offers import round_offers
    from matcher.web.views.rounds import schemes

    app.register_blueprint(public)
    app.register_blueprint(guidance)
    app.register_blueprint(feedback)
    app.register_blueprint(accounts)
    app.register_blueprint(profile)
    app.register_blueprint(digests)
    app.register_blueprint(organisations)
    app.register_blueprint(placements)
    app.register_blueprint(practice_notes)
    app.register_blueprint(reflections)
    app.register_blueprint(matches)
    app.register_blueprint(candidates)
    app.register_blueprint(admin)
    app.register_blueprint(insights)
    app.register_blueprint(feed)
    app.register_blueprint(api_tokens)
    app.register_blueprint(schemes)
    app.register_blueprint(round_choices)
    app.register_blueprint(round_offers)
