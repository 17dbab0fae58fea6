"""The demo's HTML report: a styled page with real tables and a caption under every figure."""

from __future__ import annotations

from hbkit.viz.common import new_figure
from hbkit.viz.report import DEMO_CAPTIONS, Table, html_report, reports_table


def _report(acc, tokens):
    return {
        "accuracy": acc,
        "mean_tokens": tokens,
        "by_level": {
            "1": {"accuracy": acc, "mean_tokens": tokens / 2},
            "2": {"accuracy": acc, "mean_tokens": tokens},
        },
    }


def test_html_report_has_tables_fonts_and_captions():
    table = reports_table({"base reasoner": _report(0.85, 2000.0), "HBPO": _report(0.86, 800.0)})
    assert table.rows[1][3] == "-60.0 %" and table.columns[:3] == ["method", "accuracy", "mean tokens"]
    figs = [(new_figure(), caption) for caption in DEMO_CAPTIONS[:2]]
    page = html_report(
        "a <title>", "intro & more", tables=[table, Table("x", ["a"], [["<b>"]])], figures=figs
    )
    assert page.startswith("<!DOCTYPE html>") and "<pre" not in page
    assert page.count("<table") == 2 and page.count("<figcaption>") == 2 and "font-family" in page
    assert "a &lt;title&gt;" in page and "&lt;b&gt;" in page  # escaped
    assert page.count("plotly.js") >= 1 and page.count('class="plotly-graph-div"') == 2
