"""Rules that compile their URL builder on first use build the URLs Werkzeug's own rules do."""

from __future__ import annotations

import pytest
from werkzeug.routing import Map, Rule

from matcher.http.routing import LazilyBuiltRule

RULES = [
    ("/placements/<int:placement_id>", {"placement_id": 7}),
    ("/placements/<int:placement_id>", {"placement_id": 7, "page": 2, "text": "a b&c"}),
    ("/guidance/<slug>", {"slug": "what happens next?"}),
    ("/organisation/placements", {"status": ["open", "closed"]}),
]


def _adapter(rule_class: type[Rule], rule: str):
    return Map([rule_class(rule, endpoint="page")]).bind("matcher.example")


@pytest.mark.parametrize(("rule", "values"), RULES)
def test_urls_built_equal_werkzeugs_own(rule: str, values: dict):
    assert _adapter(LazilyBuiltRule, rule).build("page", values) == _adapter(Rule, rule).build(
        "page", values
    )


def test_the_builder_is_compiled_on_first_use_only(monkeypatch: pytest.MonkeyPatch):
    compiled: list[bool] = []
    compile_builder = Rule._compile_builder

    def counting(rule: Rule, append_unknown: bool = True):
        compiled.append(append_unknown)
        return compile_builder(rule, append_unknown)

    monkeypatch.setattr(Rule, "_compile_builder", counting)
    adapter = _adapter(LazilyBuiltRule, "/placements/<int:placement_id>")
    assert compiled == []

    adapter.build("page", {"placement_id": 1})
    adapter.build("page", {"placement_id": 2})

    assert compiled == [True]
