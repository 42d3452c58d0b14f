"""Touchpoint attribution: which channels earn the conversions along non-linear journeys.

Two steps, as in R's ChannelAttribution:

1. :func:`attribution_paths` cuts each unit's events into *journeys* and groups them into
   distinct paths (event-level work: one Ibis expression, run where the events live,
   DuckDB by default or PySpark). The table has ChannelAttribution's format: ``path``
   (touchpoints in time order, ``' > '`` between them), ``total_conversions``,
   ``total_conversion_value`` and ``total_null`` (journeys that did not convert).
2. :func:`attribution` credits the conversions (and their value) of a path table to the
   channels with rule-based models, the exact Markov-chain removal effects and exact
   Shapley values. Every model hands out exactly the conversions and the value of the
   table (totals are conserved), and no credit is negative.

How journeys are cut (``attribution_paths``):

- A *touchpoint* is an event that is not a conversion and has a ``channel`` value; a run of
  events in one channel (no other channel between them) is one touchpoint, so a session of
  twelve page views in ``email`` counts once.
- The conversions of a unit at one instant are one conversion moment. Its journey holds the
  unit's touchpoints after its previous conversion moment, at or before this one, and no
  more than ``lookback`` before it.
- The touchpoints after a unit's last conversion (up to the end of the data) are one
  non-converting journey, cut to the ``lookback`` before its own last touchpoint.
- A conversion with no touchpoint in its lookback has no path to credit: it is left out
  with a :class:`~journeykit.JourneyWarning` giving the number.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import _engine, plots
from .checks import (
    as_timedelta,
    check_column,
    check_whole,
    event_names,
    require_events,
    suggest,
)
from .drilldown import check_min_n
from .errors import JourneyDataError, JourneyWarning
from .results import Result
from .units import unit_column

#: The models :func:`attribution` knows, in the order of its tables.
MODELS = (
    "first_touch",
    "last_touch",
    "last_non_direct",
    "linear",
    "position_based",
    "time_decay",
    "markov",
    "shapley",
)
#: Shapley values are exact over all 2^k coalitions of the k channels: up to this many.
MAX_SHAPLEY_CHANNELS = 15
#: The Markov chain's memory (compound states of the last ``order`` channels): 1 to 3.
MAX_ORDER = 3
#: position_based: the shares of the first and the last touchpoint (the rest: the middle).
FIRST_SHARE, LAST_SHARE = 0.4, 0.4
#: time_decay: a touchpoint's weight halves with every touchpoint between it and the
#: conversion (half-life: one touchpoint).
HALF_LIFE = 1.0
SEPARATOR = " > "
START, CONVERSION, NULL = "(start)", "(conversion)", "(null)"
#: Beyond this many states the chain is solved with a sparse LU factorisation.
DENSE_STATES = 3000
#: A journey's steps travel as place * CODES + channel code (at most CODES channels).
CODES = 1 << 20
PATH_COLUMNS = ("path", "total_conversions", "total_conversion_value", "total_null")


# ------------------------------------------------------------------------- path table


@dataclass(frozen=True, repr=False)
class AttributionPaths(Result):
    """Distinct journeys with their conversions, value and non-conversions."""

    table: pd.DataFrame
    unit: str = "customer"
    channel: str = "channel"
    conversion: tuple[str, ...] = ("purchase",)
    lookback: pd.Timedelta = pd.Timedelta(days=30)
    n_unattributed: int = 0
    unattributed_value: float = 0.0
    #: the channels, in the order of the codes in ``journeys``' steps
    channels: tuple[str, ...] = ()
    #: the lazy per-journey table (unit id, steps, conversions, value) behind :meth:`units`
    journeys: object = field(default=None, repr=False, compare=False)
    title = "Attribution paths"
    first = ("path", "n")

    @property
    def notes(self) -> tuple[str, ...]:
        events = " or ".join(repr(c) for c in self.conversion)
        return (
            f"path = a {self.unit}'s {self.channel} touchpoints in time order (a run in one "
            f"{self.channel} counts once) before a conversion ({events}) within "
            f"{_duration(self.lookback)}, or after the last conversion (did not convert); "
            "n = journeys; total_conversions, total_conversion_value and total_null (journeys "
            "that did not convert) in ChannelAttribution's format.",
            f"{self.n_unattributed:,} conversions had no touchpoint within the lookback and "
            "are not in the table.",
        )

    @property
    def conclusion(self) -> str:
        t = self.table
        conv, null = t["total_conversions"].sum(), t["total_null"].sum()
        top = t.iloc[0]
        return (
            f"{int(t['n'].sum()):,} journeys along {len(t):,} distinct paths: "
            f"{conv:,.0f} conversions and {null:,.0f} journeys that did not convert. The "
            f"most frequent path is {top['path']!r} ({int(top['n']):,} journeys)."
        )

    def units(self, channel: str, *, converted: bool = True, min_n=None) -> pd.DataFrame:
        """The units whose journeys touched ``channel``, ready to export.

        ``converted=True`` (the default): the units with at least one converting journey
        (a journey of the table, cut to the lookback before its conversion) that holds a
        ``channel`` touchpoint; ``converted=False``: the units whose journey after their
        last conversion (one that did not convert, e.g. for retargeting) holds one.
        Conversions without a touchpoint in the lookback are in no journey, so in no list.

        One row per unit, sorted by id: its id column as the events give it (pseudonymised
        events give pseudonyms), ``journeys`` (its journeys that touched the channel),
        ``conversions`` and ``value`` (theirs; 0 for journeys that did not convert).
        Summed over the units, ``journeys`` equals ``n - total_null`` (``total_null`` for
        converted=False) and ``conversions`` ``total_conversions`` of the paths in
        ``table`` holding the channel. ``min_n``: raise when fewer units (the
        suppress_small rule).

        >>> import warnings, journeykit as jk
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     paths = jk.attribution_paths(jk.load_webshop())
        >>> email = paths.units("email")
        >>> touched = paths.table[paths.table["path"].str.split(" > ").map(lambda p: "email" in p)]
        >>> bool(email["conversions"].sum() == touched["total_conversions"].sum())
        True
        """
        journeys, _ = _touching(self, channel, converted)
        return _per_unit(journeys, self.journeys.columns[0], min_n)

    def plot(self, ax=None):
        """The 15 most frequent paths as bars, labelled with their conversion."""
        t = self.table.head(15)
        shown = pd.DataFrame(
            {
                "path": t["path"],
                "n": t["n"],
                "conversion": t["total_conversions"] / (t["total_conversions"] + t["total_null"]),
            }
        )
        ax = plots.path_bars(shown, ax, unit="journey")
        ax.set_title(f"Most frequent {self.channel} paths")
        return ax


def _touching(paths: AttributionPaths, channel, converted) -> tuple[pd.DataFrame, int]:
    """The journeys of ``paths`` (id, steps, conversions, value) that converted (or not)
    and hold a ``channel`` touchpoint, as pandas; and the channel's code in the steps."""
    if paths.journeys is None:
        raise JourneyDataError(
            "units: these paths were given as a table, not cut from events, so there are no "
            "units to list. Fix: pass journeykit.attribution_paths(events) to attribution()."
        )
    if channel not in paths.channels:
        raise JourneyDataError(
            f"units: channel={channel!r}: no such {paths.channel} among the touchpoints; they "
            f"are {list(paths.channels)}. {suggest(str(channel), paths.channels)} Fix: pass one "
            "of them."
        )
    if not isinstance(converted, bool):
        raise JourneyDataError(
            f"units: converted={converted!r}: expected True (converting journeys) or False "
            "(the journeys after the last conversion). Fix: pass converted=True or False."
        )
    code = paths.channels.index(channel)
    j = paths.journeys
    done = j["conversions"] > 0 if converted else j["conversions"] == 0
    return _engine.to_pandas(j.filter(j["steps"].contains(code) & done)), code


def _per_unit(journeys: pd.DataFrame, key: str, min_n, credit: bool = False) -> pd.DataFrame:
    """One row per unit (sorted by id) summing its journeys, checked against ``min_n``."""
    sums = {"journeys": ("steps", "size"), "conversions": ("conversions", "sum")}
    sums["value"] = ("value", "sum")
    if credit:
        sums |= {"credit": ("credit", "sum"), "credit_value": ("credit_value", "sum")}
    out = journeys.groupby(key, sort=True).agg(**sums).reset_index()
    out = out.astype({"journeys": "int64", "conversions": "int64", "value": float})
    return check_min_n(out, min_n, where="units")


def _duration(delta: pd.Timedelta) -> str:
    days = delta / pd.Timedelta(days=1)
    return f"{days:g} days" if days >= 1 else str(delta)


def attribution_paths(
    events,
    *,
    channel: str = "channel",
    conversion="purchase",
    lookback="30D",
    unit: str = "customer",
    value: str | None = "revenue",
) -> AttributionPaths:
    """The journeys of each unit (touchpoints before each conversion, and after the last)
    grouped into distinct paths, in ChannelAttribution's format.

    Definitions (the module docstring has them in full): a touchpoint is a non-conversion
    event with a ``channel`` value, a run in one channel counting once; a conversion's
    journey is the touchpoints after the unit's previous conversion, at or before it and
    within ``lookback`` of it; the touchpoints after the last conversion are a journey that
    did not convert (within ``lookback`` of its own last touchpoint). Events at one instant
    are ordered by channel name, so the result never depends on row order.

    Parameters
    ----------
    events : pandas.DataFrame or Ibis table
        Canonical events (:func:`journeykit.read_events`) with a channel column.
    channel : str
        The column holding each touchpoint's marketing channel. Every non-conversion event
        needs one (fill the gaps, e.g. with ``'unknown'``, or drop those events).
    conversion : str or list of str
        The event(s) that count as a conversion.
    lookback : str or Timedelta
        How far back from a conversion touchpoints are credited, a duration with a unit
        (``'30D'``).
    unit : {'customer', 'session', 'account'}
        Whose journeys.
    value : str or None
        The column holding each conversion's value (summed per conversion moment); None:
        no value (zeros).

    Returns
    -------
    AttributionPaths
        ``table`` (= ``summary``): ``path``, ``total_conversions``,
        ``total_conversion_value``, ``total_null`` and ``n`` (journeys), the most frequent
        first (ties by path); ``n_unattributed`` and ``unattributed_value`` (conversions
        without a touchpoint in the lookback); ``conclusion``; ``plot()``.

    References
    ----------
    .. [1] Altomare, D. & Loris, D. (2023). ChannelAttribution: Markov model for online
       multi-channel attribution. R package, https://cran.r-project.org/package=
       ChannelAttribution (the path-table format).

    Examples
    --------
    >>> ev = pd.DataFrame({"customer_id": list("aaab"),
    ...     "event": ["visit", "visit", "purchase", "visit"],
    ...     "channel": ["seo", "email", "email", "seo"], "revenue": [None, None, 20.0, None],
    ...     "timestamp": pd.to_datetime(["2024-01-01"] * 4, utc=True)
    ...                  + pd.to_timedelta([0, 1, 2, 0], unit="h")})
    >>> attribution_paths(ev).table
              path  total_conversions  total_conversion_value  total_null  n
    0          seo                  0                     0.0           1  1
    1  seo > email                  1                    20.0           0  1
    """
    import ibis

    require_events(events)
    lookback = as_timedelta(lookback, param="lookback")
    key = unit_column(events, unit)
    fix = "pass the column of the events that holds each touchpoint's channel."
    check_column(events, channel, param="channel", fix=fix)
    if value is not None:
        check_column(
            events, value, param="value", fix="pass the column of conversion values, or None."
        )
    source = _engine.as_table(events)
    conversion = event_names(conversion, param="conversion")
    backend = _engine.backend_name(source)

    t = source.filter(source[key].notnull())
    converts = t["event"].isin(conversion)
    others = t.filter(~converts)
    kinds = _engine.to_pandas(
        others.group_by(name=others[channel].cast("string")).aggregate(n=others.count())
    )
    missing = int(kinds.loc[kinds["name"].isna(), "n"].sum())
    names = sorted(str(n) for n in kinds["name"].dropna())
    if missing:
        raise JourneyDataError(
            f"channel={channel!r}: {missing:,} of {int(kinds['n'].sum()):,} touchpoint events "
            "(events that are not a conversion) have no channel value; expected a channel on "
            "each. Fix: fill the gaps (e.g. events[channel].fillna('unknown')) or drop those "
            "events before attribution_paths."
        )
    if not names:
        raise JourneyDataError(
            f"events: no event other than the conversion ({conversion}) has a {channel!r} "
            "value, so there are no touchpoints to credit. Fix: pass events with touchpoints "
            "(visits, clicks) carrying their channel."
        )
    amount = ibis.literal(0.0) if value is None else t[value].cast("float64")
    codes = pd.DataFrame({"name": pd.Series(names, dtype="string[pyarrow]")})
    codes = _engine.as_table(codes.assign(state=np.arange(len(names), dtype="int32")), like=t)
    rows = t.select(
        unit=t[key],
        at=_engine.epoch_us(t["timestamp"], backend),
        is_conv=converts.cast("int64"),
        name=ibis.ifelse(converts, ibis.null("string"), t[channel].cast("string")),
        amount=ibis.ifelse(converts, amount, ibis.null("float64")),
    )
    rows = rows.left_join(codes, "name").drop("name", "name_right")
    # one pass over each unit's events in time order (at one instant: touchpoints by channel,
    # then conversions): j = the conversions before a row numbers its journey; a touchpoint
    # is kept when the next row is not the same channel (a run counts once, as its last)
    w = ibis.window(group_by="unit", order_by=["at", "is_conv", "state"])
    rows = rows.mutate(
        j=rows["is_conv"]
        .sum()
        .over(ibis.cumulative_window(group_by="unit", order_by=["at", "is_conv", "state"]))
        - rows["is_conv"],
        following=rows["state"].lead().over(w),
        rn=ibis.row_number().over(w).cast("int64"),
    )
    moments = rows.filter(rows["is_conv"] == 1)
    moments = moments.group_by(["unit", "at"]).aggregate(
        j=moments["j"].min(),
        n_conv=moments.count(),
        conv_value=moments["amount"].sum().fill_null(0.0),
    )
    touch = rows.filter(
        (rows["is_conv"] == 0) & (rows["following"].isnull() | (rows["following"] != rows["state"]))
    )
    ends = moments.select("unit", "j", conv_at=moments["at"])
    touch = touch.left_join(ends, ["unit", "j"]).drop("unit_right", "j_right")
    last = touch["at"].max().over(ibis.window(group_by="unit"))
    touch = touch.mutate(anchor=touch["conv_at"].fill_null(last))
    touch = touch.filter(touch["at"] >= touch["anchor"] - int(lookback / pd.Timedelta("1us")))
    # each step as one integer, its place among the unit's events times CODES plus its
    # channel: an unordered collect sorted afterwards (Spark has no ordered aggregation)
    step = touch["rn"] * CODES + touch["state"].cast("int64")
    touch = touch.mutate(step=step)
    journeys = touch.group_by(["unit", "j"]).aggregate(
        steps=touch["step"].collect().sort().map(lambda x: x % CODES)
    )
    both = journeys.outer_join(
        moments, [journeys["unit"] == moments["unit"], journeys["j"] == moments["j"]]
    )
    both = both.select(
        unit=both["unit"],
        steps=both["steps"],
        conversions=both["n_conv"].fill_null(0),
        worth=both["conv_value"].fill_null(0.0),
        null=both["n_conv"].isnull().cast("int64"),
    )
    grouped = both.group_by("steps").aggregate(
        total_conversions=both["conversions"].sum(),
        total_conversion_value=both["worth"].sum(),
        total_null=both["null"].sum(),
        n=both.count(),
    )
    out = _engine.to_pandas(grouped)
    lost = out["steps"].isna()
    n_lost = int(out.loc[lost, "total_conversions"].sum())
    lost_value = float(out.loc[lost, "total_conversion_value"].sum())
    out = out[~lost]
    if out.empty:
        raise JourneyDataError(
            f"events: no {unit} has a {channel!r} touchpoint, so there are no journeys. Fix: "
            "pass events with touchpoints carrying their channel."
        )
    lookup = np.asarray(names, dtype=object)
    out["path"] = [SEPARATOR.join(lookup[np.asarray(s, dtype=np.int64)]) for s in out["steps"]]
    out = out.astype({"total_conversions": "int64", "total_null": "int64", "n": "int64"})
    out["total_conversion_value"] = out["total_conversion_value"].astype(float)
    if out["total_conversions"].sum() == 0 and n_lost == 0:
        raise JourneyDataError(
            f"conversion={conversion!r}: no such event in the data (or none by a {unit} "
            "with an id), so there is nothing to attribute. Fix: pass the name of the "
            "conversion event as it appears in the event column (e.g. 'purchase')."
        )
    if out["total_conversions"].sum() == 0:
        raise JourneyDataError(
            f"conversion={conversion!r}: no conversion has a touchpoint within lookback="
            f"{_duration(lookback)!r} (or none occurs in the data), so there is nothing to "
            "attribute. Fix: check the conversion event names, or pass a longer lookback."
        )
    if n_lost:
        warnings.warn(
            f"attribution_paths: {n_lost:,} conversions had no {channel} touchpoint within "
            f"the lookback of {_duration(lookback)} and are left out (nothing to credit); a "
            "longer lookback keeps more of them.",
            JourneyWarning,
            stacklevel=2,
        )
    out = out.sort_values(["n", "path"], ascending=[False, True], ignore_index=True)
    table = out[[*PATH_COLUMNS, "n"]]
    kept = both.filter(both["steps"].notnull())
    per_journey = kept.select(
        kept["unit"].name(key), "steps", value=kept["worth"], conversions="conversions"
    )
    return AttributionPaths(
        table,
        unit,
        channel,
        tuple(conversion),
        lookback,
        n_lost,
        lost_value,
        tuple(names),
        per_journey,
    )


# ------------------------------------------------------------------------- models


def _path_table(paths) -> pd.DataFrame:
    """``paths`` (an AttributionPaths or a ChannelAttribution-format frame) checked, as a
    frame with path, total_conversions, total_conversion_value, total_null."""
    if isinstance(paths, AttributionPaths):
        return paths.table
    if not isinstance(paths, pd.DataFrame):
        raise JourneyDataError(
            f"paths: expected a path table (a DataFrame with path, total_conversions, "
            f"total_null) or attribution_paths(events); got {type(paths).__name__}. Fix: pass "
            "journeykit.attribution_paths(events)."
        )
    if {"customer_id", "timestamp", "event"} <= set(paths.columns) and "path" not in paths:
        raise JourneyDataError(
            "paths: got events, expected a path table. Fix: pass "
            "journeykit.attribution_paths(events) (which cuts the events into journeys)."
        )
    missing = [c for c in ("path", "total_conversions", "total_null") if c not in paths.columns]
    if missing:
        raise JourneyDataError(
            f"paths: missing column(s) {missing}; expected ChannelAttribution's format (path, "
            f"total_conversions, total_conversion_value, total_null). "
            f"{suggest(missing[0], list(paths.columns))} Fix: rename the columns, or pass "
            "journeykit.attribution_paths(events)."
        )
    frame = paths[[c for c in PATH_COLUMNS if c in paths.columns]].copy()
    if "total_conversion_value" not in frame:
        frame["total_conversion_value"] = 0.0
    for column in PATH_COLUMNS[1:]:
        numbers = pd.to_numeric(frame[column], errors="coerce").astype(float)
        bad = ~np.isfinite(numbers.to_numpy()) | (numbers.to_numpy() < 0)
        if bad.any():
            raise JourneyDataError(
                f"paths: column {column!r} holds {int(bad.sum())} values that are missing, "
                f"negative or not numbers (first: {frame.loc[bad, column].iloc[0]!r}); "
                "expected counts and amounts >= 0. Fix: correct or drop those rows."
            )
        frame[column] = numbers
    texts = frame["path"]
    if not all(isinstance(p, str) for p in texts):
        raise JourneyDataError(
            "paths: column 'path' must hold text like 'email > search > direct'; got "
            f"{type(next(p for p in texts if not isinstance(p, str))).__name__}. Fix: pass "
            "the paths as text with ' > ' between touchpoints."
        )
    return frame


def _parse(frame: pd.DataFrame):
    """Paths as tuples of channel codes, the sorted channel names, and the weights."""
    steps = []
    for text in frame["path"]:
        parts = tuple(p.strip() for p in text.split(">"))
        if not parts or any(not p for p in parts):
            raise JourneyDataError(
                f"paths: the path {text!r} has an empty touchpoint; expected channels with "
                "'>' between them (e.g. 'email > search'). Fix: drop empty paths and "
                "doubled separators."
            )
        steps.append(parts)
    names = sorted({c for s in steps for c in s})
    index = {c: i for i, c in enumerate(names)}
    coded = [tuple(index[c] for c in s) for s in steps]
    conv = frame["total_conversions"].to_numpy(float)
    null = frame["total_null"].to_numpy(float)
    worth = frame["total_conversion_value"].to_numpy(float)
    return coded, names, conv, null, worth


class _Touches:
    """Paths (tuples of channel codes) as flat arrays, one entry per touchpoint: its path's
    number (``path``), channel code, position in the path and the path's length; the
    rule-based models weigh every touchpoint at once (a loop over 1M paths took seconds)."""

    def __init__(self, coded):
        self.n_paths = len(coded)
        lengths = np.fromiter(map(len, coded), dtype=np.int64, count=self.n_paths)
        total = int(lengths.sum())
        self.codes = np.fromiter((c for p in coded for c in p), dtype=np.int64, count=total)
        self.path = np.repeat(np.arange(self.n_paths), lengths)
        self.position = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        self.length = np.repeat(lengths, lengths)
        self.lengths = lengths

    def weights(self, model: str, direct_code) -> np.ndarray:
        """Each touchpoint's share of its path's conversion under a rule-based model."""
        pos, n = self.position, self.length
        last = pos == n - 1
        if model == "first_touch":
            return (pos == 0).astype(float)
        if model == "last_touch":
            return last.astype(float)
        if model == "linear":
            return 1.0 / n
        if model == "position_based":  # 1 touchpoint: all; 2: half each; more: 40/20/40
            middle = (1 - FIRST_SHARE - LAST_SHARE) / np.maximum(n - 2, 1)
            w = np.where(pos == 0, FIRST_SHARE, np.where(last, LAST_SHARE, middle))
            return np.where(n == 1, 1.0, np.where(n == 2, 0.5, w))
        if model == "time_decay":  # halved every HALF_LIFE touchpoints back from the last
            w = 0.5 ** ((n - 1 - pos) / HALF_LIFE)
            return w / np.bincount(self.path, weights=w, minlength=self.n_paths)[self.path]
        # last_non_direct: the last touchpoint that is not direct (the last if all are)
        credited = self.lengths - 1
        if direct_code is not None:
            other = self.codes != direct_code
            latest = np.full(self.n_paths, -1)
            np.maximum.at(latest, self.path[other], pos[other])
            credited = np.where(latest >= 0, latest, credited)
        return (pos == credited[self.path]).astype(float)

    def shares(self, model: str, direct_code, k: int) -> np.ndarray:
        """Channel shares per path (paths x ``k`` channels) of a rule-based model."""
        w = self.weights(model, direct_code)
        cells = np.bincount(self.path * k + self.codes, weights=w, minlength=self.n_paths * k)
        return cells.reshape(self.n_paths, k)


def _states(coded, order: int):
    """Each path as compound states (tuples of up to ``order`` last channels)."""
    return [tuple(path[max(0, i - order + 1) : i + 1] for i in range(len(path))) for path in coded]


def _chain(coded, conv, null, worth, order: int):
    """The absorbing chain: transient state names (START first), the transition counts
    among them (Q counts), the counts into conversion and null, and the value."""
    walks = _states(coded, order)
    state_names = sorted({s for walk in walks for s in walk})
    index = {s: i + 1 for i, s in enumerate(state_names)}  # 0 is START
    m = len(state_names) + 1
    rows, cols, weights = [], [], []
    to_conv, to_null, to_value = np.zeros(m), np.zeros(m), np.zeros(m)
    for walk, c, u, v in zip(walks, conv, null, worth):
        if c + u <= 0:
            continue
        ids = [0, *(index[s] for s in walk)]
        rows.extend(ids[:-1])
        cols.extend(ids[1:])
        weights.extend([c + u] * (len(ids) - 1))
        to_conv[ids[-1]] += c
        to_null[ids[-1]] += u
        to_value[ids[-1]] += v
    counts = _sparse_counts(rows, cols, weights, m)
    return [(), *state_names], counts, to_conv, to_null, to_value


def _sparse_counts(rows, cols, weights, m):
    from scipy import sparse

    return sparse.coo_matrix((weights, (rows, cols)), shape=(m, m)).tocsr()


def _absorb(q, r: np.ndarray, keep: np.ndarray) -> float:
    """Expected reward from START (state 0) of the chain restricted to ``keep`` (the other
    states lead to null): the solution x of (I - Q) x = r, read at START; the fundamental
    matrix N = (I - Q)^-1 applied to r without forming it."""
    from scipy import sparse

    idx = np.flatnonzero(keep)
    sub = q[idx][:, idx]
    rhs = r[idx]
    if len(idx) <= DENSE_STATES:
        a = np.eye(len(idx)) - sub.toarray()
        try:
            x = np.linalg.solve(a, rhs)
        except np.linalg.LinAlgError:  # a closed loop with no way out: least squares
            x = np.linalg.lstsq(a, rhs, rcond=None)[0]
    else:
        from scipy.sparse.linalg import spsolve

        x = spsolve((sparse.identity(len(idx), format="csc") - sub).tocsc(), rhs)
    value = float(x[0])
    return value if math.isfinite(value) else 0.0


def _markov(coded, k: int, conv, null, worth, order: int):
    """Removal effects (conversions and value), the full conversion probability and value
    per journey, and the transition table of the chain of ``order``."""
    names, counts, to_conv, to_null, to_value = _chain(coded, conv, null, worth, order)
    out_total = np.asarray(counts.sum(axis=1)).ravel() + to_conv + to_null
    safe = np.where(out_total > 0, out_total, 1.0)
    from scipy import sparse

    q = sparse.diags(1 / safe) @ counts
    q = q.tocsr()
    r_conv, r_value = to_conv / safe, to_value / safe
    everything = np.ones(len(names), bool)
    p_full, v_full = _absorb(q, r_conv, everything), _absorb(q, r_value, everything)
    effects, value_effects, without = np.zeros(k), np.zeros(k), np.zeros(k)
    for c in range(k):
        keep = np.array([i == 0 or c not in s for i, s in enumerate(names)])
        p = _absorb(q, r_conv, keep)
        v = _absorb(q, r_value, keep)
        without[c] = p
        # removing a channel only sends journeys to null: never above the full chain
        effects[c] = min(max(1 - p / p_full, 0.0), 1.0) if p_full > 0 else 0.0
        value_effects[c] = min(max(1 - v / v_full, 0.0), 1.0) if v_full > 0 else 0.0
    return effects, value_effects, p_full, v_full, without, (names, counts, to_conv, to_null)


def _transition_table(chain, channels) -> pd.DataFrame:
    names, counts, to_conv, to_null = chain

    def label(i):
        return START if i == 0 else SEPARATOR.join(channels[c] for c in names[i])

    coo = counts.tocoo()
    frame = pd.DataFrame(
        {
            "from": [label(i) for i in coo.row],
            "to": [label(j) for j in coo.col],
            "n": coo.data,
        }
    )
    ends = [
        pd.DataFrame({"from": [label(i) for i in np.flatnonzero(w)], "to": end, "n": w[w > 0]})
        for w, end in ((to_conv, CONVERSION), (to_null, NULL))
    ]
    frame = pd.concat([frame, *ends], ignore_index=True)
    frame = frame.groupby(["from", "to"], as_index=False)["n"].sum()
    frame["probability"] = frame["n"] / frame.groupby("from")["n"].transform("sum")
    return frame.sort_values(["from", "to"], ignore_index=True)


def _shapley(coded, k: int, conv, null, worth):
    """Exact Shapley values (conversions, value) of the coalition game on conversion rates
    (see :func:`attribution`), over all 2^k coalitions."""
    size = 1 << k
    masks = np.array([sum(1 << c for c in set(p)) for p in coded], dtype=np.int64)
    journeys = np.bincount(masks, weights=conv + null, minlength=size)
    seen = journeys > 0
    rate = np.where(
        seen, np.bincount(masks, weights=conv, minlength=size) / np.where(seen, journeys, 1), 0.0
    )
    per = np.where(
        seen, np.bincount(masks, weights=worth, minlength=size) / np.where(seen, journeys, 1), 0.0
    )
    all_masks = np.arange(size, dtype=np.int64)
    popcount = np.zeros(size, dtype=np.int64)
    for c in range(k):
        popcount += (all_masks >> c) & 1
    weight = np.array(
        [math.factorial(s) * math.factorial(k - s - 1) / math.factorial(k) for s in range(k)]
    )
    out = []
    for reward in (rate, per):
        v = reward.copy()
        for c in range(k):  # v(S) = sum of reward(T) over T subset of S (zeta transform)
            has = (all_masks >> c) & 1 == 1
            v[has] += v[all_masks[has] ^ (1 << c)]
        phi = np.zeros(k)
        for c in range(k):
            without = all_masks[(all_masks >> c) & 1 == 0]
            phi[c] = np.sum(weight[popcount[without]] * (v[without | (1 << c)] - v[without]))
        out.append(np.maximum(phi, 0.0))
    return out


def _check_models(models) -> list[str]:
    chosen = [models] if isinstance(models, str) else models
    if not isinstance(chosen, (list, tuple)) or not chosen:
        raise JourneyDataError(
            f"models={models!r}: expected a model name or a non-empty list of them, from "
            f"{list(MODELS)}; got {type(models).__name__}. Fix: pass e.g. models=['markov', "
            "'last_touch']."
        )
    for model in chosen:
        if model not in MODELS:
            raise JourneyDataError(
                f"models={model!r}: not a model journeykit knows; expected some of "
                f"{list(MODELS)}. {suggest(model, MODELS)} Fix: pass models= a list of those."
            )
    return [m for m in MODELS if m in chosen]


@dataclass(frozen=True, repr=False)
class Attribution(Result):
    """Conversions and value credited to each channel by each model."""

    table: pd.DataFrame
    removal_effects: pd.DataFrame
    transitions: pd.DataFrame
    conversion_probability: float
    order: int = 1
    models: tuple[str, ...] = MODELS
    total_conversions: float = 0.0
    total_value: float = 0.0
    shapley_channels: int = field(default=0)
    direct: str = "direct"
    #: the :class:`AttributionPaths` credited (None for a path table), behind :meth:`units`
    paths: object = field(default=None, repr=False, compare=False)
    title = "Attribution"
    first = ("channel", "model", "conversions", "share", "value")

    @property
    def wide(self) -> pd.DataFrame:
        """Attributed conversions, channels down (most by the first model of ``models``
        that is Markov or else the first), models across."""
        wide = self.table.pivot(index="channel", columns="model", values="conversions")
        lead = "markov" if "markov" in self.models else self.models[0]
        return wide[list(self.models)].sort_values(lead, ascending=False)

    def units(self, channel: str, *, model: str | None = None, min_n=None) -> pd.DataFrame:
        """The units behind a channel's conversions, ready to export.

        ``model=None`` (the default): the units with at least one converting journey that
        touched ``channel`` within the lookback (a touchpoint in it among those the
        journey's path holds). ``model=`` a rule-based model (first_touch, last_touch,
        last_non_direct, linear, position_based, time_decay): the units of whose
        conversions that model credits some (more than 0) to the channel, e.g. for
        ``last_touch`` those whose converting journey ended in it. ``markov`` and
        ``shapley`` credit channels over the whole path table (removal effects, coalition
        rates), not journey by journey, so they have no units of their own: their credit
        to a channel comes from the journeys that touched it (``model=None``).

        One row per unit, sorted by id: its id column as the events give it (pseudonymised
        events give pseudonyms), ``journeys`` (its converting journeys that touched, or were
        credited to, the channel), ``conversions`` and ``value`` (theirs); with a model
        also ``credit`` and ``credit_value``, the conversions and value the model credits
        to the channel from those journeys: summed over the units they give the channel's
        ``conversions`` and ``value`` in ``table``. ``min_n``: raise when fewer units (the
        suppress_small rule). Needs ``attribution(attribution_paths(events))``.

        >>> import warnings, journeykit as jk
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     res = jk.attribution(jk.attribution_paths(jk.load_webshop()))
        >>> last = res.units("email", model="last_touch")
        >>> cell = res.table.query("channel == 'email' and model == 'last_touch'")
        >>> bool(abs(last["credit"].sum() - cell["conversions"].iloc[0]) < 1e-6)
        True
        """
        paths = self.paths
        if paths is None:
            raise JourneyDataError(
                "units: this attribution was computed from a path table, not from events, so "
                "there are no units to list. Fix: pass journeykit.attribution_paths(events) "
                "to attribution()."
            )
        if model is not None and (model not in self.models or model in ("markov", "shapley")):
            ruled = [m for m in self.models if m not in ("markov", "shapley")]
            why = (
                f"{model!r} credits channels over the whole path table, not journey by journey"
                if model in ("markov", "shapley")
                else f"{model!r} is not a rule-based model of this result"
            )
            raise JourneyDataError(
                f"units: model={model!r}: {why}; expected one of {ruled} or None (the units "
                "whose converting journeys touched the channel, which is where markov and "
                "shapley credit comes from). Fix: pass one of those."
            )
        journeys, code = _touching(paths, channel, True)
        key = paths.journeys.columns[0]
        if model is None:
            return _per_unit(journeys, key, min_n)
        direct = paths.channels.index(self.direct) if self.direct in paths.channels else None
        paths_of = [tuple(int(c) for c in steps) for steps in journeys["steps"]]
        distinct = list(dict.fromkeys(paths_of))
        touches = _Touches(distinct)
        weights = touches.weights(model, direct) * (touches.codes == code)
        share = np.bincount(touches.path, weights=weights, minlength=touches.n_paths)
        share = dict(zip(distinct, share))
        part = np.array([share[path] for path in paths_of])
        journeys = journeys.assign(
            credit=journeys["conversions"] * part, credit_value=journeys["value"] * part
        )
        return _per_unit(journeys[part > 0], key, min_n, credit=True)

    @property
    def notes(self) -> tuple[str, ...]:
        return (
            "conversions and value = what each model credits to the channel (every model "
            "hands out all conversions and all value of the paths); share = the channel's "
            "conversions / all conversions, per model.",
            f"markov: removal effects of the order-{self.order} absorbing Markov chain, solved "
            "exactly; shapley: exact Shapley values of the coalition conversion rates "
            "(Zhao et al. 2018); time_decay: half-life one touchpoint; position_based: "
            "40/20/40.",
        )

    @property
    def conclusion(self) -> str:
        lead = "markov" if "markov" in self.models else self.models[0]
        t = self.table[self.table["model"] == lead].sort_values(
            ["conversions", "channel"], ascending=[False, True]
        )
        name = f"Markov (order {self.order})" if lead == "markov" else lead
        best, second = t.iloc[0], t.iloc[1] if len(t) > 1 else None
        text = (
            f"{name} credits the most conversions to {best['channel']!r} "
            f"({best['conversions']:,.1f} of {self.total_conversions:,.0f}, {best['share']:.0%})"
        )
        if second is not None:
            text += f", then {second['channel']!r} ({second['share']:.0%})"
        text += "."
        tops = {
            m: g.sort_values(["conversions", "channel"], ascending=[False, True])["channel"].iloc[0]
            for m, g in self.table.groupby("model", sort=False)
        }
        if len(tops) > 1:
            if len(set(tops.values())) == 1:
                text += f" All {len(tops)} models agree on the top channel."
            else:
                differ = ", ".join(f"{m}: {c!r}" for m, c in tops.items() if c != best["channel"])
                text += f" The top channel differs by model ({differ})."
        return text

    def plot(self, ax=None):
        """Grouped bars: each channel's share of the conversions under each model."""
        ax = plots.axes(ax)
        shares = self.table.pivot(index="channel", columns="model", values="share")
        order = self.wide.index
        shares = shares.reindex(index=order[::-1], columns=list(self.models))
        # one bar per model in each channel's band of 0.8, top down in the legend's order
        # (drawn directly: pandas' barh took a fifth of an explorer update)
        height = 0.8 / shares.shape[1]
        rows = np.arange(len(shares))
        for i, (model, color) in enumerate(zip(shares, plots.colors(shares.shape[1]))):
            offset = ((shares.shape[1] - 1) / 2 - i) * height
            ax.barh(rows + offset, shares[model], height=height, color=color, label=model)
        ax.set_yticks(rows, shares.index)
        ax.xaxis.set_major_formatter("{x:.0%}")
        ax.set_xlabel("share of the conversions credited to the channel")
        ax.set_ylabel("channel")
        ax.legend(frameon=False, bbox_to_anchor=(1, 1), loc="upper left", title="model")
        ax.set_title("Attribution: conversions credited per channel and model")
        return ax


def attribution(
    paths,
    *,
    models=MODELS,
    markov_order: int = 1,
    direct: str = "direct",
) -> Attribution:
    """Credit the conversions (and their value) of each path to its channels, model by
    model: rule-based models, the exact Markov-chain removal effects and Shapley values.

    Rule-based models split each conversion among the path's touchpoints: ``first_touch``
    and ``last_touch`` (all to one), ``last_non_direct`` (all to the last touchpoint whose
    channel is not ``direct``; a path of direct only gives it to direct), ``linear`` (equal
    shares), ``position_based`` (40% first, 40% last, 20% shared by the middle; half each
    for two touchpoints) and ``time_decay`` (weight halving with every touchpoint between
    it and the conversion, a half-life of one touchpoint: path tables carry the order of
    touchpoints, not their times).

    ``markov``: the journeys as an absorbing Markov chain (start, the channels, conversion
    and null), estimated from the paths; its states are the last ``order`` channels
    (compound states for order 2 and 3). The conversion probability P from start is
    solved exactly, x = (I - Q)^-1 r with the fundamental matrix (``numpy.linalg.solve``;
    no Monte-Carlo). A channel's removal effect is 1 - P_without / P, where in the chain
    without it every state holding the channel leads to null; conversions are credited in
    proportion to the removal effects (value by the same computation with the value of
    the conversions as reward). Removing states only sends journeys to null, so no effect
    is negative; a chain that cannot be solved exactly (a closed loop) is solved by least
    squares and the effects are clipped to [0, 1].

    ``shapley``: exact Shapley values of the coalition game v(S) = the sum, over every
    channel set T within S seen in the data, of the conversion rate of the journeys whose
    channels are exactly T (value: value per journey), computed over all 2^k coalitions
    (Zhao et al. 2018, whose simplified formula equals it: each set's rate split evenly
    among its channels); the credits are the conversions in proportion to the values. Up
    to 15 channels.

    Parameters
    ----------
    paths : AttributionPaths or pandas.DataFrame
        :func:`attribution_paths`, or a path table in ChannelAttribution's format:
        ``path`` (channels with ``'>'`` between them), ``total_conversions``,
        ``total_null`` and optionally ``total_conversion_value``.
    models : str or list of str
        The models, from ``first_touch, last_touch, last_non_direct, linear,
        position_based, time_decay, markov, shapley``.
    markov_order : int
        The Markov chain's order: how many last channels a state remembers (1 to 3).
    direct : str
        The channel that ``last_non_direct`` passes over.

    Returns
    -------
    Attribution
        ``table`` (= ``summary``): ``channel, model, conversions, value, share`` (every
        model's conversions and value sum to the paths' totals); ``wide`` (channels x
        models); ``removal_effects`` (``channel, removal_effect, removal_effect_value,
        conversion_probability_without``); ``transitions`` (the chain: ``from, to, n,
        probability``); ``conversion_probability``; ``conclusion``; ``plot()``.

    References
    ----------
    .. [1] Anderl, E., Becker, I., von Wangenheim, F. & Schumann, J. H. (2016). Mapping
       the customer journey: Lessons learned from graph-based online attribution modeling.
       International Journal of Research in Marketing 33(3), 457-474 (Markov removal
       effects, higher orders).
    .. [2] Kemeny, J. G. & Snell, J. L. (1960). Finite Markov Chains. Van Nostrand
       (absorption probabilities through the fundamental matrix).
    .. [3] Zhao, K., Mahboobi, S. H. & Bagheri, S. R. (2018). Shapley value methods for
       attribution modeling in online advertising. arXiv:1804.05327.
    .. [4] Shapley, L. S. (1953). A value for n-person games. Contributions to the Theory
       of Games II, 307-317.

    Examples
    --------
    >>> paths = pd.DataFrame({"path": ["search > email", "search", "email"],
    ...     "total_conversions": [2, 1, 0], "total_conversion_value": [60.0, 20.0, 0.0],
    ...     "total_null": [1, 3, 2]})
    >>> res = attribution(paths, models=["first_touch", "linear", "markov"])
    >>> res.wide.round(3)
    model    first_touch  linear  markov
    channel
    search           3.0     2.0   1.571
    email            0.0     1.0   1.429
    """
    table = _path_table(paths)
    models = _check_models(models)
    order = check_whole("markov_order", markov_order, minimum=1, maximum=MAX_ORDER, example=1)
    if not isinstance(direct, str):
        raise JourneyDataError(
            f"direct={direct!r}: expected the name of the direct channel (text); got "
            f"{type(direct).__name__}. Fix: pass e.g. direct='direct'."
        )
    coded, channels, conv, null, worth = _parse(table)
    total, total_value = float(conv.sum()), float(worth.sum())
    if total <= 0:
        raise JourneyDataError(
            "paths: no conversions (total_conversions sums to 0); expected at least one "
            "converting path. Fix: check the conversion event (attribution_paths("
            "conversion=...)) or the lookback."
        )
    k = len(channels)
    if k < 2:
        raise JourneyDataError(
            f"paths: one channel only ({channels[0]!r}); attribution compares at least two "
            "channels. Fix: pass journeys with several channels (check the channel column)."
        )
    if "shapley" in models and k > MAX_SHAPLEY_CHANNELS:
        raise JourneyDataError(
            f"models='shapley': the paths hold {k} channels; exact Shapley values are "
            f"computed for at most {MAX_SHAPLEY_CHANNELS} (2^k coalitions). Fix: group rare "
            "channels into one (e.g. 'other') or leave 'shapley' out of models."
        )
    direct_code = channels.index(direct) if direct in channels else None
    credits = {}
    touches = _Touches(coded)
    for model in models:
        if model in ("markov", "shapley"):
            continue
        shares = touches.shares(model, direct_code, k)
        credits[model] = (conv @ shares, worth @ shares)
    effects = pd.DataFrame({"channel": channels})
    p_full, transitions = float("nan"), pd.DataFrame(columns=["from", "to", "n", "probability"])
    if "markov" in models:
        re_c, re_v, p_full, _, without, chain = _markov(coded, k, conv, null, worth, order)
        credits["markov"] = (_spread(re_c, total), _spread(re_v, total_value))
        effects = effects.assign(
            removal_effect=re_c, removal_effect_value=re_v, conversion_probability_without=without
        )
        transitions = _transition_table(chain, channels)
    if "shapley" in models:
        phi_c, phi_v = _shapley(coded, k, conv, null, worth)
        credits["shapley"] = (_spread(phi_c, total), _spread(phi_v, total_value))
    rows = [
        pd.DataFrame(
            {"channel": channels, "model": model, "conversions": c, "value": v, "share": c / total}
        )
        for model, (c, v) in credits.items()
    ]
    out = pd.concat(rows, ignore_index=True)
    out["model"] = pd.Categorical(out["model"], categories=models)
    out = out.sort_values(["model", "channel"], ignore_index=True)
    out["model"] = out["model"].astype(object)
    return Attribution(
        out,
        effects,
        transitions,
        p_full,
        order,
        tuple(models),
        total,
        total_value,
        k,
        direct,
        paths if isinstance(paths, AttributionPaths) else None,
    )


def _spread(weights: np.ndarray, total: float) -> np.ndarray:
    """``total`` split in proportion to ``weights`` (zeros when they sum to zero)."""
    s = weights.sum()
    return weights * (total / s) if s > 0 else np.zeros_like(weights)
