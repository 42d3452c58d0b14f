"""Per-customer summaries and lifecycle segmentation (event-level work in Ibis)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import _engine, plots
from .errors import JourneyDataError, JourneyWarning
from .events import as_timedelta, as_utc, check_choice, check_events_exist, require
from .results import Result


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
    activity : str or list of str, optional
        The events that count as activity for ``first_seen``, ``last_seen``, ``n_events``
        and ``n_active_days`` (default: every event). Customers without activity are left out.
    purchase : str or list of str
        The events that are purchases (default ``'purchase'``).

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
    require(events, ("customer_id", "timestamp", "event"))
    t = _engine.as_table(events)
    as_of = resolve_as_of(t, as_of)
    if activity is not None:
        activity = check_events_exist(t, activity, param="activity")
    purchases = [purchase] if isinstance(purchase, str) else list(purchase)
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

#: Lifecycle statuses of :func:`lifecycle`, in display order.
STATUSES = ("new", "returning", "reactivated", "lapsing", "churned")
LEVELS = {"customer": "customer_id", "account": "account_id"}


def _unit_table(events, *, activity, level: str, param_events: str = "events"):
    """The Ibis table of activity events and the unit column ('customer_id'/'account_id')."""
    require(events, ("customer_id", "timestamp", "event"), param=param_events)
    check_choice("level", level, tuple(LEVELS))
    unit = LEVELS[level]
    if level == "account" and unit not in events.columns:
        raise JourneyDataError(
            "level='account': the events have no 'account_id' column. Fix: pass account= the "
            "column holding the B2B account to read_events, or use level='customer'."
        )
    t = _engine.as_table(events)
    if activity is not None:
        activity = check_events_exist(t, activity, param="activity")
        t = t.filter(t["event"].isin(activity))
    if level == "account":
        t = t.filter(t["account_id"].notnull())
    return t, unit


def _groups(t, unit: str, by):
    """Per-unit breakdown columns: event columns take their value at the unit's first
    activity (so ``by='channel'`` is the acquisition channel); a DataFrame with a ``unit``
    column supplies attributes (persona, segment, ...). Returns (Ibis table or None, names)."""
    import ibis

    if by is None:
        return None, []
    if isinstance(by, pd.DataFrame):
        if unit not in by.columns:
            raise JourneyDataError(
                f"by: the DataFrame has no {unit!r} column (columns: {list(by.columns)}). Fix: "
                f"pass a frame with {unit!r} and the attributes to break down by."
            )
        names = [c for c in by.columns if c != unit]
        attrs = by.drop_duplicates(unit).astype({unit: str})
        return ibis.memtable(attrs), names
    names = [by] if isinstance(by, str) else list(by)
    require(t, names, param="by")
    firsts = t.group_by(unit).aggregate(**{n: t[n].argmin(t["timestamp"]) for n in names})
    return firsts, names


def _attach(table, groups, unit: str):
    if groups is None:
        return table
    return table.left_join(groups, unit).drop(f"{unit}_right")


@dataclass(frozen=True)
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
    def summary(self) -> pd.DataFrame:
        return self.table

    @property
    def notes(self) -> tuple[str, ...]:
        days = self.period / pd.Timedelta(days=1)
        churn = self.churn_after / pd.Timedelta(days=1)
        return (
            f"as of {self.as_of:%Y-%m-%d %H:%M} UTC; period = the last {days:g} days; "
            f"churned = no activity for at least {churn:g} days.",
        )

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
        The reference time. Default: the last activity in the data.
    period, churn_after : str, Timedelta or number of days
        The measurement period and the churn window (defaults 30 and 90 days, sensible for
        web shops; B2B or durable goods need longer windows).
    activity : str or list of str, optional
        The events that count as activity (default: every event; e.g. ``'purchase'``).
    by : str, list of str or pandas.DataFrame, optional
        Break the summary down: event columns take the value at the customer's first
        activity (``'channel'`` gives the acquisition channel); a DataFrame with
        ``customer_id`` (or ``account_id``) adds customer attributes such as persona.
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
    period = as_timedelta(period, param="period")
    churn_after = as_timedelta(churn_after, param="churn_after")
    t, unit = _unit_table(events, activity=activity, level=level)
    first_time = as_utc(_engine.to_scalar(t["timestamp"].min()), param="events")
    as_of = resolve_as_of(t, as_of)
    if as_of < first_time:
        raise JourneyDataError(
            f"as_of={as_of:%Y-%m-%d %H:%M}: before all activity (the first is "
            f"{first_time:%Y-%m-%d %H:%M}). Fix: pass an as_of inside the data."
        )
    if period > churn_after:
        warnings.warn(
            f"period ({period}) is longer than churn_after ({churn_after}): customers active in "
            "the period are never lapsing or churned, whatever their gaps.",
            JourneyWarning,
            stacklevel=2,
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
    groups, names = _groups(t, unit, by)
    out = _engine.to_pandas(_attach(agg, groups, unit).order_by(unit))
    out["status"] = _status(out, as_of=as_of, start=start, churn_after=churn_after)
    day = pd.Timedelta(days=1)
    out["days_since_last"] = (as_of - out["last_seen"]) / day
    out["gap_days"] = (out["first_in_period"] - out["last_before"]) / day
    columns = [unit, "status", "first_seen", "last_seen", "days_since_last", "gap_days"]
    out = out[[*columns, "events_in_period", *names]]
    return Lifecycle(
        customers=out,
        table=_status_counts(out, names),
        as_of=as_of,
        period=period,
        churn_after=churn_after,
        by=tuple(names),
    )


def _status(out: pd.DataFrame, *, as_of, start, churn_after) -> pd.Categorical:
    active = out["first_in_period"].notna()
    gap = out["first_in_period"] - out["last_before"]
    status = np.select(
        [
            out["first_seen"] > start,
            active & (gap < churn_after),
            active,
            as_of - out["last_seen"] < churn_after,
        ],
        ["new", "returning", "reactivated", "lapsing"],
        "churned",
    )
    return pd.Categorical(status, categories=STATUSES)


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
