"""Per-customer summaries and lifecycle segmentation (event-level work in Ibis)."""

from __future__ import annotations

import math
import warnings

import pandas as pd

from . import _engine
from .errors import JourneyWarning
from .events import as_utc, check_events_exist, require

DAY_SECONDS = 86_400


def day_number(timestamp):
    """UTC calendar day of an Ibis timestamp as whole days since 1970-01-01 (portable)."""
    return timestamp.epoch_seconds() // DAY_SECONDS


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
    known = _engine.to_pandas(t.select("event").distinct())["event"]
    if activity is not None:
        activity = check_events_exist(t, activity, param="activity", known=known)
    purchases = [purchase] if isinstance(purchase, str) else list(purchase)
    if not set(purchases) & set(known):
        warnings.warn(
            f"customer_summary: no {purchases} events in the data, so every customer has 0 "
            "orders. Pass purchase= the name of your order event.",
            JourneyWarning,
            stacklevel=2,
        )
    t = t.filter(t["timestamp"] <= as_of.to_pydatetime())
    is_purchase = t["event"].isin(purchases)
    day = day_number(t["timestamp"])
    where_active = None if activity is None else t["event"].isin(activity)
    metrics = {
        "first_seen": t["timestamp"].min(where=where_active),
        "last_seen": t["timestamp"].max(where=where_active),
        "n_events": t["event"].count(where=where_active),
        "n_active_days": day.nunique(where=where_active),
        "n_orders": (
            t["order_id"].nunique(where=is_purchase)
            if "order_id" in t.columns
            else is_purchase.cast("int64").sum()
        ),
        "first_purchase_day": day.min(where=is_purchase),
        "last_purchase_day": day.max(where=is_purchase),
        "n_purchase_days": day.nunique(where=is_purchase),
    }
    if "revenue" in t.columns:
        metrics["revenue"] = t["revenue"].sum(where=is_purchase)
    agg = t.group_by("customer_id").aggregate(**metrics)
    out = _engine.to_pandas(agg.filter(agg["n_events"] > 0))
    as_of_day = math.floor(as_of.timestamp() / DAY_SECONDS)
    first_day = out.pop("first_purchase_day").astype(float)
    out["n_orders"] = out["n_orders"].fillna(0).astype("int64")
    out["revenue"] = out["revenue"].fillna(0.0).astype(float) if "revenue" in out else 0.0
    out["frequency"] = (out.pop("n_purchase_days").fillna(0) - 1).clip(lower=0).astype("int64")
    out["recency"] = out.pop("last_purchase_day").astype(float) - first_day
    out["T"] = as_of_day - first_day
    for name in ("n_events", "n_active_days"):
        out[name] = out[name].astype("int64")
    columns = ["customer_id", "first_seen", "last_seen", "n_events", "n_active_days"]
    columns += ["n_orders", "revenue", "frequency", "recency", "T"]
    return out[columns].sort_values("customer_id", kind="stable").reset_index(drop=True)
