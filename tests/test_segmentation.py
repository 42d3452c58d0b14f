"""lifecycle, lifecycle_over_time, rfm, status_transitions, promotion_responders, explorer."""

import datetime as dt
import warnings

import ibis
import numpy as np
import pandas as pd
import pytest
from conftest import make_events
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import journeykit as jk
from journeykit import JourneyDataError, JourneyWarning, read_events
from journeykit.lifecycle import (
    STATUSES,
    lifecycle,
    lifecycle_over_time,
    promotion_responders,
    rfm,
    rfm_score,
    status_transitions,
)
from journeykit.simulate import BROWSE_RATE, REPEAT_RATE, promotions

AS_OF = "2024-06-30 00:00"  # period 30D -> P = (2024-05-31 00:00, 2024-06-30 00:00]


@pytest.fixture
def boundary_log():
    return make_events(
        [
            ("new", "2024-06-10 12:00", "visit"),
            ("new_at_as_of", AS_OF, "visit"),  # exactly at as_of: inside P
            ("at_period_start", "2024-05-31 00:00", "visit"),  # exactly at the start: before P
            ("returning", "2024-04-01 00:00", "visit"),
            ("returning", "2024-06-01 00:00", "visit"),
            ("returning_89d", "2024-03-04 01:00", "visit"),
            ("returning_89d", "2024-06-01 00:00", "visit"),  # gap 89 days 23 hours
            ("reactivated_90d", "2024-03-05 00:00", "visit"),
            ("reactivated_90d", "2024-06-03 00:00", "visit"),  # gap exactly 90 days
            ("lapsing", "2024-04-15 00:00", "visit"),
            ("lapsing_89d", "2024-04-01 00:00:01", "visit"),
            ("churned_90d", "2024-04-01 00:00", "visit"),  # exactly 90 days before as_of
            ("churned", "2023-11-01 00:00", "visit"),
            ("future", "2024-07-02 00:00", "visit"),  # after as_of: not a customer yet
        ]
    )


def statuses(result):
    return result.customers.set_index(result.customers.columns[0])["status"].astype(str).to_dict()


def test_every_status_and_boundary(boundary_log):
    got = statuses(lifecycle(boundary_log, as_of=AS_OF))
    assert got == {
        "new": "new",
        "new_at_as_of": "new",
        "at_period_start": "lapsing",
        "returning": "returning",
        "returning_89d": "returning",
        "reactivated_90d": "reactivated",
        "lapsing": "lapsing",
        "lapsing_89d": "lapsing",
        "churned_90d": "churned",
        "churned": "churned",
    }


def test_table_columns_and_summary(boundary_log):
    res = lifecycle(boundary_log, as_of=AS_OF)
    c = res.customers.set_index("customer_id")
    assert c.loc["reactivated_90d", "gap_days"] == 90.0
    assert c.loc["lapsing", "since_last_days"] == pytest.approx(76.0)
    assert c.loc["returning", "n_events_in_period"] == 1
    assert res.table["status"].astype(str).tolist() == list(STATUSES)
    assert res.table["n"].tolist() == [2, 2, 1, 3, 2]
    assert res.table["share"].sum() == pytest.approx(1.0)
    assert "as of 2024-06-30" in res._repr_html_()
    assert len(res.plot().patches) == 5


def test_activity_choice():
    ev = make_events(
        [
            ("a", "2024-06-20", "page_view"),
            ("a", "2024-01-10", "purchase"),
            ("b", "2024-06-20", "page_view"),
        ]
    )
    assert statuses(lifecycle(ev, as_of=AS_OF)) == {"a": "reactivated", "b": "new"}  # 162-day gap
    with pytest.warns(JourneyWarning, match="as_of=2024-06-30 is 172 days after"):
        assert statuses(lifecycle(ev, as_of=AS_OF, activity="purchase")) == {"a": "churned"}


def test_breakdowns_and_accounts():
    frame = pd.DataFrame(
        {
            "customer_id": ["p1", "p2", "p2", "p3", "c1"],
            "timestamp": ["2024-01-02", "2024-06-20", "2024-01-01", "2024-06-25", "2024-06-25"],
            "event": "visit",
            "channel": ["email", "social", "seo", "seo", "seo"],
            "account_id": ["acme", "acme", "acme", "initech", None],
        }
    )
    ev = read_events(frame)
    by_channel = lifecycle(ev, as_of=AS_OF, by="channel").customers.set_index("customer_id")
    assert by_channel.loc["p2", "channel"] == "seo"  # the channel of the first activity
    attrs = pd.DataFrame({"customer_id": ["p1", "p2", "p3", "c1"], "persona": list("xxyy")})
    table = lifecycle(ev, as_of=AS_OF, by=attrs).table
    assert table.groupby("persona")["n"].sum().to_dict() == {"x": 2, "y": 2}
    accounts = lifecycle(ev, as_of=AS_OF, unit="account")
    assert statuses(accounts) == {"acme": "reactivated", "initech": "new"}
    with pytest.raises(JourneyDataError, match="unit='account'.*no 'account_id'.*Fix:"):
        lifecycle(ev.drop(columns="account_id"), unit="account")
    with pytest.raises(JourneyDataError, match="unit='session' is not supported"):
        lifecycle(ev, unit="session")


def test_pandas_and_ibis_agree():
    ev = jk.load_webshop()
    a = lifecycle(ev, as_of="2024-06-30", by="channel")
    b = lifecycle(ibis.memtable(ev), as_of="2024-06-30", by="channel")
    pd.testing.assert_frame_equal(a.customers, b.customers)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"activity": "buy"}, "activity='buy'"),
        ({"period": "soon"}, "period='soon': expected a positive duration"),
        ({"period": "-5D"}, "period='-5D'"),
        ({"churn_after": 0}, "churn_after=0: a duration needs a unit"),
        ({"as_of": "2020-01-01"}, "as_of=2020-01-01 00:00: before the first event"),
        ({"unit": "household"}, "unit='household'"),
        ({"by": "persona"}, "by: missing column"),
        ({"by": pd.DataFrame({"id": [1]})}, "by: the DataFrame has no 'customer_id'"),
    ],
)
def test_bad_input(boundary_log, kwargs, match):
    with pytest.raises(JourneyDataError, match=match):
        lifecycle(boundary_log, **kwargs)


def test_period_longer_than_churn_window_warns(boundary_log):
    with pytest.warns(JourneyWarning, match="longer than churn_after"):
        lifecycle(boundary_log, as_of=AS_OF, period="120D", churn_after="90D")


# ----------------------------------------------------------------------------- ground truth


def test_lifecycle_agrees_with_simulated_truth():
    """Customers of the simulated shop stop all activity at their true churn time.

    (a) Every buyer whose true churn lies more than churn_after + 60 days before as_of must be
    'churned' (the 60 days cover reviews posted after the last order, Exp(7 days)).
    (b) A buyer still alive at as_of is classified churned only when they happened to be
    silent for 90 days: with activity rate at least REPEAT_RATE + BROWSE_RATE per day that
    probability is at most exp(-90 * rate); the observed share must stay under that bound
    plus 4 binomial standard errors.
    """
    customers = jk.load_customers()
    buyers = customers.dropna(subset=["true_lifetime_days"]).copy()
    ev = jk.load_webshop()
    first_order = ev[ev["event"] == "purchase"].groupby("customer_id")["timestamp"].min()
    buyers["churn_time"] = buyers["customer_id"].map(first_order) + pd.to_timedelta(
        buyers["true_lifetime_days"], unit="D"
    )
    as_of = pd.Timestamp("2024-09-30", tz="UTC")
    status = lifecycle(ev, as_of=as_of).customers.set_index("customer_id")["status"]
    buyers["status"] = buyers["customer_id"].map(status).astype(str)
    long_gone = buyers[buyers["churn_time"] < as_of - pd.Timedelta(days=150)]
    assert len(long_gone) > 500 and (long_gone["status"] == "churned").all()
    alive = buyers[buyers["churn_time"] > as_of]
    observed = (alive["status"] == "churned").mean()
    bound = np.exp(-90 * (REPEAT_RATE.min() + BROWSE_RATE))
    assert observed <= bound + 4 * np.sqrt(bound * (1 - bound) / len(alive))


# ----------------------------------------------------------------------------- over time


def reference_growth(events: pd.DataFrame) -> pd.DataFrame:
    """Plain pandas growth accounting per calendar month (independent of the Ibis code)."""
    month = events["timestamp"].dt.tz_localize(None).dt.to_period("M")
    active = set(zip(events["customer_id"], month))
    first = events.assign(m=month).groupby("customer_id")["m"].min()
    periods = pd.period_range(month.min(), month.max(), freq="M")
    rows = []
    for p in periods:
        now = {c for c, m in active if m == p}
        before = {c for c, m in active if m == p - 1}
        new = {c for c in now if first[c] == p}
        rows.append(
            {
                "n_active": len(now),
                "n_new": len(new),
                "n_returning": len(now & before),
                "n_reactivated": len(now - before - new),
                "n_dormant": -len(before - now),
            }
        )
    return pd.DataFrame(rows)


log_rows = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c", "d", "e"]),
        st.datetimes(min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2024, 12, 31)),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(log_rows)
def test_growth_accounting_matches_pandas(rows):
    frame = pd.DataFrame(rows, columns=["customer_id", "timestamp"]).assign(event="visit")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", JourneyWarning)
        ev = read_events(frame)
    got = lifecycle_over_time(ev, freq="M").table
    expected = reference_growth(ev)
    cols = list(expected.columns)
    pd.testing.assert_frame_equal(got[cols], expected, check_dtype=False)
    # the identities
    assert (got["n_active"] == got["n_new"] + got["n_returning"] + got["n_reactivated"]).all()
    prev_active = got["n_active"].shift(1).fillna(0)
    assert (prev_active == got["n_returning"] - got["n_dormant"]).all()


@pytest.mark.parametrize("freq", ["D", "W", "M", "Q", "Y"])
def test_growth_periods_and_identities_on_the_shop(freq):
    ev = jk.load_webshop()
    table = lifecycle_over_time(ev, freq=freq, activity="purchase").table
    starts = table["period"]
    assert starts.is_monotonic_increasing and starts.is_unique
    if freq == "W":
        assert (starts.dt.dayofweek == 0).all()  # Monday
    assert (
        table["n_active"] == table["n_new"] + table["n_returning"] + table["n_reactivated"]
    ).all()
    previous = table["n_active"].shift(1).fillna(0)
    assert (previous == table["n_returning"] - table["n_dormant"]).all()
    buyers = ev.loc[ev["event"] == "purchase", "customer_id"].nunique()
    assert table["n_new"].sum() == buyers


def test_growth_breakdown_and_plot():
    ev = jk.load_webshop()
    attrs = jk.load_customers()[["customer_id", "segment"]]
    res = lifecycle_over_time(ev, by=attrs)
    assert set(res.table["segment"]) == {"B2B", "B2C"}
    total = lifecycle_over_time(ev).table.set_index("period")["n_active"]
    by_segment = res.table.groupby("period")["n_active"].sum()
    pd.testing.assert_series_equal(by_segment, total, check_names=False)
    ax = res.plot()
    assert any(p.get_height() < 0 for p in ax.patches)  # dormant drawn below zero


def test_growth_bad_freq():
    with pytest.raises(JourneyDataError, match="freq='month'"):
        lifecycle_over_time(jk.load_webshop(), freq="month")


# ----------------------------------------------------------------------------- RFM


def test_rfm_score_against_counting_definition(rng):
    values = pd.Series(rng.integers(0, 7, 300))  # many ties
    got = rfm_score(values, 5)
    sorted_values = np.sort(values.to_numpy())
    below = np.searchsorted(sorted_values, values.to_numpy(), side="left")  # #values < v
    assert (got.to_numpy() == 1 + np.floor(5 * below / len(values))).all()
    assert got.groupby(values).nunique().max() == 1  # ties share a score
    assert rfm_score(pd.Series(range(10)), 5).tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_rfm_by_hand():
    rows = []
    for i, (days_ago, orders, amount) in enumerate(
        [(1, 5, 100), (2, 4, 90), (40, 3, 50), (100, 2, 20), (300, 1, 5)]
    ):
        for k in range(orders):
            when = pd.Timestamp("2024-06-30") - pd.Timedelta(days=days_ago + k * 0.01)
            rows.append((f"c{i}", when.strftime("%Y-%m-%d %H:%M"), "purchase", amount / orders))
    res = rfm(make_events(rows), as_of="2024-06-30")
    c = res.customers.set_index("customer_id")
    assert c["rfm"].tolist() == ["555", "444", "333", "222", "111"]
    assert c["segment"].astype(str).tolist() == [
        "champions",
        "loyal",
        "need attention",
        "hibernating",
        "lost",
    ]
    assert c.loc["c0", "monetary"] == pytest.approx(100.0)
    assert res.segments["n"].sum() == 5 and len(res.segments) == 11


def test_rfm_on_cdnow_and_bad_input():
    res = rfm(jk.load_cdnow(), as_of="1998-06-30", bins=4)
    assert res.customers["r"].between(1, 4).all() and len(res.customers) == 23_570
    assert res.segments["revenue_share"].sum() == pytest.approx(1.0)
    with pytest.raises(JourneyDataError, match="bins=1"):
        rfm(jk.load_cdnow(), bins=1)
    with pytest.raises(JourneyDataError, match="purchase='order'"):
        rfm(jk.load_cdnow(), purchase="order")


# ----------------------------------------------------------------------------- moves


def test_status_transitions(boundary_log):
    moves = status_transitions(boundary_log, start="2024-05-01", end=AS_OF)
    assert moves.counts.to_numpy().sum() == 10  # everyone active by the end date
    assert moves.counts.loc["not yet active"].sum() == 3  # new, new_at_as_of, at_period_start
    assert moves.counts.loc["churned", "churned"] == 1
    rows = moves.shares.dropna()
    assert np.allclose(rows.sum(axis=1), 1.0)
    assert moves.plot().images
    with pytest.raises(JourneyDataError, match="end=2024-05-01 00:00: expected a time after start"):
        status_transitions(boundary_log, start=AS_OF, end="2024-05-01")
    with pytest.raises(TypeError, match="unexpected keyword argument 'as_of'"):
        status_transitions(boundary_log, start="2024-05-01", end=AS_OF, as_of=AS_OF)


# ----------------------------------------------------------------------------- promotions


def test_promotion_responders_follow_simulated_response():
    ev = jk.load_webshop()
    windows = promotions(pd.Timestamp("2023-01-01", tz="UTC"), pd.Timestamp("2024-12-31", tz="UTC"))
    res = promotion_responders(ev, promotions=windows)
    persona = jk.load_customers().set_index("customer_id")["persona"]
    share = res.customers.groupby(res.customers["customer_id"].map(persona))["responder"].mean()
    # truth: price-conscious buy 3x as often inside promotions, quality seekers 1.2x
    assert share["price_conscious"] > 1.5 * share["quality_seeker"]
    assert (res.customers["n_purchases"] >= 2).all()


def test_promotion_bad_input():
    ev = make_events([("a", "2024-01-01", "purchase"), ("a", "2024-03-01", "purchase")])
    jan = [("2024-01-01", "2024-02-01")]
    with pytest.raises(JourneyDataError, match="every window must end after it starts.*Fix:"):
        promotion_responders(ev, promotions=[("2024-02-01", "2024-01-01")])
    with pytest.raises(JourneyDataError, match="got no windows.*Fix:"):
        promotion_responders(ev, promotions=[])
    with pytest.raises(JourneyDataError, match="min_share=0"):
        promotion_responders(ev, promotions=jan, min_share=0)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"min_share": "half"}, "min_share='half': expected a share in \\(0, 1\\]; got a str"),
        ({"min_share": 1.5}, "min_share=1.5: expected a share in \\(0, 1\\]; got 1.5.*Fix:"),
        ({"min_share": True}, "min_share=True"),
        ({"min_purchases": 0}, "min_purchases=0: expected a whole number >= 1"),
        ({"min_purchases": "2"}, "min_purchases='2'"),
        ({"min_purchases": 3}, "min_purchases=3: no customer has that many"),
        ({"purchase": "purchse"}, "purchase='purchse': no such event.*Did you mean 'purchase'"),
        ({"promotions": pd.DataFrame({"start": ["2024-01-01"]})}, "has no \\['end'\\] column"),
        ({"promotions": pd.DataFrame({"begin": [1], "stop": [2]})}, "no \\['start', 'end'\\]"),
        ({"promotions": "2024-01-01"}, "promotions: expected a DataFrame.*got str.*Fix:"),
        (
            {"promotions": pd.DataFrame({"start": ["2024-01-10"], "end": ["2024-01-05"]})},
            "window from 2024-01-10 00:00 to 2024-01-05 00:00 does not",
        ),
        (  # a window before the first purchase: most likely the wrong year
            {"promotions": [("2024-01-01", "2024-02-01"), ("2023-01-01", "2023-02-01")]},
            "promotions=2023-02-01 00:00: before the first event.*run from 2024-01-01",
        ),
    ],
)
def test_promotion_parameters_are_checked(options, match):
    ev = make_events([("a", "2024-01-01", "purchase"), ("a", "2024-03-01", "purchase")])
    options = {"promotions": [("2024-01-01", "2024-02-01")], **options}
    with pytest.raises(JourneyDataError, match=match):
        promotion_responders(ev, **options)


def test_promotion_window_after_the_data_warns_and_lists_of_purchases_count():
    ev = make_events(
        [
            ("a", "2024-01-01", "purchase"),
            ("a", "2024-03-01", "order"),
            ("b", "2024-01-02", "order"),
        ]
    )
    windows = pd.DataFrame(
        {"start": ["2024-01-01", "2025-01-01"], "end": ["2024-02-01", "2025-02-01"]}
    )
    before = windows.copy()
    with pytest.warns(JourneyWarning, match="promotions=2025-01-01 is .* after the last event"):
        res = promotion_responders(ev, promotions=windows, purchase=["purchase", "order"])
    pd.testing.assert_frame_equal(windows, before)  # not mutated
    assert res.customers[["customer_id", "n_purchases", "n_in_promotion"]].values.tolist() == [
        ["a", 2, 1]
    ]


# ----------------------------------------------------------------------------- dates


def test_dates_before_the_data_raise_naming_the_parameter_and_the_range(boundary_log):
    span = "the events run from 2023-11-01 to 2024-07-02"
    with pytest.raises(JourneyDataError, match=f"as_of=2020-01-01 00:00: before.*{span}.*Fix:"):
        lifecycle(boundary_log, as_of="2020-01-01")
    with pytest.raises(JourneyDataError, match=f"^start=2020-01-01 00:00: before.*{span}"):
        status_transitions(boundary_log, start="2020-01-01", end=AS_OF)
    buys = make_events([("a", "2024-01-05", "purchase"), ("b", "2024-02-01", "purchase")])
    with pytest.raises(JourneyDataError, match="as_of=2024-01-01 00:00: before.*2024-01-05"):
        rfm(buys, as_of="2024-01-01")
    # with activity=, the data are the activity events
    ev = make_events([("a", "2024-01-01", "page_view"), ("a", "2024-03-01", "purchase")])
    with pytest.raises(JourneyDataError, match="as_of=2024-02-01 00:00: before.*from 2024-03-01"):
        lifecycle(ev, as_of="2024-02-01", activity="purchase")


def test_dates_long_after_the_data_warn_naming_the_parameter(boundary_log):
    last = pd.Timestamp("2024-07-02", tz="UTC")
    with pytest.warns(JourneyWarning, match="as_of=2024-10-01 is 91 days after.*every customer"):
        res = lifecycle(boundary_log, as_of=last + pd.Timedelta(days=91))
    assert set(res.customers["status"].astype(str)) == {"churned"}
    with warnings.catch_warnings():
        warnings.simplefilter("error", JourneyWarning)  # within churn_after: no warning
        lifecycle(boundary_log, as_of=last + pd.Timedelta(days=89))
        lifecycle(boundary_log, as_of=last + pd.Timedelta(days=150), churn_after="180D")
    with pytest.warns(JourneyWarning, match="^end=2025-01-01 is"):
        status_transitions(boundary_log, start=AS_OF, end="2025-01-01")
    buys = make_events([("a", "2024-01-05", "purchase"), ("b", "2024-02-01", "purchase")])
    with pytest.warns(JourneyWarning, match="as_of=2025-03-01 is 394 days after.*recency"):
        rfm(buys, as_of="2025-03-01")
    with warnings.catch_warnings():
        warnings.simplefilter("error", JourneyWarning)  # within LONG_AFTER (365 days)
        rfm(buys, as_of="2025-01-01")


# ----------------------------------------------------------------------------- event names


def test_activity_lists_and_unknown_names():
    ev = make_events(
        [
            ("a", "2024-06-01", "purchase", 10.0),
            ("a", "2024-06-10", "order", 5.0),
            ("b", "2024-06-20", "order", 2.0),
            ("c", "2024-06-25", "page_view"),
        ]
    )
    res = rfm(ev, as_of=AS_OF, purchase=["purchase", "order"]).customers.set_index("customer_id")
    assert res["frequency"].to_dict() == {"a": 2, "b": 1}
    assert res.loc["a", "monetary"] == 15.0
    with pytest.raises(JourneyDataError, match="purchase='ordr'.*Did you mean 'order'"):
        rfm(ev, purchase=["purchase", "ordr"])
    with pytest.raises(JourneyDataError, match="activity=\\[\\]: expected at least one"):
        lifecycle(ev, activity=[])
    assert set(statuses(lifecycle(ev, as_of=AS_OF, activity=("order", "purchase")))) == {"a", "b"}
    with pytest.raises(JourneyDataError, match="activity='vist'"):
        lifecycle_over_time(ev, activity="vist")
    with pytest.raises(JourneyDataError, match="activity='vist'"):
        status_transitions(ev, start="2024-06-15", end=AS_OF, activity="vist")


# ----------------------------------------------------------------------------- breakdowns


@pytest.fixture
def persona_log():
    rows = [(f"c{i}", f"2024-06-{10 + i:02d}", "visit") for i in range(6)]
    return make_events(rows).assign(channel=["seo", "ads", None, "seo", "ads", "seo"])


@pytest.mark.parametrize("missing", [None, np.nan, pd.NA])
def test_missing_attributes_are_left_out_with_a_warning(persona_log, missing):
    attrs = pd.DataFrame(
        {"customer_id": ["c0", "c1", "c2", "c3", "c4"], "persona": ["x", "y", missing, "x", "y"]}
    )  # c2 has no persona, c5 is not in the frame
    before = attrs.copy()
    with pytest.warns(JourneyWarning) as caught:
        res = lifecycle(persona_log, as_of=AS_OF, by=attrs)
    messages = [str(w.message) for w in caught]
    assert any("by: 1 of 5 rows have no value" in m for m in messages)
    assert any("by: 2 of 6 customers are not in the by frame" in m for m in messages)
    pd.testing.assert_frame_equal(attrs, before)  # not mutated
    assert res.table["persona"].notna().all()
    assert res.table.groupby("persona")["n"].sum().to_dict() == {"x": 2, "y": 2}
    assert sorted(res.customers["customer_id"]) == ["c0", "c1", "c3", "c4"]
    rows, units = "1 of 5 rows", "2 of 6 customers are not in the by frame"
    with pytest.warns(JourneyWarning, match=rows), pytest.warns(JourneyWarning, match=units):
        growth = lifecycle_over_time(persona_log, by=attrs).table
    assert set(growth["persona"]) == {"x", "y"} and growth["n_new"].sum() == 4


def test_missing_event_column_value_at_first_activity_is_left_out(persona_log):
    with pytest.warns(JourneyWarning, match="by: 1 of 6 customers have no \\['channel'\\] value"):
        res = lifecycle(persona_log, as_of=AS_OF, by="channel")
    assert res.table.groupby("channel")["n"].sum().to_dict() == {"ads": 2, "seo": 3}
    with pytest.warns(JourneyWarning, match="1 of 6 customers have no"):
        growth = lifecycle_over_time(persona_log, by="channel").table
    assert growth["channel"].notna().all() and growth["n_new"].sum() == 5
    with pytest.raises(JourneyDataError, match="by: all 6 customers have no"):
        lifecycle(persona_log.assign(channel=None), by="channel")


@pytest.mark.parametrize(
    ("by", "match"),
    [
        (
            pd.DataFrame({"customer_id": ["c0", "c0"], "persona": ["x", "y"]}),
            "1 customer_id value\\(s\\) occur in several rows with different attributes",
        ),
        (pd.DataFrame({"customer_id": ["c0"]}), "holds only 'customer_id'"),
        (pd.DataFrame({"customer_id": [1, 2], "p": ["x", "y"]}), "all 6 customers are not in"),
        (pd.DataFrame({"customer_id": ["c0"], "status": ["x"]}), "got 'status', the name of"),
        ("customer_id", "got 'customer_id', the name of a column journeykit computes"),
        ([], "by=\\[\\]: expected a column name"),
        (5, "by=5: expected a column name.*got int.*Fix:"),
        (["channel", 3], "by=\\['channel', 3\\]"),
    ],
)
def test_bad_breakdowns_raise(persona_log, by, match):
    with pytest.raises(JourneyDataError, match=match):
        lifecycle(persona_log, as_of=AS_OF, by=by)


def test_exact_duplicate_attribute_rows_are_fine(persona_log):
    attrs = pd.DataFrame({"customer_id": [f"c{i}" for i in [0, 0, 1, 2, 3, 4, 5]]}).assign(p="x")
    assert lifecycle(persona_log, as_of=AS_OF, by=attrs).table["n"].sum() == 6


# ----------------------------------------------------------------------------- awkward input


def test_awkward_but_valid_input():
    one = make_events([("a", "2024-01-01 10:00", "purchase", 5.0)])
    assert statuses(lifecycle(one)) == {"a": "new"}
    assert rfm(one).customers["rfm"].tolist() == ["111"]
    instant = make_events([("a", "2024-01-01", "visit"), ("b", "2024-01-01", "purchase")])
    assert statuses(lifecycle(instant, period="1h")) == {"a": "new", "b": "new"}
    assert lifecycle_over_time(instant).table["n_new"].tolist() == [2]
    moves = status_transitions(instant, start="2024-01-01", end="2024-01-02")
    assert moves.counts.loc["new", "new"] == 2


def test_empty_and_unusable_events_raise():
    empty = make_events([("a", "2024-01-01", "visit")]).iloc[:0]
    for call in (
        lambda: lifecycle(empty),
        lambda: lifecycle_over_time(empty),
        lambda: rfm(empty),
        lambda: promotion_responders(empty, promotions=[("2024-01-01", "2024-02-01")]),
    ):
        with pytest.raises(JourneyDataError, match="^events: .*Fix:"):
            call()
    no_accounts = make_events([("a", "2024-01-01", "visit")]).assign(account_id=None)
    with pytest.raises(JourneyDataError, match="events: no activity"):
        lifecycle(no_accounts, unit="account")
    with pytest.raises(JourneyDataError, match="events: no activity"):
        lifecycle_over_time(no_accounts, unit="account")


def test_status_transitions_options_are_checked(boundary_log):
    with pytest.raises(TypeError, match="unexpected keyword argument 'churn'"):
        status_transitions(boundary_log, start="2024-05-01", end=AS_OF, churn="90D")
    with pytest.raises(JourneyDataError, match="unit='account'.*no 'account_id'"):
        status_transitions(boundary_log, start="2024-05-01", end=AS_OF, unit="account")
    with pytest.raises(JourneyDataError, match="churn_after=90: a duration needs a unit"):
        status_transitions(boundary_log, start="2024-05-01", end=AS_OF, churn_after=90)
    with pytest.raises(JourneyDataError, match="start=5: expected a date"):
        status_transitions(boundary_log, start=5, end=AS_OF)


def test_status_transitions_derive_missing_dates(boundary_log):
    """A template passes None for dates the analyst did not set: end = the last activity,
    start = six months before end, or half way from the first activity when that is later."""
    long = make_events([("a", "2022-01-01", "visit"), ("b", "2024-07-02", "visit")])
    moves = status_transitions(long)
    assert moves.end == pd.Timestamp("2024-07-02", tz="UTC")
    assert moves.start == pd.Timestamp("2024-01-02", tz="UTC")  # six months before
    expected = status_transitions(long, start="2024-01-02", end="2024-07-02")
    pd.testing.assert_frame_equal(moves.counts, expected.counts)
    # eight months of data (2023-11-01 to 2024-07-02): half way is later than six months
    short = status_transitions(boundary_log)
    assert short.start == pd.Timestamp("2024-03-02", tz="UTC")
    half_way = pd.Timestamp("2023-12-31 12:00", tz="UTC")  # 121 days: 60.5 after the first
    assert status_transitions(boundary_log, end="2024-03-01").start == half_way
    late = status_transitions(boundary_log, start="2024-06-01")
    assert late.end == pd.Timestamp("2024-07-02", tz="UTC")
    with pytest.raises(JourneyDataError, match="end=2024-07-02 00:00: expected a time after"):
        status_transitions(boundary_log, start="2024-08-01")


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"period": 30}, "period=30: a duration needs a unit.*Did you mean '30D'"),
        ({"churn_after": float("inf")}, "churn_after=inf: expected a finite"),
        ({"period": "30"}, "period='30': a duration needs a unit"),
    ],
)
def test_durations_need_a_unit(boundary_log, options, match):
    with pytest.raises(JourneyDataError, match=match):
        lifecycle(boundary_log, **options)


# ----------------------------------------------------------------------------- explorer


def test_lifecycle_explorer_updates_with_the_tested_function():
    ev = jk.load_webshop()
    attrs = jk.load_customers()[["customer_id", "persona"]]
    box = jk.widgets.lifecycle_explorer(ev, attributes=attrs)
    box.controls["churn_days"].value = 120
    box.controls["by"].value = "persona"
    expected = lifecycle(
        ev, as_of=box.result.as_of, period="30D", churn_after="120D", by=attrs
    ).table
    pd.testing.assert_frame_equal(box.result.table, expected)
    # timing is reported, not asserted (shared machines are noisy)
    print(f"lifecycle_explorer update times (s): {[round(s, 3) for s in box.seconds]}")


# ----------------------------------------------------------------------------- reports


def test_results_read_like_a_report(boundary_log):
    res = lifecycle(boundary_log, as_of=AS_OF)
    assert res.conclusion.startswith("Of the 10 customers active by 2024-06-30, 5 (50%)")
    assert "20% new, 20% returning, 10% reactivated, 30% lapsing, 20% churned" in res.conclusion
    moves = status_transitions(boundary_log, start="2024-05-01", end=AS_OF)
    long = moves.to_frame()
    assert list(long.columns) == ["from", "to", "n", "share"]
    assert len(long) == 6 * 5 and long["n"].sum() == moves.counts.to_numpy().sum()
    assert "3 were not yet active on 2024-05-01" in moves.conclusion
    growth = lifecycle_over_time(boundary_log, freq="M")
    assert growth.table.iloc[-1]["n_active"] == 1
    assert growth.conclusion.startswith("In 2024-07, 1 customer was active: 1 new")


def test_conclusions_never_hide_a_few_units_behind_0_percent():
    """Small counts read right on foreign data: '1 customer', and '<1%' rather than '0%'
    for 1 of 400 (a report saying '2 (0%) were active' looks like a contradiction)."""
    rows = [(f"c{i:03d}", "2024-01-01", "visit") for i in range(399)]
    ev = make_events([*rows, ("late", "2024-06-29", "visit")])
    res = lifecycle(ev, as_of=AS_OF)
    assert res.conclusion.startswith("Of the 400 customers active by 2024-06-30, 1 (<1%)")
    assert "<1% new, 0% returning, 0% reactivated, 0% lapsing, >99% churned" in res.conclusion
    one = lifecycle(make_events([("a", "2024-06-01", "visit")]), as_of=AS_OF)
    assert one.conclusion.startswith("Of the 1 customer active by")
    buys = make_events([("a", "2024-06-01", "purchase", 5.0), ("a", "2024-06-02", "purchase")])
    assert "of the 1 buyer" in rfm(buys).conclusion


def test_promotion_windows_may_be_named_lists_as_json_gives_them():
    ev = make_events(
        [("a", "2024-11-29", "purchase"), ("a", "2024-12-02", "purchase")]
        + [("b", "2024-11-29", "purchase"), ("b", "2024-03-01", "purchase")]
    )
    pairs = promotion_responders(ev, promotions=[("2024-11-25", "2024-12-03")]).customers
    named = [["black_friday", "2024-11-25", "2024-12-03"]]  # PROMOTIONS of a template
    pd.testing.assert_frame_equal(promotion_responders(ev, promotions=named).customers, pairs)
    frame = pd.DataFrame(named, columns=["name", "start", "end"])
    pd.testing.assert_frame_equal(promotion_responders(ev, promotions=frame).customers, pairs)
    for bad in (["2024-11-25"], [["a", "b", "c", "d"]], ["2024-11-25", "2024-12-03"], 5):
        with pytest.raises(JourneyDataError, match="promotions: expected a DataFrame.*Fix:"):
            promotion_responders(ev, promotions=bad)


def test_breakdown_plots_draw_every_group():
    ev = jk.load_webshop()
    segments = jk.load_customers()[["customer_id", "segment"]]
    growth = lifecycle_over_time(ev, freq="Q", by=segments)
    ax = growth.plot()
    periods = growth.table["period"].nunique()
    assert len(ax.patches) == 2 * periods * 4  # both groups, four components per period
    assert {t.get_text() for t in ax.get_legend().get_texts()} >= {"B2B", "B2C"}
    status = lifecycle(ev, as_of="2024-09-30", by="channel")
    labels = {t.get_text() for t in status.plot().get_legend().get_texts()}
    assert labels == set(status.table["channel"])  # all seven channels
    assert status.plot().get_title() == "Lifecycle status on 2024-09-30 by channel"


def test_promotion_responders_report_and_plot():
    ev = make_events(
        [
            ("a", "2024-11-29", "purchase"),
            ("a", "2024-12-02", "purchase"),
            ("b", "2024-11-29", "purchase"),
            ("b", "2024-03-01", "purchase"),
            ("c", "2024-03-01", "purchase"),
            ("c", "2024-04-01", "purchase"),
        ]
    )
    res = promotion_responders(ev, promotions=[("2024-11-25", "2024-12-03")], min_share=0.6)
    row = res.summary.iloc[0]
    assert (row["n"], row["n_responders"], row["share"]) == (3, 1, pytest.approx(1 / 3))
    assert row["share_in_promotion"] == pytest.approx(3 / 6)
    assert res.conclusion.startswith("1 of the 3 customers judged (33%)")
    ax = res.plot()
    assert ax.get_title() == "Promotion responders" and ax.get_xlabel() and ax.get_ylabel()
    assert sum(p.get_height() for p in ax.patches) == 3  # every customer in the histogram
