"""Funnels: hand-built logs for every rule, a brute-force reference on random logs
(hypothesis), the simulator's true stage conversions, chi-square against statsmodels, and
bad input."""

import ibis
import numpy as np
import pandas as pd
import pytest
from conftest import make_events
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import journeykit as jk
from journeykit import JourneyDataError, JourneyWarning, _engine, funnels
from journeykit.funnels import _reached, funnel, stage_funnel, time_to_convert

STEPS = ["view", "cart", "buy"]


def _n(result):
    return result.table["n"].tolist()


def test_window_edge_is_inclusive():
    ev = make_events(
        [
            ("a", "2024-01-01 10:00", "view"),
            ("a", "2024-01-08 10:00", "cart"),  # exactly 7 days: counts
            ("b", "2024-01-01 10:00", "view"),
            ("b", "2024-01-08 10:01", "cart"),  # one minute over
        ]
    )
    assert _n(funnel(ev, ["view", "cart"], window="7D")) == [2, 1]
    assert _n(funnel(ev, ["view", "cart"], window="8D")) == [2, 2]


def test_strict_needs_sequence_any_does_not():
    ev = make_events(
        [
            ("a", "2024-01-01 10:00", "cart"),
            ("a", "2024-01-01 11:00", "view"),
            ("a", "2024-01-01 12:00", "buy"),
        ]
    )
    assert _n(funnel(ev, STEPS, step_order="strict")) == [1, 0, 0]
    assert _n(funnel(ev, STEPS, step_order="any")) == [1, 1, 1]
    # other events between steps are allowed; same instant counts as 'at or after'
    ev2 = make_events(
        [
            ("a", "2024-01-01 10:00", "view"),
            ("a", "2024-01-01 10:00", "cart"),
            ("a", "2024-01-01 10:05", "page"),
            ("a", "2024-01-01 10:10", "buy"),
        ]
    )
    assert _n(funnel(ev2, STEPS)) == [1, 1, 1]


def test_repeated_attempts_furthest_then_earliest():
    ev = make_events(
        [
            ("a", "2024-01-01 10:00", "view"),  # attempt 1: cart only after 10 days
            ("a", "2024-01-20 10:00", "view"),  # attempt 2: cart after 1 h, buy after 2 h
            ("a", "2024-01-20 11:00", "cart"),
            ("a", "2024-01-20 12:00", "buy"),
            ("a", "2024-02-01 10:00", "view"),  # attempt 3: also complete, but later
            ("a", "2024-02-01 13:00", "cart"),
            ("a", "2024-02-01 14:00", "buy"),
        ]
    )
    res = funnel(ev, STEPS, window="2D")
    assert _n(res) == [1, 1, 1]  # counted once per step
    assert res.table["time_median_days"].tolist()[1:] == [pytest.approx(1 / 24)] * 2
    per = _engine.to_pandas(_reached(ev, STEPS, window="2D")[0])
    assert per.loc[0, "t1"] == pd.Timestamp("2024-01-20 10:00", tz="UTC")


def test_time_quartiles_per_group_equal_pandas_quantiles():
    # reference: pandas' linear-interpolation quantile (R type 7, as DuckDB's
    # quantile_cont) of each credited attempt's time since the previous step, per channel
    sim = jk.simulate.webshop(400, seed=6)
    steps = ["page_view", "product_view", "add_to_cart", "purchase"]
    got = funnel(sim.events, steps, window="7D", by="channel").table
    per = _engine.to_pandas(_reached(sim.events, steps, window="7D")[0])
    first = sim.events.sort_values(["timestamp", "event"]).drop_duplicates("customer_id")
    per = per.merge(first[["customer_id", "channel"]], on="customer_id")
    checked = 0
    for (channel, k), row in got.set_index(["channel", "step_number"]).iterrows():
        part = per[(per["channel"] == channel) & (per["reach"] >= k)]
        if k == 1 or part.empty:
            assert pd.isna(row["time_median_days"])
            continue
        seconds = (part[f"t{k}"] - part[f"t{k - 1}"]).dt.total_seconds()
        quartiles = {"time_q1_days": 0.25, "time_median_days": 0.5, "time_q3_days": 0.75}
        for name, q in quartiles.items():
            assert row[name] * 86_400 == pytest.approx(seconds.quantile(q), abs=1e-6)
            checked += 1
    assert checked >= 30


def _tied_first_channels():
    # a: two channels at its first instant -> the smallest ('ads'); b: a missing channel
    # and 'seo' at its first instant -> 'seo'
    return make_events(
        [
            ("a", "2024-01-01 10:00", "view"),
            ("a", "2024-01-01 10:00", "cart"),
            ("b", "2024-01-01 10:00", "view"),
            ("b", "2024-01-01 10:00", "view"),
            ("b", "2024-01-01 11:00", "cart"),
        ]
    ).assign(channel=["seo", "ads", None, "seo", "ads"])


def test_by_event_column_breaks_ties_at_the_first_instant_the_same_way():
    ev = _tied_first_channels()
    tables = [
        funnel(ev.iloc[order].reset_index(drop=True), ["view", "cart"], by="channel").table
        for order in ([0, 1, 2, 3, 4], [4, 3, 2, 1, 0], [1, 3, 0, 2, 4])
    ]
    for table in tables[1:]:
        pd.testing.assert_frame_equal(table, tables[0])
    first = tables[0][tables[0]["step_number"] == 1].set_index("channel")["n"]
    assert first.to_dict() == {"ads": 1, "seo": 1}


@pytest.mark.spark
def test_ties_at_the_first_instant_on_pyspark(spark, tmp_path):
    ev = _tied_first_channels()
    ev.to_parquet(tmp_path / "tied.parquet")
    lazy = ibis.pyspark.connect(spark).read_parquet(str(tmp_path / "tied.parquet"))
    here = funnel(ev, ["view", "cart"], by="channel").table
    pd.testing.assert_frame_equal(funnel(lazy, ["view", "cart"], by="channel").table, here)


def test_sets_of_names_and_drop_off():
    ev = make_events(
        [
            ("a", "2024-01-01 10:00", "view"),
            ("a", "2024-01-01 10:10", "ideal_paid"),
            ("b", "2024-01-01 10:00", "view"),
            ("b", "2024-01-01 10:10", "card_paid"),
            ("c", "2024-01-01 10:00", "view"),
        ]
    )
    res = funnel(ev, ["view", {"ideal_paid", "card_paid"}])
    assert res.table["step"].tolist() == ["view", "card_paid | ideal_paid"]
    assert _n(res) == [3, 2]
    assert res.table["n_dropped"].tolist() == [0, 1]
    assert res.table["drop_off"].tolist() == [0, pytest.approx(1 / 3)]
    # Wilson interval of 2/3, as statsmodels.stats.proportion.proportion_confint(2, 3,
    # method='wilson') = (0.20766, 0.93851) (R: prop.test(2, 3, correct=FALSE)$conf.int)
    row = res.table.iloc[1]
    assert row["conversion_ci_low"] == pytest.approx(0.20766, abs=1e-5)
    assert row["conversion_ci_high"] == pytest.approx(0.93851, abs=1e-5)


def test_exclusion_voids_from_the_later_step():
    ev = make_events(
        [
            ("a", "2024-01-01 10:00", "view"),
            ("a", "2024-01-01 10:10", "cart"),
            ("a", "2024-01-01 10:20", "cart_emptied"),  # between cart and buy: void buy
            ("a", "2024-01-01 10:30", "buy"),
            ("b", "2024-01-01 10:00", "view"),
            ("b", "2024-01-01 10:05", "cart_emptied"),  # before cart: not between 2 and 3
            ("b", "2024-01-01 10:10", "cart"),
            ("b", "2024-01-01 10:30", "buy"),
        ]
    )
    assert _n(funnel(ev, STEPS)) == [2, 2, 2]
    assert _n(funnel(ev, STEPS, exclude={"cart_emptied": (2, 3)})) == [2, 2, 1]
    assert _n(funnel(ev, STEPS, exclude="cart_emptied")) == [2, 2, 0]
    # a later attempt without the exclusion still converts
    ev2 = pd.concat(
        [
            ev,
            make_events(
                [
                    ("a", "2024-01-02 10:00", "view"),
                    ("a", "2024-01-02 10:10", "cart"),
                    ("a", "2024-01-02 10:30", "buy"),
                ]
            ),
        ],
        ignore_index=True,
    )
    assert _n(funnel(ev2, STEPS, exclude={"cart_emptied": (2, 3)})) == [2, 2, 2]


def test_exclusion_in_plain_json_form():
    # a notebook parameter from YAML/JSON has lists, never tuples: {"e": [i, j]} and
    # [[e, i, j], ...] mean {"e": (i, j)}; the event of a triple may be a list of names
    ev = make_events(
        [
            ("a", "2024-01-01 10:00", "view"),
            ("a", "2024-01-01 10:10", "cart"),
            ("a", "2024-01-01 10:20", "cart_emptied"),
            ("a", "2024-01-01 10:30", "buy"),
            ("b", "2024-01-01 10:00", "view"),
            ("b", "2024-01-01 10:05", "page"),
            ("b", "2024-01-01 10:10", "cart"),
            ("b", "2024-01-01 10:30", "buy"),
        ]
    )
    expected = _n(funnel(ev, STEPS, exclude={"cart_emptied": (2, 3)}))
    assert expected == [2, 2, 1]
    assert _n(funnel(ev, STEPS, exclude={"cart_emptied": [2, 3]})) == expected
    assert _n(funnel(ev, STEPS, exclude=[["cart_emptied", 2, 3]])) == expected
    assert _n(funnel(ev, STEPS, exclude=[("cart_emptied", 2, 3)])) == expected
    both = [["cart_emptied", 2, 3], ["page", 1, 2]]
    assert _n(funnel(ev, STEPS, exclude=both)) == [2, 1, 0]
    # either event between steps 1 and 3 voids step 3 (a list of names as the event)
    assert _n(funnel(ev, STEPS, exclude=[[["cart_emptied", "page"], 1, 3]])) == [2, 2, 0]
    # a plain list of names is still "between step 1 and the last step"
    assert _n(funnel(ev, STEPS, exclude=["cart_emptied", "page"])) == [2, 2, 0]
    ttc = time_to_convert(ev, "view", "buy", exclude=[["page", 1, 2]])
    assert ttc.table["n"].tolist() == [1]
    for bad, match in (
        ([["cart_emptied", 2]], r"\['cart_emptied', 2\] is not an \[event, i, j\] triple"),
        ([["cart_emptied", 3, 2]], r"\(3, 2\) for \('cart_emptied',\) is not a pair"),
        ([["cart_emptied", True, 3]], "is not a pair of step numbers"),
        ({"cart_emptied": [2, 3, 4]}, r"\[2, 3, 4\] for .* is not a pair"),
        ([["crt", 1, 2]], "exclude='crt': no such event.*Did you mean 'cart'"),
        (["cart_emptied", ["page", 1, 2]], "'cart_emptied' is not an \\[event, i, j\\]"),
    ):
        with pytest.raises(JourneyDataError, match=match):
            funnel(ev, STEPS, exclude=bad)


def test_units_and_start_end():
    ev = make_events(
        [
            ("a", "2024-01-01 10:00", "view"),
            ("a", "2024-01-01 10:10", "cart"),
            ("a", "2024-01-03 10:00", "view"),
            ("b", "2024-01-05 10:00", "view"),
            ("b", "2024-01-05 10:05", "cart"),
        ]
    )
    sessions = jk.sessionize(ev)
    assert _n(funnel(sessions, ["view", "cart"], unit="session")) == [3, 2]
    assert _n(funnel(ev, ["view", "cart"], start="2024-01-02")) == [2, 1]
    # an attempt starting before end keeps its whole window
    assert _n(funnel(ev, ["view", "cart"], end="2024-01-05 10:01")) == [2, 2]
    accounts = ev.assign(account_id="acme")
    assert _n(funnel(accounts, ["view", "cart"], unit="account")) == [1, 1]


def test_by_breakdown_and_chi_square_against_statsmodels(rng):
    from statsmodels.stats.proportion import proportions_chisquare

    rows = []
    rates = {"x": 0.2, "y": 0.5, "z": 0.35}
    for group, rate in rates.items():
        for i in range(200):
            rows.append((f"{group}{i}", "2024-01-01 10:00", "view", group))
            if rng.random() < rate:
                rows.append((f"{group}{i}", "2024-01-01 11:00", "cart", group))
    ev = pd.DataFrame(rows, columns=["customer_id", "timestamp", "event", "channel"])
    ev["timestamp"] = pd.to_datetime(ev["timestamp"], utc=True)
    before = ev.copy()
    res = funnel(ev, ["view", "cart"], by="channel")
    pd.testing.assert_frame_equal(ev, before)
    carts = res.table[res.table["step"] == "cart"]
    chi2, p, _ = proportions_chisquare(carts["n"].to_numpy(), np.full(3, 200))
    assert res.tests.loc[0, "statistic"] == pytest.approx(chi2)
    assert res.tests.loc[0, "p_value"] == pytest.approx(p)
    assert res.tests.loc[0, "dof"] == 2
    assert res.plot() is not None


def _brute_reach(rows, n, window, order):
    """Reference: the furthest step any attempt can reach, by trying every chain."""
    steps = [(t, s) for t, s in rows if s > 0]
    best = 0
    if order == "any":
        for t0, _ in steps:
            inside = {s for t, s in steps if t0 <= t <= t0 + window}
            reach = 0
            while reach + 1 in inside:
                reach += 1
            best = max(best, reach)
        return best
    for t0, s0 in steps:
        if s0 != 1:
            continue
        reach, frontier = 1, [t0]
        for k in range(2, n + 1):
            frontier = [
                t for t, s in steps if s == k and t <= t0 + window and any(t >= f for f in frontier)
            ]
            if not frontier:
                break
            reach = k
        best = max(best, reach)
    return best


def _greedy(rows, t0, n, window, exclude):
    """Reference for one strict attempt from ``t0``, in plain Python: each step matched to
    the first event of it at or after the previous step; returns (reach, matched times).
    ``exclude`` is (i, j) for the exclusion event (code -1), or None."""
    times = [t0]
    for k in range(2, n + 1):
        later = [t for t, s in rows if s == k and t >= times[-1]]
        if not later:
            break
        times.append(min(later))
    reach = 1
    for k in range(2, len(times) + 1):
        if times[k - 1] > t0 + window:
            break
        if exclude is not None and exclude[1] == k:
            start, stop = times[exclude[0] - 1], times[k - 1]
            if any(start <= t < stop for t, s in rows if s == -1):
                break
        reach = k
    return reach, times


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.lists(
        st.tuples(st.sampled_from("aab"), st.integers(0, 10), st.sampled_from("vcbx")),
        min_size=1,
        max_size=18,
    ),
    window=st.integers(1, 6),
    order=st.sampled_from(["strict", "any"]),
    exclude=st.sampled_from([None, (1, 2), (1, 3), (2, 3)]),
)
def test_reach_matches_brute_force(data, window, order, exclude):
    if order == "any":
        exclude = None
    names = {"v": "view", "c": "cart", "b": "buy", "x": "other"}
    ev = pd.DataFrame(
        {
            "customer_id": [c for c, _, _ in data],
            "timestamp": pd.Timestamp("2024-01-01", tz="UTC")
            + pd.to_timedelta([h for _, h, _ in data], unit="h"),
            "event": [names[e] for _, _, e in data],
        }
    )
    # customer z does every step (and the other event) once, so every name occurs
    z = make_events([("z", "2024-01-01 00:00", e) for e in [*STEPS, "other"]])[ev.columns]
    ev = pd.concat([ev, z], ignore_index=True)
    options = {"window": f"{window}h", "step_order": order}
    if exclude is not None:
        options["exclude"] = {"other": exclude}
    per = _engine.to_pandas(_reached(ev, STEPS, **options)[0]).set_index("customer_id")
    code = {"view": 1, "cart": 2, "buy": 3, "other": -1}
    width = pd.Timedelta(hours=window)
    for customer, part in ev.groupby("customer_id"):
        rows = [(h, code[e]) for h, e in zip(part["timestamp"], part["event"])]
        got = per["reach"].get(customer, 0)
        if exclude is None:
            assert got == _brute_reach(rows, 3, width, order), (customer, rows)
        if order == "any":
            continue
        attempts = [_greedy(rows, t, 3, width, exclude) for t, s in sorted(rows) if s == 1]
        if not attempts:
            assert got == 0
            continue
        best = max(reach for reach, _ in attempts)
        times = next(times for reach, times in attempts if reach == best)  # the earliest
        assert got == best, (customer, rows)
        credited = [per.loc[customer, f"t{k}"] for k in range(1, best + 1)]
        assert credited == times[:best], (customer, rows)


def test_stage_conversion_matches_the_simulator():
    sim = jk.simulate.webshop(20_000, seed=5)
    personas = sim.customers[["customer_id", "persona"]]
    # Attempts before the checkout experiment (which raises purchase_given_checkout).
    res = stage_funnel(sim.events, window="3650D", by=personas, end=sim.truth["ab_test"]["start"])
    truth = sim.truth["stage_conversion"]
    for persona, part in res.table.groupby("persona"):
        t = truth[persona]
        want = {
            "consideration": t["consideration_given_awareness"],
            "decision": t["decision_given_consideration"],
            "purchase": t["checkout_given_cart"] * t["purchase_given_checkout"],
        }
        for row in part[part["step"].isin(list(want))].itertuples():
            assert row.step_conversion_ci_low <= want[row.step] <= row.step_conversion_ci_high, row


def test_time_to_convert():
    ev = make_events(
        [
            ("a", "2024-01-01 10:00", "view"),
            ("a", "2024-01-01 12:00", "cart"),
            ("b", "2024-01-01 10:00", "view"),
            ("b", "2024-01-01 16:00", "cart"),
            ("c", "2024-01-01 10:00", "view"),
        ]
    )
    res = time_to_convert(ev, "view", "cart")
    assert res.table.loc[0, "n"] == 2
    assert res.table.loc[0, "time_median_days"] == pytest.approx(4 / 24)  # 2 h and 6 h
    assert sorted(res.times["time_days"]) == [pytest.approx(2 / 24), pytest.approx(6 / 24)]
    assert res.plot() is not None


def test_bad_input():
    ev = make_events([("a", "2024-01-01 10:00", "view"), ("a", "2024-01-01 11:00", "cart")])
    with pytest.raises(JourneyDataError, match="'veiw'.*Did you mean 'view'.*Known events"):
        funnel(ev, ["veiw", "cart"])
    with pytest.raises(JourneyDataError, match="needs 2 to 50"):
        funnel(ev, ["view"])
    with pytest.raises(JourneyDataError, match="needs 2 to 50"):
        funnel(ev, [f"e{k}" for k in range(51)])
    with pytest.raises(JourneyDataError, match="steps="):
        funnel(ev, "view")
    for window in ("-1D", 0, "soon"):
        with pytest.raises(JourneyDataError, match="window="):
            funnel(ev, ["view", "cart"], window=window)
    with pytest.raises(JourneyDataError, match="sessionize"):
        funnel(ev, ["view", "cart"], unit="session")
    with pytest.raises(JourneyDataError, match="by"):
        funnel(ev, ["view", "cart"], by="persona")
    with pytest.raises(JourneyDataError, match="needs step_order='strict'"):
        funnel(ev, ["view", "cart"], step_order="any", exclude="cart")
    with pytest.raises(JourneyDataError, match="exclude"):
        funnel(ev, ["view", "cart"], exclude={"cart": (2, 1)})
    with pytest.raises(JourneyDataError, match="step_order='loose' is not supported"):
        funnel(ev, ["view", "cart"], step_order="loose")
    with pytest.raises(JourneyDataError, match="one step only"):
        funnel(ev, ["view", {"view", "cart"}])


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"start": "2024-02-01", "end": "2024-01-01"}, "end=2024-01-01 00:00: expected a time"),
        ({"start": "2024-01-01", "end": "2024-01-01"}, "after start=2024-01-01 00:00"),
        ({"start": "2025-01-01"}, "no customer has an event of the first step \\('view'\\) st"),
        ({"end": "2023-01-01"}, "starting in \\[start=None, end='2023-01-01'\\).*Fix:"),
        ({"window": float("inf")}, "window=inf: expected a finite"),
        ({"window": 7}, "window=7: a duration needs a unit.*Did you mean '7D'"),
        ({"level": "high"}, "level='high': expected a number strictly between 0 and 1.*Fix:"),
        ({"level": 1.0}, "level=1.0"),
        ({"exclude": 5}, "exclude=5: expected an event name"),
        ({"exclude": []}, "exclude=\\[\\]: expected at least one"),
        ({"exclude": {"crt": (1, 2)}}, "exclude='crt': no such event.*Did you mean 'cart'"),
        ({"by": pd.DataFrame({"customer_id": ["a"], "step": ["x"]})}, "got 'step', the name"),
        ({"by": "reach"}, "got 'reach', the name of a column"),
    ],
)
def test_funnel_parameters_are_checked(options, match):
    ev = make_events([("a", "2024-01-01 10:00", "view"), ("a", "2024-01-01 11:00", "cart")])
    with pytest.raises(JourneyDataError, match=match):
        funnel(ev.assign(reach="r"), ["view", "cart"], **options)


def _persona_log():
    rows = []
    for i in range(6):
        rows += [(f"c{i}", "2024-01-01 10:00", "view"), (f"c{i}", "2024-01-01 12:00", "cart")]
    channels = ["seo", "seo", "ads", "ads", None, None, "seo", "seo", "ads", "ads", None, "ads"]
    return make_events(rows).assign(channel=channels)


@pytest.mark.parametrize("missing", [None, np.nan, pd.NA])
def test_missing_breakdown_values_are_left_out_with_a_warning(missing):
    ev = _persona_log()
    attrs = pd.DataFrame({"customer_id": ["c0", "c1", "c2", "c3"], "persona": ["x", missing] * 2})
    before = ev.copy(), attrs.copy()
    rows, units = "by: 2 of 4 rows have no value", "by: 4 of 6 customers are not in the by frame"
    with pytest.warns(JourneyWarning, match=rows), pytest.warns(JourneyWarning, match=units):
        res = funnel(ev, ["view", "cart"], by=attrs)
    assert res.table["persona"].tolist() == ["x", "x"] and _n(res) == [2, 2]
    with pytest.warns(JourneyWarning, match=rows), pytest.warns(JourneyWarning, match=units):
        ttc = time_to_convert(ev, "view", "cart", by=attrs)
    assert ttc.table["n"].tolist() == [2] and ttc.times["persona"].notna().all()
    pd.testing.assert_frame_equal(ev, before[0])  # nothing the user passed is mutated
    pd.testing.assert_frame_equal(attrs, before[1])
    # an event column: c4 and c5 have no channel at their first event
    with pytest.warns(JourneyWarning, match="by: 2 of 6 customers have no \\['channel'\\] value"):
        res = funnel(ev, ["view", "cart"], by="channel")
    assert res.table.groupby("channel")["n"].first().to_dict() == {"ads": 2, "seo": 2}
    with pytest.warns(JourneyWarning, match="2 of 6 customers have no"):
        stages = stage_funnel(ev, stages={"view": "awareness", "cart": "decision"}, by="channel")
    assert stages.table["channel"].notna().all()


def test_time_to_convert_with_customers_missing_from_the_frame():
    # the only converter is missing from the frame: this used to raise a raw unstack error
    ev = make_events(
        [
            ("a", "2024-01-01 10:00", "view"),
            ("a", "2024-01-01 12:00", "cart"),
            ("b", "2024-01-01 10:00", "view"),
        ]
    )
    attrs = pd.DataFrame({"customer_id": ["b"], "persona": ["x"]})
    with (
        pytest.warns(JourneyWarning, match="1 of 2 customers are not in the by frame"),
        pytest.raises(JourneyDataError, match="to_step='cart': no customer with a by group"),
    ):
        time_to_convert(ev, "view", "cart", by=attrs)


@pytest.mark.parametrize(
    ("args", "options", "match"),
    [
        (("veiw", "cart"), {}, "^from_step: 'veiw' is not an event.*Did you mean 'view'"),
        (("view", "crt"), {}, "^to_step: 'crt' is not an event.*Did you mean 'cart'"),
        (("view", 5), {}, "^to_step: step 5 is not a name"),
        (("view", "cart"), {"start": "2024-02-01", "end": "2024-01-01"}, "^end=2024-01-01"),
        (("view", "cart"), {"start": "2025-01-01"}, "^from_step='view': no customer has such"),
        (("view", "cart"), {"window": "1min"}, "^to_step='cart': no customer went from"),
        (("view", "cart"), {"window": 30}, "window=30: a duration needs a unit"),
        (("view", "cart"), {"exclude": "crt"}, "^exclude='crt': no such event"),
    ],
)
def test_time_to_convert_parameters_are_checked(args, options, match):
    ev = make_events([("a", "2024-01-01 10:00", "view"), ("a", "2024-01-01 11:00", "cart")])
    with pytest.raises(JourneyDataError, match=match):
        time_to_convert(ev, *args, **options)


def test_stage_funnel_parameters_are_checked():
    ev = make_events([("a", "2024-01-01 10:00", "view"), ("a", "2024-01-01 11:00", "cart")])
    mapping = {"view": "awareness", "cart": "decision"}
    assert _n(stage_funnel(ev, stages=mapping, steps=["awareness", "decision"])) == [1, 1]
    with pytest.raises(JourneyDataError, match="steps='decison'.*Did you mean 'decision'"):
        stage_funnel(ev, stages=mapping, steps=["awareness", "decison"])
    with pytest.raises(JourneyDataError, match="steps: a funnel needs at least two stages"):
        stage_funnel(ev, stages={"view": "awareness"})
    with pytest.raises(JourneyDataError, match="steps: a funnel needs at least two"):
        stage_funnel(ev, stages=mapping, steps="awareness")
    with pytest.raises(JourneyDataError, match="no 'stage' column.*Fix: pass stages="):
        stage_funnel(ev)
    with pytest.raises(JourneyDataError, match="events: expected a pandas DataFrame"):
        stage_funnel([1, 2], stages=mapping)
    # every option of funnel() is a parameter of its own, passed through
    res = stage_funnel(ev, stages=mapping, window="30min", step_order="any", level=0.9)
    assert _n(res) == [1, 0] and res.step_order == "any"


def test_awkward_but_valid_funnels():
    instant = make_events([("a", "2024-01-01", "view"), ("a", "2024-01-01", "cart")])
    res = funnel(instant, ["view", "cart"])
    assert _n(res) == [1, 1] and res.table.loc[1, "time_median_days"] == 0.0
    only = make_events([("a", "2024-01-01", "purchase"), ("b", "2024-01-02", "purchase")])
    with pytest.raises(JourneyDataError, match="'view' is not an event.*purchase"):
        funnel(only, ["view", "purchase"])
    empty = instant.iloc[:0]
    with pytest.raises(JourneyDataError, match="events: expected events; the data holds none"):
        funnel(empty, ["view", "cart"])


def test_small_groups_warn():
    ev = make_events(
        [
            ("a", "2024-01-01 10:00", "view"),
            ("a", "2024-01-01 11:00", "cart"),
            ("b", "2024-01-01 10:00", "view"),
        ]
    ).assign(channel=["x", "x", "y"])
    with pytest.warns(JourneyWarning, match="expected counts below 5"):
        funnel(ev, ["view", "cart"], by="channel")


@pytest.mark.spark
def test_same_result_on_pyspark(shop_on_spark):
    events, lazy = shop_on_spark
    steps = ["page_view", "product_view", "add_to_cart", "purchase"]
    for order in ("strict", "any"):
        here = funnel(events, steps, window="7D", step_order=order, by="channel").table
        there = funnel(lazy, steps, window="7D", step_order=order, by="channel").table
        pd.testing.assert_frame_equal(here, there, check_dtype=False)


@pytest.mark.spark
def test_missing_breakdown_values_left_out_the_same_way_on_pyspark(shop_on_spark):
    events, lazy = shop_on_spark
    ids = sorted(events["customer_id"].unique())
    attrs = pd.DataFrame({"customer_id": ids[:200], "persona": (["x", "y", None] * 70)[:200]})
    steps = ["page_view", "product_view", "add_to_cart"]
    tables = []
    for data in (events, lazy):
        with (
            pytest.warns(JourneyWarning, match="rows have no value"),
            pytest.warns(JourneyWarning, match="customers are not in the by frame"),
        ):
            tables.append(funnel(data, steps, window="7D", by=attrs).table)
    pd.testing.assert_frame_equal(tables[0], tables[1], check_dtype=False)
    assert set(tables[0]["persona"]) == {"x", "y"}


def test_lazy_input_equals_pandas_input():
    sim = jk.simulate.webshop(300, seed=2)
    steps = ["page_view", "product_view", "add_to_cart", "purchase"]
    for exclude in (None, {"page_view": (3, 4)}):
        a = funnel(sim.events, steps, window="7D", exclude=exclude).table
        b = funnel(ibis.memtable(sim.events), steps, window="7D", exclude=exclude).table
        pd.testing.assert_frame_equal(a, b)


@pytest.mark.filterwarnings("ignore::journeykit.JourneyWarning")  # small groups' chi-square
def test_repeated_funnel_equals_funnel_and_keeps_the_window_free_work(monkeypatch):
    # the explorer's runner keeps the attempts and the breakdown between calls; its
    # tables must equal funnel()'s for every window, breakdown, unit and order
    sim = jk.simulate.webshop(400, seed=5)
    events = jk.sessionize(sim.events)
    persona = sim.customers[["customer_id", "persona"]]
    made = []
    real = funnels._attempts
    monkeypatch.setattr(funnels, "_attempts", lambda *a, **k: made.append(1) or real(*a, **k))
    run = funnels.funnel_runner(events)
    steps = ["page_view", "product_view", "add_to_cart", "purchase"]
    cases = [(w, "strict", "customer", by) for by in (None, "channel", persona) for w in (1, 9, 3)]
    cases += [(2, "strict", "session", "channel")]
    cases += [(w, "any", "customer", by) for by in (None, "channel") for w in (5, 1)]
    for days, order, unit, by in cases:
        options = {"window": f"{days}D", "step_order": order, "unit": unit, "by": by}
        got, expected = run(steps, **options), funnel(events, steps, **options)
        pd.testing.assert_frame_equal(got.table, expected.table)
        pd.testing.assert_frame_equal(got.tests, expected.tests)
    # the runner matches once per (steps, order, unit); funnel() once per case
    assert len(made) == 3 + len(cases)
    # it keeps the last KEPT attempt sets and breakdowns: the first set is matched again
    # after KEPT other sets (7 kept so far, so 2 more evict the customer/strict attempts)
    made.clear()
    for dropped in steps[:2]:
        run([s for s in steps if s != dropped], window="3D", step_order="strict", unit="customer")
    run(steps, window="3D", step_order="strict", unit="customer")
    assert len(made) == 3


def test_repeated_funnel_takes_a_step_that_is_a_list():
    # a step given as a list of names (as a notebook parameter from JSON/YAML has it) used
    # to fail as an unhashable cache key
    ev = make_events(
        [
            ("a", "2024-01-01 10:00", "view"),
            ("a", "2024-01-01 11:00", "cart"),
            ("b", "2024-01-01 10:00", "search"),
            ("b", "2024-01-03 10:00", "cart"),
        ]
    )
    run = funnels.funnel_runner(ev)
    steps = [["view", "search"], "cart"]
    for window in ("1D", "3D"):
        options = {"window": window, "step_order": "strict", "unit": "customer"}
        got = run(steps, **options).table
        pd.testing.assert_frame_equal(got, funnel(ev, steps, **options).table)
    assert _n(run(steps, window="3D", step_order="strict", unit="customer")) == [2, 2]


def test_funnel_explorer_updates():
    customers = jk.load_customers()[["customer_id", "persona"]]
    events = jk.load_webshop()
    box = jk.widgets.funnel_explorer(events, attributes=customers)
    box.controls["steps"].value = ["product_view", "add_to_cart", "purchase"]
    box.controls["window"].value = "14D"
    box.controls["by"].value = "persona"
    expected = funnel(
        events, ["product_view", "add_to_cart", "purchase"], window="14D", by=customers
    )
    pd.testing.assert_frame_equal(box.result.table, expected.table)
    shown = len(box.seconds)
    # one step: no update (in a kernel the widget prints the message; here it raises)
    with pytest.raises(JourneyDataError, match="steps: got 1 step"):
        box.controls["steps"].value = ["product_view"]
    assert len(box.seconds) == shown and box.result.table.equals(expected.table)
    print(f"funnel_explorer update times (s): {[round(s, 3) for s in box.seconds]}")


def test_reports_and_plots_of_every_group():
    ev = _persona_log()
    res = funnel(ev.assign(channel=ev["channel"].fillna("none")), ["view", "cart"], by="channel")
    assert res.conclusion.startswith("Of the 6 customers who reached 'view', 6 (100.0%)")
    ttc = time_to_convert(ev, "view", "cart")
    assert ttc.conclusion.startswith("Half of the 6 customers who went from 'view' to 'cart'")
    assert "took at most 2 h" in ttc.conclusion
    ax = ttc.plot()
    assert ax.get_xlabel() == "hours from view to cart"
    # more groups than the palette has colours: every group drawn, in a colour of its own
    rows = [(f"c{i}", "2024-01-01 10:00", "view") for i in range(12)]
    rows += [(f"c{i}", "2024-01-01 11:00", "cart") for i in range(0, 12, 2)]
    many = make_events(rows).assign(channel=[f"g{i % 12:02d}" for i in range(18)])
    with pytest.warns(JourneyWarning, match="expected counts below 5"):
        res = funnel(many, ["view", "cart"], by="channel")
    ax = res.plot()
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == [f"g{i:02d}" for i in range(12)]
    shades = {tuple(p.get_facecolor()) for p in legend.get_patches()}
    assert len(shades) == 12


def test_customer_attributes_break_down_sessions_through_their_customer():
    # found by the browser test: funnel_explorer with unit='session' and a persona frame
    ev = make_events(
        [
            ("a", "2024-01-01 10:00", "view"),
            ("a", "2024-01-01 10:05", "cart"),
            ("a", "2024-01-03 10:00", "view"),
            ("b", "2024-01-02 10:00", "view"),
        ]
    ).assign(session_id=["s1", "s1", "s2", "s3"])
    attrs = pd.DataFrame({"customer_id": ["a", "b"], "persona": ["quality", "price"]})
    table = funnel(ev, ["view", "cart"], unit="session", by=attrs).table
    reached = table.set_index(["persona", "step"])["n"]
    # a's two sessions are 'quality' (one reached the cart), b's one session 'price'
    assert reached[("quality", "view")] == 2 and reached[("quality", "cart")] == 1
    assert reached[("price", "view")] == 1 and reached[("price", "cart")] == 0


def test_attributes_with_no_complete_row_are_a_clear_error():
    ev = jk.read_events(
        pd.DataFrame(
            {
                "customer_id": ["a", "a"],
                "timestamp": ["2024-01-01 10:00", "2024-01-01 11:00"],
                "event": ["view", "cart"],
            }
        )
    )
    empty = pd.DataFrame({"customer_id": ["a"], "persona": [None]})
    with pytest.raises(jk.JourneyDataError, match="no row with a customer_id"):
        jk.funnel(ev, ["view", "cart"], by=empty)


# --------------------------------------------------------------------------- funnel_trend


def _period_funnels(ev, steps, *, freq, window, step_order="strict", open_windows="exclude"):
    """The reference: funnel() once per period, attempts starting in [period, next period)
    (and, leaving open windows out, no later than window before the last event)."""
    cutoff = ev["timestamp"].max() - pd.Timedelta(window) + pd.Timedelta(microseconds=1)
    first = ev["timestamp"].min().tz_convert(None).to_period(freq).start_time.tz_localize("UTC")
    offset = pd.offsets.Week(weekday=0) if freq == "W" else pd.offsets.MonthBegin()
    rows, p = [], first
    while p <= ev["timestamp"].max():
        nxt = p + offset
        end = min(nxt, cutoff) if open_windows == "exclude" else nxt
        try:
            res = funnel(ev, steps, window=window, step_order=step_order, start=p, end=end)
            ns = res.table["n"].tolist()
        except JourneyDataError:  # no attempt there
            ns = [0] * len(steps)
        rows.append({"period": p, "n": ns[0], "n_converted": ns[-1]})
        p = nxt
    return pd.DataFrame(rows)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.sampled_from("abcde"), st.integers(0, 1500), st.sampled_from("vcb")),
        min_size=1,
        max_size=40,
    ),
    st.sampled_from(["W", "M"]),
    st.sampled_from(["3D", "10D"]),
    st.sampled_from(["exclude", "include"]),
    st.sampled_from(["strict", "any"]),
)
def test_funnel_trend_equals_one_funnel_per_period(rows, freq, window, open_windows, order):
    ev = pd.DataFrame(
        {
            "customer_id": [c for c, _, _ in rows],
            "timestamp": pd.Timestamp("2024-01-01", tz="UTC")
            + pd.to_timedelta([h for _, h, _ in rows], unit="h"),
            "event": [e for _, _, e in rows],
        }
    )
    steps = ["v", "c", "b"]
    if "v" not in set(ev["event"]) or (order == "any" and set("vcb") - set(ev["event"])):
        return
    if order == "strict" and set("cb") - set(ev["event"]):
        return
    res = jk.funnel_trend(
        ev, steps, freq=freq, window=window, step_order=order, open_windows=open_windows
    )
    ref = _period_funnels(
        ev, steps, freq=freq, window=window, step_order=order, open_windows=open_windows
    )
    got = res.periods.set_index("period")[["n", "n_converted"]]
    ref = ref.set_index("period").reindex(got.index)
    pd.testing.assert_frame_equal(got, ref, check_dtype=False, check_freq=False)


def test_funnel_trend_open_windows_at_the_end_of_the_data():
    ev = make_events(
        [
            ("a", "2024-01-01 10:00", "view"),
            ("a", "2024-01-03 10:00", "buy"),
            ("b", "2024-01-02 10:00", "view"),  # closed, never bought
            ("c", "2024-01-29 10:00", "view"),  # open: 7 days not over by Jan 31
            ("d", "2024-01-30 10:00", "view"),  # open, but bought already
            ("d", "2024-01-31 10:00", "buy"),
        ]
    )
    res = jk.funnel_trend(ev, ["view", "buy"], freq="M", window="7D")
    row = res.periods.iloc[0]
    assert (row["n"], row["n_converted"], row["n_open"]) == (2, 1, 2)
    assert row["conversion"] == 0.5
    assert "left out" in res.conclusion and "n_open" in res.notes[1]
    both = jk.funnel_trend(ev, ["view", "buy"], freq="M", window="7D", open_windows="include")
    row = both.periods.iloc[0]
    assert (row["n"], row["n_converted"], row["n_open"]) == (4, 2, 0)
    # Wilson interval as statsmodels computes it
    from statsmodels.stats.proportion import proportion_confint

    low, high = proportion_confint(2, 4, method="wilson")
    assert (row["conversion_ci_low"], row["conversion_ci_high"]) == pytest.approx((low, high))
    assert both.table["step"].tolist() == ["view", "buy"]
    ax = both.plot()
    assert ax.get_ylabel().startswith("converted")
    with pytest.raises(JourneyDataError, match="open_windows"):
        jk.funnel_trend(ev, ["view", "buy"], open_windows="drop")


@pytest.mark.spark
def test_funnel_trend_same_on_spark(shop_on_spark):
    events, table = shop_on_spark
    steps = ["product_view", "add_to_cart", "purchase"]
    local = jk.funnel_trend(events, steps, freq="M", window="7D")
    remote = jk.funnel_trend(table, steps, freq="M", window="7D")
    pd.testing.assert_frame_equal(remote.periods, local.periods, check_dtype=False)


def test_funnel_trend_on_a_users_own_duckdb_keeps_no_table_behind(tmp_path):
    """On a DuckDB connection of the user's own, the matched attempts are a temporary table
    there (not an Ibis memtable, which would stay registered until the interpreter exits),
    dropped with the last expression using it; the result equals the pandas route's."""
    import gc

    ev = jk.simulate.webshop(300, seed=5).events
    steps = ["product_view", "add_to_cart", "purchase"]
    expected = jk.funnel_trend(ev, steps, freq="M", window="7D").periods
    con = ibis.duckdb.connect()
    ev.to_parquet(tmp_path / "events.parquet")
    lazy = jk.read_events(con.read_parquet(tmp_path / "events.parquet"), duplicates="keep")
    got = jk.funnel_trend(lazy, steps, freq="M", window="7D").periods
    pd.testing.assert_frame_equal(got, expected)
    gc.collect()
    tables = con.con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
    assert not [name for (name,) in tables if name.startswith("journeykit_")]
