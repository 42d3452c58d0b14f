"""The Result base class: tidy frames plus ``.summary``, ``_repr_html_`` and ``.plot()``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pandas as pd


@dataclass(frozen=True)
class Result:
    """Base of every journeykit result.

    Subclasses are frozen dataclasses holding tidy DataFrames. ``summary`` (a small
    DataFrame) is their ``table`` unless they define it; ``plot(ax=None)`` returns the
    matplotlib Axes and never shows; ``title`` names the result and ``notes`` lists the
    definitions and caveats shown under the table.
    """

    title: ClassVar[str] = "journeykit result"

    @property
    def summary(self) -> pd.DataFrame:
        """The main table; results holding a ``table`` frame need not define it."""
        return self.table

    @property
    def notes(self) -> tuple[str, ...]:
        return ()

    def plot(self, ax=None):
        raise NotImplementedError(f"{type(self).__name__} has no plot")

    def _repr_html_(self) -> str:
        table = self.summary.to_html(index=False, float_format=lambda x: f"{x:,.4g}", border=0)
        notes = "".join(f"<li>{n}</li>" for n in self.notes)
        return f"<h4>{self.title}</h4>{table}" + (f"<ul>{notes}</ul>" if notes else "")

    def __repr__(self) -> str:
        return f"{self.title}\n{self.summary.to_string(index=False)}"


def wilson(successes, trials, level: float = 0.95):
    """Wilson score interval (statsmodels) with exact ends: 0 successes give a lower bound
    of exactly 0 and all successes an upper bound of exactly 1, not rounding noise."""
    import numpy as np
    from statsmodels.stats.proportion import proportion_confint

    successes, trials = np.asarray(successes), np.asarray(trials)
    low, high = proportion_confint(successes, np.maximum(trials, 1), 1 - level, "wilson")
    low = np.where(successes == 0, 0.0, low)
    high = np.where(successes == trials, 1.0, high)
    return np.where(trials > 0, low, np.nan), np.where(trials > 0, high, np.nan)
