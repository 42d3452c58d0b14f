"""Paths: sessionize edges, transition counts against a direct pandas count, bad input."""

import ibis
import numpy as np
import pandas as pd
import pytest
from conftest import make_events
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import journeykit as jk
from journeykit import JourneyDataError
from journeykit.paths import channel_mix, sankey, sankey_data, sessionize, top_paths, transitions


def test_sessionize_gap_edges():
    ev = make_events(
        [
            ("a", "2024-01-01 10:00", "view"),
            ("a", "2024-01-01 10:30", "view"),  # exactly 30 minutes: same session
            ("a", "2024-01-01 11:00", "cart"),  # 30 minutes again: still the same
            ("a", "2024-01-01 11:31", "buy"),  # 31 minutes: a new session
            ("b", "2024-01-01 10:00", "view"),
        ]
    )
    before = ev.copy()
    out = sessionize(ev)
    pd.testing.assert_frame_equal(ev, before)
    assert out["session_id"].tolist() == ["a-1", "a-1", "a-1", "a-2", "b-1"]
    assert sessionize(ev, gap="10min")["session_id"].tolist() == ["a-1", "a-2", "a-3", "a-4", "b-1"]
    lazy = sessionize(ibis.memtable(ev))
    assert "session_id" in lazy.columns and not isinstance(lazy, pd.DataFrame)


def _logs(events, times=20):
    """Random logs: lists of (customer, time offset 0..times, event) rows."""
    customers = st.sampled_from("abcd")
    rows = st.tuples(customers, st.integers(0, times), st.sampled_from(events))
    return st.lists(rows, min_size=1, max_size=50)


def _log(rows, unit: str = "min") -> pd.DataFrame:
    """Canonical events of ``rows`` from :func:`_logs` (offsets in ``unit`` from 2024)."""
    return pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "timestamp": pd.Timestamp("2024-01-01", tz="UTC")
            + pd.to_timedelta([r[1] for r in rows], unit=unit),
            "event": [r[2] for r in rows],
        }
    )


def _pandas_transitions(ev: pd.DataFrame, key: str, add_start_end: bool) -> pd.DataFrame:
    """Direct count: sort, shift within the unit, value counts; the quartiles of the days to
    the next event per pair (pandas' linear interpolation), none for start and end."""
    ev = ev.sort_values([key, "timestamp", "event"])
    nxt = ev.groupby(key)["event"].shift(-1)
    gap = (ev.groupby(key)["timestamp"].shift(-1) - ev["timestamp"]) / pd.Timedelta(days=1)
    pairs = pd.DataFrame({"from": ev["event"], "to": nxt, "gap": gap})
    if add_start_end:
        first = ev.groupby(key)["event"].first()
        pairs = pd.concat(
            [pairs.fillna({"to": "end"}), pd.DataFrame({"from": "start", "to": first.to_numpy()})]
        )
    pairs = pairs.dropna(subset=["to"])
    grouped = pairs.groupby(["from", "to"])["gap"]
    out = grouped.size().rename("n").reset_index()
    for name, q in (("time_q1_days", 0.25), ("time_median_days", 0.5), ("time_q3_days", 0.75)):
        out[name] = grouped.quantile(q).to_numpy()
    return out.sort_values(["from", "to"], ignore_index=True)


TIMES = ["time_q1_days", "time_median_days", "time_q3_days"]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_logs(["x", "y", "z"], times=20_000), st.booleans(), st.booleans())
def test_transition_counts_equal_a_direct_count(rows, add_start_end, times):
    # seconds apart (ties, single-event journeys and one-customer logs included)
    ev = _log(rows, unit="s")
    got = transitions(ev, unit="customer", add_start_end=add_start_end, times=times).table
    ref = _pandas_transitions(ev, "customer_id", add_start_end)
    columns = ["from", "to", "n", "probability", *(TIMES if times else [])]
    assert list(got.columns) == columns
    if ref.empty:
        assert got.empty
        return
    assert got[["from", "to"]].values.tolist() == ref[["from", "to"]].values.tolist()
    assert got["n"].tolist() == ref["n"].tolist()
    sums = got.groupby("from")["probability"].sum()
    np.testing.assert_allclose(sums, 1.0)
    if times:
        np.testing.assert_allclose(got[TIMES], ref[TIMES], rtol=1e-9, atol=1e-12)
        ends = got["from"].eq("start") | got["to"].eq("end")
        assert got.loc[ends, TIMES].isna().all(axis=None)
        assert got.loc[~ends, TIMES].notna().all(axis=None)


def test_transition_times_by_hand_and_their_plot():
    # a -> b after 1 min, 3 min and 10 min (three customers); b -> b after 2 days
    ev = make_events(
        [
            ("p", "2024-01-01 10:00", "a"),
            ("p", "2024-01-01 10:01", "b"),
            ("p", "2024-01-03 10:01", "b"),
            ("q", "2024-01-01 10:00", "a"),
            ("q", "2024-01-01 10:03", "b"),
            ("r", "2024-01-01 10:00", "a"),
            ("r", "2024-01-01 10:10", "b"),
            ("s", "2024-01-01 10:00", "a"),  # a single-event journey: only start and end
        ]
    )
    res = transitions(ev, times=True)
    row = res.table.set_index(["from", "to"])
    minute = 1 / 1440
    np.testing.assert_allclose(
        row.loc[("a", "b"), TIMES].to_numpy(float), np.array([2, 3, 6.5]) * minute
    )
    np.testing.assert_allclose(row.loc[("b", "b"), TIMES].to_numpy(float), [2, 2, 2])
    assert row.loc[("a", "end"), "n"] == 1 and np.isnan(row.loc[("a", "end"), "time_median_days"])
    assert "It takes 3 min (median; quartiles 2 min to 6.5 min)." in res.conclusion
    assert any("time_median_days" in note for note in res.notes)
    assert "time_median_days" not in transitions(ev).table  # opt-in
    ax = res.plot(kind="times")
    assert ax.get_title() == "Time to the next event: all 2 transitions (customer journeys)"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a -> b", "b -> b"]
    assert ax.get_xscale() == "log" and "1 day" in [t.get_text() for t in ax.get_xticklabels()]
    one = res.plot(kind="times", top=1)
    assert one.get_title().startswith("Time to the next event: the 1 most frequent")
    assert res.plot().get_xlabel().startswith("to")  # the heatmap stays the default
    quick = transitions(ev[ev["customer_id"] != "p"], times=True).plot(kind="times")
    assert quick.get_xscale() == "linear" and quick.get_xlabel().startswith("minutes")


def test_transitions_on_the_shop_by_session_and_stage():
    ev = jk.load_webshop()
    res = transitions(ev, unit="session", states="stage")
    matrix = res.matrix
    assert list(matrix.columns)[-1] == "end" and list(matrix.index)[0] == "start"
    assert res.table["n"].sum() == len(ev) + ev["session_id"].nunique()
    assert res.plot().get_xlabel().startswith("to")
    # journey order, not alphabetical: the stages as in jk.STAGES, start first, end last
    present = [s for s in jk.STAGES if s in set(ev["stage"].dropna())]
    assert list(matrix.index) == ["start", *present]
    assert list(matrix.columns) == [*present, "end"]
    lazy = transitions(ibis.memtable(ev), unit="session", states="stage").table
    pd.testing.assert_frame_equal(lazy, res.table)


def test_bad_input():
    ev = make_events([("a", "2024-01-01 10:00", "view"), ("a", "2024-01-01 10:05", "buy")])
    with pytest.raises(JourneyDataError, match="sessionize"):
        transitions(ev, unit="session")  # no session_id
    # a log without sessions works with the defaults: journeys are customers'
    assert transitions(ev).unit == "customer" and sankey_data(ev).unit == "customer"
    assert top_paths(ev, conversion="buy").table["path"].tolist() == ["view > buy"]
    assert type(sankey(ev)).__name__ == "Figure"
    with pytest.raises(JourneyDataError, match="states='chanel'"):
        transitions(ev, unit="customer", states="chanel")
    with pytest.raises(JourneyDataError, match="unit='visitor'"):
        transitions(ev, unit="visitor")
    with pytest.raises(JourneyDataError, match="gap"):
        sessionize(ev, gap="soon")
    with pytest.raises(JourneyDataError, match="times='yes': expected True .*got str.*Fix"):
        transitions(ev, times="yes")
    with pytest.raises(JourneyDataError, match="kind='times': this result has no times.*Fix"):
        transitions(ev).plot(kind="times")
    with pytest.raises(JourneyDataError, match="kind='heat': expected 'matrix'.*Fix"):
        transitions(ev).plot(kind="heat")
    with pytest.raises(JourneyDataError, match="top=0: expected a whole number"):
        transitions(ev, times=True).plot(kind="times", top=0)
    single = make_events([("a", "2024-01-01 10:00", "view")])
    with pytest.raises(JourneyDataError, match="kind='times': no customer journey has two"):
        transitions(single, times=True).plot(kind="times")


def _pandas_paths(ev: pd.DataFrame, max_steps: int, ending_with=None, conversion="buy") -> dict:
    """Direct path count: sort, collapse repeats, cut (or keep the steps up to the anchor)."""
    out: dict = {}
    for _, part in ev.sort_values(["customer_id", "timestamp", "event"]).groupby("customer_id"):
        states = part["event"].tolist()
        states = [s for i, s in enumerate(states) if i == 0 or states[i - 1] != s]
        converted = conversion in states
        if ending_with is not None:
            if ending_with not in states:
                continue
            states = states[: states.index(ending_with) + 1][-max_steps:]
            path = " > ".join(states)
        else:
            path = " > ".join(states[:max_steps]) + (" > ..." if len(states) > max_steps else "")
        units, conv = out.get(path, (0, 0))
        out[path] = (units + 1, conv + converted)
    return out


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_logs(["x", "y", "buy"]), st.integers(1, 4), st.sampled_from([None, "buy"]))
def test_top_paths_equal_a_direct_count(rows, max_steps, ending_with):
    ev = _log(rows)
    conversion = "buy" if "buy" in set(ev["event"]) else "x"
    if conversion not in set(ev["event"]):  # an unknown conversion event raises
        with pytest.raises(JourneyDataError, match="conversion='x': no such event"):
            top_paths(ev, unit="customer", conversion=conversion)
        return
    ref = _pandas_paths(ev, max_steps, ending_with, conversion)
    if ending_with is not None and not ref:
        with pytest.raises(JourneyDataError):
            top_paths(ev, unit="customer", max_steps=max_steps, ending_with=ending_with)
        return
    options = {"max_steps": max_steps, "ending_with": ending_with, "conversion": conversion}
    got = top_paths(ev, unit="customer", top=100, **options).table
    assert dict(zip(got["path"], zip(got["n"], got["n_converted"]))) == ref
    assert got["n"].is_monotonic_decreasing


def test_top_paths_sankey_and_channel_mix_on_the_shop():
    ev = jk.load_webshop()
    paths = top_paths(ev, ending_with="purchase", top=5, unit="session")
    assert (paths.table["path"].str.endswith("purchase")).all()
    assert (paths.table["conversion"] == 1).all()
    starting = top_paths(ev, starting_with="add_to_cart").table
    assert starting["path"].str.startswith("add_to_cart").all()
    flow = sankey_data(ev, max_steps=4, unit="session")
    # flow is conserved: what enters a node at step k+1 equals the node's units
    inflow = flow.links.groupby("target")["n"].sum()
    units = flow.nodes.set_index("id")["n"]
    pd.testing.assert_series_equal(inflow, units.loc[inflow.index], check_names=False)
    assert flow.nodes.loc[flow.nodes["step"] == 1, "n"].sum() == ev["session_id"].nunique()
    assert type(flow.figure()).__name__ == "Figure"
    assert flow.summary.groupby(["step", "from"])["share"].sum().round(12).eq(1).all()
    assert flow.plot().get_title().startswith("Journey flow")
    by_customer = sankey_data(ev)  # the default unit: customers
    assert (
        by_customer.nodes.loc[by_customer.nodes["step"] == 1, "n"].sum()
        == ev["customer_id"].nunique()
    )
    mix = channel_mix(ev)
    np.testing.assert_allclose(mix.table.groupby("stage")["share"].sum(), 1.0)
    assert mix.table["n_events"].sum() == ev.dropna(subset=["stage", "channel"]).shape[0]
    assert mix.order == [s for s in jk.STAGES if s in set(mix.table["stage"])]
    assert mix.plot() is not None and paths.plot() is not None


def test_paths_bad_input():
    ev = make_events([("a", "2024-01-01 10:00", "view"), ("a", "2024-01-01 10:05", "buy")])
    with pytest.raises(JourneyDataError, match="ending_with='purchse'.*'purchase'|purchse"):
        top_paths(ev, unit="customer", ending_with="purchse")
    with pytest.raises(JourneyDataError, match="max_steps"):
        top_paths(ev, unit="customer", max_steps=0)
    with pytest.raises(JourneyDataError, match="max_steps"):
        sankey_data(ev, unit="customer", max_steps=1)
    with pytest.raises(JourneyDataError, match="per='stage'"):
        channel_mix(ev)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda ev: top_paths(ev, top=0), "top=0: expected a whole number >= 1"),
        (lambda ev: top_paths(ev, top=-3), "top=-3: .*Fix: pass e.g. top=5"),
        (lambda ev: top_paths(ev, top=2.5), "top=2.5: .*got 2.5.*Fix:"),
        (lambda ev: top_paths(ev, top=True), "top=True: .*got bool"),
        (lambda ev: top_paths(ev, unit="customer", max_steps=0), "max_steps=0: .*1 to 50.*Fix:"),
        (lambda ev: top_paths(ev, unit="customer", max_steps=51), "max_steps=51"),
        (lambda ev: sankey_data(ev, max_steps=0), "max_steps=0: .*2 to 50.*Fix:"),
        (lambda ev: sankey_data(ev, max_steps="4"), "max_steps='4': .*got str"),
        (
            lambda ev: top_paths(ev, unit="session"),
            "unit='session'.*sessionize.*or pass unit='customer'",
        ),
        (lambda ev: sankey_data(ev, unit="session"), "unit='session'.*or pass unit='customer'"),
        (lambda ev: transitions(ev, unit="session"), "unit='session'.*or pass unit='customer'"),
        (lambda ev: sankey(ev, unit="visitor"), "unit='visitor' is not supported"),
        (lambda ev: transitions(ev, unit="customer", states=["event"]), "states=\\['event'\\]"),
        (
            lambda ev: top_paths(ev, unit="customer", conversion="purchse"),
            "conversion='purchse': no such event.*Did you mean 'purchase'",
        ),
        (
            lambda ev: top_paths(ev, unit="customer", conversion=[]),
            "conversion=\\[\\]: expected at least one",
        ),
        (
            lambda ev: top_paths(ev, unit="customer", starting_with=["view", "veiw"]),
            "starting_with='veiw': no such event.*Did you mean 'view'",
        ),
        (
            lambda ev: top_paths(
                ev.assign(stage="a"), unit="customer", states="stage", ending_with="purchase"
            ),
            "ending_with='purchase': no such stage in the data",
        ),
        (
            lambda ev: channel_mix(ev.assign(stage="x"), per="channel"),
            "channel='channel': the same",
        ),
        (lambda ev: channel_mix(ev.assign(stage=None)), "events: no event has both a stage and"),
        (lambda ev: channel_mix(ev.assign(stage="x"), per=["stage"]), "per=\\['stage'\\]"),
        (lambda ev: sessionize(ev, gap=30), "gap=30: a duration needs a unit.*'30D'"),
        (lambda ev: sessionize(ev, gap=float("inf")), "gap=inf: expected a finite"),
    ],
)
def test_parameters_are_checked(call, match):
    ev = make_events(
        [("a", "2024-01-01 10:00", "view"), ("a", "2024-01-01 10:05", "purchase")]
    ).assign(channel="seo")
    with pytest.raises(JourneyDataError, match=match):
        call(ev)


def test_conversion_and_anchors_take_lists():
    ev = make_events(
        [
            ("a", "2024-01-01 10:00", "view"),
            ("a", "2024-01-01 10:01", "cart"),
            ("a", "2024-01-01 10:02", "buy"),
            ("b", "2024-01-01 10:00", "search"),
            ("b", "2024-01-01 10:01", "view"),
            ("b", "2024-01-01 10:02", "order"),
            ("c", "2024-01-01 10:00", "view"),
        ]
    )
    before = ev.copy()
    res = top_paths(ev, unit="customer", conversion=["buy", "order"])
    pd.testing.assert_frame_equal(ev, before)  # not mutated
    assert res.table.set_index("path")["n_converted"].to_dict() == {
        "search > view > order": 1,
        "view": 0,
        "view > cart > buy": 1,
    }
    assert res.conversion == ("buy", "order") and "'buy' or 'order'" in res.notes[0]
    paths = {"starting_with": ["cart", "search"], "conversion": "buy"}
    starting = top_paths(ev, unit="customer", **paths).table
    assert set(starting["path"]) == {"cart > buy", "search > view > order"}
    # both anchors: from the first start state up to the first end state after it
    paths = {"starting_with": "view", "ending_with": ["cart", "order"], "conversion": "buy"}
    both = top_paths(ev, unit="customer", **paths)
    assert set(both.table["path"]) == {"view > cart", "view > order"}
    with pytest.raises(JourneyDataError, match="no customer has it at or after starting_with"):
        top_paths(ev, unit="customer", starting_with="buy", ending_with="search", conversion="buy")


def test_empty_events_raise():
    empty = make_events([("a", "2024-01-01 10:00", "view")]).iloc[:0]
    match = "events: no event has a value in both 'customer_id' and 'event'.*Fix:"
    for call in (transitions, top_paths, sankey_data):
        with pytest.raises(JourneyDataError, match=match):
            call(empty, unit="customer")


def test_awkward_but_valid_paths():
    one = make_events([("a", "2024-01-01 10:00", "purchase")])
    assert top_paths(one, unit="customer").table["path"].tolist() == ["purchase"]
    assert transitions(one, unit="customer").table["n"].tolist() == [1, 1]
    instant = make_events([("a", "2024-01-01", "view"), ("a", "2024-01-01", "cart")])
    # ties at one instant are ordered by state name
    assert top_paths(instant, unit="customer", conversion="cart").table["path"].tolist() == [
        "cart > view"
    ]
    assert len(sankey_data(instant, unit="customer", max_steps=2).links) == 1


def _session_paths(events):
    """transitions, top_paths (by event and by stage: two ways to the conversions) and
    sankey_data of the sessions of ``events``."""
    return (
        transitions(events, unit="session").table,
        transitions(events, unit="session", states="stage", add_start_end=False).table,
        top_paths(events, unit="session", top=50, conversion=["purchase", "add_to_cart"]).table,
        top_paths(events, unit="session", top=50, starting_with="product_view").table,
        top_paths(events, unit="session", top=50, states="stage", ending_with="purchase").table,
        sankey_data(events, unit="session", max_steps=3).links,
    )


def test_paths_of_a_lazy_sessionize_equal_the_pandas_ones():
    # a lazy sessionize result: the distinct states are read from the events before it,
    # whether a session converted from the path query itself; the same results as pandas
    raw = jk.simulate.webshop(300, seed=3).events.drop(columns="session_id")
    here = _session_paths(sessionize(raw, gap="20min"))
    lazy = _session_paths(sessionize(ibis.memtable(raw), gap="20min"))
    for a, b in zip(here, lazy):
        pd.testing.assert_frame_equal(a, b)
    # an event without a customer has no session, so its name is no state of a journey
    ghost = pd.DataFrame(
        {"customer_id": ["a", "a", None], "event": ["view", "buy", "ghost"],
         "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:05",
                                      "2024-01-01 10:06"], utc=True)}
    )  # fmt: skip
    got = transitions(sessionize(ibis.memtable(ghost)), unit="session").table
    assert "ghost" not in set(got["from"]) | set(got["to"])
    with pytest.raises(JourneyDataError, match="starting_with='ghost': no such event"):
        top_paths(sessionize(ibis.memtable(ghost)), unit="session", starting_with="ghost")


def test_sessionize_gap_in_microseconds():
    # the gap is compared in whole microseconds, exactly: 30 minutes and 30 microseconds
    ev = make_events([("a", "2024-01-01 10:00", "view"), ("a", "2024-01-01 10:30", "cart")])
    ev["timestamp"] += pd.to_timedelta([0, 30], unit="us")
    gaps = {
        pd.Timedelta("30min"): ["a-1", "a-2"],
        pd.Timedelta(minutes=30, microseconds=29, nanoseconds=500): ["a-1", "a-2"],
        pd.Timedelta(minutes=30, microseconds=30): ["a-1", "a-1"],  # exactly the gap
    }
    for gap, expected in gaps.items():
        for data in (ev, ibis.memtable(ev)):
            out = sessionize(data, gap=gap)
            out = out if isinstance(out, pd.DataFrame) else out.to_pandas()
            assert out.sort_values("timestamp")["session_id"].tolist() == expected


@pytest.mark.parametrize("step", [1, 5, 30])
def test_session_transitions_of_a_lazy_sessionize_equal_the_session_ids_route(step):
    # transitions(unit="session") of a lazy sessionize follows each customer's events, cut
    # where the gap is exceeded; the same counts and times as by the session ids (the
    # eager route), with ties in time (minutes rounded to `step`) and gaps near the limit
    rng = np.random.default_rng(step)
    n = 2_000
    minutes = rng.integers(0, 48 * 60, n) // step * step
    frame = pd.DataFrame(
        {
            "customer_id": rng.integers(0, 40, n).astype(str),
            "timestamp": pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(minutes, "min"),
            "event": rng.choice(["a", "b", "c"], n),
        }
    )
    for gap in ("5min", "30min", "2h"):
        for options in ({}, {"times": True}, {"add_start_end": False}):
            eager = transitions(sessionize(frame, gap=gap), unit="session", **options)
            lazy = transitions(sessionize(ibis.memtable(frame), gap=gap), unit="session", **options)
            pd.testing.assert_frame_equal(eager.table, lazy.table, check_dtype=False)


@pytest.mark.parametrize("step", [1, 5, 30])
def test_session_paths_of_a_lazy_sessionize_equal_the_session_ids_route(step):
    # top_paths, sankey_data and step_matrix by session of a lazy sessionize number each
    # customer's sessions in one window (no text ids); the same tables as by the session
    # ids, with ties in time, gaps near the limit, repeats kept or collapsed and anchors
    rng = np.random.default_rng(100 + step)
    n = 2_000
    minutes = rng.integers(0, 48 * 60, n) // step * step
    frame = pd.DataFrame(
        {
            "customer_id": rng.integers(0, 40, n).astype(str),
            "timestamp": pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(minutes, "min"),
            "event": rng.choice(["a", "b", "c", "d"], n, p=[0.4, 0.3, 0.2, 0.1]),
        }
    )

    def tables(events):
        return [
            top_paths(events, unit="session", top=40, max_steps=4, conversion="d").table,
            top_paths(events, unit="session", top=40, collapse_repeats=False, conversion="d").table,
            top_paths(events, unit="session", top=40, starting_with="b", conversion="d").table,
            top_paths(
                events, unit="session", top=40, starting_with="b", ending_with="d", conversion="d"
            ).table,
            sankey_data(events, unit="session", max_steps=3).links,
            jk.step_matrix(events, unit="session", max_steps=4, collapse_repeats=False).table,
        ]

    for gap in ("5min", "30min", "2h"):
        eager = tables(sessionize(frame, gap=gap))
        lazy = tables(sessionize(ibis.memtable(frame), gap=gap))
        for a, b in zip(eager, lazy):
            pd.testing.assert_frame_equal(a, b, check_dtype=False)


@pytest.mark.spark
def test_sessionize_then_paths_on_pyspark(shop_on_spark):
    frame, table = shop_on_spark
    here = _session_paths(sessionize(frame.drop(columns="session_id"), gap="20min"))
    there = _session_paths(sessionize(table.drop("session_id"), gap="20min"))
    for a, b in zip(here, there):
        pd.testing.assert_frame_equal(a, b, check_dtype=False)


@pytest.mark.spark
def test_same_paths_on_pyspark(shop_on_spark):
    # the state codes are a small pandas table joined to the events: on PySpark too
    results = [
        (
            transitions(events, unit="customer", states="stage").table,
            transitions(events, unit="session", times=True).table,  # Spark's percentile
            top_paths(events, ending_with="purchase", unit="session").table,
            sankey_data(events, max_steps=4, unit="session").links,
            jk.step_matrix(events, max_steps=5, unit="session").table,
            jk.step_matrix(events, max_steps=3, collapse_repeats=False).table,
        )
        for events in shop_on_spark
    ]
    for here, there in zip(*results):
        pd.testing.assert_frame_equal(here, there, check_dtype=False)


def test_states_in_journey_order_and_readable_reports():
    ev = jk.load_webshop()
    res = transitions(ev)  # customers' journeys (the default unit)
    order = res.order
    funnel_like = ["page_view", "product_view", "add_to_cart", "checkout_start", "purchase"]
    assert order[:5] == funnel_like  # by flow from start, not alphabetical
    assert list(res.matrix.index) == ["start", *order]
    assert list(res.matrix.columns) == [*order, "end"]
    ax = res.plot()
    assert [t.get_text() for t in ax.get_xticklabels()] == [*order, "end"]
    assert all(t.get_rotation() > 0 for t in ax.get_xticklabels())  # slanted: no overlap
    assert res.conclusion.startswith("100% of the 19,998 customer journeys start with")
    # without start and end states the order still starts where journeys begin
    plain = transitions(ev, add_start_end=False)
    assert plain.order[:2] == ["page_view", "product_view"]
    paths = top_paths(ev, top=3)
    assert paths.conclusion.startswith(f"The most frequent path, {paths.table['path'][0]!r}")
    flow = sankey_data(ev, max_steps=3)
    ax = flow.plot()
    assert ax.get_title() == "Journey flow: the first 3 steps of each customer's journey"
    assert len(ax.patches) == len(flow.nodes) + len(flow.links)  # every node and band drawn
    mix = channel_mix(ev)
    assert mix.conclusion.startswith("The largest channel at each stage: awareness:")


def _pandas_step_matrix(ev: pd.DataFrame, max_steps: int, collapse_repeats: bool) -> dict:
    """Direct step matrix: each customer's states in order, the k-th or 'ended', counted."""
    out: dict = {}
    parts = ev.sort_values(["customer_id", "timestamp", "event"]).groupby("customer_id")
    for _, part in parts:
        states = part["event"].tolist()
        if collapse_repeats:
            states = [s for i, s in enumerate(states) if i == 0 or states[i - 1] != s]
        for k in range(1, max_steps + 1):
            key = (k, states[k - 1] if len(states) >= k else "ended")
            out[key] = out.get(key, 0) + 1
    return out


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_logs(["x", "y", "z"]), st.integers(1, 5), st.booleans())
def test_step_matrix_equals_a_direct_count(rows, max_steps, collapse_repeats):
    ev = _log(rows)
    res = jk.step_matrix(ev, max_steps=max_steps, collapse_repeats=collapse_repeats)
    t = res.table
    assert list(t.columns) == ["step", "state", "n", "share"]
    ref = _pandas_step_matrix(ev, max_steps, collapse_repeats)
    assert {k: v for k, v in zip(zip(t["step"], t["state"]), t["n"]) if v} == ref
    n_units = ev["customer_id"].nunique()
    assert res.n_journeys == n_units
    np.testing.assert_allclose(t.groupby("step")["share"].sum(), 1.0)
    matrix = res.matrix
    assert list(matrix.columns) == list(range(1, max_steps + 1))
    assert list(matrix.index) == [*res.order, "ended"]
    assert set(res.order) == {s for (_, s) in ref} - {"ended"}
    np.testing.assert_allclose(matrix.sum(), 1.0)
    # every state at every step (zeros kept)
    assert len(t) == max_steps * (len(res.order) + 1)


def test_step_matrix_on_the_shop_and_by_hand():
    one = make_events([("a", "2024-01-01 10:00", "view")])  # a single-event journey
    res = jk.step_matrix(one, max_steps=3)
    assert res.matrix.to_dict() == {1: {"view": 1.0, "ended": 0.0}, 2: {"view": 0.0, "ended": 1.0},
                                    3: {"view": 0.0, "ended": 1.0}}  # fmt: skip
    assert res.conclusion.startswith("Of the 1 customer journeys, 100% start with 'view', and ")
    # the share ended at the first step where half or more have ended, as in the table
    assert "100% of them have ended by step 2" in res.conclusion
    assert jk.step_matrix(one, max_steps=1).conclusion.count("0% of them have ended by step 1")
    # 999 journeys of one event and 1 of two: '>99%' ended by step 2, not 'half'; the
    # second step's most frequent state is the one journey's ('<1%', not '0%')
    rows = [(f"u{i:03d}", "2024-01-01 10:00", "view") for i in range(999)]
    rows += [("z", "2024-01-01 10:00", "view"), ("z", "2024-01-01 10:05", "buy")]
    text = jk.step_matrix(make_events(rows), max_steps=3).conclusion
    assert ">99% of them have ended by step 2" in text and "2 'buy' (<1%)" in text
    ev = jk.load_webshop()
    res = jk.step_matrix(ev, max_steps=6, unit="session")
    assert res.n_journeys == ev["session_id"].nunique()
    flow = sankey_data(ev, max_steps=6, unit="session").nodes  # the same numbering of steps
    nodes = flow[flow["state"] != "end"].set_index(["step", "state"])["n"]
    cells = res.table[res.table["n"] > 0].set_index(["step", "state"])["n"]
    pd.testing.assert_series_equal(cells.drop("ended", level="state"), nodes.loc[cells.drop(
        "ended", level="state").index], check_names=False)  # fmt: skip
    assert res.order[:3] == ("page_view", "product_view", "add_to_cart")  # journey order
    stages = jk.step_matrix(ev, max_steps=4, states="stage")  # the stages met in 4 steps
    met = set(stages.table.loc[stages.table["n"] > 0, "state"]) - {"ended"}
    present = [s for s in jk.STAGES if s in met]
    assert list(stages.order) == present
    ax = res.plot()
    assert ax.get_title() == "Step matrix: where the session journeys are at each step"
    assert [t.get_text() for t in ax.get_yticklabels()] == [*res.order, "ended"]
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(k) for k in range(1, 7)]
    assert ax.get_xlabel() == "step (the k-th event of the journey, repeats collapsed)"
    lazy = jk.step_matrix(ibis.memtable(ev), max_steps=6, unit="session")
    pd.testing.assert_frame_equal(lazy.table, res.table)
    assert "'ended' = the journeys with fewer than k steps" in res.notes[0]
    assert res._repr_html_().startswith("<h4>Step matrix</h4>")


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda ev: jk.step_matrix(ev, max_steps=0), "max_steps=0: expected a whole number from 1 "
         "to 50; got 0. Fix: pass e.g. max_steps=5"),
        (lambda ev: jk.step_matrix(ev, max_steps=2.5), "max_steps=2.5: .*got 2.5"),
        (lambda ev: jk.step_matrix(ev, unit="session"), "unit='session'.*sessionize"),
        (lambda ev: jk.step_matrix(ev, states="chanel"), "states='chanel'"),
        (lambda ev: jk.step_matrix(ev.iloc[:0]), "events: no event has a value in both"),
        (
            lambda ev: jk.step_matrix(ev.assign(event="ended")),
            "states='event': a state is called 'ended'.*expected other names.*Fix: rename",
        ),
    ],
)  # fmt: skip
def test_step_matrix_bad_input(call, match):
    ev = make_events([("a", "2024-01-01 10:00", "view"), ("a", "2024-01-01 10:05", "buy")])
    with pytest.raises(JourneyDataError, match=match):
        call(ev)
