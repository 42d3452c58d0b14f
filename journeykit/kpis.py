"""Headline KPIs per journey stage and period (event-level work in Ibis)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import _engine, plots
from .checks import check_choice, check_events_exist, column_names, require, require_events, suggest
from .errors import JourneyDataError, JourneyWarning
from .events import STAGES, map_stages
from .results import Result

#: freq -> Ibis truncate unit.
FREQS = {"D": "D", "W": "W", "M": "M", "Q": "Q", "Y": "Y"}
#: The default cart event; a log without it (a purchase-only transaction log) has no cart
#: figures, while any other ``cart=`` name must exist.
DEFAULT_CART = "add_to_cart"


@dataclass(frozen=True, repr=False)
class KPIs(Result):
    """KPIs per journey stage (``stages``) and commerce KPIs (``commerce``)."""

    stages: pd.DataFrame
    commerce: pd.DataFrame
    by: tuple[str, ...] = ()
    has_cart: bool = True
    title = "Journey KPIs"

    @property
    def summary(self) -> pd.DataFrame:
        return self.commerce

    @property
    def notes(self) -> tuple[str, ...]:
        cart = (
            "cart_abandonment: share of customers with a cart event and no purchase in the "
            "same period"
            if self.has_cart
            else f"cart_abandonment: missing, the events have no {DEFAULT_CART!r} event "
            "(pass cart= the add-to-cart event to get it)"
        )
        return (
            "customers: distinct customers with an event of the stage (per period when freq "
            "is set); rate_from_previous: customers / customers of the previous stage present.",
            f"{cart}; repeat_purchase_rate: share of purchasers with two or more orders up to "
            "the end of the period.",
        )

    def plot(self, ax=None):
        """Stage bars (no ``freq``) or customers per stage over time (with ``freq``)."""
        if "period" in self.stages.columns:
            return plots.stage_lines(self.stages, ax)
        return plots.stage_bars(self.stages, ax, by=self.by[0] if self.by else None)


def kpis(
    events,
    *,
    stages=None,
    freq: str | None = None,
    by=None,
    purchase="purchase",
    cart="add_to_cart",
) -> KPIs:
    """Headline KPIs of the journey: customers per stage and commerce figures.

    Parameters
    ----------
    events : pandas.DataFrame or Ibis table
        Canonical events (:func:`journeykit.read_events`).
    stages : dict, optional
        Event -> stage mapping (see :func:`journeykit.map_stages`; events it does not name
        belong to no stage). Default: the events' own ``stage`` column.
    freq : {'D', 'W', 'M', 'Q', 'Y'}, optional
        Report per calendar period (UTC) instead of over the whole log.
    by : str or list of str, optional
        Columns of the events to break the KPIs down by (e.g. ``'channel'``). A customer
        is counted in every group in which they have events. Events without a value in
        them are left out with a ``JourneyWarning`` giving the count (a missing value is
        never a group).
    purchase : str or list of str
        The purchase events; each must occur in the events.
    cart : str or list of str
        The add-to-cart events. The default, ``'add_to_cart'``, may be absent (a
        purchase-only transaction log): then ``cart_abandonment`` is missing (NaN) and a
        ``JourneyWarning`` says so. Any other name must occur in the events: an unknown
        one raises with the closest match (a typo is never silently no cart).

    Returns
    -------
    KPIs
        ``stages``: ``[period], [by], stage, customers, rate_from_previous,
        rate_from_first`` in journey order. ``commerce``: ``[period], [by],
        active_customers, purchasers, orders, revenue, aov, cart_abandonment,
        repeat_purchase_rate`` where

        - ``orders``: distinct ``order_id`` among purchases (purchase events without it);
        - ``revenue``: the summed ``revenue`` of the purchases (a purchase without one
          counts as 0, with a ``JourneyWarning`` giving their number);
        - ``aov`` (average order value) = revenue / orders;
        - ``cart_abandonment``: customers with a cart event but no purchase in the period,
          divided by customers with a cart event;
        - ``repeat_purchase_rate``: purchasers of the period with at least two orders up to
          the end of the period (an earlier order, or two in the period), divided by the
          purchasers of the period.

    Examples
    --------
    >>> from journeykit.datasets import load_webshop
    >>> k = kpis(load_webshop())
    >>> k.stages["stage"].tolist()
    ['awareness', 'consideration', 'decision', 'purchase', 'retention', 'advocacy']
    """
    require_events(events)
    check_choice("freq", freq, (None, *FREQS))
    by = column_names(by, param="by")
    require(events, by, param="by")
    t = _engine.as_table(events)
    known = _engine.distinct(t, "event")
    purchases = check_events_exist(t, purchase, param="purchase", known=known)
    carts = _cart_events(t, cart, known)
    if stages is not None:
        try:
            t = map_stages(t, stages, unmapped="keep")
        except JourneyDataError as error:  # name the parameter as kpis calls it
            raise JourneyDataError(f"stages: {error}") from error
    elif "stage" not in t.columns:
        raise JourneyDataError(
            "stages: the events have no 'stage' column and no mapping was given. Fix: pass "
            "stages={'page_view': 'awareness', 'purchase': 'purchase', ...} or add stages "
            "with journeykit.map_stages first."
        )
    if by:
        t = _without_missing(t, by)
    keys = list(by)
    if freq is not None:
        t = t.mutate(period=t["timestamp"].truncate(FREQS[freq]))
        keys = ["period", *by]

    staged = t.filter(t["stage"].notnull())
    stage_counts = staged.group_by([*keys, "stage"]).aggregate(
        customers=staged["customer_id"].nunique()
    )
    stage_table = _stage_rates(_engine.to_pandas(stage_counts), keys)

    table = _commerce(t, keys, purchases, carts, per_period=freq is not None)
    return KPIs(stages=stage_table, commerce=table, by=tuple(by), has_cart=bool(carts))


def _commerce(t, keys: list[str], purchases: list[str], carts, *, per_period: bool):
    """The commerce table per ``keys``; no cart figures (NaN) without ``carts``. Purchases
    without revenue count as 0, with a JourneyWarning giving their number."""
    is_purchase = t["event"].isin(purchases)
    first_purchase = (
        t.filter(is_purchase).group_by("customer_id").aggregate(first_purchase=t["timestamp"].min())
    )
    has_revenue = "revenue" in t.columns
    optional = {"has_cart": t["event"].isin(carts).any()} if carts else {}
    if has_revenue:
        optional["no_revenue"] = (is_purchase & t["revenue"].isnull()).cast("int64").sum()
    per_customer = t.group_by([*keys, "customer_id"]).aggregate(
        **optional,
        orders=(
            t["order_id"].nunique(where=is_purchase)
            if "order_id" in t.columns
            else is_purchase.cast("int64").sum()
        ),
        revenue=t["revenue"].sum(where=is_purchase) if has_revenue else 0.0,
    )
    per_customer = per_customer.left_join(first_purchase, "customer_id")
    bought = per_customer["orders"] > 0
    earlier = per_customer["first_purchase"] < per_customer["period"] if per_period else False
    repeat = bought & ((per_customer["orders"] >= 2) | earlier)
    sums = {"no_revenue": per_customer["no_revenue"].sum()} if has_revenue else {}
    if carts:
        sums["carts"] = per_customer["has_cart"].cast("int64").sum()
        sums["abandoned"] = (per_customer["has_cart"] & ~bought).cast("int64").sum()
    commerce = per_customer.aggregate(
        by=keys,
        active_customers=per_customer.count(),
        purchasers=bought.cast("int64").sum(),
        orders=per_customer["orders"].sum(),
        revenue=per_customer["revenue"].sum(),
        **sums,
        repeaters=repeat.cast("int64").sum(),
    )
    table = _engine.to_pandas(commerce)
    table = table.sort_values(keys).reset_index(drop=True) if keys else table
    if has_revenue:
        _warn_no_revenue(int(table.pop("no_revenue").fillna(0).sum()))
    table["revenue"] = table["revenue"].astype(float)
    table["aov"] = table["revenue"] / table["orders"].where(table["orders"] > 0)
    table["cart_abandonment"] = (
        table.pop("abandoned") / table.pop("carts").where(lambda c: c > 0) if carts else np.nan
    )
    table["repeat_purchase_rate"] = table.pop("repeaters") / table["purchasers"].where(
        table["purchasers"] > 0
    )
    return table


def _warn_no_revenue(n: int) -> None:
    if n:
        warnings.warn(
            f"kpis: {n} purchase events have no revenue; revenue and aov count them as 0. "
            "Fix: fill in their amounts, or check the revenue= column given to read_events.",
            JourneyWarning,
            stacklevel=4,
        )


def _cart_events(t, cart, known: list[str]) -> list[str] | None:
    """The cart events checked against the data, or None (with a JourneyWarning) when the
    default cart event does not occur."""
    if isinstance(cart, str) and cart == DEFAULT_CART and cart not in known:
        warnings.warn(
            f"kpis: the events have no {cart!r} event (a purchase-only log?), so "
            f"cart_abandonment is missing. {suggest(cart, known)} To get it, pass cart= the "
            "add-to-cart event(s).",
            JourneyWarning,
            stacklevel=3,
        )
        return None
    return check_events_exist(t, cart, param="cart", known=known)


def _without_missing(t, columns: list[str]):
    """``t`` without the events missing a value in ``columns``, with a JourneyWarning giving
    the count (one query): a missing value is never a group of its own."""
    import ibis

    missing = ibis.or_(*[t[c].isnull() for c in columns])
    counts = _engine.to_pandas(t.aggregate(n=t.count(), missing=missing.cast("int64").sum()))
    n, left_out = int(counts["n"].iloc[0]), int(counts["missing"].fillna(0).iloc[0])
    if not left_out:
        return t
    warnings.warn(
        f"kpis: {left_out} of {n} events have no value in {columns} and were left out of the "
        "breakdown (a missing value is never a group of its own).",
        JourneyWarning,
        stacklevel=3,
    )
    return t.filter(~missing)


def _stage_rates(counts: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Order the stage counts in journey order and add the conversion rates."""
    counts = counts.assign(order=counts["stage"].map({s: i for i, s in enumerate(STAGES)}))
    unknown = counts["order"].isna()
    if unknown.any():
        bad = sorted(counts.loc[unknown, "stage"].unique())
        raise JourneyDataError(
            f"stage: values {bad[:5]} are not journey stages {list(STAGES)}. Fix: correct the "
            "stage column or pass stages= a mapping."
        )
    counts = counts.sort_values([*keys, "order"]).reset_index(drop=True)
    # A constant key makes the no-breakdown case one group.
    groups = [counts[k] for k in keys] or [pd.Series(0, index=counts.index)]
    grouped = counts.groupby(groups, sort=False)["customers"]
    previous = grouped.shift(1)
    first = grouped.transform("first")
    counts["customers"] = counts["customers"].astype("int64")
    counts["rate_from_previous"] = counts["customers"] / previous
    counts["rate_from_first"] = counts["customers"] / first
    return counts.drop(columns="order")
