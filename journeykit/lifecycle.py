"""Per-customer summaries and lifecycle segmentation (event-level work in Ibis).

The words used here (see :mod:`journeykit.glossary`): ``unit`` is who gets a status
(``'customer'``, or ``'account'`` for B2B: an account is active when any of its people is);
``activity`` is the events that count as being active (every event by default);
``purchase`` is the events that are orders.
"""

from __future__ import annotations

import functools
import operator
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import _engine, periods, plots
from .breakdowns import attach, unit_groups
from .checks import (
    as_of_in_data,
    as_timedelta,
    as_utc,
    check_choice,
    check_date_in_data,
    check_events_exist,
    check_whole,
    data_range,
    known_events,
    require_events,
    start_end,
    warn_after_data,
)
from .drilldown import pick
from .errors import JourneyDataError, JourneyWarning
from .periods import period_index, period_start
from .results import Result, period_label, whole_percent
from .status import STATUSES, classify
from .units import unit_column

#: How far after the last event the ``as_of`` of :func:`customer_summary` and :func:`rfm`
#: may lie before a JourneyWarning: recency and T grow with the gap, so one longer than a
#: year is almost always a wrong date.
LONG_AFTER = pd.Timedelta(days=365)
DAY = pd.Timedelta(days=1)
#: The units that can have a lifecycle status (sessions have none: they do not return).
LIFECYCLE_UNITS = ("customer", "account")


def customer_summary(events, *, as_of=None, activity=None, purchase="purchase") -> pd.DataFrame:
    """One row per customer: activity, orders, revenue and the CLV summary statistics.

    Parameters
    ----------
    events : pandas.DataFrame or Ibis table
        Canonical events (see :func:`journeykit.read_events`).
    as_of : date-like, optional
        The observation date; events after it are ignored. Default: the last event time.
        Before the first event it raises a JourneyDataError; more than a year
        (:data:`LONG_AFTER`) after the last it warns, as ``recency`` and ``T`` then grow
        with the gap.
    activity : str or list of str, optional
        The events that count as activity for ``first_seen``, ``last_seen``, ``n_events``
        and ``n_active_days`` (default: every event). Customers without activity are left out.
    purchase : str or list of str
        The events that are purchases (default ``'purchase'``). Names that do not occur in
        the data raise a JourneyDataError listing the event names.

    Returns
    -------
    pandas.DataFrame
        Sorted by ``customer_id``, with columns

        - ``first_seen``, ``last_seen``: first and last activity (UTC);
        - ``n_events``: activity events; ``n_active_days``: distinct UTC days with activity;
        - ``n_orders``: distinct ``order_id`` values among purchases (purchase events when
          there is no ``order_id``); ``revenue``: summed ``revenue`` of purchases (NaN without a
          revenue column);
        - ``frequency``, ``recency``, ``T``: the summary of the CLV literature (Fader, Hardie
          & Lee 2005; the ``lifetimes`` package with ``freq='D'``), on UTC calendar days:
          ``frequency`` = number of distinct purchase days minus one (repeat purchase days),
          ``recency`` = days from the first to the last purchase day, ``T`` = days from the
          first purchase day to the ``as_of`` day. ``recency`` and ``T`` are missing for
          customers who never purchased; their ``frequency`` is 0.

    References
    ----------
    .. [1] Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers"
       the easy way: an alternative to the Pareto/NBD model. Marketing Science 24(2),
       275-284 (frequency, recency and T; the CDNOW data).

    Examples
    --------
    >>> import pandas as pd
    >>> from journeykit import read_events
    >>> ev = read_events(pd.DataFrame({
    ...     "customer_id": ["a", "a", "a", "b"],
    ...     "timestamp": ["2024-01-01 10:00", "2024-01-03 09:00", "2024-01-03 18:00",
    ...                   "2024-01-02 12:00"],
    ...     "event": ["purchase", "purchase", "purchase", "page_view"],
    ...     "revenue": [10.0, 5.0, 5.0, None]}))
    >>> customer_summary(ev, as_of="2024-01-10")[["customer_id", "n_orders", "revenue",
    ...                                         "frequency", "recency", "T"]]
      customer_id  n_orders  revenue  frequency  recency    T
    0           a         3     20.0          1      2.0  9.0
    1           b         0      0.0          0      NaN  NaN
    """
    require_events(events)
    t = _engine.as_table(events)
    as_of = as_of_in_data(
        t,
        as_of,
        param="as_of",
        within=LONG_AFTER,
        why="recency and T count the days up to it, so every customer looks long gone.",
        what="events",
    )
    known = known_events(t)
    if activity is not None:
        activity = check_events_exist(t, activity, param="activity", known=known)
    purchases = check_events_exist(t, purchase, param="purchase", known=known)
    import ibis

    t = t.filter(t["timestamp"] <= as_of.to_pydatetime())
    buy = t["event"].isin(purchases)
    active = None if activity is None else t["event"].isin(activity)
    # Three aggregates joined per customer: the events, the distinct active days and the
    # distinct purchase days. Against one customer-day level carrying every total (5M
    # groups on the 10M-event foreign log) the same time, and a peak of 1.20 GB instead of
    # 1.29 (shop: 0.90 instead of 1.01); COUNT(DISTINCT day) per customer was 1.7x slower
    # in DuckDB. Days are whole UTC day numbers (integer arithmetic; a date of a
    # TIMESTAMPTZ goes through ICU).
    agg = t.group_by("customer_id").aggregate(
        first_seen=t["timestamp"].min(where=active),
        last_seen=t["timestamp"].max(where=active),
        n_events=t["event"].count(where=active),
        n_orders=buy.cast("int64").sum(),
        revenue=t["revenue"].sum(where=buy) if "revenue" in t.columns else ibis.literal(0.0),
    )

    def days(rows):
        return rows.select("customer_id", day=period_index(rows, "D")).distinct()

    active_days = days(t if active is None else t.filter(active))
    active_days = active_days.group_by("customer_id").aggregate(n_active_days=active_days.count())
    bought = days(t.filter(buy))
    bought = bought.group_by("customer_id").aggregate(
        n_purchase_days=bought.count(),
        first_purchase_day=bought["day"].min(),
        last_purchase_day=bought["day"].max(),
    )
    agg = agg.join(active_days, "customer_id").left_join(bought, "customer_id")
    agg = agg.drop("customer_id_right")
    if "order_id" in t.columns:  # orders are distinct order ids, counted over purchases only
        orders = t.filter(buy).group_by("customer_id").aggregate(n_orders=t["order_id"].nunique())
        agg = agg.drop("n_orders").left_join(orders, "customer_id").drop("customer_id_right")
    out = _engine.to_pandas(agg.filter(agg["n_events"] > 0).order_by("customer_id"))
    if out.empty:  # only with activity=: every event counts otherwise
        raise JourneyDataError(
            f"activity={activity!r}: no customer has such an event on or before "
            f"as_of={as_of:%Y-%m-%d %H:%M}. Fix: pass a later as_of, or activity=None to count "
            "every event."
        )
    if not out["n_purchase_days"].any():
        warnings.warn(
            f"customer_summary: no {purchases} events on or before as_of, so every customer "
            "has 0 orders. Pass purchase= the name of your order event.",
            JourneyWarning,
            stacklevel=2,
        )
    first_day = out.pop("first_purchase_day").astype(float)
    out["n_orders"] = out["n_orders"].fillna(0).astype("int64")
    # no revenue column: revenue unknown (NaN), not 0
    out["revenue"] = out["revenue"].fillna(0.0).astype(float) if "revenue" in t.columns else np.nan
    out["frequency"] = (out.pop("n_purchase_days").fillna(0) - 1).clip(lower=0).astype("int64")
    out["recency"] = out.pop("last_purchase_day").astype(float) - first_day
    out["T"] = (as_of.normalize() - pd.Timestamp(0, tz="UTC")).days - first_day
    for name in ("n_events", "n_active_days"):
        out[name] = out[name].astype("int64")
    columns = ["customer_id", "first_seen", "last_seen", "n_events", "n_active_days"]
    columns += ["n_orders", "revenue", "frequency", "recency", "T"]
    return out[columns]


# --------------------------------------------------------------------------- segmentation


def _unit_table(events, *, activity, unit: str, activity_param: str = "activity"):
    """The Ibis table of activity events and the unit's column ('customer_id' or
    'account_id'; events without an account are left out); ``activity_param`` names the
    activity in messages."""
    require_events(events)
    check_choice("unit", unit, LIFECYCLE_UNITS)
    key = unit_column(events, unit)
    t = _engine.as_table(events)
    if activity is not None:
        known = known_events(t)
        activity = check_events_exist(t, activity, param=activity_param, known=known)
        t = t.filter(t["event"].isin(activity))
    if unit == "account":
        t = t.filter(t[key].notnull())
    return t, key


def _count(n, noun: str) -> str:
    """'1 customer', '2,500 customers': a count with its noun, singular for one."""
    n = int(n)
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def _shares(counts: pd.Series) -> str:
    """'12% new, 30% returning, ...' from counts per status."""
    total = counts.sum()
    return ", ".join(f"{whole_percent(n / total)} {name}" for name, n in counts.items())


@dataclass(frozen=True, repr=False)
class Lifecycle(Result):
    """Lifecycle status per unit (``customers``) and the counts per status (``table``)."""

    customers: pd.DataFrame
    table: pd.DataFrame
    as_of: pd.Timestamp
    period: pd.Timedelta
    churn_after: pd.Timedelta
    by: tuple[str, ...] = ()
    unit: str = "customer"
    title = "Lifecycle status"

    @property
    def notes(self) -> tuple[str, ...]:
        days = self.period / DAY
        churn = self.churn_after / DAY
        return (
            f"as of {self.as_of:%Y-%m-%d %H:%M} UTC; period = the last {days:g} days; "
            f"churned = no activity for at least {churn:g} days (definitions: "
            "help(journeykit.lifecycle)).",
        )

    @property
    def conclusion(self) -> str:
        counts = self.customers["status"].value_counts().reindex(list(STATUSES), fill_value=0)
        active = counts[["new", "returning", "reactivated"]].sum()
        return (
            f"Of the {_count(counts.sum(), self.unit)} active by {self.as_of:%Y-%m-%d}, "
            f"{active:,} ({whole_percent(active / counts.sum())}) were active in the last "
            f"{self.period / DAY:g} days: {_shares(counts)}."
        )

    def units(self, status=None, *, min_n=None, **by) -> pd.DataFrame:
        """The units behind a cell: one row per unit of ``customers`` with that ``status``
        (``'lapsing'``, ...) and ``by`` values (``channel='email'``), ready to export;
        ``min_n``: raise when the cell has fewer units (the suppress_small rule).

        >>> import journeykit as jk
        >>> res = jk.lifecycle(jk.load_webshop(), as_of="2024-09-30")
        >>> lapsing = res.units("lapsing")
        >>> bool(len(lapsing) == res.table.set_index("status").loc["lapsing", "n"])
        True
        """
        return pick(self.customers, {"status": status, **by}, where="units", min_n=min_n)

    @property
    def three_way(self) -> pd.DataFrame:
        """The coarse picture: ``new``; ``returning`` = existing units who have not churned
        (returning + reactivated + lapsing); ``churned``. Columns ``[by], group, n,
        share``."""
        coarse = {"reactivated": "returning", "lapsing": "returning"}
        table = self.table.assign(group=self.table["status"].astype(str).replace(coarse))
        keys = [*self.by, "group"]
        return table.groupby(keys, sort=False, dropna=False)[["n", "share"]].sum().reset_index()

    def plot(self, ax=None):
        """Units per status; broken down, each group's shares side by side."""
        by = f" by {', '.join(self.by)}" if self.by else ""
        title = f"Lifecycle status on {self.as_of:%Y-%m-%d}{by}"
        return plots.status_bars(self.table, ax, by=self.by, unit=self.unit, title=title)


def lifecycle(
    events,
    *,
    as_of=None,
    period="30D",
    churn_after="90D",
    activity=None,
    by=None,
    unit: str = "customer",
) -> Lifecycle:
    """Give every customer (or B2B account) active on or before ``as_of`` exactly one
    lifecycle status.

    Definitions (P is the period ``(as_of - period, as_of]``, open on the left):

    - ``new``: the first activity ever falls inside P;
    - ``returning``: active in P, active before it, and the gap between the last activity
      before P and the first activity in P is shorter than ``churn_after``;
    - ``reactivated``: active in P after a gap of at least ``churn_after`` (they had churned
      and came back);
    - ``lapsing``: not active in P, last activity less than ``churn_after`` before ``as_of``;
    - ``churned``: not active in P, last activity at least ``churn_after`` before ``as_of``.

    Boundaries: an activity exactly at ``as_of - period`` is before P; an activity exactly
    at ``as_of`` is in P; a gap or an absence of exactly ``churn_after`` counts as churned
    (reactivated when they came back). Events after ``as_of`` are ignored. When ``period``
    is longer than ``churn_after``, being active in P takes precedence (with a
    JourneyWarning). The rule lives in :func:`journeykit.status.classify`, shared with
    :func:`status_transitions` and :func:`journeykit.nps_by_journey`.

    Parameters
    ----------
    events : pandas.DataFrame or Ibis table
        Canonical events (:func:`journeykit.read_events`).
    as_of : date-like, optional
        The reference time. Default: the last activity in the data. Before the first
        activity it raises a JourneyDataError; more than ``churn_after`` after the last it
        warns (every unit is churned then).
    period, churn_after : str or Timedelta
        The measurement period and the churn window, durations with a unit (``'30D'``,
        ``'12h'``, ``'2W'``; a bare number raises); defaults 30 and 90 days, sensible for
        web shops; B2B or durable goods need longer windows.
    activity : str or list of str, optional
        The events that count as activity (default: every event; e.g. ``'purchase'``).
    by : str, list of str or pandas.DataFrame, optional
        Break the summary down: event columns take the value at the unit's first
        activity (``'channel'`` gives the acquisition channel); a DataFrame with
        ``customer_id`` (or ``account_id``) adds attributes such as persona, one row per
        unit (conflicting rows raise). A missing value is never a group: units with a
        missing value, or absent from the frame, are left out with a JourneyWarning giving
        their number.
    unit : {'customer', 'account'}
        ``'account'`` gives B2B accounts (``account_id``) a status: an account is active
        when any of its people is; events without an account are left out.

    Returns
    -------
    Lifecycle
        ``customers``: one row per unit (its id column first) with ``status``,
        ``first_seen``, ``last_seen``, ``since_last_days`` (days since the last activity),
        ``gap_days`` (the gap before the first activity in P; missing when there is none),
        ``n_events_in_period`` and the ``by`` columns. ``table`` (= ``summary``): ``[by],
        status, n, share`` with every status listed; ``three_way``; ``conclusion``;
        ``plot()``.

    References
    ----------
    .. [1] Jain, J. (2017). Diligence at Social Capital, part 1: accounting for user
       growth. Social Capital (the new / retained / resurrected / churned vocabulary that
       these statuses refine with an explicit churn window).

    Examples
    --------
    >>> import pandas as pd
    >>> from journeykit import read_events
    >>> ev = read_events(pd.DataFrame({
    ...     "customer_id": ["new", "ret", "ret", "back", "back", "gone"],
    ...     "timestamp": ["2024-06-25", "2024-05-20", "2024-06-20", "2024-01-10",
    ...                   "2024-06-15", "2024-02-01"],
    ...     "event": "visit"}))
    >>> res = lifecycle(ev, as_of="2024-06-30")
    >>> res.customers.set_index("customer_id")["status"].to_dict()
    {'back': 'reactivated', 'gone': 'churned', 'new': 'new', 'ret': 'returning'}
    >>> print(res.conclusion)
    Of the 4 customers active by 2024-06-30, 3 (75%) were active in the last 30 days:
    25% new, 25% returning, 25% reactivated, 0% lapsing, 25% churned.
    """
    options = {"period": period, "churn_after": churn_after, "activity": activity}
    return _lifecycle(events, as_of=as_of, param="as_of", by=by, unit=unit, **options)


def _lifecycle(events, *, as_of, param, period, churn_after, activity, by, unit) -> Lifecycle:
    """:func:`lifecycle`, with ``param`` naming the ``as_of`` in its messages."""
    period = as_timedelta(period, param="period")
    churn_after = as_timedelta(churn_after, param="churn_after")
    t, key = _unit_table(events, activity=activity, unit=unit)
    as_of = as_of_in_data(
        t,
        as_of,
        param=param,
        within=churn_after,
        why=f"every {unit} is churned then (churn_after is {churn_after / DAY:g} days).",
        what="activity",
    )
    if period > churn_after:
        warnings.warn(
            f"period ({period}) is longer than churn_after ({churn_after}): units active in "
            "the period are never lapsing or churned, whatever their gaps.",
            JourneyWarning,
            stacklevel=3,
        )
    start = as_of - period
    t = t.filter(t["timestamp"] <= as_of.to_pydatetime())
    ts = t["timestamp"]
    in_period = ts > start.to_pydatetime()
    agg = t.group_by(key).aggregate(
        first_seen=ts.min(),
        last_seen=ts.max(),
        first_in_period=ts.min(where=in_period),
        last_before=ts.max(where=~in_period),
        n_events_in_period=in_period.cast("int64").sum(),
    )
    columns = [key, "status", "first_seen", "last_seen", "since_last_days", "gap_days"]
    columns.append("n_events_in_period")
    groups, names = unit_groups(t, key, by, reserved=(*columns, "n", "share"))
    out = _engine.to_pandas(attach(agg, groups, key).order_by(key))
    out["status"] = classify(out, as_of=as_of, start=start, churn_after=churn_after)
    out["since_last_days"] = (as_of - out["last_seen"]) / DAY
    out["gap_days"] = (out["first_in_period"] - out["last_before"]) / DAY
    out = out[[*columns, *names]]
    return Lifecycle(
        customers=out,
        table=_status_counts(out, names),
        as_of=as_of,
        period=period,
        churn_after=churn_after,
        by=tuple(names),
        unit=unit,
    )


def _status_counts(customers: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    counts = (
        customers.groupby([*names, "status"], observed=False, dropna=False)
        .size()
        .rename("n")
        .reset_index()
    )
    totals = (
        counts.groupby(names, dropna=False)["n"].transform("sum") if names else counts["n"].sum()
    )
    counts["share"] = counts["n"] / totals
    return counts


# --------------------------------------------------------------------------- growth accounting

#: The columns of :func:`lifecycle_over_time`'s table after the ``by`` columns.
GROWTH_COLUMNS = (
    "period",
    "n_active",
    "n_new",
    "n_returning",
    "n_reactivated",
    "n_dormant",
    "quick_ratio",
)


@dataclass(frozen=True, repr=False)
class LifecycleOverTime(Result):
    """Growth accounting per period: new, returning, reactivated and dormant units."""

    table: pd.DataFrame
    freq: str
    by: tuple[str, ...] = ()
    unit: str = "customer"
    title = "Lifecycle over time (growth accounting)"

    @property
    def notes(self) -> tuple[str, ...]:
        return (
            "n_active = n_new + n_returning + n_reactivated; n_dormant (negative) = active "
            "in the previous period, not in this one; quick_ratio = (n_new + n_reactivated) "
            "/ |n_dormant| (above 1: the active base grows).",
        )

    @property
    def conclusion(self) -> str:
        last = self.table[self.table["period"] == self.table["period"].max()]
        sums = last[list(GROWTH_COLUMNS[1:-1])].sum()
        gained, lost = sums["n_new"] + sums["n_reactivated"], -sums["n_dormant"]
        ratio = (
            f"quick ratio {gained / lost:.2f}: the active base "
            + ("grows" if gained > lost else "shrinks" if gained < lost else "holds")
            if lost
            else "no unit went dormant"
        )
        return (
            f"In {period_label(last['period'].iloc[0], self.freq)}, "
            f"{_count(sums['n_active'], self.unit)} "
            f"{'was' if sums['n_active'] == 1 else 'were'} active: {sums['n_new']:,} new, "
            f"{sums['n_returning']:,} returning and {sums['n_reactivated']:,} reactivated, "
            f"while {lost:,} went dormant ({ratio})."
        )

    def plot(self, ax=None):
        """Stacked bars per period with dormant below zero (one bar per ``by`` group)."""
        return plots.growth_bars(self.table, ax, by=self.by, freq=self.freq, unit=self.unit)


def lifecycle_over_time(
    events, *, freq: str = "M", activity=None, by=None, unit: str = "customer"
) -> LifecycleOverTime:
    """Growth accounting: how the active customer base changes from period to period.

    For each calendar period t (UTC; ``freq`` is 'D', 'W' (Monday start), 'M', 'Q' or 'Y',
    computed by :mod:`journeykit.periods`), every unit active in t or t-1 counts once:

    - ``n_new``: active in t, and t is their first active period;
    - ``n_returning``: active in t and in t-1;
    - ``n_reactivated``: active in t, not in t-1, active in some period before;
    - ``n_dormant``: active in t-1, not in t (reported as a negative number, as it is
      drawn: below zero).

    So ``n_active(t) = n_new + n_returning + n_reactivated`` and ``n_active(t-1) =
    n_returning + |n_dormant|``. ``quick_ratio`` = (n_new + n_reactivated) / |n_dormant|
    (above 1: the base grows; missing when nobody went dormant). Periods run from the
    first to the last period with activity, empty ones included.

    Parameters
    ----------
    events : pandas.DataFrame or Ibis table
        Canonical events.
    freq : {'D', 'W', 'M', 'Q', 'Y'}
        The period length.
    activity : str or list of str, optional
        The events that count as activity (default: every event).
    by : str, list of str or pandas.DataFrame, optional
        As in :func:`lifecycle` (value at the first activity, or unit attributes; units
        without a value are left out with a JourneyWarning).
    unit : {'customer', 'account'}
        Count customers or B2B accounts.

    Returns
    -------
    LifecycleOverTime
        ``table`` (= ``summary``): ``[by], period, n_active, n_new, n_returning,
        n_reactivated, n_dormant, quick_ratio``; ``conclusion`` (the last period);
        ``plot()``.

    References
    ----------
    .. [1] Jain, J. (2017). Diligence at Social Capital, part 1: accounting for user
       growth. Social Capital (growth accounting and the quick ratio).

    Examples
    --------
    >>> import pandas as pd
    >>> from journeykit import read_events
    >>> ev = read_events(pd.DataFrame({
    ...     "customer_id": ["a", "a", "b", "a", "b"],
    ...     "timestamp": ["2024-01-05", "2024-02-05", "2024-02-06", "2024-04-01",
    ...                   "2024-04-02"],
    ...     "event": "visit"}))
    >>> lifecycle_over_time(ev).table[["period", "n_new", "n_returning", "n_reactivated",
    ...                                "n_dormant"]]
                         period  n_new  n_returning  n_reactivated  n_dormant
    0 2024-01-01 00:00:00+00:00      1            0              0          0
    1 2024-02-01 00:00:00+00:00      1            1              0          0
    2 2024-03-01 00:00:00+00:00      0            0              0         -2
    3 2024-04-01 00:00:00+00:00      0            0              2          0
    """
    import ibis

    check_choice("freq", freq, periods.FREQS)
    t, key = _unit_table(events, activity=activity, unit=unit)
    groups, names = unit_groups(t, key, by, reserved=GROWTH_COLUMNS)
    pairs = t.select(key, idx=period_index(t, freq)).distinct()
    w = ibis.window(group_by=key, order_by="idx")
    pairs = pairs.mutate(prev=pairs["idx"].lag().over(w), next=pairs["idx"].lead().over(w))
    pairs = attach(pairs, groups, key)
    keys = [*names, "idx"]
    active = pairs.group_by(keys).aggregate(
        n_active=pairs.count(),
        n_new=pairs["prev"].isnull().cast("int64").sum(),
        n_returning=(pairs["prev"] == pairs["idx"] - 1).cast("int64").sum(),
    )
    gone = pairs.filter(pairs["next"].isnull() | (pairs["next"] != pairs["idx"] + 1))
    gone = gone.mutate(idx=gone["idx"] + 1)
    dormant = gone.group_by(keys).aggregate(n_dormant=gone.count())
    # One query: the pairs and windows are computed once for both counts.
    both = active.outer_join(dormant, keys)
    both = both.select(
        *[ibis.coalesce(both[k], both[f"{k}_right"]).name(k) for k in keys],
        "n_active",
        "n_new",
        "n_returning",
        "n_dormant",
    )
    counts = _engine.to_pandas(both)
    if counts.empty:
        raise JourneyDataError(
            f"events: no activity{'' if activity is None else f' ({activity})'} in the data, "
            "so there is nothing to count. Fix: pass events that hold activity (check "
            "activity= and unit=)."
        )
    table = _growth_table(counts, names, freq)
    return LifecycleOverTime(table=table, freq=freq, by=tuple(names), unit=unit)


def _growth_table(counts: pd.DataFrame, names, freq) -> pd.DataFrame:
    """Counts on the full grid of groups x periods (empty periods included, zeros filled);
    dormant units of the period after the last active one are dropped."""
    active = counts[counts["n_active"].notna()]
    grid = pd.DataFrame({"idx": range(int(active["idx"].min()), int(active["idx"].max()) + 1)})
    grid = counts[names].drop_duplicates().merge(grid, how="cross") if names else grid
    table = grid.merge(counts, on=[*names, "idx"], how="left")
    counted = ["n_active", "n_new", "n_returning", "n_dormant"]
    table[counted] = table[counted].fillna(0).astype("int64")
    table["n_dormant"] = -table["n_dormant"]
    table["n_reactivated"] = table["n_active"] - table["n_new"] - table["n_returning"]
    table.insert(len(names), "period", period_start(table.pop("idx"), freq).to_numpy())
    table = table[[*names, *GROWTH_COLUMNS[:-1]]]
    lost = (-table["n_dormant"]).where(table["n_dormant"] < 0)
    table["quick_ratio"] = (table["n_new"] + table["n_reactivated"]) / lost
    return table.sort_values([*names, "period"]).reset_index(drop=True)


# --------------------------------------------------------------------------- RFM

#: RFM segments from the recency (R) and frequency (F) scores on a 1-5 grid: the segment
#: map widely used in retail CRM practice; "lost" is split off "hibernating" (R = F = 1).
RFM_SEGMENTS = (
    ("champions", "R 5, F 4-5: bought recently, buy often"),
    ("loyal", "R 3-4, F 4-5: buy often, fairly recently"),
    ("potential loyalist", "R 4-5, F 2-3: recent, more than once"),
    ("new", "R 5, F 1: first order very recently"),
    ("promising", "R 4, F 1: one recent order"),
    ("need attention", "R 3, F 3: average on both"),
    ("about to sleep", "R 3, F 1-2: fading, few orders"),
    ("at risk", "R 1-2, F 3-4: used to buy often, not lately"),
    ("cannot lose", "R 1-2, F 5: best customers, gone quiet"),
    ("hibernating", "R 1-2, F 1-2 (not both 1): few orders, long ago"),
    ("lost", "R 1, F 1: one order, long ago"),
)
#: What to do for each segment (shown in the segmentation notebook).
RFM_ACTIONS = {
    "champions": "reward them; ask for reviews and referrals (advocacy)",
    "loyal": "upsell; loyalty programme",
    "potential loyalist": "membership or loyalty offer; recommend",
    "new": "onboarding; make the second order easy",
    "promising": "build the relationship; free shipping on the next order",
    "need attention": "limited-time offer based on past purchases",
    "about to sleep": "reactivation e-mail with popular products",
    "at risk": "personal win-back; find out what went wrong",
    "cannot lose": "win them back at (almost) any cost; talk to them",
    "hibernating": "low-cost reminders; seasonal promotions",
    "lost": "only low-cost campaigns, or let go",
}


def rfm_score(values: pd.Series, bins: int) -> pd.Series:
    """Quantile score 1..``bins`` of each value: ``1 + floor(bins * (rank - 1) / n)`` with
    ties given their lowest rank, so equal values always share a score (deterministic,
    free of row order).

    Parameters
    ----------
    values : pandas.Series
        The values to score (higher value, higher score).
    bins : int
        The number of scores (quantile groups).

    Returns
    -------
    pandas.Series
        Whole-number scores from 1 to ``bins``, on the index of ``values``.

    References
    ----------
    .. [1] Hughes, A. M. (1994). Strategic Database Marketing. Chicago: Probus (RFM
       scores as quantile groups of recency, frequency and monetary value).

    Examples
    --------
    >>> import pandas as pd
    >>> rfm_score(pd.Series([3, 1, 2, 2, 9]), 5).tolist()
    [4, 1, 2, 2, 5]
    """
    rank = values.rank(method="min")
    return (1 + np.floor(bins * (rank - 1) / len(values))).astype("int64")


def _rfm_segment(r: pd.Series, f: pd.Series) -> np.ndarray:
    return np.select(
        [
            (r == 5) & (f >= 4),
            r.between(3, 4) & (f >= 4),
            (r >= 4) & f.between(2, 3),
            (r == 5) & (f == 1),
            (r == 4) & (f == 1),
            (r == 3) & (f == 3),
            (r == 3) & (f <= 2),
            (r <= 2) & f.between(3, 4),
            (r <= 2) & (f == 5),
            (r == 1) & (f == 1),
        ],
        [name for name, _ in RFM_SEGMENTS if name != "hibernating"],
        "hibernating",
    )


@dataclass(frozen=True, repr=False)
class RFM(Result):
    """RFM scores per customer (``customers``) and the segment sizes (``segments``)."""

    customers: pd.DataFrame
    segments: pd.DataFrame
    as_of: pd.Timestamp
    title = "RFM segments"
    first = ("segment", "n", "share", "revenue_share")

    @property
    def summary(self) -> pd.DataFrame:
        return self.segments

    def units(self, segment=None, *, min_n=None, **scores) -> pd.DataFrame:
        """The buyers behind a cell: one row per customer of ``customers`` in ``segment``
        (``'at risk'``, ...) and with the given column values (``r=5``), ready to
        export; ``min_n``: raise when the cell has fewer (the suppress_small rule)."""
        return pick(self.customers, {"segment": segment, **scores}, where="units", min_n=min_n)

    @property
    def notes(self) -> tuple[str, ...]:
        return (
            f"as of {self.as_of:%Y-%m-%d}; recency = median days since the last purchase, "
            "frequency = mean orders, monetary = mean revenue per buyer of the segment; "
            "scores are quantile groups (help(journeykit.rfm)).",
        )

    @property
    def conclusion(self) -> str:
        seg = self.segments.set_index("segment")
        best, risk = seg.loc[["champions", "loyal"]], seg.loc[["at risk", "cannot lose"]]
        money = seg["revenue"].sum() > 0

        def revenue(part) -> str:
            return f", {whole_percent(part['revenue_share'].sum())} of the revenue" if money else ""

        return (
            f"Champions and loyal buyers are {whole_percent(best['share'].sum())} of the "
            f"{_count(seg['n'].sum(), 'buyer')}{revenue(best)}; "
            f"{_count(risk['n'].sum(), 'buyer')} "
            f"({whole_percent(risk['share'].sum())}{revenue(risk)}) are at risk or cannot be lost: "
            "they used to buy often and have gone quiet, the first target of a win-back "
            "campaign."
        )

    def plot(self, ax=None):
        """Share of buyers and of revenue per segment."""
        return plots.segment_bars(self.segments, ax)


def rfm(events, *, as_of=None, bins: int = 5, purchase="purchase") -> RFM:
    """Recency, frequency and monetary scores, the RFM code and a named segment.

    Per customer with at least one ``purchase`` event on or before ``as_of``:
    ``recency`` = days from the last purchase to ``as_of``; ``frequency`` = number of
    orders (distinct ``order_id``, or purchase events without it); ``monetary`` = their
    summed ``revenue`` (0 without a revenue column). Each gets a quantile score
    1..``bins`` (:func:`rfm_score`; recency reversed so that recent = high), ``rfm`` is the
    code (e.g. ``'545'``), and ``segment`` is named from the R and F scores (rescaled to
    1-5 when ``bins`` is not 5) by :data:`RFM_SEGMENTS`; :data:`RFM_ACTIONS` suggests what
    to do.

    Parameters
    ----------
    events : pandas.DataFrame or Ibis table
        Canonical events (:func:`journeykit.read_events`).
    as_of : date-like, optional
        The reference date; later events are ignored. Default: the last purchase. Before
        the first purchase it raises a JourneyDataError; more than a year
        (:data:`LONG_AFTER`) after the last it warns (the scores are ranks and do not
        move, but every recency grows by the gap).
    bins : int
        The number of scores, a whole number from 2 to 10.
    purchase : str or list of str
        The purchase events (default ``'purchase'``; e.g. ``['purchase', 'order']``).
        Names that do not occur in the data raise a JourneyDataError.

    Returns
    -------
    RFM
        ``customers``: ``customer_id, frequency, monetary, recency, r, f, m, rfm,
        segment``; ``segments`` (= ``summary``): per segment ``n``, median ``recency``
        (days), mean ``frequency`` and ``monetary`` value, ``revenue``, ``share`` (of the
        buyers), ``revenue_share``, ``definition``, ``action``; ``conclusion``; ``plot()``.

    References
    ----------
    .. [1] Hughes, A. M. (1994). Strategic Database Marketing. Chicago: Probus (RFM
       scoring by quantile groups).
    .. [2] Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). RFM and CLV: using
       iso-value curves for customer base analysis. Journal of Marketing Research 42(4),
       415-430 (recency, frequency and monetary value as the summary of a customer).

    Examples
    --------
    >>> from journeykit import load_cdnow
    >>> res = rfm(load_cdnow(), as_of="1998-06-30")
    >>> res.customers[["r", "f", "m"]].min().tolist(), res.customers[["r", "f", "m"]].max().tolist()
    ([1, 1, 1], [5, 5, 5])
    """
    bins = check_whole("bins", bins, minimum=2, maximum=10)
    t, key = _unit_table(events, activity=purchase, unit="customer", activity_param="purchase")
    as_of = as_of_in_data(
        t,
        as_of,
        param="as_of",
        within=LONG_AFTER,
        why="every recency counts the days up to it, so every customer looks long gone.",
        what=f"{purchase!r} events",
    )
    t = t.filter(t["timestamp"] <= as_of.to_pydatetime())
    orders = t["order_id"].nunique() if "order_id" in t.columns else t.count()
    monetary = t["revenue"].sum() if "revenue" in t.columns else t.count() * 0.0
    agg = t.group_by(key).aggregate(last=t["timestamp"].max(), frequency=orders, monetary=monetary)
    out = _engine.to_pandas(agg.order_by(key))
    out["recency"] = (as_of - out.pop("last")) / DAY
    out["monetary"] = out["monetary"].fillna(0.0).astype(float)
    out["r"] = rfm_score(-out["recency"], bins)
    out["f"] = rfm_score(out["frequency"], bins)
    out["m"] = rfm_score(out["monetary"], bins)
    out["rfm"] = out["r"].astype(str) + out["f"].astype(str) + out["m"].astype(str)
    to5 = lambda s: 1 + np.floor((s - 1) * 5 / bins).astype("int64")  # noqa: E731
    out["segment"] = _rfm_segment(to5(out["r"]), to5(out["f"]))
    names = [name for name, _ in RFM_SEGMENTS]
    out["segment"] = pd.Categorical(out["segment"], categories=names)
    segments = out.groupby("segment", observed=False).agg(
        n=("customer_id", "size"),
        recency=("recency", "median"),
        frequency=("frequency", "mean"),
        monetary=("monetary", "mean"),
        revenue=("monetary", "sum"),
    )
    segments["share"] = segments["n"] / segments["n"].sum()
    segments["revenue_share"] = segments["revenue"] / segments["revenue"].sum()
    segments["definition"] = [d for _, d in RFM_SEGMENTS]
    segments["action"] = [RFM_ACTIONS[n] for n in names]
    return RFM(customers=out, segments=segments.reset_index(), as_of=as_of)


# --------------------------------------------------------------------------- moves


@dataclass(frozen=True, repr=False)
class StatusTransitions(Result):
    """How units moved between lifecycle statuses from ``start`` to ``end``."""

    counts: pd.DataFrame
    shares: pd.DataFrame
    start: pd.Timestamp
    end: pd.Timestamp
    unit: str = "customer"
    title = "Status transitions"

    @property
    def summary(self) -> pd.DataFrame:
        return self.counts.reset_index()

    @property
    def notes(self) -> tuple[str, ...]:
        return (
            f"rows: the status on {self.start:%Y-%m-%d} ('not yet active': no activity by "
            f"then); columns: the status on {self.end:%Y-%m-%d}; to_frame(): from, to, n and "
            "share (of the row).",
        )

    @property
    def conclusion(self) -> str:
        c = self.counts
        c = c.set_axis(c.index.astype(str)).set_axis(c.columns.astype(str), axis=1)
        start, end = f"{self.start:%Y-%m-%d}", f"{self.end:%Y-%m-%d}"
        active = ["new", "returning", "reactivated"]
        was_active = int(c.loc[active].to_numpy().sum())
        lost = int(c.loc[active, ["lapsing", "churned"]].to_numpy().sum())
        text = (
            f"Of the {_count(c.to_numpy().sum(), self.unit)} active by {end}, "
            f"{int(c.loc['not yet active'].sum()):,} were not yet active on {start}."
        )
        if was_active:
            text += (
                f" Of the {was_active:,} active on {start}, {lost:,} "
                f"({whole_percent(lost / was_active)}) were lapsing or churned on {end}."
            )
        return text

    def to_frame(self) -> pd.DataFrame:
        """One row per (start status, end status): ``from``, ``to``, ``n``, ``share``."""
        axes = {"index": "from", "columns": "to"}
        n = self.counts.rename_axis(**axes).stack(future_stack=True).rename("n")
        share = self.shares.rename_axis(**axes).stack(future_stack=True).rename("share")
        return pd.concat([n, share], axis=1).reset_index()

    def plot(self, ax=None):
        """Heatmap of row shares (start status down, end status across) with counts."""
        start, end = f"{self.start:%Y-%m-%d}", f"{self.end:%Y-%m-%d}"
        return plots.transition_heatmap(
            self.shares,
            self.counts,
            ax,
            title=f"Where the {self.unit}s of each status on {start} were on {end}",
            xlabel=f"status on {end}",
            ylabel=f"status on {start} (row shares)",
        )


#: How far before ``end`` the derived ``start`` of :func:`status_transitions` lies (unless
#: the data are shorter: then half way from the first activity to ``end``).
TRANSITION_SPAN = pd.DateOffset(months=6)


def status_transitions(
    events,
    *,
    start=None,
    end=None,
    period="30D",
    churn_after="90D",
    activity=None,
    unit: str = "customer",
) -> StatusTransitions:
    """Cross-tabulate each unit's :func:`lifecycle` status at ``start`` and at ``end``.

    Both statuses follow the rule of :func:`lifecycle` (the same ``period``,
    ``churn_after``, ``activity`` and ``unit`` at both dates). Units without activity by
    ``start`` are in the row ``not yet active``. ``counts`` holds the numbers, ``shares``
    the row shares (where the units of each start status went).

    Parameters
    ----------
    events : pandas.DataFrame or Ibis table
        Canonical events (:func:`journeykit.read_events`).
    start, end : date-like, optional
        The two dates, ``end`` after ``start``. As ``as_of`` in :func:`lifecycle`: before
        the first activity raises a JourneyDataError naming the date, more than
        ``churn_after`` after the last activity warns. Default ``end``: the last activity;
        default ``start``: six calendar months before ``end`` (:data:`TRANSITION_SPAN`), or
        half way from the first activity to ``end`` when that is later (short data).
    period, churn_after : str or Timedelta
        The period and churn window of :func:`lifecycle`, durations with a unit.
    activity : str or list of str, optional
        The events that count as activity (default: every event).
    unit : {'customer', 'account'}
        Customers or B2B accounts.

    Returns
    -------
    StatusTransitions
        ``counts`` and ``shares`` (start status down, end status across; ``summary`` is
        ``counts``), ``to_frame()`` (one row per pair), ``conclusion`` and ``plot()``.

    Examples
    --------
    >>> from journeykit import load_webshop
    >>> moves = status_transitions(load_webshop(), start="2024-03-31", end="2024-06-30")
    >>> moves.shares.sum(axis=1).round(6).unique().tolist()
    [1.0]
    """
    options = {"period": period, "churn_after": churn_after, "activity": activity, "unit": unit}
    start_ts, end_ts = start_end(start, end)
    if start_ts is None or end_ts is None:
        first, last = data_range(_unit_table(events, activity=activity, unit=unit)[0])
        end_ts = last if end_ts is None else end_ts
        if start_ts is None and not pd.isna(first):  # no activity: _lifecycle says so
            start_ts = max(end_ts - TRANSITION_SPAN, first + (end_ts - first) / 2)
        start_ts, end_ts = start_end(start_ts, end_ts)
    a = _lifecycle(events, as_of=start_ts, param="start", by=None, **options).customers
    b = _lifecycle(events, as_of=end_ts, param="end", by=None, **options).customers
    key = a.columns[0]
    moves = b[[key, "status"]].merge(
        a[[key, "status"]], on=key, how="left", suffixes=("", "_start")
    )
    rows = ["not yet active", *STATUSES]
    start_status = moves["status_start"].astype(object).fillna("not yet active")
    counts = pd.crosstab(
        pd.Categorical(start_status, categories=rows),
        pd.Categorical(moves["status"], categories=STATUSES),
        dropna=False,
    )
    counts.index.name = f"status at {start_ts:%Y-%m-%d}"
    counts.columns.name = f"status at {end_ts:%Y-%m-%d}"
    shares = counts.div(counts.sum(axis=1).where(lambda s: s > 0), axis=0)
    return StatusTransitions(counts=counts, shares=shares, start=start_ts, end=end_ts, unit=unit)


# --------------------------------------------------------------------------- promotions


@dataclass(frozen=True, repr=False)
class PromotionResponders(Result):
    """Per customer: purchases inside promotion windows and whether they are responders."""

    customers: pd.DataFrame
    min_share: float
    title = "Promotion responders"

    @property
    def summary(self) -> pd.DataFrame:
        c = self.customers
        return pd.DataFrame(
            {
                "n": [len(c)],
                "n_responders": [int(c["responder"].sum())],
                "share": [c["responder"].mean()],
                "share_in_promotion": [c["n_in_promotion"].sum() / c["n_purchases"].sum()],
            }
        )

    @property
    def notes(self) -> tuple[str, ...]:
        return (
            "n = customers judged (enough purchases); a responder made at least "
            f"{self.min_share:.0%} of their purchases inside a promotion window; "
            "share_in_promotion = purchases inside windows / all their purchases.",
        )

    @property
    def conclusion(self) -> str:
        row = self.summary.iloc[0]
        n, responders = int(row["n"]), int(row["n_responders"])
        return (
            f"{responders:,} of the {_count(n, 'customer')} judged ({whole_percent(row['share'])}) "
            f"{'is a promotion responder' if responders == 1 else 'are promotion responders'}"
            f" (at least {self.min_share:.0%} of their purchases inside a promotion window); "
            f"over all of them, {whole_percent(row['share_in_promotion'])} "
            "of purchases fell inside one."
        )

    def plot(self, ax=None):
        """Customers by their share of purchases inside promotions, with the threshold."""
        return plots.responder_histogram(self.customers, self.min_share, ax)


def promotion_responders(
    events, *, promotions, min_share: float = 0.5, purchase="purchase", min_purchases: int = 2
) -> PromotionResponders:
    """Customers whose purchases fall mostly inside promotion or seasonal windows.

    A customer with at least ``min_purchases`` purchases is a *responder* when the share of
    their purchases made inside a promotion window is at least ``min_share``. Windows are
    half-open ``[start, end)`` in UTC; a purchase inside two overlapping windows counts
    once.

    Parameters
    ----------
    events : pandas.DataFrame or Ibis table
        Canonical events (:func:`journeykit.read_events`).
    promotions : pandas.DataFrame or list
        Windows, each ending after it starts: a frame with columns ``start`` and ``end``
        (e.g. ``journeykit.simulate.promotions(...)``), or a list of ``[start, end]`` or
        ``[name, start, end]`` windows (tuples or lists, as JSON and YAML give them). A
        window that ends before the first purchase raises a JourneyDataError (a wrong
        year, most likely); one that starts after the last purchase warns (it can hold
        none).
    min_share : float
        The share of purchases inside windows that makes a responder, in (0, 1].
    purchase : str or list of str
        The purchase events (default ``'purchase'``); unknown names raise.
    min_purchases : int
        Customers with fewer purchases are left out (at least 1; default 2).

    Returns
    -------
    PromotionResponders
        ``customers``: ``customer_id, n_purchases, n_in_promotion, share_in_promotion,
        responder`` per customer judged; ``summary``: ``n, n_responders, share,
        share_in_promotion``; ``conclusion``; ``plot()``.

    Examples
    --------
    >>> import pandas as pd
    >>> from journeykit import read_events
    >>> ev = read_events(pd.DataFrame({"customer_id": ["a", "a", "b", "b"],
    ...     "timestamp": ["2024-11-29", "2024-12-02", "2024-11-29", "2024-03-01"],
    ...     "event": "purchase"}))
    >>> promotion_responders(ev, promotions=[("2024-11-25", "2024-12-03")]).customers
      customer_id  n_purchases  n_in_promotion  share_in_promotion  responder
    0           a            2               2                 1.0       True
    1           b            2               1                 0.5       True
    """
    number = isinstance(min_share, (int, float, np.number)) and not isinstance(min_share, bool)
    if not number or not 0 < min_share <= 1:
        raise JourneyDataError(
            f"min_share={min_share!r}: expected a share in (0, 1]; got "
            f"{min_share if number else 'a ' + type(min_share).__name__}. Fix: pass e.g. "
            "min_share=0.5 (at least half of a customer's purchases inside a window)."
        )
    min_purchases = check_whole("min_purchases", min_purchases, minimum=1)
    windows = _windows(promotions)
    t, key = _unit_table(events, activity=purchase, unit="customer", activity_param="purchase")
    first, last = data_range(t)
    for s, e in windows:
        check_date_in_data(e, param="promotions", first=first, last=last)
        why = "the window can hold no purchase."
        warn_after_data(s, param="promotions", last=last, within=pd.Timedelta(0), why=why)
    ts = t["timestamp"]
    inside = functools.reduce(
        operator.or_, [(ts >= s.to_pydatetime()) & (ts < e.to_pydatetime()) for s, e in windows]
    )
    agg = t.group_by(key).aggregate(
        n_purchases=t.count(), n_in_promotion=inside.cast("int64").sum()
    )
    out = _engine.to_pandas(agg.order_by(key))
    out = out[out["n_purchases"] >= min_purchases].reset_index(drop=True)
    if out.empty:
        raise JourneyDataError(
            f"min_purchases={min_purchases}: no customer has that many {purchase!r} events. "
            "Fix: pass a smaller min_purchases, or the name of your purchase event."
        )
    out["share_in_promotion"] = out["n_in_promotion"] / out["n_purchases"]
    out["responder"] = out["share_in_promotion"] >= min_share
    return PromotionResponders(customers=out, min_share=min_share)


def _windows(promotions) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    expected = (
        "expected a DataFrame with columns start and end, or a list of [start, end] or "
        "[name, start, end] windows"
    )
    fix = "Fix: pass e.g. promotions=[['black_friday', '2024-11-25', '2024-12-02']]."
    if isinstance(promotions, pd.DataFrame):
        missing = [c for c in ("start", "end") if c not in promotions.columns]
        if missing:
            raise JourneyDataError(
                f"promotions: {expected}; the frame has no {missing} column (columns: "
                f"{list(promotions.columns)}). {fix}"
            )
        pairs = list(zip(promotions["start"], promotions["end"]))
    else:
        # a window is (start, end) or (name, start, end): lists too, as JSON and YAML give
        try:
            items = [None if isinstance(w, (str, bytes)) else tuple(w) for w in promotions]
        except TypeError:
            items = [None]
        if isinstance(promotions, (str, bytes)) or any(
            w is None or len(w) not in (2, 3) for w in items
        ):
            got = f"{type(promotions).__name__} {promotions!r:.60}"
            raise JourneyDataError(f"promotions: {expected}; got {got}. {fix}")
        pairs = [w[-2:] for w in items]
    if not pairs:
        raise JourneyDataError(f"promotions: {expected}; got no windows. {fix}")
    out = [(as_utc(s, param="promotions"), as_utc(e, param="promotions")) for s, e in pairs]
    bad = [(s, e) for s, e in out if e <= s]
    if bad:
        s, e = bad[0]
        raise JourneyDataError(
            f"promotions: every window must end after it starts; the window from "
            f"{s:%Y-%m-%d %H:%M} to {e:%Y-%m-%d %H:%M} does not. Fix: swap its start and end."
        )
    return out
