"""URL rules that write their URL-building code only when a URL is first built from them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.routing import Rule


class LazilyBuiltRule(Rule):
    """A rule that compiles its URL builder on first use instead of when it is added.

    Werkzeug writes and compiles a Python function for every rule as each app is made, which
    is most of the cost of making one; a process that makes many apps (the test suite makes
    one per test) builds URLs from few of their rules.
    """

    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        compile_builder = super()._compile_builder
        compiled: list[Callable[..., tuple[str, str]]] = []

        def build(rule: Rule, **values: Any) -> tuple[str, str]:
            if not compiled:
                compiled.append(compile_builder(append_unknown).__get__(rule, None))
            return compiled[0](**values)

        return build
