"""Templates compiled once per process are shared by apps, yet a changed template is new."""

from __future__ import annotations

from jinja2 import DictLoader, Environment

from matcher.web.templating import CompiledTemplates


def _environment(source: str, compiled: CompiledTemplates) -> Environment:
    return Environment(loader=DictLoader({"page.html": source}), bytecode_cache=compiled)


def test_a_second_environment_reuses_the_first_ones_compiled_template():
    compiled = CompiledTemplates()
    first = _environment("Hello {{ name }}", compiled).get_template("page.html")
    second = _environment("Hello {{ name }}", compiled).get_template("page.html")

    assert second.render(name="Sam") == "Hello Sam"
    assert second.root_render_func.__code__ is first.root_render_func.__code__


def test_a_changed_source_is_compiled_again():
    compiled = CompiledTemplates()
    _environment("Hello {{ name }}", compiled).get_template("page.html")

    changed = _environment("Goodbye {{ name }}", compiled).get_template("page.html")

    assert changed.render(name="Sam") == "Goodbye Sam"
