"""The Result contract, checked over every Result class built from the bundled data: frozen,
``summary`` and ``to_frame()`` as DataFrames, ``plot(ax)`` drawing on the given Axes with a
title and labelled axes, ``_repr_html_`` with escaped notes, ``conclusion`` as text where a
result has one, and every class exported."""

import dataclasses
import html
import inspect
import warnings

import matplotlib
import pandas as pd
import pytest

import journeykit as jk
from journeykit.results import Result

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def data():
    events = jk.load_webshop()
    first = events["customer_id"].drop_duplicates().head(4000)
    events = events[events["customer_id"].isin(first)].reset_index(drop=True)
    customers = jk.load_customers()
    return {
        "events": events,
        "customers": customers[customers["customer_id"].isin(first)],
        "survey": jk.load_survey(),
        "units": jk.load_experiment(),
    }


STEPS = ["product_view", "add_to_cart", "purchase"]
DRIVERS = ["delivery", "service", "price", "site_speed"]


#: Result class name -> how to build one from the bundled data
def _clv(d):
    """The web-shop slice's CLV summary (by acquisition channel) and both fitted models."""
    if "clv" not in d:
        summary = jk.clv_summary(d["events"], freq="W", by="channel")
        d["clv"] = summary, jk.fit_bgnbd(summary, freq="W"), jk.fit_gamma_gamma(summary)
    return d["clv"]


BUILDERS = {
    "AttributionPaths": lambda d: jk.attribution_paths(d["events"]),
    "Attribution": lambda d: jk.attribution(jk.attribution_paths(d["events"])),
    "BGNBD": lambda d: _clv(d)[1],
    "GammaGamma": lambda d: _clv(d)[2],
    "CLVBy": lambda d: jk.clv_by(*_clv(d), by="channel", n_boot=50),
    "Holdout": lambda d: jk.clv_holdout(d["events"], calibration_end="2024-06-30", freq="W"),
    "EventSummary": lambda d: jk.event_summary(d["events"]),
    "KPIs": lambda d: jk.kpis(d["events"], freq="M"),
    "Lifecycle": lambda d: jk.lifecycle(d["events"], as_of="2024-09-30"),
    "LifecycleOverTime": lambda d: jk.lifecycle_over_time(d["events"], freq="M"),
    "RFM": lambda d: jk.rfm(d["events"], as_of="2024-09-30"),
    "StatusTransitions": lambda d: jk.status_transitions(
        d["events"], start="2024-03-31", end="2024-09-30"
    ),
    "PromotionResponders": lambda d: jk.promotion_responders(
        d["events"], promotions=jk.simulate.promotions("2023-01-01", "2024-12-31")
    ),
    "Funnel": lambda d: jk.funnel(d["events"], STEPS, window="7D", by="channel"),
    "FunnelTrend": lambda d: jk.funnel_trend(d["events"], STEPS, freq="M", window="7D"),
    "TimeToConvert": lambda d: jk.time_to_convert(d["events"], STEPS[0], STEPS[-1]),
    "Transitions": lambda d: jk.transitions(d["events"]),
    "TopPaths": lambda d: jk.top_paths(d["events"]),
    "SankeyData": lambda d: jk.sankey_data(d["events"]),
    "StepMatrix": lambda d: jk.step_matrix(d["events"]),
    "ChannelMix": lambda d: jk.channel_mix(d["events"]),
    "RetentionCurve": lambda d: jk.retention_curve(
        jk.durations(d["events"], by=d["customers"][["customer_id", "persona"]]), by="persona"
    ),
    "Cox": lambda d: jk.cox(
        jk.durations(d["events"], by=d["customers"][["customer_id", "persona", "segment"]]),
        covariates=["persona", "segment"],
    ),
    "CohortRetention": lambda d: jk.cohort_retention(d["events"], freq="M"),
    "RepeatPurchase": lambda d: jk.repeat_purchase(d["events"]),
    "Stickiness": lambda d: jk.stickiness(d["events"], freq="M"),
    "NPS": lambda d: jk.nps(d["survey"], by="persona"),
    "NPSTrend": lambda d: jk.nps_trend(d["survey"], freq="Q"),
    "Drivers": lambda d: jk.nps_drivers(d["survey"], drivers=DRIVERS),
    "ABTest": lambda d: jk.ab_test(d["units"]),
    "SRM": lambda d: jk.srm_test(d["units"]["variant"].value_counts()),
    "Plan": lambda d: jk.plan(0.05, baseline=0.67, relative=True),
    "Sequential": lambda d: jk.sequential_test(d["units"], time="assigned_at"),
    "Bayes": lambda d: jk.bayes_ab(d["units"]),
}


def result_classes():
    """Every Result subclass defined in a journeykit module (``journeykit.nps`` the module,
    not the function the package exports under that name). Every module is imported first:
    some load on first use (``journeykit.clv``), so the list must not depend on which tests
    ran before."""
    import importlib
    import pkgutil
    import sys

    for info in pkgutil.iter_modules(jk.__path__):
        importlib.import_module(f"journeykit.{info.name}")
    found = {}
    for name, module in list(sys.modules.items()):
        if name.startswith("journeykit.") and module is not None:
            for cls_name, cls in inspect.getmembers(module, inspect.isclass):
                mine = cls.__module__ == module.__name__
                if issubclass(cls, Result) and cls is not Result and mine:
                    found[cls_name] = cls
    return found


def test_every_result_class_is_built_here_and_exported():
    classes = result_classes()
    assert set(classes) == set(BUILDERS)
    assert set(classes) <= set(jk.__all__)


@pytest.mark.parametrize("name", list(BUILDERS))
def test_result_contract(data, name):
    import matplotlib.pyplot as plt

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", jk.JourneyWarning)
        result = BUILDERS[name](data)
    assert type(result).__name__ == name
    assert dataclasses.is_dataclass(result)
    field = dataclasses.fields(result)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(result, field, None)
    for table in (result.summary, result.to_frame()):
        assert isinstance(table, pd.DataFrame) and len(table)
    assert result.to_frame() is not result.summary  # a copy the user may change
    page = result._repr_html_()
    assert html.escape(result.title) in page
    for note in result.notes:
        assert html.escape(note) in page
    if hasattr(type(result), "conclusion"):
        assert isinstance(result.conclusion, str) and result.conclusion
    fig, ax = plt.subplots()
    assert result.plot(ax=ax) is ax
    axes = fig.axes
    assert any(a.get_title() for a in axes), f"{name}.plot: no title"
    assert all(a.get_xlabel() or a.get_ylabel() for a in axes if a.has_data()), (
        f"{name}.plot: unlabelled axes"
    )
    plt.close(fig)
