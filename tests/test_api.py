"""Promises of the whole public API: every event-level function gives the same answer on a
DataFrame and on the lazy table ``read_events`` returns for a file, and no function changes
what the user passed in."""

import warnings

import ibis
import pandas as pd
import pytest

import journeykit as jk

AS_OF = "2024-09-30"
STEPS = ["product_view", "add_to_cart", "purchase"]


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """A slice of the bundled shop as a frame and as a lazy table read from Parquet."""
    events = jk.load_webshop()
    keep = events["customer_id"].isin(events["customer_id"].drop_duplicates().head(3000))
    frame = events[keep].reset_index(drop=True)
    path = tmp_path_factory.mktemp("api") / "shop.parquet"
    frame.to_parquet(path)
    customers = jk.load_customers()
    return (
        frame,
        jk.read_events(path),
        customers[customers["customer_id"].isin(frame["customer_id"])],
    )


#: name -> call(events, customers): every event-level function of the public API
CALLS = {
    "event_summary": lambda ev, c: jk.event_summary(ev).table,
    "kpis": lambda ev, c: jk.kpis(ev, freq="M").commerce,
    "customer_summary": lambda ev, c: jk.customer_summary(ev, as_of=AS_OF),
    "lifecycle": lambda ev, c: jk.lifecycle(ev, as_of=AS_OF).table,
    "lifecycle by attribute": lambda ev, c: (
        jk.lifecycle(ev, as_of=AS_OF, by=c[["customer_id", "persona"]]).table
    ),
    "lifecycle_over_time": lambda ev, c: jk.lifecycle_over_time(ev, freq="M").table,
    "rfm": lambda ev, c: jk.rfm(ev, as_of=AS_OF).segments,
    "status_transitions": lambda ev, c: (
        jk.status_transitions(ev, start="2024-03-31", end=AS_OF).counts
    ),
    "funnel": lambda ev, c: jk.funnel(ev, STEPS, window="7D", by="channel").table,
    "funnel_trend": lambda ev, c: jk.funnel_trend(ev, STEPS, window="7D").periods,
    "stage_funnel": lambda ev, c: jk.stage_funnel(ev, window="365D").table,
    "time_to_convert": lambda ev, c: jk.time_to_convert(ev, STEPS[0], STEPS[-1]).table,
    "top_paths": lambda ev, c: jk.top_paths(ev, top=10).table,
    "transitions": lambda ev, c: jk.transitions(ev, unit="session").table,
    "sankey_data": lambda ev, c: jk.sankey_data(ev, max_steps=4).links,
    "channel_mix": lambda ev, c: jk.channel_mix(ev, per="stage").table,
    "durations": lambda ev, c: jk.durations(ev, start_event="purchase"),
    "cohort_retention": lambda ev, c: jk.cohort_retention(ev, freq="M").table,
    "repeat_purchase": lambda ev, c: jk.repeat_purchase(ev).table,
    "stickiness": lambda ev, c: jk.stickiness(ev).daily,
}


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in one order whatever the engine returned (results are sets of rows)."""
    frame = frame.reset_index(drop=True)
    keys = [c for c in frame.columns if frame[c].map(lambda v: isinstance(v, list)).sum() == 0]
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)


@pytest.mark.parametrize("name", list(CALLS))
def test_a_file_gives_the_same_answer_as_a_frame(shop, name):
    frame, lazy, customers = shop
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", jk.JourneyWarning)
        expected = CALLS[name](frame, customers)
        got = CALLS[name](lazy, customers)
    pd.testing.assert_frame_equal(_sorted(got), _sorted(expected), check_dtype=False)


def test_the_lazy_route_is_lazy(shop):
    _, lazy, _ = shop
    assert isinstance(lazy, ibis.expr.types.Table)
    assert jk._engine.on_connection(lazy)


@pytest.mark.parametrize("name", list(CALLS))
def test_nothing_passed_in_is_mutated(shop, name):
    frame, _, customers = shop
    before = frame.copy(deep=True), customers.copy(deep=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", jk.JourneyWarning)
        CALLS[name](frame, customers)
    pd.testing.assert_frame_equal(frame, before[0])
    pd.testing.assert_frame_equal(customers, before[1])


def test_statistics_do_not_mutate_their_input():
    survey, units = jk.load_survey(), jk.load_experiment()
    before = survey.copy(deep=True), units.copy(deep=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", jk.JourneyWarning)
        jk.nps(survey, by="persona", interval="adjusted_wald")
        jk.nps_trend(survey, freq="Q")
        jk.nps_drivers(survey, drivers=["delivery", "service", "price", "site_speed"])
        jk.ab_test(units)
        jk.sequential_test(units, time="assigned_at")
        jk.bayes_ab(units)
        durations = jk.durations(jk.load_webshop(), start_event="purchase")
        kept = durations.copy(deep=True)
        jk.retention_curve(durations)
    pd.testing.assert_frame_equal(survey, before[0])
    pd.testing.assert_frame_equal(units, before[1])
    pd.testing.assert_frame_equal(durations, kept)
