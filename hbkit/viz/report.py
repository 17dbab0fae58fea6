"""A styled, self-contained HTML report: real tables, readable fonts, and a short "what you see"
under each figure. Pure functions returning strings (the demo writes the result to ``report.html``).

>>> page = html_report("t", "intro", tables=[Table("c", ["a", "b"], [[1, 2.5]])], figures=[])
>>> "<table" in page and "<pre" not in page
True
"""

from __future__ import annotations

import html as _html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Table", "html_report", "reports_table", "DEMO_CAPTIONS"]

_CSS = """
body { font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #2a3f5f;
       max-width: 1100px; margin: 2em auto; padding: 0 1.2em; line-height: 1.5; font-size: 16px; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; } h2 { font-size: 1.25em; margin-top: 1.8em; }
p.intro { color: #506784; }
table { border-collapse: collapse; margin: 0.6em 0 1.2em; font-size: 0.92em; }
caption { caption-side: top; text-align: left; font-weight: 600; padding-bottom: 0.4em; }
th, td { padding: 0.35em 0.8em; border-bottom: 1px solid #e5ecf6; text-align: right; white-space: nowrap; }
th { background: #f2f5fa; } td:first-child, th:first-child { text-align: left; }
tr:hover td { background: #fafbfd; }
figure { margin: 1.2em 0 2em; } figcaption { color: #506784; font-size: 0.95em; margin-top: 0.3em; }
figcaption b { color: #2a3f5f; }
.note { color: #888; font-size: 0.85em; }
"""


@dataclass
class Table:
    """A table for :func:`html_report`: a caption, column names and rows of cells (numbers are
    formatted with ``fmt``; strings are shown as they are)."""

    caption: str
    columns: Sequence[str]
    rows: Sequence[Sequence[Any]]
    fmt: str = "{:.3f}"
    notes: list[str] = field(default_factory=list)

    def to_html(self) -> str:
        def cell(v: Any) -> str:
            if isinstance(v, float):
                return _html.escape(self.fmt.format(v))
            return _html.escape(str(v))

        head = "".join(f"<th>{_html.escape(c)}</th>" for c in self.columns)
        body = "".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in row) + "</tr>" for row in self.rows)
        notes = "".join(f"<p class='note'>{_html.escape(n)}</p>" for n in self.notes)
        return (
            f"<table><caption>{_html.escape(self.caption)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>{notes}"
        )


def html_report(
    title: str, intro: str, tables: Sequence[Table] = (), figures: Sequence[tuple[Any, str]] = ()
) -> str:
    """A full HTML page: ``title``, an ``intro`` paragraph, the tables, then each plotly figure with
    its caption ("what you see"). plotly.js is embedded once, so the page works offline."""
    import plotly.io as pio

    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{_html.escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_html.escape(title)}</h1><p class='intro'>{_html.escape(intro)}</p>",
    ]
    parts += [t.to_html() for t in tables]
    for i, (fig, caption) in enumerate(figures):
        plot = pio.to_html(fig, include_plotlyjs=i == 0, full_html=False, config={"responsive": True})
        parts.append(
            f"<figure>{plot}<figcaption><b>What you see.</b> {_html.escape(caption)}</figcaption></figure>"
        )
    parts.append("</body></html>")
    return "\n".join(parts)


def reports_table(
    reports: Mapping[str, Mapping[str, Any]],
    base: str = "base reasoner",
    caption: str = "Natural mode: accuracy and mean tokens, overall and by level",
) -> Table:
    """Reasoning evaluation reports as a :class:`Table`: accuracy, mean tokens, tokens against
    ``base``, and accuracy / tokens per level."""
    first = next(iter(reports.values()))
    levels = sorted(first["by_level"], key=int)
    columns = ["method", "accuracy", "mean tokens", "tokens vs base"] + [
        f"L{lv} acc / tokens" for lv in levels
    ]
    b = reports.get(base)
    rows = []
    for name, r in reports.items():
        delta = (
            "" if b is None or name == base else f"{100 * (r['mean_tokens'] / b['mean_tokens'] - 1):+.1f} %"
        )
        per = [
            f"{r['by_level'][lv]['accuracy']:.3f} / {r['by_level'][lv]['mean_tokens']:.0f}" for lv in levels
        ]
        rows.append([name, float(r["accuracy"]), f"{r['mean_tokens']:.0f}", delta, *per])
    return Table(caption, columns, rows)


#: "What you see" under each of the demo's figures, in the order the demo draws them.
DEMO_CAPTIONS = (
    "Accuracy and mean tokens of the training rollouts, iteration by iteration, for every training run: "
    "HBPO should cut tokens early while its accuracy holds.",
    "Accuracy and mean tokens per difficulty level in natural mode: an adaptive reasoner thinks longer on "
    "harder levels; the cosine reward shortens every level and loses accuracy on the hardest.",
    "The frontier of fixed-length reasoners (always think T tokens) against the trained methods: a point "
    "above the line is more accurate than any non-adaptive reasoner with the same mean tokens.",
    "The budget-aware reward against tokens used, for each budget: flat inside the budget, decaying and "
    "penalised past it.",
    "HBPO's reward beside the cosine and classic rewards: only the budget-aware one stops rewarding "
    "brevity once a rollout is within its budget.",
)
