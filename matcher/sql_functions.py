"""SQL expressions that PostgreSQL and SQLite write differently, each compiled for both."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Date, Float, Integer, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement


class month_of(FunctionElement[str]):
    """SQL: the calendar month (UTC) of a timestamp or date, as ``YYYY-MM``."""

    type = String()
    inherit_cache = True
    name = "month_of"


@compiles(month_of)
def _month_of_postgresql(element: month_of, compiler: Any, **kw: Any) -> str:
    (argument,) = element.clauses
    value = compiler.process(argument, **kw)
    if isinstance(argument.type, Date):
        return f"to_char({value}, 'YYYY-MM')"
    # A timestamptz is read in UTC, whatever the session's time zone.
    return f"to_char(({value}) AT TIME ZONE 'UTC', 'YYYY-MM')"


@compiles(month_of, "sqlite")
def _month_of_sqlite(element: month_of, compiler: Any, **kw: Any) -> str:
    (value,) = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"strftime('%Y-%m', {value})"


class days_between(FunctionElement[float]):
    """SQL: the days from the first timestamp (or date) to the second, with fractions."""

    type = Float()
    inherit_cache = True
    name = "days_between"


@compiles(days_between)
def _days_between_postgresql(element: days_between, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"(EXTRACT(EPOCH FROM ({end} - {start})) / 86400.0)"


@compiles(days_between, "sqlite")
def _days_between_sqlite(element: days_between, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"(julianday({end}) - julianday({start}))"


class placement_ends_on(FunctionElement[date]):
    """SQL: the day after a placement's last day, ``start_date + 7 * duration_weeks`` days."""

    type = Date()
    inherit_cache = True
    name = "placement_ends_on"


@compiles(placement_ends_on)
def _ends_on_postgresql(element: placement_ends_on, compiler: Any, **kw: Any) -> str:
    start, weeks = (compiler.process(arg, **kw) for arg in element.clauses)
    # date + integer is a date in PostgreSQL.
    return f"({start} + 7 * {weeks})"


@compiles(placement_ends_on, "sqlite")
def _ends_on_sqlite(element: placement_ends_on, compiler: Any, **kw: Any) -> str:
    start, weeks = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"date({start}, '+' || (7 * {weeks}) || ' days')"


class day_number_of(FunctionElement[int]):
    """SQL: the days from 1970-01-01 to a date, as ``matcher.engine.frames.day_number`` counts."""

    type = Integer()
    inherit_cache = True
    name = "day_number_of"


@compiles(day_number_of)
def _day_number_postgresql(element: day_number_of, compiler: Any, **kw: Any) -> str:
    (value,) = (compiler.process(arg, **kw) for arg in element.clauses)
    # date - date is a whole number of days in PostgreSQL.
    return f"({value} - DATE '1970-01-01')"


@compiles(day_number_of, "sqlite")
def _day_number_sqlite(element: day_number_of, compiler: Any, **kw: Any) -> str:
    (value,) = (compiler.process(arg, **kw) for arg in element.clauses)
    # A date's Julian day is a whole number and a half: midnight at its start.
    return f"CAST(julianday({value}) - 2440587.5 AS INTEGER)"
