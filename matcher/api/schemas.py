"""The building blocks every API schema shares: strict models and bounded field types."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from matcher.database import ID_MAX

PAGE_SIZE_MAX = 100


class Input(BaseModel):
    """A request body or query: unknown fields are an error, not silently dropped.

    Every integer field of an input is an ``Integer`` or ends its constraints with
    ``WholeNumber``.
    """

    model_config = ConfigDict(extra="forbid")


def _whole_number(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# Bodies are validated strictly ("1" is not an integer), but JSON Schema, and so the document,
# counts a number with a zero fraction as an integer: 14133.0 is taken as 14133. WholeNumber
# goes after a type's constraints: before them, the document would lose minimum and maximum.
WholeNumber = BeforeValidator(_whole_number)
Integer = Annotated[int, WholeNumber]


class Output(BaseModel):
    """A response body."""


# For a list the service refuses when empty, in its own words: the document says minItems 1.
NON_EMPTY: dict[str, Any] = {"minItems": 1}


def service_rule(**keywords: Any) -> Any:
    """Say in the document a limit the service checks, without pydantic checking it first.

    Models only parse types; a length or a range is a rule, which the service words the same
    for the web form, the API and the imports (``matcher.services.messages``).
    """
    return Field(json_schema_extra=keywords)


Id = Annotated[int, Field(ge=1, le=ID_MAX), WholeNumber]
PageNumber = Annotated[int, Field(ge=1, le=10_000, description="1 for the first page"), WholeNumber]
PageSize = Annotated[int, Field(ge=1, le=PAGE_SIZE_MAX, description="Items per page"), WholeNumber]


class PageInfo(Output):
    """Where a page sits in the whole list."""

    page: int
    per_page: int
    total: int
    pages: int

    @classmethod
    def of(cls, page: int, per_page: int, total: int) -> PageInfo:
        return cls(page=page, per_page=per_page, total=total, pages=max(1, -(-total // per_page)))


class MatchReason(Output):
    """One component of a match's score, as the matching engine stored it."""

    component: str
    contribution: float
    evidence: dict[str, Any]

    @classmethod
    def listed(cls, stored: list[dict[str, Any]] | None) -> list[MatchReason]:
        """The reasons as the matches table stores them, one model each."""
        return [
            cls(
                component=str(reason.get("component", "")),
                contribution=float(reason.get("contribution") or 0.0),
                evidence=reason.get("evidence") or {},
            )
            for reason in stored or []
        ]
