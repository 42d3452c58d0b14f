"""Headline KPIs per journey stage and period (event-level work in Ibis)."""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import _engine, plots
from .breakdowns import attach, unit_groups
from .checks import as_of_in_data, check_choice, check_events_exist, require_events, suggest
from .errors import JourneyDataError, JourneyWarning
from .events import STAGES, map_stages
from .periods import FREQS, period_index, period_start
from .results import Result, period_label

#: The default cart event; a log without it (a purchase-only transaction log) has no cart
#: figures, while any other ``cart=`` name must exist.
DEFAULT_CART = "add_to_cart"
#: The columns of the stage table after ``[period], [by]``.
STAGE_COLUMNS = ("stage", "n", "step_conversion", "conversion")
#: The columns of the commerce table after ``[period], [by]``.
COMMERCE_COLUMNS = (
    "n_customers",
    "n_buyers",
    "n_orders",
    "revenue",
    "aov",
    "cart_abandonment",
    "repeat_purchase",
)
#: The event columns kpis reads, which a ``by`` column may not be called.
USED = ("event", "timestamp", "stage", "revenue", "order_id", "period")


@dataclass(frozen=True, repr=False)
class KPIs(Result):
    """KPIs per journey stage (``stages``) and commerce KPIs (``commerce``)."""

    stages: pd.DataFrame
    commerce: pd.DataFrame
    by: tuple[str, ...] = ()
    has_cart: bool = True
    freq: str | None = None
    has_revenue: bool = True
    cart_given: bool = True
    title = "Journey KPIs"

    @property
    def summary(self) -> pd.DataFrame:
        return self.commerce

    @property
    def notes(self) -> tuple[str, ...]:
        if self.has_cart:
            cart = (
                "cart_abandonment: share of the customers with a cart event and no purchase "
                "in the same period"
            )
        elif self.cart_given:
            cart = (
                f"cart_abandonment: missing, the events have no {DEFAULT_CART!r} event "
                "(pass cart= the add-to-cart event to get it)"
            )
        else:
            cart = "cart_abandonment: missing, no cart event was given (cart=None)"
        money = (
            ""
            if self.has_revenue
            else "revenue and aov: missing, the events have no revenue column (read_events' "
            "revenue= names it); "
        )
        groups = (
            f"; each customer counts in one {', '.join(self.by)} group, its value at their "
            "first event"
            if self.by
            else ""
        )
        return (
            "stages: n = distinct customers with an event of the stage (per period when freq "
            "is set); step_conversion = share of the previous stage's customers who also "
            "reached this one; conversion = the same for the first stage's customers"
            f"{groups}.",
            f"{money}{cart}; repeat_purchase: share of the buyers with two or more orders up "
            "to the end of the period.",
        )

    @property
    def conclusion(self) -> str:
        c, s = self.commerce, self.stages
        when = "Over the whole log"
        if self.freq is not None:
            last = c["period"].max()
            c, s = c[c["period"] == last], s[s["period"] == last]
            when = f"In {period_label(last, self.freq)}"
        n, buyers, orders = (int(c[k].sum()) for k in ("n_customers", "n_buyers", "n_orders"))
        text = f"{when}, {n:,} customer{' was' if n == 1 else 's were'} active"
        if buyers:
            revenue = c["revenue"].sum()
            repeat = (c["repeat_purchase"] * c["n_buyers"]).sum() / buyers
            worth = (
                f" worth {revenue:,.2f} (average order value {revenue / orders:,.2f})"
                if self.has_revenue
                else ""
            )
            text += (
                f" and {buyers:,} ({buyers / n:.0%}) bought: {orders:,} "
                f"order{'' if orders == 1 else 's'}{worth}; "
                f"{repeat:.0%} of the buyers had two or more orders up to then."
            )
        else:
            text += "; none bought."
        if not self.by and "purchase" in set(s["stage"]) and len(s) > 1:
            first, bought = s.iloc[0], s[s["stage"] == "purchase"].iloc[0]
            text += (
                f" Of the {first['n']:,} customer{'' if first['n'] == 1 else 's'} at "
                f"{first['stage']!r}, "
                f"{bought['conversion']:.1%} also reached 'purchase'."
            )
        return text

    def plot(self, ax=None):
        """Stage bars (no ``freq``) or customers per stage over time (with ``freq``); every
        ``by`` group drawn."""
        by = f" by {', '.join(self.by)}" if self.by else ""
        if self.stages.empty:
            raise JourneyDataError(
                "plot: the stage table is empty (kpis was given stages={}). Fix: pass "
                "kpis(..., stages={event: stage}) to draw the stages."
            )
        if self.freq is not None:
            title = f"Customers per journey stage and period{by}"
            return plots.stage_lines(self.stages, ax, by=self.by, freq=self.freq, title=title)
        return plots.stage_bars(self.stages, ax, by=self.by, title=f"Customers per stage{by}")


def kpis(
    events,
    *,
    stages=None,
    freq: str | None = None,
    by=None,
    purchase="purchase",
    cart="add_to_cart",
    as_of=None,
) -> KPIs:
    """Headline KPIs of the journey: customers per stage and commerce figures.

    A customer *reaches* a stage with at least one event of it (in the period, with
    ``freq``). Step conversion is the share of the previous stage's customers (the previous
    stage present in the data, in the order of :data:`journeykit.STAGES`) who also reached
    this stage; conversion the same share of the first stage's customers.

    Parameters
    ----------
    events : pandas.DataFrame or Ibis table
        Canonical events (:func:`journeykit.read_events`).
    stages : dict, optional
        The event -> stage mapping (see :func:`journeykit.map_stages`; events it does not
        name belong to no stage). Default: the events' own ``stage`` column (events
        without one raise). ``{}``: no stages, an empty stage table and the commerce
        figures alone (a transaction log).
    freq : {'D', 'W', 'M', 'Q', 'Y'}, optional
        Report per calendar period (UTC; :mod:`journeykit.periods`) instead of over the
        whole log.
    by : str, list of str or pandas.DataFrame, optional
        Break the KPIs down, as everywhere in journeykit: event columns take the
        customer's value at their first event (so ``'channel'`` is the acquisition
        channel; ties at that instant: the smallest value), a DataFrame with
        ``customer_id`` supplies customer attributes (persona, segment). Every customer
        counts in exactly one group, with all their events. Customers without a value are
        left out with a ``JourneyWarning`` giving their number (a missing value is never a
        group).
    purchase : str or list of str
        The purchase events; each must occur in the events.
    cart : str, list of str or None
        The add-to-cart events. The default, ``'add_to_cart'``, may be absent (a
        purchase-only transaction log): then ``cart_abandonment`` is missing (NaN) and a
        ``JourneyWarning`` says so. Any other name must occur in the events: an unknown
        one raises with the closest match (a typo is never silently no cart). ``None``:
        the log has no cart event; ``cart_abandonment`` is missing, without a warning.
    as_of : date-like, optional
        The date the KPIs describe: events after it are ignored (a date means its start,
        00:00 UTC). Default: the last event. Before the first event it raises.

    Returns
    -------
    KPIs
        ``stages``: ``[period], [by], stage, n, step_conversion, conversion`` in journey
        order (step_conversion is missing at the first stage). ``commerce`` (=
        ``summary``): ``[period], [by], n_customers, n_buyers, n_orders, revenue, aov,
        cart_abandonment, repeat_purchase`` where

        - ``n_customers``: customers with any event (in the period);
        - ``n_buyers``: customers with a purchase;
        - ``n_orders``: distinct ``order_id`` among purchases (purchase events without it);
        - ``revenue``: the summed ``revenue`` of the purchases (a purchase without one
          counts as 0, with a ``JourneyWarning`` giving their number); missing (NaN) when
          the events have no ``revenue`` column;
        - ``aov`` (average order value) = revenue / n_orders (missing without revenue);
        - ``cart_abandonment``: customers with a cart event but no purchase in the period,
          divided by customers with a cart event;
        - ``repeat_purchase``: buyers of the period with at least two orders up to the end
          of the period (an earlier order, or two in the period), divided by the buyers of
          the period.

        Also ``conclusion`` and ``plot()``.

    Examples
    --------
    >>> from journeykit.datasets import load_webshop
    >>> k = kpis(load_webshop())
    >>> k.stages[["stage", "n", "step_conversion"]].round(3)
               stage      n  step_conversion
    0      awareness  19998              NaN
    1  consideration  10783            0.539
    2       decision   5133            0.476
    3       purchase   2528            0.492
    4      retention   2229            0.882
    5       advocacy   1271            0.550
    """
    require_events(events)
    check_choice("freq", freq, (None, *FREQS))
    t = _engine.as_table(events)
    known = _engine.distinct(t, "event")
    purchases = check_events_exist(t, purchase, param="purchase", known=known)
    carts = None if cart is None else _cart_events(t, cart, known)
    if as_of is not None:
        cut = as_of_in_data(
            t,
            as_of,
            param="as_of",
            within=pd.Timedelta(days=366),
            why="the periods after the data are not in the table.",
            what="events",
        )
        t = t.filter(t["timestamp"] <= cut.to_pydatetime())
    if isinstance(stages, dict) and not stages:  # no event has a stage: commerce only
        import ibis

        t = t.mutate(stage=ibis.null("string"))
    elif stages is not None:
        try:
            t = map_stages(t, stages, unmapped="keep")
        except JourneyDataError as error:  # name the parameter as kpis calls it
            raise JourneyDataError(f"stages: {error}") from error
    elif "stage" not in t.columns:
        raise JourneyDataError(
            "stages: the events have no 'stage' column and no mapping was given. Fix: pass "
            "stages={'page_view': 'awareness', 'purchase': 'purchase', ...} or add stages "
            "with journeykit.map_stages first; stages={} gives the commerce figures alone "
            "(a transaction log)."
        )
    has_revenue = "revenue" in t.columns
    reserved = (*STAGE_COLUMNS, *COMMERCE_COLUMNS, *USED)
    groups, names = unit_groups(t, "customer_id", by, reserved=reserved)
    if freq is not None:
        t = t.mutate(period=period_index(t, freq))
    keys = [*(["period"] if freq is not None else []), *names]
    counts = _counts(t, groups, keys, purchases, carts, freq)
    if counts["other"].fillna(0).sum():
        bad = sorted(set(_engine.distinct(t, "stage")) - set(STAGES))
        raise JourneyDataError(
            f"stage: values {bad[:5]} are not journey stages {list(STAGES)}. Fix: correct the "
            "stage column or pass stages= a mapping."
        )
    if keys:
        counts = counts.sort_values(keys, ignore_index=True)
    if freq is not None:
        counts["period"] = period_start(counts["period"], freq)
    return KPIs(
        stages=_stage_table(counts, keys),
        commerce=_commerce_table(counts, keys, carts, has_revenue=has_revenue),
        by=tuple(names),
        has_cart=bool(carts),
        freq=freq,
        has_revenue=has_revenue,
        cart_given=cart is not None,
    )


#: The stages as their places in :data:`STAGES` (the columns ``r0``, ``n0``, ``b0_1``, ...).
PLACES = range(len(STAGES))


def _counts(t, groups, keys: list[str], purchases: list[str], carts, freq) -> pd.DataFrame:
    """One query: per customer (and period) the stages reached and the commerce figures,
    joined to the customer's ``by`` group (``groups`` from ``unit_groups``: customers
    without one are left out), then per group (``keys``) the customers of each stage
    (``n<i>``), of each pair of stages (``b<i>_<j>``), with an unknown stage (``other``),
    and the commerce sums."""
    is_purchase = t["event"].isin(purchases)
    has_revenue = "revenue" in t.columns
    stage = t["stage"]
    optional = {f"r{i}": (stage == s).any() for i, s in zip(PLACES, STAGES)}
    optional["other"] = (stage.notnull() & ~stage.isin(list(STAGES))).any()
    if carts:
        optional["has_cart"] = t["event"].isin(carts).any()
    if has_revenue:
        optional["no_revenue"] = (is_purchase & t["revenue"].isnull()).cast("int64").sum()
    per_customer = t.group_by([*keys[: freq is not None], "customer_id"]).aggregate(
        **optional,
        orders=(
            t["order_id"].nunique(where=is_purchase)
            if "order_id" in t.columns
            else is_purchase.cast("int64").sum()
        ),
        revenue=t["revenue"].sum(where=is_purchase) if has_revenue else 0.0,
    )
    if freq is not None:  # the first purchase's period: an earlier one makes a repeat
        buys = t.filter(is_purchase)
        first = buys.group_by("customer_id").aggregate(first_purchase=buys["period"].min())
        per_customer = per_customer.left_join(first, "customer_id")
    # the group joins the per-customer rows, not the events: fewer rows to join
    c = attach(per_customer, groups, "customer_id")
    earlier = c["first_purchase"] < c["period"] if freq is not None else False
    bought = c["orders"] > 0
    repeat = bought & ((c["orders"] >= 2) | earlier)
    sums = {f"n{i}": c[f"r{i}"].cast("int64").sum() for i in PLACES}
    for i, j in itertools.combinations(PLACES, 2):
        sums[f"b{i}_{j}"] = (c[f"r{i}"] & c[f"r{j}"]).cast("int64").sum()
    sums["other"] = c["other"].cast("int64").sum()
    if has_revenue:
        sums["no_revenue"] = c["no_revenue"].sum()
    if carts:
        sums["carts"] = c["has_cart"].cast("int64").sum()
        sums["abandoned"] = (c["has_cart"] & ~bought).cast("int64").sum()
    return _engine.to_pandas(
        c.aggregate(
            by=keys,
            **sums,
            n_customers=c.count(),
            n_buyers=bought.cast("int64").sum(),
            n_orders=c["orders"].sum(),
            revenue=c["revenue"].sum(),
            repeaters=repeat.cast("int64").sum(),
        )
    )


def _stage_table(counts: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per group (``keys``) and stage present: its customers, and the shares of the previous
    and of the first stage's customers who reached it."""
    rows = []
    stages = counts[[f"n{i}" for i in PLACES]].fillna(0).to_numpy()
    for (_, row), reached in zip(counts.iterrows(), stages):
        present = [i for i in PLACES if reached[i] > 0]
        for place, i in enumerate(present):
            item = {key: row[key] for key in keys}
            item |= {"stage": STAGES[i], "n": int(reached[i]), "step_conversion": np.nan}
            item["conversion"] = 1.0
            if place:
                previous, first = present[place - 1], present[0]
                item["step_conversion"] = row[f"b{previous}_{i}"] / reached[previous]
                item["conversion"] = row[f"b{first}_{i}"] / reached[first]
            rows.append(item)
    return pd.DataFrame(rows, columns=[*keys, *STAGE_COLUMNS]).astype({"n": "int64"})


def _commerce_table(counts: pd.DataFrame, keys: list[str], carts, *, has_revenue: bool):
    """The commerce table per group (``keys``); no cart figures (NaN) without ``carts``, no
    revenue or aov (NaN) without a revenue column.
    Purchases without revenue count as 0, with a JourneyWarning giving their number."""
    table = counts.copy()
    if has_revenue:
        _warn_no_revenue(int(table["no_revenue"].fillna(0).sum()))
    table["revenue"] = table["revenue"].astype(float) if has_revenue else np.nan
    table["aov"] = table["revenue"] / table["n_orders"].where(table["n_orders"] > 0)
    table["cart_abandonment"] = (
        table["abandoned"] / table["carts"].where(table["carts"] > 0) if carts else np.nan
    )
    buyers = table["n_buyers"].where(table["n_buyers"] > 0)
    table["repeat_purchase"] = table["repeaters"] / buyers
    return table[[*keys, *COMMERCE_COLUMNS]].reset_index(drop=True)


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
