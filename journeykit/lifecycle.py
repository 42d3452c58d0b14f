"""Per-customer summaries and lifecycle segmentation (event-level work in Ibis)."""

from __future__ import annotations

import functools
import inspect
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
    check_options,
    check_whole,
    data_range,
    known_events,
    require_events,
    start_end,
    warn_after_data,
)
from .errors import JourneyDataError, JourneyWarning
from .periods import period_index, period_start
from .results import Result
from .status import STATUSES, classify

#: How far after the last event the ``as_of`` of :func:`customer_summary` and :func:`rfm`
#: may lie before a JourneyWarning: recency and T grow with the gap, so one longer than a
#: year is almost always a wrong date.
LONG_AFTER = pd.Timedelta(days=365)
DAY = pd.Timedelta(days=1)


def day_count(dates: pd.Series) -> pd.Series:
    """Calendar dates (as returned by an engine) as float days since 1970-01-01."""
    dates = pd.to_datetime(dates)
    return (dates - pd.Timestamp(0, tz=dates.dt.tz)).dt.days.astype(float)


def resolve_as_of(table, as_of, *, param: str = "as_of") -> pd.Timestamp:
    """``as_of`` as a UTC timestamp; by default the last event time in the data."""
    if as_of is not None:
        return as_utc(as_of, param=param)
    return as_utc(_engine.to_scalar(table["timestamp"].max()), param=param)


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
          there is no ``order_id``); ``revenue``: summed ``revenue`` of purchases (0 without);
        - ``frequency``, ``recency``, ``T``: the summary of the CLV literature (Fader, Hardie
          & Lee 2005; the ``lifetimes`` package with ``freq='D'``), on UTC calendar days:
          ``frequency`` = number of distinct purchase days minus one (repeat purchase days),
          ``recency`` = days from the first to the last purchase day, ``T`` = days from the
          first purchase day to the ``as_of`` day. ``recency`` and ``T`` are missing for
          customers who never purchased; their ``frequency`` is 0.

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
    # Two levels (customer-day, then customer) instead of COUNT(DISTINCT day) per customer:
    # the same numbers, about 1.7x faster in DuckDB (benchmarks/RESULTS.md).
    days = t.group_by(["customer_id", t["timestamp"].date().name("day")]).aggregate(
        first=t["timestamp"].min(where=active),
        last=t["timestamp"].max(where=active),
        n=t["event"].count(where=active),
        bought=buy.any(),
        buys=buy.cast("int64").sum(),
        revenue=t["revenue"].sum(where=buy) if "revenue" in t.columns else ibis.literal(0.0),
    )
    bought = days["bought"]
    agg = days.group_by("customer_id").aggregate(
        first_seen=days["first"].min(),
        last_seen=days["last"].max(),
        n_events=days["n"].sum(),
        n_active_days=days["n"].count(where=days["n"] > 0),
        n_orders=days["buys"].sum(),
        revenue=days["revenue"].sum(),
        n_purchase_days=bought.cast("int64").sum(),
        first_purchase_day=days["day"].min(where=bought),
        last_purchase_day=days["day"].max(where=bought),
    )
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
    first_day = day_count(out.pop("first_purchase_day"))
    out["n_orders"] = out["n_orders"].fillna(0).astype("int64")
    out["revenue"] = out["revenue"].fillna(0.0).astype(float) if "revenue" in out else 0.0
    out["frequency"] = (out.pop("n_purchase_days").fillna(0) - 1).clip(lower=0).astype("int64")
    out["recency"] = day_count(out.pop("last_purchase_day")) - first_day
    out["T"] = day_count(pd.Series([as_of.normalize()])).iloc[0] - first_day
    for name in ("n_events", "n_active_days"):
        out[name] = out[name].astype("int64")
    columns = ["customer_id", "first_seen", "last_seen", "n_events", "n_active_days"]
    columns += ["n_orders", "revenue", "frequency", "recency", "T"]
    return out[columns]


# --------------------------------------------------------------------------- segmentation

LEVELS = {"customer": "customer_id", "account": "account_id"}


def _unit_table(events, *, activity, level: str, activity_param: str = "activity"):
    """The Ibis table of activity events and the unit column ('customer_id'/'account_id');
    ``activity_param`` names the activity in messages."""
    require_events(events)
    check_choice("level", level, tuple(LEVELS))
    unit = LEVELS[level]
    if level == "account" and unit not in events.columns:
        raise JourneyDataError(
            "level='account': the events have no 'account_id' column. Fix: pass account= the "
            "column holding the B2B account to read_events, or use level='customer'."
        )
    t = _engine.as_table(events)
    if activity is not None:
        known = known_events(t)
        activity = check_events_exist(t, activity, param=activity_param, known=known)
        t = t.filter(t["event"].isin(activity))
    if level == "account":
        t = t.filter(t["account_id"].notnull())
    return t, unit


@dataclass(frozen=True, repr=False)
class Lifecycle(Result):
    """Lifecycle status per customer (``customers``) and the counts per status (``table``)."""

    customers: pd.DataFrame
    table: pd.DataFrame
    as_of: pd.Timestamp
    period: pd.Timedelta
    churn_after: pd.Timedelta
    by: tuple[str, ...] = ()
    title = "Lifecycle status"

    @property
    def notes(self) -> tuple[str, ...]:
        days = self.period / DAY
        churn = self.churn_after / DAY
        return (
            f"as of {self.as_of:%Y-%m-%d %H:%M} UTC; period = the last {days:g} days; "
            f"churned = no activity for at least {churn:g} days.",
        )

    @property
    def three_way(self) -> pd.DataFrame:
        """The coarse picture: ``new``; ``returning`` = existing customers who have not
        churned (returning + reactivated + lapsing); ``churned``. Columns ``[by], group, n,
        share``."""
        coarse = {"reactivated": "returning", "lapsing": "returning"}
        table = self.table.assign(
            group=self.table["status"].astype(str).replace(coarse),
        )
        keys = [*self.by, "group"]
        out = table.groupby(keys, sort=False, dropna=False)[["n", "share"]].sum().reset_index()
        return out

    def plot(self, ax=None):
        """Customers per status (grouped bars when broken down)."""
        return plots.status_bars(self.table, ax, by=self.by[0] if self.by else None)


def lifecycle(
    events,
    *,
    as_of=None,
    period="30D",
    churn_after="90D",
    activity=None,
    by=None,
    level: str = "customer",
) -> Lifecycle:
    """Give every customer active on or before ``as_of`` exactly one lifecycle status.

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
    is longer than ``churn_after``, being active in P takes precedence.

    Parameters
    ----------
    events : pandas.DataFrame or Ibis table
        Canonical events (:func:`journeykit.read_events`).
    as_of : date-like, optional
        The reference time. Default: the last activity in the data. Before the first
        activity it raises a JourneyDataError; more than ``churn_after`` after the last it
        warns (every customer is churned then).
    period, churn_after : str or Timedelta
        The measurement period and the churn window, durations with a unit (``'30D'``,
        ``'12h'``, ``'2W'``; a bare number raises); defaults 30 and 90 days, sensible for
        web shops; B2B or durable goods need longer windows.
    activity : str or list of str, optional
        The events that count as activity (default: every event; e.g. ``'purchase'``).
    by : str, list of str or pandas.DataFrame, optional
        Break the summary down: event columns take the value at the customer's first
        activity (``'channel'`` gives the acquisition channel); a DataFrame with
        ``customer_id`` (or ``account_id``) adds customer attributes such as persona, one
        row per customer (conflicting rows raise). A missing value is never a group:
        customers with a missing value, or absent from the frame, are left out with a
        JourneyWarning giving their number.
    level : {'customer', 'account'}
        ``'account'`` assigns statuses to B2B accounts (``account_id``): an account is
        active when any of its people is; events without an account are left out.

    Returns
    -------
    Lifecycle
        ``customers``: one row per customer (or account) with ``status``, ``first_seen``,
        ``last_seen``, ``days_since_last``, ``gap_days`` (the gap before the first activity
        in P; missing when there is none), ``events_in_period`` and the ``by`` columns.
        ``table`` (= ``summary``): ``[by], status, n, share`` with every status listed.

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
    """
    options = {"period": period, "churn_after": churn_after, "activity": activity}
    return _lifecycle(events, as_of=as_of, param="as_of", by=by, level=level, **options)


def _lifecycle(events, *, as_of, param, period, churn_after, activity, by, level) -> Lifecycle:
    """:func:`lifecycle`, with ``param`` naming the ``as_of`` in its messages."""
    period = as_timedelta(period, param="period")
    churn_after = as_timedelta(churn_after, param="churn_after")
    t, unit = _unit_table(events, activity=activity, level=level)
    as_of = as_of_in_data(
        t,
        as_of,
        param=param,
        within=churn_after,
        why=f"every customer is churned then (churn_after is {churn_after / DAY:g} days).",
        what="activity",
    )
    if period > churn_after:
        warnings.warn(
            f"period ({period}) is longer than churn_after ({churn_after}): customers active in "
            "the period are never lapsing or churned, whatever their gaps.",
            JourneyWarning,
            stacklevel=3,
        )
    start = as_of - period
    t = t.filter(t["timestamp"] <= as_of.to_pydatetime())
    ts = t["timestamp"]
    in_period = ts > start.to_pydatetime()
    agg = t.group_by(unit).aggregate(
        first_seen=ts.min(),
        last_seen=ts.max(),
        first_in_period=ts.min(where=in_period),
        last_before=ts.max(where=~in_period),
        events_in_period=in_period.cast("int64").sum(),
    )
    columns = [unit, "status", "first_seen", "last_seen", "days_since_last", "gap_days"]
    columns.append("events_in_period")
    groups, names = unit_groups(t, unit, by, reserved=(*columns, "n", "share"))
    out = _engine.to_pandas(attach(agg, groups, unit).order_by(unit))
    out["status"] = classify(out, as_of=as_of, start=start, churn_after=churn_after)
    out["days_since_last"] = (as_of - out["last_seen"]) / DAY
    out["gap_days"] = (out["first_in_period"] - out["last_before"]) / DAY
    out = out[[*columns, *names]]
    return Lifecycle(
        customers=out,
        table=_status_counts(out, names),
        as_of=as_of,
        period=period,
        churn_after=churn_after,
        by=tuple(names),
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
GROWTH_COLUMNS = ("period", "active", "new", "returning", "reactivated", "dormant", "quick_ratio")


@dataclass(frozen=True, repr=False)
class LifecycleOverTime(Result):
    """Growth accounting per period: new, returning, reactivated and dormant customers."""

    table: pd.DataFrame
    freq: str
    by: tuple[str, ...] = ()
    title = "Lifecycle over time (growth accounting)"

    @property
    def notes(self) -> tuple[str, ...]:
        return (
            "active = new + returning + reactivated; dormant (negative) = active in the "
            "previous period, not in this one; quick_ratio = (new + reactivated) / |dormant|.",
        )

    def plot(self, ax=None):
        """Stacked bars per period with dormant below zero (the first group when broken down)."""
        table = self.table
        if self.by:
            first = table[self.by[0]].iloc[0]
            table = table[table[self.by[0]] == first]
        return plots.growth_bars(table, ax)


def lifecycle_over_time(
    events, *, freq: str = "M", activity=None, by=None, level: str = "customer"
) -> LifecycleOverTime:
    """Growth accounting: how the active customer base changes from period to period.

    For each calendar period t (UTC; ``freq`` is 'D', 'W' (Monday start), 'M', 'Q' or 'Y'),
    every customer active in t or t-1 counts once:

    - ``new``: active in t, and t is their first active period;
    - ``returning``: active in t and in t-1;
    - ``reactivated``: active in t, not in t-1, active in some period before;
    - ``dormant``: active in t-1, not in t (reported as a negative number).

    So ``active(t) = new + returning + reactivated`` and ``active(t-1) = returning +
    |dormant|``. ``quick_ratio`` = (new + reactivated) / |dormant| (above 1: the base grows).
    Periods run from the first to the last period with activity, empty ones included.

    Parameters
    ----------
    events : pandas.DataFrame or Ibis table
        Canonical events.
    freq : {'D', 'W', 'M', 'Q', 'Y'}
        The period length.
    activity : str or list of str, optional
        The events that count as activity (default: every event).
    by : str, list of str or pandas.DataFrame, optional
        As in :func:`lifecycle` (value at the first activity, or customer attributes;
        customers without a value are left out with a JourneyWarning).
    level : {'customer', 'account'}
        Count customers or B2B accounts.

    Returns
    -------
    LifecycleOverTime
        ``table``: ``[by], period, active, new, returning, reactivated, dormant,
        quick_ratio``.

    Examples
    --------
    >>> import pandas as pd
    >>> from journeykit import read_events
    >>> ev = read_events(pd.DataFrame({
    ...     "customer_id": ["a", "a", "b", "a", "b"],
    ...     "timestamp": ["2024-01-05", "2024-02-05", "2024-02-06", "2024-04-01",
    ...                   "2024-04-02"],
    ...     "event": "visit"}))
    >>> lifecycle_over_time(ev).table[["period", "new", "returning", "reactivated",
    ...                                "dormant"]]
                         period  new  returning  reactivated  dormant
    0 2024-01-01 00:00:00+00:00    1          0            0        0
    1 2024-02-01 00:00:00+00:00    1          1            0        0
    2 2024-03-01 00:00:00+00:00    0          0            0       -2
    3 2024-04-01 00:00:00+00:00    0          0            2        0
    """
    import ibis

    check_choice("freq", freq, periods.FREQS)
    t, unit = _unit_table(events, activity=activity, level=level)
    groups, names = unit_groups(t, unit, by, reserved=GROWTH_COLUMNS)
    pairs = t.select(unit, idx=period_index(t, freq)).distinct()
    w = ibis.window(group_by=unit, order_by="idx")
    pairs = pairs.mutate(prev=pairs["idx"].lag().over(w), next=pairs["idx"].lead().over(w))
    pairs = attach(pairs, groups, unit)
    keys = [*names, "idx"]
    active = pairs.group_by(keys).aggregate(
        active=pairs.count(),
        new=pairs["prev"].isnull().cast("int64").sum(),
        returning=(pairs["prev"] == pairs["idx"] - 1).cast("int64").sum(),
    )
    gone = pairs.filter(pairs["next"].isnull() | (pairs["next"] != pairs["idx"] + 1))
    gone = gone.mutate(idx=gone["idx"] + 1)
    dormant = gone.group_by(keys).aggregate(dormant=gone.count())
    # One query: the pairs and windows are computed once for both counts.
    both = active.outer_join(dormant, keys)
    both = both.select(
        *[ibis.coalesce(both[k], both[f"{k}_right"]).name(k) for k in keys],
        "active",
        "new",
        "returning",
        "dormant",
    )
    counts = _engine.to_pandas(both)
    if counts.empty:
        raise JourneyDataError(
            f"events: no activity{'' if activity is None else f' ({activity})'} in the data, "
            "so there is nothing to count. Fix: pass events that hold activity (check "
            "activity= and level=)."
        )
    table = _growth_table(counts, names, freq)
    return LifecycleOverTime(table=table, freq=freq, by=tuple(names))


def _growth_table(counts: pd.DataFrame, names, freq) -> pd.DataFrame:
    """Counts on the full grid of groups x periods (empty periods included, zeros filled);
    dormant customers of the period after the last active one are dropped."""
    active = counts[counts["active"].notna()]
    periods = pd.DataFrame({"idx": range(int(active["idx"].min()), int(active["idx"].max()) + 1)})
    grid = counts[names].drop_duplicates().merge(periods, how="cross") if names else periods
    keys = [*names, "idx"]
    table = grid.merge(counts, on=keys, how="left")
    counts = ["active", "new", "returning", "dormant"]
    table[counts] = table[counts].fillna(0).astype("int64")
    table["dormant"] = -table["dormant"]
    table["reactivated"] = table["active"] - table["new"] - table["returning"]
    table.insert(len(names), "period", period_start(table.pop("idx"), freq).to_numpy())
    table = table[[*names, *GROWTH_COLUMNS[:-1]]]
    lost = (-table["dormant"]).where(table["dormant"] < 0)
    table["quick_ratio"] = (table["new"] + table["reactivated"]) / lost
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
    """Quantile score 1..bins: ``1 + floor(bins * (rank - 1) / n)`` with ties given their
    lowest rank, so equal values always share a score (deterministic, order-free)."""
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

    @property
    def summary(self) -> pd.DataFrame:
        return self.segments

    def plot(self, ax=None):
        """Customers and revenue share per segment."""
        return plots.segment_bars(self.segments, ax)


def rfm(events, *, as_of=None, bins: int = 5, activity="purchase") -> RFM:
    """Recency, frequency and monetary scores, the RFM code and a named segment.

    Per customer with at least one ``activity`` event on or before ``as_of``:
    ``recency`` = days from the last such event to ``as_of``; ``frequency`` = number of
    orders (distinct ``order_id``, or events without it); ``monetary`` = their summed
    ``revenue`` (0 without a revenue column). Each gets a quantile score 1..``bins``
    (:func:`rfm_score`; recency reversed so that recent = high), ``rfm`` is the code
    (e.g. ``'545'``), and ``segment`` is named from the R and F scores (rescaled to 1-5 when
    ``bins`` is not 5) by :data:`RFM_SEGMENTS`; :data:`RFM_ACTIONS` suggests what to do.

    Parameters
    ----------
    events : pandas.DataFrame or Ibis table
        Canonical events (:func:`journeykit.read_events`).
    as_of : date-like, optional
        The reference date; later events are ignored. Default: the last ``activity`` event.
        Before the first ``activity`` event it raises a JourneyDataError; more than a year
        (:data:`LONG_AFTER`) after the last it warns (the scores are ranks and do not
        move, but every recency grows by the gap).
    bins : int
        The number of scores, a whole number from 2 to 10.
    activity : str or list of str
        The purchase events (default ``'purchase'``; e.g. ``['purchase', 'order']``).
        Names that do not occur in the data raise a JourneyDataError.

    Returns
    -------
    RFM
        ``customers``: ``customer_id, frequency, monetary, recency, r, f, m, rfm,
        segment``; ``segments`` (= ``summary``): per segment n, median recency, mean
        frequency and monetary value, revenue, share, revenue_share, definition, action.

    Examples
    --------
    >>> from journeykit import load_cdnow
    >>> res = rfm(load_cdnow(), as_of="1998-06-30")
    >>> res.customers[["r", "f", "m"]].min().tolist(), res.customers[["r", "f", "m"]].max().tolist()
    ([1, 1, 1], [5, 5, 5])
    """
    bins = check_whole("bins", bins, minimum=2, maximum=10)
    t, unit = _unit_table(events, activity=activity, level="customer")
    as_of = as_of_in_data(
        t,
        as_of,
        param="as_of",
        within=LONG_AFTER,
        why="every recency counts the days up to it, so every customer looks long gone.",
        what=f"{activity!r} events",
    )
    t = t.filter(t["timestamp"] <= as_of.to_pydatetime())
    orders = t["order_id"].nunique() if "order_id" in t.columns else t.count()
    monetary = t["revenue"].sum() if "revenue" in t.columns else t.count() * 0.0
    agg = t.group_by(unit).aggregate(last=t["timestamp"].max(), frequency=orders, monetary=monetary)
    out = _engine.to_pandas(agg.order_by(unit))
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
    """How customers moved between lifecycle statuses from ``start`` to ``end``."""

    counts: pd.DataFrame
    shares: pd.DataFrame
    title = "Status transitions"

    @property
    def summary(self) -> pd.DataFrame:
        return self.counts.reset_index()

    def plot(self, ax=None):
        """Heatmap of row shares (from-status x to-status) with counts."""
        return plots.transition_heatmap(self.shares, self.counts, ax)


def status_transitions(events, *, start, end, **lifecycle_options) -> StatusTransitions:
    """Cross-tabulate each customer's :func:`lifecycle` status at ``start`` and at ``end``.

    Customers without activity by ``start`` are in the row ``not yet active``. ``counts``
    holds the numbers, ``shares`` the row shares (where the customers of each start status
    went).

    Parameters
    ----------
    events : pandas.DataFrame or Ibis table
        Canonical events (:func:`journeykit.read_events`).
    start, end : date-like
        The two dates, ``end`` after ``start``. As ``as_of`` in :func:`lifecycle`: before
        the first activity raises a JourneyDataError naming the date, more than
        ``churn_after`` after the last activity warns.
    **lifecycle_options
        ``period``, ``churn_after``, ``activity`` and ``level`` of :func:`lifecycle`, for
        both dates; any other option raises.

    Returns
    -------
    StatusTransitions
        ``counts`` and ``shares`` (from-status down, to-status across); ``plot()``.

    Examples
    --------
    >>> from journeykit import load_webshop
    >>> moves = status_transitions(load_webshop(), start="2024-03-31", end="2024-06-30")
    >>> moves.shares.sum(axis=1).round(6).unique().tolist()
    [1.0]
    """
    for name in ("as_of", "by"):
        if name in lifecycle_options:
            raise JourneyDataError(
                f"{name}= cannot be passed to status_transitions (start and end set the dates). "
                f"Fix: drop {name}=."
            )
    options = {  # lifecycle's own defaults
        name: p.default
        for name, p in inspect.signature(lifecycle).parameters.items()
        if p.kind is p.KEYWORD_ONLY and name not in ("as_of", "by")
    }
    check_options(lifecycle_options, options, where="status_transitions")
    options.update(lifecycle_options, by=None)
    start_ts, end_ts = start_end(as_utc(start, param="start"), as_utc(end, param="end"))
    a = _lifecycle(events, as_of=start_ts, param="start", **options).customers
    b = _lifecycle(events, as_of=end_ts, param="end", **options).customers
    unit = a.columns[0]
    moves = b[[unit, "status"]].merge(
        a[[unit, "status"]], on=unit, how="left", suffixes=("", "_start")
    )
    rows = ["not yet active", *STATUSES]
    start_status = moves["status_start"].astype(object).fillna("not yet active")
    counts = pd.crosstab(
        pd.Categorical(start_status, categories=rows),
        pd.Categorical(moves["status"], categories=STATUSES),
        dropna=False,
    )
    counts.index.name, counts.columns.name = (
        f"status at {start_ts:%Y-%m-%d}",
        f"status at {end_ts:%Y-%m-%d}",
    )
    shares = counts.div(counts.sum(axis=1).where(lambda s: s > 0), axis=0)
    return StatusTransitions(counts=counts, shares=shares)


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
                "customers": [len(c)],
                "responders": [int(c["responder"].sum())],
                "share": [c["responder"].mean()],
                "purchases_in_promotion": [c["in_promotion"].sum() / c["purchases"].sum()],
            }
        )


def promotion_responders(
    events, *, promotions, min_share: float = 0.5, purchase="purchase", min_purchases: int = 2
) -> PromotionResponders:
    """Customers whose purchases fall mostly inside promotion or seasonal windows.

    A customer with at least ``min_purchases`` purchases is a *responder* when the share of
    their purchases made inside a promotion window is at least ``min_share``. Windows are
    half-open ``[start, end)`` in UTC.

    Parameters
    ----------
    events : pandas.DataFrame or Ibis table
        Canonical events (:func:`journeykit.read_events`).
    promotions : pandas.DataFrame or list of (start, end)
        Windows, e.g. ``journeykit.simulate.promotions(...)`` (columns ``start``, ``end``),
        each ending after it starts. A window that ends before the first purchase raises a
        JourneyDataError (a wrong year, most likely); one that starts after the last
        purchase warns (it can hold none).
    min_share : float
        The share of purchases inside windows that makes a responder, in (0, 1].
    purchase : str or list of str
        The purchase events (default ``'purchase'``); unknown names raise.
    min_purchases : int
        Customers with fewer purchases are left out (at least 1; default 2).

    Examples
    --------
    >>> import pandas as pd
    >>> from journeykit import read_events
    >>> ev = read_events(pd.DataFrame({"customer_id": ["a", "a", "b", "b"],
    ...     "timestamp": ["2024-11-29", "2024-12-02", "2024-11-29", "2024-03-01"],
    ...     "event": "purchase"}))
    >>> promotion_responders(ev, promotions=[("2024-11-25", "2024-12-03")]).customers
      customer_id  purchases  in_promotion  share  responder
    0           a          2             2    1.0       True
    1           b          2             1    0.5       True
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
    t, unit = _unit_table(events, activity=purchase, level="customer", activity_param="purchase")
    first, last = data_range(t)
    for s, e in windows:
        check_date_in_data(e, param="promotions", first=first, last=last)
        why = "the window can hold no purchase."
        warn_after_data(s, param="promotions", last=last, within=pd.Timedelta(0), why=why)
    ts = t["timestamp"]
    inside = functools.reduce(
        operator.or_, [(ts >= s.to_pydatetime()) & (ts < e.to_pydatetime()) for s, e in windows]
    )
    agg = t.group_by(unit).aggregate(purchases=t.count(), in_promotion=inside.cast("int64").sum())
    out = _engine.to_pandas(agg.order_by(unit))
    out = out[out["purchases"] >= min_purchases].reset_index(drop=True)
    if out.empty:
        raise JourneyDataError(
            f"min_purchases={min_purchases}: no customer has that many {purchase!r} events. "
            "Fix: pass a smaller min_purchases, or the name of your purchase event."
        )
    out["share"] = out["in_promotion"] / out["purchases"]
    out["responder"] = out["share"] >= min_share
    return PromotionResponders(customers=out, min_share=min_share)


def _windows(promotions) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    expected = "expected a DataFrame with columns start and end, or a list of (start, end) pairs"
    fix = "Fix: pass e.g. promotions=[('2024-11-25', '2024-12-02')]."
    if isinstance(promotions, pd.DataFrame):
        missing = [c for c in ("start", "end") if c not in promotions.columns]
        if missing:
            raise JourneyDataError(
                f"promotions: {expected}; the frame has no {missing} column (columns: "
                f"{list(promotions.columns)}). {fix}"
            )
        pairs = list(zip(promotions["start"], promotions["end"]))
    else:
        try:
            pairs = [(s, e) for s, e in promotions]
        except (TypeError, ValueError):
            raise JourneyDataError(
                f"promotions: {expected}; got {type(promotions).__name__}. {fix}"
            ) from None
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
