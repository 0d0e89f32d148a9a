"""The charts pygal draws for us: accessible images the Content-Security-Policy allows."""

from __future__ import annotations

import re
from xml.etree import ElementTree

import pytest

from matcher.web.charts import COLOURS, bar_chart, line_chart

ROWS = [("Placed", 40), ("Got one of their top three", "fewer than 5"), ("Not placed", 3)]
MONTHS = ["September 2026", "October 2026", "November 2026", "December 2026"]
SERIES = [
    ("Posted", [10, None, 12, 14]),
    ("Filled", [5, 6, 7, 8]),
    ("Completed", [8, 8, 9, "fewer than 5"]),
]


def _svg(markup: str) -> ElementTree.Element:
    figure = ElementTree.fromstring(str(markup))
    assert figure.tag == "figure"
    svg = figure.find("svg")
    assert svg is not None
    return svg


def _bars(svg: ElementTree.Element) -> list[ElementTree.Element]:
    return list(svg.iter("rect"))


def test_a_chart_is_an_image_named_by_its_title_and_described_by_its_numbers():
    svg = _svg(bar_chart("placed", "By result", "Out of 50.", ROWS, 50))

    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "placed-title placed-desc"
    assert svg.findtext("title") == "By result"
    assert svg.findtext("desc") == (
        "Out of 50. Placed: 40. Got one of their top three: fewer than 5. Not placed: 3."
    )
    # Only the title and description have ids: a page draws many charts.
    ids = [node.get("id") for node in svg.iter() if node.get("id")]
    assert ids == ["placed-title", "placed-desc"]


def test_nothing_in_a_chart_needs_a_script_a_stylesheet_or_another_site():
    for markup in (
        bar_chart("bars", "Bars", "Some.", ROWS),
        line_chart("lines", "Lines", "Some.", MONTHS, SERIES),
    ):
        svg = _svg(markup)
        tags = {node.tag for node in svg.iter()}
        assert not tags & {"script", "style", "defs", "a", "image", "foreignObject"}
        assert not any(node.get("style") for node in svg.iter())
        assert [node for node in svg.iter() if node.get("class")] == [svg]
        assert "http" not in markup
        # The same numbers draw the same chart: nothing dated or random is in it.
        assert markup == (
            bar_chart("bars", "Bars", "Some.", ROWS)
            if "Bars" in markup
            else line_chart("lines", "Lines", "Some.", MONTHS, SERIES)
        )


def test_a_suppressed_bar_is_a_gap_that_says_fewer_than_5_and_the_rest_keep_their_order():
    svg = _svg(bar_chart("bars", "Bars", "Some.", ROWS, 40))
    words = [node.text for node in svg.iter("text")]

    # Two bars for three rows: "fewer than 5" draws none, and no zero either.
    assert len(_bars(svg)) == 2
    assert all(node.get("fill") == COLOURS[0] for node in _bars(svg))
    assert "0" not in words
    assert words.index("Placed") < words.index("Got one of their top three")
    assert words.index("Got one of their top three") < words.index("fewer than 5")
    assert words.index("fewer than 5") < words.index("Not placed")
    widths = sorted(float(bar.get("width", "0")) for bar in _bars(svg))
    assert widths[1] / widths[0] == pytest.approx(40 / 3)


def test_each_line_has_its_own_dash_in_the_plot_and_the_legend_and_a_gap_where_suppressed():
    svg = _svg(line_chart("months", "By month", "Counts.", MONTHS, SERIES))
    lines = [node for node in svg.iter("path") if node.get("stroke") in COLOURS]
    legend = list(svg.iter("line"))

    dashes = [node.get("stroke-dasharray") for node in lines]
    assert dashes == [None, "8 4", "2 4"]
    assert [node.get("stroke-dasharray") for node in legend] == dashes
    # Posted has no October: its line starts again in November; September is a point alone.
    assert re.findall(r"[ML]", lines[0].get("d", "")) == ["M", "L"]
    assert len(lines[0].get("d", "").split()) == 4
    assert svg.findtext("desc") == (
        "Counts. Posted: September 2026 10; October 2026 fewer than 5; November 2026 12;"
        " December 2026 14."
        " Filled: September 2026 5; October 2026 6; November 2026 7; December 2026 8."
        " Completed: September 2026 8; October 2026 8; November 2026 9;"
        " December 2026 fewer than 5."
    )
    assert {"Posted", "Filled", "Completed", "September 2026", "December 2026"} <= {
        node.text for node in svg.iter("text")
    }


def test_words_in_a_label_are_escaped():
    markup = bar_chart("x", "A <b> & c", "d", [("Health & <care>", 5)])

    assert "Health &amp; &lt;care&gt;" in markup
    assert "<b>" not in markup


def test_counts_are_written_as_the_tables_write_them_and_stay_on_the_chart():
    svg = _svg(bar_chart("big", "Big", "d", [("Matched", 2_000_000), ("Interested", 150_000)]))
    width = float(svg.get("viewBox", "").split()[2])
    values = [node for node in svg.iter("text") if node.get("font-weight") == "bold"]

    assert "Matched: 2,000,000. Interested: 150,000." in (svg.findtext("desc") or "")
    assert [node.text for node in values] == ["150,000", "2,000,000"]
    assert all(float(node.get("x", "0")) + 10 * len(node.text or "") <= width for node in values)


def test_the_first_and_last_periods_are_written_inside_the_chart():
    svg = _svg(line_chart("months", "By month", "Counts.", MONTHS, SERIES))
    periods = [node for node in svg.iter("text") if node.text in MONTHS]

    assert [(node.text, node.get("text-anchor")) for node in periods] == [
        ("September 2026", "start"),
        ("December 2026", "end"),
    ]
