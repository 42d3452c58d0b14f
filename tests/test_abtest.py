"""A/B tests: R reference values, independent re-computations, calibration by simulation,
the simulated experiment's true lift, and bad input."""

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.special import betaln

import journeykit as jk
from journeykit import JourneyDataError, JourneyWarning
from journeykit.abtest import ab_test, adjust_p, experiment_units, srm_test
from journeykit.bayes import bayes_ab
from journeykit.design import mde, plan, power, sample_size
from journeykit.sequential import sequential_test

# R's datasets::sleep (Cushny & Peebles 1905), extra hours of sleep per drug group
SLEEP_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
SLEEP_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]
SLEEP = pd.DataFrame({"variant": ["1"] * 10 + ["2"] * 10, "extra": SLEEP_1 + SLEEP_2})


def conversions(successes, totals, names=None):
    """One row per unit with a 0/1 ``converted`` column from per-variant counts."""
    names = names or [f"v{i}" for i in range(len(successes))]
    return pd.DataFrame(
        {
            "variant": np.repeat(names, totals),
            "converted": np.concatenate(
                [np.r_[np.ones(s, int), np.zeros(n - s, int)] for s, n in zip(successes, totals)]
            ),
        }
    )


def quiet(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", JourneyWarning)
        return func(*args, **kwargs)


# --------------------------------------------------------------------------- R references


def test_power_and_sample_size_match_r():
    # R 4.x: power.prop.test(n = 50, p1 = .5, p2 = .75)$power = 0.7401659
    assert power(50, 0.25, baseline=0.5) == pytest.approx(0.7401659, abs=1e-7)
    # R: power.prop.test(p1 = .5, p2 = .75, power = .9)$n = 76.7069 (uniroot tolerance 1e-4)
    assert sample_size(0.25, baseline=0.5, power=0.9) == pytest.approx(76.7069, abs=2e-4)
    # R: power.t.test(n = 20, delta = 1)$power = 0.8689528
    assert power(20, 1, sd=1) == pytest.approx(0.8689528, abs=1e-7)
    # R: power.t.test(delta = 1, power = .9)$n = 22.02110
    assert sample_size(1, sd=1, power=0.9) == pytest.approx(22.02110, abs=2e-4)


def test_design_functions_are_consistent():
    n = sample_size(0.02, baseline=0.10, power=0.8, ratio=2)
    assert power(n, 0.02, baseline=0.10, ratio=2) == pytest.approx(0.8, abs=1e-9)
    assert mde(n, baseline=0.10, power=0.8, ratio=2) == pytest.approx(0.02, rel=1e-6)
    # relative effects are baseline * effect; one-sided tests need fewer units
    assert sample_size(0.2, baseline=0.1, relative=True) == pytest.approx(
        sample_size(0.02, baseline=0.1)
    )
    assert sample_size(0.02, baseline=0.1, alternative="larger") < sample_size(0.02, baseline=0.1)
    curve = power(np.array([100, 1000, 10000]), 0.02, baseline=0.1)
    assert np.all(np.diff(curve) > 0)
    # unequal allocation, by hand: Var = p1 q1 / n + p2 q2 / (k n) under H1, pooled under H0
    p1, p2, k, m = 0.1, 0.13, 3.0, 800
    pbar = (p1 + k * p2) / (1 + k)
    z = stats.norm.isf(0.025)
    by_hand = stats.norm.cdf(
        (0.03 - z * np.sqrt(pbar * (1 - pbar) * (1 / m + 1 / (k * m))))
        / np.sqrt(p1 * (1 - p1) / m + p2 * (1 - p2) / (k * m))
    )
    assert power(m, 0.03, baseline=0.1, ratio=k) == pytest.approx(by_hand)


def test_a_rate_of_zero_or_one_in_one_arm_is_a_valid_design():
    # R: power.prop.test(p1 = .9, p2 = 1, power = .8)$n = 73.37 (this raised "baseline +
    # effect = 1 is outside (0, 1)"); by symmetry p1 = 0, p2 = .1 and p1 = 1, p2 = .9 too
    assert sample_size(0.1, baseline=0.9) == pytest.approx(73.37, abs=0.005)
    assert sample_size(0.1, baseline=0.0) == pytest.approx(sample_size(0.1, baseline=0.9))
    assert sample_size(-0.1, baseline=1.0) == pytest.approx(sample_size(0.1, baseline=0.9))
    assert plan(0.1, baseline=0.9).table["n_control"].iloc[0] == 74
    assert power(74, 0.1, baseline=0.9) > 0.8
    with pytest.raises(JourneyDataError, match="both rates are 0 or 1.*Fix:"):
        power(100, 1.0, baseline=0.0)  # neither arm varies
    with pytest.raises(JourneyDataError, match=r"outside \[0, 1\]"):
        sample_size(0.2, baseline=0.9)


def test_design_alternatives_are_the_tests_alternatives():
    # 'smaller' is 'larger' mirrored: 0.12 -> 0.10 needs what 0.10 -> 0.12 needs
    down = sample_size(-0.02, baseline=0.12, alternative="smaller")
    assert down == pytest.approx(sample_size(0.02, baseline=0.10, alternative="larger"))
    assert mde(down, baseline=0.12, alternative="smaller") == pytest.approx(-0.02, rel=1e-6)
    # a one-sided test has power below alpha against an effect in the other direction
    assert power(1000, -0.02, baseline=0.1, alternative="larger") < 0.05
    with pytest.raises(JourneyDataError, match="alternative='larger' tests for an increase"):
        sample_size(-0.02, baseline=0.1, alternative="larger")
    with pytest.raises(JourneyDataError, match="alternative='one-sided'"):
        sample_size(0.02, baseline=0.1, alternative="one-sided")  # ab_test has no such test
    # and the design's one-sided test is ab_test's: at the planned n, the share of
    # simulated experiments rejecting is the planned power (Monte Carlo sd 0.009)
    rng = np.random.default_rng(5)
    n = int(np.ceil(sample_size(0.05, baseline=0.3, alternative="larger")))
    hits = 0
    for _ in range(2000):
        c, t = rng.binomial(n, 0.3), rng.binomial(n, 0.35)
        pooled = (c + t) / (2 * n)
        z = (t - c) / n / np.sqrt(pooled * (1 - pooled) * 2 / n)
        hits += stats.norm.sf(z) < 0.05
    assert hits / 2000 == pytest.approx(0.8, abs=0.03)


def test_welch_matches_r_t_test_on_sleep():
    # R: t.test(extra ~ group, data = sleep): t = -1.8608, df = 17.776, p-value = 0.07939,
    # 95 percent CI -3.3654832 0.2054832 (group 1 - group 2; ours is 2 - 1)
    row = quiet(ab_test, SLEEP, metric="extra", control="1").table.iloc[1]
    assert row["p_value"] == pytest.approx(0.07939, abs=5e-6)
    assert (row.diff_ci_low, row.diff_ci_high) == pytest.approx((-0.2054832, 3.3654832), abs=1e-7)
    assert row["statistic"] == pytest.approx(1.8608, abs=1e-4)
    assert row["dof"] == pytest.approx(17.776, abs=1e-3)
    t = stats.ttest_ind(SLEEP_2, SLEEP_1, equal_var=False)
    assert (row["statistic"], row["dof"]) == pytest.approx((t.statistic, t.df), rel=1e-12)


def test_mann_whitney_matches_r_wilcox_test():
    # R: wilcox.test(extra ~ group, data = sleep): W = 25.5, p-value = 0.06933 (normal
    # approximation with continuity and tie correction)
    res = quiet(ab_test, SLEEP, metric="extra", control="1", method="mann_whitney")
    assert res.table["p_value"].iloc[1] == pytest.approx(0.06933, abs=5e-6)
    assert stats.mannwhitneyu(SLEEP_1, SLEEP_2).statistic == 25.5
    # ours is the U of the variant (group 2): n1 n2 - W = 100 - 25.5
    assert res.table["statistic"].iloc[1] == 74.5


def test_proportions_match_r_prop_test():
    # R: prop.test(c(300, 250), c(50000, 50000)): X-squared = 4.3896, p-value = 0.03616
    res = ab_test(conversions([300, 250], [50_000] * 2), method="chi2")
    assert res.table["p_value"].iloc[1] == pytest.approx(0.03616, abs=5e-6)
    assert res.table["statistic"].iloc[1] == pytest.approx(4.3896, abs=5e-5)
    assert res.table["dof"].iloc[1] == 1
    # without continuity correction, prop.test(..., correct = FALSE): X-squared = 4.5706
    row = ab_test(conversions([300, 250], [50_000] * 2)).table.iloc[1]
    assert row["p_value"] == pytest.approx(stats.chi2.sf(4.5706, 1), abs=1e-5)
    assert row["statistic"] == pytest.approx(-np.sqrt(4.5706), abs=1e-4)  # z: 250 vs 300
    # R: prop.test(smokers <- c(83, 90, 129, 70), patients <- c(86, 93, 136, 82)):
    # X-squared = 12.6, df = 3, p-value = 0.005585
    res = quiet(ab_test, conversions([83, 90, 129, 70], [86, 93, 136, 82]))
    assert res.omnibus["statistic"] == pytest.approx(12.6, abs=5e-4)
    assert res.omnibus["dof"] == 3
    assert res.omnibus["p_value"] == pytest.approx(0.005585, abs=5e-7)


def test_newcombe_interval_matches_the_paper():
    # Newcombe (1998), Statistics in Medicine 17, Table II, method 10 (hybrid score):
    # 56/70 vs 48/80 -> 0.0524 to 0.3339; 9/10 vs 3/10 -> 0.1705 to 0.8090
    row = ab_test(conversions([48, 56], [80, 70], ["a", "b"]), control="a").table.iloc[1]
    assert (row.diff_ci_low, row.diff_ci_high) == pytest.approx((0.0524, 0.3339), abs=5e-5)
    row = quiet(ab_test, conversions([3, 9], [10, 10], ["a", "b"]), control="a").table.iloc[1]
    assert (row.diff_ci_low, row.diff_ci_high) == pytest.approx((0.1705, 0.8090), abs=5e-5)


def test_wald_and_agresti_caffo_intervals_by_hand():
    units = conversions([120, 150], [1000, 1000], ["control", "treatment"])
    z = stats.norm.isf(0.025)
    wald = ab_test(units, interval="wald").table.iloc[1]
    se = np.sqrt(0.12 * 0.88 / 1000 + 0.15 * 0.85 / 1000)
    assert (wald.diff_ci_low, wald.diff_ci_high) == pytest.approx((0.03 - z * se, 0.03 + z * se))
    # Agresti & Caffo (2000): add one success and one failure to each group
    ac = ab_test(units, interval="agresti_caffo").table.iloc[1]
    p1, p2 = 121 / 1002, 151 / 1002
    se = np.sqrt(p1 * (1 - p1) / 1002 + p2 * (1 - p2) / 1002)
    assert (ac.diff_ci_low, ac.diff_ci_high) == pytest.approx((p2 - p1 - z * se, p2 - p1 + z * se))


def test_relative_lift_delta_method_by_hand():
    row = ab_test(conversions([100, 130], [1000, 1000], ["control", "treatment"])).table
    row = row.iloc[1]
    var_t, var_c = 0.13 * 0.87 / 999, 0.1 * 0.9 / 999  # Var of each mean, s^2 / n (n - 1)
    se = np.sqrt(var_t / 0.1**2 + 0.13**2 * var_c / 0.1**4)
    z = stats.norm.isf(0.025)
    assert row.lift == pytest.approx(0.3)
    assert (row.lift_ci_low, row.lift_ci_high) == pytest.approx((0.3 - z * se, 0.3 + z * se))


def test_ratio_metric_against_the_linearised_variance(rng):
    # Delta method for sum(Y) / sum(N): Var(R) = Var(Y - R N) / (n mean(N)^2), the
    # linearisation form (Deng et al. 2018, section 3), computed independently here.
    n = 3000
    sessions = rng.poisson(3, 2 * n) + 1
    revenue = rng.gamma(2, 5, 2 * n) * sessions
    data = pd.DataFrame(
        {"variant": np.repeat(["control", "treatment"], n), "rev": revenue, "s": sessions}
    )
    row = ab_test(data, metric="rev", denominator="s").table.iloc[1]
    var = []
    for g in ("control", "treatment"):
        y, d = revenue[data.variant == g], sessions[data.variant == g]
        r = y.sum() / d.sum()
        var.append(np.var(y - r * d, ddof=1) / (len(y) * d.mean() ** 2))
    se = np.sqrt(sum(var))
    assert (row.diff_ci_high - row.diff_ci_low) / 2 == pytest.approx(stats.norm.isf(0.025) * se)
    assert row.p_value == pytest.approx(2 * stats.norm.sf(abs(row["diff"]) / se))


def test_cuped_matches_a_welch_test_on_the_adjusted_metric(rng):
    n = 4000
    pre = rng.gamma(2, 10, n)
    variant = rng.choice(["control", "a", "b"], n)
    post = 0.8 * pre + rng.normal(0, 5, n) + 1.5 * (variant == "b")
    data = pd.DataFrame({"variant": variant, "post": post, "pre": pre})
    res = ab_test(data, metric="post", covariate="pre")
    # independent: theta from numpy's covariance, then scipy's Welch test (Deng et al. 2013)
    theta = np.cov(post, pre)[0, 1] / np.var(pre, ddof=1)
    adjusted = post - theta * (pre - pre.mean())
    for name in ("a", "b"):
        t = stats.ttest_ind(
            adjusted[variant == name], adjusted[variant == "control"], equal_var=False
        )
        row = res.table.set_index("variant").loc[name]
        assert row["p_value"] == pytest.approx(t.pvalue, rel=1e-9)
        ci = t.confidence_interval()
        assert (row.diff_ci_low, row.diff_ci_high) == pytest.approx((ci.low, ci.high))
    within = sum(np.var(post[variant == g], ddof=1) * ((variant == g).sum() - 1) for g in "ab")
    within += np.var(post[variant == "control"], ddof=1) * ((variant == "control").sum() - 1)
    adj = sum(np.var(adjusted[variant == g], ddof=1) * ((variant == g).sum() - 1) for g in "ab")
    adj += np.var(adjusted[variant == "control"], ddof=1) * ((variant == "control").sum() - 1)
    assert res.variance_reduction == pytest.approx(1 - adj / within)
    assert res.variance_reduction > 0.5
    assert res.table.set_index("variant").loc["b", "significant"]
    # the order of p-values is kept by Holm: adjusted >= raw
    assert (res.table["p_adjusted"].iloc[1:] >= res.table["p_value"].iloc[1:]).all()


def test_multiple_comparison_adjustments():
    from statsmodels.stats.multitest import multipletests

    units = conversions([100, 115, 130, 90], [1000] * 4, ["control", "a", "b", "c"])
    raw = ab_test(units, adjust="none").table["p_value"].iloc[1:].to_numpy()
    for adjust, sm in (("holm", "holm"), ("bh", "fdr_bh"), ("bonferroni", "bonferroni")):
        got = ab_test(units, adjust=adjust).table["p_adjusted"].iloc[1:].to_numpy()
        np.testing.assert_allclose(got, multipletests(raw, method=sm)[1])


def test_bootstrap_interval_close_to_welch_on_large_samples(rng):
    data = pd.DataFrame(
        {
            "variant": np.repeat(["control", "treatment"], 2000),
            "revenue": np.r_[rng.gamma(2, 10, 2000), rng.gamma(2, 11, 2000)],
        }
    )
    boot = ab_test(data, metric="revenue", method="bootstrap", n_boot=2000).table.iloc[1]
    welch = ab_test(data, metric="revenue").table.iloc[1]
    width = welch.diff_ci_high - welch.diff_ci_low
    assert abs(boot.diff_ci_low - welch.diff_ci_low) < 0.1 * width
    assert abs(boot.diff_ci_high - welch.diff_ci_high) < 0.1 * width
    assert abs(boot.p_value - welch.p_value) < 0.02


def test_one_sided_alternatives():
    units = conversions([100, 130], [1000, 1000], ["control", "treatment"])
    two = ab_test(units).table.iloc[1]
    larger = ab_test(units, alternative="larger").table.iloc[1]
    smaller = ab_test(units, alternative="smaller").table.iloc[1]
    assert larger.p_value == pytest.approx(two.p_value / 2)
    assert smaller.p_value == pytest.approx(1 - two.p_value / 2)
    assert larger.diff_ci_high == np.inf and larger.diff_ci_low > two.diff_ci_low


def test_srm_matches_r_chisq_test():
    # R: chisq.test(c(5000, 5200)): X-squared = 3.9216, df = 1, p-value = 0.04767
    res = srm_test({"control": 5000, "treatment": 5200})
    assert res.statistic == pytest.approx(3.9216, abs=1e-4)
    assert res.p_value == pytest.approx(0.04767, abs=5e-6)
    # by hand: expected 500, 1000, 500 -> 0 + 100^2/1000 + 100^2/500 = 30 on 2 df, whose
    # upper tail is exactly exp(-30 / 2)
    res = srm_test([500, 1100, 400], expected=[0.25, 0.5, 0.25])
    assert res.statistic == pytest.approx(30.0)
    assert res.p_value == pytest.approx(np.exp(-15))
    assert res.mismatch


def test_srm_warning_in_ab_test():
    units = conversions([100, 130], [1000, 1200], ["control", "treatment"])
    with pytest.warns(JourneyWarning, match="sample-ratio mismatch"):
        res = ab_test(units)
    assert res.srm.mismatch
    assert "WARNING" in res.conclusion
    with warnings.catch_warnings():
        warnings.simplefilter("error", JourneyWarning)
        ab_test(units, expected={"control": 5, "treatment": 6})  # planned 5:6 split


# --------------------------------------------------------------------------- calibration


def _aa_rejections(rng, make, runs=2000, **kwargs):
    rejected = 0
    for _ in range(runs):
        data = make(rng)
        rejected += quiet(ab_test, data, **kwargs).table["p_value"].iloc[1] < 0.05
    return rejected / runs


def _two_arms(rng, n, values):
    return pd.DataFrame(
        {"variant": rng.permutation(np.repeat(["control", "treatment"], n))}
    ).assign(**values(rng, 2 * n))


@pytest.mark.parametrize(
    "name, values, kwargs",
    [
        ("z", lambda r, m: {"converted": r.random(m) < 0.2}, {}),
        ("welch", lambda r, m: {"y": r.gamma(2, 10, m)}, {"metric": "y"}),
        ("mann_whitney", lambda r, m: {"y": r.gamma(2, 10, m)}, {"metric": "y"}),
        (
            "ratio",
            lambda r, m: (lambda s: {"y": r.gamma(2, 3, m) * s, "s": s})(r.poisson(2, m) + 1),
            {"metric": "y", "denominator": "s"},
        ),
        (
            "cuped",
            lambda r, m: (lambda x: {"y": x + r.normal(0, 5, m), "x": x})(r.gamma(2, 10, m)),
            {"metric": "y", "covariate": "x"},
        ),
    ],
)
def test_type_one_error_is_calibrated(rng, name, values, kwargs):
    # 2,000 A/A experiments of 2 x 300 units: the rejection rate at alpha = 0.05 has a
    # Monte Carlo sd of 0.005, so [0.04, 0.06] is a 2-sd band.
    if name == "mann_whitney":
        kwargs = {**kwargs, "method": "mann_whitney"}
    rate = _aa_rejections(rng, lambda r: _two_arms(r, 300, values), **kwargs)
    assert 0.04 <= rate <= 0.06, f"{name}: type-I error {rate:.3f}"


def test_intervals_cover_the_true_difference_and_lift(rng):
    # true rates 0.20 and 0.24: diff 0.04, relative lift 0.2; 2,000 runs of 2 x 2,000 units
    hits = np.zeros(2)
    for _ in range(2000):
        data = _two_arms(rng, 2000, lambda r, m: {"converted": np.zeros(m, bool)})
        treated = data["variant"].to_numpy() == "treatment"
        data["converted"] = rng.random(len(data)) < np.where(treated, 0.24, 0.20)
        row = ab_test(data).table.iloc[1]
        hits += [
            row.diff_ci_low <= 0.04 <= row.diff_ci_high,
            row.lift_ci_low <= 0.2 <= row.lift_ci_high,
        ]
    coverage = hits / 2000
    assert ((coverage >= 0.935) & (coverage <= 0.965)).all(), coverage


def test_sequential_test_keeps_alpha_under_continuous_monitoring(rng):
    # 2,000 A/A experiments of 2,000 units each, monitored after every unit; the naive
    # z-test looked at 20 times rejects far more often than alpha (Johari et al. 2017, Fig 1)
    always_valid = naive = 0
    for _ in range(2000):
        data = _two_arms(rng, 1000, lambda r, m: {"converted": r.random(m) < 0.2})
        res = sequential_test(data)
        always_valid += res.rejected_at is not None
        naive += (res.table["p_value_naive"] < 0.05).any()
    assert always_valid / 2000 <= 0.05
    assert naive / 2000 > 0.10


def test_sequential_test_means_and_power(rng):
    # continuous metric with a real difference: the sequence covers it and stops early
    n = 20_000
    variant = rng.permutation(np.repeat(["control", "treatment"], n // 2))
    y = rng.normal(10, 4, n) + 0.3 * (variant == "treatment")
    res = sequential_test(pd.DataFrame({"variant": variant, "y": y}), metric="y")
    last = res.table.iloc[-1]
    assert last.diff_ci_low <= 0.3 <= last.diff_ci_high
    assert res.rejected_at is not None and res.rejected_at < n
    assert (res.table["p_value"].diff().dropna() <= 0).all()  # a running minimum


def test_sequential_naive_p_value_is_ab_tests_at_the_last_look(rng):
    # the naive p-value was an unpooled z-test while ab_test's is pooled (Welch's for means):
    # at the last look, with every unit seen, the two now agree
    units = _two_arms(rng, 1500, lambda r, m: {"converted": r.random(m) < 0.2})
    units["revenue"] = rng.gamma(2, 10, len(units))
    for metric in ("converted", "revenue"):
        last = sequential_test(units, metric=metric).table.iloc[-1]
        assert last["n"] == len(units)
        expected = ab_test(units, metric=metric).table["p_value"].iloc[1]
        assert last["p_value_naive"] == pytest.approx(expected, rel=1e-9)


def test_sequential_test_follows_the_time_column(rng):
    units = _two_arms(rng, 500, lambda r, m: {"converted": r.random(m) < 0.2})
    units["arrival"] = rng.permutation(len(units)).astype(float)
    shuffled = units.sort_values("arrival", ignore_index=True)
    by_time = sequential_test(units, time="arrival").table
    pd.testing.assert_frame_equal(by_time, sequential_test(shuffled).table)
    with pytest.raises(JourneyDataError, match="first_look=600: the arms never both reach"):
        sequential_test(units, first_look=600)


def test_lift_interval_covers_the_simulated_true_lift():
    assignments = jk.load_experiment()
    truth = jk.ground_truth()["ab_test"]
    res = ab_test(assignments, metric="converted")
    row = res.table.iloc[1]
    assert row.diff_ci_low <= truth["absolute_lift"] <= row.diff_ci_high
    assert row.lift_ci_low <= truth["relative_lift"] <= row.lift_ci_high
    assert not res.srm.mismatch


# --------------------------------------------------------------------------- Bayesian


def test_bayes_probability_matches_the_closed_form():
    # Evan Miller (2015), "Formulas for Bayesian A/B Testing": for integer alpha_B,
    # P(p_B > p_A) = sum_{i<alpha_B} B(a_A + i, b_A + b_B) / ((b_B + i) B(1 + i, b_B) B(a_A, b_A))
    units = conversions([40, 55], [500, 500], ["control", "treatment"])
    res = bayes_ab(units)
    a_a, b_a, a_b, b_b = 41, 461, 56, 446
    i = np.arange(a_b)
    closed = np.exp(
        betaln(a_a + i, b_a + b_b) - np.log(b_b + i) - betaln(1 + i, b_b) - betaln(a_a, b_a)
    ).sum()
    row = res.table.iloc[1]
    assert row.beats_control == pytest.approx(closed, abs=0.003)
    # expected loss by numerical integration on a grid (independent of the sampler)
    grid = np.linspace(0, 0.3, 3001)
    fa, fb = stats.beta.pdf(grid, a_a, b_a), stats.beta.pdf(grid, a_b, b_b)
    loss = np.maximum(grid[:, None] - grid[None, :], 0)  # rows: control, cols: variant
    expected = (fa[:, None] * fb[None, :] * loss).sum() * (grid[1] - grid[0]) ** 2
    assert row.expected_loss == pytest.approx(expected, rel=0.03)
    assert row.conversion == pytest.approx(56 / 502)


def test_bayes_prior_documented_and_checked():
    units = conversions([40, 55], [500, 500], ["control", "treatment"])
    assert "Beta(1, 1)" in bayes_ab(units).notes[0]
    with pytest.raises(JourneyDataError, match="prior"):
        bayes_ab(units, prior=(0, 1))


# --------------------------------------------------------------------------- units from events


def _log():
    from conftest import make_events

    return make_events(
        [
            ("a", "2024-01-01 10:00", "purchase", 5.0),  # pre-period
            ("a", "2024-01-02 00:00", "purchase", 10.0),  # exactly at assignment: counts
            ("a", "2024-01-15 23:59", "purchase", 20.0),  # inside the 14-day window
            ("a", "2024-01-16 00:00", "purchase", 40.0),  # at the window's end: excluded
            ("b", "2024-01-03 12:00", "page_view"),
            ("c", "2023-12-01 00:00", "purchase", 7.0),  # before the pre-window
        ]
    )


def test_experiment_units_window_edges():
    assignments = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d"],
            "variant": ["control", "treatment", "control", "treatment"],
            "assigned_at": pd.to_datetime(["2024-01-02"] * 4, utc=True),
        }
    )
    before = assignments.copy()
    out = experiment_units(_log(), assignments).set_index("customer_id")
    pd.testing.assert_frame_equal(assignments, before)
    assert out.loc[
        "a", ["n_conversions", "revenue", "n_pre_conversions", "pre_revenue"]
    ].tolist() == [
        2,
        30.0,
        1,
        5.0,
    ]
    assert out["converted"].tolist() == [True, False, False, False]
    assert out.loc["d", "revenue"] == 0  # no events at all: zeros
    # outcome columns already in the assignments (a stored experiment) are replaced, not
    # suffixed revenue_x / revenue_y by the merge
    stale = assignments.assign(converted=True, revenue=99.0)
    pd.testing.assert_frame_equal(experiment_units(_log(), stale), out.reset_index())
    with pytest.warns(JourneyWarning, match="4 of 4 units .* cut short"):  # ends 01-17
        wide = experiment_units(_log(), assignments, window="15D", pre_window="60D")
    assert wide.set_index("customer_id").loc["c", "pre_revenue"] == 7.0


def test_experiment_units_ends_at_as_of_and_warns_of_cut_windows():
    """Found running 03 on a foreign export: units assigned near the end of the data had a
    window cut short, silently; now said with a count, and as_of= sets the end."""
    assignments = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c"],
            "variant": ["control", "treatment", "control"],
            "assigned_at": pd.to_datetime(["2024-01-02", "2024-01-02", "2024-01-10"], utc=True),
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # windows of 5 days end by 2024-01-16: no warning
        full = experiment_units(_log(), assignments.iloc[:2], window="5D")
    assert full["n_conversions"].tolist() == [1, 0]
    with pytest.warns(JourneyWarning, match="1 of 3 units .* cut short"):  # c: 01-10 + 14D
        experiment_units(_log(), assignments)
    # as_of 2024-01-08: a's purchase of 01-15 no longer counts, c (01-10) is left out
    with pytest.warns(JourneyWarning) as caught:
        cut = experiment_units(_log(), assignments, as_of="2024-01-08")
    messages = " ".join(str(w.message) for w in caught)
    assert "1 of 3 units were assigned after the end" in messages
    assert "2 of 2 units were assigned less than the window" in messages
    assert cut["customer_id"].tolist() == ["a", "b"]
    assert cut["n_conversions"].tolist() == [1, 0] and cut["revenue"].tolist() == [10.0, 0.0]
    with pytest.raises(JourneyDataError, match="every unit was assigned after it"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            experiment_units(_log(), assignments.iloc[2:], as_of="2024-01-05")
    with pytest.raises(JourneyDataError, match="as_of=2023-01-01.*before the first event"):
        experiment_units(_log(), assignments, as_of="2023-01-01")


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_read_units_reads_flags_as_booleans(tmp_path, suffix):
    """A boolean metric survives an export: True/False, text true/false in any case, and
    gaps; ids stay text; the test treats the flag as a conversion."""
    frame = pd.DataFrame(
        {
            "player": ["007", "008", "009", "010"] * 25,
            "arm": ["A", "A", "B", "B"] * 25,
            "kept": (["true", "FALSE", " True", "false"] * 25),
            "gappy": ([True, None, False, True] * 25),
            "name": ["x", "true", "y", "z"] * 25,
        }
    )
    frame["player"] = [f"{i:03d}" for i in range(100)]
    path = tmp_path / f"units.{suffix}"
    frame.to_csv(path, index=False) if suffix == "csv" else frame.to_parquet(path, index=False)
    units = jk.read_units(path, unit_id="player", variant="arm")
    assert units["customer_id"].iloc[7] == "007"
    assert units["kept"].dtype in ("bool", "boolean")
    assert units["kept"].astype(bool).tolist()[:4] == [True, False, True, False]
    assert str(units["gappy"].dtype) == "boolean" and units["gappy"].isna().sum() == 25
    assert units["name"].tolist()[:2] == ["x", "true"]  # not every value a flag: text
    res = ab_test(units, variant="arm", metric="kept", control="A")
    assert res.kind == "proportion" and res.table["conversion"].tolist() == [0.5, 0.5]
    with pytest.raises(JourneyDataError, match="25 values are missing"):
        ab_test(units, variant="arm", metric="gappy", control="A")


def test_experiment_units_checks_the_conversion_event_and_takes_lists():
    assignments = pd.DataFrame(
        {"customer_id": ["a", "b"], "variant": ["x", "y"], "assigned_at": ["2024-01-02"] * 2}
    )
    # an unknown event used to leave every unit unconverted
    with pytest.raises(JourneyDataError, match="conversion='buy'.*'page_view', 'purchase'"):
        experiment_units(_log(), assignments, conversion="buy")
    listed = experiment_units(_log(), assignments, conversion=["purchase", "page_view"])
    assert listed["n_conversions"].tolist() == [2, 1]


@pytest.mark.parametrize(
    ("column", "value", "match"),
    [
        ("customer_id", None, "1 of 2 rows have no value"),  # was a unit named 'None'
        ("assigned_at", None, "1 of 2 rows have no value"),  # was silently unconverted
        ("variant", np.nan, "a broken assignment"),
        ("assigned_at", "soon", "time='assigned_at': 1 values are not dates"),
    ],
)
def test_experiment_units_refuses_broken_assignments(column, value, match):
    assignments = pd.DataFrame(
        {"customer_id": ["a", "b"], "variant": ["x", "y"], "assigned_at": ["2024-01-02"] * 2}
    )
    assignments.loc[0, column] = value
    with pytest.raises(JourneyDataError, match=match):
        experiment_units(_log(), assignments)


def test_experiment_units_refuses_numbers_as_times_and_empty_assignments():
    assignments = pd.DataFrame({"customer_id": ["a"], "variant": ["x"], "assigned_at": [5]})
    with pytest.raises(JourneyDataError, match="got numbers"):
        experiment_units(_log(), assignments)
    with pytest.raises(JourneyDataError, match="assignments: no rows"):
        experiment_units(_log(), assignments.iloc[:0])


def test_experiment_units_same_on_ibis():
    import ibis

    assignments = pd.DataFrame(
        {"customer_id": ["a", "b"], "variant": ["x", "y"], "assigned_at": ["2024-01-02"] * 2}
    )
    pandas_path = experiment_units(_log(), assignments)
    ibis_path = experiment_units(ibis.memtable(_log()), assignments)
    pd.testing.assert_frame_equal(pandas_path, ibis_path)


@pytest.mark.spark
def test_experiment_units_on_spark(spark, tmp_path):
    import ibis

    assignments = jk.load_experiment().head(300)
    events = jk.load_webshop()
    events = events[events["customer_id"].isin(assignments["customer_id"])]
    events.to_parquet(tmp_path / "events.parquet")
    table = ibis.pyspark.connect(spark).read_parquet(str(tmp_path / "events.parquet"))
    expected = experiment_units(events, assignments)
    pd.testing.assert_frame_equal(experiment_units(table, assignments), expected)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "data, kwargs, match",
    [
        (conversions([5, 6], [50, 50], ["a", "a"]), {}, "only one variant"),
        (conversions([5, 6], [50, 50]), {"control": "ctrl"}, "control='ctrl'"),
        (
            pd.DataFrame({"variant": ["a", "b"] * 5, "converted": [0, 2] * 5}),
            {"kind": "proportion"},
            "0/1",
        ),
        (conversions([0, 0], [50, 50]), {}, "no unit converted"),
        (conversions([1, 1], [1, 5]), {}, "fewer than 2 units"),
        (conversions([5, 6], [50, 50]), {"alpha": 1.5}, "alpha=1.5"),
        (conversions([5, 6], [50, 50]), {"metric": "revenue"}, "missing column"),
        (conversions([5, 6], [50, 50]), {"method": "welch"}, "method='welch'"),
        (pd.DataFrame({"variant": ["a", "b"] * 5, "converted": [1, None] * 5}), {}, "missing"),
    ],
)
def test_bad_input_is_explained(data, kwargs, match):
    with pytest.raises(JourneyDataError, match=match):
        quiet(ab_test, data, **kwargs)


def _with_missing_metric(dtype):
    units = conversions([100, 130], [1000, 1000], ["control", "treatment"])
    units["converted"] = units["converted"].astype(dtype)
    units.loc[::7, "converted"] = pd.NA
    return units


@pytest.mark.parametrize("dtype", ["boolean", "Int64", "Float64"])
@pytest.mark.parametrize("test", [ab_test, bayes_ab, sequential_test])
def test_missing_metric_values_raise_everywhere(dtype, test):
    # a nullable boolean metric with pd.NA used to give NaN everywhere in ab_test, a wrong
    # "needs 0/1 values" in bayes_ab and "never reach min_n" in sequential_test
    units = _with_missing_metric(dtype)
    before = units.copy()
    with pytest.raises(JourneyDataError, match="metric='converted': 286 values are missing"):
        quiet(test, units)
    pd.testing.assert_frame_equal(units, before)


@pytest.mark.parametrize("test", [ab_test, bayes_ab, sequential_test])
def test_a_missing_variant_is_a_broken_assignment(test):
    units = conversions([100, 130], [1000, 1000], ["control", "treatment"])
    units.loc[::50, "variant"] = None
    with pytest.raises(JourneyDataError, match="40 of 2000 units have no variant, a broken"):
        test(units)


def test_awkward_units_are_explained():
    units = conversions([100, 130], [1000, 1000], ["control", "treatment"])
    with pytest.raises(JourneyDataError, match="units: no units"):
        ab_test(units.iloc[:0])
    with pytest.raises(JourneyDataError, match="every unit has the same value"):
        ab_test(units.assign(revenue=5.0), metric="revenue")  # p-values were NaN
    with pytest.raises(JourneyDataError, match="n_boot=0"):
        ab_test(units.assign(x=np.arange(2000.0)), metric="x", method="bootstrap", n_boot=0)
    with pytest.raises(JourneyDataError, match="alpha='0.05'.*Fix: pass e.g. alpha=0.05"):
        ab_test(units, alpha="0.05")
    with pytest.raises(JourneyDataError, match="expected: shares must be finite"):
        ab_test(units, expected={"control": np.nan, "treatment": 1})  # was silently ignored
    zero = units.assign(x=np.r_[np.zeros(1000), np.arange(1000.0)])
    with pytest.warns(JourneyWarning, match="control mean is 0"):
        assert np.isnan(ab_test(zero, metric="x").table["lift"].iloc[1])  # was inf


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"tau": "1"}, "tau='1'"),
        ({"looks": 0}, "looks=0"),
        ({"first_look": "a"}, "first_look='a'"),
        ({"time": "arrival"}, "time='arrival': 1 of 2000 units have no value"),
    ],
)
def test_bad_sequential_input(kwargs, match):
    units = conversions([100, 130], [1000, 1000], ["control", "treatment"])
    units["arrival"] = np.r_[np.nan, np.arange(1999.0)]  # NaN used to sort silently last
    with pytest.raises(JourneyDataError, match=match):
        sequential_test(units, **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"prior": "ab"}, "prior='ab'"), ({"prior": 5}, "prior=5"), ({"draws": 0}, "draws=0")],
)
def test_bad_bayes_input(kwargs, match):
    with pytest.raises(JourneyDataError, match=match):
        bayes_ab(conversions([40, 55], [500, 500]), **kwargs)


def test_adjust_p_checks_its_input_and_keeps_missing_p_values_out():
    assert adjust_p([0.01, np.nan, 0.04], "holm") == pytest.approx(
        [0.02, np.nan, 0.04], nan_ok=True
    )
    with pytest.raises(JourneyDataError, match="adjust='x'"):
        adjust_p([0.1, 0.2], "x")  # was a KeyError
    with pytest.raises(JourneyDataError, match="numbers in \\[0, 1\\]"):
        adjust_p(["a"])  # was a ValueError
    with pytest.raises(JourneyDataError, match="seed='x'"):
        ab_test(SLEEP, metric="extra", method="bootstrap", seed="x")  # was a TypeError


def test_bad_design_input():
    with pytest.raises(JourneyDataError, match="power=1.2"):
        sample_size(0.02, baseline=0.1, power=1.2)
    with pytest.raises(JourneyDataError, match="alpha=0"):
        power(100, 0.02, baseline=0.1, alpha=0)
    with pytest.raises(JourneyDataError, match="baseline="):
        power(100, 0.02)
    with pytest.raises(JourneyDataError, match="outside"):
        sample_size(0.5, baseline=0.6)
    with pytest.raises(JourneyDataError, match="whole numbers >= 0"):
        srm_test([100, -5])
    for counts in ({"a": "x", "b": 3}, [100, pd.NA]):  # raw ValueError / TypeError before
        with pytest.raises(JourneyDataError, match="whole numbers >= 0"):
            srm_test(counts)
    with pytest.raises(JourneyDataError, match="shares must be finite numbers > 0"):
        srm_test([100, 100], expected=[1, np.inf])
    with pytest.raises(JourneyDataError, match="sum to 1.2; expected shares summing to 1"):
        srm_test([100, 100], expected=[0.6, 0.6])  # was silently read as a 1:1 split
    assert srm_test([100, 200], expected=[1, 2]).p_value == pytest.approx(1.0)  # a ratio
    with pytest.raises(JourneyDataError, match="assignments: expected a DataFrame.*Fix:"):
        experiment_units(_log(), [("a", "control")])
    with pytest.raises(JourneyDataError, match="kind='ratio' needs denominator=.*Fix:"):
        ab_test(conversions([5, 6], [50, 50]), kind="ratio")
    for call, match in [
        (lambda: power(100, 0.02, baseline=0.1, ratio=np.inf), "ratio=inf"),
        (lambda: power(100, "0.02", baseline=0.1), "effect='0.02'"),
        (lambda: power(100, 0.02, baseline="0.1"), "baseline='0.1'"),
        (lambda: power(100, 0.02, sd="1"), "sd='1'"),
        (lambda: power("abc", 0.02, baseline=0.1), "n='abc'"),
        (lambda: power(np.nan, 0.02, baseline=0.1), "n=nan"),
        (lambda: mde("100", sd=1), "n='100'"),
        (lambda: mde(100, sd=1, relative=True), "relative=True needs baseline="),
    ]:
        with pytest.raises(JourneyDataError, match=match):
            call()
    with pytest.raises(JourneyDataError, match="two variants"):
        sequential_test(conversions([5, 6, 7], [300] * 3))


def test_tiny_samples_warn():
    with pytest.warns(JourneyWarning, match="fewer than 10 conversions"):
        ab_test(conversions([3, 6], [40, 40]))


def test_result_reads_and_plots():
    res = ab_test(conversions([100, 130, 90], [1000] * 3, ["control", "a", "b"]))
    assert list(res.table.columns) == [
        "variant", "n", "conversion", "diff", "diff_ci_low", "diff_ci_high", "lift",
        "lift_ci_low", "lift_ci_high", "statistic", "dof", "p_value", "p_adjusted",
        "significant",
    ]  # fmt: skip
    assert "a: 13.0% vs 10.0% for control" in res.conclusion
    assert "<h4>A/B test</h4>" in res._repr_html_()
    assert len(res.plot().collections) >= 1
    sorted_by_outcome = conversions([100, 130], [1000, 1000])
    with pytest.warns(JourneyWarning, match="do not arrive in random order.*Fix: pass time="):
        sequential_test(sorted_by_outcome)
    seq = sequential_test(sorted_by_outcome.sample(frac=1, random_state=2, ignore_index=True))
    assert seq.plot().get_xlabel() == "units observed"
    assert bayes_ab(conversions([100, 130], [1000, 1000])).plot().get_ylabel()


def test_results_read_like_a_report():
    units = conversions([100, 130], [1000, 1000], ["control", "treatment"])
    units = units.sample(frac=1, random_state=1, ignore_index=True)  # arrivals at random
    srm = srm_test({"control": 5000, "treatment": 5200})
    assert list(srm.table.columns) == ["variant", "n", "share", "expected_share", "n_expected"]
    assert "healthy" in srm.conclusion and "control 5,000" in srm.conclusion
    assert srm_test([500, 1100, 400], expected=[0.25, 0.5, 0.25]).conclusion.startswith(
        "WARNING: sample-ratio mismatch"
    )
    seq = sequential_test(units)
    assert list(seq.table.columns) == [
        "n", "n_control", "n_treatment", "diff", "diff_ci_low", "diff_ci_high", "p_value",
        "p_value_naive",
    ]  # fmt: skip
    assert "After 2,000 units the difference treatment - control is +3.00 points" in (
        seq.conclusion
    )
    bayes = bayes_ab(units)
    assert list(bayes.table.columns) == [
        "variant", "n", "n_conversions", "conversion", "beats_control", "expected_loss",
        "diff", "diff_ci_low", "diff_ci_high", "lift", "lift_ci_low", "lift_ci_high",
    ]  # fmt: skip
    row = bayes.table.iloc[1]
    assert f"treatment beats control with probability {row.beats_control:.1%}" in (bayes.conclusion)
    design = plan(0.05, baseline=0.67, relative=True)
    assert list(design.table.columns) == [
        "baseline", "sd", "effect", "lift", "alpha", "power", "alternative", "ratio",
        "n_control", "n_treatment", "n",
    ]  # fmt: skip
    assert "needs 3,008 control and 3,008 variant units, 6,016 in all" in design.conclusion
    assert "from a baseline rate of 67.0%" in design.conclusion
    means = plan(0.5, sd=2.0)
    assert np.isnan(means.table["lift"].iloc[0]) and "standard deviation of 2" in (means.conclusion)


def test_srm_plot_shows_observed_and_expected_units():
    import matplotlib.pyplot as plt

    res = srm_test([500, 1100, 400], expected=[0.25, 0.5, 0.25])
    fig, ax = plt.subplots()
    assert res.plot(ax=ax) is ax  # it raised NotImplementedError
    heights = [p.get_height() for p in ax.patches]
    assert heights == [500, 1100, 400, 500, 1000, 500]  # observed, then expected
    assert ax.get_ylabel() == "units" and "p < 0.001" in ax.get_title()


def test_power_calculator_updates_live():
    box = jk.widgets.power_calculator()
    box.controls["lift"].value = 0.2
    box.controls["ratio"].value = 2.0
    table = box.result.table.iloc[0]
    expected = sample_size(0.2, baseline=0.1, relative=True, ratio=2.0)
    assert table.n_control == int(np.ceil(expected))
    assert table.n_treatment == int(np.ceil(2 * expected))
    print(f"power_calculator update times (s): {[round(s, 3) for s in box.seconds]}")
