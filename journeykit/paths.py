"""Paths through the journey: sessions and first-order transitions between touchpoints.

Event-level work is Ibis expressions run where the table lives (DuckDB by default, or the
table's own backend): one small query lists the distinct states (for a lazy
:func:`sessionize` result, from the events before the sessions), then one query computes
the result on integer codes of those states. Events of a unit are ordered by time; events at
the same instant are ordered by their state (event name, stage or channel), so results never
depend on row order. Journeys are a customer's by default (``unit='customer'``), so a log
without sessions works as it is; ``unit='session'`` follows sessions (:func:`sessionize`).
"""

from __future__ import annotations

import weakref
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
from .events import STAGES
from .funnels import QUARTILES
from .periods import DAY_US
from .results import Result, in_words, whole_percent, wilson
from .units import unit_column

START, END = "start", "end"
START_CODE, END_CODE = -1, -2  # the codes of START and END among the state codes
MAX_PATH_STEPS = 50  # the most steps top_paths and sankey_data follow (one column each)

#: sessionize's lazy results -> the events each was made from (without ``session_id``) and
#: the gap that cut them, in whole microseconds
_SESSIONIZED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def sessionize(events, *, gap="30min"):
    """Add (or replace) ``session_id``: a customer's new session starts when more than
    ``gap`` has passed since their previous event.

    The web-analytics convention is 30 minutes of inactivity. ``session_id`` is
    ``'<customer_id>-<n>'`` with n = 1, 2, ... in time order (events at one instant ordered
    by event name); a gap of exactly ``gap`` stays in the session.

    Parameters
    ----------
    events : pandas.DataFrame or Ibis table
        Canonical events (:func:`journeykit.read_events`).
    gap : str or Timedelta
        The inactivity that ends a session, a duration with a unit (``'30min'``).

    Returns
    -------
    pandas.DataFrame or Ibis table
        The same kind it was given: a new pandas frame (the input is not changed, its
        columns first, ``session_id`` last) or a lazy Ibis table. :func:`transitions`,
        :func:`top_paths` and :func:`sankey_data` know a lazy result: they list its states
        from the events before it, so the sessions are computed once, in their main query.

    References
    ----------
    .. [1] Catledge, L. D. & Pitkow, J. E. (1995). Characterizing browsing strategies in
       the World-Wide Web. Computer Networks and ISDN Systems 27(6), 1065-1073 (the
       inactivity timeout behind the 30-minute convention).

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
    base, backend = t, _engine.backend_name(t)
    order = ["timestamp", "event"]
    w = ibis.window(group_by="customer_id", order_by=order)
    # the gap in whole microseconds, compared on integers: DuckDB subtracts two tz-aware
    # timestamps through ICU (1M events: 0.4 s of the window's 0.8 s)
    now = _engine.epoch_us(t["timestamp"], backend)
    previous = _engine.epoch_us(t["timestamp"].lag().over(w), backend)
    limit = int(gap // pd.Timedelta(microseconds=1))
    starts = (previous.isnull() | (now - previous > limit)).cast("int64")
    cumulative = ibis.cumulative_window(group_by="customer_id", order_by=order)
    t = t.mutate(_new=starts)
    number = t["_new"].sum().over(cumulative)
    t = t.mutate(session_id=t["customer_id"].cast("string") + "-" + number.cast("string"))
    t = t.drop("_new")
    if _engine.is_ibis(events):
        _SESSIONIZED.pop(t.op(), None)  # a dead equal key's callback must not drop this one
        _SESSIONIZED[t.op()] = (base, limit)
        return t
    out = _engine.to_pandas(t.order_by(["customer_id", "timestamp", "event"]))
    return out[[*events.columns.drop("session_id", errors="ignore"), "session_id"]]


def _before_sessions(table):
    """The events a lazy :func:`sessionize` result was made from (the same rows and
    columns, without ``session_id``), or ``table`` itself: queries that need no session
    (the distinct states, the event names) then skip sessionize's windows."""
    return _SESSIONIZED.get(table.op(), (table, None))[0]


def _cut_by_gap(table, unit: str, states: str):
    """(the events before sessionize, its gap in microseconds) when ``table`` is a lazy
    :func:`sessionize` result whose session journeys of events can be followed on each
    customer's events, cut where the gap is exceeded (transitions: one window instead of
    sessionize's two and a third by session, 5.6 s -> 2.4 s on 10M events; the paths of
    :func:`_numbered`: sessions numbered per customer, no text ids, 6.0 s -> 5.5 s for
    top_paths on the 10M-event foreign log); otherwise None. Only for the
    event states: canonical events (:func:`journeykit.read_events`) have an event and a time
    in every row, so no row is left out that sessionize counted in a gap."""
    found = _SESSIONIZED.get(table.op())
    return found if found is not None and unit == "session" and states == "event" else None


def _check_states(events, unit: str, states: str) -> str:
    """Check the events, the unit and the states column; return the unit's column."""
    require_events(events)
    key = unit_column(events, unit)
    fix = "pass the column whose values are the journey states (event, stage, channel)."
    check_column(events, states, param="states", fix=fix)
    return key


def _journey_order(table: pd.DataFrame, states: str) -> list[str]:
    """The states of a transition ``table`` (from, to, n) in journey order, without
    ``start`` and ``end``: for ``states='stage'`` the journey stages in the order of
    :data:`journeykit.STAGES` first; then, from ``start`` (or, without it, the state most
    journeys leave more often than they enter), repeatedly the state that the most
    transitions from the states placed so far lead to (ties by name): a funnel-like order
    (page_view, product_view, add_to_cart, ...)."""
    names = sorted((set(table["from"]) | set(table["to"])) - {START, END})
    moves = table[table["from"] != table["to"]]
    flow = moves.pivot_table(index="from", columns="to", values="n", aggfunc="sum", fill_value=0)
    placed = [s for s in STAGES if s in names] if states == "stage" else []
    score = dict.fromkeys([n for n in names if n not in placed], 0)

    def place(state):
        if state in flow.index:
            for target, n in flow.loc[state].items():
                if target in score:
                    score[target] += n

    for state in [START, *placed]:
        place(state)
    if score and not any(score.values()):  # no start state: begin where journeys begin
        surplus = flow.sum(axis=1).reindex(names, fill_value=0) - flow.sum().reindex(
            names, fill_value=0
        )
        first = min(score, key=lambda s: (-surplus[s], s))
        score[first] = 1
    while score:
        best = min(score, key=lambda s: (-score[s], s))
        del score[best]
        placed.append(best)
        place(best)
    return placed


@dataclass(frozen=True, repr=False)
class Transitions(Result):
    """The first-order transition matrix: counts and row probabilities."""

    table: pd.DataFrame
    states: str
    unit: str
    title = "Transitions"
    first = ("from", "to", "n", "probability", "time_median_days")

    @property
    def order(self) -> list[str]:
        """The states in journey order (:func:`_journey_order`)."""
        return _journey_order(self.table, self.states)

    @property
    def matrix(self) -> pd.DataFrame:
        """Row probabilities, from-states down (``start`` first), to-states across (``end``
        last), in journey order."""
        wide = self.table.pivot(index="from", columns="to", values="probability")
        order = self.order
        rows = [s for s in [START, *order] if s in wide.index]
        return wide.reindex(index=rows, columns=[s for s in [*order, END] if s in wide.columns])

    @property
    def has_times(self) -> bool:
        """Whether the table has the times between the steps (``transitions(times=True)``)."""
        return "time_median_days" in self.table.columns

    @property
    def notes(self) -> tuple[str, ...]:
        notes = [
            f"pairs of consecutive {self.states} values within each {self.unit}'s journey; "
            "probability = n / all transitions out of the from-state; 'start' and 'end' mark "
            "where journeys begin and stop."
        ]
        if self.has_times:
            notes.append(
                "time_q1_days, time_median_days, time_q3_days: quartiles of the days from an "
                "event to the next one of the same journey, over the pair's n transitions "
                "(linear interpolation); none for 'start' and 'end'."
            )
        return tuple(notes)

    @property
    def conclusion(self) -> str:
        t = self.table
        starts = t[t["from"] == START]
        text = []
        if len(starts):
            top = starts.loc[starts["n"].idxmax()]
            text.append(
                f"{top['probability']:.0%} of the {starts['n'].sum():,} {self.unit} journeys "
                f"start with {top['to']!r}."
            )
        moves = t[(t["from"] != START) & (t["to"] != END) & (t["from"] != t["to"])]
        if len(moves):
            top = moves.loc[moves["n"].idxmax()]
            text.append(
                f"The most frequent move is {top['from']!r} -> {top['to']!r} ({top['n']:,} "
                f"times, {whole_percent(top['probability'])} of the moves out of "
                f"{top['from']!r})."
            )
            if self.has_times:
                text.append(
                    f"It takes {in_words(top['time_median_days'])} (median; quartiles "
                    f"{in_words(top['time_q1_days'])} to {in_words(top['time_q3_days'])})."
                )
        return " ".join(text) or f"No {self.unit} moves from one {self.states} to another."

    def plot(self, ax=None, *, kind: str = "matrix", top: int = 15):
        """``kind='matrix'``: a heatmap of the row probabilities in journey order, annotated
        with the counts. ``kind='times'`` (a result of ``transitions(times=True)``): the
        ``top`` most frequent transitions between states (not ``start`` or ``end``) with the
        median time between the two events (dot) and its quartiles (bar)."""
        if kind not in ("matrix", "times"):
            raise JourneyDataError(
                f"kind={kind!r}: expected 'matrix' (the transition heatmap) or 'times' (the "
                "time between the steps). Fix: pass kind='matrix' or kind='times'."
            )
        if kind == "times":
            return self._plot_times(ax, top)
        shares = self.matrix
        counts = self.table.pivot(index="from", columns="to", values="n")
        counts = counts.reindex(index=shares.index, columns=shares.columns)
        return plots.transition_heatmap(
            shares,
            counts.fillna(0).astype("int64"),
            ax,
            title=f"Transitions between {self.states} values ({self.unit} journeys)",
            xlabel=f"to (the next {self.states})",
            ylabel="from (row shares: probability of each next state)",
        )

    def _plot_times(self, ax, top):
        top = check_whole("top", top, minimum=1)
        if not self.has_times:
            raise JourneyDataError(
                "kind='times': this result has no times between the steps (expected a result "
                "of transitions(..., times=True); got one without them). Fix: call "
                "transitions(events, times=True)."
            )
        t = self.table
        moves = t[(t["from"] != START) & (t["to"] != END)]
        if moves.empty:
            raise JourneyDataError(
                f"kind='times': no {self.unit} journey has two consecutive {self.states} "
                "values, so there is no time between steps to draw. Fix: use kind='matrix'."
            )
        shown = f"the {top} most frequent" if top < len(moves) else f"all {len(moves)}"
        moves = moves.sort_values(["n", "from", "to"], ascending=[False, True, True]).head(top)
        return plots.transition_times(
            moves,
            ax,
            title=f"Time to the next {self.states}: {shown} transitions ({self.unit} journeys)",
            ylabel=f"from -> to (the next {self.states})",
        )


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
    # the distinct states, read before sessionize's windows where there are any: its
    # session_id is missing exactly where customer_id is
    lean = _before_sessions(t)
    present = "customer_id" if lean is not t and key == "session_id" else key
    named = lean.filter(lean[present].notnull() & lean[states].notnull())
    names = _engine.distinct(named.select(name=named[states].cast("string")), "name")
    t = t.filter(t[key].notnull() & t[states].notnull())
    t = t.select(unit=t[key], timestamp=t["timestamp"], name=t[states].cast("string"))
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


def _as_list(values, k: int) -> list:
    """An array aggregate (a list or array, or missing) as ``k`` floats, NaN where null."""
    if not isinstance(values, (list, tuple, np.ndarray)):
        return [np.nan] * k
    return [np.nan if v is None else v for v in values]


def transitions(
    events,
    *,
    unit: str = "customer",
    states: str = "event",
    add_start_end: bool = True,
    times: bool = False,
) -> Transitions:
    """First-order transitions between consecutive states of each unit's journey.

    A unit's journey is its events with a state, in time order (ties by state); every two
    consecutive states are one transition (a state repeated in a row is a transition to
    itself). ``probability`` is the maximum-likelihood estimate of the first-order Markov
    chain: the transitions from one state to another divided by all transitions out of it.

    Parameters
    ----------
    events : pandas.DataFrame or Ibis table
        Canonical events (:func:`journeykit.read_events`).
    unit : {'customer', 'session', 'account'}
        Whose journeys: over a customer's whole history, within sessions (needs
        ``session_id``; see :func:`sessionize`), or per B2B account.
    states : str
        The column whose values are the states: ``'event'``, ``'stage'``, ``'channel'``...
        Events with a missing state are skipped.
    add_start_end : bool
        Add ``start -> first state`` and ``last state -> end`` transitions.
    times : bool
        Add the time between the two events of each transition: ``time_q1_days``,
        ``time_median_days``, ``time_q3_days``, the quartiles over the pair's ``n``
        transitions in days (missing for ``start`` and ``end``). Off by default: the
        quantiles cost 10-25% more time (1M events on DuckDB).

    Returns
    -------
    Transitions
        ``table`` (= ``summary``): ``from, to, n, probability`` (rows sum to 1 per
        from-state; sorted by name) and, with ``times``, the three quartiles; ``matrix``
        and ``order`` (journey order: stages as in :data:`journeykit.STAGES`, other states
        by flow from ``start``); ``conclusion``; ``plot()`` (heatmap) and, with ``times``,
        ``plot(kind='times')``.

    References
    ----------
    .. [1] Anderson, T. W. & Goodman, L. A. (1957). Statistical inference about Markov
       chains. The Annals of Mathematical Statistics 28(1), 89-110 (the transition
       probabilities' maximum-likelihood estimate).
    .. [2] Hyndman, R. J. & Fan, Y. (1996). Sample quantiles in statistical packages. The
       American Statistician 50(4), 361-365 (the quartiles: type 7, linear interpolation).

    Examples
    --------
    >>> ev = pd.DataFrame({"customer_id": ["a"] * 3 + ["b"] * 2,
    ...     "event": ["view", "cart", "buy", "view", "view"],
    ...     "timestamp": pd.to_datetime(["2024-01-01"] * 5, utc=True)
    ...                  + pd.to_timedelta([0, 1, 2, 0, 1], unit="min")})
    >>> res = transitions(ev)
    >>> res.table
        from    to  n  probability
    0   buy   end  1     1.000000
    1  cart   buy  1     1.000000
    2  start  view  2     1.000000
    3   view  cart  1     0.333333
    4   view   end  1     0.333333
    5   view  view  1     0.333333
    >>> res.order
    ['view', 'cart', 'buy']
    >>> transitions(ev, times=True, add_start_end=False).table[["from", "to", "time_median_days"]]
       from    to  time_median_days
    0  cart   buy          0.000694
    1  view  cart          0.000694
    2  view  view          0.000694
    """
    if times not in (True, False):
        raise JourneyDataError(
            f"times={times!r}: expected True (add the time between the steps) or False; got "
            f"{type(times).__name__}. Fix: pass times=True or times=False."
        )
    import ibis

    cut = _cut_by_gap(events, unit, states) if _engine.is_ibis(events) else None
    t, w, names = _states_in_order(
        events if cut is None else cut[0], "customer" if cut else unit, states
    )
    # one pass: each state with the next (END_CODE after the last) and whether it is the
    # unit's first; the start pairs are summed from the first ones afterwards (a union of
    # the two read the windowed events twice)
    now = _engine.epoch_us(t["timestamp"], _engine.backend_name(t))  # (no ICU interval)
    after = now.lead().over(w) - now  # to the next event, in whole microseconds
    step = {"first": t["state"].lag().over(w).isnull(), "next": t["state"].lead().over(w)}
    if cut is not None:  # a session ends where the gap to the customer's next event is exceeded
        within = after <= cut[1]
        before = now - now.lag().over(w)
        step = {
            "first": before.isnull() | (before > cut[1]),
            "next": ibis.ifelse(within, step["next"], ibis.null("int32")),
        }
        after = ibis.ifelse(within, after, ibis.null("int64"))
    if times:
        step["gap"] = after
    t = t.mutate(**step)
    target = t["next"].fill_null(END_CODE) if add_start_end else t["next"]
    pairs = t.select(
        source="state", target=target, first="first", **({"gap": "gap"} if times else {})
    )
    if not add_start_end:
        pairs = pairs.filter(pairs["target"].notnull())
    aggs = {"n": pairs.count()}
    if add_start_end:
        aggs["n_first"] = pairs["first"].cast("int64").sum()
    if times:  # the three quartiles as one aggregate (one sort); pairs to END have no gap
        aggs["q"] = pairs["gap"].quantile(list(QUARTILES.values()))
    counts = _engine.to_pandas(pairs.group_by(["source", "target"]).aggregate(**aggs))
    if add_start_end:
        starts = counts.groupby("source", as_index=False)["n_first"].sum()
        starts = starts[starts["n_first"] > 0].rename(columns={"source": "target", "n_first": "n"})
        counts = pd.concat([counts, starts.assign(source=START_CODE)], ignore_index=True)
    counts["from"] = _decode(counts["source"], names)
    counts["to"] = _decode(counts["target"], names)
    counts = counts.sort_values(["from", "to"], ignore_index=True)
    counts["n"] = counts["n"].astype("int64")
    counts["probability"] = counts["n"] / counts.groupby("from")["n"].transform("sum")
    if times:  # microseconds to days; no list (start) or a list of nulls (end): missing
        quartiles = [_as_list(q, len(QUARTILES)) for q in counts["q"]]
        days = pd.DataFrame(quartiles, columns=list(QUARTILES), dtype=float) / DAY_US
        counts = pd.concat([counts, days], axis=1)
    counts = counts[["from", "to", "n", "probability", *(QUARTILES if times else ())]]
    return Transitions(counts, states, unit)


def _numbered(events, *, unit: str, states: str, collapse_repeats: bool):
    """Each unit's states (codes) in time order, numbered ``rn`` = 1, 2, ... (runs of one
    state collapsed to one when ``collapse_repeats``), the state names of the codes and the
    columns that identify a journey: ``['unit']``, or ``['unit', 'session']`` (a customer
    and a session number) when a lazy :func:`sessionize` result is followed on each
    customer's events (:func:`_cut_by_gap`: no text session ids, one window fewer)."""
    import ibis

    cut = _cut_by_gap(events, unit, states) if _engine.is_ibis(events) else None
    if cut is None:
        t, w, names = _states_in_order(events, unit, states)
        if collapse_repeats:  # (a window inside filter() compiles to invalid Spark SQL)
            t = t.mutate(previous=t["state"].lag().over(w))
            t = t.filter(t["previous"].isnull() | (t["previous"] != t["state"])).drop("previous")
        return t.mutate(rn=ibis.row_number().over(w) + 1), names, ["unit"]
    t, w, names = _states_in_order(cut[0], "customer", states)
    now = _engine.epoch_us(t["timestamp"], _engine.backend_name(t))  # (no ICU interval)
    before = now - now.lag().over(w)
    t = t.mutate(new=(before.isnull() | (before > cut[1])).cast("int64"))
    if collapse_repeats:  # a repeat is within a session: a session's first state stays
        t = t.mutate(previous=t["state"].lag().over(w))
        t = t.filter((t["new"] == 1) | (t["previous"] != t["state"])).drop("previous")
    order = ["timestamp", "state"]
    t = t.mutate(
        session=t["new"].sum().over(ibis.cumulative_window(group_by="unit", order_by=order))
    )
    keys = ["unit", "session"]
    t = t.mutate(rn=ibis.row_number().over(ibis.window(group_by=keys, order_by=order)) + 1)
    return t.drop("new"), names, keys


@dataclass(frozen=True, repr=False)
class TopPaths(Result):
    """The most frequent journeys, with how many of each converted."""

    table: pd.DataFrame
    unit: str
    conversion: tuple[str, ...]
    title = "Top paths"
    first = ("path", "n", "share", "conversion")

    @property
    def notes(self) -> tuple[str, ...]:
        events = " or ".join(repr(c) for c in self.conversion)
        return (
            f"path = the {self.unit}'s states in time order (' > ' between steps; '> ...' "
            "when cut at max_steps); n = units following it; share = n / all units with a "
            f"path; conversion = n_converted (units with a {events} event) / n, with a "
            "Wilson interval.",
        )

    @property
    def conclusion(self) -> str:
        t = self.table
        top = t.iloc[0]
        return (
            f"The most frequent path, {top['path']!r}, is followed by {top['n']:,} "
            f"{self.unit}s ({top['share']:.1%} of all with a path), of whom "
            f"{top['conversion']:.0%} converted; the top {len(t)} paths cover "
            f"{t['share'].sum():.0%} of the {self.unit}s."
        )

    def plot(self, ax=None):
        """Horizontal bars of the units per path, labelled with the conversion."""
        return plots.path_bars(self.table, ax, unit=self.unit)


def top_paths(
    events,
    *,
    top: int = 20,
    max_steps: int = 6,
    collapse_repeats: bool = True,
    unit: str = "customer",
    states: str = "event",
    starting_with=None,
    ending_with=None,
    conversion="purchase",
) -> TopPaths:
    """The ``top`` most frequent paths (sequences of states) of units' journeys.

    A unit's *path* is its states in time order (ties by state name), consecutive repeats
    collapsed when ``collapse_repeats``, cut to the first ``max_steps`` states (marked
    ``> ...`` when longer). ``starting_with='product_view'`` starts each path at the unit's
    first such state (units without one are left out); ``ending_with='purchase'`` keeps the
    last ``max_steps`` states up to and including the unit's first such state (after the
    start, with both): the paths that lead to it. A unit *converted* when it ever had a
    ``conversion`` event (anywhere in its events, not only on the path shown).

    Parameters
    ----------
    events : pandas.DataFrame or Ibis table
        Canonical events (:func:`journeykit.read_events`).
    top : int
        How many paths to return (the most frequent first), a whole number of 1 or more.
    max_steps : int
        The states of a path, 1 to 50.
    collapse_repeats : bool
        Count a run of one state once.
    unit : {'customer', 'session', 'account'}
        Whose journeys (``'session'`` needs ``session_id``: see :func:`sessionize`).
    states : str
        The column whose values are the states: ``'event'``, ``'stage'``, ``'channel'``...
    starting_with, ending_with : str or list of str, optional
        States that occur in the data (a list: the first of any of them); unknown ones
        raise.
    conversion : str or list of str
        The conversion events (default ``'purchase'``), which must occur in the data.

    Returns
    -------
    TopPaths
        ``table`` (= ``summary``): ``path, n_steps, n, n_converted, share, conversion,
        conversion_ci_low, conversion_ci_high`` (most frequent first, ties by path);
        ``conclusion``; ``plot()``.

    References
    ----------
    .. [1] Wilson, E. B. (1927). Probable inference, the law of succession, and
       statistical inference. Journal of the American Statistical Association 22(158),
       209-212 (the intervals of ``conversion``).

    Examples
    --------
    >>> ev = pd.DataFrame({"customer_id": list("aaabb"),
    ...     "event": ["view", "view", "purchase", "view", "cart"],
    ...     "timestamp": pd.to_datetime(["2024-01-01"] * 5, utc=True)
    ...                  + pd.to_timedelta([0, 1, 2, 0, 1], unit="min")})
    >>> top_paths(ev).table[["path", "n", "conversion"]]
                  path  n  conversion
    0      view > cart  1         0.0
    1  view > purchase  1         1.0
    """
    top = check_whole("top", top, minimum=1)
    max_steps = check_whole("max_steps", max_steps, minimum=1, maximum=MAX_PATH_STEPS)
    source = _engine.as_table(events)  # one table (one memtable for pandas) for both uses
    t, names, keys = _numbered(source, unit=unit, states=states, collapse_repeats=collapse_repeats)
    anchors = {"starting_with": starting_with, "ending_with": ending_with}
    codes = {
        name: [names.index(v) for v in check_present(value, names, param=name, what=states)]
        for name, value in anchors.items()
        if value is not None
    }
    known = names if states == "event" else None
    lean = _before_sessions(source)
    conversion = check_events_exist(lean, conversion, param="conversion", known=known)
    # with states='event' every conversion event is on the unit's journey (repeats collapse
    # to one): whether the unit converted comes out of the same query, taken before the
    # anchors cut the journey; other states need the units with one from the events
    own = states == "event"
    if own:
        t = t.mutate(converted=t["state"].isin([names.index(c) for c in conversion]))
        t = t.mutate(converted=t["converted"].cast("int64"))
    for step, (name, anchor) in enumerate(codes.items()):
        at = {"at": t["rn"].min(where=t["state"].isin(anchor))}
        if own and step == 0:  # per unit, before any cut
            at["converted"] = t["converted"].max()
        first = t.group_by(keys).aggregate(**at)
        if own and step == 0:
            t = t.drop("converted")
        t = t.join(first.filter(first["at"].notnull()), keys)
        if name == "starting_with":
            t = t.filter(t["rn"] >= t["at"]).mutate(rn=t["rn"] - t["at"] + 1)
        else:  # the last max_steps states up to the anchor, numbered 1.. from the start
            low = (t["at"] - max_steps + 1).clip(lower=1)
            t = t.filter((t["rn"] <= t["at"]) & (t["rn"] >= low)).mutate(rn=t["rn"] - low + 1)
        t = t.drop("at")
    wide = t.group_by(keys).aggregate(
        length=t["rn"].max(),
        **{f"s{k}": t["state"].max(where=t["rn"] == k) for k in range(1, max_steps + 1)},
        **({"converted": t["converted"].max()} if own else {}),
    )
    wide = wide.mutate(longer=wide["length"] > max_steps)
    if not own:  # units that ever had the conversion event (any state, even a null one)
        key = unit_column(source, unit)
        converters = source.filter(source["event"].isin(conversion))
        buyers = converters.select(buyer=converters[key]).distinct()
        wide = wide.left_join(buyers, wide["unit"] == buyers["buyer"])
        wide = wide.mutate(converted=wide["buyer"].notnull().cast("int64"))
    columns = [f"s{k}" for k in range(1, max_steps + 1)]
    counts = wide.group_by([*columns, "longer"]).aggregate(
        n=wide.count(), n_converted=wide["converted"].sum()
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
    counts["n_steps"] = parts.notna().sum(axis=1).astype("int64")
    total = counts["n"].sum()
    out = counts.sort_values(["n", "path"], ascending=[False, True], ignore_index=True)
    out = out.head(top)[["path", "n_steps", "n", "n_converted"]].astype(
        {"n": "int64", "n_converted": "int64"}
    )
    out["share"] = out["n"] / total
    out["conversion"] = out["n_converted"] / out["n"]
    out["conversion_ci_low"], out["conversion_ci_high"] = wilson(out["n_converted"], out["n"])
    return TopPaths(out, unit, tuple(conversion))


def _step_links(events, *, max_steps: int, unit: str, states: str, collapse_repeats: bool):
    """The units at each step k <= ``max_steps`` (:func:`_numbered`) and state, by their
    next state: ``rn, source, target, n`` (codes; target END_CODE when the journey stops
    after step k, missing at step ``max_steps``), and the state names of the codes."""
    import ibis

    t, names, keys = _numbered(events, unit=unit, states=states, collapse_repeats=collapse_repeats)
    t = t.filter(t["rn"] <= max_steps)
    w = ibis.window(group_by=keys, order_by="rn")
    nxt = t["state"].lead().over(w).fill_null(END_CODE)
    pairs = t.select("rn", source=t["state"], target=ibis.ifelse(t["rn"] < max_steps, nxt, None))
    links = _engine.to_pandas(pairs.group_by(["rn", "source", "target"]).aggregate(n=pairs.count()))
    return links, names


@dataclass(frozen=True, repr=False)
class SankeyData(Result):
    """Nodes (step, state) and links of the first steps of the journeys."""

    nodes: pd.DataFrame
    links: pd.DataFrame
    unit: str = "customer"
    max_steps: int = 5
    title = "Journey flow"

    @property
    def summary(self) -> pd.DataFrame:
        """The flows by name: ``step`` (of the from-state), ``from``, ``to``, ``n`` and
        ``share`` (of the units at the from-state)."""
        node = self.nodes.set_index("id")
        source, target = node.loc[self.links["source"]], node.loc[self.links["target"]]
        return pd.DataFrame(
            {
                "step": source["step"].to_numpy(),
                "from": source["state"].to_numpy(),
                "to": target["state"].to_numpy(),
                "n": self.links["n"].to_numpy(),
                "share": self.links["n"].to_numpy() / source["n"].to_numpy(),
            }
        )

    @property
    def notes(self) -> tuple[str, ...]:
        return (
            f"the first {self.max_steps} states of each {self.unit}'s journey; 'end' at step "
            f"k: journeys that stopped after step k-1; share = n / the {self.unit}s at the "
            "from-state.",
        )

    def figure(self):
        """The interactive Sankey (a plotly Figure)."""
        return plots.sankey(self.nodes, self.links, unit=self.unit)

    def plot(self, ax=None):
        """The flow as a layered chart on matplotlib Axes (nodes per step, bands between)."""
        title = f"Journey flow: the first {self.max_steps} steps of each {self.unit}'s journey"
        return plots.flow_chart(self.nodes, self.links, ax, unit=self.unit, title=title)


def sankey_data(
    events,
    *,
    max_steps: int = 5,
    unit: str = "customer",
    states: str = "event",
    collapse_repeats: bool = True,
) -> SankeyData:
    """The flow through the first ``max_steps`` states of each unit's journey.

    A unit's journey is as in :func:`top_paths` (states in time order, repeats collapsed
    when ``collapse_repeats``). Node (k, s) holds the units whose k-th state is s; a link
    from (k, s) to (k + 1, s') the units whose next state is s'; a journey that stops
    after its k-th state (k < ``max_steps``) flows to the node (k + 1, ``end``).

    Parameters
    ----------
    events : pandas.DataFrame or Ibis table
        Canonical events (:func:`journeykit.read_events`).
    max_steps : int
        The states followed, a whole number from 2 to 50.
    unit : {'customer', 'session', 'account'}
        Whose journeys (``'session'`` needs ``session_id``: see :func:`sessionize`).
    states : str
        The column whose values are the states.
    collapse_repeats : bool
        Count a run of one state once.

    Returns
    -------
    SankeyData
        ``nodes``: ``id, step, state, n``; ``links``: ``source, target`` (node ids),
        ``n``; ``summary``: the flows by name; ``figure()`` (plotly) and ``plot()``
        (matplotlib).

    Examples
    --------
    >>> ev = pd.DataFrame({"customer_id": list("aab"), "event": ["view", "buy", "view"],
    ...     "timestamp": pd.to_datetime(["2024-01-01"] * 3, utc=True)
    ...                  + pd.to_timedelta([0, 1, 0], unit="min")})
    >>> sankey_data(ev, max_steps=2).summary
       step  from   to  n  share
    0     1  view  buy  1    0.5
    1     1  view  end  1    0.5
    """
    max_steps = check_whole("max_steps", max_steps, minimum=2, maximum=MAX_PATH_STEPS)
    options = {"unit": unit, "states": states, "collapse_repeats": collapse_repeats}
    links, names = _step_links(events, max_steps=max_steps, **options)
    links["source"] = _decode(links["source"], names)
    links["target"] = _decode(links["target"], names)
    nodes = links.groupby(["rn", "source"], as_index=False)["n"].sum()
    nodes = nodes.rename(columns={"rn": "step", "source": "state"})
    ends = links[links["target"] == END].groupby("rn", as_index=False)["n"].sum()
    ends = ends.assign(step=ends["rn"] + 1, state=END)[["step", "state", "n"]]
    nodes = pd.concat([nodes, ends], ignore_index=True).sort_values(
        ["step", "n"], ascending=[True, False], ignore_index=True
    )
    nodes["step"] = nodes["step"].astype("int64")
    nodes["n"] = nodes["n"].astype("int64")
    nodes.insert(0, "id", range(len(nodes)))
    ids = {(s, st): i for i, s, st in zip(nodes["id"], nodes["step"], nodes["state"])}
    links = links[links["target"].notna()]
    out = pd.DataFrame(
        {
            "source": [ids[(r, s)] for r, s in zip(links["rn"], links["source"])],
            "target": [ids[(r + 1, s)] for r, s in zip(links["rn"], links["target"])],
            "n": links["n"].astype("int64").to_numpy(),
        }
    )
    links = out.sort_values(["source", "target"], ignore_index=True)
    return SankeyData(nodes, links, unit=unit, max_steps=max_steps)


def sankey(
    events,
    *,
    max_steps: int = 5,
    unit: str = "customer",
    states: str = "event",
    collapse_repeats: bool = True,
):
    """The interactive Sankey of :func:`sankey_data` (a plotly Figure).

    Parameters
    ----------
    events, max_steps, unit, states, collapse_repeats
        As in :func:`sankey_data`.

    Returns
    -------
    plotly.graph_objects.Figure
        ``sankey_data(...).figure()``.

    Examples
    --------
    >>> ev = pd.DataFrame({"customer_id": list("aab"), "event": ["view", "buy", "view"],
    ...     "timestamp": pd.to_datetime(["2024-01-01"] * 3, utc=True)
    ...                  + pd.to_timedelta([0, 1, 0], unit="min")})
    >>> type(sankey(ev, max_steps=2)).__name__
    'Figure'
    """
    options = {"unit": unit, "states": states, "collapse_repeats": collapse_repeats}
    return sankey_data(events, max_steps=max_steps, **options).figure()


ENDED = "ended"  # the step matrix's row of the journeys shorter than the step


@dataclass(frozen=True, repr=False)
class StepMatrix(Result):
    """The share of journeys at each state by step number (see :func:`step_matrix`)."""

    table: pd.DataFrame
    order: tuple[str, ...]
    unit: str = "customer"
    states: str = "event"
    max_steps: int = 10
    collapse_repeats: bool = True
    title = "Step matrix"

    @property
    def matrix(self) -> pd.DataFrame:
        """Shares, the states down in journey order (``ended`` last), steps 1.. across;
        every column sums to 1."""
        return self._wide("share")

    def _wide(self, value: str) -> pd.DataFrame:
        wide = self.table.pivot(index="state", columns="step", values=value)
        return wide.reindex(index=[*self.order, ENDED])

    @property
    def n_journeys(self) -> int:
        """The journeys counted (the units with at least one state)."""
        return int(self.table.loc[self.table["step"] == 1, "n"].sum())

    @property
    def notes(self) -> tuple[str, ...]:
        runs = " (a run of one state counted once)" if self.collapse_repeats else ""
        return (
            f"step k = the k-th {self.states} value of each {self.unit}'s journey in time "
            f"order{runs}; share = the journeys at that {self.states} at step k / all "
            f"{self.n_journeys:,} journeys; '{ENDED}' = the journeys with fewer than k steps, "
            "so every step's shares sum to 1.",
        )

    @property
    def conclusion(self) -> str:
        t = self.table
        at = t[t["state"] != ENDED].sort_values(["step", "n", "state"], ascending=[1, 0, 1])
        top = at[at["n"] > 0].groupby("step").head(1)
        first = top.iloc[0]
        parts = [
            f"{row.step} {row.state!r} ({whole_percent(row.share)})" for row in top.itertuples()
        ]
        ended = t[t["state"] == ENDED].set_index("step")["share"]
        half = ended[ended >= 0.5]
        step = half.index[0] if len(half) else ended.index[-1]  # half gone, or the last step
        gone = f"{whole_percent(ended[step])} of them have ended by step {step}"
        return (
            f"Of the {self.n_journeys:,} {self.unit} journeys, {whole_percent(first.share)} "
            f"start with {first.state!r}, and {gone}. The most frequent {self.states} at each "
            "step: " + ", ".join(parts) + "."
        )

    def plot(self, ax=None):
        """Heatmap of the shares, the states in journey order down (``ended`` last), the
        steps across, annotated with the share and the journeys."""
        runs = ", repeats collapsed" if self.collapse_repeats else ""
        return plots.step_heatmap(
            self.matrix,
            self._wide("n"),
            ax,
            title=f"Step matrix: where the {self.unit} journeys are at each step",
            xlabel=f"step (the k-th {self.states} of the journey{runs})",
            ylabel=f"{self.states} ('{ENDED}': fewer steps)",
        )


def step_matrix(
    events,
    *,
    max_steps: int = 10,
    unit: str = "customer",
    states: str = "event",
    collapse_repeats: bool = True,
) -> StepMatrix:
    """The share of journeys at each state (rows) by step number (columns 1..``max_steps``).

    A unit's journey is its states in time order (ties by state), a run of one state
    counted once when ``collapse_repeats``, as in :func:`top_paths` and
    :func:`sankey_data`; step k is its k-th state. The cell (state, k) is the share of all
    journeys whose k-th state is that state; the row ``'ended'`` holds the journeys with
    fewer than k states, so every column sums to 1 (the step matrix of retentioneering
    [1]_, with the ended journeys accumulated).

    Parameters
    ----------
    events : pandas.DataFrame or Ibis table
        Canonical events (:func:`journeykit.read_events`).
    max_steps : int
        The steps shown, a whole number from 1 to 50.
    unit, states, collapse_repeats
        As in :func:`sankey_data` (``unit='session'`` needs ``session_id``; no state may be
        called ``'ended'``).

    Returns
    -------
    StepMatrix
        ``table`` (= ``summary``): ``step, state, n, share``, every state at every step
        (zeros kept) and ``'ended'``; ``matrix`` (states down in journey order, as in
        :func:`transitions`, ``'ended'`` last; steps across); ``order``; ``conclusion``;
        ``plot()`` (heatmap).

    References
    ----------
    .. [1] Retentioneering: product analytics for event logs (step matrix).
       https://doc.retentioneering.com/stable/doc/user_guides/step_matrix.html

    Examples
    --------
    >>> ev = pd.DataFrame({"customer_id": list("aaab"), "event": ["view", "cart", "buy", "view"],
    ...     "timestamp": pd.to_datetime(["2024-01-01"] * 4, utc=True)
    ...                  + pd.to_timedelta([0, 1, 2, 0], unit="min")})
    >>> step_matrix(ev, max_steps=3).matrix
    step      1    2    3
    state
    view    1.0  0.0  0.0
    cart    0.0  0.5  0.0
    buy     0.0  0.0  0.5
    ended   0.0  0.5  0.5
    """
    max_steps = check_whole("max_steps", max_steps, minimum=1, maximum=MAX_PATH_STEPS)
    options = {"unit": unit, "states": states, "collapse_repeats": collapse_repeats}
    links, names = _step_links(events, max_steps=max_steps, **options)
    if ENDED in names:
        raise JourneyDataError(
            f"states={states!r}: a state is called {ENDED!r}, the name of the step matrix's "
            f"row of journeys that have ended; expected other names. Fix: rename that "
            f"{states} value (e.g. to '{ENDED}_event')."
        )
    links["from"] = _decode(links["source"], names)
    at = links.groupby(["rn", "from"], as_index=False)["n"].sum()
    # the journey order from the flows between the steps shown (start: the first steps)
    starts = at[at["rn"] == 1].assign(to=at["from"], **{"from": START})
    moves = links[links["target"] >= 0].assign(to=lambda f: _decode(f["target"], names).values)
    flow = pd.concat([starts, moves], ignore_index=True)
    flow = flow.groupby(["from", "to"], as_index=False)["n"].sum()
    order = [s for s in _journey_order(flow, states) if s in set(at["from"])]
    grid = pd.MultiIndex.from_product([range(1, max_steps + 1), order], names=["step", "state"])
    counts = at.rename(columns={"rn": "step", "from": "state"}).set_index(["step", "state"])
    table = counts["n"].reindex(grid, fill_value=0).reset_index()
    total = int(table.loc[table["step"] == 1, "n"].sum())
    at_step = table.groupby("step")["n"].sum()
    ended = pd.DataFrame({"step": at_step.index, "state": ENDED, "n": total - at_step.values})
    table = pd.concat([table, ended], ignore_index=True)
    table = table.astype({"step": "int64", "n": "int64", "state": object})
    table["share"] = table["n"] / total
    rank = {s: i for i, s in enumerate([*order, ENDED])}
    table = table.sort_values(
        ["step", "state"], key=lambda c: c.map(rank) if c.name == "state" else c
    )
    table = table.reset_index(drop=True)
    return StepMatrix(table, tuple(order), unit, states, max_steps, bool(collapse_repeats))


@dataclass(frozen=True, repr=False)
class ChannelMix(Result):
    """Which touchpoint channels appear at each stage."""

    table: pd.DataFrame
    per: str
    channel: str = "channel"
    title = "Channel mix"

    @property
    def notes(self) -> tuple[str, ...]:
        return (
            f"n_events and n_customers (distinct) per {self.per} and {self.channel}; share = "
            f"the {self.channel}'s events / all events with a {self.channel} at that "
            f"{self.per}.",
        )

    @property
    def conclusion(self) -> str:
        top = self.table.loc[self.table.groupby(self.per)["share"].idxmax()]
        rows = {row[self.per]: row for _, row in top.iterrows()}
        parts = [
            f"{value}: {rows[value][self.channel]} ({rows[value]['share']:.0%})"
            for value in self.order
        ]
        return f"The largest {self.channel} at each {self.per}: " + "; ".join(parts) + "."

    @property
    def order(self) -> list:
        """The ``per`` values in journey order for stages (:data:`journeykit.STAGES`), by
        name otherwise."""
        values = list(dict.fromkeys(self.table[self.per]))
        known = [s for s in STAGES if s in values] if self.per == "stage" else []
        return known + [v for v in values if v not in known]

    def plot(self, ax=None):
        """Stacked bars of the channel shares per group (stages in journey order)."""
        return plots.mix_bars(self.table, ax, by=self.per, channel=self.channel, order=self.order)


def channel_mix(events, *, per: str = "stage", channel: str = "channel") -> ChannelMix:
    """Touchpoint channels per stage (or any other column): events, customers and share.

    ``per`` is each *event's* own value (the stage of the event, not the value at the
    customer's first activity that ``by`` means elsewhere): the mix of channels in which
    each stage happens. ``per`` and ``channel`` are two different columns of the events;
    events missing either are left out.

    Parameters
    ----------
    events : pandas.DataFrame or Ibis table
        Canonical events (:func:`journeykit.read_events`).
    per : str
        The column whose values the mix is computed for (default ``'stage'``; see
        :func:`journeykit.map_stages`).
    channel : str
        The column holding the channel.

    Returns
    -------
    ChannelMix
        ``table`` (= ``summary``): ``per``, ``channel``, ``n_events``, ``n_customers``,
        ``share`` (of the group's events); ``order``; ``conclusion``; ``plot()``.

    Examples
    --------
    >>> ev = pd.DataFrame({"customer_id": list("aab"), "event": ["view", "buy", "view"],
    ...     "timestamp": pd.to_datetime(["2024-01-01"] * 3, utc=True),
    ...     "stage": ["awareness", "purchase", "awareness"],
    ...     "channel": ["seo", "email", "ads"]})
    >>> channel_mix(ev).table
           stage channel  n_events  n_customers  share
    0  awareness     ads         1            1    0.5
    1  awareness     seo         1            1    0.5
    2   purchase   email         1            1    1.0
    """
    require_events(events)
    fix = "pass a column of the events (stage: see journeykit.map_stages)."
    for param, column in (("per", per), ("channel", channel)):
        check_column(events, column, param=param, fix=fix)
        if column in ("n_events", "n_customers", "share"):
            raise JourneyDataError(
                f"{param}={column!r}: the name of a column channel_mix computes. Fix: rename "
                f"that column of the events (e.g. to '{column}_group')."
            )
    if per == channel:
        raise JourneyDataError(
            f"channel={channel!r}: the same column as per={per!r}; expected two different "
            "columns. Fix: pass per='stage' (or another column) and channel='channel'."
        )
    t = _engine.as_table(events)
    t = t.filter(t[per].notnull() & t[channel].notnull())
    counts = t.group_by([per, channel]).aggregate(
        n_events=t.count(), n_customers=t["customer_id"].nunique()
    )
    out = _engine.to_pandas(counts).astype({"n_events": "int64", "n_customers": "int64"})
    if out.empty:
        raise JourneyDataError(
            f"events: no event has both a {per} and a {channel} value, so there is no mix to "
            f"count. Fix: pass events with both columns filled in (stage: see "
            "journeykit.map_stages)."
        )
    for column in (per, channel):
        out[column] = out[column].astype(object)
    out["share"] = out["n_events"] / out.groupby(per)["n_events"].transform("sum")
    return ChannelMix(out.sort_values([per, channel], ignore_index=True), per, channel)
