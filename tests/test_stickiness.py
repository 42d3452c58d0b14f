"""Stickiness against a direct pandas count: active days per period and DAU/WAU/MAU."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import journeykit as jk
from journeykit import stickiness


def _pandas_stickiness(ev: pd.DataFrame, freq: str):
    """Plain pandas, one day at a time: distinct customers in the trailing windows, and the
    number of active days per customer and period."""
    day = ev["timestamp"].dt.tz_convert(None).dt.normalize()
    pairs = pd.DataFrame({"customer_id": ev["customer_id"], "day": day}).drop_duplicates()
    days = pd.date_range(pairs["day"].min(), pairs["day"].max(), freq="D")
    rows = []
    for d in days:
        window = pairs[pairs["day"] <= d]
        rows.append(
            {
                "dau": window.loc[window["day"] == d, "customer_id"].nunique(),
                "wau": window.loc[
                    window["day"] > d - pd.Timedelta(days=7), "customer_id"
                ].nunique(),
                "mau": window.loc[
                    window["day"] > d - pd.Timedelta(days=30), "customer_id"
                ].nunique(),
            }
        )
    daily = pd.DataFrame(rows)
    start = pairs["day"].dt.to_period("W-SUN" if freq == "W" else "M").dt.start_time
    active = pairs.assign(period=start).groupby(["period", "customer_id"]).size()
    table = active.rename("active_days").reset_index().groupby(["period", "active_days"]).size()
    return daily, table[table > 0]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.sampled_from("abcdef"), st.integers(0, 2000)), min_size=1, max_size=60),
    st.sampled_from(["W", "M"]),
)
def test_stickiness_matches_pandas(rows, freq):
    ev = pd.DataFrame(
        {
            "customer_id": [c for c, _ in rows],
            # hours: several events a day, days without any
            "timestamp": pd.Timestamp("2024-01-01", tz="UTC")
            + pd.to_timedelta([h for _, h in rows], unit="h"),
            "event": "visit",
        }
    )
    res = stickiness(ev, freq=freq)
    daily, table = _pandas_stickiness(ev, freq)
    for column in ("dau", "wau", "mau"):
        np.testing.assert_array_equal(res.daily[column], daily[column], err_msg=column)
    got = res.table[res.table["n"] > 0]
    got = list(zip(got["period"].dt.tz_convert(None), got["active_days"], got["n"]))
    assert got == [(p, d, n) for (p, d), n in table.items()]
    # every period's shares sum to one, including the zero rows
    np.testing.assert_allclose(res.table.groupby("period")["share"].sum(), 1.0)


def test_stickiness_by_hand():
    # a: every day of the week of 2024-01-01; b: one day in it; later a quiet month
    days = [f"2024-01-0{i}" for i in range(1, 8)]
    ev = pd.DataFrame(
        {
            "customer_id": ["a"] * 7 + ["b", "b"],
            "timestamp": pd.to_datetime([*days, "2024-01-03", "2024-02-20"], utc=True),
            "event": "visit",
        }
    )
    res = stickiness(ev, freq="W")
    first = res.table[res.table["period"] == pd.Timestamp("2024-01-01", tz="UTC")]
    assert first["active_days"].tolist() == [1, 2, 3, 4, 5, 6, 7]
    assert first["n"].tolist() == [1, 0, 0, 0, 0, 0, 1]
    day = res.daily.set_index("day")
    assert day.loc["2024-01-03", "dau"] == 2 and day.loc["2024-01-10", "wau"] == 1
    # b's January day is still in the trailing month on 2024-02-01 (30 days: Jan 3 - Feb 1)
    assert day.loc["2024-02-01", "mau"] == 2 and day.loc["2024-02-02", "mau"] == 1
    assert day.loc["2024-02-05", "mau"] == 1  # only a (Jan 7 is within 30 days)
    assert not day.loc["2024-01-29", "complete"] and day.loc["2024-01-30", "complete"]
    assert res.periods["n"].iloc[0] == 2
    assert res.periods["mean_active_days"].iloc[0] == 4.0
    assert "DAU/MAU" in res.conclusion
    ax = res.plot()
    assert len(ax.lines) == 2


def test_stickiness_activity_filter_and_no_activity():
    ev = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b"],
            "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-02"], utc=True),
            "event": ["visit", "purchase", "visit"],
        }
    )
    res = stickiness(ev, activity="purchase")
    assert res.daily["dau"].tolist() == [1]
    assert stickiness(ev, as_of="2024-01-01").daily["dau"].tolist() == [1]
    with pytest.raises(jk.JourneyDataError, match="as_of"):
        stickiness(ev, as_of="2023-01-01")
    with pytest.raises(jk.JourneyDataError, match="freq="):
        stickiness(ev, freq="Q")


@pytest.mark.spark
def test_stickiness_same_on_spark(shop_on_spark):
    events, table = shop_on_spark
    local, remote = stickiness(events, freq="M"), stickiness(table, freq="M")
    pd.testing.assert_frame_equal(remote.table, local.table, check_dtype=False)
    pd.testing.assert_frame_equal(remote.daily, local.daily, check_dtype=False)
