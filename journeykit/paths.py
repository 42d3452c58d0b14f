"""Paths through the journey: sessions and first-order transitions between touchpoints.

Event-level work is Ibis expressions run where the table lives (DuckDB by default, or the
table's own backend): one small query lists the distinct states, then one query computes
the result on integer codes of those states. Events of a unit are ordered by time; events at
the same instant are ordered by their state (event name, stage or channel), so results never
depend on row order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import _engine, plots
from .checks import (
    as_timedelta,
    check_column,
    check_events_exist,
    check_present,
    check_whole,
    require_events,
)
from .errors import JourneyDataError
from .results import Result, wilson
from .units import unit_column

START, END = "start", "end"
START_CODE, END_CODE = -1, -2  # the codes of START and END among the state codes
MAX_PATH_STEPS = 50  # the most steps top_paths and sankey_data follow (one column each)


def sessionize(events, *, gap="30min"):
    """Add (or replace) ``session_id``: a customer's new session starts when more than
    ``gap`` has passed since their previous event (the web-analytics convention: 30 minutes
    of inactivity). ``session_id`` is ``'<customer_id>-<n>'`` with n = 1, 2, ... in time order.

    Returns the same kind it was given: a new pandas frame (the input is not changed), or a
    lazy Ibis table.

    Examples
    --------
    >>> ev = pd.DataFrame({"customer_id": ["a", "a", "a"], "event": ["v", "v", "v"],
    ...     "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:20",
    ...                                  "2024-01-01 11:00"], utc=True)})
    >>> sessionize(ev)["session_id"].tolist()
    ['a-1', 'a-1', 'a-2']
    """
    import ibis

    gap = as_timedelta(gap, param="gap")
    require_events(events)
    t = _engine.as_table(events)
    if "session_id" in t.columns:
        t = t.drop("session_id")
    w = ibis.window(group_by="customer_id", order_by=["timestamp", "event"])
    previous = t["timestamp"].lag().over(w)
    starts = (previous.isnull() | (t["timestamp"] - previous > gap.to_pytimedelta())).cast("int64")
    cumulative = ibis.cumulative_window(group_by="customer_id", order_by=["timestamp", "event"])
    t = t.mutate(_new=starts)
    number = t["_new"].sum().over(cumulative)
    t = t.mutate(session_id=t["customer_id"].cast("string") + "-" + number.cast("string"))
    t = t.drop("_new")
    if _engine.is_ibis(events):
        return t
    out = _engine.to_pandas(t.order_by(["customer_id", "timestamp", "event"]))
    return out[[*events.columns.drop("session_id", errors="ignore"), "session_id"]]


def _check_states(events, unit: str, states: str) -> str:
    """Check the events, the unit and the states column; return the unit's column."""
    require_events(events)
    key = unit_column(events, unit)
    fix = "pass the column whose values are the journey states (event, stage, channel)."
    check_column(events, states, param="states", fix=fix)
    return key


@dataclass(frozen=True, repr=False)
class Transitions(Result):
    """The first-order transition matrix: counts and row probabilities."""

    table: pd.DataFrame
    states: str
    unit: str
    title = "Transitions"

    @property
    def matrix(self) -> pd.DataFrame:
        """Row probabilities, from-states down, to-states across (``end`` last)."""
        wide = self.table.pivot(index="from", columns="to", values="probability")
        return wide.reindex(index=_ordered(wide.index), columns=_ordered(wide.columns, last=END))

    @property
    def notes(self) -> tuple[str, ...]:
        return (
            f"pairs of consecutive {self.states} values within each {self.unit}; "
            "probability = n / all transitions out of the from-state; 'start' and 'end' mark "
            "where journeys begin and stop.",
        )

    def plot(self, ax=None):
        """Heatmap of the row probabilities, annotated with the counts."""
        counts = self.table.pivot(index="from", columns="to", values="n")
        shares = self.matrix
        counts = counts.reindex(index=shares.index, columns=shares.columns)
        return plots.transition_heatmap(shares, counts.fillna(0).astype("int64"), ax)


def _states_in_order(events, unit: str, states: str):
    """Each unit's events with a state: (unit, timestamp, state), the window that orders
    them (by time, ties by state) and ``names``, the sorted distinct states.

    ``state`` is a code, the state's place in ``names`` (so codes sort as the names do):
    windows and aggregations then carry a 4-byte integer instead of text. On the 10M-event
    benchmark that took top_paths' query from 1,150 MB to 690 MB and from 6.4 s to 4.9 s.
    """
    import ibis

    key = _check_states(events, unit, states)
    t = _engine.as_table(events)
    t = t.filter(t[key].notnull() & t[states].notnull())
    t = t.select(unit=t[key], timestamp=t["timestamp"], name=t[states].cast("string"))
    names = _engine.distinct(t, "name")
    if not names:
        raise JourneyDataError(
            f"events: no event has a value in both {key!r} and {states!r}, so there is no "
            "journey to follow (the events are empty, or those columns are all missing). Fix: "
            f"pass events with {key!r} and {states!r} values (unit= and states= pick them)."
        )
    codes = pd.DataFrame({"name": pd.Series(names, dtype="string[pyarrow]")})
    codes = _engine.as_table(codes.assign(state=np.arange(len(names), dtype="int32")), like=t)
    t = t.join(codes, "name").select("unit", "timestamp", "state")
    return t, ibis.window(group_by="unit", order_by=["timestamp", "state"]), names


def _decode(codes: pd.Series, names: list[str]) -> pd.Series:
    """State codes (and START_CODE/END_CODE) back to their names; missing stays None."""
    lookup = {**dict(enumerate(names)), START_CODE: START, END_CODE: END}
    return pd.Series([lookup.get(c) if pd.notna(c) else None for c in codes], dtype=object)


def _ordered(values, *, last=None):
    head = [v for v in values if v == START]
    tail = [v for v in values if v == last]
    return head + sorted(v for v in values if v not in (START, last)) + tail


def transitions(
    events, *, unit: str = "session", states: str = "event", add_start_end: bool = True
) -> Transitions:
    """First-order transitions between consecutive states of each unit's journey.

    Parameters
    ----------
    unit : {'session', 'customer', 'account'}
        Whose journeys: within sessions (needs ``session_id``; see :func:`sessionize`),
        over a customer's whole history, or per B2B account.
    states : str
        The column whose values are the states: ``'event'``, ``'stage'``, ``'channel'``...
        Events with a missing state are skipped.
    add_start_end : bool
        Add ``start -> first state`` and ``last state -> end`` transitions.

    Returns
    -------
    Transitions
        ``table``: from, to, n, probability (rows sum to 1 per from-state); ``matrix``;
        ``plot()`` (heatmap).

    Examples
    --------
    >>> ev = pd.DataFrame({"customer_id": ["a"] * 3 + ["b"] * 2,
    ...     "event": ["view", "cart", "buy", "view", "view"],
    ...     "timestamp": pd.to_datetime(["2024-01-01"] * 5, utc=True)
    ...                  + pd.to_timedelta([0, 1, 2, 0, 1], unit="min")})
    >>> transitions(ev, unit="customer").table
        from    to  n  probability
    0   buy   end  1     1.000000
    1  cart   buy  1     1.000000
    2  start  view  2     1.000000
    3   view  cart  1     0.333333
    4   view   end  1     0.333333
    5   view  view  1     0.333333
    """
    import ibis

    t, w, names = _states_in_order(events, unit, states)
    t = t.mutate(previous=t["state"].lag().over(w), next=t["state"].lead().over(w))
    pairs = t.select(source=t["state"], target=t["next"])
    if add_start_end:
        pairs = pairs.mutate(target=pairs["target"].fill_null(END_CODE))
        starts = t.filter(t["previous"].isnull()).select(
            source=ibis.literal(START_CODE, "int32"), target=t["state"]
        )
        pairs = pairs.union(starts, distinct=False)
    else:
        pairs = pairs.filter(pairs["target"].notnull())
    counts = _engine.to_pandas(pairs.group_by(["source", "target"]).aggregate(n=pairs.count()))
    counts["from"] = _decode(counts["source"], names)
    counts["to"] = _decode(counts["target"], names)
    counts = counts[["from", "to", "n"]].sort_values(["from", "to"], ignore_index=True)
    counts["n"] = counts["n"].astype("int64")
    counts["probability"] = counts["n"] / counts.groupby("from")["n"].transform("sum")
    return Transitions(counts, states, unit)


def _numbered(events, *, unit: str, states: str, collapse_repeats: bool):
    """Each unit's states (codes) in time order, numbered ``rn`` = 1, 2, ... (runs of one
    state collapsed to one when ``collapse_repeats``), and the state names of the codes."""
    import ibis

    t, w, names = _states_in_order(events, unit, states)
    if collapse_repeats:  # (a window inside filter() compiles to invalid Spark SQL)
        t = t.mutate(previous=t["state"].lag().over(w))
        t = t.filter(t["previous"].isnull() | (t["previous"] != t["state"])).drop("previous")
    return t.mutate(rn=ibis.row_number().over(w) + 1), names


@dataclass(frozen=True, repr=False)
class TopPaths(Result):
    """The most frequent journeys, with how many of each converted."""

    table: pd.DataFrame
    unit: str
    conversion: tuple[str, ...]
    title = "Top paths"

    @property
    def notes(self) -> tuple[str, ...]:
        events = " or ".join(repr(c) for c in self.conversion)
        return (
            f"path = the {self.unit}'s states in time order (' > ' between steps; '> ...' "
            "when cut at max_steps); share = units / all units with a path; conversion_rate "
            f"= units with a {events} event / units (Wilson interval).",
        )

    def plot(self, ax=None):
        """Horizontal bars of the units per path, labelled with the conversion rate."""
        return plots.path_bars(self.table, ax)


def top_paths(
    events,
    *,
    n: int = 20,
    max_steps: int = 6,
    collapse_repeats: bool = True,
    unit: str = "session",
    states: str = "event",
    starting_with=None,
    ending_with=None,
    conversion="purchase",
) -> TopPaths:
    """The ``n`` most frequent paths (sequences of states) of units' journeys.

    A unit's path is its states in time order (ties by state name), consecutive repeats
    collapsed when ``collapse_repeats``, cut to the first ``max_steps`` states (marked
    ``> ...`` when longer). ``starting_with='product_view'`` starts each path at the unit's
    first such state (units without one are left out); ``ending_with='purchase'`` keeps the
    last ``max_steps`` states up to and including the unit's first such state (after the
    start, with both): the paths that lead to it. Each path's conversion rate is the share
    of its units that ever had a ``conversion`` event.

    Parameters
    ----------
    events : pandas.DataFrame or Ibis table
        Canonical events (:func:`journeykit.read_events`).
    n : int
        How many paths to return, a whole number of 1 or more.
    max_steps : int
        The states of a path, 1 to 50.
    collapse_repeats : bool
        Count a run of one state once.
    unit : {'session', 'customer', 'account'}
        Whose journeys (``'session'`` needs ``session_id``: see :func:`sessionize`).
    states : str
        The column whose values are the states: ``'event'``, ``'stage'``, ``'channel'``...
    starting_with, ending_with : str or list of str, optional
        States that occur in the data (a list: the first of any of them); unknown ones
        raise.
    conversion : str or list of str
        The conversion events (default ``'purchase'``), which must occur in the data.

    Examples
    --------
    >>> ev = pd.DataFrame({"customer_id": list("aaabb"),
    ...     "event": ["view", "view", "purchase", "view", "cart"],
    ...     "timestamp": pd.to_datetime(["2024-01-01"] * 5, utc=True)
    ...                  + pd.to_timedelta([0, 1, 2, 0, 1], unit="min")})
    >>> top_paths(ev, unit="customer").table[["path", "units", "conversion_rate"]]
                  path  units  conversion_rate
    0      view > cart      1              0.0
    1  view > purchase      1              1.0
    """
    n = check_whole("n", n, minimum=1)
    max_steps = check_whole("max_steps", max_steps, minimum=1, maximum=MAX_PATH_STEPS)
    source = _engine.as_table(events)  # one table (one memtable for pandas) for both uses
    t, names = _numbered(source, unit=unit, states=states, collapse_repeats=collapse_repeats)
    anchors = {"starting_with": starting_with, "ending_with": ending_with}
    codes = {
        name: [names.index(v) for v in check_present(value, names, param=name, what=states)]
        for name, value in anchors.items()
        if value is not None
    }
    known = names if states == "event" else None
    conversion = check_events_exist(source, conversion, param="conversion", known=known)
    for name, anchor in codes.items():
        first = t.group_by("unit").aggregate(at=t["rn"].min(where=t["state"].isin(anchor)))
        t = t.join(first.filter(first["at"].notnull()), "unit")
        if name == "starting_with":
            t = t.filter(t["rn"] >= t["at"]).mutate(rn=t["rn"] - t["at"] + 1)
        else:  # the last max_steps states up to the anchor, numbered 1.. from the start
            low = (t["at"] - max_steps + 1).clip(lower=1)
            t = t.filter((t["rn"] <= t["at"]) & (t["rn"] >= low)).mutate(rn=t["rn"] - low + 1)
        t = t.drop("at")
    wide = t.group_by("unit").aggregate(
        length=t["rn"].max(),
        **{f"s{k}": t["state"].max(where=t["rn"] == k) for k in range(1, max_steps + 1)},
    )
    wide = wide.mutate(longer=wide["length"] > max_steps)
    # units that ever had the conversion event (any state, even a null one): a small table
    key = unit_column(source, unit)
    converters = source.filter(source["event"].isin(conversion))
    buyers = converters.select(buyer=converters[key]).distinct()
    wide = wide.left_join(buyers, wide["unit"] == buyers["buyer"])
    wide = wide.mutate(converted=wide["buyer"].notnull().cast("int64"))
    columns = [f"s{k}" for k in range(1, max_steps + 1)]
    counts = wide.group_by([*columns, "longer"]).aggregate(
        units=wide.count(), converted=wide["converted"].sum()
    )
    counts = _engine.to_pandas(counts)
    if counts.empty:  # both anchors given, and no unit has the end after the start
        raise JourneyDataError(
            f"ending_with={ending_with!r}: no {unit} has it at or after starting_with="
            f"{starting_with!r}. Fix: check the two states, or pass only one of them."
        )
    parts = pd.DataFrame({c: _decode(counts[c], names) for c in columns})
    counts["path"] = [
        " > ".join(s for s in row if s is not None) + (" > ..." if longer else "")
        for row, longer in zip(parts.itertuples(index=False), counts["longer"])
    ]
    counts["steps"] = parts.notna().sum(axis=1).astype("int64")
    total = counts["units"].sum()
    out = counts.sort_values(["units", "path"], ascending=[False, True], ignore_index=True)
    out = out.head(n)[["path", "steps", "units", "converted"]].astype(
        {"units": "int64", "converted": "int64"}
    )
    out["share"] = out["units"] / total
    out["conversion_rate"] = out["converted"] / out["units"]
    out["conversion_low"], out["conversion_high"] = wilson(out["converted"], out["units"])
    return TopPaths(out, unit, tuple(conversion))


@dataclass(frozen=True, repr=False)
class SankeyData(Result):
    """Nodes (step, state) and links of the first steps of the journeys."""

    nodes: pd.DataFrame
    links: pd.DataFrame
    title = "Journey flow"

    @property
    def summary(self) -> pd.DataFrame:
        return self.links

    def plot(self, ax=None):
        """The interactive Sankey (a plotly Figure; ``ax`` is not used)."""
        return plots.sankey(self.nodes, self.links)


def sankey_data(
    events,
    *,
    steps: int = 5,
    unit: str = "session",
    states: str = "event",
    collapse_repeats: bool = True,
) -> SankeyData:
    """The flow through the first ``steps`` states of each unit's journey.

    ``nodes``: id, step (1-based), state, units; ``links``: source, target (node ids),
    units, with ``end`` nodes for journeys that stop before ``steps``. ``steps`` is a whole
    number from 2 to 50; ``unit``, ``states`` and ``collapse_repeats`` are as in
    :func:`top_paths`.
    """
    steps = check_whole("steps", steps, minimum=2, maximum=MAX_PATH_STEPS)
    import ibis

    t, names = _numbered(events, unit=unit, states=states, collapse_repeats=collapse_repeats)
    t = t.filter(t["rn"] <= steps)
    w = ibis.window(group_by="unit", order_by="rn")
    nxt = t["state"].lead().over(w).fill_null(END_CODE)
    pairs = t.select("rn", source=t["state"], target=ibis.ifelse(t["rn"] < steps, nxt, None))
    links = _engine.to_pandas(
        pairs.group_by(["rn", "source", "target"]).aggregate(units=pairs.count())
    )
    links["source"] = _decode(links["source"], names)
    links["target"] = _decode(links["target"], names)
    nodes = links.groupby(["rn", "source"], as_index=False)["units"].sum()
    nodes = nodes.rename(columns={"rn": "step", "source": "state"})
    ends = links[links["target"] == END].groupby("rn", as_index=False)["units"].sum()
    ends = ends.assign(step=ends["rn"] + 1, state=END)[["step", "state", "units"]]
    nodes = pd.concat([nodes, ends], ignore_index=True).sort_values(
        ["step", "units"], ascending=[True, False], ignore_index=True
    )
    nodes["step"] = nodes["step"].astype("int64")
    nodes["units"] = nodes["units"].astype("int64")
    nodes.insert(0, "id", range(len(nodes)))
    ids = {(s, st): i for i, s, st in zip(nodes["id"], nodes["step"], nodes["state"])}
    links = links[links["target"].notna()]
    out = pd.DataFrame(
        {
            "source": [ids[(r, s)] for r, s in zip(links["rn"], links["source"])],
            "target": [ids[(r + 1, s)] for r, s in zip(links["rn"], links["target"])],
            "units": links["units"].astype("int64").to_numpy(),
        }
    )
    return SankeyData(nodes, out.sort_values(["source", "target"], ignore_index=True))


def sankey(events, **options):
    """The interactive Sankey of :func:`sankey_data` (a plotly Figure)."""
    return sankey_data(events, **options).plot()


@dataclass(frozen=True, repr=False)
class ChannelMix(Result):
    """Which touchpoint channels appear at each stage."""

    table: pd.DataFrame
    by: str
    title = "Channel mix"

    @property
    def notes(self) -> tuple[str, ...]:
        return (
            f"events and distinct customers per {self.by} and channel; share = the channel's "
            f"events / all events with a channel at that {self.by}.",
        )

    def plot(self, ax=None):
        """Stacked bars of the channel shares per group."""
        return plots.mix_bars(self.table, ax, by=self.by)


def channel_mix(events, *, by: str = "stage", channel: str = "channel") -> ChannelMix:
    """Touchpoint channels per stage (or any ``by`` column): events, customers, share.

    ``by`` and ``channel`` are two different columns of the events; events missing either
    are left out.
    """
    require_events(events)
    fix = "pass a column of the events (stage: see journeykit.map_stages)."
    for param, column in (("by", by), ("channel", channel)):
        check_column(events, column, param=param, fix=fix)
        if column in ("events", "customers", "share"):
            raise JourneyDataError(
                f"{param}={column!r}: the name of a column channel_mix computes. Fix: rename "
                f"that column of the events (e.g. to '{column}_group')."
            )
    if by == channel:
        raise JourneyDataError(
            f"channel={channel!r}: the same column as by={by!r}; expected two different "
            "columns. Fix: pass by='stage' (or another column) and channel='channel'."
        )
    t = _engine.as_table(events)
    t = t.filter(t[by].notnull() & t[channel].notnull())
    counts = t.group_by([by, channel]).aggregate(
        events=t.count(), customers=t["customer_id"].nunique()
    )
    out = _engine.to_pandas(counts).astype({"events": "int64", "customers": "int64"})
    if out.empty:
        raise JourneyDataError(
            f"events: no event has both a {by} and a {channel} value, so there is no mix to "
            f"count. Fix: pass events with both columns filled in (stage: see "
            "journeykit.map_stages)."
        )
    for column in (by, channel):
        out[column] = out[column].astype(object)
    out["share"] = out["events"] / out.groupby(by)["events"].transform("sum")
    return ChannelMix(out.sort_values([by, channel], ignore_index=True), by)
