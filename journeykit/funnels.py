"""Funnels: how many units get from one step of the journey to the next within a window.

How attempts are chosen (the rules of :func:`funnel`, written once here):

- ``step_order='strict'``: every event of step 1 starts an *attempt*. Later steps are
  matched greedily: step k is the unit's first step-k event at or after the time matched
  for step k-1 (events of other kinds may come between). Greedy earliest matching reaches
  as far as any other choice would. The attempt reaches step k when steps 2..k are all
  matched no later than ``window`` after its step-1 event (the edge counts).
- ``step_order='any'``: every event of any step starts an attempt; it reaches step k when
  each of steps 1..k occurs, in any order, between the attempt's start and ``window``
  after it.
- A unit counts once per step: it is *credited* with its furthest-reaching attempt, and
  among those with the earliest. Times between steps come from that attempt.
- ``exclude``: an exclusion event at or after the time matched for step i and before the
  time matched for step j voids the attempt from step j on (it still counts up to j-1).
- ``start``/``end``: attempts must start in [start, end); their later steps may fall after
  ``end``, so every attempt has its whole window.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import _engine, plots
from .breakdowns import attach, unit_groups
from .checks import (
    as_timedelta,
    check_choice,
    check_events_exist,
    check_level,
    check_present,
    event_names,
    known_events,
    require_events,
    start_end,
    suggest,
)
from .drilldown import pick
from .errors import JourneyDataError, JourneyWarning
from .events import STAGES
from .periods import DAY_US, FREQS, period_index, period_start
from .results import Result, in_words, period_label, wilson
from .units import UNITS, unit_column

DAY = pd.Timedelta(days=1)
STEP_ORDERS = ("strict", "any")
MAX_STEPS = 50  # _credited ranks attempts by reach * 10**17 in an int64
QUARTILES = {"time_q1_days": 0.25, "time_median_days": 0.5, "time_q3_days": 0.75}
#: The columns of a funnel's table after the ``by`` columns.
TABLE_COLUMNS = (
    "step_number",
    "step",
    "n",
    "conversion",
    "conversion_ci_low",
    "conversion_ci_high",
    "step_conversion",
    "step_conversion_ci_low",
    "step_conversion_ci_high",
    "n_dropped",
    "drop_off",
    *QUARTILES,
)
#: The columns of :func:`time_to_convert`'s table after the ``by`` columns.
TIME_COLUMNS = (
    "n",
    "time_mean_days",
    "time_q1_days",
    "time_median_days",
    "time_q3_days",
    "time_p90_days",
    "time_max_days",
)
#: Every column a funnel computes, which a ``by`` column may not be called.
RESERVED = (
    *TABLE_COLUMNS,
    *TIME_COLUMNS,
    *("time_days", "previous", "first", "reach", "start"),
    *(f"{c}{k}" for c in "nqt" for k in range(1, MAX_STEPS + 1)),
)
KEPT = 8  # attempt sets and breakdowns that funnel_runner keeps in memory


def _spread(table: pd.DataFrame, by, column: str) -> str:
    """' By channel: from 3.1% (ads) to 9.0% (seo).' for the last step of each group."""
    if not by:
        return ""
    last = table[table["step_number"] == table["step_number"].max()].dropna(subset=[column])
    if len(last) < 2:
        return ""
    low, high = last.loc[last[column].idxmin()], last.loc[last[column].idxmax()]

    def name(row) -> str:
        return ", ".join(str(row[b]) for b in by)

    return (
        f" By {', '.join(by)}: from {low[column]:.1%} ({name(low)}) to {high[column]:.1%} "
        f"({name(high)})."
    )


@dataclass(frozen=True, repr=False)
class Funnel(Result):
    """Units reaching each step of a funnel, with conversion, drop-off and timing."""

    table: pd.DataFrame
    tests: pd.DataFrame
    steps: tuple[str, ...]
    window: pd.Timedelta
    step_order: str
    unit: str
    by: tuple[str, ...] = ()
    #: the lazy per-unit table (unit, reach, by columns) behind :meth:`units`
    reached: object = field(default=None, repr=False, compare=False)
    title = "Funnel"

    def units(self, step, *, dropped: bool = False, min_n=None, **by) -> pd.DataFrame:
        """The units behind a step: those that reached ``step`` (its number, from 1, or its
        label), or with ``dropped=True`` those that reached it and not the next one (the
        drop-off after it); ``by`` values pick a group (``channel='email'``). One row per
        unit: its id column, ``reach`` (the last step reached) and the ``by`` columns, sorted
        by id; ``min_n``: raise when there are fewer (the suppress_small rule).

        >>> import journeykit as jk
        >>> res = jk.funnel(jk.load_webshop(), ["product_view", "add_to_cart", "purchase"])
        >>> lost = res.units("add_to_cart", dropped=True)
        >>> bool(len(lost) == res.table.loc[2, "n_dropped"])
        True
        """
        k = self._step_number(step)
        if dropped and k == len(self.steps):
            raise JourneyDataError(
                f"units: step={step!r} is the last step, so nobody drops off after it. Fix: "
                "pass an earlier step, or dropped=False for those who reached it."
            )
        per = self.reached
        keep = per["reach"] == k if dropped else per["reach"] >= k
        frame = _engine.to_pandas(per.filter(keep).order_by(UNITS[self.unit]))
        return pick(frame, by, where="units", min_n=min_n)

    def _step_number(self, step) -> int:
        if isinstance(step, str):
            if step not in self.steps:
                raise JourneyDataError(
                    f"units: step={step!r}: not a step of this funnel; its steps are "
                    f"{list(self.steps)}. Fix: pass one of them or its number (1 to "
                    f"{len(self.steps)})."
                )
            return self.steps.index(step) + 1
        if isinstance(step, bool) or not isinstance(step, (int, np.integer)):
            raise JourneyDataError(
                f"units: step={step!r}: expected a step number (1 to {len(self.steps)}) or a "
                f"step label; got {type(step).__name__}. Fix: pass e.g. step=2."
            )
        if not 1 <= step <= len(self.steps):
            raise JourneyDataError(
                f"units: step={step}: expected 1 to {len(self.steps)}. Fix: pass a step "
                "number within the funnel."
            )
        return int(step)

    @property
    def notes(self) -> tuple[str, ...]:
        since = "the previous step" if self.step_order == "strict" else "the attempt's start"
        return (
            f"step_order={self.step_order!r}, window {in_words(self.window / DAY)}: a "
            f"{self.unit} counts once "
            "per step, credited with its furthest-reaching attempt (see journeykit.funnels).",
            "conversion = n / n at step 1; step_conversion = n / n at the previous step, with "
            "Wilson score intervals; n_dropped = previous n - n; drop_off = 1 - "
            "step_conversion.",
            f"time_q1_days, time_median_days, time_q3_days: quartiles of the days since {since}"
            "; tests: Pearson's chi-square per step across the by groups.",
        )

    @property
    def conclusion(self) -> str:
        totals = self.table.groupby("step_number")["n"].sum()
        first, last = int(totals.iloc[0]), int(totals.iloc[-1])
        text = (
            f"Of the {first:,} {self.unit}s who reached {self.steps[0]!r}, {last:,} "
            f"({last / first:.1%}) reached {self.steps[-1]!r} within "
            f"{in_words(self.window / pd.Timedelta(days=1))}."
        )
        steps = (totals / totals.shift(1)).iloc[1:].dropna()
        if len(steps):
            k = steps.idxmin()
            text += (
                f" The largest loss is from {self.steps[k - 2]!r} to {self.steps[k - 1]!r}: "
                f"{1 - steps[k]:.0%} of the {self.unit}s dropped off there."
            )
        return text + _spread(self.table, self.by, "conversion")

    def plot(self, ax=None):
        """Bar funnel (the conversion of every ``by`` group side by side when broken down)."""
        window = in_words(self.window / DAY)
        by = f" by {', '.join(self.by)}" if self.by else ""
        title = f"Funnel ({self.step_order} order, {window} window){by}"
        return plots.funnel_bars(self.table, ax, by=list(self.by), unit=self.unit, title=title)


def _as_steps(steps, params=None) -> list[tuple[str, ...]]:
    """``steps`` as tuples of names; ``params`` names each step's parameter in messages
    (default: ``steps``)."""
    expected = (
        "Fix: pass a list of at least two steps, each an event name or a set of names, "
        "e.g. ['product_view', 'add_to_cart', {'ideal_paid', 'card_paid'}]."
    )
    if isinstance(steps, (str, bytes)) or not hasattr(steps, "__iter__"):
        raise JourneyDataError(f"steps={steps!r}: expected a list of steps. {expected}")
    out = []
    for k, step in enumerate(steps, 1):
        names = (step,) if isinstance(step, str) else step
        if not hasattr(names, "__iter__") or not all(isinstance(n, str) for n in names):
            raise JourneyDataError(
                f"{_param(params, k)}: step {step!r} is not a name or set of names. {expected}"
            )
        names = tuple(sorted(set(names)))
        if not names:
            raise JourneyDataError(f"{_param(params, k)}: a step is empty. {expected}")
        out.append(names)
    if not 2 <= len(out) <= MAX_STEPS:
        raise JourneyDataError(
            f"steps: got {len(out)} step(s), a funnel needs 2 to {MAX_STEPS}. {expected}"
        )
    seen: dict[str, int] = {}
    for k, names in enumerate(out, 1):
        for name in names:
            if name in seen:
                raise JourneyDataError(
                    f"{_param(params, k)}: {name!r} is in step {seen[name]} and step {k}. "
                    "Fix: name each event in one step only."
                )
            seen[name] = k
    return out


def _param(params, k: int) -> str:
    """The parameter that holds step ``k`` (1-based)."""
    return "steps" if params is None else params[k - 1]


def _resolve(t, steps, exclude, params=None) -> str:
    """The column the step names live in ('event', or 'stage' for journey stages)."""
    names = [n for step in steps for n in step]
    events = known_events(t)
    column, known = "event", events
    if "stage" in t.columns and not set(names) <= set(events):
        stages = _engine.distinct(t, "stage")
        if set(names) <= set(stages):
            column, known = "stage", stages
    for k, step in enumerate(steps, 1):
        for name in step:
            if name not in known:
                kind = "an event or stage" if "stage" in t.columns else "an event"
                raise JourneyDataError(
                    f"{_param(params, k)}: {name!r} is not {kind} in the data. "
                    f"{suggest(name, known)} Known events: {', '.join(events)}. "
                    "Fix: use names from that list."
                )
    for names_x, _ in exclude:
        check_events_exist(t, names_x, param="exclude", known=events)
    return column


def _as_exclude(exclude, n_steps: int, step_order: str) -> list[tuple[tuple[str, ...], tuple]]:
    """``{names: (i, j)}`` or ``{names: [i, j]}`` (1-based steps), a list of ``[names, i, j]``
    (the JSON/YAML form: names one event or a list of them), or names (between step 1 and
    the last step)."""
    if exclude is None:
        return []
    if step_order != "strict":
        raise JourneyDataError(
            "exclude: exclusions are defined between matched steps, which needs "
            "step_order='strict'. Fix: pass step_order='strict' or drop exclude."
        )
    example = (
        f"e.g. exclude={{'cart_emptied': (2, 3)}} or [['cart_emptied', 2, 3]] (steps i < j, "
        f"1 <= i < j <= {n_steps})"
    )
    if isinstance(exclude, dict):
        pairs = list(exclude.items())
    elif isinstance(exclude, (list, tuple)) and any(not isinstance(x, str) for x in exclude):
        pairs = []
        for item in exclude:
            if not (isinstance(item, (list, tuple)) and len(item) == 3):
                raise JourneyDataError(
                    f"exclude: {item!r} is not an [event, i, j] triple (the list form of "
                    f"exclude). Fix: {example}."
                )
            names = tuple(item[0]) if isinstance(item[0], (list, tuple)) else item[0]
            pairs.append((names, tuple(item[1:])))
    else:
        pairs = [(tuple(event_names(exclude, param="exclude")), (1, n_steps))]
    out = []
    for names, between in pairs:
        names = tuple(sorted(event_names(names, param="exclude")))
        ok = (
            isinstance(between, (tuple, list))
            and len(between) == 2
            and all(isinstance(b, (int, np.integer)) and not isinstance(b, bool) for b in between)
            and 1 <= between[0] < between[1] <= n_steps
        )
        if not ok:
            raise JourneyDataError(
                f"exclude: {between!r} for {names!r} is not a pair of step numbers (i, j) "
                f"with 1 <= i < j <= {n_steps}. Fix: {example}."
            )
        out.append((names, (int(between[0]), int(between[1]))))
    return out


def _strict_attempts(at, x_at, exclude, end):
    """One row per attempt: unit, reach and t1..tn, the greedy matches *ignoring the
    window* (:func:`_within` applies it, so one set of attempts serves every window). Read
    the times up to ``reach``; the one after may be the match an exclusion voided, later
    ones are null. ``at[k - 1]``: the events (unit, timestamp) of step k; ``x_at[m]``:
    those of exclusion m."""
    import ibis

    n = len(at)
    a = at[0]
    if end is not None:
        a = a.filter(a["timestamp"] < end.to_pydatetime())
    a = a.select("unit", t1="timestamp")
    times = [f"t{k}" for k in range(1, n + 1)]
    stopped = []
    for k in range(1, n + 1):
        if k > 1:  # greedy: the first step-k event at or after the time matched for k-1
            a = _engine.next_time(a, f"t{k - 1}", at[k - 1], f"t{k}")
            stop = a[f"t{k}"].isnull()
            for m, (_, (_i, j)) in enumerate(exclude):
                if j == k:
                    stop |= a[f"x{m}"].notnull() & (a[f"x{m}"] < a[f"t{k}"])
            stop = stop.fill_null(True)
            if k == n:
                a = a.select("unit", *times, reach=(n - stop.cast("int64")).cast("int64"))
                break
            # only attempts still going are matched further: fewer rows at each step
            a = a.mutate(stop=stop)
            out = a.filter(a["stop"])
            nulls = {c: ibis.null().cast(out["t1"].type()) for c in times[k:]}
            stopped.append(
                out.select("unit", *times[:k], **nulls, reach=ibis.literal(k - 1, "int64"))
            )
            a = a.filter(~a["stop"]).drop("stop")
        for m, (_, (i, _j)) in enumerate(exclude):
            if i == k:  # the exclusion clock starts at the time matched for step i
                a = _engine.next_time(a, f"t{k}", x_at[m], f"x{m}")
    for part in stopped:
        a = a.union(part)
    return a


def _within(a, n: int, step_order: str, window):
    """Attempts with ``reach`` cut to the leading steps matched no later than ``window``
    after the attempt's start (t1 for strict order)."""
    import ibis

    backend = _engine.backend_name(a)
    # in integer microseconds: DuckDB adds an interval to a TIMESTAMPTZ through ICU, which
    # took 0.8 s per comparison on 4M attempts
    width = window // pd.Timedelta(microseconds=1)
    start = _engine.epoch_us(a["t1" if step_order == "strict" else "start"], backend)
    ok, reach = ibis.literal(True), ibis.literal(0, "int64")
    for k in range(1, n + 1):
        inside = (_engine.epoch_us(a[f"t{k}"], backend) - start <= width).fill_null(False)
        ok &= (a["reach"] >= k) & inside
        reach += ok.cast("int64")
    return a.mutate(reach=reach)


def _any_attempts(e, n: int, end):
    """One row per event of any step, an attempt starting there: unit, start, reach and
    t1..tn, the first time of each step at or after the start, *ignoring the window*
    (:func:`_within` applies it); reach: the leading steps that occur at all."""
    import ibis

    w = ibis.window(group_by="unit", order_by="timestamp", range=(0, None))
    firsts = {f"t{k}": e["timestamp"].min(where=e["s"] == k).over(w) for k in range(1, n + 1)}
    a = e.mutate(**firsts)
    if end is not None:
        a = a.filter(a["timestamp"] < end.to_pydatetime())
    ok, reach = ibis.literal(True), ibis.literal(0)
    for k in range(1, n + 1):
        ok &= a[f"t{k}"].notnull()
        reach = reach + ok.cast("int64")
    return a.select("unit", *firsts, start="timestamp", reach=reach)


def _credited(a, n: int, step_order: str, window, keys=()):
    """Per unit (and ``keys``): its furthest-reaching attempt within ``window``, the
    earliest among equals."""
    a = _within(a, n, step_order, window)
    first = "t1" if step_order == "strict" else "start"
    # one sortable integer, furthest reach first and then earliest start, so a single
    # aggregation picks the attempt (a join back to the best reach took 2 s on 1M units);
    # epoch microseconds of any date in years 1000-5000 are below 10**17 in size
    backend = _engine.backend_name(a)
    rank = _engine.epoch_us(a[first], backend) - a["reach"] * 10**17
    times = [f"t{k}" for k in range(1, n + 1)]
    extra = [first] if step_order == "any" else []
    picked = {c: _engine.arg_min(a[c], rank, backend) for c in [*extra, *times]}
    return a.group_by(["unit", *keys]).aggregate(reach=a["reach"].max(), **picked)


def _attempts(t, steps, *, step_order, exclude, unit, start, end, params=None):
    """The attempts (rules in the module docstring) as a lazy Ibis table, with the step
    labels: per attempt ``unit``, ``reach`` and ``t1``..``tn``
    (``start`` too for ``step_order='any'``). The matching ignores the window (so its attempts
    serve every window, see :func:`funnel_runner`); :func:`_credited` applies it. ``params``
    names each step's parameter in messages (:func:`time_to_convert`)."""
    import ibis

    check_choice("step_order", step_order, STEP_ORDERS)
    require_events(t)
    key = unit_column(t, unit)
    steps = _as_steps(steps, params)
    exclude = _as_exclude(exclude, len(steps), step_order)
    start, end = start_end(start, end)
    column = _resolve(t, steps, exclude, params)
    keep = t[key].notnull()
    if start is not None:
        keep &= t["timestamp"] >= start.to_pydatetime()
    labels = [" | ".join(names) for names in steps]
    if step_order == "strict":
        # each step's events as its own query on the events: sharing one filtered table
        # makes it a materialized CTE (on 10M events 0.3 s slower and 300 MB more memory)
        def rows(column, names):
            r = t.filter(keep & t[column].isin(list(names)))
            return r.select(unit=r[key], timestamp=r["timestamp"])

        at = [rows(column, names) for names in steps]
        x_at = [rows("event", names) for names, _ in exclude]
        return _strict_attempts(at, x_at, exclude, end), labels
    wanted = sorted({name for names in steps for name in names})
    e = t.filter(keep & t[column].isin(wanted))
    s = ibis.cases(*((e[column].isin(list(names)), k) for k, names in enumerate(steps, 1)))
    e = e.select(unit=e[key], timestamp=e["timestamp"], s=s)
    return _any_attempts(e, len(steps), end), labels


def _reached(
    events,
    steps,
    *,
    window="30D",
    step_order="strict",
    unit="customer",
    exclude=None,
    start=None,
    end=None,
    params=None,
):
    """Per unit (its own column name): how far it got (``reach``) and the times of its
    credited attempt (``t1``..``tn``; ``start`` too for ``step_order='any'``), as a lazy Ibis
    table, with the step labels and the window. The building block of
    :func:`time_to_convert`; ``params`` names each step's parameter in messages."""
    t = _engine.as_table(events)
    window = as_timedelta(window, param="window")
    options = {"exclude": exclude, "start": start, "end": end, "params": params}
    a, labels = _attempts(t, steps, step_order=step_order, unit=unit, **options)
    per = _credited(a, len(labels), step_order, window)
    return per.rename({unit_column(t, unit): "unit"}), labels, window


def funnel(
    events,
    steps,
    *,
    window="30D",
    step_order: str = "strict",
    exclude=None,
    by=None,
    unit: str = "customer",
    start=None,
    end=None,
    level: float = 0.95,
) -> Funnel:
    """Conversion through ordered steps within a window, per step and ``by`` group.

    Definitions (the rules in full: ``help(journeykit.funnels)``): an *attempt* starts at
    every event of step 1 (``step_order='strict'``; at every event of any step for
    ``'any'``); later steps are matched greedily, each to the first such event at or after
    the previous step's, and count when they come within ``window`` of the attempt's
    start. A unit is *credited* with its furthest-reaching attempt (the earliest among
    equals) and counts once per step it reached.

    Parameters
    ----------
    events : pandas.DataFrame or Ibis table
        Canonical events (from :func:`read_events`).
    steps : list
        Event names, or sets of names any of which counts (``{'ideal_paid', 'card_paid'}``),
        or journey stages when the events carry a ``stage`` column; 2 to 50 steps.
    window : str or Timedelta
        Every step must come within ``window`` of the attempt's start (the edge counts): a
        finite duration with a unit (``'30D'``, ``'12h'``); a bare number raises.
    step_order : {'strict', 'any'}
        Steps in sequence (other events may come between), or in any order.
    exclude : dict, list or names, optional
        ``{'cart_emptied': (2, 3)}``: that event between steps 2 and 3 voids the attempt
        from step 3 on. The same as plain JSON/YAML: ``{'cart_emptied': [2, 3]}`` or a list
        of ``[event, i, j]`` triples, ``[['cart_emptied', 2, 3]]`` (the event may be a list
        of names). Plain names apply between step 1 and the last step. Unknown event names
        raise. Needs ``step_order='strict'``.
    by : str, list or DataFrame, optional
        Breakdown: event columns take their value at the unit's first event (so
        ``'channel'`` is the acquisition channel; ties at that instant: the smallest
        value); a DataFrame with the unit's column supplies attributes such as persona, one
        row per unit. Units with a missing value, or absent from the frame, are left out
        with a JourneyWarning giving their number (a missing value is never a group).
    unit : {'customer', 'session', 'account'}
        Who converts: customers, sessions (see :func:`sessionize`) or B2B accounts.
    start, end : date, optional
        Attempts must start in [start, end); ``end`` must lie after ``start``, and some
        unit must have a step-1 event in between (a JourneyDataError otherwise).
    level : float
        Confidence level of the Wilson intervals, strictly between 0 and 1.

    Returns
    -------
    Funnel
        ``table`` (= ``summary``): per group and step ``[by], step_number, step, n,
        conversion`` (from step 1) and ``step_conversion`` (from the previous step) with
        their ``_ci_low``/``_ci_high`` Wilson intervals, ``n_dropped`` (previous n - n),
        ``drop_off`` (1 - step_conversion) and ``time_q1_days``, ``time_median_days``,
        ``time_q3_days`` (quartiles of the days since the previous step, since the start
        for ``'any'``); ``tests``: per step from 2 on, Pearson's chi-square test of equal
        step conversion across the ``by`` groups (``statistic``, ``dof``, ``p_value``;
        Yates' correction for two groups, as R's ``chisq.test``); ``conclusion``;
        ``plot()``.

    References
    ----------
    .. [1] Wilson, E. B. (1927). Probable inference, the law of succession, and
       statistical inference. Journal of the American Statistical Association 22(158),
       209-212.
    .. [2] Pearson, K. (1900). On the criterion that a given system of deviations from the
       probable in the case of a correlated system of variables is such that it can be
       reasonably supposed to have arisen from random sampling. Philosophical Magazine,
       series 5, 50(302), 157-175; Agresti, A. (2013). Categorical Data Analysis, 3rd ed.
       Wiley, section 3.2 (the chi-square test of independence).
    .. [3] Yates, F. (1934). Contingency tables involving small numbers and the chi-square
       test. Supplement to the Journal of the Royal Statistical Society 1(2), 217-235.
    .. [4] Hyndman, R. J. & Fan, Y. (1996). Sample quantiles in statistical packages. The
       American Statistician 50(4), 361-365 (the quartiles: type 7, linear interpolation).

    Examples
    --------
    >>> ev = pd.DataFrame({"customer_id": ["a", "a", "a", "b", "b", "c"],
    ...     "event": ["view", "cart", "buy", "view", "cart", "view"],
    ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-20",
    ...         "2024-01-01", "2024-01-03", "2024-01-05"], utc=True)})
    >>> res = funnel(ev, ["view", "cart", "buy"], window="7D")
    >>> res.table[["step", "n", "conversion", "time_median_days"]]
       step  n  conversion  time_median_days
    0  view  3    1.000000               NaN
    1  cart  2    0.666667               1.5
    2   buy  0    0.000000               NaN
    """
    level = check_level("level", level)
    t = _engine.as_table(events)  # one table (one memtable for pandas input) for every query
    options = {"step_order": step_order, "exclude": exclude, "unit": unit}
    window = as_timedelta(window, param="window")
    attempts, labels = _attempts(t, steps, start=start, end=end, **options)
    groups, names = unit_groups(t, unit_column(t, unit), by, reserved=RESERVED)
    dated = _dated(start, end)
    return _count(attempts, labels, window, step_order, unit, groups, names, level, dated)


def _dated(start, end) -> str:
    """How ``start`` and ``end`` limit the attempts, for messages ('' without them)."""
    if start is None and end is None:
        return ""
    return f" starting in [start={start!r}, end={end!r})"


def _count(attempts, labels, window, step_order, unit, groups, names, level, dated) -> Funnel:
    """The :class:`Funnel` of ``attempts`` (from :func:`_attempts`) within ``window``, per
    ``by`` group (``groups``, ``names`` from ``unit_groups``); ``dated`` from :func:`_dated`."""
    key = UNITS[unit]
    per = _credited(attempts, len(labels), step_order, window).rename({key: "unit"})
    if groups is not None:
        per = attach(per, groups, key)
    n = len(labels)
    aggs = {f"n{k}": (per["reach"] >= k).cast("int64").sum() for k in range(1, n + 1)}
    strict = step_order == "strict"
    since = {k: per[f"t{k - 1}"] if strict else per["start"] for k in range(2, n + 1)}
    backend = _engine.backend_name(per)
    for k in range(2, n + 1):
        micros = _engine.epoch_us(per[f"t{k}"], backend) - _engine.epoch_us(since[k], backend)
        seconds = micros / 1_000_000  # the three quartiles as one aggregate (one sort)
        aggs[f"q{k}"] = seconds.quantile(list(QUARTILES.values()), where=per["reach"] >= k)
    counts = per.group_by(names).aggregate(**aggs) if names else per.aggregate(**aggs)
    counts = _engine.to_pandas(counts)
    if not counts["n1"].fillna(0).sum():  # no attempt: no rows, or one of nulls
        raise JourneyDataError(
            f"steps: no {unit} has an event of the first step ({labels[0]!r}){dated}, so "
            "there is no funnel to count. Fix: check the first step"
            + (" and the dates (start, end)." if dated else ".")
        )
    if names:
        counts = counts.sort_values(names, ignore_index=True)
    rows = []
    for _, row in counts.iterrows():
        for k, label in enumerate(labels, 1):
            item = {**{c: row[c] for c in names}, "step_number": k, "step": label}
            item["n"] = int(row[f"n{k}"])
            item["previous"] = int(row[f"n{k - 1}"]) if k > 1 else item["n"]
            item["first"] = int(row["n1"])
            values = row.get(f"q{k}")
            values = [np.nan] * len(QUARTILES) if values is None else values
            for name, value in zip(QUARTILES, values):
                item[name] = value / 86_400 if pd.notna(value) else np.nan
            rows.append(item)
    table = pd.DataFrame(rows)
    for out, den in (("conversion", "first"), ("step_conversion", "previous")):
        table[out] = table["n"] / table[den].where(table[den] > 0)
        table[f"{out}_ci_low"], table[f"{out}_ci_high"] = wilson(table["n"], table[den], level)
    table["n_dropped"] = table["previous"] - table["n"]
    table["drop_off"] = 1 - table["step_conversion"]
    table[list(QUARTILES)] = table[list(QUARTILES)].astype(float)
    tests = _chi_square(table, names)
    table = table[[*names, *TABLE_COLUMNS]]
    reached = per.select(key, "reach", *names)
    return Funnel(table, tests, tuple(labels), window, step_order, unit, tuple(names), reached)


def _chi_square(table: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Per step from 2 on: is the step conversion the same in every ``by`` group?"""
    from scipy.stats import chi2_contingency

    columns = ["step_number", "step", "statistic", "dof", "p_value"]
    if not names:
        return pd.DataFrame(columns=columns)
    rows = []
    for (k, label), part in table[table["step_number"] > 1].groupby(["step_number", "step"]):
        part = part[part["previous"] > 0]
        observed = np.c_[part["n"], part["previous"] - part["n"]]
        observed = observed[:, observed.sum(axis=0) > 0]
        if len(part) < 2 or observed.shape[1] < 2:
            rows.append({"step_number": k, "step": label, "statistic": np.nan, "dof": 0})
            continue
        # R's chisq.test: Yates' correction for 2x2 tables only (scipy's default too)
        stat, p, dof, expected = chi2_contingency(observed)
        if (expected < 5).any():
            warnings.warn(
                f"funnel: step {label!r} has expected counts below 5 in some by group; the "
                "chi-square p-value is approximate. Merge small groups for a reliable test.",
                JourneyWarning,
                stacklevel=4,
            )
        rows.append({"step_number": k, "step": label, "statistic": stat, "dof": dof, "p_value": p})
    return pd.DataFrame(rows, columns=columns)


def funnel_runner(events):
    """:func:`funnel` for repeated calls on one table (the engine of
    :func:`journeykit.widgets.funnel_explorer`).

    What does not depend on the window is computed once and kept in memory
    (``_engine.keep``): the attempts per (steps, step_order, unit) and the breakdown per
    (by, unit), so a new window only credits the kept attempts. A DataFrame ``by`` is told
    apart by its columns. The last ``KEPT`` of these are kept, so memory stays bounded.
    Same rules and results as :func:`funnel` (95% intervals).

    Parameters
    ----------
    events : pandas.DataFrame or Ibis table
        Canonical events (:func:`journeykit.read_events`).

    Returns
    -------
    callable
        ``run(steps, *, window, step_order, unit, by=None)`` returning a :class:`Funnel`.

    References
    ----------
    .. [1] Wilson, E. B. (1927). Probable inference, the law of succession, and
       statistical inference. Journal of the American Statistical Association 22(158),
       209-212.
    .. [2] Agresti, A. (2013). Categorical Data Analysis, 3rd ed. Wiley, section 3.2
       (Pearson's chi-square test across the ``by`` groups).

    Examples
    --------
    >>> ev = pd.DataFrame({"customer_id": ["a", "a", "b", "b"],
    ...     "event": ["view", "cart", "view", "cart"],
    ...     "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 16:00",
    ...         "2024-01-02 10:00", "2024-01-04 10:00"], utc=True)})
    >>> run = funnel_runner(ev)
    >>> [run(["view", "cart"], window=w, step_order="strict", unit="customer").table["n"].tolist()
    ...  for w in ("1D", "3D")]
    [[2, 1], [2, 2]]
    """
    t = _engine.as_table(events)
    kept: dict = {}

    def keep(key, make):
        if key not in kept:
            if len(kept) == KEPT:
                kept.pop(next(iter(kept)))  # the one computed first
            kept[key] = make()
        return kept[key]

    def attempts(steps, step_order, unit):
        options = {"exclude": None, "start": None, "end": None}
        a, labels = _attempts(t, steps, step_order=step_order, unit=unit, **options)
        return _engine.keep(a), labels

    def groups(unit, by):
        table, names = unit_groups(t, unit_column(t, unit), by, reserved=RESERVED)
        return (None if table is None else _engine.keep(table)), names

    def run(steps, *, window, step_order, unit, by=None):
        window = as_timedelta(window, param="window")
        key = ("steps", tuple(_as_steps(steps)), step_order, unit)  # a step may be a list
        a, labels = keep(key, lambda: attempts(steps, step_order, unit))
        by_key = tuple(by.columns) if isinstance(by, pd.DataFrame) else by
        table, names = keep(("by", by_key, unit), lambda: groups(unit, by))
        return _count(a, labels, window, step_order, unit, table, names, 0.95, "")

    return run


OPEN_WINDOWS = ("exclude", "include")


@dataclass(frozen=True, repr=False)
class FunnelTrend(Result):
    """Funnel conversion per period of the attempts' start (see :func:`funnel_trend`)."""

    table: pd.DataFrame
    periods: pd.DataFrame
    steps: tuple[str, ...]
    window: pd.Timedelta
    freq: str
    open_windows: str
    unit: str = "customer"
    title = "Funnel conversion over time"
    first = ("period", "n", "n_converted", "conversion", "n_open")

    @property
    def summary(self) -> pd.DataFrame:
        return self.periods

    def to_frame(self) -> pd.DataFrame:
        """Every period and step, one row each (a copy)."""
        return self.table.copy()

    @property
    def notes(self) -> tuple[str, ...]:
        word = plots.PERIOD_WORDS[self.freq]
        left_out = (
            "left out (n_open counts the units that had only such attempts in the period)"
            if self.open_windows == "exclude"
            else "included (their conversion may still rise)"
        )
        return (
            f"per UTC {word} of the attempt's start: n = {self.unit}s with an attempt "
            f"starting in it, each credited with its furthest-reaching attempt of the {word}; "
            f"conversion = reached the last step ({self.steps[-1]!r}) within "
            f"{in_words(self.window / DAY)} / n, with Wilson intervals.",
            f"attempts whose window ({in_words(self.window / DAY)}) had not ended by the last "
            f"event of the data are {left_out}.",
        )

    @property
    def conclusion(self) -> str:
        """The first and last periods' conversion, and the open attempts left out."""
        rows = self.periods[self.periods["n"] > 0]
        if rows.empty:
            return "No attempt has a closed window yet, so there is no conversion to report."
        first, last = rows.iloc[0], rows.iloc[-1]
        word = plots.PERIOD_WORDS[self.freq]

        def when(start) -> str:  # 'in 2024-02', 'in the week of 2024-01-29', 'on 2024-01-29'
            if self.freq in ("W", "D"):
                return f"{'on' if self.freq == 'D' else 'in the week of'} {start:%Y-%m-%d}"
            return f"in {period_label(start, self.freq)}"

        text = (
            f"Conversion to {self.steps[-1]!r} went from {first['conversion']:.1%} "
            f"({first['conversion_ci_low']:.1%} to {first['conversion_ci_high']:.1%}) "
            f"{when(first['period'])} to {last['conversion']:.1%} "
            f"({last['conversion_ci_low']:.1%} to {last['conversion_ci_high']:.1%}) "
            f"{when(last['period'])}."
        )
        n_open = int(self.periods["n_open"].sum())
        if n_open and self.open_windows == "exclude":
            text += (
                f" {n_open:,} {self.unit}-{word}s whose attempts were still inside their "
                "window at the end of the data are left out."
            )
        return text

    def plot(self, ax=None):
        """Conversion per period with its Wilson interval."""
        return plots.conversion_trend(
            self.periods, ax, freq=self.freq, title=f"Conversion to {self.steps[-1]!r} over time"
        )


def funnel_trend(
    events,
    steps,
    *,
    freq: str = "W",
    window="30D",
    step_order: str = "strict",
    exclude=None,
    unit: str = "customer",
    start=None,
    end=None,
    open_windows: str = "exclude",
    level: float = 0.95,
) -> FunnelTrend:
    """Funnel conversion per period: of the units that started an attempt in a week or
    month, how many got through, and is it changing.

    The attempts and their matching are :func:`funnel`'s (``help(journeykit.funnels)``).
    Per UTC calendar period of ``freq`` (weeks from Monday) of an attempt's start (its
    step-1 event; its first event for ``step_order='any'``), each unit is credited with its
    furthest-reaching attempt among those starting in that period, so a unit counts once
    per period it entered in. ``n`` counts them and ``n_k`` those reaching step k;
    ``conversion`` = reached the last step / ``n``, with a Wilson interval.

    An attempt is **open** when its window has not ended by the last event of the data
    (start + ``window`` after it): it may still convert. With
    ``open_windows='exclude'`` (default) open attempts are left out, so the last periods
    are not biased downwards by attempts that had no time yet; ``n_open`` counts the units
    whose attempts in the period were all open. ``'include'`` counts them as they stand.

    Parameters
    ----------
    events : pandas.DataFrame or Ibis table
        Canonical events (from :func:`read_events`).
    steps : list
        As for :func:`funnel`.
    freq : {'D', 'W', 'M', 'Q', 'Y'}
        The period of the attempts' start.
    window : str or Timedelta
        Every step must come within ``window`` of the attempt's start.
    step_order, exclude, unit, start, end
        As for :func:`funnel`.
    open_windows : {'exclude', 'include'}
        Leave attempts whose window is still open out of the rate, or count them.
    level : float
        Confidence level of the Wilson intervals.

    Returns
    -------
    FunnelTrend
        ``periods`` (= ``summary``): ``period, n, n_converted, conversion`` with
        ``conversion_ci_low``/``_ci_high``, ``n_open``; ``table``: per period and step
        ``step_number, step, n, conversion`` (from step 1) with intervals; ``plot()``.

    References
    ----------
    .. [1] Wilson, E. B. (1927). Probable inference, the law of succession, and
       statistical inference. Journal of the American Statistical Association 22(158),
       209-212.

    Examples
    --------
    >>> ev = pd.DataFrame({"customer_id": ["a", "a", "b", "c", "c"],
    ...     "event": ["view", "buy", "view", "view", "buy"],
    ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03",
    ...         "2024-01-20", "2024-01-21"], utc=True)})
    >>> res = funnel_trend(ev, ["view", "buy"], window="7D")
    >>> res.periods[["period", "n", "n_converted", "conversion", "n_open"]]
                         period  n  n_converted  conversion  n_open
    0 2024-01-01 00:00:00+00:00  2            1         0.5       0
    1 2024-01-15 00:00:00+00:00  0            0         NaN       1
    """
    level = check_level("level", level)
    check_choice("freq", freq, FREQS)
    check_choice("open_windows", open_windows, OPEN_WINDOWS)
    t = _engine.as_table(events)
    window = as_timedelta(window, param="window")
    options = {"step_order": step_order, "exclude": exclude, "unit": unit}
    attempts, labels = _attempts(t, steps, start=start, end=end, **options)
    last = _engine.to_pandas(t.aggregate(last=t["timestamp"].max()))["last"].iloc[0]
    first = "t1" if step_order == "strict" else "start"
    a = attempts.mutate(timestamp=attempts[first])
    a = a.mutate(period=period_index(a, freq)).drop("timestamp")
    if _engine.backend_name(a) == "duckdb":  # matched once for both queries below
        a = _engine.keep(a)
    closed = a[first] <= (last - window).to_pydatetime()
    entered = a.group_by(["unit", "period"]).aggregate(closed=closed.cast("int64").max())
    kept = a.filter(closed) if open_windows == "exclude" else a
    n = len(labels)
    per = _credited(kept, n, step_order, window, keys=("period",))
    aggs = {f"n{k}": (per["reach"] >= k).cast("int64").sum() for k in range(1, n + 1)}
    counts = _engine.to_pandas(per.group_by("period").aggregate(**aggs))
    opened = _engine.to_pandas(
        entered.group_by("period").aggregate(
            n_open=(entered["closed"] == 0).cast("int64").sum(), n_entered=entered.count()
        )
    )
    if opened.empty:
        raise JourneyDataError(
            f"steps: no {unit} has an event of the first step ({labels[0]!r})"
            f"{_dated(start, end)}, so there is no funnel to count. Fix: check the first step."
        )
    frame = opened.merge(counts, on="period", how="left").sort_values("period")
    frame = frame.fillna(0).astype("int64").reset_index(drop=True)
    if open_windows == "include":
        frame["n_open"] = 0
    return _trend(frame, labels, window, freq, open_windows, unit, level)


def _trend(frame, labels, window, freq, open_windows, unit, level) -> FunnelTrend:
    """The FunnelTrend of per-period counts ``n1``..``nk`` and ``n_open``."""
    n = len(labels)
    periods = pd.DataFrame({"period": period_start(frame["period"], freq)})
    periods["n"] = frame["n1"]
    periods["n_converted"] = frame[f"n{n}"]
    rate = periods["n_converted"] / periods["n"].where(periods["n"] > 0)
    periods["conversion"] = rate
    low, high = wilson(periods["n_converted"], periods["n"], level)
    periods["conversion_ci_low"], periods["conversion_ci_high"] = low, high
    periods["n_open"] = frame["n_open"]
    rows = []
    for i, row in frame.iterrows():
        for k, label in enumerate(labels, 1):
            rows.append(
                {
                    "period": periods["period"].iloc[i],
                    "step_number": k,
                    "step": label,
                    "n": int(row[f"n{k}"]),
                    "first": int(row["n1"]),
                }
            )
    table = pd.DataFrame(rows)
    table["conversion"] = table["n"] / table["first"].where(table["first"] > 0)
    table["conversion_ci_low"], table["conversion_ci_high"] = wilson(
        table["n"], table["first"], level
    )
    table = table.drop(columns="first")
    return FunnelTrend(table, periods, tuple(labels), window, freq, open_windows, unit)


def stage_funnel(
    events,
    *,
    stages=None,
    steps=None,
    window="30D",
    step_order: str = "strict",
    exclude=None,
    by=None,
    unit: str = "customer",
    start=None,
    end=None,
    level: float = 0.95,
) -> Funnel:
    """The funnel over the journey stages (awareness -> ... -> advocacy): :func:`funnel`
    with the stages as its steps.

    A unit reaches a stage with any event of that stage; the attempts, the crediting and
    the window are those of :func:`funnel`.

    Parameters
    ----------
    events : pandas.DataFrame or Ibis table
        Canonical events (:func:`journeykit.read_events`).
    stages : dict, optional
        The event -> stage mapping, ``{event: stage}`` or ``{stage: [events]}`` (applied
        with :func:`map_stages`; events it does not name are dropped). Default: the
        events' own ``stage`` column.
    steps : str or list of str, optional
        The stages in funnel order (default: those of :data:`STAGES` that occur, in
        journey order); at least two, each occurring in the data (unknown names raise).
    window, step_order, exclude, by, unit, start, end, level
        As in :func:`funnel`.

    Returns
    -------
    Funnel
        As :func:`funnel`, one step per stage.

    References
    ----------
    .. [1] Wilson, E. B. (1927). Probable inference, the law of succession, and
       statistical inference. Journal of the American Statistical Association 22(158),
       209-212.
    .. [2] Agresti, A. (2013). Categorical Data Analysis, 3rd ed. Wiley, section 3.2
       (Pearson's chi-square test across the ``by`` groups).

    Examples
    --------
    >>> from journeykit import load_webshop
    >>> res = stage_funnel(load_webshop(), steps=["awareness", "consideration", "purchase"])
    >>> res.table[["step", "n"]]
                step      n
    0      awareness  19998
    1  consideration  10766
    2       purchase   2452
    """
    from .events import map_stages

    require_events(events)
    if stages is not None:
        events = map_stages(events, stages, unmapped="drop")
    if "stage" not in events.columns:
        raise JourneyDataError(
            "events: no 'stage' column. Fix: pass stages={event: stage} or map the events "
            "with journeykit.map_stages first."
        )
    present = _engine.distinct(_engine.as_table(events), "stage")
    if steps is None:
        steps = [s for s in STAGES if s in present]
    else:
        steps = check_present(steps, present, param="steps", what="stage")
    if len(steps) < 2:
        raise JourneyDataError(
            f"steps: a funnel needs at least two stages; got {steps} (the data has the stages "
            f"{present}). Fix: map events to at least two of {list(STAGES)} (stages=), or "
            "pass steps= two or more of the stages in the data."
        )
    options = {"window": window, "step_order": step_order, "exclude": exclude, "by": by}
    return funnel(events, steps, unit=unit, start=start, end=end, level=level, **options)


@dataclass(frozen=True, repr=False)
class TimeToConvert(Result):
    """The distribution of the time from one step to the next among converters."""

    table: pd.DataFrame
    times: pd.DataFrame
    steps: tuple[str, str]
    window: pd.Timedelta
    unit: str = "customer"
    by: tuple[str, ...] = ()
    title = "Time to convert"

    @property
    def notes(self) -> tuple[str, ...]:
        return (
            f"days from {self.steps[0]!r} to {self.steps[1]!r} in each {self.unit}'s credited "
            f"attempt (see journeykit.funnels); {self.unit}s that did not convert within "
            f"{in_words(self.window / DAY)} are left out; quantiles by linear interpolation.",
        )

    @property
    def conclusion(self) -> str:
        days = self.times["time_days"]
        text = (
            f"Half of the {len(days):,} {self.unit}s who went from {self.steps[0]!r} to "
            f"{self.steps[1]!r} within {in_words(self.window / pd.Timedelta(days=1))} took at "
            f"most {in_words(days.median())}; nine in ten took at most "
            f"{in_words(days.quantile(0.9))}."
        )
        if self.by:
            parts = [
                f"{', '.join(str(row[b]) for b in self.by)}: {in_words(row['time_median_days'])}"
                for _, row in self.table.iterrows()
            ]
            text += f" Median by {', '.join(self.by)}: {'; '.join(parts)}."
        return text

    def plot(self, ax=None):
        """Cumulative share of converters by the time since ``from_step``."""
        by = f" by {', '.join(self.by)}" if self.by else ""
        window = in_words(self.window / DAY)
        title = f"Time to convert{by} ({self.unit}s converting within {window})"
        return plots.conversion_time(self.times, ax, by=self.by, steps=self.steps, title=title)


def time_to_convert(
    events,
    from_step,
    to_step,
    *,
    window="30D",
    exclude=None,
    by=None,
    unit: str = "customer",
    start=None,
    end=None,
) -> TimeToConvert:
    """How long converters take from ``from_step`` to ``to_step``: count, mean, quartiles,
    90th percentile and maximum in days, per ``by`` group.

    The two steps are a two-step strict :func:`funnel`: every ``from_step`` event starts an
    attempt, the first ``to_step`` event at or after it converts it when it comes within
    ``window``, and each unit is credited with its earliest converting attempt. A unit's
    *time to convert* is the time between the two events of that attempt.

    Parameters
    ----------
    events : pandas.DataFrame or Ibis table
        Canonical events (:func:`journeykit.read_events`).
    from_step, to_step : str or set of str
        The two steps, event names (or journey stages) that occur in the data.
    window : str or Timedelta
        A duration with a unit (``'30D'``): ``to_step`` must follow within it.
    exclude : dict, list or names, optional
        Events that void an attempt between the two steps, as in :func:`funnel`.
    by : str, list or DataFrame, optional
        As in :func:`funnel`; units without a value are left out with a JourneyWarning.
    unit : {'customer', 'session', 'account'}
        Who converts.
    start, end : date, optional
        Attempts must start in [start, end), as in :func:`funnel`.

    Returns
    -------
    TimeToConvert
        ``table`` (= ``summary``): ``[by], n, time_mean_days, time_q1_days,
        time_median_days, time_q3_days, time_p90_days, time_max_days``; ``times``: one row
        per converting unit (``[by], time_days``); ``conclusion``; ``plot()``.

    Raises
    ------
    JourneyDataError
        Also when no unit has a ``from_step`` event (in ``[start, end)``), or none
        converted within the window.

    References
    ----------
    .. [1] Hyndman, R. J. & Fan, Y. (1996). Sample quantiles in statistical packages. The
       American Statistician 50(4), 361-365 (the quantiles: type 7, linear interpolation).

    Examples
    --------
    >>> ev = pd.DataFrame({"customer_id": ["a", "a", "b", "b"],
    ...     "event": ["view", "cart", "view", "cart"],
    ...     "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 16:00",
    ...         "2024-01-02 10:00", "2024-01-04 10:00"], utc=True)})
    >>> time_to_convert(ev, "view", "cart").table[["n", "time_median_days", "time_max_days"]]
       n  time_median_days  time_max_days
    0  2              1.125            2.0
    """
    t = _engine.as_table(events)  # one table (one memtable for pandas input) for every query
    options = {"exclude": exclude, "start": start, "end": end, "params": ("from_step", "to_step")}
    per, labels, window = _reached(t, [from_step, to_step], window=window, unit=unit, **options)
    converted = per.filter(per["reach"] >= 2)
    key = unit_column(t, unit)
    groups, names = unit_groups(t, key, by, reserved=RESERVED)
    if groups is not None:
        converted = attach(converted, groups, key)
    backend = _engine.backend_name(converted)
    micros = _engine.epoch_us(converted["t2"], backend) - _engine.epoch_us(converted["t1"], backend)
    times = _engine.to_pandas(converted.select(*names, time_days=micros / DAY_US))
    if times.empty:
        if not _engine.to_scalar(per.count()):  # no attempt at all
            dated = _dated(start, end)
            raise JourneyDataError(
                f"from_step={from_step!r}: no {unit} has such an event{dated}, so nobody can "
                "convert. Fix: check from_step" + (" and the dates (start, end)." if dated else ".")
            )
        raise JourneyDataError(
            f"to_step={to_step!r}: no {unit}{' with a by group' if names else ''} went from "
            f"{labels[0]!r} to {labels[1]!r} within window={window}. Fix: check the steps or "
            "widen window."
        )
    grouped = times.groupby(names) if names else times.groupby(lambda _: "all")
    table = grouped["time_days"].describe(percentiles=[0.25, 0.5, 0.75, 0.9])
    table = table.drop(columns=["std", "min"]).set_axis(list(TIME_COLUMNS), axis=1)
    table = table.reset_index(drop=not names)
    table["n"] = table["n"].astype("int64")
    return TimeToConvert(table, times, tuple(labels), window, unit, tuple(names))
