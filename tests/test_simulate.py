"""The simulator: deterministic per seed, canonical output, and its data recovers its truth.

Tolerances: every observed rate must lie within 4 binomial (or exponential) standard
errors of the true value, so a correct simulator fails with probability < 1e-4 per check.
"""

import numpy as np
import pandas as pd
import pytest

from journeykit import JourneyDataError, read_events
from journeykit.simulate import PERSONAS, promotions, webshop


@pytest.fixture(scope="module")
def sim():
    return webshop(40_000, seed=11)


def within(observed, expected, se, k=4.0):
    assert abs(observed - expected) <= k * se, (observed, expected, se)


def test_deterministic_per_seed():
    a, b, c = webshop(800, seed=3), webshop(800, seed=3), webshop(800, seed=4)
    pd.testing.assert_frame_equal(a.events, b.events)
    pd.testing.assert_frame_equal(a.survey, b.survey)
    assert a.truth == b.truth
    assert not a.events["timestamp"].equals(c.events["timestamp"])


def test_events_are_canonical(sim):
    ev = sim.events
    # the same values (read_events gives Arrow-backed text where the simulator has objects)
    pd.testing.assert_frame_equal(read_events(ev, duplicates="raise"), ev, check_dtype=False)
    assert ev["timestamp"].max() < pd.Timestamp("2025-01-01", tz="UTC")
    buys = ev[ev["event"] == "purchase"]
    assert buys["revenue"].gt(0).all() and buys["order_id"].notna().all()
    assert ev.loc[ev["event"] != "purchase", "revenue"].isna().all()
    assert set(ev["channel"]) == set(sim.truth["channels"])


def test_stage_conversion_matches_truth(sim):
    ev, customers = sim.events, sim.customers
    early = customers[customers["first_visit"] < pd.Timestamp("2024-09-01", tz="UTC")]
    first = ev[ev["stage"].isin(["consideration", "decision", "purchase"])]
    considered = set(first.loc[first["stage"] == "consideration", "customer_id"])
    bought = set(ev.loc[ev["stage"] == "purchase", "customer_id"])
    for persona in PERSONAS:
        ids = early.loc[early["persona"] == persona, "customer_id"]
        truth = sim.truth["stage_conversion"][persona]
        for observed_set, key in (
            (considered, "consideration_given_awareness"),
            (bought, "purchase_given_awareness"),
        ):
            p = truth[key]
            within(ids.isin(observed_set).mean(), p, np.sqrt(p * (1 - p) / len(ids)))


def test_ab_test_rates_match_truth(sim):
    truth = sim.truth["ab_test"]
    for variant, key in (("control", "control_rate"), ("treatment", "treatment_rate")):
        arm = sim.assignments[sim.assignments["variant"] == variant]
        for persona in PERSONAS:
            x = arm.loc[arm["persona"] == persona, "converted"]
            p = truth[key][persona]
            within(x.mean(), p, np.sqrt(p * (1 - p) / len(x)))
    assert truth["relative_lift"] == pytest.approx(
        truth["absolute_lift"] / truth["control_rate"]["overall"]
    )


def test_lifetimes_follow_the_true_hazard(sim):
    c = sim.customers.dropna(subset=["true_lifetime_days"])
    for persona in PERSONAS:
        for segment in ("B2C", "B2B"):
            life = c.loc[
                (c["persona"] == persona) & (c["segment"] == segment), "true_lifetime_days"
            ]
            rate = 1 / life.mean()  # exponential MLE, se = rate / sqrt(n)
            h = sim.truth["churn_hazard_per_day"][persona][segment]
            within(rate, h, h / np.sqrt(len(life)))


def test_nps_per_persona_matches_truth(sim):
    s = sim.survey
    assert s["score"].between(0, 10).all()
    for persona in PERSONAS:
        score = s.loc[s["persona"] == persona, "score"]
        t = sim.truth["nps"][persona]
        pp, pd_ = t["p_promoter"], t["p_detractor"]
        se = 100 * np.sqrt((pp + pd_ - (pp - pd_) ** 2) / len(score))
        nps = 100 * ((score >= 9).mean() - (score <= 6).mean())
        within(nps, t["overall"], se)


def test_seasonality_and_promotions(sim):
    arrivals = sim.customers["first_visit"].dt.floor("D").value_counts()
    promos = promotions(pd.Timestamp("2023-01-01", tz="UTC"), pd.Timestamp("2024-12-31", tz="UTC"))
    inside = np.zeros(len(arrivals), dtype=bool)
    for row in promos.itertuples():
        inside |= (arrivals.index >= row.start) & (arrivals.index < row.end)
    assert arrivals[inside].mean() > 2 * arrivals[~inside].mean()
    assert set(promos["name"]) == {"summer_sale", "black_friday", "december"}
    # Black Friday 2024 was on 29 November
    bf = promos[(promos["name"] == "black_friday") & (promos["start"].dt.year == 2024)]
    assert bf["start"].iloc[0] == pd.Timestamp("2024-11-25", tz="UTC")


def test_b2b_accounts_have_several_stakeholders(sim):
    b2b = sim.customers[sim.customers["segment"] == "B2B"]
    assert b2b["account_id"].notna().all()
    assert b2b.groupby("account_id").size().mean() > 1.5
    assert sim.customers.loc[sim.customers["segment"] == "B2C", "account_id"].isna().all()


def test_journeys_loop_through_channels(sim):
    per_customer = sim.events.groupby("customer_id")["channel"].nunique()
    assert (per_customer >= 3).mean() > 0.05


def test_bad_arguments():
    with pytest.raises(JourneyDataError, match="n_customers=0"):
        webshop(0)
    with pytest.raises(JourneyDataError, match="must be after start"):
        webshop(10, start="2024-01-01", end="2023-01-01")
