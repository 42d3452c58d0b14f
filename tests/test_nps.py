"""NPS: hand-computed values, exact variance, coverage by simulation, truth, bad input."""

import itertools
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

import journeykit as jk
from journeykit import JourneyDataError, JourneyWarning
from journeykit.nps import (
    category,
    compare_nps,
    nps,
    nps_by_journey,
    nps_drivers,
    nps_interval,
    nps_trend,
)

Z = norm.ppf(0.975)
MIXED = [10, 9, 9, 8, 7, 6, 3, 10, 9, 5]  # 5 promoters, 2 passives, 3 detractors


def quiet(**kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", JourneyWarning)
        return nps(**kwargs).table.iloc[0]


def test_hand_computed_examples():
    row = quiet(survey=MIXED, interval="wald")
    assert (row.n, row.n_promoters, row.n_passives, row.n_detractors) == (10, 5, 2, 3)
    assert (row.promoters, row.passives, row.detractors) == pytest.approx((0.5, 0.2, 0.3))
    assert row.nps == pytest.approx(20.0)
    se = 100 * math.sqrt((0.5 + 0.3 - 0.2**2) / 10)  # trinomial variance by hand
    assert row.se == pytest.approx(se)
    assert (row.nps_ci_low, row.nps_ci_high) == pytest.approx((20 - Z * se, 20 + Z * se))
    assert quiet(survey=[10, 9, 9]).nps == 100.0 and quiet(survey=[10, 9, 9]).se == 0.0
    assert quiet(survey=[0, 3, 6]).nps == -100.0
    assert quiet(survey=[8]).nps == 0.0 and quiet(survey=[8]).n == 1


def test_adjusted_wald_by_hand():
    # Rocks (2016): add 3/4 promoter, 3/4 detractor, 3 answers; Wald on adjusted shares.
    row = quiet(survey=MIXED, interval="adjusted_wald")
    pa, da = 5.75 / 13, 3.75 / 13
    se = 100 * math.sqrt((pa + da - (pa - da) ** 2) / 13)
    assert row.nps == pytest.approx(20.0)  # the estimate itself is not adjusted
    assert row.nps_ci_low == pytest.approx(100 * (pa - da) - Z * se)
    assert row.nps_ci_high == pytest.approx(100 * (pa - da) + Z * se)
    # the reported se is the estimate's own (trinomial), whatever the interval method
    assert row.se == pytest.approx(100 * math.sqrt((0.5 + 0.3 - 0.2**2) / 10))


def test_adjusted_wald_is_the_default():
    # Rocks (2016): Wald under-covers in small samples; the default must not
    default = quiet(survey=MIXED)
    adjusted = quiet(survey=MIXED, interval="adjusted_wald")
    pd.testing.assert_series_equal(default, adjusted)
    with warnings.catch_warnings():
        warnings.simplefilter("error", JourneyWarning)
        nps(MIXED)  # no under-coverage warning by default


def test_variance_formula_matches_exact_enumeration():
    """Var(NPS-hat) = (p + d - (p - d)^2) / n, checked by enumerating every trinomial
    outcome for small n."""
    for n, (p, q, d) in itertools.product((1, 3, 6), ((0.5, 0.3, 0.2), (0.1, 0.2, 0.7))):
        mean = var = 0.0
        outcomes = [(a, b, n - a - b) for a in range(n + 1) for b in range(n + 1 - a)]
        probs = [
            math.factorial(n)
            / (math.factorial(a) * math.factorial(b) * math.factorial(c))
            * p**a
            * q**b
            * d**c
            for a, b, c in outcomes
        ]
        values = [(a - c) / n for a, b, c in outcomes]
        mean = sum(w * v for w, v in zip(probs, values))
        var = sum(w * (v - mean) ** 2 for w, v in zip(probs, values))
        assert var == pytest.approx((p + d - (p - d) ** 2) / n)


@pytest.mark.parametrize("n", [30, 100, 500])
def test_coverage_by_simulation(n):
    """4,000 samples per setting (fixed seed). Wald must cover within 93.5-96.5% wherever it
    does not warn (n >= 100 and >= 10 expected promoters and detractors); adjusted Wald
    everywhere within 93.5-97% (slightly conservative at n = 30 with extreme shares)."""
    rng = np.random.default_rng(n)
    for p, d in ((0.4, 0.2), (0.3, 0.3), (0.7, 0.1), (0.85, 0.05), (0.1, 0.6)):
        x = rng.multinomial(n, [p, 1 - p - d, d], size=4000)
        truth = 100 * (p - d)
        _, _, lo, hi = nps_interval(x[:, 0], x[:, 2], n, interval="adjusted_wald")
        assert 0.935 <= ((lo <= truth) & (truth <= hi)).mean() <= 0.97
        if n >= 100 and n * min(p, d) >= 10:
            _, _, lo, hi = nps_interval(x[:, 0], x[:, 2], n, interval="wald")
            assert 0.935 <= ((lo <= truth) & (truth <= hi)).mean() <= 0.965
    with pytest.warns(JourneyWarning, match="under-covers"):
        nps(rng.integers(0, 11, n) if n < 100 else [10] * n + [0] * 5, interval="wald")


def test_bootstrap_agrees_with_wald_on_large_samples():
    answers = jk.load_survey()
    boot = nps(answers, interval="bootstrap", n_boot=1000, seed=1).table.iloc[0]
    wald = nps(answers, interval="wald").table.iloc[0]
    assert boot.nps_ci_low == pytest.approx(wald.nps_ci_low, abs=0.5)
    assert boot.nps_ci_high == pytest.approx(wald.nps_ci_high, abs=0.5)


def test_weights_equal_replication():
    data = pd.DataFrame({"score": [10, 6, 8], "w": [2, 1, 1]})
    weighted = quiet(survey=data, weights="w")
    replicated = quiet(survey=[10, 10, 6, 8])
    assert weighted.nps == pytest.approx(replicated.nps)
    assert weighted.n_eff == pytest.approx(16 / 6)  # Kish: (sum w)^2 / sum w^2


def test_groups_small_cells_and_suppression():
    s = jk.load_survey()
    s = s.assign(tiny=np.where(np.arange(len(s)) < 12, "rare", "common"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", JourneyWarning)  # the only small group is suppressed
        res = nps(s, by="tiny", min_n=20)
    t = res.table.set_index("tiny")
    assert t.loc["rare", "suppressed"] and np.isnan(t.loc["rare", "nps"])
    assert "suppressed" in res.conclusion
    assert res.pairwise.empty  # a suppressed group is not compared
    ax = res.plot()
    # the suppressed group keeps its row on the chart, labelled, without numbers
    assert [t.get_text() for t in ax.get_yticklabels()] == ["common", "rare (suppressed)"]


def test_only_small_groups_that_are_shown_get_the_warning():
    s = pd.DataFrame({"score": MIXED * 7, "g": ["a"] * 40 + ["b"] * 20 + ["c"] * 10})
    with pytest.warns(JourneyWarning, match="1 group.s. shown have fewer than 30") as caught:
        res = nps(s, by="g", min_n=15)
    assert len(caught) == 1
    assert res.table.set_index("g")["suppressed"].to_dict() == {"a": False, "b": False, "c": True}
    with warnings.catch_warnings():
        warnings.simplefilter("error", JourneyWarning)
        nps(s, by="g", min_n=30)  # both small groups hidden: nothing to over-read
        # Wald's under-coverage is not reported for groups nobody sees
        nps(s.assign(score=[10] * 60 + [0] * 10), by="g", min_n=50, interval="wald")


def test_all_groups_suppressed_is_said_once():
    s = pd.DataFrame({"score": MIXED * 2, "g": ["a", "b"] * 10})
    res = nps(s, by="g", min_n=30)
    assert res.conclusion == "Every group has fewer than min_n answers, so all are suppressed."


def test_nps_by_journey_suppresses_small_groups():
    s = jk.load_survey()
    events = jk.load_webshop()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", JourneyWarning)
        full = nps_by_journey(s, events)
        out = nps_by_journey(s, events, min_n=100)
    hidden = out["suppressed"].to_numpy()
    assert hidden.any() and not hidden.all()
    assert (full["n"].to_numpy()[hidden] < 100).all()
    assert out.loc[hidden, ["n", "nps", "nps_ci_low", "nps_ci_high"]].isna().all().all()
    assert out.loc[hidden, "small"].all()
    assert out.loc[~hidden, "nps"].to_numpy() == pytest.approx(full.loc[~hidden, "nps"].to_numpy())
    with pytest.raises(JourneyDataError, match="min_n=0"):
        nps_by_journey(s, events, min_n=0)


def test_nps_by_journey_with_a_channel_column_without_values():
    events = pd.DataFrame(
        {
            "customer_id": ["a", "b"],
            "timestamp": pd.to_datetime(["2024-01-02", "2024-01-03"], utc=True),
            "event": ["visit", "purchase"],
            "channel": pd.Series([None, None], dtype="string"),
        }
    )
    survey = pd.DataFrame({"customer_id": ["a", "b"], "date": ["2024-01-25"] * 2, "score": [9, 3]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", JourneyWarning)
        out = nps_by_journey(survey, events)
    assert set(out["dimension"]) == {"status", "orders"}  # no channel value: no channel rows


def test_nps_by_journey_on_a_foreign_export(tmp_path):
    # zero-padded ids, YYYYMMDD answer dates, events without channel or revenue
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    import foreign

    p = foreign.survey_with_journeys(tmp_path)
    survey = jk.read_survey(
        p["DATA_PATH"], score=p["SCORE"], time=p["DATE"], customer=p["RESPONDENT"], tz=p["TZ"]
    )
    events = jk.read_events(p["EVENTS_PATH"], **p["COLUMNS"], tz=p["TZ"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", JourneyWarning)
        out = nps_by_journey(
            survey, events, time=p["DATE"], score=p["SCORE"], purchase=p["PURCHASE"], min_n=10
        )
    assert set(out["dimension"]) == {"status", "orders"}  # no channel: no channel dimensions
    status = out[out["dimension"] == "status"]
    assert status["n"].sum() <= len(survey)
    assert {"new", "no activity"} <= set(status["group"])  # the ids joined their events


def test_trend_suppresses_small_waves_and_measures_changes_between_shown_ones():
    # one answer in the first quarter: its score must not be shown, nor be worked back
    # from the change to the next quarter
    survey = pd.DataFrame(
        {
            "score": [10] + MIXED * 4 + MIXED[::-1] * 4 + [0, 3] * 20,
            "date": ["2023-12-31"]
            + ["2024-02-01"] * 40
            + ["2024-05-01"] * 40
            + ["2024-08-01"] * 40,
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", JourneyWarning)
        full = nps_trend(survey, freq="Q").table
        res = nps_trend(survey, freq="Q", min_n=30)
    t = res.table
    assert t["suppressed"].tolist() == [True, False, False, False]
    assert t.loc[0, ["n", "nps", "diff", "p_value"]].isna().all()
    assert np.isnan(t.loc[1, "diff"])  # the first period shown has nothing to compare with
    assert t.loc[2:, "diff"].to_numpy() == pytest.approx(full.loc[2:, "diff"].to_numpy())
    expected = compare_nps(survey[-40:], survey[41:81]).iloc[0]
    assert t.loc[3, "diff"] == pytest.approx(expected["diff"])
    assert t.loc[3, "p_value"] == pytest.approx(expected["p_value"])
    assert "1 period(s) below min_n are suppressed" in res.conclusion
    assert "2024-Q1" in res.conclusion and "+100" not in res.conclusion
    assert any("suppressed" in note for note in res.notes)
    res.plot()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", JourneyWarning)
        hidden = nps_trend(survey, freq="Q", min_n=1000)
    assert "every period has fewer than min_n answers" in hidden.conclusion


def test_simulated_nps_per_persona_covers_truth():
    res = nps(jk.load_survey(), by="persona").table.set_index("persona")
    for persona, truth in jk.ground_truth()["nps"].items():
        low, high = res.loc[persona, ["nps_ci_low", "nps_ci_high"]]
        assert low <= truth["overall"] <= high


def test_compare_by_hand():
    out = compare_nps([10] * 60 + [5] * 40, [10] * 40 + [5] * 60).iloc[0]
    se = 100 * math.sqrt(2 * (1 - 0.2**2) / 100)
    assert out["diff"] == pytest.approx(40) and out["se"] == pytest.approx(se)
    assert out["statistic"] == pytest.approx(40 / se)
    assert out["p_value"] == pytest.approx(2 * norm.sf(40 / se))
    assert (out["diff_ci_low"], out["diff_ci_high"]) == pytest.approx((40 - Z * se, 40 + Z * se))


def test_trend_changes_equal_pairwise_comparisons():
    s = jk.load_survey()
    trend = nps_trend(s, freq="Q").table
    waves = pd.to_datetime(s["date"], utc=True).dt.tz_localize(None).dt.to_period("Q")
    first, second = sorted(waves.unique())[:2]
    pair = compare_nps(s[waves == second], s[waves == first]).iloc[0]
    assert trend.loc[1, "diff"] == pytest.approx(pair["diff"])
    assert trend.loc[1, "p_value"] == pytest.approx(pair["p_value"])
    assert np.isnan(trend.loc[0, "diff"])
    # the changes are tested the same way whatever the interval of each period's NPS
    wald = nps_trend(s, freq="Q", interval="wald").table
    pd.testing.assert_series_equal(wald["p_value"], trend["p_value"])


def test_drivers_match_least_squares_and_hc3():
    s = jk.load_survey()
    drivers = ["delivery", "service", "price", "site_speed"]
    res = nps_drivers(s, drivers=drivers)
    X = np.column_stack([np.ones(len(s)), s[drivers].to_numpy(float)])
    y = s["score"].to_numpy(float)
    beta = np.linalg.lstsq(X, y, rcond=None)[0]
    # HC3 by hand (MacKinnon & White 1985): (X'X)^-1 X' diag(e^2/(1-h)^2) X (X'X)^-1
    bread = np.linalg.inv(X.T @ X)
    h = np.einsum("ij,jk,ik->i", X, bread, X)
    e = y - X @ beta
    cov = bread @ (X.T * (e**2 / (1 - h) ** 2)) @ X @ bread
    got = res.table.set_index("driver").loc[drivers]
    assert got["effect"].to_numpy() == pytest.approx(beta[1:])
    half = (got["effect_ci_high"] - got["effect"]).to_numpy()
    assert half == pytest.approx(Z * np.sqrt(np.diag(cov)[1:]))
    assert res.table["driver"].iloc[0] == "delivery"  # the simulator's strongest loading
    assert res.conclusion.startswith("Drivers of the score, strongest first: delivery")


def test_nps_by_journey():
    s = jk.load_survey()
    out = nps_by_journey(s, jk.load_webshop())
    assert set(out["dimension"]) == {"status", "orders", "acquisition_channel", "last_touchpoint"}
    for _, part in out.groupby("dimension"):
        assert part["n"].sum() <= len(s)
    assert out.groupby("dimension")["n"].sum()["status"] == len(s)


@pytest.mark.parametrize(
    ("data", "kwargs", "match"),
    [
        ([1, 11, 5], {}, "not whole numbers 0-10"),
        ([1, 7.5, 5], {}, "not whole numbers 0-10"),
        (["ten", 9, 9], {}, "not numbers"),
        ([np.nan, np.nan], {}, "every answer is missing"),
        (pd.DataFrame({"score": []}), {}, "no answers"),
        (pd.DataFrame({"score": [9, 9], "w": [1, -1]}), {"weights": "w"}, "weights"),
        (pd.DataFrame({"rating": [9]}), {}, "score='score': no such column"),
        ([9, 9], {"interval": "exact"}, "interval='exact'"),
        ([9, 9], {"level": 95}, "level=95"),
        ([9, 9], {"level": "0.95"}, "level='0.95'.*strictly between 0 and 1"),
        ([True, False], {}, "not numbers"),
        ([9, 9], {"weights": [1, 2, 3]}, "got 3 weights for 2 answers"),
        ([9, 9], {"weights": "w"}, "weights='w': no such column"),
        (pd.DataFrame({"score": [9, 1], "w": [1, np.inf]}), {"weights": "w"}, "inf"),
        (pd.DataFrame({"score": [9, 1], "w": [0, 0]}), {"weights": "w"}, "sum to 0"),
        ([9, 9], {"min_n": 0}, "min_n=0: expected a whole number >= 1"),
        ([9, 1], {"interval": "bootstrap", "n_boot": 0}, "n_boot=0"),
        ({"a": 9}, {}, "survey: expected a DataFrame, Series, array or list"),
        (pd.DataFrame({"score": [9], "g": ["a"]}), {"by": 5}, "by=5: expected a column name"),
        ([9, 9], {"by": "persona"}, "by=.persona.: needs a DataFrame"),
    ],
)
def test_bad_input(data, kwargs, match):
    with pytest.raises(JourneyDataError, match=match):
        nps(data, **kwargs)


def test_missing_answers_are_dropped_with_a_count():
    with pytest.warns(JourneyWarning, match=r"2 of 204 rows have no value in \['score'\]"):
        row = nps([10, None, 9, np.nan] + [7] * 200).table.iloc[0]
    assert row.n == 202


@pytest.mark.parametrize("dtype", ["Int64", "Float64", object])
def test_nullable_missing_answers_are_not_passives(dtype):
    # pd.NA in a nullable column used to be counted as a passive (NPS 33.3 here, n = 6)
    scores = pd.Series([10, 9, 7, pd.NA, pd.NA, pd.NA], dtype=dtype)
    with pytest.warns(JourneyWarning, match="3 of 6 rows"):
        row = nps(pd.DataFrame({"score": scores})).table.iloc[0]
    assert (row.n, row.n_passives) == (3, 1)
    assert row.nps == pytest.approx(200 / 3)
    assert category(scores).isna().tolist() == [False] * 3 + [True] * 3


def test_a_missing_group_is_never_a_group():
    answers = pd.DataFrame({"score": [9, 9, 1, 5, 10], "g": ["a", None, "a", np.nan, "b"]})
    before = answers.copy()
    with pytest.warns(JourneyWarning, match=r"2 of 5 rows have no value in \['score', 'g'\]"):
        table = nps(answers, by="g").table
    pd.testing.assert_frame_equal(answers, before)  # the caller's frame is not changed
    assert table["g"].tolist() == ["a", "b"]
    assert table["n"].tolist() == [2, 1]


def test_trend_leaves_out_missing_dates_and_groups():
    survey = pd.DataFrame(
        {
            "score": [9, 10, 3, 8, 10],
            "date": ["2024-01-01", None, "2024-04-02", "2024-04-03", "2024-04-04"],
            "g": ["a", "a", "a", "a", None],
        }
    )
    with pytest.warns(JourneyWarning, match="nps_trend: 2 of 5 rows"):
        table = nps_trend(survey, by="g").table
    assert table["period"].notna().all()  # no 'NaT' wave
    assert table["n"].tolist() == [1, 2] and table["g"].tolist() == ["a", "a"]


@pytest.mark.parametrize(
    ("dates", "match"),
    [
        (["2024-01-01", "soon", "2024-01-02"], "time='date': 1 values are not dates"),
        ([1, 2, 3], "got numbers"),  # pandas would read them as nanoseconds after 1970
    ],
)
def test_trend_refuses_what_is_no_date(dates, match):
    with pytest.raises(JourneyDataError, match=match):
        nps_trend(pd.DataFrame({"score": [9, 9, 9], "date": dates}))


def test_nps_by_journey_checks_the_purchase_event_and_takes_lists():
    survey, events = jk.load_survey().head(300), jk.load_webshop()
    with pytest.raises(JourneyDataError, match="purchase='purchse'.*Did you mean 'purchase'"):
        nps_by_journey(survey, events, purchase="purchse")
    listed = nps_by_journey(survey, events, purchase=["purchase"])
    pd.testing.assert_frame_equal(listed, nps_by_journey(survey, events))


def test_nps_by_journey_without_answers_is_explained():
    survey = jk.load_survey().head(3).assign(customer_id=None)
    with pytest.warns(JourneyWarning, match="3 of 3 rows"):
        with pytest.raises(JourneyDataError, match="survey: no answers"):  # was IbisTypeError
            nps_by_journey(survey, jk.load_webshop())


def test_nps_by_journey_leaves_out_answers_it_cannot_place():
    survey = jk.load_survey().head(300).copy()
    survey.loc[survey.index[:2], "customer_id"] = None  # used to become customer 'None'
    survey.loc[survey.index[2], "date"] = None  # used to become 'no activity'
    with pytest.warns(JourneyWarning, match="nps_by_journey: 3 of 300 rows"):
        out = nps_by_journey(survey, jk.load_webshop())
    assert out.groupby("dimension")["n"].sum()["status"] == 297


def test_drivers_missing_text_and_degenerate_ratings():
    survey = pd.DataFrame(
        {"score": [9, 10, 3, 8, 5, 6, 7, 2] * 3, "d": [5, 4, 1, 4, 2, 3, 3, 1] * 3}
    ).astype(object)
    survey.loc[0, "d"] = None
    with pytest.warns(JourneyWarning, match="nps_drivers: 1 of 24 rows"):
        assert nps_drivers(survey, drivers=["d"]).n == 23
    survey.loc[1, "d"] = "good"  # used to be dropped silently
    with pytest.raises(JourneyDataError, match="drivers='d': 1 answers are not numbers"):
        nps_drivers(survey, drivers="d")
    flat = pd.DataFrame({"score": [9, 1, 5] * 5, "d": 3, "e": [1, 2, 3] * 5})
    with pytest.raises(JourneyDataError, match=r"\['d'\] have the same value"):
        nps_drivers(flat, drivers=["d", "e"])
    with pytest.raises(JourneyDataError, match="collinear"):
        nps_drivers(flat.assign(f=lambda d: 2 * d["e"]), drivers=["e", "f"])
    with pytest.raises(JourneyDataError, match="drivers=\\[\\]"):
        nps_drivers(flat, drivers=[])
    with pytest.raises(JourneyDataError, match="not whole numbers 0-10"):
        nps_drivers(flat.assign(score=11), drivers=["e"])


def test_nps_explorer_updates():
    box = jk.widgets.nps_explorer(jk.load_survey())
    box.controls["by"].value = "persona"
    box.controls["interval"].value = "wald"
    expected = nps(jk.load_survey(), by="persona", interval="wald").table
    pd.testing.assert_frame_equal(box.result.table, expected)
    print(f"nps_explorer update times (s): {[round(s, 3) for s in box.seconds]}")


def test_multi_column_groups_match_pandas():
    s = jk.load_survey()
    got = nps(s, by=["persona", "wave"]).table.set_index(["persona", "wave"])
    ref = s.assign(p=s["score"] >= 9, d=s["score"] <= 6).groupby(["persona", "wave"])
    expected = 100 * (ref["p"].mean() - ref["d"].mean())
    assert got["nps"].to_numpy() == pytest.approx(expected.loc[got.index].to_numpy())
    assert got["n"].to_numpy().tolist() == ref.size().loc[got.index].tolist()


def _two_groups(nps_b: int = 15):
    """Two groups of 400 answers: NPS 0 and ``nps_b``, intervals overlapping."""
    a = [10] * 160 + [8] * 80 + [3] * 160  # 40% promoters, 40% detractors: NPS 0
    promoters = 120 + 4 * nps_b  # of 400, with 120 detractors: NPS = nps_b
    b = [10] * promoters + [8] * (400 - promoters - 120) + [3] * 120
    return pd.DataFrame({"score": a + b, "g": ["a"] * 400 + ["b"] * 400}), a, b


def test_segment_conclusion_follows_the_test_not_overlapping_intervals():
    # The intervals overlap, yet the z-test of the difference (compare_nps) gives p = 0.015;
    # the conclusion used to say "their intervals overlap, so the groups may not truly differ".
    survey, a, b = _two_groups(15)
    res = nps(survey, by="g")
    t = res.table.set_index("g")
    assert t.loc["a", "nps_ci_high"] > t.loc["b", "nps_ci_low"]  # overlapping intervals
    test = compare_nps(b, a).iloc[0]
    assert test["p_value"] < 0.05
    pair = res.pairwise.iloc[0]
    assert pair["p_adjusted"] == pytest.approx(test["p_value"])  # one pair: Holm = raw
    assert "is statistically significant" in res.conclusion
    assert f"p = {test['p_value']:.2g}" in res.conclusion
    assert "overlap" not in res.conclusion
    close, _, _ = _two_groups(4)  # 4 points apart: p = 0.52
    reading = nps(close, by="g").conclusion
    assert "is not statistically significant" in reading


def test_pairwise_comparisons_are_compare_nps_with_holm():
    from statsmodels.stats.multitest import multipletests

    s = jk.load_survey()
    res = nps(s, by="wave")
    pairs = res.pairwise
    waves = res.table["wave"].tolist()
    assert len(pairs) == len(waves) * (len(waves) - 1) // 2
    for row in pairs.sample(5, random_state=1).itertuples():
        ref = compare_nps(s[s["wave"] == row.wave_a], s[s["wave"] == row.wave_b]).iloc[0]
        assert (row.diff, row.p_value) == pytest.approx((ref["diff"], ref["p_value"]))
        assert (row.diff_ci_low, row.diff_ci_high) == pytest.approx(
            (ref["diff_ci_low"], ref["diff_ci_high"])
        )
    holm = multipletests(pairs["p_value"], method="holm")[1]
    np.testing.assert_allclose(pairs["p_adjusted"], holm)
    assert "0 of 28 pairs of groups differ" in res.conclusion


@pytest.mark.parametrize("freq", ["D", "W", "M", "Q", "Y"])
def test_trend_periods_are_calendar_periods(freq):
    s = jk.load_survey()
    table = nps_trend(s, freq=freq).table
    # reference: pandas' calendar periods (weeks from Monday), started in UTC
    alias = {"D": "D", "W": "W-SUN", "M": "M", "Q": "Q", "Y": "Y"}[freq]
    stamps = pd.to_datetime(s["date"], utc=True).dt.tz_localize(None)
    starts = stamps.dt.to_period(alias).dt.start_time.dt.tz_localize("UTC")
    counts = starts.value_counts().sort_index()
    assert table["period"].tolist() == counts.index.tolist()
    assert table["n"].tolist() == counts.tolist()
    if freq == "W":
        assert (table["period"].dt.dayofweek == 0).all()


def test_plots_have_one_scale_per_axis_and_read_like_a_report():
    import matplotlib.pyplot as plt

    s = jk.load_survey()
    res = nps(s, by="persona")
    fig, ax = plt.subplots()
    assert res.plot(ax=ax) is ax
    nps_axis, shares = fig.axes
    assert nps_axis.get_xlim() == (-100, 100) and nps_axis.get_xlabel() == "NPS (-100 to 100)"
    assert shares.get_xlim() == (0, 100) and shares.get_xlabel() == "share of answers (%)"
    assert "95% interval (adjusted Wald)" in nps_axis.get_title()
    trend = nps_trend(s, freq="Q", by="persona")
    ax = trend.plot()
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[0] == "2023-Q1" and len(labels) <= 12
    assert ax.get_ylabel() == "NPS (-100 to 100)" and ax.get_title()
    assert "the latest change" in trend.conclusion
