"""Drill-down: the ids behind a cell of a result (``result.units(...)``), ready to export.

Every ``units`` method picks one cell (a lifecycle status, an RFM segment, the units that
reached a funnel step, a cohort at an age) and returns one row per unit with its id column
as the events give it, so pseudonymised events give pseudonyms. ``min_n`` applies the rule
of :func:`journeykit.suppress_small`: a cell with fewer units than that raises instead of
listing them.
"""

from __future__ import annotations

import pandas as pd

from .checks import check_whole
from .errors import JourneyDataError


def pick(frame: pd.DataFrame, filters: dict, *, where: str, min_n=None) -> pd.DataFrame:
    """The rows of ``frame`` whose columns equal every value of ``filters`` (None values
    ignored), checked: an unknown column or value raises naming the choices; fewer rows
    than ``min_n`` raises. A copy with a fresh index."""
    keep = pd.Series(True, index=frame.index)
    for name, value in filters.items():
        if value is None:
            continue
        if name not in frame.columns:
            raise JourneyDataError(
                f"{where}: {name}={value!r}: this result has no {name!r} column; it has "
                f"{list(frame.columns)}. Fix: select by one of those columns."
            )
        present = frame[name].dropna().unique()
        if value not in set(present):
            shown = sorted(map(str, present))[:12]
            raise JourneyDataError(
                f"{where}: {name}={value!r}: no such value; the result has {shown}. Fix: pass "
                f"{name}= one of them."
            )
        keep &= frame[name] == value
    out = frame[keep.to_numpy()].reset_index(drop=True)
    return check_min_n(out, min_n, where=where)


def check_min_n(units: pd.DataFrame, min_n, *, where: str) -> pd.DataFrame:
    """``units`` unless there are fewer than ``min_n`` of them (None: no minimum)."""
    if min_n is None:
        return units
    minimum = check_whole("min_n", min_n, minimum=1, example=10)
    if len(units) < minimum:
        raise JourneyDataError(
            f"{where}: the cell holds {len(units)} units, fewer than min_n={minimum}, so "
            "listing them would single people out (the suppress_small rule). Fix: pick a "
            "larger cell, or lower min_n if the list stays inside the team allowed to see it."
        )
    return units
