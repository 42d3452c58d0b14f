"""Breakdowns (``by=``): the group of every unit, from an event column at the unit's first
activity or from a frame of attributes, and joining those groups onto per-unit tables.

Every event-level function with a ``by`` parameter uses these two, so ``by='channel'``
means the acquisition channel everywhere, and a missing value is never a group of its own.
"""

from __future__ import annotations

import functools
import operator
import warnings

import numpy as np
import pandas as pd

from . import _engine
from .checks import drop_missing, require
from .errors import JourneyDataError, JourneyWarning


def unit_groups(t, unit: str, by, reserved=()):
    """Per-unit breakdown columns: event columns take their value at the unit's first
    activity (so ``by='channel'`` is the acquisition channel; between events at that same
    instant, the smallest value, a missing one last); a DataFrame with a ``unit`` column
    supplies attributes (persona, segment, ...), one row per unit.

    A missing value is never a group of its own: units whose value is missing (at the first
    activity, or in the frame) and units the frame does not list are left out, with a
    JourneyWarning giving the count (one query), and a JourneyDataError when that leaves
    none. :func:`attach` joins the groups. ``reserved``: the caller's own column names,
    which a breakdown column may not have. Returns (Ibis table or None, names)."""
    groups, names, check = unit_groups_checked_later(t, unit, by, reserved)
    if check is not None:
        check.report(_engine.to_pandas(check.counts), stacklevel=4)
    return groups, names


class GroupCheck:
    """The count of units left out of a breakdown, as a one-row Ibis aggregate (``n``,
    ``missing``) a caller may compute with its own query, and :meth:`report`, which
    warns or raises on that row as :func:`unit_groups` does."""

    def __init__(self, counts, label: str, unit: str, why: str, fix: str):
        self.counts, self.label, self.unit, self.why, self.fix = counts, label, unit, why, fix

    def report(self, counts: pd.DataFrame, *, stacklevel: int = 3) -> None:
        row = counts.iloc[0]
        n, left_out = int(row["n"]), int(row["missing"])
        label, why, fix = self.label, self.why, self.fix
        if n and left_out == n:
            raise JourneyDataError(
                f"by: all {n} {label} {why}, so no {self.unit} has a group. Fix: {fix}."
            )
        if left_out:
            warnings.warn(
                f"by: {left_out} of {n} {label} {why} and were left out of the breakdown (a "
                f"missing value is never a group of its own). To keep them, {fix}.",
                JourneyWarning,
                stacklevel=stacklevel,
            )


def unit_groups_checked_later(t, unit: str, by, reserved=()):
    """:func:`unit_groups` without its query: (groups, names, :class:`GroupCheck` or None),
    for a caller that computes ``check.counts`` with its own aggregates (one query fewer:
    10-20 ms of a cohort explorer's update by channel) and then calls ``check.report``."""
    import ibis

    if by is None:
        return None, [], None
    t = t.filter(t[unit].notnull())
    label = f"{unit.removesuffix('_id')}s"
    if isinstance(by, pd.DataFrame):
        # customer attributes apply to a session through the customer it belongs to
        key = "customer_id" if unit == "session_id" and unit not in by.columns else unit
        names, attrs = _attributes(by, key, reserved)
        groups = _engine.as_table(attrs, like=t)
        units = t.select(unit, key).distinct() if key != unit else t.select(unit).distinct()
        if key != unit:
            groups = units.join(groups, key).select(unit, *names)
        listed = _engine.as_table(attrs[[key]].rename(columns={key: "_listed"}), like=t)
        units = units.left_join(listed, units[key] == listed["_listed"])
        missing = units["_listed"].isnull()
        why = "are not in the by frame (or only with missing values)"
        fix = (
            f"add them to the frame; its {key} values must match the events' (the frame "
            f"has e.g. {attrs[key].head(3).tolist()})"
        )
    else:
        names = _by_columns(t, by, unit, reserved)
        # the key orders ties at the first instant the same way on every engine (Spark and
        # DuckDB sort a null struct field differently, hence the explicit missing flag)
        key = {
            n: ibis.struct({"at": t["timestamp"], "missing": t[n].isnull(), "value": t[n]})
            for n in names
        }
        units = t.group_by(unit).aggregate(**{n: t[n].argmin(key[n]) for n in names})
        missing = functools.reduce(operator.or_, [units[n].isnull() for n in names])
        groups = units.filter(~missing)
        why = f"have no {names} value at their first activity"
        fix = "fill in the missing values, or break down by another column"
    counts = units.aggregate(n=units.count(), missing=missing.cast("int64").sum().fill_null(0))
    return groups, names, GroupCheck(counts, label, unit, why, fix)


def _attributes(by: pd.DataFrame, unit: str, reserved) -> tuple[list[str], pd.DataFrame]:
    """The attribute names of a ``by`` frame and the frame with one row per ``unit`` (ids as
    text), rows with a missing value left out (with a JourneyWarning)."""
    if unit not in by.columns:
        raise JourneyDataError(
            f"by: the DataFrame has no {unit!r} column (columns: {list(by.columns)}). Fix: "
            f"pass a frame with {unit!r} and the attributes to break down by."
        )
    names = [c for c in by.columns if c != unit]
    if not names:
        raise JourneyDataError(
            f"by: the DataFrame holds only {unit!r}; expected {unit!r} and at least one "
            f"attribute column. Fix: add the attributes to break down by (e.g. persona), or "
            "pass by=None."
        )
    check_reserved(names, (unit, *reserved))
    attrs = drop_missing(by[[unit, *names]], [unit, *names], where="by")
    attrs = attrs.astype({unit: str}).drop_duplicates()
    if attrs.empty:
        raise JourneyDataError(
            f"by: the DataFrame has no row with a {unit} and all of {names} filled in, so no "
            f"{unit} has a group. Fix: fill in the attributes, or break down by another column."
        )
    doubled = attrs[unit].duplicated(keep=False)
    if doubled.any():
        raise JourneyDataError(
            f"by: {attrs.loc[doubled, unit].nunique()} {unit} value(s) occur in several rows "
            f"with different attributes, e.g.\n{attrs[doubled].head(5).to_string(index=False)}"
            f"\nExpected one row per {unit}. Fix: keep one row per {unit} (e.g. "
            f"by.drop_duplicates({unit!r}, keep='last'))."
        )
    return names, attrs


def _by_columns(t, by, unit: str, reserved) -> list[str]:
    """The event columns of a ``by`` that is not a DataFrame, checked to exist."""
    names = [by] if isinstance(by, str) else by
    if (
        not isinstance(names, (list, tuple))
        or not names
        or not all(isinstance(n, str) for n in names)
    ):
        raise JourneyDataError(
            f"by={by!r}: expected a column name, a list of column names or a DataFrame of "
            f"attributes with {unit!r}; got {type(by).__name__}. Fix: pass e.g. by='channel' "
            f"or by=customers[[{unit!r}, 'persona']]."
        )
    names = list(names)
    require(t, names, param="by")
    check_reserved(names, (unit, *reserved))
    return names


def check_reserved(names, reserved) -> None:
    """Raise when a breakdown column has the name of one of the caller's own columns."""
    clash = [n for n in names if n in reserved]
    if clash:
        raise JourneyDataError(
            f"by: expected breakdown columns with names of their own; got {clash[0]!r}, the "
            f"name of a column journeykit computes here. Fix: rename it, e.g. "
            f"frame.rename(columns={{{clash[0]!r}: '{clash[0]}_group'}})."
        )


def attach(table, groups, unit: str):
    """``table`` with the breakdown columns of ``groups`` (from :func:`unit_groups`); units
    without a group are left out (``unit_groups`` has warned about them)."""
    if groups is None:
        return table
    check_reserved([c for c in groups.columns if c != unit], table.columns)
    return table.join(groups, unit)


def group_pairs(groups: pd.DataFrame, by) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Every pair of rows ``i < j`` of ``groups`` (one row per group): the positions of the
    two and a frame of their ``by`` columns, ``<by>_a`` of the first, ``<by>_b`` of the
    second (used by every pairwise comparison of groups)."""
    i, j = np.triu_indices(len(groups), k=1)
    keys = {
        f"{name}_{side}": groups[name].to_numpy()[at]
        for side, at in (("a", i), ("b", j))
        for name in by
    }
    return i, j, pd.DataFrame(keys, index=pd.RangeIndex(len(i)))
