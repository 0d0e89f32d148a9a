"""What every page shares: the status of a page with a form, page numbers and pagination."""

from __future__ import annotations

from typing import Any

from flask import render_template, request, url_for

from matcher.web.forms import BaseForm

# A form that holds errors is answered 422, as the error summary at the top of it says.
INVALID = 422
# Past this a listing is not being read page by page; the offset would also outgrow bigint.
LAST_PAGE_NUMBER = 100_000


def form_page(template: str, form: BaseForm | None = None, **context: Any) -> tuple[str, int]:
    """Render ``template`` with ``form``: 422 when the form holds errors, else 200."""
    status = INVALID if form is not None and form.errors else 200
    return render_template(template, form=form, **context), status


def page_number() -> int:
    """The ``page`` query parameter as a page number; anything odd is page 1."""
    value = request.args.get("page", "1")
    # isascii: "²" and "٣" are digits to str.isdigit() but not to int().
    if value.isascii() and value.isdigit() and 0 < int(value) <= LAST_PAGE_NUMBER:
        return int(value)
    return 1


def page_count(total: int, per_page: int) -> int:
    """How many pages ``total`` items fill, ``per_page`` to a page; an empty list is one."""
    return max(1, -(-total // per_page))


def pagination(current: int, pages: int, endpoint: str, **args: Any) -> dict[str, Any] | None:
    """Parameters of govukPagination for ``endpoint``, or None when there is one page.

    Each link keeps the non-empty ``args`` (a search's filters, or the whole query string, whose
    own ``page`` is left out) and names its page last.
    """
    if pages <= 1:
        return None
    kept = {key: value for key, value in args.items() if value and key != "page"}

    def href(number: int) -> str:
        return url_for(endpoint, **kept, page=number)

    shown = sorted({1, pages, current - 1, current, current + 1} & set(range(1, pages + 1)))
    items: list[dict[str, Any]] = []
    for index, number in enumerate(shown):
        if index and number - shown[index - 1] > 1:
            items.append({"ellipsis": True})
        items.append({"number": number, "href": href(number), "current": number == current})
    params: dict[str, Any] = {"items": items}
    if current > 1:
        params["previous"] = {"href": href(current - 1)}
    if current < pages:
        params["next"] = {"href": href(current + 1)}
    return params
