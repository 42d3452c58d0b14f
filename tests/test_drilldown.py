"""Drill-down (``result.units(...)``): the ids behind a cell equal a direct filter of the
data, and their number equals the cell they came from."""

import pandas as pd
import pytest
from conftest import make_events

import journeykit as jk
from journeykit import JourneyDataError


@pytest.fixture(scope="module")
def shop():
    return jk.load_webshop()


def test_lifecycle_units_are_the_cells(shop):
    res = jk.lifecycle(shop, as_of="2024-09-30", by="channel")
    for (status, channel), n in res.table.set_index(["status", "channel"])["n"].items():
        if n == 0:
            continue
        got = res.units(status, channel=channel)
        assert len(got) == n
        direct = res.customers[
            (res.customers["status"] == status) & (res.customers["channel"] == channel)
        ]
        assert set(got["customer_id"]) == set(direct["customer_id"])
    with pytest.raises(JourneyDataError, match="no such value.*lapsing"):
        res.units("sleeping")
    with pytest.raises(JourneyDataError, match="min_n=10"):
        res.units("reactivated", channel="social", min_n=10)
    got = res.units("lapsing")
    got.loc[0, "customer_id"] = "changed"  # a copy: the result is not touched
    assert (res.customers["customer_id"] != "changed").all()


def test_rfm_units_are_the_segments(shop):
    res = jk.rfm(shop, as_of="2024-09-30")
    for segment, n in res.segments.set_index("segment")["n"].items():
        assert len(res.units(segment)) == n
    top = res.units("champions", r=5)
    assert len(top) and (top["segment"] == "champions").all() and (top["r"] == 5).all()


def test_funnel_units_against_a_direct_count():
    # a: view -> cart -> buy within 7 days; b: view -> cart, buy too late; c: view only;
    # d: cart without view (no attempt)
    ev = make_events(
        [
            ("a", "2024-01-01 00:00", "view"),
            ("a", "2024-01-02 00:00", "cart"),
            ("a", "2024-01-03 00:00", "buy"),
            ("b", "2024-01-01 00:00", "view"),
            ("b", "2024-01-02 00:00", "cart"),
            ("b", "2024-01-20 00:00", "buy"),
            ("c", "2024-01-05 00:00", "view"),
            ("d", "2024-01-05 00:00", "cart"),
        ]
    )
    res = jk.funnel(ev, ["view", "cart", "buy"], window="7D")
    assert res.units(1)["customer_id"].tolist() == ["a", "b", "c"]
    assert res.units("cart")["customer_id"].tolist() == ["a", "b"]
    assert res.units(2, dropped=True)["customer_id"].tolist() == ["b"]
    assert res.units(1, dropped=True)["customer_id"].tolist() == ["c"]
    assert res.units("buy")["customer_id"].tolist() == ["a"]
    for k, row in res.table.set_index("step_number").iterrows():
        assert len(res.units(k)) == row["n"]
    with pytest.raises(JourneyDataError, match="last step"):
        res.units("buy", dropped=True)
    with pytest.raises(JourneyDataError, match="not a step"):
        res.units("pay")
    with pytest.raises(JourneyDataError, match="1 to 3"):
        res.units(4)


def test_funnel_units_by_group_on_the_shop(shop):
    res = jk.funnel(shop, ["product_view", "add_to_cart", "purchase"], window="7D", by="channel")
    for _, row in res.table[res.table["step_number"] == 2].iterrows():
        got = res.units(int(row["step_number"]), channel=row["channel"])
        assert len(got) == row["n"]


@pytest.mark.parametrize("mode", ["bounded", "unbounded"])
def test_cohort_units_against_a_direct_filter(shop, mode):
    res = jk.cohort_retention(shop, freq="M", mode=mode)
    month = shop["timestamp"].dt.year * 12 + shop["timestamp"].dt.month - 1
    per = pd.DataFrame({"customer_id": shop["customer_id"], "month": month}).drop_duplicates()
    per["cohort"] = per.groupby("customer_id")["month"].transform("min")
    per["age"] = per["month"] - per["cohort"]
    cohort = 2024 * 12 + 2  # 2024-03
    for age in (0, 1, 4):
        got = res.units("2024-03-15", age)
        mine = per[per["cohort"] == cohort]
        ids = mine.loc[mine["age"] == age if mode == "bounded" else mine["age"] >= age]
        assert set(got["customer_id"]) == set(ids["customer_id"])
        cell = res.table[(res.table["cohort"] == "2024-03-01") & (res.table["age"] == age)]
        assert len(got) == cell["n"].iloc[0]
    with pytest.raises(JourneyDataError, match="no such cell"):
        res.units("2024-12", 3)


def test_cohort_units_with_start_and_return_events_and_by(shop):
    res = jk.cohort_retention(shop, start_event="purchase", return_event="purchase", by="channel")
    row = res.table[res.table["age"] == 2].iloc[0]
    got = res.units(row["cohort"], 2, channel=row["channel"])
    assert len(got) == row["n"] and (got["channel"] == row["channel"]).all()
