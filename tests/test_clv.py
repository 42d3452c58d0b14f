"""CLV: the published CDNOW parameters, lifetimes on the full CDNOW log, parameter recovery
and a Monte Carlo of the model on simulated data, the holdout check, segments, bad input."""

import warnings

import numpy as np
import pandas as pd
import pytest

import journeykit as jk
from journeykit import JourneyDataError, JourneyWarning
from journeykit.clv import (
    BGNBD,
    clv_by,
    clv_holdout,
    clv_summary,
    fit_bgnbd,
    fit_gamma_gamma,
    predict_clv,
)

lifetimes = pytest.importorskip("lifetimes")
pytest.importorskip("lifetimes.datasets")
pytest.importorskip("lifetimes.utils")


def quiet(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", JourneyWarning)
        return func(*args, **kwargs)


def simulate_bgnbd(n, r, alpha, a, b, T, rng, horizon=0.0):
    """Continuous-time BG/NBD histories: (x, t_x) in (0, T] and the purchases in
    (T, T + horizon]. A customer buys at rate lambda ~ gamma(r, rate alpha) and drops out
    after each repeat purchase with probability p ~ beta(a, b)."""
    lam = rng.gamma(r, 1 / alpha, n)
    p = rng.beta(a, b, n)
    now = np.zeros(n)
    alive = np.ones(n, bool)
    x, tx, future = np.zeros(n), np.zeros(n), np.zeros(n)
    while alive.any():
        idx = np.flatnonzero(alive)
        now[idx] += rng.exponential(1 / lam[idx])
        past_end = now[idx] > T + horizon
        alive[idx[past_end]] = False
        idx = idx[~past_end]
        in_cal = now[idx] <= T
        x[idx[in_cal]] += 1
        tx[idx[in_cal]] = now[idx[in_cal]]
        future[idx[~in_cal]] += 1
        drop = rng.random(len(idx)) < p[idx]
        alive[idx[drop]] = False
    return pd.DataFrame(
        {"frequency": x.astype(int), "recency": tx, "T": float(T), "future": future}
    )


@pytest.fixture(scope="module")
def cdnow():
    return jk.load_cdnow()


@pytest.fixture(scope="module")
def cdnow_summary(cdnow):
    return clv_summary(cdnow)


def transactions(events):
    return events.assign(date=events["timestamp"].dt.tz_localize(None))[
        ["customer_id", "date", "revenue"]
    ]


# --------------------------------------------------------------------------- the paper


def test_bgnbd_on_lifetimes_cdnow_summary_equals_the_paper():
    data = lifetimes.datasets.load_cdnow_summary()
    model = fit_bgnbd(data, freq="W")
    assert model.converged
    est = model.params
    for name, published in {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}.items():
        assert round(est[name], 3) == published
    assert model.log_likelihood == pytest.approx(-9582.4, abs=0.05)  # the paper's LL


def test_gamma_gamma_on_lifetimes_cdnow_repeat_buyers_equals_the_paper():
    data = lifetimes.datasets.load_cdnow_summary_data_with_monetary_value()
    model = fit_gamma_gamma(data[data["frequency"] > 0])
    est = model.params
    assert round(est["p"], 2) == 6.25
    assert round(est["q"], 2) == 3.74
    # published 15.44; lifetimes' copy of the data has spend rounded to cents: 15.4477
    assert est["v"] == pytest.approx(15.44, abs=0.01)
    assert abs(model.correlation) < 0.3  # the paper's independence check (r = 0.11)


# --------------------------------------------------------------------------- lifetimes


def test_summary_equals_customer_summary_and_lifetimes(cdnow, cdnow_summary):
    cs = jk.customer_summary(cdnow)
    cs = cs[cs["n_orders"] > 0].reset_index(drop=True)
    pd.testing.assert_frame_equal(
        cdnow_summary[["customer_id", "frequency", "recency", "T"]],
        cs[["customer_id", "frequency", "recency", "T"]],
    )
    ref = lifetimes.utils.summary_data_from_transaction_data(
        transactions(cdnow), "customer_id", "date", monetary_value_col="revenue"
    ).sort_index()
    ours = cdnow_summary.set_index("customer_id").sort_index()
    for column in ("frequency", "recency", "T", "monetary_value"):
        np.testing.assert_allclose(ours[column], ref[column], rtol=1e-12, atol=1e-9)


def test_holdout_summary_equals_lifetimes(cdnow):
    ours = clv_summary(cdnow, calibration_end="1997-09-30").set_index("customer_id")
    ref = lifetimes.utils.calibration_and_holdout_data(
        transactions(cdnow),
        "customer_id",
        "date",
        calibration_period_end="1997-09-30",
        monetary_value_col="revenue",
    )
    ours = ours.loc[ref.index]
    pairs = {"frequency_cal": "frequency", "recency_cal": "recency", "T_cal": "T"}
    pairs |= {"monetary_value_cal": "monetary_value", "frequency_holdout": "frequency_holdout"}
    pairs |= {"duration_holdout": "duration_holdout"}
    for theirs, mine in pairs.items():
        np.testing.assert_allclose(ours[mine], ref[theirs], atol=1e-9, err_msg=mine)
    # monetary_value_holdout: ours is the mean per purchase day like the calibration's
    # (lifetimes averages single transactions there); against pandas:
    ev = cdnow[cdnow["timestamp"] > pd.Timestamp("1997-09-30", tz="UTC")]
    days = ev.groupby(["customer_id", ev["timestamp"].dt.date])["revenue"].sum()
    expected = days.groupby("customer_id").mean().reindex(ours.index, fill_value=0.0)
    np.testing.assert_allclose(ours["monetary_value_holdout"], expected, atol=1e-9)


def test_fits_and_predictions_equal_lifetimes_on_full_cdnow(cdnow_summary):
    s = cdnow_summary
    x, tx, T = s["frequency"].to_numpy(), s["recency"].to_numpy(), s["T"].to_numpy()
    bg = fit_bgnbd(s)
    ref = lifetimes.BetaGeoFitter().fit(x, tx, T)
    for name in ("r", "alpha", "a", "b"):
        assert bg.params[name] == pytest.approx(ref.params_[name], rel=1e-4)
    repeat = s[(s["frequency"] > 0) & (s["monetary_value"] > 0)]
    gg = fit_gamma_gamma(repeat)
    ref_gg = lifetimes.GammaGammaFitter().fit(
        repeat["frequency"].to_numpy(), repeat["monetary_value"].to_numpy()
    )
    for name in ("p", "q", "v"):
        assert gg.params[name] == pytest.approx(ref_gg.params_[name], rel=1e-4)
    # per customer, with the same parameters: lifetimes' formulas to 1e-6
    ref.params_ = pd.Series(bg.params)
    ref_gg.params_ = pd.Series(gg.params)
    np.testing.assert_allclose(
        bg.expected_purchases(90, s),
        ref.conditional_expected_number_of_purchases_up_to_time(90, x, tx, T),
        rtol=1e-6,
    )
    np.testing.assert_allclose(
        bg.p_alive(s), ref.conditional_probability_alive(x, tx, T), rtol=1e-6
    )
    clv = predict_clv(s, bg, gg, horizon=12, discount_rate=0.01)
    ref_clv = ref_gg.customer_lifetime_value(
        ref,
        s["frequency"],
        s["recency"],
        s["T"],
        s["monetary_value"],
        time=12,
        discount_rate=0.01,
        freq="D",
    )
    np.testing.assert_allclose(clv["clv"], ref_clv, rtol=1e-6)
    np.testing.assert_allclose(
        clv["expected_spend"],
        ref_gg.conditional_expected_average_profit(s["frequency"], s["monetary_value"]),
        rtol=1e-6,
    )
    probs = bg.p_purchases([0, 1, 2, 5], 90)
    theirs = [ref.probability_of_n_purchases_up_to_time(90, k) for k in (0, 1, 2, 5)]
    np.testing.assert_allclose(probs, theirs, rtol=1e-6)
    np.testing.assert_allclose(
        bg.expected_new([30.0, 365.0]),
        ref.expected_number_of_purchases_up_to_time(np.array([30.0, 365.0])),
        rtol=1e-6,
    )


def test_penalty_equals_lifetimes_penalizer(cdnow_summary):
    s = cdnow_summary
    bg = fit_bgnbd(s, penalty=0.01)
    ref = lifetimes.BetaGeoFitter(penalizer_coef=0.01).fit(
        s["frequency"].to_numpy(), s["recency"].to_numpy(), s["T"].to_numpy()
    )
    for name in ("r", "alpha", "a", "b"):
        assert bg.params[name] == pytest.approx(ref.params_[name], rel=1e-4)
    plain = fit_bgnbd(s)
    assert bg.params["b"] < plain.params["b"]  # shrunk towards 0


def test_standard_errors_equal_lifetimes():
    data = lifetimes.datasets.load_cdnow_summary()
    model = fit_bgnbd(data, freq="W")
    ref = lifetimes.BetaGeoFitter().fit(
        data["frequency"].to_numpy(), data["recency"].to_numpy(), data["T"].to_numpy()
    )
    np.testing.assert_allclose(model.table["se"], ref.summary["se(coef)"], rtol=1e-3)


# --------------------------------------------------------------------------- simulation


def test_simulation_recovers_parameters_within_standard_errors():
    truth = {"r": 0.5, "alpha": 10.0, "a": 0.8, "b": 2.5}
    sim = simulate_bgnbd(20_000, *truth.values(), T=100.0, rng=np.random.default_rng(7))
    model = fit_bgnbd(sim)
    assert model.converged
    t = model.table.set_index("parameter")
    for name, value in truth.items():
        assert abs(t.loc[name, "estimate"] - value) < 2.5 * t.loc[name, "se"], name
        assert t.loc[name, "estimate_ci_low"] < t.loc[name, "estimate"]


def test_conditional_expectation_matches_monte_carlo_of_the_model():
    theta = (0.6, 8.0, 0.9, 3.0)
    sim = simulate_bgnbd(60_000, *theta, T=60.0, rng=np.random.default_rng(11), horizon=40.0)
    model = fit_bgnbd(sim[["frequency", "recency", "T"]])
    fixed = BGNBD(
        model.table.assign(estimate=list(theta)),
        model.covariance,
        model.data,
        model.log_likelihood,
        True,
        "converged",
        0.0,
        "D",
        0.95,
    )
    sim["expected"] = fixed.expected_purchases(40.0, sim).to_numpy()
    sim["bin"] = np.minimum(sim["frequency"], 5)
    by = sim.groupby("bin")[["future", "expected"]].agg(["mean", "sem"])
    for _, row in by.iterrows():  # E[E[Y | history]] = E[Y] per frequency
        se = row[("future", "sem")]
        assert abs(row[("future", "mean")] - row[("expected", "mean")]) < 4 * se + 1e-3
    # unconditional: E[X(t)] against the simulated repeat purchases in (0, T]
    assert sim["frequency"].mean() == pytest.approx(fixed.expected_new(60.0).item(), rel=0.03)


# --------------------------------------------------------------------------- holdout, by


def test_holdout_check_and_tracking(cdnow):
    res = clv_holdout(cdnow, calibration_end="1997-09-30", freq="W")
    assert list(res.table.columns) == ["frequency", "n", "actual", "expected"]
    assert res.table["n"].sum() == len(res.summary_data)
    tot = res.totals
    assert tot["expected"] == pytest.approx(tot["actual"], rel=0.1)  # weekly CDNOW fits
    # the tracking curve ends at every repeat purchase week of the calibration customers
    s = res.summary_data
    assert (
        res.tracking["actual_cumulative"].iloc[-1]
        == s["frequency"].sum() + s["frequency_holdout"].sum()
    )
    assert res.tracking["expected_cumulative"].is_monotonic_increasing
    assert res.plot() is not None and res.plot_tracking() is not None
    assert "holdout" in res.conclusion
    assert "<table" in res._repr_html_()


def test_clv_by_segment_with_bootstrap_intervals(cdnow):
    s = clv_summary(cdnow, calibration_end="1997-09-30")
    bg, gg = fit_bgnbd(s), quiet(fit_gamma_gamma, s)
    segments = quiet(jk.rfm, cdnow, as_of="1997-09-30").customers[["customer_id", "segment"]]
    res = quiet(clv_by, s, bg, gg, by=segments, n_boot=50, seed=1)
    t = res.table
    assert t["n"].sum() == len(s)
    assert (t["clv_ci_low"] <= t["clv"]).all() and (t["clv"] <= t["clv_ci_high"]).all()
    assert t["clv_share"].sum() == pytest.approx(1.0)
    total = predict_clv(s, bg, gg)["clv"].sum()
    assert t["clv_total"].sum() == pytest.approx(total)
    again = quiet(clv_by, s, bg, gg, by=segments, n_boot=50, seed=1)
    pd.testing.assert_frame_equal(t, again.table)  # same seed, same result
    assert res.plot() is not None and "worth" in res.conclusion


def test_summary_by_acquisition_channel():
    ev = jk.load_webshop()
    s = clv_summary(ev, by="channel", calibration_end="2024-06-30")
    assert "channel" in s.columns and s["channel"].notna().all()
    bg, gg = fit_bgnbd(s), quiet(fit_gamma_gamma, s)
    res = clv_by(s, bg, gg, by="channel", n_boot=20)
    assert set(res.table["channel"]) == set(s["channel"])


def test_results_read_well(cdnow_summary):
    bg = fit_bgnbd(cdnow_summary)
    gg = quiet(fit_gamma_gamma, cdnow_summary)
    for res in (bg, gg):
        assert "estimate" in res.summary.columns
        assert res.conclusion and "<table" in res._repr_html_()
        assert res.plot() is not None
    freq = bg.frequencies()
    assert freq["n"].sum() == len(cdnow_summary)
    assert freq["expected"].sum() == pytest.approx(len(cdnow_summary))


# --------------------------------------------------------------------------- bad input


def test_customers_without_purchases_are_left_out_with_a_warning(cdnow):
    summary = jk.customer_summary(cdnow)
    summary = pd.concat([summary, summary.iloc[:3].assign(recency=np.nan, T=np.nan)])
    with pytest.warns(JourneyWarning, match="3 of .* customers have no"):
        fit_bgnbd(summary)


def test_no_repeat_purchases_raise():
    summary = pd.DataFrame({"frequency": [0, 0], "recency": [0.0, 0.0], "T": [5.0, 9.0]})
    with pytest.raises(JourneyDataError, match="none of the 2 customers made a repeat"):
        fit_bgnbd(summary)


def test_impossible_histories_raise():
    summary = pd.DataFrame({"frequency": [1, 2], "recency": [9.0, 3.0], "T": [5.0, 9.0]})
    with pytest.raises(JourneyDataError, match="recency <= T"):
        fit_bgnbd(summary)
    with pytest.raises(JourneyDataError, match="missing column"):
        fit_bgnbd(summary.drop(columns="T"))
    with pytest.raises(JourneyDataError, match="penalty=-1"):
        fit_bgnbd(summary, penalty=-1)


def test_negative_and_zero_spend(cdnow_summary):
    s = cdnow_summary.copy()
    repeat = s.index[s["frequency"] > 0]
    s.loc[repeat[:2], "monetary_value"] = -5.0
    with pytest.raises(JourneyDataError, match="2 repeat buyers have a negative"):
        fit_gamma_gamma(s)
    s.loc[repeat[:2], "monetary_value"] = 0.0
    with pytest.warns(JourneyWarning, match="monetary_value of 0"):
        fit_gamma_gamma(s)
    with pytest.raises(JourneyDataError, match="revenue"):
        fit_gamma_gamma(s.assign(monetary_value=np.nan))


def test_calibration_end_outside_the_data(cdnow):
    for date in ("1996-06-30", "1998-06-30", "1999-01-01"):
        with pytest.raises(JourneyDataError, match="calibration_end=.*outside the data"):
            quiet(clv_summary, cdnow, calibration_end=date)
    with pytest.raises(JourneyDataError, match="freq='H'"):
        clv_summary(cdnow, freq="H")
    with pytest.raises(JourneyDataError, match="expected a date"):
        clv_summary(cdnow, calibration_end=19970930)


def test_a_model_that_does_not_converge_warns():
    # everyone buys every period until the end: no drop-out to see, b runs off to infinity
    summary = pd.DataFrame({"frequency": [10] * 50, "recency": [10.0] * 50, "T": [10.0] * 50})
    with pytest.warns(JourneyWarning, match="did not converge"):
        model = fit_bgnbd(summary)
    assert not model.converged
    assert "do not use" in model.conclusion


def test_gamma_gamma_independence_warning(rng):
    x = rng.integers(1, 20, 500)
    m = 10 + 5 * x + rng.gamma(2, 2, 500)  # spend rises with frequency
    with pytest.warns(JourneyWarning, match="correlated"):
        fit_gamma_gamma(pd.DataFrame({"frequency": x, "monetary_value": m}))


def test_bad_clv_arguments(cdnow_summary):
    bg = fit_bgnbd(cdnow_summary)
    gg = quiet(fit_gamma_gamma, cdnow_summary)
    with pytest.raises(JourneyDataError, match="horizon=0"):
        predict_clv(cdnow_summary, bg, gg, horizon=0)
    with pytest.raises(JourneyDataError, match="discount_rate=1.5"):
        predict_clv(cdnow_summary, bg, gg, discount_rate=1.5)
    with pytest.raises(JourneyDataError, match="gamma_gamma: expected a fitted"):
        predict_clv(cdnow_summary, bg, bg)
    with pytest.raises(JourneyDataError, match="no column 'persona'"):
        clv_by(cdnow_summary, bg, gg, by="persona")
    with pytest.raises(JourneyDataError, match="calibration_end=None"):
        clv_holdout(jk.load_cdnow(), calibration_end=None)


def test_compress_is_exact_and_weighted(rng):
    from journeykit.clv import _compress

    x = rng.integers(0, 5, 2000).astype(float)
    T = rng.integers(10, 14, 2000) + 0.5
    (xu, Tu), w, inverse = _compress(x, T)
    np.testing.assert_array_equal(xu[inverse], x)
    np.testing.assert_array_equal(Tu[inverse], T)
    assert w.sum() == 2000 and len(xu) == len(set(zip(x, T)))
    np.testing.assert_array_equal(w, np.bincount(inverse))


def test_analytic_hessians_equal_differences_of_the_gradient(rng):
    from journeykit import clv

    x = rng.integers(0, 10, 300).astype(float)
    T = rng.uniform(20, 40, 300)
    tx = np.where(x > 0, rng.uniform(0, 1, 300) * T, 0.0)
    w = rng.integers(1, 5, 300).astype(float)
    cases = [
        (clv.bgnbd_log_likelihood, clv._bgnbd_hessian, (x, tx, T), [0.3, 4.0, 0.8, 2.5]),
        (
            clv.gamma_gamma_log_likelihood,
            clv._gamma_gamma_hessian,
            (x + 1, rng.gamma(5, 3, 300)),
            [6.0, 3.7, 15.0],
        ),
    ]
    for loglik, hessian, data, theta in cases:
        levels = clv._levels(data[0])
        theta = np.array(theta)

        def grad(t, loglik=loglik, data=data, levels=levels):
            return loglik(t, *data, levels)[1] @ w

        h = 1e-6
        numeric = np.column_stack(
            [(grad(theta + e) - grad(theta - e)) / (2 * h) for e in np.eye(len(theta)) * h]
        )
        analytic = hessian(theta, *data, levels, w)
        np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-6 * abs(numeric).max())


def test_large_fits_start_from_a_sample_and_equal_lifetimes(rng):
    # more customers than WARM_CUSTOMERS * 4: the warm start path
    from journeykit import clv

    summary = simulate_bgnbd(30_000, 0.25, 30.0, 0.8, 2.5, 546.0, rng)
    summary["T"] = summary["T"] - rng.integers(0, 90, len(summary))
    summary["recency"] = np.minimum(summary["recency"], summary["T"]).where(
        summary["frequency"] > 0, 0.0
    )
    old = clv.WARM_CUSTOMERS
    clv.WARM_CUSTOMERS = min(old, len(summary) // 5)
    try:
        model = fit_bgnbd(summary)
    finally:
        clv.WARM_CUSTOMERS = old
    ref = lifetimes.BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
    for name in ("r", "alpha", "a", "b"):
        assert model.params[name] == pytest.approx(ref.params_[name], rel=1e-4)


def test_clv_explorer_fits_once_and_caches_per_segment():
    box = jk.widgets.clv_explorer(
        jk.load_webshop(), attributes=jk.load_customers(), horizon=6, by="persona"
    )
    first = box.result
    assert box.controls["horizon"].value == 6 and first.by == ("persona",)
    box.controls["horizon"].value = 7
    assert box.result.horizon == 7
    box.controls["horizon"].value = 6
    assert box.result is first  # cached
    box.controls["by"].value = "channel"
    assert box.result.by == ("channel",)
    box.controls["by"].value = jk.widgets.NOTHING
    assert len(box.result.table) == 1
    with pytest.raises(JourneyDataError, match="no revenue"):
        jk.widgets.clv_explorer(jk.load_webshop().drop(columns="revenue"))
