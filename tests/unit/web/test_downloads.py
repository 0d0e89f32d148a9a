"""A CSV download opens in a spreadsheet as the text it holds, never as a formula."""

from __future__ import annotations

import csv
import io

from matcher.web.downloads import csv_download


def test_text_a_spreadsheet_would_run_is_kept_as_text():
    names = ['=HYPERLINK("http://evil.example")', "+44 113", "-1", "@SUM(A1)", "\tTab", "Ann"]
    response = csv_download("people.csv", ["name", "count"], [[name, -1] for name in names])

    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))

    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="people.csv"'
    assert rows[0] == ["name", "count"]
    assert [row[0] for row in rows[1:]] == [
        '\'=HYPERLINK("http://evil.example")',
        "'+44 113",
        "'-1",
        "'@SUM(A1)",
        "'\tTab",
        "Ann",
    ]
    assert {row[1] for row in rows[1:]} == {"-1"}
