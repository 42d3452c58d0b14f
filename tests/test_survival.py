"""Survival: R/lifelines references on lung, hand-computed Kaplan-Meier, churn-rule edges,
the simulator's true hazards, cohort retention against pandas, bad input."""

import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import make_events
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lifelines.datasets import load_lung
from lifelines.statistics import logrank_test, multivariate_logrank_test
from scipy.stats import norm

import journeykit as jk
from journeykit import JourneyDataError, JourneyWarning
from journeykit.survival import (
    cohort_retention,
    cox,
    durations,
    repeat_purchase,
    retention_curve,
)


def lung():
    # lifelines' copy of R survival::lung; status 1 = died (R codes it 2), 0 = censored
    return load_lung().assign(observed=lambda d: d["status"] == 1, duration=lambda d: d["time"])


def quiet(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", JourneyWarning)
        return func(*args, **kwargs)


# --------------------------------------------------------------------------- references


def test_lung_kaplan_meier_median_and_log_rank_match_r():
    # R: survfit(Surv(time, status) ~ 1, data = lung): median 310
    assert retention_curve(lung()).table["median_days"].iloc[0] == 310
    # R: survdiff(Surv(time, status) ~ sex, data = lung): Chisq = 10.3 on 1 df, p = 0.00131
    res = retention_curve(lung(), by="sex")
    assert list(res.logrank.columns) == ["statistic", "dof", "p_value"]
    test = res.logrank.iloc[0]
    assert test["statistic"] == pytest.approx(10.33, abs=5e-3)
    assert test["p_value"] == pytest.approx(0.00131, abs=5e-6)
    assert test["dof"] == 1


def test_lung_cox_matches_r():
    # R: coxph(Surv(time, status) ~ age + sex, data = lung): coef age 0.017045,
    # sex -0.513219, exp(coef) sex 0.5986
    res = cox(lung(), covariates=["age", "sex"])
    t = res.table.set_index("covariate")
    assert t.loc["age", "coef"] == pytest.approx(0.017045, abs=1e-6)
    assert t.loc["sex", "coef"] == pytest.approx(-0.513217, abs=1e-5)
    assert t.loc["sex", "hazard_ratio"] == pytest.approx(0.5986, abs=1e-4)
    # R summary(): sex lower .95 0.4311, upper .95 0.8311; Concordance = 0.603
    assert (
        t.loc["sex", "hazard_ratio_ci_low"],
        t.loc["sex", "hazard_ratio_ci_high"],
    ) == pytest.approx((0.4311, 0.8311), abs=1e-4)
    assert res.concordance == pytest.approx(0.603, abs=1e-3)


def test_kaplan_meier_by_hand():
    # product-limit: 5 customers; churn at 5, 8 (and one censored at 8), 12; censored at 20
    d = pd.DataFrame({"duration": [5, 8, 8, 12, 20], "observed": [True, True, False, True, False]})
    res = retention_curve(d, horizons=(4, 5, 10, 12, 30))
    s = res.horizons["survival"].to_numpy()
    np.testing.assert_allclose(s, [1, 4 / 5, 4 / 5 * 3 / 4, 0.6 * 1 / 2, 0.3])
    # exponential Greenwood interval at t = 12 (Kalbfleisch & Prentice): log(-log S) +- z sd
    # with var = sum d / (n (n - d)) / log(S)^2
    greenwood = 1 / (5 * 4) + 1 / (4 * 3) + 1 / (2 * 1)
    sd = np.sqrt(greenwood) / abs(np.log(0.3))
    z = norm.ppf(0.975)
    low, high = np.exp(-np.exp(np.log(-np.log(0.3)) + np.array([z, -z]) * sd))
    row = res.horizons.iloc[3]
    assert (row.survival_ci_low, row.survival_ci_high) == pytest.approx((low, high))
    assert res.table["median_days"].iloc[0] == 12


def test_log_rank_matches_lifelines_for_several_groups(rng):
    n = 3000
    g = rng.integers(0, 4, n)
    data = pd.DataFrame(
        {
            "duration": np.round(rng.exponential(100 * (1 + g / 3)), 0),
            "observed": rng.random(n) < 0.7,
            "group": np.array(["a", "b", "c", "d"])[g],
        }
    )
    res = retention_curve(data, by="group")
    ref = multivariate_logrank_test(data["duration"], data["group"], data["observed"])
    assert res.logrank["statistic"].iloc[0] == pytest.approx(ref.test_statistic)
    assert res.logrank["dof"].iloc[0] == 3
    for row in res.pairwise.itertuples():
        a, b = data[data.group == row.group_a], data[data.group == row.group_b]
        pair = logrank_test(a.duration, b.duration, a.observed, b.observed)
        assert row.statistic == pytest.approx(pair.test_statistic)
        assert row.p_value == pytest.approx(pair.p_value)
    # Holm: the smallest p times 6 comparisons
    assert res.pairwise["p_adjusted"].min() == pytest.approx(
        min(1, 6 * res.pairwise["p_value"].min())
    )


# --------------------------------------------------------------------------- durations


def test_churn_rule_edges():
    ev = make_events(
        [
            ("a", "2024-01-01 00:00", "visit"),
            ("a", "2024-04-01 00:00", "visit"),  # exactly 91 days before as_of: churned
            ("b", "2024-01-01 00:00", "visit"),
            ("b", "2024-04-01 00:01", "visit"),  # one minute later: not yet, censored
            ("c", "2024-03-01 00:00", "visit"),  # seen once, long ago: churned, duration 0
            ("d", "2024-06-30 00:00", "visit"),  # seen once, recently: censored at as_of
            ("e", "2024-07-05 00:00", "visit"),  # starts after as_of: left out
        ]
    )
    before = ev.copy()
    out = quiet(durations, ev, as_of="2024-07-01", churn_after="91D").set_index("customer_id")
    pd.testing.assert_frame_equal(ev, before)
    assert list(out.index) == ["a", "b", "c", "d"]
    assert out["observed"].tolist() == [True, False, True, False]
    assert out["duration"].tolist() == pytest.approx([91, 182, 0, 1])


def test_start_event_and_activity():
    ev = make_events(
        [
            ("a", "2024-01-01 00:00", "visit"),
            ("a", "2024-01-11 00:00", "purchase", 10.0),
            ("a", "2024-02-10 00:00", "visit"),
            ("b", "2024-01-01 00:00", "visit"),  # never buys: not a buyer, left out
        ]
    )
    out = durations(ev, as_of="2024-12-31", start_event="purchase")
    assert out["customer_id"].tolist() == ["a"]
    assert out["duration"].iloc[0] == pytest.approx(30)
    only_buys = durations(ev, as_of="2024-12-31", start_event="purchase", activity="purchase")
    assert only_buys["duration"].iloc[0] == 0


def test_end_event_contractual():
    ev = make_events(
        [
            ("a", "2024-01-01 00:00", "subscribe"),
            ("a", "2024-03-01 00:00", "cancel"),
            ("b", "2024-02-01 00:00", "subscribe"),
            ("b", "2024-02-15 00:00", "visit"),
        ]
    )
    out = durations(ev, as_of="2024-06-01", end_event="cancel").set_index("customer_id")
    assert out["observed"].tolist() == [True, False]
    assert out["duration"].tolist() == pytest.approx([60, 121])


def test_young_data_warns():
    ev = make_events([("a", "2024-06-20 00:00", "visit"), ("b", "2024-06-25 00:00", "visit")])
    with pytest.warns(JourneyWarning, match="cannot be seen yet"):
        durations(ev, as_of="2024-07-01")


def test_durations_by_attributes_and_event_columns():
    ev = jk.load_webshop()
    customers = jk.load_customers()[["customer_id", "persona"]]
    out = durations(ev, by=customers)
    assert out["persona"].notna().all()
    first = ev.sort_values("timestamp").groupby("customer_id")["channel"].first()
    out = durations(ev, by="channel").set_index("customer_id")
    assert (out["channel"].to_numpy() == first.loc[out.index].to_numpy()).all()


@pytest.mark.spark
def test_durations_and_cohorts_same_on_spark(spark, tmp_path):
    import ibis

    ev = jk.load_webshop().drop(columns=["stage"])
    ev.to_parquet(tmp_path / "ev.parquet")
    table = ibis.pyspark.connect(spark).read_parquet(str(tmp_path / "ev.parquet"))
    pd.testing.assert_frame_equal(
        durations(table, start_event="purchase", by="channel"),
        durations(ev, start_event="purchase", by="channel"),
    )
    spark_cohorts, local_cohorts = cohort_retention(table), cohort_retention(ev)
    pd.testing.assert_frame_equal(spark_cohorts.table, local_cohorts.table, check_dtype=False)
    # drill-down: the lazy query behind units() runs where the data live
    pd.testing.assert_frame_equal(
        spark_cohorts.units("2024-03", 2), local_cohorts.units("2024-03", 2), check_dtype=False
    )
    # the other route (start and return events differ), rolling, unbounded, with a test
    options = {"start_event": "purchase", "return_event": "product_view", "calendar": False}
    options |= {"mode": "unbounded", "by": "channel"}
    spark_result, local = cohort_retention(table, **options), cohort_retention(ev, **options)
    pd.testing.assert_frame_equal(spark_result.table, local.table, check_dtype=False)
    pd.testing.assert_frame_equal(spark_result.test, local.test)


# --------------------------------------------------------------------------- truth


def _true_lifetimes():
    """The simulator's true lifetimes, censored at the end of the data, with personas."""
    customers = jk.load_customers().dropna(subset=["true_lifetime_days"])
    events = jk.load_webshop()
    first_buy = events[events.event == "purchase"].groupby("customer_id")["timestamp"].min()
    customers = customers[customers["customer_id"].isin(first_buy.index)]  # ordered in time
    end = events["timestamp"].max()
    start = first_buy.loc[customers["customer_id"]].to_numpy()
    observable = (end - start) / pd.Timedelta(days=1)
    observed = customers["churned_by_end"].astype(bool).to_numpy()
    return customers.assign(
        duration=np.where(observed, customers["true_lifetime_days"], observable),
        observed=observed,
    )


def test_median_lifetime_and_hazard_ratio_recover_the_truth():
    truth = jk.ground_truth()
    data = _true_lifetimes()
    res = retention_curve(data, by=["persona", "segment"])
    assert list(res.table.columns[:2]) == ["persona", "segment"]  # kept, not folded
    for row in res.table.itertuples():
        true = truth["median_lifetime_days"][row.persona][row.segment]
        assert row.median_days_ci_low <= true <= row.median_days_ci_high, row
    b2c = data[data["segment"] == "B2C"]
    t = quiet(cox, b2c, covariates=["persona"]).table.iloc[0]
    assert t.covariate == "persona=quality_seeker"
    true = truth["hazard_ratio_quality_vs_price"]["B2C"]
    assert t.hazard_ratio_ci_low <= true <= t.hazard_ratio_ci_high


def test_churn_rule_mostly_flags_true_churners():
    # the rule-based churn flag against the simulator's truth: with a 90-day window few
    # customers flagged as churned are in fact still alive
    customers = jk.load_customers().dropna(subset=["true_lifetime_days"])
    flagged = durations(jk.load_webshop(), start_event="purchase", churn_after="90D")
    merged = flagged.merge(customers, on="customer_id")
    precision = merged.loc[merged["observed"], "churned_by_end"].astype(bool).mean()
    assert precision > 0.9


# --------------------------------------------------------------------------- cohorts


def _pandas_period(ts: pd.Series, freq: str) -> pd.Series:
    """Calendar period index written independently of journeykit.periods."""
    if freq == "M":
        return ts.dt.year * 12 + ts.dt.month - 1
    days = (ts.dt.tz_convert(None).dt.normalize() - pd.Timestamp("1970-01-01")).dt.days
    return days if freq == "D" else (days + 3) // 7  # weeks from Monday (1970-01-05)


def _pandas_cohorts(ev, *, freq="M", start=None, back=None, mode="bounded", calendar=True):
    """Plain pandas, one loop per cell: the cohort is the period of the first start event,
    a return is a return event at or after it, the age counts calendar periods or whole
    rolling periods (1, 7, 30 days) from the customer's start; every age the cohort has
    reached (up to the last event) is a row, empty ones with 0."""
    length = pd.Timedelta(days={"D": 1, "W": 7, "M": 30}[freq])
    starts = ev if start is None else ev[ev["event"].isin(start)]
    first = starts.groupby("customer_id")["timestamp"].min()
    cohort = _pandas_period(first, freq)
    returns = ev if back is None else ev[ev["event"].isin(back)]
    r = returns[returns["customer_id"].isin(first.index)].copy()
    r["start"] = r["customer_id"].map(first)
    r = r[r["timestamp"] >= r["start"]]
    if calendar:
        r["age"] = _pandas_period(r["timestamp"], freq) - r["customer_id"].map(cohort)
    else:
        r["age"] = (r["timestamp"] - r["start"]) // length
    end = ev["timestamp"].max()
    rows = []
    for c in sorted(cohort.unique()):
        members = cohort.index[cohort == c]
        if calendar:
            reach = int(_pandas_period(pd.Series([end]), freq).iloc[0]) - c
        else:
            reach = (end - first[members].max()) // length
        ages = r[r["customer_id"].isin(members)].groupby("customer_id")["age"]
        for k in range(reach + 1):
            if mode == "bounded":
                n = int(ages.apply(lambda a, k=k: (a == k).any()).sum()) if len(ages) else 0
            else:
                n = int(ages.apply(lambda a, k=k: (a >= k).any()).sum()) if len(ages) else 0
            rows.append({"cohort": c, "age": k, "n_acquired": len(members), "n": n})
    out = pd.DataFrame(rows)
    out["retention"] = out["n"] / out["n_acquired"]
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.sampled_from("abcdefgh"), st.integers(0, 400), st.sampled_from("sxr")),
        min_size=1,
        max_size=50,
    ),
    st.sampled_from(["D", "W", "M"]),
    st.sampled_from(["bounded", "unbounded"]),
    st.booleans(),
    st.sampled_from([(None, None), (["s"], ["r"]), (["s"], None), (["s", "x"], ["s", "x"])]),
)
def test_cohort_retention_matches_pandas(rows, freq, mode, calendar, events):
    start, back = events
    ev = pd.DataFrame(
        {
            "customer_id": [c for c, _, _ in rows],
            # hours, so rolling days and calendar days differ
            "timestamp": pd.Timestamp("2024-01-01", tz="UTC")
            + pd.to_timedelta([h * 7 for _, h, _ in rows], unit="h"),
            "event": [e for _, _, e in rows],
        }
    )
    known = set(ev["event"])
    if any(set(names or []) - known for names in events):
        return  # an event the log lacks raises (tested elsewhere)
    ref = _pandas_cohorts(ev, freq=freq, start=start, back=back, mode=mode, calendar=calendar)
    if ref.empty:
        return
    got = cohort_retention(
        ev, freq=freq, start_event=start, return_event=back, mode=mode, calendar=calendar
    ).table
    cohorts = _pandas_period(got["cohort"], freq)
    np.testing.assert_array_equal(cohorts, ref["cohort"])
    for column in ("age", "n_acquired", "n"):
        np.testing.assert_array_equal(got[column], ref[column], err_msg=column)
    np.testing.assert_allclose(got["retention"], ref["retention"])


def test_cohort_retention_start_and_return_events_by_hand():
    ev = make_events(
        [
            ("a", "2024-01-05 00:00", "signup"),
            ("a", "2024-01-20 00:00", "purchase"),
            ("a", "2024-03-02 00:00", "purchase"),
            ("b", "2024-01-10 00:00", "purchase"),  # before the signup: not a return
            ("b", "2024-01-11 00:00", "signup"),
            ("c", "2024-02-01 00:00", "signup"),
            ("d", "2024-02-03 00:00", "purchase"),  # never signed up: in no cohort
            ("c", "2024-03-30 00:00", "visit"),
        ]
    )
    res = cohort_retention(ev, start_event="signup", return_event="purchase")
    jan = res.table[res.table["cohort"] == pd.Timestamp("2024-01-01", tz="UTC")]
    assert jan["n_acquired"].tolist() == [2, 2, 2]
    assert jan["n"].tolist() == [1, 0, 1]  # a in January and March; b never after signup
    events = {"start_event": "signup", "return_event": "purchase"}
    unbounded = cohort_retention(ev, **events, mode="unbounded")
    jan = unbounded.table[unbounded.table["cohort"] == pd.Timestamp("2024-01-01", tz="UTC")]
    assert jan["n"].tolist() == [1, 1, 1]
    # February (c): reached ages 0 and 1 (the data end in March), no purchase: zeros
    feb = res.table[res.table["cohort"] == pd.Timestamp("2024-02-01", tz="UTC")]
    assert feb["n"].tolist() == [0, 0] and feb["retention"].tolist() == [0.0, 0.0]
    # pooled: age 2 only January has reached: 1 of 2
    assert res.average.set_index("age").loc[2, "retention"] == 0.5
    assert "signup" in res.notes[0] and "purchase" in res.notes[0]


def test_cohort_retention_by_tests_whether_curves_differ():
    # reference: lifelines' multivariate log-rank test on the same per-customer periods
    # to the last return, censored at the cohort's last reached age
    rng = np.random.default_rng(8)
    n = 400
    group = rng.choice(["x", "y"], n)
    start = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 120, n), "D")
    life = rng.geometric(np.where(group == "x", 0.15, 0.4))  # months of activity
    rows = []
    for i in range(n):
        for k in range(life[i]):
            rows.append((f"c{i:03d}", start[i] + pd.Timedelta(days=30 * k), group[i]))
    ev = pd.DataFrame(rows, columns=["customer_id", "timestamp", "channel"]).assign(event="visit")
    ev = ev[ev["timestamp"] < pd.Timestamp("2024-12-31", tz="UTC")]
    res = cohort_retention(ev, freq="M", by="channel")
    assert set(res.average["channel"]) == {"x", "y"}
    x = res.average[res.average["channel"] == "x"].set_index("age")["retention"]
    y = res.average[res.average["channel"] == "y"].set_index("age")["retention"]
    assert x.loc[3] > y.loc[3]
    month = _pandas_period(ev["timestamp"], "M")
    per = (
        ev.assign(month=month)
        .groupby("customer_id")
        .agg(first=("month", "min"), last=("month", "max"), channel=("channel", "first"))
    )
    end = int(_pandas_period(ev["timestamp"], "M").max())
    T = per["last"] - per["first"]
    E = T < end - per["first"]
    ref = multivariate_logrank_test(T, per["channel"], E)
    assert res.test["statistic"].iloc[0] == pytest.approx(ref.test_statistic, rel=1e-9)
    assert res.test["p_value"].iloc[0] == pytest.approx(ref.p_value, rel=1e-6)
    assert "differ" in res.conclusion
    ax = res.plot()
    assert ax.get_legend() is not None and len(ax.lines) == 2


def test_cohort_retention_bad_options():
    ev = make_events([("a", "2024-01-05 00:00", "visit", 1.0)])
    with pytest.raises(JourneyDataError, match="mode='unbounded'"):
        cohort_retention(ev, value="revenue", mode="unbounded")
    with pytest.raises(JourneyDataError, match="calendar='yes'"):
        cohort_retention(ev, calendar="yes")
    with pytest.raises(JourneyDataError, match="mode"):
        cohort_retention(ev, mode="rolling")
    with pytest.raises(JourneyDataError, match="return_event='buy'"):
        cohort_retention(ev, return_event="buy")


def test_cohort_average_and_revenue():
    ev = make_events(
        [
            ("a", "2024-01-05 00:00", "purchase", 10.0),
            ("a", "2024-02-05 00:00", "purchase", 30.0),
            ("b", "2024-01-10 00:00", "purchase", 10.0),
            ("c", "2024-02-10 00:00", "purchase", 5.0),
        ]
    )
    res = cohort_retention(ev)
    # age 1 is reached only by the January cohort (2 customers, 1 active)
    assert res.average["retention"].tolist() == [1.0, 0.5]
    assert res.average["n_cohorts"].tolist() == [2, 1]
    three = make_events(
        [
            ("x", "2024-01-01 00:00", "visit"),
            ("y", "2024-01-02 00:00", "visit"),
            ("y", "2024-03-02 00:00", "visit"),
        ]
    )  # one cohort, ages 0 to 2, reached although no later cohort exists
    assert cohort_retention(three).average["retention"].tolist() == [1.0, 0.0, 0.5]
    revenue = cohort_retention(ev, value="revenue")
    assert revenue.matrix.iloc[0].tolist() == [1.0, 1.5]  # 30 after 20: 150%
    assert revenue.plot().get_xlabel() == "months since acquisition (age)"


def test_repeat_purchase_by_hand():
    ev = make_events(
        [
            ("a", "2024-01-01 00:00", "purchase", 10.0),
            ("a", "2024-01-11 00:00", "purchase", 10.0),
            ("a", "2024-01-31 00:00", "purchase", 10.0),
            ("b", "2024-01-05 00:00", "purchase", 10.0),
            ("c", "2024-01-05 00:00", "visit"),
        ]
    )
    res = repeat_purchase(ev)
    row = res.table.iloc[0]
    assert (row.n, row.n_repeat, row.repeat_purchase) == (2, 1, 0.5)
    assert sorted(res.gaps["gap_days"]) == [10, 20]
    assert row.median_gap_days == 15
    shop = repeat_purchase(jk.load_webshop(), by=jk.load_customers()[["customer_id", "persona"]])
    assert set(shop.table["persona"]) == {"price_conscious", "quality_seeker"}
    assert shop.plot().get_ylabel() == "share of gaps (% per 3-day bin)"


# --------------------------------------------------------------------------- warnings, errors


def test_proportional_hazards_violation_warns(rng):
    # crossing hazards: Weibull shape 0.5 (early churn) vs shape 3 (late churn), same median
    n = 1500
    early = rng.weibull(0.5, n) * 100
    late = rng.weibull(3, n) * 100
    data = pd.DataFrame(
        {
            "duration": np.r_[early, late],
            "observed": True,
            "plan": np.repeat(["monthly", "yearly"], n),
        }
    )
    with pytest.warns(JourneyWarning, match="'plan=yearly'"):
        res = cox(data, covariates=["plan"])
    assert res.table["p_value_ph"].iloc[0] < 0.05
    assert "proportional-hazards check fails for plan=yearly" in res.conclusion


@pytest.mark.parametrize(
    "frame, kwargs, match",
    [
        (pd.DataFrame({"duration": [-1, 2], "observed": [True, False]}), {}, "negative"),
        (pd.DataFrame({"duration": [1, 2], "observed": ["yes", "no"]}), {}, "True"),
        (pd.DataFrame({"duration": [1, 2], "observed": [True, False]}), {"by": "x"}, "missing"),
        (pd.DataFrame({"duration": [1, None], "observed": [True, False]}), {}, "missing"),
    ],
)
def test_bad_durations(frame, kwargs, match):
    with pytest.raises(JourneyDataError, match=match):
        retention_curve(frame, **kwargs)


def _with_missing_groups():
    return pd.DataFrame(
        {
            "duration": [5, 8, 8, 12, 20, 3, 4, 9],
            "observed": [True, True, False, True, False, True, True, False],
            "g": ["a", "b", "a", None, "b", np.nan, "a", "b"],
            "t": ["u", "v", "u", "u", "v", "u", None, "v"],
        }
    )


def test_a_missing_group_is_left_out_of_the_curves():
    d = _with_missing_groups()
    before = d.copy()
    with pytest.warns(JourneyWarning, match=r"2 of 8 rows have no value in \['g'\]"):
        res = retention_curve(d, by="g")  # the log-rank test used to crash
    pd.testing.assert_frame_equal(d, before)
    assert res.table["g"].tolist() == ["a", "b"] and res.table["n"].tolist() == [3, 3]
    kept = d.dropna(subset=["g"])
    ref = multivariate_logrank_test(kept["duration"], kept["g"], kept["observed"])
    assert res.logrank["statistic"].iloc[0] == pytest.approx(ref.test_statistic)
    with pytest.warns(JourneyWarning, match="3 of 8 rows"):
        assert retention_curve(d, by=["g", "t"]).table["n"].sum() == 5
    with pytest.raises(JourneyDataError, match="every row has a missing value"):
        quiet(retention_curve, d.assign(g=None), by="g")


def test_cox_leaves_out_missing_covariates_instead_of_making_them_the_reference():
    rng = np.random.default_rng(3)
    n = 400
    plan = rng.choice(["monthly", "yearly"], n).astype(object)
    d = pd.DataFrame(
        {
            "duration": rng.exponential(np.where(plan == "yearly", 200, 100)),
            "observed": rng.random(n) < 0.8,
            "plan": plan,
        }
    )
    d.loc[:59, "plan"] = None  # used to be counted as 'monthly', the reference level
    with pytest.warns(JourneyWarning, match="cox: 60 of 400 rows"):
        res = cox(d, covariates=["plan"])
    ref = cox(d.dropna(), covariates=["plan"])
    assert res.n == 340
    pd.testing.assert_frame_equal(res.table, ref.table)


def test_cox_explains_models_it_cannot_fit():
    rng = np.random.default_rng(1)
    x = rng.normal(size=200)
    d = pd.DataFrame(
        {"duration": rng.exponential(10, 200), "observed": rng.random(200) < 0.7, "x": x}
    )
    for frame, kwargs, match in [
        (d.assign(c=1.0), {"covariates": ["c"]}, r"\['c'\] have the same value"),
        (d.assign(c="z"), {"covariates": ["c"]}, r"\['c'\] have the same value"),
        (d.assign(observed=False), {"covariates": ["x"]}, "no row has an observed end"),
        (d.assign(y=2 * x), {"covariates": ["x", "y"]}, "did not converge"),
        (d.assign(x=np.nan), {"covariates": ["x"]}, "every row has a missing value"),
        (d, {"covariates": ["x"], "level": "0.9"}, "level='0.9'"),
        (d, {"covariates": 5}, "covariates=5: expected a column name"),
        (d, {"covariates": ["x"], "strata": ["region"]}, "strata: no column 'region'"),
    ]:
        with pytest.raises(JourneyDataError, match=match):
            quiet(cox, frame, **kwargs)


@pytest.mark.parametrize(
    "observed, match",
    [
        (pd.array([True, None, False], dtype="boolean"), "1 rows have no value"),
        (pd.array([1, None, 0], dtype="Int64"), "1 rows have no value"),
        ([1, 2, 0], "expected True"),
    ],
)
def test_observed_must_be_known(observed, match):
    with pytest.raises(JourneyDataError, match=match):
        retention_curve(pd.DataFrame({"duration": [1.0, 2.0, 3.0], "observed": observed}))


def test_log_rank_without_information_is_missing_not_a_crash():
    # a: censored before the only churn; c: never churns. The solve used to raise
    # LinAlgError ("Singular matrix"); the pairs without information now have no p-value
    # and do not count in the Holm adjustment.
    d = pd.DataFrame(
        {
            "duration": [1.0, 2, 3, 4, 5, 6],
            "observed": [False, False, True, False, False, False],
            "g": list("aabbcc"),
        }
    )
    res = quiet(retention_curve, d, by="g")
    pairs = res.pairwise.set_index(["g_a", "g_b"])
    assert pairs["p_value"].isna().tolist() == [True, True, False]
    assert pairs.loc[("b", "c"), "p_adjusted"] == pairs.loc[("b", "c"), "p_value"]
    assert "a: more than half are still active" in res.conclusion  # not "after inf days"


def test_awkward_curve_input():
    d = pd.DataFrame({"duration": [5, 8, 12], "observed": [1.0, 0.0, 1.0]})
    assert retention_curve(d).table["n_churned"].iloc[0] == 2  # 1.0/0.0 flags are fine
    for kwargs, match in [
        ({"horizons": (-5, 10)}, "horizons=\\(-5, 10\\)"),  # -5 read the last value
        ({"horizons": "30D"}, "horizons='30D'"),
        ({"level": "0.9"}, "level='0.9'"),
    ]:
        with pytest.raises(JourneyDataError, match=match):
            retention_curve(d, **kwargs)
    assert retention_curve(d, horizons=30).horizons["horizon_days"].tolist() == [30]
    with pytest.raises(JourneyDataError, match="2 durations are infinite"):
        retention_curve(d.assign(duration=[1, np.inf, np.inf]))


def _shop_log():
    return make_events(
        [
            ("a", "2024-01-01 00:00", "visit"),
            ("a", "2024-02-01 00:00", "purchase", 5.0),
            ("b", "2024-03-01 00:00", "purchase", 3.0),
            ("b", "2024-03-05 00:00", "purchase", 3.0),
            ("c", "2024-03-01 00:00", "subscribe"),
            ("c", "2024-03-20 00:00", "cancel"),
        ]
    )


def test_durations_as_of_outside_the_data():
    ev = _shop_log()
    with pytest.raises(JourneyDataError, match="as_of=2020-01-01.*2024-01-01 to 2024-03-20"):
        durations(ev, as_of="2020-01-01")  # used to return an empty frame
    with pytest.warns(JourneyWarning, match="as_of=2030-01-01 is .* days after the last event"):
        out = durations(ev, as_of="2030-01-01")
    assert out["observed"].all()  # the reason for the warning: everyone looks churned
    with pytest.raises(JourneyDataError, match="as_of=123"):
        durations(ev, as_of=123)
    with pytest.raises(JourneyDataError, match="events: no events"):
        durations(ev.iloc[:0])


def test_durations_event_parameters_take_lists_and_are_checked():
    ev = _shop_log()
    out = durations(ev, as_of="2024-06-01", start_event=["purchase", "subscribe"])
    assert out["customer_id"].tolist() == ["a", "b", "c"]  # a list used to crash in Ibis
    ended = durations(ev, as_of="2024-06-01", end_event=["cancel"], start_event="subscribe")
    assert ended["observed"].tolist() == [True] and ended["duration"].tolist() == [19]
    assert len(durations(ev, as_of="2024-06-01", activity=["visit", "purchase"])) == 2
    for param in ("start_event", "end_event", "activity"):
        with pytest.raises(JourneyDataError, match=f"{param}='cancell'.*Did you mean 'cancel'"):
            durations(ev, **{param: "cancell"})
        with pytest.raises(JourneyDataError, match=f"{param}=\\[\\]"):
            durations(ev, **{param: []})


def test_durations_and_repeat_purchase_leave_out_customers_without_a_group():
    ev = _shop_log()
    attrs = pd.DataFrame({"customer_id": ["a", "b"], "persona": ["p", None]})
    with pytest.warns(JourneyWarning, match="left out"):
        out = durations(ev, as_of="2024-06-01", by=attrs)
    assert out["customer_id"].tolist() == ["a"] and out["persona"].notna().all()
    with pytest.warns(JourneyWarning, match="left out"):
        table = repeat_purchase(ev, by=attrs).table
    assert table["persona"].tolist() == ["p"]  # the NaN group used to be reported


def test_repeat_purchase_takes_lists_and_checks_names():
    ev = _shop_log()
    listed = repeat_purchase(ev, purchase=["purchase", "subscribe"]).table.iloc[0]
    assert (listed.n, listed.n_repeat) == (3, 1)  # a list used to crash in Ibis
    with pytest.raises(JourneyDataError, match="purchase='purchse'.*Did you mean 'purchase'"):
        repeat_purchase(ev, purchase="purchse")


def test_group_without_churn_warns():
    d = pd.DataFrame(
        {"duration": [1, 2, 3, 4], "observed": [True, True, False, False], "g": list("aabb")}
    )
    with pytest.warns(JourneyWarning, match="'b' has no observed churn"):
        retention_curve(d, by="g")


def test_bad_cox_and_durations_input():
    with pytest.raises(JourneyDataError, match="no column 'agee'.*'age'"):
        cox(lung(), covariates=["agee"])
    ev = make_events([("a", "2024-01-01 00:00", "visit"), ("a", "2024-02-01 00:00", "visit")])
    with pytest.raises(JourneyDataError, match="end_event='cancel'"):
        durations(ev, end_event="cancel")
    ev = make_events([("a", "2024-03-01 00:00", "cancel"), ("a", "2024-04-01 00:00", "subscribe")])
    with pytest.raises(JourneyDataError, match="no customer has it after their start"):
        durations(ev, end_event="cancel", start_event="subscribe")
    with pytest.raises(JourneyDataError, match="churn_after"):
        durations(ev, churn_after="-3D")
    with pytest.raises(JourneyDataError, match="freq"):
        cohort_retention(ev, freq="H")


def test_results_read_and_plot():
    res = retention_curve(lung().assign(sex=lambda d: d["sex"].map({1: "m", 2: "f"})), by="sex")
    assert "half have churned after" in res.conclusion and "log-rank" in res.conclusion
    ax = res.plot()
    assert ax.get_ylabel() == "share still active (%)"
    assert ax.get_xlabel() == "days since the customer's start"
    assert ax.get_title() == "Retention (Kaplan-Meier) with 95% intervals"
    assert "<h4>Retention (Kaplan-Meier)</h4>" in res._repr_html_()
    assert cox(lung(), covariates=["age", "sex"]).plot().get_xscale() == "log"


def test_retention_explorer_updates():
    customers = jk.load_customers()[["customer_id", "persona"]]
    box = jk.widgets.retention_explorer(
        jk.load_webshop(), attributes=customers, start_event="purchase"
    )
    box.controls["by"].value = "persona"
    box.controls["horizon"].value = 182
    box.controls["churn_days"].value = 63
    expected = retention_curve(
        durations(jk.load_webshop(), churn_after="63D", start_event="purchase", by=customers),
        by="persona",
        horizons=(182,),
    )
    pd.testing.assert_frame_equal(box.result.horizons, expected.horizons)
    print(f"retention_explorer update times (s): {[round(s, 3) for s in box.seconds]}")


def test_cohort_explorer_updates_with_the_tested_function():
    shop = jk.load_webshop()
    box = jk.widgets.cohort_explorer(shop, start_event="purchase", freq="W")
    assert box.result.start_event == ("purchase",) and box.result.freq == "W"
    for name, value in (
        ("return_event", "product_view"),
        ("mode", "unbounded"),
        ("calendar", False),
        ("freq", "M"),
        ("by", "channel"),
    ):
        box.controls[name].value = value
    expected = cohort_retention(
        shop,
        start_event="purchase",
        return_event="product_view",
        mode="unbounded",
        calendar=False,
        freq="M",
        by="channel",
    )
    pd.testing.assert_frame_equal(box.result.table, expected.table)
    assert len(box.seconds) == 6  # the first draw and one per change
    with pytest.raises(JourneyDataError, match="start_event='visit'"):
        jk.widgets.cohort_explorer(shop, start_event="visit")


# --------------------------------------------------------------------------- issue 17


def test_conclusion_without_groups_and_with_one_group():
    # both used to raise TypeError (a Series' .median method; logrank None subscripted)
    d = pd.DataFrame({"duration": [5, 8, 8, 12, 20], "observed": [1, 1, 0, 1, 0]})
    assert (
        retention_curve(d).conclusion
        == "Half have churned after 12 days (95% interval 5 days to beyond the end of the data)."
    )
    with pytest.warns(JourneyWarning, match="single group"):
        one = retention_curve(d.assign(g="x"), by="g")
    assert one.logrank is None and one.conclusion.startswith("x: half have churned after 12")
    assert "nothing to compare" in one.conclusion


def test_log_rank_is_a_frame_and_by_columns_stay_columns():
    data = _true_lifetimes()
    res = retention_curve(data, by=["persona", "segment"])
    assert isinstance(res.logrank, pd.DataFrame)
    assert list(res.logrank.columns) == ["statistic", "dof", "p_value"]
    groups = data.groupby(["persona", "segment"]).ngroups
    assert res.logrank["dof"].iloc[0] == groups - 1
    ref = multivariate_logrank_test(
        data["duration"], data["persona"] + "/" + data["segment"], data["observed"]
    )
    assert res.logrank["statistic"].iloc[0] == pytest.approx(ref.test_statistic)
    for frame in (res.table, res.horizons, res.curves):
        assert list(frame.columns[:2]) == ["persona", "segment"]
        assert set(frame["segment"]) == {"B2B", "B2C"}
    assert list(res.pairwise.columns[:4]) == ["persona_a", "segment_a", "persona_b", "segment_b"]
    assert len(res.pairwise) == groups * (groups - 1) // 2
    assert "pairs of groups differ" in res.conclusion


def test_repeat_purchase_counts_purchase_days_not_rows():
    # three orders on one day and one on the next: one repeat purchase day, gap 1 day; the
    # old rule counted the same-day orders as repeats with gaps of 0 days
    ev = make_events(
        [
            ("a", "2024-01-01 09:00", "purchase", 5.0),
            ("a", "2024-01-01 12:00", "purchase", 5.0),
            ("a", "2024-01-01 18:00", "purchase", 5.0),
            ("a", "2024-01-02 08:00", "purchase", 5.0),
            ("b", "2024-01-03 10:00", "purchase", 5.0),
            ("b", "2024-01-03 11:00", "purchase", 5.0),  # same day: b is no repeat buyer
        ]
    )
    res = repeat_purchase(ev)
    row = res.table.iloc[0]
    assert (row.n, row.n_repeat, row.repeat_purchase) == (2, 1, 0.5)
    assert res.gaps["gap_days"].tolist() == [1.0]
    # the real CDNOW log has several transactions on one day: none of them is a gap
    cdnow = jk.load_cdnow()
    got = repeat_purchase(cdnow)
    days = cdnow.assign(day=cdnow["timestamp"].dt.floor("D"))[["customer_id", "day"]]
    days = days.drop_duplicates().sort_values(["customer_id", "day"])
    ref = days.groupby("customer_id")["day"].diff().dropna() / pd.Timedelta(days=1)
    assert (got.gaps["gap_days"] > 0).all()
    assert got.table["median_gap_days"].iloc[0] == ref.median()
    per = days.groupby("customer_id").size()
    assert got.table["n_repeat"].iloc[0] == (per >= 2).sum()


def test_cohorts_by_year_and_day_are_calendar_periods():
    ev = jk.load_cdnow()
    res = cohort_retention(ev, freq="Y")
    assert res.table["cohort"].dt.strftime("%Y-%m-%d").unique().tolist() == ["1997-01-01"]
    years = ev["timestamp"].dt.year.groupby(ev["customer_id"]).agg(["min", "max"])
    assert res.table.set_index("age").loc[1, "n"] == (years["max"] > 1997).sum()
    daily = cohort_retention(ev, freq="D")
    assert (
        daily.table["cohort"].nunique()
        == ev.groupby("customer_id")["timestamp"].min().dt.floor("D").nunique()
    )


def test_survival_plots_read_like_a_report():
    import matplotlib.pyplot as plt

    shop = jk.load_webshop()
    attrs = jk.load_customers()[["customer_id", "persona", "segment"]]
    repeat = repeat_purchase(shop, by=attrs)
    ax = repeat.plot()
    assert len(ax.get_legend().get_texts()) == len(repeat.table)  # no group dropped
    assert ax.get_title() and ax.get_xlabel().startswith("days between purchase days")
    cohorts = cohort_retention(shop, freq="W")
    fig, ax = plt.subplots()
    assert cohorts.plot(ax=ax) is ax
    assert len(ax.get_yticklabels()) <= 30 and len(ax.get_xticklabels()) <= 24
    assert ax.get_yticklabels()[0].get_text().startswith("20")  # e.g. 2023-W01
    assert "-W" in ax.get_yticklabels()[0].get_text()
    model = cox(lung(), covariates=["age", "sex"])
    assert model.plot().get_title() == "Cox model: hazard ratios with 95% intervals"
    assert "sex: x0.60" in model.conclusion


# --------------------------------------------------------------------------- issue 19


def test_cohorts_and_repeat_purchase_read_the_data_up_to_as_of():
    # templates pass one AS_OF to every section; cohort_retention and repeat_purchase used
    # to have no as_of, so they counted events after the date the durations describe
    ev = make_events(
        [
            ("a", "2024-01-05 00:00", "purchase", 10.0),
            ("a", "2024-02-05 00:00", "purchase", 30.0),
            ("a", "2024-03-05 00:00", "purchase", 30.0),
            ("b", "2024-01-10 00:00", "purchase", 10.0),
            ("b", "2024-03-10 00:00", "purchase", 10.0),
            ("c", "2024-03-01 00:00", "purchase", 5.0),
        ]
    )
    cut = cohort_retention(ev, as_of="2024-02-29")
    ref = cohort_retention(ev[ev["timestamp"] <= pd.Timestamp("2024-02-29", tz="UTC")])
    pd.testing.assert_frame_equal(cut.table, ref.table)
    assert cut.average["retention"].tolist() == [1.0, 0.5]
    pd.testing.assert_frame_equal(
        cohort_retention(ev, as_of="2030-01-01").table, cohort_retention(ev).table
    )
    row = repeat_purchase(ev, as_of="2024-02-29").table.iloc[0]
    assert (row.n, row.n_repeat) == (2, 1)
    assert repeat_purchase(ev).table["n_repeat"].iloc[0] == 2
    for func in (cohort_retention, repeat_purchase):
        with pytest.raises(JourneyDataError, match="as_of=2020-01-01.*before the first event"):
            func(ev, as_of="2020-01-01")
        with pytest.raises(JourneyDataError, match="as_of=123"):
            func(ev, as_of=123)


def test_log_rank_leaves_out_customers_without_attributes():
    # a template joins an attributes file that does not list every customer: those
    # customers are left out (never a NaN group), and the log-rank test does not crash
    ev = _shop_log()
    attrs = pd.DataFrame({"customer_id": ["a", "b"], "tier": ["free", "plus"]})
    with pytest.warns(JourneyWarning, match="1 of 3 customers are not in the by frame"):
        d = durations(ev, as_of="2024-03-20", churn_after="30D", by=attrs)
    assert d["customer_id"].tolist() == ["a", "b"] and d["tier"].notna().all()
    res = quiet(retention_curve, d, by="tier")
    assert res.table["tier"].tolist() == ["free", "plus"]
    assert len(res.logrank) == 1 and "tier" not in res.logrank.columns
    assert "free:" in res.conclusion and "nan" not in res.conclusion.lower()
