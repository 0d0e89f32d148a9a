"""Jinja behaviour shared by every page."""

from __future__ import annotations

from types import CodeType

from jinja2 import BytecodeCache, ChainableUndefined
from jinja2.bccache import Bucket


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


class CompiledTemplates(BytecodeCache):
    """Templates compiled once per process and shared by every app made in it.

    Compiling is most of the cost of a first render, and a test makes an app for each test.
    A template whose source changes has a new checksum and is compiled again. Every app here
    sets the same lexer options (``init_web``), which a compiled template depends on.
    """

    def __init__(self) -> None:
        self._compiled: dict[str, tuple[str, CodeType]] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        checksum, code = self._compiled.get(bucket.key, ("", None))
        if code is not None and checksum == bucket.checksum:
            bucket.code = code

    def dump_bytecode(self, bucket: Bucket) -> None:
        if bucket.code is not None:
            self._compiled[bucket.key] = (bucket.checksum, bucket.code)


COMPILED_TEMPLATES = CompiledTemplates()
