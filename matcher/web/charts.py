"""Charts drawn on the server as SVG, one way for the whole service, through pygal.

Why pygal (issue #16 asks for a charting library that is kept and fits):

- kept: Kozea released 3.1.0 in December 2025 and 3.1.3, the version locked here, on 18 June
  2026;
- fits: pure Python with one small dependency (importlib-metadata), it writes SVG on the
  server, and its JavaScript is optional (``js=[]``). It works out the scales and their ticks,
  bar lengths, lines with gaps where a value is missing (``allow_interruptions``), the room axis
  labels need, and legends. matplotlib's SVG backend would fit too, but it brings a dozen
  compiled packages, draws slower, and styles every element with a ``style`` attribute, which
  our Content-Security-Policy (``style-src 'self'``) refuses just as it refuses pygal's
  ``<style>``.

What we add, in ``_finish`` (pygal's ``xml_filters`` hook):

- ``role="img"`` and ``aria-labelledby`` naming a ``<title>`` and a ``<desc>`` that holds every
  number the chart draws, a suppressed one written as its words ("fewer than 5");
- GOV.UK Frontend's colours and typeface as presentation attributes, in place of pygal's inline
  stylesheet (which the policy refuses, so the chart would draw black);
- each series of a line chart has its own dash pattern, in its line and in its legend (pygal
  draws a legend as a square of colour), so no colour has to be told apart;
- a bar chart's labels above their bars, so the bars keep the width of a phone, and "fewer
  than 5" where a suppressed bar would be;
- pygal's configuration ``<script>`` (written even with ``js=[]``), tooltip data, comments
  (dated, so the SVG would change each day) and element ids (the same in every chart of a page)
  are dropped.

A chart costs 5 to 20 ms of CPU (a bar chart of 12 rows, a line chart of 4 series over 24
months); the insights pages keep their rendered tables for each snapshot
(``views.insights._tables``), and the results page draws three small ones.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree

import pygal
from markupsafe import Markup
from pygal.etree import etree as pygal_etree
from pygal.style import Style

# The same tree type whether or not lxml is installed, so ``_finish`` edits ElementTree nodes.
pygal_etree.to_etree()
# pygal appends a finder for its map plugins that has only ``find_module``, which Python 3.12
# dropped; on 3.11 every import that no other finder answers warns through it (ImportWarning,
# an error under pytest). We draw no maps.
sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, pygal.PluginImportFixer)]

BLACK = "#0b0c0c"
MID_GREY = "#b1b4b6"
# GOV.UK Frontend's blue, red, green and purple; each series also has its own dash.
COLOURS = ("#1d70b8", "#d4351c", "#00703c", "#4c2c92")
DASHES = ("", "8 4", "2 4", "12 4 2 4")
FONT = "GDS Transport, arial, sans-serif"
LABEL_SIZE = 14
VALUE_SIZE = 16
# As wide as a phone's column, so the words keep their size there (the chart is at most 480 px).
WIDTH = 360
BAR_ROW = 56
# About as many characters as fit across the chart at 16 px.
LABEL_CHARACTERS = 44
SUPPRESSED = "fewer than 5"

_STYLE = Style(
    font_family=FONT,
    colors=COLOURS,
    label_font_size=LABEL_SIZE,
    major_label_font_size=LABEL_SIZE,
    value_font_size=VALUE_SIZE,
    legend_font_size=VALUE_SIZE,
)
_COMMON: dict[str, Any] = {
    "style": _STYLE,
    "width": WIDTH,
    "js": [],
    "disable_xml_declaration": True,
    "no_prefix": True,
    "truncate_legend": -1,
}


def bar_chart(
    chart_id: str,
    title: str,
    description: str,
    rows: Sequence[tuple[str, Any]],
    most: float | None = None,
) -> Markup:
    """A horizontal bar for each (label, count) row, first at the top, each under its label; a
    count that is not a number (a suppressed "fewer than 5") draws no bar and says so. ``most``
    is the count a full bar stands for (the largest count when not given)."""
    counts = [_number(count) for _, count in rows]
    full = most or max((count for count in counts if count is not None), default=0) or 1
    chart = pygal.HorizontalBar(
        **_COMMON,
        height=len(rows) * BAR_ROW,
        margin=0,
        # Room for the longest count after a full bar, at about 10 px a character.
        margin_right=8 + 10 * max((len(_text(count)) for count in counts), default=1),
        show_legend=False,
        show_x_labels=False,
        show_y_labels=False,
        show_x_guides=False,
        show_y_guides=False,
        print_values=True,
        value_formatter=_text,
        # The scale runs from 0 to ``most`` exactly: pygal would round it up to a tick.
        range=(0, full),
        y_labels=[0, full],
    )
    # pygal draws the first value at the bottom.
    chart.add("", list(reversed(counts)))
    numbers = " ".join(f"{label}: {_text(count)}." for label, count in rows)

    def under_labels(graph: ElementTree.Element) -> None:
        _bars_under_labels(graph, [label for label, _ in rows], counts)

    return _render(chart, chart_id, title, f"{description} {numbers}", under_labels)


def line_chart(
    chart_id: str,
    title: str,
    description: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[Any]]],
) -> Markup:
    """One line for each (name, values) series over the same periods ``labels``; a value that is
    not a number (suppressed) leaves a gap in its line."""
    numbers = [[_number(value) for value in values] for _, values in series]
    # Four gridlines a whole number apart, the top one at or above the largest value.
    step = math.ceil(max((v for vs in numbers for v in vs if v is not None), default=0) / 4) or 1
    chart = pygal.Line(
        **_COMMON,
        height=232 + len(series) * 24,
        allow_interruptions=True,
        legend_at_bottom=True,
        legend_at_bottom_columns=1,
        show_minor_x_labels=False,
        x_labels_major=[labels[0], labels[-1]] if labels else [],
        truncate_label=-1,
        dots_size=3.5,
        value_formatter=_text,
        range=(0, step * 4),
        y_labels=[step * tick for tick in range(5)],
    )
    chart.x_labels = list(labels)
    for (name, _), values in zip(series, numbers, strict=True):
        chart.add(name, values)
    words = " ".join(
        f"{name}: "
        + "; ".join(f"{label} {_text(value)}" for label, value in zip(labels, values, strict=True))
        + "."
        for name, values in series
    )
    return _render(chart, chart_id, title, f"{description} {words}", _periods_inside)


def _render(
    chart: Any,
    chart_id: str,
    title: str,
    description: str,
    relayout: Callable[[ElementTree.Element], None] | None,
) -> Markup:
    def finish(root: ElementTree.Element) -> ElementTree.Element:
        return _finish(root, chart_id, title, description, relayout)

    svg = chart.render(is_unicode=True, xml_filters=[finish])
    return Markup(f'<figure class="app-chart">{svg}</figure>')


def _finish(
    root: ElementTree.Element,
    chart_id: str,
    title: str,
    description: str,
    relayout: Callable[[ElementTree.Element], None] | None,
) -> ElementTree.Element:
    """Make pygal's tree an accessible image styled by attributes alone (see the docstring)."""
    graph = root.find("g")
    assert graph is not None, "pygal draws every chart in one group"
    horizontal = "horizontal" in _classes(graph)
    if relayout is not None:
        relayout(graph)
    _paint(graph, horizontal=horizontal, axis=None, series=None)
    graph.attrib.clear()
    view_box = root.get("viewBox", "")
    root.clear()
    root.attrib.update(
        {
            "role": "img",
            "aria-labelledby": f"{chart_id}-title {chart_id}-desc",
            "viewBox": view_box,
            "class": "app-chart__svg",
            "focusable": "false",
            "font-family": FONT,
            "fill": BLACK,
        }
    )
    ElementTree.SubElement(root, "title", id=f"{chart_id}-title").text = title
    ElementTree.SubElement(root, "desc", id=f"{chart_id}-desc").text = description
    root.append(graph)
    return root


def _periods_inside(graph: ElementTree.Element) -> None:
    """Start the first period's label at its point and end the last one's there, so that
    neither runs off the chart (pygal centres them)."""
    axis = next(node for node in graph.iter("g") if {"axis", "x"} <= _classes(node))
    ends = list(axis.iter("text"))
    if len(ends) > 1:
        ends[0].set("text-anchor", "start")
        ends[-1].set("text-anchor", "end")


def _bars_under_labels(graph: ElementTree.Element, labels: list[str], counts: list[Any]) -> None:
    """Put each row's label above its bar, and its count, or "fewer than 5", after it: beside
    their labels the bars would have a third of a phone's width."""
    plots = [node for node in graph if "plot" in _classes(node)]
    bars = [node for node in plots[0].iter("rect") if "rect" in _classes(node)]
    values = [node for node in graph.iter("text") if "value" in _classes(node)]
    # pygal drew them bottom first.
    bars.reverse()
    values.reverse()
    drawn = iter(zip(bars, values, strict=True))
    words = ElementTree.SubElement(plots[0], "g")
    for row, (label, count) in enumerate(zip(labels, counts, strict=True)):
        top = row * BAR_ROW
        ElementTree.SubElement(words, "text", x="0", y=str(top + 17)).text = _shortened(label)
        if count is None:
            ElementTree.SubElement(
                words, "text", {"x": "0", "y": str(top + 42), "font-weight": "bold"}
            ).text = SUPPRESSED
            continue
        bar, value = next(drawn)
        bar.attrib.update({"x": "0", "y": str(top + 24), "height": "24"})
        value.attrib.update({"x": str(float(bar.get("width", "0")) + 8), "y": str(top + 42)})


def _paint(
    node: ElementTree.Element,
    *,
    horizontal: bool,
    axis: set[str] | None,
    series: int | None,
    legend: bool = False,
) -> None:
    """Give ``node``'s descendants the look pygal's stylesheet would, as attributes; drop what
    only its script or stylesheet uses."""
    for child in list(node):
        classes = _classes(child)
        if child.tag in {"desc", "title"} or classes & {
            "background",
            "tooltip-overlay",
            "titles",
            "no_data",
        }:
            node.remove(child)
            continue
        child_axis, child_series, in_legend = axis, series, legend or "legend" in classes
        if "axis" in classes:
            child_axis = classes
        if classes & {"series", "legend"}:
            number = (child.get("id") or "").removeprefix("activate-serie-")
            number = number or next(c for c in classes if c.startswith("serie-"))[6:]
            child_series = int(number)
        child.attrib.pop("class", None)
        child.attrib.pop("id", None)
        shown = _style(
            child,
            classes,
            horizontal=horizontal,
            axis=child_axis,
            series=child_series,
            legend=in_legend,
        )
        if not shown:
            node.remove(child)
            continue
        _paint(child, horizontal=horizontal, axis=child_axis, series=child_series, legend=in_legend)
        if child.tag == "g" and not len(child):
            node.remove(child)


def _style(
    node: ElementTree.Element,
    classes: set[str],
    *,
    horizontal: bool,
    axis: set[str] | None,
    series: int | None,
    legend: bool,
) -> bool:
    """Set one element's presentation attributes; False when it is not to be drawn."""
    colour = COLOURS[series % len(COLOURS)] if series is not None else BLACK
    dash = DASHES[series % len(DASHES)] if series is not None else ""
    if node.tag == "path" and axis is not None:
        # Guides along the labels' axis are hidden, as pygal's stylesheet hides them.
        along_labels = "y" in axis if horizontal else "x" in axis
        if "guide" in classes and along_labels and "always_show" not in axis:
            return False
        node.attrib.update(
            {
                "fill": "none",
                "stroke": MID_GREY if "guide" in classes else BLACK,
                "stroke-width": "1",
            }
        )
    elif node.tag == "path" and series is not None:
        node.attrib.update(
            {
                "fill": "none",
                "stroke": colour,
                "stroke-width": "3",
                "stroke-linejoin": "round",
                **({"stroke-dasharray": dash} if dash else {}),
            }
        )
    elif node.tag == "rect" and legend and series is not None:
        _legend_line(node, colour, dash)
    elif node.tag in {"rect", "circle"} and series is not None:
        node.attrib.update({"fill": colour})
        for key in ("rx", "ry"):
            node.attrib.pop(key, None)
    elif node.tag == "text":
        node.set("font-size", str(LABEL_SIZE if axis is not None else VALUE_SIZE))
        if axis is not None and "text-anchor" not in node.attrib:
            node.set("text-anchor", "middle" if "x" in axis else "end")
        elif "value" in classes:
            node.attrib.update({"font-weight": "bold", "text-anchor": "start"})
    return True


def _legend_line(node: ElementTree.Element, colour: str, dash: str) -> None:
    """Turn a legend's square of colour into a stretch of its series' line, dash and all."""
    x, y = float(node.get("x", "0")), float(node.get("y", "0")) + 6
    node.tag = "line"
    node.attrib.clear()
    node.attrib.update(
        {
            "x1": str(x - 12),
            "y1": str(y),
            "x2": str(x + 12),
            "y2": str(y),
            "stroke": colour,
            "stroke-width": "3",
            **({"stroke-dasharray": dash} if dash else {}),
        }
    )


def _shortened(label: str) -> str:
    """``label`` cut to what fits across the chart; the description and table have it all."""
    return label if len(label) <= LABEL_CHARACTERS else label[: LABEL_CHARACTERS - 1] + "…"


def _text(value: Any) -> str:
    """A count as the tables beside the charts write it (2,000,000), or its words if hidden."""
    number = _number(value)
    if number is None:
        return SUPPRESSED if value is None else str(value)
    return f"{int(number):,}" if number.is_integer() else f"{number:,.1f}"


def _number(value: Any) -> float | None:
    """A count as a number to draw, or None for a suppressed one (its words)."""
    return float(value) if isinstance(value, int | float | Decimal) else None


def _classes(node: ElementTree.Element | None) -> set[str]:
    return set((node.get("class") or "").split()) if node is not None else set()
