"""customer_summary against hand-built logs and an independent pandas computation."""

import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import make_events

from journeykit import (
    JourneyDataError,
    JourneyWarning,
    customer_summary,
    load_cdnow,
    load_webshop,
)


def reference_summary(events: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Plain pandas version of the CLV summary (lifetimes' summary_data_from_transaction_data
    with freq='D': frequency = repeat purchase days, recency and T in days)."""
    ev = events[events["timestamp"] <= as_of]
    day = ev["timestamp"].dt.floor("D")
    g = ev.assign(day=day).groupby("customer_id")
    out = pd.DataFrame(
        {
            "first_seen": g["timestamp"].min(),
            "last_seen": g["timestamp"].max(),
            "n_events": g.size(),
            "n_active_days": g["day"].nunique(),
        }
    )
    buys = ev.assign(day=day)[ev["event"] == "purchase"].groupby("customer_id")
    out["n_orders"] = buys["order_id"].nunique() if "order_id" in ev else buys.size()
    out["revenue"] = buys["revenue"].sum()
    first, last = buys["day"].min(), buys["day"].max()
    out["frequency"] = buys["day"].nunique() - 1
    out["recency"] = (last - first).dt.days
    out["T"] = (as_of.floor("D") - first).dt.days
    out[["n_orders", "frequency"]] = out[["n_orders", "frequency"]].fillna(0).astype("int64")
    out["revenue"] = out["revenue"].fillna(0.0)
    return out.reset_index()


def test_hand_built_log():
    ev = make_events(
        [
            ("a", "2024-01-01 10:00", "purchase", 10.0),
            ("a", "2024-01-01 23:00", "purchase", 1.0),  # same day: not a repeat day
            ("a", "2024-01-04 09:00", "purchase", 5.0),
            ("a", "2024-01-05 09:00", "page_view"),
            ("b", "2024-01-02 12:00", "page_view"),
            ("c", "2024-02-01 12:00", "purchase", 3.0),  # after as_of: ignored
        ]
    )
    out = customer_summary(ev, as_of="2024-01-11").set_index("customer_id")
    assert list(out.index) == ["a", "b"]
    a = out.loc["a"]
    assert (a.n_events, a.n_active_days, a.n_orders, a.revenue) == (4, 3, 3, 16.0)
    assert (a.frequency, a.recency, a["T"]) == (1, 3.0, 10.0)
    assert out.loc["b", "n_orders"] == 0 and np.isnan(out.loc["b", "recency"])


def test_activity_filter_and_default_as_of():
    ev = make_events(
        [
            ("a", "2024-01-01 10:00", "page_view"),
            ("a", "2024-01-03 10:00", "purchase", 2.0),
            ("b", "2024-01-02 10:00", "page_view"),
        ]
    )
    out = customer_summary(ev, activity="purchase")
    assert out["customer_id"].tolist() == ["a"]
    assert out.loc[0, "first_seen"] == pd.Timestamp("2024-01-03 10:00", tz="UTC")
    assert out.loc[0, "T"] == 0.0  # as_of defaults to the last event


@pytest.mark.parametrize(
    ("load", "as_of"), [(load_cdnow, "1997-09-30"), (load_webshop, "2024-06-30")]
)
def test_matches_pandas_reference(load, as_of):
    ev = load()
    as_of = pd.Timestamp(as_of, tz="UTC")
    got = customer_summary(ev, as_of=as_of)
    expected = reference_summary(ev, as_of)
    pd.testing.assert_frame_equal(got, expected[got.columns], check_dtype=False)
    assert got["n_orders"].sum() == ev.loc[ev["timestamp"] <= as_of, "order_id"].nunique()


def test_cdnow_cohort_size():
    # 23,570 customers made their first purchase in 1997Q1 (Fader, Hardie & Lee 2005)
    assert len(customer_summary(load_cdnow(), as_of="1997-09-30")) == 23_570


def test_bad_input():
    ev = make_events([("a", "2024-01-01 10:00", "page_view")])
    with pytest.raises(JourneyDataError, match="activity='pageview'.*Did you mean 'page_view'"):
        customer_summary(ev, activity="pageview")
    with pytest.raises(JourneyDataError, match="as_of='someday'"):
        customer_summary(ev, as_of="someday")
    with pytest.raises(JourneyDataError, match="missing column"):
        customer_summary(ev.drop(columns="event"))
    # the purchase event must exist (it used to give 0 orders everywhere with a warning)
    with pytest.raises(JourneyDataError, match="purchase='purchase': no such event.*page_view"):
        customer_summary(ev)
    with pytest.raises(JourneyDataError, match="purchase=5: expected an event name"):
        customer_summary(ev, purchase=5)
    with pytest.raises(JourneyDataError, match="purchase=\\[\\]: expected at least one"):
        customer_summary(ev, purchase=[])


def test_no_purchase_before_as_of_warns():
    ev = make_events([("a", "2024-01-01 10:00", "page_view"), ("a", "2024-02-01", "purchase")])
    with pytest.warns(JourneyWarning, match="no \\['purchase'\\] events on or before as_of"):
        out = customer_summary(ev, as_of="2024-01-15")
    assert out["n_orders"].tolist() == [0]


def test_purchase_and_activity_lists():
    ev = make_events(
        [
            ("a", "2024-01-01 10:00", "purchase", 10.0),
            ("a", "2024-01-03 10:00", "order", 4.0),
            ("b", "2024-01-02 10:00", "page_view"),
            ("b", "2024-01-04 10:00", "order", 1.0),
        ]
    )
    out = customer_summary(ev, purchase=["purchase", "order"]).set_index("customer_id")
    assert out["n_orders"].to_dict() == {"a": 2, "b": 1}
    assert out["revenue"].to_dict() == {"a": 14.0, "b": 1.0}
    assert out.loc["a", "frequency"] == 1
    active = customer_summary(ev, activity=["purchase", "page_view"])
    assert active.set_index("customer_id")["n_events"].to_dict() == {"a": 1, "b": 1}
    with pytest.raises(JourneyDataError, match="purchase='ordr'.*Did you mean 'order'"):
        customer_summary(ev, purchase=["purchase", "ordr"])


def test_as_of_outside_the_data():
    ev = make_events([("a", "2024-01-05 10:00", "purchase"), ("b", "2024-02-01", "purchase")])
    with pytest.raises(
        JourneyDataError,
        match="as_of=2024-01-01 00:00: before the first event.*2024-01-05 to 2024-02-01.*Fix:",
    ):
        customer_summary(ev, as_of="2024-01-01")
    with pytest.warns(JourneyWarning, match="as_of=2025-06-01 is 486 days after.*recency and T"):
        customer_summary(ev, as_of="2025-06-01")
    with warnings.catch_warnings():
        warnings.simplefilter("error", JourneyWarning)  # within LONG_AFTER: no warning
        customer_summary(ev, as_of="2024-12-31")
    # activity after as_of only: a clear error instead of an empty frame
    late = make_events([("a", "2024-01-01", "purchase"), ("a", "2024-03-01", "visit")])
    with pytest.raises(JourneyDataError, match="activity=\\['visit'\\]: no customer has"):
        customer_summary(late, as_of="2024-02-01", activity="visit")


def test_empty_events_raise():
    ev = make_events([("a", "2024-01-01 10:00", "purchase")]).iloc[:0]
    with pytest.raises(JourneyDataError, match="events: no events in the data"):
        customer_summary(ev)
