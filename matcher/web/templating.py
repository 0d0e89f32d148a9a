"""Jinja behaviour shared by every page."""

from __future__ import annotations

from jinja2 import ChainableUndefined


class GovukUndefined(ChainableUndefined):
    """Lenient when a missing value is tested, measured or chained; strict when it is printed.

    GOV.UK Frontend's macros test optional parameters (``{% if params.hint %}``,
    ``params.items | length``), which ``StrictUndefined`` refuses; a typo printed in one of our
    templates must still fail loudly instead of rendering as nothing.
    """

    def __str__(self) -> str:
        self._fail_with_undefined_error()
        return ""

    def __html__(self) -> str:
        return str(self)
