"""Drill-down (``result.units(...)``): the ids behind a cell equal a direct filter of the
data, and their number equals the cell they came from."""

import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import make_events

import journeykit as jk
from journeykit import JourneyDataError, JourneyWarning


@pytest.fixture(scope="module")
def shop():
    return jk.load_webshop()


def test_lifecycle_units_are_the_cells(shop):
    res = jk.lifecycle(shop, as_of="2024-09-30", by="channel")
    for (status, channel), n in res.table.set_index(["status", "channel"])["n"].items():
        if n == 0:
            continue
        got = res.units(status, channel=channel)
        assert len(got) == n
        direct = res.customers[
            (res.customers["status"] == status) & (res.customers["channel"] == channel)
        ]
        assert set(got["customer_id"]) == set(direct["customer_id"])
    with pytest.raises(JourneyDataError, match="no such value.*lapsing"):
        res.units("sleeping")
    with pytest.raises(JourneyDataError, match="min_n=10"):
        res.units("reactivated", channel="social", min_n=10)
    got = res.units("lapsing")
    got.loc[0, "customer_id"] = "changed"  # a copy: the result is not touched
    assert (res.customers["customer_id"] != "changed").all()


def test_rfm_units_are_the_segments(shop):
    res = jk.rfm(shop, as_of="2024-09-30")
    for segment, n in res.segments.set_index("segment")["n"].items():
        assert len(res.units(segment)) == n
    top = res.units("champions", r=5)
    assert len(top) and (top["segment"] == "champions").all() and (top["r"] == 5).all()


def test_funnel_units_against_a_direct_count():
    # a: view -> cart -> buy within 7 days; b: view -> cart, buy too late; c: view only;
    # d: cart without view (no attempt)
    ev = make_events(
        [
            ("a", "2024-01-01 00:00", "view"),
            ("a", "2024-01-02 00:00", "cart"),
            ("a", "2024-01-03 00:00", "buy"),
            ("b", "2024-01-01 00:00", "view"),
            ("b", "2024-01-02 00:00", "cart"),
            ("b", "2024-01-20 00:00", "buy"),
            ("c", "2024-01-05 00:00", "view"),
            ("d", "2024-01-05 00:00", "cart"),
        ]
    )
    res = jk.funnel(ev, ["view", "cart", "buy"], window="7D")
    assert res.units(1)["customer_id"].tolist() == ["a", "b", "c"]
    assert res.units("cart")["customer_id"].tolist() == ["a", "b"]
    assert res.units(2, dropped=True)["customer_id"].tolist() == ["b"]
    assert res.units(1, dropped=True)["customer_id"].tolist() == ["c"]
    assert res.units("buy")["customer_id"].tolist() == ["a"]
    for k, row in res.table.set_index("step_number").iterrows():
        assert len(res.units(k)) == row["n"]
    with pytest.raises(JourneyDataError, match="last step"):
        res.units("buy", dropped=True)
    with pytest.raises(JourneyDataError, match="not a step"):
        res.units("pay")
    with pytest.raises(JourneyDataError, match="1 to 3"):
        res.units(4)


def test_funnel_units_by_group_on_the_shop(shop):
    res = jk.funnel(shop, ["product_view", "add_to_cart", "purchase"], window="7D", by="channel")
    for _, row in res.table[res.table["step_number"] == 2].iterrows():
        got = res.units(int(row["step_number"]), channel=row["channel"])
        assert len(got) == row["n"]


@pytest.mark.parametrize("mode", ["bounded", "unbounded"])
def test_cohort_units_against_a_direct_filter(shop, mode):
    res = jk.cohort_retention(shop, freq="M", mode=mode)
    month = shop["timestamp"].dt.year * 12 + shop["timestamp"].dt.month - 1
    per = pd.DataFrame({"customer_id": shop["customer_id"], "month": month}).drop_duplicates()
    per["cohort"] = per.groupby("customer_id")["month"].transform("min")
    per["age"] = per["month"] - per["cohort"]
    cohort = 2024 * 12 + 2  # 2024-03
    for age in (0, 1, 4):
        got = res.units("2024-03-15", age)
        mine = per[per["cohort"] == cohort]
        ids = mine.loc[mine["age"] == age if mode == "bounded" else mine["age"] >= age]
        assert set(got["customer_id"]) == set(ids["customer_id"])
        cell = res.table[(res.table["cohort"] == "2024-03-01") & (res.table["age"] == age)]
        assert len(got) == cell["n"].iloc[0]
    with pytest.raises(JourneyDataError, match="no such cell"):
        res.units("2024-12", 3)


def test_cohort_units_with_start_and_return_events_and_by(shop):
    res = jk.cohort_retention(shop, start_event="purchase", return_event="purchase", by="channel")
    row = res.table[res.table["age"] == 2].iloc[0]
    got = res.units(row["cohort"], 2, channel=row["channel"])
    assert len(got) == row["n"] and (got["channel"] == row["channel"]).all()


# ------------------------------------------------------------------ attribution


def random_log(seed, n_customers=40):
    """Random touchpoints (four channels) and purchases over 40 days, whole hours so that
    events share instants."""
    rng = np.random.default_rng(seed)
    rows = []
    for k in range(n_customers):
        for _ in range(int(rng.integers(1, 14))):
            hour = int(rng.integers(0, 40 * 24))
            if rng.random() < 0.2:
                rows.append((f"c{k:03d}", hour, "purchase", None, float(rng.integers(5, 90))))
            else:
                rows.append((f"c{k:03d}", hour, "visit", rng.choice(list("abcd")), None))
    frame = pd.DataFrame(rows, columns=["customer_id", "hour", "event", "channel", "revenue"])
    frame["timestamp"] = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(
        frame.pop("hour"), unit="h"
    )
    return jk.read_events(frame)


def journeys_by_hand(events, lookback):
    """(customer, conversions, value, path) per journey, by a loop over each customer's
    events: a conversion moment's touchpoints after the previous moment and within the
    lookback, a run in one channel counted once (at one instant touchpoints, by channel,
    come first); the touchpoints after the last moment, within the lookback of the last."""
    out = []
    ordered = events.assign(conv=events["event"] == "purchase").sort_values(
        ["customer_id", "timestamp", "conv", "channel"]
    )
    for who, g in ordered.groupby("customer_id"):
        touches, moment = [], None
        for row in g.itertuples():
            if not row.conv:
                touches.append((row.timestamp, row.channel))
                continue
            value = 0.0 if pd.isna(row.revenue) else row.revenue
            if moment is not None and moment[1] == row.timestamp:
                moment[2] += 1
                moment[3] += value
                continue
            moment = [who, row.timestamp, 1, value, touches]
            out.append(moment)
            touches = []
        if touches:
            out.append([who, touches[-1][0], 0, 0.0, touches])
    rows = []
    for who, at, n, value, touches in out:
        kept = [c for t, c in touches if t >= at - lookback]
        path = tuple(c for i, c in enumerate(kept) if i == len(kept) - 1 or kept[i + 1] != c)
        if path:
            rows.append((who, n, value, path))
    return pd.DataFrame(rows, columns=["customer_id", "conversions", "value", "path"])


def credit_by_hand(path, channel, model):
    """The share of one conversion of ``path`` that ``model`` gives ``channel``."""
    if model == "first_touch":
        return float(path[0] == channel)
    if model == "last_touch":
        return float(path[-1] == channel)
    return path.count(channel) / len(path)  # linear


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_attribution_units_against_journeys_cut_by_hand(seed):
    events = random_log(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", JourneyWarning)
        paths = jk.attribution_paths(events, lookback="5D")
    res = jk.attribution(paths)
    hand = journeys_by_hand(events, pd.Timedelta("5D"))
    hand["touched"] = hand["path"].map(set)
    table = paths.table.assign(channels=paths.table["path"].str.split(" > ").map(set))
    for channel in paths.channels:
        for converted in (True, False):
            mine = hand[[channel in s for s in hand["touched"]]]
            mine = mine[mine["conversions"] > 0] if converted else mine[mine["conversions"] == 0]
            got = paths.units(channel, converted=converted)
            assert got["customer_id"].tolist() == sorted(set(mine["customer_id"]))
            per = mine.groupby("customer_id")
            assert got["journeys"].tolist() == per.size().tolist()
            assert got["conversions"].tolist() == per["conversions"].sum().tolist()
            np.testing.assert_allclose(got["value"], per["value"].sum())
            cell = table[[channel in s for s in table["channels"]]]
            n = (cell["n"] - cell["total_null"]).sum() if converted else cell["total_null"].sum()
            assert got["journeys"].sum() == n
            if converted:
                assert got["conversions"].sum() == cell["total_conversions"].sum()
                pd.testing.assert_frame_equal(res.units(channel), got)
        for model in ("first_touch", "last_touch", "linear", "position_based", "time_decay"):
            got = res.units(channel, model=model)
            cell = res.table[(res.table["channel"] == channel) & (res.table["model"] == model)]
            assert got["credit"].sum() == pytest.approx(cell["conversions"].iloc[0])
            assert got["credit_value"].sum() == pytest.approx(cell["value"].iloc[0])
            assert (got["credit"] > 0).all()
            if model in ("position_based", "time_decay"):  # every touchpoint gets a share
                assert got["customer_id"].tolist() == res.units(channel)["customer_id"].tolist()
                continue
            share = pd.Series([credit_by_hand(p, channel, model) for p in hand["path"]], hand.index)
            mine = hand[(share > 0) & (hand["conversions"] > 0)]
            assert got["customer_id"].tolist() == sorted(set(mine["customer_id"]))
            expected = (mine["conversions"] * share[mine.index]).groupby(mine["customer_id"]).sum()
            np.testing.assert_allclose(got["credit"], expected)


def test_attribution_units_refuse_small_cells_and_what_has_no_units():
    events = jk.pseudonymize(random_log(5), key="secret")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", JourneyWarning)
        paths = jk.attribution_paths(events, lookback="5D")
    res = jk.attribution(paths)
    got = res.units("a")
    assert set(got["customer_id"]) <= set(events["customer_id"])  # the pseudonyms
    with pytest.raises(JourneyDataError, match="min_n=1000"):
        res.units("a", min_n=1000)
    assert len(res.units("a", min_n=len(got))) == len(got)
    with pytest.raises(JourneyDataError, match="no such channel.*'a', 'b'"):
        res.units("email")
    with pytest.raises(JourneyDataError, match="whole path table"):
        res.units("a", model="markov")
    with pytest.raises(JourneyDataError, match="not a rule-based model"):
        jk.attribution(paths, models=["markov", "linear"]).units("a", model="first_touch")
    with pytest.raises(JourneyDataError, match="converted="):
        paths.units("a", converted="yes")
    with pytest.raises(JourneyDataError, match="from a path table"):
        jk.attribution(paths.table).units("a")
