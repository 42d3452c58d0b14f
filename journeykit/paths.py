"""Paths through the journey: sessions and first-order transitions between touchpoints.

Event-level work is one Ibis expression per function (DuckDB by default, or the table's own
backend). Events of a unit are ordered by time; events at the same instant are ordered by
their state (event name, stage or channel), so results never depend on row order.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from . import _engine, plots
from .errors import JourneyDataError
from .events import as_timedelta, check_choice, require, suggest
from .results import Result

UNITS = {"customer": "customer_id", "session": "session_id", "account": "account_id"}
START, END = "start", "end"


def unit_column(events, unit: str) -> str:
    """The column of ``unit`` ('customer', 'session' or 'account'), checked to exist."""
    check_choice("unit", unit, tuple(UNITS))
    column = UNITS[unit]
    if column not in events.columns:
        fix = (
            "derive sessions with journeykit.sessionize(events, gap='30min'), or pass the "
            "session column to read_events(session=...)"
            if unit == "session"
            else f"pass the {column} column to read_events, or use unit='customer'"
        )
        raise JourneyDataError(f"unit={unit!r}: the events have no {column!r} column. Fix: {fix}.")
    return column


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
    require(events, ("customer_id", "timestamp", "event"), param="events")
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

    require(events, ("customer_id", "timestamp", "event"), param="events")
    key = unit_column(events, unit)
    if states not in events.columns:
        raise JourneyDataError(
            f"states={states!r}: no such column. {suggest(states, list(events.columns))} Fix: "
            "pass the column whose values are the journey states (event, stage, channel)."
        )
    t = _engine.as_table(events)
    t = t.filter(t[states].notnull() & t[key].notnull())
    t = t.select(unit=t[key], timestamp=t["timestamp"], state=t[states].cast("string"))
    w = ibis.window(group_by="unit", order_by=["timestamp", "state"])
    t = t.mutate(previous=t["state"].lag().over(w), next=t["state"].lead().over(w))
    pairs = t.select(source=t["state"], target=t["next"])
    if add_start_end:
        pairs = pairs.mutate(target=pairs["target"].fill_null(END))
        starts = t.filter(t["previous"].isnull()).select(
            source=ibis.literal(START), target=t["state"]
        )
        pairs = pairs.union(starts, distinct=False)
    else:
        pairs = pairs.filter(pairs["target"].notnull())
    counts = _engine.to_pandas(pairs.group_by(["source", "target"]).aggregate(n=pairs.count()))
    counts = counts.rename(columns={"source": "from", "target": "to"})
    counts["from"] = counts["from"].astype(object)
    counts["to"] = counts["to"].astype(object)
    counts = counts.sort_values(["from", "to"], ignore_index=True)
    counts["n"] = counts["n"].astype("int64")
    counts["probability"] = counts["n"] / counts.groupby("from")["n"].transform("sum")
    return Transitions(counts, states, unit)
