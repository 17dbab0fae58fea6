"""Summaries: mean and Student-t interval of each metric per group of result rows."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from hbkit.errors import ConfigError, sequence_of
from hbkit.sweep.jobs import _plain, canonical_json

__all__ = ["t_cdf", "t_quantile", "mean_interval", "row_value", "summarize", "format_table"]


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 500):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        step = d * c
        h *= step
        if abs(step - 1.0) < 1e-15:
            break
    return h


def _betainc(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function ``I_x(a, b)``."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    front = math.exp(log_front)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """``P(T <= t)`` for Student's t with ``df`` degrees of freedom."""
    tail = 0.5 * _betainc(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t >= 0 else tail


def t_quantile(p: float, df: float) -> float:
    """The ``p`` quantile of Student's t with ``df`` degrees of freedom (e.g. ``t_quantile(0.975,
    4) = 2.776``), by bisection on :func:`t_cdf` (no SciPy needed)."""
    if not 0.0 < p < 1.0 or df <= 0:
        raise ValueError(f"need 0 < p < 1 and df > 0, got p={p}, df={df}")
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    lo, hi = 0.0, 1.0
    while t_cdf(hi, df) < p:
        hi *= 2.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-12 * max(1.0, hi):
            break
    return 0.5 * (lo + hi)


def mean_interval(values: Sequence[float], confidence: float = 0.95) -> dict[str, float]:
    """Mean and Student-t interval of ``values``: ``mean +- t((1+c)/2, n-1) * s / sqrt(n)``.

    :return: ``n``, ``mean``, ``std`` (sample, ``ddof=1``), ``half_width``, ``low``, ``high``
        (``half_width`` is NaN with fewer than two values)
    """
    x = np.asarray([v for v in values if v is not None], np.float64)
    n = len(x)
    mean = float(x.mean()) if n else math.nan
    std = float(x.std(ddof=1)) if n > 1 else math.nan
    hw = t_quantile(0.5 + confidence / 2.0, n - 1) * std / math.sqrt(n) if n > 1 else math.nan
    return {"n": n, "mean": mean, "std": std, "half_width": hw, "low": mean - hw, "high": mean + hw}


def _lookup(data: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(data, Mapping) and part in data:
            data = data[part]
        else:
            return None
    return data


#: The names :func:`row_value` reads from the job rather than from the report.
_JOB_FIELDS = ("name", "agent", "env_id", "scenario", "seed", "settings", "overrides", "eval")


def row_value(row: Mapping[str, Any], name: str) -> Any:
    """A job field or a metric of a row, by name.

    Job fields: ``name``, ``agent``, ``env_id``, ``scenario``, ``seed``, ``settings.X``,
    ``overrides.FIELD`` (a dotted scenario field), ``eval.X``. Metrics: a dotted path into the
    report (``accuracy``, ``by_level.5.accuracy``), or ``history.last.X``, ``timing.wall_seconds``.
    """
    job = row.get("job", {})
    head, _, rest = name.partition(".")
    if name in ("name", "agent", "env_id", "scenario", "seed"):
        return job.get(name)
    if head == "settings":
        return _lookup(job.get("settings", {}), rest)
    if head == "overrides":
        return job.get("overrides", {}).get(rest)
    if head == "eval":
        return job.get("evaluation", {}).get(rest)
    if head in ("history", "timing"):
        return _lookup(row.get(head) or {}, rest)
    return _lookup(row.get("report") or {}, name)


def check_metrics(rows: Iterable[Mapping[str, Any]], metrics: Sequence[str]) -> None:
    """Refuse a metric whose first name is in no successful row's report (a misspelling, which a
    table would show as ``-``, like a group without results). Nothing is checked without
    successful rows.

    :raises ConfigError: naming the metric and the report fields there are
    """
    ok_rows = [r for r in rows if r.get("status") == "ok"]
    fields = sorted({k for r in ok_rows for k in (r.get("report") or {})})
    for m in metrics:
        if ok_rows and m.split(".")[0] not in (*fields, *_JOB_FIELDS, "history", "timing"):
            raise ConfigError(
                f"metric {m!r} is in no result row; allowed: a report field ({', '.join(fields)}; "
                "dotted paths reach nested ones), a job field, history.last.X or timing.X"
            )


def summarize(
    rows: Iterable[Mapping[str, Any]],
    by: Sequence[str] = ("name",),
    metrics: Sequence[str] = ("accuracy",),
    confidence: float = 0.95,
    strict: bool = False,
) -> list[dict[str, Any]]:
    """Mean and Student-t interval of each metric per group of rows.

    :param rows: result rows (failed rows are counted, not averaged)
    :param by: job fields that define a group (see :func:`row_value`)
    :param metrics: metrics to summarise (see :func:`row_value`)
    :param confidence: interval level
    :return: one dict per group, in order of first appearance: the ``by`` values, ``n`` (ok rows),
        ``failed`` and, per metric, :func:`mean_interval`'s dict under the metric's name
    :param strict: first :func:`check_metrics` (what ``hbkit sweep`` does)
    :raises ConfigError: with ``strict``, for a metric whose first name is in no successful row;
        for a single string as ``by`` or ``metrics``
    """
    by = sequence_of(by, "summarize: by", "job fields")
    metrics = sequence_of(metrics, "summarize: metrics", "metric names")
    groups: dict[str, dict[str, Any]] = {}
    rows = list(rows)
    if strict:
        check_metrics(rows, metrics)
    for row in rows:
        values = {b: row_value(row, b) for b in by}
        g = groups.setdefault(canonical_json(_plain(values)), {"group": values, "rows": []})
        g["rows"].append(row)
    out = []
    for g in groups.values():
        ok = [r for r in g["rows"] if r.get("status") == "ok"]
        entry = {**g["group"], "n": len(ok), "failed": len(g["rows"]) - len(ok)}
        for m in metrics:
            vals = [row_value(r, m) for r in ok]
            entry[m] = mean_interval([float(v) for v in vals if isinstance(v, (int, float))], confidence)
        out.append(entry)
    return out


def _fmt(x: float, digits: int) -> str:
    if x is None or not math.isfinite(x):
        return "-"
    return f"{x:.{digits}g}" if abs(x) < 10**digits else f"{x:.0f}"


def format_table(
    summary: Sequence[Mapping[str, Any]],
    metrics: Sequence[str] | None = None,
    by: Sequence[str] | None = None,
    digits: int = 3,
) -> str:
    """A markdown table of :func:`summarize`'s output: ``mean ± half-width`` per metric (the 95 %
    Student-t interval over seeds), and the number of seeds."""
    if not summary:
        return "(no results)"
    first = summary[0]
    if metrics is None:
        metrics = [k for k, v in first.items() if isinstance(v, Mapping) and "half_width" in v]
    if by is None:
        by = [k for k in first if k not in metrics and k not in ("n", "failed")]
    lines = ["| " + " | ".join([*by, *metrics, "seeds"]) + " |", "|" + "---|" * (len(by) + len(metrics) + 1)]
    for g in summary:
        cells = [str(g[b]) for b in by]
        for m in metrics:
            s = g[m]
            if s["n"] == 0:
                cells.append("-")
            elif s["n"] == 1 or not math.isfinite(s["half_width"]):
                cells.append(_fmt(s["mean"], digits))
            else:
                cells.append(f"{_fmt(s['mean'], digits)} ± {_fmt(s['half_width'], max(1, digits - 1))}")
        cells.append(str(g["n"]) + (f" ({g['failed']} failed)" if g["failed"] else ""))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
