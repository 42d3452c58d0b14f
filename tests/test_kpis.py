"""kpis: hand-built logs and an independent pandas computation on the bundled shop."""

import warnings

import ibis
import numpy as np
import pandas as pd
import pytest
from conftest import make_events

import journeykit as jk
from journeykit import JourneyDataError, JourneyWarning, kpis, load_cdnow, load_webshop, map_stages
from journeykit.simulate import WEBSHOP_STAGES

MAPPING = {"page_view": "awareness", "add_to_cart": "decision", "purchase": "purchase"}


@pytest.fixture
def log():
    return make_events(
        [
            ("a", "2024-01-05 10:00", "page_view"),
            ("a", "2024-01-05 10:05", "add_to_cart"),
            ("a", "2024-01-05 10:10", "purchase", 30.0),
            ("a", "2024-02-03 10:10", "purchase", 10.0),
            ("b", "2024-01-06 09:00", "page_view"),
            ("b", "2024-01-06 09:05", "add_to_cart"),
            ("c", "2024-02-01 09:00", "page_view"),
            ("c", "2024-02-01 09:05", "add_to_cart"),
            ("c", "2024-02-01 09:10", "purchase", 20.0),
            ("c", "2024-02-01 09:11", "purchase", 20.0),
        ]
    )


def test_whole_period_by_hand(log):
    k = kpis(log, stages=MAPPING)
    assert k.stages["stage"].tolist() == ["awareness", "decision", "purchase"]
    assert k.stages["n"].tolist() == [3, 3, 2]
    assert k.stages["step_conversion"].tolist()[1:] == [1.0, pytest.approx(2 / 3)]
    row = k.commerce.iloc[0]
    assert (row.n_customers, row.n_buyers, row.n_orders, row.revenue) == (3, 2, 4, 80.0)
    assert row.aov == 20.0
    assert row.cart_abandonment == pytest.approx(1 / 3)  # b added to cart, never bought
    assert row.repeat_purchase == 1.0  # a and c both ordered twice


def test_per_month_by_hand(log):
    k = kpis(log, stages=MAPPING, freq="M")
    jan, feb = k.commerce.iloc[0], k.commerce.iloc[1]
    assert jan.period == pd.Timestamp("2024-01-01", tz="UTC")
    assert (jan.n_buyers, jan.n_orders, jan.cart_abandonment) == (1, 1, 0.5)
    assert jan.repeat_purchase == 0.0  # a's first order
    # February: a repeats (ordered in January), c orders twice: both are repeat purchasers
    assert (feb.n_buyers, feb.n_orders, feb.revenue, feb.repeat_purchase) == (2, 3, 50.0, 1.0)
    feb_stages = k.stages[k.stages["period"] == pd.Timestamp("2024-02-01", tz="UTC")]
    assert feb_stages["n"].tolist() == [1, 1, 2]
    # a only purchased in February: not one of February's decision-stage customers
    assert feb_stages["step_conversion"].tolist()[1:] == [1.0, 1.0]


def acquisition_channel(ev: pd.DataFrame) -> pd.Series:
    """Each customer's channel at their first event (ties at that instant: the smallest
    value, a missing one last), by plain pandas sorting; customers without one dropped."""
    first = ev.sort_values(["customer_id", "timestamp", "channel"], na_position="last")
    first = first.drop_duplicates("customer_id").set_index("customer_id")["channel"]
    return first.dropna()


def test_matches_pandas_per_month_and_channel():
    ev = load_webshop()
    got = kpis(ev, stages=WEBSHOP_STAGES, freq="M", by="channel").commerce
    ref = ev.assign(period=ev["timestamp"].dt.tz_localize(None).dt.to_period("M").dt.start_time)
    ref["period"] = ref["period"].dt.tz_localize("UTC").astype("datetime64[us, UTC]")
    # a customer counts in one group: the channel of their first event, with all events
    channel = acquisition_channel(ev)
    ref = ref[ref["customer_id"].isin(channel.index)]
    ref = ref.assign(channel=ref["customer_id"].map(channel))
    buys = ref[ref["event"] == "purchase"]
    g = buys.groupby(["period", "channel"])
    expected = pd.DataFrame(
        {
            "n_customers": ref.groupby(["period", "channel"])["customer_id"].nunique(),
            "n_buyers": g["customer_id"].nunique(),
            "n_orders": g["order_id"].nunique(),
            "revenue": g["revenue"].sum(),
        }
    ).fillna(0)
    merged = got.set_index(["period", "channel"])[expected.columns]
    # engine results hold text as pandas' Arrow-backed strings, the reference as objects
    pd.testing.assert_frame_equal(
        merged.sort_index(), expected.sort_index(), check_dtype=False, check_index_type=False
    )


def test_stage_column_and_ibis_input_agree():
    ev = load_webshop()
    a = kpis(ev).stages
    b = kpis(ibis.memtable(ev)).stages
    pd.testing.assert_frame_equal(a, b)
    truth_order = ["awareness", "consideration", "decision", "purchase", "retention", "advocacy"]
    assert a["stage"].tolist() == truth_order
    assert np.all(np.diff(a["n"].to_numpy()[:4]) < 0)


def test_plot_and_html(log):
    k = kpis(map_stages(log, MAPPING))
    ax = k.plot()
    assert len(ax.patches) == 3
    assert "<table" in k._repr_html_() and "cart_abandonment" in k._repr_html_()
    assert k.conclusion.startswith("Over the whole log, 3 customers were active and 2")
    assert kpis(log, stages=MAPPING, freq="M").plot().get_lines()


def test_bad_input(log):
    with pytest.raises(JourneyDataError, match="freq='month'"):
        kpis(log, stages=MAPPING, freq="month")
    with pytest.raises(JourneyDataError, match="by: missing column"):
        kpis(log, stages=MAPPING, by="persona")
    with pytest.raises(JourneyDataError, match="by=5: expected a column name"):
        kpis(log, stages=MAPPING, by=5)  # was a TypeError
    with pytest.raises(JourneyDataError, match="purchase='order'"):
        kpis(log, stages=MAPPING, purchase="order")
    with pytest.raises(JourneyDataError, match="stages: .*'awarenes' is not a journey stage"):
        kpis(log, stages={"page_view": "awarenes"})


def test_purchase_only_log_has_no_cart_figures():
    # a transaction log (CDNOW: purchases only) used to raise for the default cart event
    orders = load_cdnow().head(2000)
    with pytest.warns(JourneyWarning, match="no 'add_to_cart' event.*pass cart="):
        k = kpis(orders, stages={"purchase": "purchase"}, freq="M")
    assert k.commerce["cart_abandonment"].isna().all()
    assert (k.commerce["n_orders"] > 0).all() and "cart_abandonment: missing" in k.notes[1]
    assert "cart_abandonment: share" in kpis(load_webshop()).notes[1]


def test_an_explicit_cart_name_must_exist(log):
    with pytest.raises(JourneyDataError, match="cart='add_to_crt'.*Did you mean 'add_to_cart'"):
        kpis(log, stages=MAPPING, cart="add_to_crt")
    with pytest.raises(JourneyDataError, match="cart=\\[\\]"):
        kpis(log, stages=MAPPING, cart=[])
    both = kpis(log, stages=MAPPING, cart=["add_to_cart", "page_view"]).commerce.iloc[0]
    assert both.cart_abandonment == pytest.approx(1 / 3)


def test_a_missing_breakdown_value_is_never_a_group(log):
    ev = log.assign(channel=["web"] * 4 + [None] * 2 + ["app"] * 4)
    before = ev.copy()
    with pytest.warns(JourneyWarning, match=r"1 of 3 customers have no \['channel'\] value"):
        k = kpis(ev, stages=MAPPING, by="channel")
    pd.testing.assert_frame_equal(ev, before)
    assert k.commerce["channel"].tolist() == ["app", "web"]
    assert k.stages["channel"].notna().all()


def test_a_customer_counts_in_one_group_the_one_of_their_first_event(log):
    # a's first event came through email, later ones through seo: a is an email customer
    # with all of its events (it used to count in both groups)
    ev = log.assign(channel=["email"] + ["seo"] * 9)
    k = kpis(ev, stages=MAPPING, by="channel")
    rows = k.commerce.set_index("channel")
    assert rows["n_customers"].to_dict() == {"email": 1, "seo": 2}
    assert rows.loc["email", "n_orders"] == 2 and rows.loc["seo", "n_orders"] == 2
    assert k.stages.groupby("channel")["n"].first().to_dict() == {"email": 1, "seo": 2}
    attrs = pd.DataFrame({"customer_id": ["a", "b", "c"], "persona": ["x", "y", "x"]})
    by_frame = kpis(log, stages=MAPPING, by=attrs).commerce.set_index("persona")
    assert by_frame["n_customers"].to_dict() == {"x": 2, "y": 1}
    with pytest.raises(JourneyDataError, match="got 'stage', the name of a column"):
        kpis(log, stages=MAPPING, by="stage")


def test_step_conversion_is_the_share_of_the_previous_stage_who_reached_this_one():
    # it used to be n / n of the previous stage (advocacy: 0.570 on the bundled shop where
    # the share is 0.550; above 1 when a stage has customers who skipped the previous one)
    ev = load_webshop()
    got = kpis(ev).stages.set_index("stage")
    reached = ev.dropna(subset=["stage"]).groupby("stage")["customer_id"].agg(set)
    present = [s for s in jk.STAGES if s in reached.index]
    for previous, stage in zip(present, present[1:]):
        share = len(reached[previous] & reached[stage]) / len(reached[previous])
        assert got.loc[stage, "step_conversion"] == pytest.approx(share, rel=1e-12), stage
        first = len(reached[present[0]] & reached[stage]) / len(reached[present[0]])
        assert got.loc[stage, "conversion"] == pytest.approx(first, rel=1e-12), stage
        assert got.loc[stage, "n"] == len(reached[stage])
    skipped = make_events(
        [("a", "2024-01-01", "page_view"), ("a", "2024-01-02", "add_to_cart")]
        + [(c, "2024-01-02", "purchase", 5.0) for c in "bcd"]
    )
    rates = kpis(skipped, stages=MAPPING).stages.set_index("stage")
    # nobody reached decision and purchase both (the old ratio: 3 buyers / 1 carter = 3.0)
    assert rates.loc["purchase", "step_conversion"] == 0.0
    assert rates["step_conversion"].max() <= 1 and rates["conversion"].max() <= 1


def test_purchases_without_revenue_are_counted_with_a_warning(log):
    ev = log.copy()
    ev.loc[ev["event"] == "purchase", "revenue"] = [30.0, None, 20.0, 20.0]
    with pytest.warns(JourneyWarning, match="1 purchase events have no revenue"):
        row = kpis(ev, stages=MAPPING).commerce.iloc[0]
    assert (row.n_orders, row.revenue) == (4, 70.0)


@pytest.mark.spark
def test_same_kpis_on_pyspark(shop_on_spark):
    events, lazy = shop_on_spark
    for options in ({}, {"freq": "M", "by": "channel"}):
        here, there = kpis(events, **options), kpis(lazy, **options)
        pd.testing.assert_frame_equal(here.stages, there.stages, check_dtype=False)
        pd.testing.assert_frame_equal(here.commerce, there.commerce, check_dtype=False)


def test_a_log_without_stages_gives_the_commerce_figures_with_stages_empty(log):
    # a transaction log has no stage column: kpis could only raise, so a quickstart on one
    # had no orders, revenue or repeat purchases either; stages={} asks for those alone
    orders = log[log["event"] == "purchase"].reset_index(drop=True)
    with pytest.raises(JourneyDataError, match="no 'stage' column.*stages=\\{\\} gives"):
        kpis(orders, cart=None)
    with warnings.catch_warnings():
        warnings.simplefilter("error", JourneyWarning)
        k = kpis(orders, stages={}, cart=None, freq="M")
    assert k.stages.empty
    assert list(k.stages.columns) == ["period", "stage", "n", "step_conversion", "conversion"]
    assert k.commerce["n_orders"].tolist() == [1, 3] and k.commerce["revenue"].sum() == 80.0
    assert k.commerce["repeat_purchase"].tolist() == [0.0, 1.0]
    assert "reached" not in k.conclusion and "3 orders worth 50.00" in k.conclusion
    with pytest.raises(JourneyDataError, match="stage table is empty.*stages="):
        k.plot()
    # {} on a log with a stage column leaves every event without a stage, nothing else
    with_stages = kpis(log, stages=MAPPING)
    no_stages = kpis(map_stages(log, MAPPING), stages={})
    assert no_stages.stages.empty
    pd.testing.assert_frame_equal(no_stages.commerce, with_stages.commerce)


def test_without_a_revenue_column_revenue_and_aov_are_missing_not_zero(log):
    # they used to read 0.00: "195 orders worth 0.00 (average order value 0.00)"
    k = kpis(log.drop(columns="revenue"), stages=MAPPING)
    row = k.commerce.iloc[0]
    assert (row.n_orders, row.n_buyers) == (4, 2)
    assert np.isnan(row.revenue) and np.isnan(row.aov)
    assert "worth" not in k.conclusion and "4 orders;" in k.conclusion
    assert "revenue and aov: missing" in k.notes[1]
    assert "revenue and aov" not in kpis(log, stages=MAPPING).notes[1]


def test_cart_none_means_no_cart_event_without_a_warning(log):
    # cart=None used to raise "expected an event name"
    orders = log[log["event"] != "add_to_cart"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", JourneyWarning)
        k = kpis(orders, stages=MAPPING, cart=None)
    assert k.commerce["cart_abandonment"].isna().all() and not k.has_cart
    assert "no cart event was given (cart=None)" in k.notes[1]
    # a log that does have a cart event: cart=None still leaves it out
    assert np.isnan(kpis(log, stages=MAPPING, cart=None).commerce.iloc[0].cart_abandonment)


def test_as_of_ignores_later_events(log):
    k = kpis(log, stages=MAPPING, as_of="2024-01-31")
    row = k.commerce.iloc[0]
    assert (row.n_customers, row.n_orders, row.revenue) == (2, 1, 30.0)
    assert k.conclusion.startswith("Over the whole log, 2 customers were active and 1 (50%)")
    with pytest.raises(JourneyDataError, match="as_of"):
        kpis(log, stages=MAPPING, as_of="2023-01-01")


def test_the_conclusion_speaks_of_one_customer_in_the_singular(log):
    one = log[log["customer_id"] == "c"]
    assert kpis(one, stages=MAPPING).conclusion.startswith(
        "Over the whole log, 1 customer was active and 1 (100%) bought: 2 orders worth"
    )
    assert "bought: 1 order worth 30.00" in kpis(log[:3], stages=MAPPING).conclusion
