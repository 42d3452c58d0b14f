"""The Result contract every journeykit result follows, and how results read in Jupyter.

Every result is a frozen dataclass holding tidy DataFrames with

- ``summary``: the main table (a DataFrame);
- ``to_frame()``: the result as one tidy, long DataFrame (one row per observation);
- ``plot(ax=None)``: draws on ``ax`` (a new figure when None) and returns the Axes;
- ``_repr_html_()``: the report a notebook shows;
- ``conclusion``: a plain-language reading, on results that have one;
- ``notes``: the definitions and caveats shown under the table.

The report formats the *display*, never the data: shares as percentages, p-values as
``< 0.001``, counts and money with thousands separators, periods by their frequency
(``2024-01``, ``2024-Q1``, ``2024-W05``), elapsed days in words, and the columns a reader
needs first. Which format a column gets follows from its name (the output vocabulary in
:mod:`journeykit.glossary`): ``n`` and ``n_*`` are counts; ``p_value`` and ``p_adjusted``
p-values; ``*_days`` elapsed time; the names in :data:`SHARES` (and their ``_ci_low`` /
``_ci_high``) fractions; the names in :data:`MONEY` amounts.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

#: Column stems holding a fraction 0-1 (shown as a percentage).
SHARES = (
    "share",
    "conversion",
    "step_conversion",
    "drop_off",
    "churn",
    "retention",
    "survival",
    "repeat_purchase",
    "abandonment",
    "probability",
    "promoters",
    "passives",
    "detractors",
    "rate",
    "variance_reduction",
    "power",
    "p_alive",
    "beats_control",
    "lift",
)
#: Column stems holding an amount of money (two decimals, thousands separators).
MONEY = ("revenue", "aov", "value", "clv", "spend", "monetary")
#: Column stems shown with one decimal (scores on a -100..100 scale).
ONE_DECIMAL = ("nps", "diff_nps")
#: Period columns, formatted by the result's ``freq``.
PERIODS = ("period", "cohort", "wave")
INTERVAL_SUFFIXES = ("_ci_low", "_ci_high")


def stem(column: str) -> str:
    """The statistic a column is about: ``conversion`` for ``conversion_ci_low``."""
    for suffix in INTERVAL_SUFFIXES:
        if column.endswith(suffix):
            return column[: -len(suffix)]
    return column


def _is_share(column: str) -> bool:
    base = stem(column)
    return (
        base in SHARES or base.endswith(tuple(f"_{s}" for s in SHARES)) or base.startswith("share_")
    )


def _is_money(column: str) -> bool:
    base = stem(column)
    return base in MONEY or base.startswith(tuple(f"{m}_" for m in MONEY))


def _percent(x) -> str:
    if pd.isna(x):
        return ""
    return f"{x:.1%}" if abs(x) >= 0.001 or x == 0 else f"{x:.2%}"


def _p_value(x) -> str:
    return "" if pd.isna(x) else p_text(x).removeprefix("p = ").removeprefix("p ")


def _count(x) -> str:
    return "" if pd.isna(x) else f"{x:,.0f}"


def _one_decimal(x) -> str:
    return "" if pd.isna(x) else f"{x:.1f}"


def _money(x) -> str:
    return "" if pd.isna(x) else f"{x:,.2f}"


def _number(x) -> str:
    if pd.isna(x):
        return ""
    if isinstance(x, (int, np.integer)):
        return f"{x:,}"
    if abs(x) >= 10_000:
        return f"{x:,.0f}"
    return f"{x:.4g}"


def whole_percent(share) -> str:
    """A share in whole percents that never hides a few units: '<1%' (not '0%') for a
    share above 0 and below 1%, '>99%' (not '100%') for one above 99% and below 1."""
    if 0 < share < 0.01:
        return "<1%"
    if 0.99 < share < 1:
        return ">99%"
    return f"{share:.0%}"


def in_words(days) -> str:
    """Elapsed days in words: '12 s', '5 min', '3.2 h', '4.5 days', '2.1 years'."""
    if pd.isna(days):
        return ""
    seconds = float(days) * 86_400
    for unit, size, limit in (("s", 1, 60), ("min", 60, 3600), ("h", 3600, 86_400)):
        if abs(seconds) < limit:
            return f"{seconds / size:.3g} {unit}"
    if abs(days) < 730:
        return f"{days:.3g} days"
    return f"{days / 365.25:.3g} years"


def period_label(value, freq: str | None) -> str:
    """A period start as a reader names it: '2024-01' (M), '2024-Q1', '2024-W05' (ISO
    week), '2024', or the date."""
    if pd.isna(value):
        return ""
    if not isinstance(value, pd.Timestamp):
        return str(value)
    if freq == "M":
        return f"{value:%Y-%m}"
    if freq == "Q":
        return f"{value.year}-Q{value.quarter}"
    if freq == "W":
        year, week, _ = value.isocalendar()
        return f"{year}-W{week:02d}"
    if freq == "Y":
        return f"{value.year}"
    if value == value.normalize():
        return f"{value:%Y-%m-%d}"
    return f"{value:%Y-%m-%d %H:%M}"


def formatters(frame: pd.DataFrame, freq: str | None = None) -> dict:
    """Column -> function formatting one value for display, from the column's name."""
    out = {}
    for column in frame.columns:
        name, kind = str(column), frame[column].dtype
        if name in ("p_value", "p_adjusted") or name.startswith("p_value_"):
            out[column] = _p_value
        elif name == "n" or name.startswith("n_"):
            out[column] = _count
        elif stem(name).endswith("_days") or pd.api.types.is_timedelta64_dtype(kind):
            timedelta = pd.api.types.is_timedelta64_dtype(kind)
            days = (lambda v: v / pd.Timedelta(days=1)) if timedelta else float
            out[column] = lambda v, days=days: "" if pd.isna(v) else in_words(days(v))
        elif stem(name) in PERIODS or pd.api.types.is_datetime64_any_dtype(kind):
            out[column] = lambda v: period_label(v, freq)
        elif not pd.api.types.is_numeric_dtype(kind) or pd.api.types.is_bool_dtype(kind):
            continue
        elif _is_share(name):
            out[column] = _percent
        elif _is_money(name):
            out[column] = _money
        elif stem(name) in ONE_DECIMAL:
            out[column] = _one_decimal
        else:
            out[column] = _number
    return out


def report_table(frame: pd.DataFrame, *, freq: str | None = None, first=()) -> str:
    """``frame`` as an HTML table for a report: formatted by column name, ``first`` columns
    first, nothing cut off."""
    order = [c for c in first if c in frame.columns]
    frame = frame[[*order, *(c for c in frame.columns if c not in order)]]
    return frame.to_html(
        index=False,
        formatters=formatters(frame, freq),
        border=0,
        max_cols=None,
        max_rows=200,
        na_rep="",
    )


@dataclass(frozen=True)
class Result:
    """Base of every journeykit result (see the module docstring for the contract).

    Subclasses are frozen dataclasses holding tidy DataFrames. ``summary`` (a small
    DataFrame) is their ``table`` unless they define it; ``to_frame()`` is ``summary`` unless
    a subclass holds a wide table; ``freq`` (a class or instance attribute) formats the
    period columns; ``first`` names the columns a reader needs first.
    """

    title: ClassVar[str] = "journeykit result"
    first: ClassVar[tuple[str, ...]] = ()

    @property
    def summary(self) -> pd.DataFrame:
        """The main table; results holding a ``table`` frame need not define it."""
        return self.table

    @property
    def notes(self) -> tuple[str, ...]:
        return ()

    def to_frame(self) -> pd.DataFrame:
        """The result as one tidy DataFrame (a copy: changing it changes nothing here)."""
        return self.summary.copy()

    def plot(self, ax=None):
        raise NotImplementedError(f"{type(self).__name__} has no plot")

    def _repr_html_(self) -> str:
        freq = getattr(self, "freq", None)
        table = report_table(self.summary, freq=freq, first=self.first)
        parts = [f"<h4>{html.escape(self.title)}</h4>"]
        reading = getattr(self, "conclusion", None)
        if isinstance(reading, str) and reading:
            parts.append(f"<p>{html.escape(reading)}</p>")
        parts.append(table)
        if self.notes:
            items = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
            parts.append(f"<ul>{items}</ul>")
        return "".join(parts)

    def __repr__(self) -> str:
        return f"{self.title}\n{self.summary.to_string(index=False)}"


def wilson(successes, trials, level: float = 0.95):
    """Wilson score interval (statsmodels) with exact ends: 0 successes give a lower bound
    of exactly 0 and all successes an upper bound of exactly 1, not rounding noise."""
    from statsmodels.stats.proportion import proportion_confint

    successes, trials = np.asarray(successes), np.asarray(trials)
    low, high = proportion_confint(successes, np.maximum(trials, 1), 1 - level, "wilson")
    low = np.where(successes == 0, 0.0, low)
    high = np.where(successes == trials, 1.0, high)
    return np.where(trials > 0, low, np.nan), np.where(trials > 0, high, np.nan)


def p_text(p: float) -> str:
    """A p-value as a report gives it: 'p = 0.042', 'p < 0.001' (or that there is none)."""
    if np.isnan(p):
        return "no p-value (nothing to compare)"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"
