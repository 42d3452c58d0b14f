"""A catalogue of bad and awkward inputs across the whole public API (issue 16).

Every case must fail with a :class:`journeykit.JourneyDataError` (never a raw pandas, numpy,
Ibis, DuckDB or SciPy error, never a silently wrong number) whose message names the
parameter or column, says what was expected and what was received, and contains ``Fix:``.

A case is ``(id, call, expect)``: ``call(d)`` runs the function on the module's shared data
``d``; ``expect`` is how the message names the parameter (``'window='`` or ``'window:'``,
``"'duration'"`` for a column, or a tuple of alternatives, checked as written), or a
tuple of that and further text the message must hold (checked ignoring case; a nested
tuple means any one of them).
The ids start with the module under test: events, stages, kpis, lifecycle, funnels, paths,
survival, nps, abtest, simulate, widgets.
"""

import inspect
import re
import warnings
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import journeykit as jk
from journeykit import JourneyDataError, JourneyWarning
from journeykit import widgets as jw

# the data sets are small, but many calls warn about small samples; not what is tested here
pytestmark = pytest.mark.filterwarnings("ignore::journeykit.JourneyWarning")


def p(name):
    """The parameter named as ``name=...`` or as ``name: ...``."""
    return (f"{name}=", f"{name}:")


AVAILABLE = ("available", "did you mean")  # a list of the choices, or the closest one
PROMO = [("2024-11-25", "2024-12-03")]
STAGE_MAP = {
    "awareness": ["page_view"],
    "consideration": ["product_view"],
    "decision": ["add_to_cart", "checkout_start"],
    "purchase": ["purchase"],
    "retention": ["review"],
    "advocacy": ["referral"],
}
# the small hand-made log: its events run from 2024-01-05 to 2024-03-28
TINY_FIRST, TINY_LAST = "2024-01-05", "2024-03-28"


def raw(**overrides):
    """A small export that has not been through read_events (fresh on every call)."""
    data = {
        "customer_id": ["a", "b", "c"],
        "timestamp": ["2024-03-01 10:00", "2024-03-01 11:00", "2024-03-02 09:30"],
        "event": ["page_view", "product_view", "purchase"],
        "revenue": [None, None, 12.5],
    }
    data.update(overrides)
    return pd.DataFrame(data)


def duplicated_columns(name):
    """``raw()`` with a second column called ``name`` (pandas allows duplicate names)."""
    frame = raw()
    extra = frame[["event"]].set_axis([name], axis=1)
    return pd.concat([frame, extra, extra], axis=1)


@pytest.fixture(scope="module")
def d(tmp_path_factory):
    """Everything the cases use, loaded once: a slice of the bundled shop (the first 400
    units of its experiment), frames that skipped read_events, the survey, the experiment,
    durations and a few files."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        units = jk.load_experiment()
        assignments = units.head(400)[["customer_id", "variant", "assigned_at"]].copy()
        web = jk.load_webshop()
        shop = web[web["customer_id"].isin(set(assignments["customer_id"]))]
        shop = shop.reset_index(drop=True)
        customers = jk.load_customers()
        customers = customers[customers["customer_id"].isin(set(shop["customer_id"]))]
        tiny = jk.read_events(
            pd.DataFrame(
                {
                    "customer_id": ["a", "a", "a", "b", "b", "c", "c", "d"],
                    "timestamp": [
                        "2024-01-05 09:00",
                        "2024-01-20 10:00",
                        "2024-02-10 11:00",
                        "2024-01-15 12:00",
                        "2024-03-01 13:00",
                        "2024-02-01 14:00",
                        "2024-02-02 15:00",
                        "2024-03-28 16:00",
                    ],
                    "event": [
                        "page_view",
                        "purchase",
                        "purchase",
                        "page_view",
                        "purchase",
                        "page_view",
                        "purchase",
                        "page_view",
                    ],
                    "revenue": [None, 10.0, 20.0, None, 5.0, None, 7.5, None],
                }
            )
        )
        durs = jk.durations(shop, by="channel")

    folder = tmp_path_factory.mktemp("bad_inputs")
    files = {
        "header_only": "customer_id,timestamp,event\n",
        "dup_header": "customer_id,timestamp,event,event\na,2024-03-01 10:00,page_view,x\n"
        "b,2024-03-01 11:00,purchase,y\n",
        "ragged": "customer_id,timestamp,event\na,2024-03-01 10:00,page_view\n"
        "b,2024-03-01 11:00,purchase,12.50\nc,2024-03-02 09:30,page_view\n",
        "no_event": "customer_id,timestamp,action\na,2024-03-01 10:00,page_view\n",
        "xml": "<events><event customer_id='a' timestamp='2024-03-01 10:00'/></events>\n",
    }
    paths = {}
    for name, text in files.items():
        suffix = ".xml" if name == "xml" else ".csv"
        paths[name] = folder / f"{name}{suffix}"
        paths[name].write_text(text)
    paths["absent"] = folder / "absent.parquet"

    return SimpleNamespace(
        shop=shop,
        no_stage=shop.drop(columns="stage"),
        str_ts=shop.assign(timestamp=shop["timestamp"].dt.strftime("%Y-%m-%d %H:%M:%S")),
        int_ts=shop.assign(timestamp=shop["timestamp"].astype("int64") // 10**6),
        naive_ts=shop.assign(timestamp=shop["timestamp"].dt.tz_localize(None)),
        tiny=tiny,
        customers=customers.reset_index(drop=True),
        survey=jk.load_survey(),
        units=units,
        assignments=assignments,
        durs=durs,
        raw=raw(),
        dup_columns=duplicated_columns("event"),
        files=paths,
    )


# ----------------------------------------------------------------------------- the catalogue

CASES = [
    # --------------------------------------------------------------- events: read_events
    (
        "events-customer-column-missing",
        lambda d: jk.read_events(d.raw, customer="uid"),
        ("customer=", AVAILABLE),
    ),
    (
        "events-time-column-missing",
        lambda d: jk.read_events(d.raw, time="ts"),
        ("time=", AVAILABLE),
    ),
    (
        "events-event-column-missing",
        lambda d: jk.read_events(d.raw, event="action"),
        ("event=", AVAILABLE),
    ),
    (
        "events-revenue-column-missing",
        lambda d: jk.read_events(d.raw, revenue="amount"),
        ("revenue=", AVAILABLE),
    ),
    (
        "events-channel-column-missing",
        lambda d: jk.read_events(d.raw, channel="utm_source"),
        ("channel=", AVAILABLE),
    ),
    ("events-session-column-missing", lambda d: jk.read_events(d.raw, session="sid"), "session="),
    ("events-order-column-missing", lambda d: jk.read_events(d.raw, order="order_no"), "order="),
    (
        "events-account-column-missing",
        lambda d: jk.read_events(d.raw, account="company"),
        "account=",
    ),
    (
        "events-customer-none-without-canonical-column",
        lambda d: jk.read_events(d.raw.rename(columns={"customer_id": "uid"}), customer=None),
        "customer=",
    ),
    (
        "events-default-time-column-absent",
        lambda d: jk.read_events(d.raw.rename(columns={"timestamp": "event_time"})),
        ("time=", AVAILABLE),
    ),
    (
        "events-header-only-csv",
        lambda d: jk.read_events(d.files["header_only"]),
        (p("source"), "empty"),
    ),
    (
        "events-missing-customer-ids",
        lambda d: jk.read_events(raw(customer_id=["a", np.nan, np.nan])),
        ("customer=", "2 of 3", "example rows"),
    ),
    (
        "events-missing-event-names",
        lambda d: jk.read_events(raw(event=["page_view", None, None])),
        ("event=", "example rows"),
    ),
    (
        "events-missing-timestamps-nat",
        lambda d: jk.read_events(raw(timestamp=pd.to_datetime(["2024-03-01", None, "2024-03-02"]))),
        ("time=", "example rows"),
    ),
    (
        "events-empty-string-ids",
        lambda d: jk.read_events(raw(customer_id=["a", "", "c"])),
        ("customer=", "example rows"),
    ),
    (
        "events-whitespace-ids",
        lambda d: jk.read_events(raw(customer_id=["a", "   ", "c"])),
        "customer=",
    ),
    (
        "events-empty-event-names",
        lambda d: jk.read_events(raw(event=["page_view", "", "x"])),
        "event=",
    ),
    (
        "events-whitespace-event-names",
        lambda d: jk.read_events(raw(event=["page_view", "  ", "purchase"])),
        "event=",
    ),
    ("events-duplicated-event-columns", lambda d: jk.read_events(d.dup_columns), "'event'"),
    (
        "events-duplicated-extra-columns",
        lambda d: jk.read_events(duplicated_columns("note")),
        "'note'",
    ),
    (
        "events-unparseable-timestamps",
        lambda d: jk.read_events(raw(timestamp=["2024-03-01 10:00", "2024-13-45 99:00", "x"])),
        ("time=", "2024-13-45"),
    ),
    (
        "events-time-format-mismatch",
        lambda d: jk.read_events(d.raw, time_format="%d/%m/%Y %H:%M"),
        ("time=", "time_format"),
    ),
    (
        "events-time-format-mismatch-echoes-the-format",
        lambda d: jk.read_events(
            raw(timestamp=["31.12.2024 23:15"] * 3), time_format="%m.%d.%Y %H:%M"
        ),
        ("time=", "time_format='%m.%d.%Y %H:%M'"),
    ),
    (
        "events-time-unit-of-another-magnitude",
        lambda d: jk.read_events(raw(timestamp=[1.7e12, 1.71e12, 1.72e12]), time_unit="s"),
        ("time=", "time_unit='s'", "1.7e12 in 'ms'"),
    ),
    (
        "events-ids-as-times",  # six-digit ids read as epoch seconds would be January 1970
        lambda d: jk.read_events(raw(timestamp=[100234, 200345, 300456])),
        ("time=", "1970-01-02", "time column"),
    ),
    (
        "events-amounts-as-event-names",
        lambda d: jk.read_events(
            raw(amount=[56.93, 12.5, 7.0]).drop(columns="event"), event="amount"
        ),
        ("event=", "decimals", "event names"),
    ),
    (
        "events-amounts-as-customer-ids",
        lambda d: jk.read_events(
            raw(amount=[56.93, 12.5, 7.0]).drop(columns="customer_id"), customer="amount"
        ),
        ("customer=", "decimals", "customer ids"),
    ),
    (
        "events-boolean-timestamps",
        lambda d: jk.read_events(raw(timestamp=[True, False, True])),
        "time=",
    ),
    (
        "events-mixed-offsets-without-colon",
        lambda d: jk.read_events(
            raw(timestamp=["2024-03-01T10:00:00+0100", "2024-03-01 09:00:00", "2024-03-01 08:00"])
        ),
        ("time=", "offset"),
    ),
    (
        "events-negative-mapped-revenue",
        lambda d: jk.read_events(
            raw(amount=[5.0, -1.0, 3.0]).drop(columns="revenue"), revenue="amount"
        ),
        ("revenue=", "negative"),
    ),
    (
        "events-currency-symbol-revenue",
        lambda d: jk.read_events(raw(revenue=["€12", "3.50", None])),
        ("revenue=", "€12"),
    ),
    (
        "events-boolean-revenue",
        lambda d: jk.read_events(raw(revenue=[True, False, True])),
        "revenue=",
    ),
    (
        "events-unsupported-file-type",
        lambda d: jk.read_events(d.files["xml"]),
        ("source=", "not supported"),
    ),
    (
        "events-missing-parquet-file",
        lambda d: jk.read_events(d.files["absent"]),
        ("source=", "no such file"),
    ),
    ("events-csv-duplicated-header", lambda d: jk.read_events(d.files["dup_header"]), "'event'"),
    ("events-ragged-csv", lambda d: jk.read_events(d.files["ragged"]), "source="),
    (
        "events-csv-without-event-column",
        lambda d: jk.read_events(d.files["no_event"]),
        ("event=", AVAILABLE),
    ),
    ("events-tz-not-a-zone", lambda d: jk.read_events(d.raw, tz="Mars/Olympus_Mons"), "tz="),
    ("events-tz-offset-text", lambda d: jk.read_events(d.raw, tz="+01:00"), "tz="),
    ("events-tz-number", lambda d: jk.read_events(d.raw, tz=1), "tz="),
    (
        "events-time-unit-unsupported",
        lambda d: jk.read_events(d.raw, time_unit="sec"),
        "time_unit=",
    ),
    ("events-decimal-unsupported", lambda d: jk.read_events(d.raw, decimal=";"), "decimal="),
    (
        "events-decimal-comma-amounts-without-decimal",
        lambda d: jk.read_events(raw(revenue=["12,50", None, "3,5"])),
        ("revenue=", "decimal=','"),
    ),
    (
        "events-decimal-comma-with-thousands-separator",
        lambda d: jk.read_events(raw(revenue=["1.234,50", None, "3,5"]), decimal=","),
        ("revenue=", "1.234,50"),
    ),
    (
        "events-duplicates-unsupported",
        lambda d: jk.read_events(d.raw, duplicates="ignore"),
        "duplicates=",
    ),
    ("events-source-dict", lambda d: jk.read_events({"customer_id": ["a"]}), (p("source"),)),
    ("events-source-none", lambda d: jk.read_events(None), (p("source"),)),
    # --------------------------------------------------------------- stages: map_stages
    ("stages-stage-mapping-empty-dict", lambda d: jk.stage_mapping({}), "stages"),
    ("stages-stage-mapping-string", lambda d: jk.stage_mapping("awareness"), "stages"),
    (
        "stages-stage-mapping-unknown-stage",
        lambda d: jk.stage_mapping({"page_view": "buying"}),
        ("stages", "buying"),
    ),
    (
        "stages-map-stages-list-of-pairs",
        lambda d: jk.map_stages(d.shop, [("page_view", "awareness")]),
        "stages",
    ),
    (
        "stages-map-stages-unmapped-choice",
        lambda d: jk.map_stages(d.shop, STAGE_MAP, unmapped="ignore"),
        "unmapped=",
    ),
    (
        "stages-map-stages-event-keyed-list",
        lambda d: jk.map_stages(d.shop, {"page_view": ["awareness"]}),
        ("stages", "page_view"),
    ),
    (
        "stages-map-stages-not-a-frame",
        lambda d: jk.map_stages(["page_view"], STAGE_MAP),
        (p("events"),),
    ),
    # --------------------------------------------------------------- kpis
    ("events-summary-string-timestamps", lambda d: jk.event_summary(d.str_ts), "read_events"),
    ("events-summary-not-a-frame", lambda d: jk.event_summary([1, 2]), "events"),
    ("kpis-string-timestamps", lambda d: jk.kpis(d.str_ts), "read_events"),
    ("kpis-integer-timestamps", lambda d: jk.kpis(d.int_ts), "read_events"),
    ("kpis-survey-instead-of-events", lambda d: jk.kpis(d.survey), "read_events"),
    ("kpis-freq-unsupported", lambda d: jk.kpis(d.shop, freq="week"), "freq="),
    ("kpis-freq-list", lambda d: jk.kpis(d.shop, freq=["M"]), "freq="),
    (
        "kpis-stages-non-stage",
        lambda d: jk.kpis(d.shop, stages={"page_view": "buying"}),
        (p("stages"), "buying"),
    ),
    ("kpis-no-stage-column", lambda d: jk.kpis(d.no_stage), (p("stages"),)),
    (
        "kpis-purchase-unknown",
        lambda d: jk.kpis(d.shop, purchase="order_placed"),
        ("purchase=", "available"),
    ),
    ("kpis-cart-unknown", lambda d: jk.kpis(d.shop, cart="basket"), ("cart=", "available")),
    ("kpis-purchase-empty-list", lambda d: jk.kpis(d.shop, purchase=[]), "purchase="),
    ("kpis-cart-none-in-list", lambda d: jk.kpis(d.shop, cart=["add_to_cart", None]), "cart="),
    ("kpis-purchase-number", lambda d: jk.kpis(d.shop, purchase=5), "purchase="),
    ("kpis-by-missing-column", lambda d: jk.kpis(d.shop, by="segment"), (p("by"), AVAILABLE)),
    # --------------------------------------------------------------- lifecycle
    ("lifecycle-summary-string-timestamps", lambda d: jk.customer_summary(d.str_ts), "read_events"),
    (
        "lifecycle-summary-as-of-bare-number",
        lambda d: jk.customer_summary(d.shop, as_of=20240101),
        "as_of",
    ),
    ("lifecycle-summary-as-of-boolean", lambda d: jk.customer_summary(d.shop, as_of=True), "as_of"),
    (
        "lifecycle-summary-as-of-before-data",
        lambda d: jk.customer_summary(d.tiny, as_of="2023-06-01"),
        ("as_of", TINY_FIRST, TINY_LAST),
    ),
    (
        "lifecycle-summary-purchase-unknown",
        lambda d: jk.customer_summary(d.shop, purchase="buy"),
        ("purchase=", "available"),
    ),
    (
        "lifecycle-summary-purchase-none-in-list",
        lambda d: jk.customer_summary(d.shop, purchase=["purchase", None]),
        "purchase=",
    ),
    (
        "lifecycle-summary-activity-empty-list",
        lambda d: jk.customer_summary(d.shop, activity=[]),
        (p("activity"),),
    ),
    (
        "lifecycle-period-bare-int",
        lambda d: jk.lifecycle(d.shop, period=30),
        ("period=", "did you mean '30D'"),
    ),
    (
        "lifecycle-churn-after-bare-text",
        lambda d: jk.lifecycle(d.shop, churn_after="90"),
        ("churn_after=", "did you mean '90D'"),
    ),
    (
        "lifecycle-period-bare-float",
        lambda d: jk.lifecycle(d.shop, period=1.5),
        ("period=", "did you mean '1.5D'"),
    ),
    (
        "lifecycle-churn-after-inf",
        lambda d: jk.lifecycle(d.shop, churn_after=float("inf")),
        "churn_after=",
    ),
    ("lifecycle-period-nan", lambda d: jk.lifecycle(d.shop, period=float("nan")), "period="),
    ("lifecycle-period-none", lambda d: jk.lifecycle(d.shop, period=None), "period="),
    (
        "lifecycle-churn-after-list",
        lambda d: jk.lifecycle(d.shop, churn_after=["90D"]),
        "churn_after=",
    ),
    ("lifecycle-period-zero", lambda d: jk.lifecycle(d.shop, period="0D"), "period="),
    (
        "lifecycle-churn-after-negative",
        lambda d: jk.lifecycle(d.shop, churn_after="-3D"),
        "churn_after=",
    ),
    (
        "lifecycle-churn-after-timedelta-zero",
        lambda d: jk.lifecycle(d.shop, churn_after=pd.Timedelta(0)),
        "churn_after=",
    ),
    ("lifecycle-as-of-bare-number", lambda d: jk.lifecycle(d.shop, as_of=123), "as_of"),
    ("lifecycle-as-of-boolean", lambda d: jk.lifecycle(d.shop, as_of=False), "as_of"),
    ("lifecycle-as-of-text", lambda d: jk.lifecycle(d.shop, as_of="next tuesday"), "as_of"),
    (
        "lifecycle-as-of-day-and-month-ambiguous",  # pandas would read 12 January
        lambda d: jk.lifecycle(d.shop, as_of="01-12-2024"),
        ("as_of=", "month first 2024-01-12", "day first 2024-12-01", "YYYY-MM-DD"),
    ),
    (
        "lifecycle-as-of-before-data",
        lambda d: jk.lifecycle(d.tiny, as_of="2023-06-01"),
        ("as_of", TINY_FIRST, TINY_LAST),
    ),
    ("lifecycle-string-timestamps", lambda d: jk.lifecycle(d.str_ts), "read_events"),
    ("lifecycle-naive-timestamps", lambda d: jk.lifecycle(d.naive_ts), "read_events"),
    (
        "lifecycle-activity-unknown",
        lambda d: jk.lifecycle(d.shop, activity="login"),
        (p("activity"), "available"),
    ),
    (
        "lifecycle-activity-number-in-list",
        lambda d: jk.lifecycle(d.shop, activity=[5]),
        (p("activity"),),
    ),
    ("lifecycle-unit-unsupported", lambda d: jk.lifecycle(d.shop, unit="company"), "unit="),
    (
        "lifecycle-by-list-with-missing-column",
        lambda d: jk.lifecycle(d.shop, by=["channel", "region"]),
        (p("by"), AVAILABLE),
    ),
    (
        "lifecycle-over-time-freq-hourly",
        lambda d: jk.lifecycle_over_time(d.shop, freq="H"),
        "freq=",
    ),
    (
        "lifecycle-over-time-integer-timestamps",
        lambda d: jk.lifecycle_over_time(d.int_ts),
        "read_events",
    ),
    (
        "lifecycle-over-time-activity-unknown",
        lambda d: jk.lifecycle_over_time(d.shop, activity="sale"),
        (p("activity"), "available"),
    ),
    (
        "lifecycle-over-time-unit-unsupported",
        lambda d: jk.lifecycle_over_time(d.shop, unit="team"),
        "unit=",
    ),
    (
        "lifecycle-over-time-by-missing-column",
        lambda d: jk.lifecycle_over_time(d.shop, by="persona"),
        (p("by"), AVAILABLE),
    ),
    ("lifecycle-rfm-bins-zero", lambda d: jk.rfm(d.shop, bins=0), "bins="),
    ("lifecycle-rfm-bins-fraction", lambda d: jk.rfm(d.shop, bins=3.5), "bins="),
    ("lifecycle-rfm-as-of-text", lambda d: jk.rfm(d.shop, as_of="soon"), "as_of"),
    (
        "lifecycle-rfm-as-of-before-data",
        lambda d: jk.rfm(d.tiny, as_of="2023-06-01", purchase="page_view"),
        ("as_of", TINY_FIRST, TINY_LAST),
    ),
    (
        "lifecycle-rfm-purchase-unknown",
        lambda d: jk.rfm(d.shop, purchase="orders"),
        (p("purchase"), "available"),
    ),
    ("lifecycle-rfm-string-timestamps", lambda d: jk.rfm(d.str_ts), "read_events"),
    (
        "lifecycle-transitions-end-before-start",
        lambda d: jk.status_transitions(d.shop, start="2024-06-30", end="2024-03-31"),
        "end=",
    ),
    (
        "lifecycle-transitions-start-bare-number",
        lambda d: jk.status_transitions(d.shop, start=20240101, end="2024-06-30"),
        "start=",
    ),
    (
        "lifecycle-transitions-end-unparseable",
        lambda d: jk.status_transitions(d.shop, start="2024-01-01", end="mid 2024"),
        "end=",
    ),
    (
        "lifecycle-transitions-unit-unsupported",
        lambda d: jk.status_transitions(d.shop, start="2024-01-01", end="2024-06-30", unit="team"),
        "unit=",
    ),
    (
        "lifecycle-transitions-period-bare-number",
        lambda d: jk.status_transitions(d.shop, start="2024-01-01", end="2024-06-30", period=30),
        "period=",
    ),
    (
        "lifecycle-promotions-min-share-text",
        lambda d: jk.promotion_responders(d.shop, promotions=PROMO, min_share="half"),
        "min_share=",
    ),
    (
        "lifecycle-promotions-min-share-above-one",
        lambda d: jk.promotion_responders(d.shop, promotions=PROMO, min_share=1.5),
        "min_share=",
    ),
    (
        "lifecycle-promotions-frame-without-start-end",
        lambda d: jk.promotion_responders(
            d.shop, promotions=pd.DataFrame({"begin": ["2024-11-25"], "finish": ["2024-12-03"]})
        ),
        (p("promotions"), "start"),
    ),
    (
        "lifecycle-promotions-bare-number-bounds",
        lambda d: jk.promotion_responders(d.shop, promotions=[(20241125, 20241203)]),
        (p("promotions"),),
    ),
    (
        "lifecycle-promotions-unparseable-bound",
        lambda d: jk.promotion_responders(d.shop, promotions=[("black friday", "2024-12-03")]),
        (p("promotions"),),
    ),
    (
        "lifecycle-promotions-text",
        lambda d: jk.promotion_responders(d.shop, promotions="xmas"),
        (p("promotions"),),
    ),
    (
        "lifecycle-promotions-purchase-unknown",
        lambda d: jk.promotion_responders(d.shop, promotions=PROMO, purchase="buy"),
        ("purchase=", "available"),
    ),
    (
        "lifecycle-promotions-min-purchases-text",
        lambda d: jk.promotion_responders(d.shop, promotions=PROMO, min_purchases="2"),
        "min_purchases=",
    ),
    # --------------------------------------------------------------- funnels
    (
        "funnels-window-bare-int",
        lambda d: jk.funnel(d.shop, ["product_view", "purchase"], window=7),
        ("window=", "did you mean '7D'"),
    ),
    (
        "funnels-window-bare-text",
        lambda d: jk.funnel(d.shop, ["product_view", "purchase"], window="7"),
        ("window=", "did you mean '7D'"),
    ),
    (
        "funnels-window-words",
        lambda d: jk.funnel(d.shop, ["product_view", "purchase"], window="2 fortnights"),
        "window=",
    ),
    (
        "funnels-window-list",
        lambda d: jk.funnel(d.shop, ["product_view", "purchase"], window=["7D"]),
        "window=",
    ),
    (
        "funnels-window-none",
        lambda d: jk.funnel(d.shop, ["product_view", "purchase"], window=None),
        "window=",
    ),
    (
        "funnels-window-nan",
        lambda d: jk.funnel(d.shop, ["product_view", "purchase"], window=np.nan),
        "window=",
    ),
    (
        "funnels-order-unsupported",
        lambda d: jk.funnel(d.shop, ["product_view", "purchase"], step_order="sequential"),
        "step_order=",
    ),
    (
        "funnels-unit-unsupported",
        lambda d: jk.funnel(d.shop, ["product_view", "purchase"], unit="visitor"),
        "unit=",
    ),
    (
        "funnels-steps-unknown-event",
        lambda d: jk.funnel(d.shop, ["product_view", "checkout_done"]),
        (p("steps"), "available"),
    ),
    ("funnels-steps-empty-list", lambda d: jk.funnel(d.shop, []), (p("steps"),)),
    ("funnels-steps-number", lambda d: jk.funnel(d.shop, ["product_view", 5]), (p("steps"),)),
    ("funnels-steps-none", lambda d: jk.funnel(d.shop, ["product_view", None]), (p("steps"),)),
    (
        "funnels-steps-empty-set",
        lambda d: jk.funnel(d.shop, ["product_view", set()]),
        (p("steps"),),
    ),
    ("funnels-steps-not-a-list", lambda d: jk.funnel(d.shop, 5), (p("steps"),)),
    (
        "funnels-exclude-unknown",
        lambda d: jk.funnel(d.shop, ["product_view", "purchase"], exclude="refund"),
        (p("exclude"), "available"),
    ),
    (
        "funnels-exclude-empty-list",
        lambda d: jk.funnel(d.shop, ["product_view", "purchase"], exclude=[]),
        (p("exclude"),),
    ),
    (
        "funnels-exclude-none-in-list",
        lambda d: jk.funnel(d.shop, ["product_view", "purchase"], exclude=[None]),
        (p("exclude"),),
    ),
    (
        "funnels-exclude-step-zero",
        lambda d: jk.funnel(d.shop, ["product_view", "purchase"], exclude={"page_view": (0, 2)}),
        (p("exclude"),),
    ),
    (
        "funnels-start-after-end",
        lambda d: jk.funnel(
            d.shop, ["product_view", "purchase"], start="2024-06-30", end="2024-01-01"
        ),
        "end=",
    ),
    (
        "funnels-start-bare-number",
        lambda d: jk.funnel(d.shop, ["product_view", "purchase"], start=20240101),
        "start=",
    ),
    (
        "funnels-end-unparseable",
        lambda d: jk.funnel(d.shop, ["product_view", "purchase"], end="whenever"),
        "end=",
    ),
    (
        "funnels-level-percent",
        lambda d: jk.funnel(d.shop, ["product_view", "purchase"], level=95),
        "level=",
    ),
    (
        "funnels-string-timestamps",
        lambda d: jk.funnel(d.str_ts, ["product_view", "purchase"]),
        "read_events",
    ),
    (
        "funnels-integer-timestamps",
        lambda d: jk.funnel(d.int_ts, ["product_view", "purchase"]),
        "read_events",
    ),
    (
        "funnels-by-missing-column",
        lambda d: jk.funnel(d.shop, ["product_view", "purchase"], by="device"),
        (p("by"), AVAILABLE),
    ),
    ("funnels-stage-funnel-no-stage-column", lambda d: jk.stage_funnel(d.no_stage), "stages"),
    (
        "funnels-stage-funnel-mapping-non-stage",
        lambda d: jk.stage_funnel(d.shop, stages={"page_view": "shopping"}),
        "stages",
    ),
    (
        "funnels-stage-funnel-steps-unknown",
        lambda d: jk.stage_funnel(d.shop, steps=["awareness", "loyalty"]),
        (p("steps"), "loyalty"),
    ),
    (
        "funnels-stage-funnel-window-bare-int",
        lambda d: jk.stage_funnel(d.shop, window=30),
        ("window=", "did you mean '30D'"),
    ),
    (
        "funnels-time-to-convert-to-step-unknown",
        lambda d: jk.time_to_convert(d.shop, "product_view", "checkout_done"),
        ("to_step=", "available"),
    ),
    (
        "funnels-time-to-convert-from-step-unknown",
        lambda d: jk.time_to_convert(d.shop, "landing", "purchase"),
        ("from_step=", "available"),
    ),
    (
        "funnels-time-to-convert-from-step-none",
        lambda d: jk.time_to_convert(d.shop, None, "purchase"),
        "from_step=",
    ),
    (
        "funnels-time-to-convert-from-step-empty-list",
        lambda d: jk.time_to_convert(d.shop, [], "purchase"),
        "from_step=",
    ),
    (
        "funnels-time-to-convert-window-bare-text",
        lambda d: jk.time_to_convert(d.shop, "product_view", "purchase", window="3"),
        ("window=", "did you mean '3D'"),
    ),
    (
        "funnels-time-to-convert-unit-unsupported",
        lambda d: jk.time_to_convert(d.shop, "product_view", "purchase", unit="device"),
        "unit=",
    ),
    (
        "funnels-time-to-convert-string-timestamps",
        lambda d: jk.time_to_convert(d.str_ts, "product_view", "purchase"),
        "read_events",
    ),
    # --------------------------------------------------------------- paths
    ("paths-sessionize-gap-bare-text", lambda d: jk.sessionize(d.shop, gap="30"), "gap="),
    ("paths-sessionize-gap-zero", lambda d: jk.sessionize(d.shop, gap=0), "gap="),
    ("paths-sessionize-gap-negative", lambda d: jk.sessionize(d.shop, gap="-30min"), "gap="),
    ("paths-sessionize-string-timestamps", lambda d: jk.sessionize(d.str_ts), "read_events"),
    (
        "paths-transitions-states-missing-column",
        lambda d: jk.transitions(d.shop, states="device"),
        ("states=", AVAILABLE),
    ),
    (
        "paths-transitions-states-list",
        lambda d: jk.transitions(d.shop, states=["event"]),
        "states=",
    ),
    (
        "paths-transitions-unit-unsupported",
        lambda d: jk.transitions(d.shop, unit="household"),
        "unit=",
    ),
    (
        "paths-transitions-integer-timestamps",
        lambda d: jk.transitions(d.int_ts, unit="customer"),
        "read_events",
    ),
    (
        "paths-step-matrix-max-steps-zero",
        lambda d: jk.step_matrix(d.shop, max_steps=0),
        "max_steps=",
    ),
    (
        "paths-step-matrix-states-missing-column",
        lambda d: jk.step_matrix(d.shop, states="screen"),
        (p("states"), AVAILABLE),
    ),
    ("paths-top-paths-top-zero", lambda d: jk.top_paths(d.shop, top=0), "top="),
    ("paths-top-paths-max-steps-zero", lambda d: jk.top_paths(d.shop, max_steps=0), "max_steps="),
    ("paths-top-paths-top-fraction", lambda d: jk.top_paths(d.shop, top=2.5), "top="),
    (
        "paths-top-paths-starting-with-unknown",
        lambda d: jk.top_paths(d.shop, starting_with="landing"),
        ("starting_with=", "available"),
    ),
    (
        "paths-top-paths-ending-with-number",
        lambda d: jk.top_paths(d.shop, ending_with=5),
        "ending_with=",
    ),
    (
        "paths-top-paths-starting-with-empty-list",
        lambda d: jk.top_paths(d.shop, starting_with=[]),
        "starting_with=",
    ),
    (
        "paths-top-paths-conversion-unknown",
        lambda d: jk.top_paths(d.shop, conversion="order"),
        ("conversion=", "available"),
    ),
    ("paths-top-paths-unit-unsupported", lambda d: jk.top_paths(d.shop, unit="visit"), "unit="),
    (
        "paths-top-paths-states-missing-column",
        lambda d: jk.top_paths(d.shop, states="touchpoint"),
        ("states=", AVAILABLE),
    ),
    ("paths-top-paths-string-timestamps", lambda d: jk.top_paths(d.str_ts), "read_events"),
    (
        "paths-sankey-data-max-steps-fraction",
        lambda d: jk.sankey_data(d.shop, max_steps=2.5),
        (p("max_steps"),),
    ),
    ("paths-sankey-data-unit-unsupported", lambda d: jk.sankey_data(d.shop, unit="user"), "unit="),
    (
        "paths-sankey-states-missing-column",
        lambda d: jk.sankey(d.shop, states="medium"),
        ("states=", AVAILABLE),
    ),
    (
        "paths-channel-mix-per-missing-column",
        lambda d: jk.channel_mix(d.shop, per="persona"),
        (p("per"), AVAILABLE),
    ),
    (
        "paths-channel-mix-channel-missing-column",
        lambda d: jk.channel_mix(d.shop, channel="medium"),
        ("channel=", AVAILABLE),
    ),
    ("paths-channel-mix-string-timestamps", lambda d: jk.channel_mix(d.str_ts), "read_events"),
    # --------------------------------------------------------------- survival
    (
        "survival-durations-churn-after-bare-int",
        lambda d: jk.durations(d.shop, churn_after=90),
        ("churn_after=", "did you mean '90D'"),
    ),
    (
        "survival-durations-churn-after-words",
        lambda d: jk.durations(d.shop, churn_after="3 months"),
        "churn_after=",
    ),
    ("survival-durations-as-of-bare-float", lambda d: jk.durations(d.shop, as_of=1.5), "as_of"),
    (
        "survival-durations-as-of-before-data",
        lambda d: jk.durations(d.tiny, as_of="2023-06-01"),
        ("as_of", TINY_FIRST, TINY_LAST),
    ),
    (
        "survival-durations-start-unknown",
        lambda d: jk.durations(d.shop, start_event="signup"),
        ("start_event=", "available"),
    ),
    (
        "survival-durations-start-number",
        lambda d: jk.durations(d.shop, start_event=5),
        "start_event=",
    ),
    (
        "survival-durations-end-event-unknown",
        lambda d: jk.durations(d.shop, end_event="unsubscribe"),
        ("end_event=", "available"),
    ),
    (
        "survival-durations-activity-none-in-list",
        lambda d: jk.durations(d.shop, activity=[None]),
        (p("activity"),),
    ),
    ("survival-durations-string-timestamps", lambda d: jk.durations(d.str_ts), "read_events"),
    (
        "survival-durations-by-missing-column",
        lambda d: jk.durations(d.shop, by="persona"),
        (p("by"), AVAILABLE),
    ),
    (
        "survival-retention-negative-duration",
        lambda d: jk.retention_curve(
            d.durs.assign(duration=np.r_[-1.0, d.durs["duration"].to_numpy()[1:]])
        ),
        "'duration'",
    ),
    (
        "survival-retention-observed-not-0-1",
        lambda d: jk.retention_curve(d.durs.assign(observed=np.arange(len(d.durs)) % 3)),
        "'observed'",
    ),
    (
        "survival-retention-duration-column-missing",
        lambda d: jk.retention_curve(d.durs, duration="days"),
        ("'days'", AVAILABLE),
    ),
    (
        "survival-retention-observed-column-missing",
        lambda d: jk.retention_curve(d.durs, observed="churned"),
        ("'churned'", AVAILABLE),
    ),
    (
        "survival-retention-by-missing-column",
        lambda d: jk.retention_curve(d.durs, by="persona"),
        ("'persona'", AVAILABLE),
    ),
    (
        "survival-retention-level-above-one",
        lambda d: jk.retention_curve(d.durs, level=1.5),
        "level=",
    ),
    (
        "survival-retention-horizons-negative",
        lambda d: jk.retention_curve(d.durs, horizons=[-30]),
        (p("horizons"),),
    ),
    (
        "survival-retention-horizons-text",
        lambda d: jk.retention_curve(d.durs, horizons="90D"),
        (p("horizons"),),
    ),
    ("survival-retention-not-a-frame", lambda d: jk.retention_curve([3.0, 5.0]), (p("durations"),)),
    (
        "survival-cox-covariate-missing",
        lambda d: jk.cox(d.durs, covariates=["tenure"]),
        ("'tenure'", AVAILABLE),
    ),
    ("survival-cox-covariates-empty", lambda d: jk.cox(d.durs, covariates=[]), (p("covariates"),)),
    (
        "survival-cox-strata-missing",
        lambda d: jk.cox(d.durs, covariates=["channel"], strata=["region"]),
        (p("strata"), "region"),
    ),
    (
        "survival-cox-level-zero",
        lambda d: jk.cox(d.durs, covariates=["channel"], level=0),
        "level=",
    ),
    (
        "survival-cox-duration-column-missing",
        lambda d: jk.cox(d.durs, covariates="channel", duration="tenure"),
        "'tenure'",
    ),
    (
        "survival-cohorts-freq-unsupported",
        lambda d: jk.cohort_retention(d.shop, freq="year"),
        "freq=",
    ),
    (
        "survival-cohorts-value-unsupported",
        lambda d: jk.cohort_retention(d.shop, value="orders"),
        "value=",
    ),
    (
        "survival-cohorts-activity-unknown",
        lambda d: jk.cohort_retention(d.shop, activity="visit"),
        (p("activity"), "available"),
    ),
    ("survival-cohorts-integer-timestamps", lambda d: jk.cohort_retention(d.int_ts), "read_events"),
    (
        "survival-cohorts-return-event-unknown",
        lambda d: jk.cohort_retention(d.shop, return_event="visit"),
        (p("return_event"), "available"),
    ),
    (
        "funnel-trend-open-windows-unsupported",
        lambda d: jk.funnel_trend(d.shop, ["product_view", "purchase"], open_windows="drop"),
        ("open_windows=", "'exclude'"),
    ),
    (
        "funnel-trend-first-step-unknown",
        lambda d: jk.funnel_trend(d.shop, ["visit", "purchase"]),
        ("visit", "available"),
    ),
    (
        "stickiness-freq-unsupported",
        lambda d: jk.stickiness(d.shop, freq="D"),
        ("freq=", "'W'"),
    ),
    (
        "stickiness-activity-unknown",
        lambda d: jk.stickiness(d.shop, activity="visit"),
        (p("activity"), "available"),
    ),
    (
        "survival-cohorts-mode-unsupported",
        lambda d: jk.cohort_retention(d.shop, mode="rolling"),
        "mode=",
    ),
    (
        "survival-cohorts-calendar-not-bool",
        lambda d: jk.cohort_retention(d.shop, calendar="rolling"),
        ("calendar=", "calendar=False"),
    ),
    (
        "survival-cohorts-unbounded-revenue",
        lambda d: jk.cohort_retention(d.shop, mode="unbounded", value="revenue"),
        ("mode='unbounded'", "mode='bounded'"),
    ),
    (
        "survival-cohorts-revenue-without-column",
        lambda d: jk.cohort_retention(d.shop.drop(columns="revenue"), value="revenue"),
        "'revenue'",
    ),
    (
        "survival-repeat-purchase-unknown",
        lambda d: jk.repeat_purchase(d.shop, purchase="order"),
        ("purchase=", "available"),
    ),
    (
        "survival-repeat-purchase-empty-list",
        lambda d: jk.repeat_purchase(d.shop, purchase=[]),
        "purchase=",
    ),
    (
        "survival-repeat-purchase-string-timestamps",
        lambda d: jk.repeat_purchase(d.str_ts),
        "read_events",
    ),
    (
        "survival-repeat-purchase-by-missing-column",
        lambda d: jk.repeat_purchase(d.shop, by="tier"),
        (p("by"), AVAILABLE),
    ),
    # --------------------------------------------------------------- nps
    (
        "nps-score-column-missing",
        lambda d: jk.nps(d.survey, score="rating"),
        (p("score"), AVAILABLE),
    ),
    (
        "nps-scores-outside-0-10",
        lambda d: jk.nps(pd.DataFrame({"score": [-1, 5, 10]})),
        (p("score"),),
    ),
    (
        "nps-scores-text",
        lambda d: jk.nps(d.survey.assign(score=d.survey["score"].astype(str) + "/10")),
        (p("score"), "example rows"),
    ),
    ("nps-by-missing-column", lambda d: jk.nps(d.survey, by="region"), (p("by"), AVAILABLE)),
    ("nps-method-unsupported", lambda d: jk.nps(d.survey, interval="wilson"), "interval="),
    ("nps-level-zero", lambda d: jk.nps(d.survey, level=0), "level="),
    ("nps-min-n-zero", lambda d: jk.nps(d.survey, min_n=0), "min_n="),
    ("nps-weights-column-missing", lambda d: jk.nps(d.survey, weights="w"), (p("weights"),)),
    ("nps-weights-wrong-length", lambda d: jk.nps(d.survey, weights=[1.0, 2.0]), (p("weights"),)),
    (
        "nps-compare-empty-frame",
        lambda d: jk.compare_nps(d.survey.iloc[:0], d.survey),
        (p("score"), "no answers"),
    ),
    (
        "nps-compare-score-column-missing",
        lambda d: jk.compare_nps(d.survey, d.survey, score="nps"),
        (p("score"), AVAILABLE),
    ),
    (
        "nps-compare-level-above-one",
        lambda d: jk.compare_nps(d.survey, d.survey, level=2),
        "level=",
    ),
    (
        "nps-trend-time-column-missing",
        lambda d: jk.nps_trend(d.survey, time="answered"),
        ("'answered'", AVAILABLE),
    ),
    ("nps-trend-freq-unsupported", lambda d: jk.nps_trend(d.survey, freq="fortnight"), "freq="),
    (
        "nps-trend-unparseable-dates",
        lambda d: jk.nps_trend(d.survey.assign(date="last spring")),
        (("time=", "'date'"),),
    ),
    (
        "nps-trend-by-missing-column",
        lambda d: jk.nps_trend(d.survey, by="region"),
        ("'region'", AVAILABLE),
    ),
    (
        "nps-drivers-driver-missing",
        lambda d: jk.nps_drivers(d.survey, drivers=["speed"]),
        ((*p("drivers"), "'speed'"), AVAILABLE),
    ),
    ("nps-drivers-empty-list", lambda d: jk.nps_drivers(d.survey, drivers=[]), (p("drivers"),)),
    (
        "nps-drivers-text-driver",
        lambda d: jk.nps_drivers(d.survey, drivers=["persona"]),
        (p("drivers"), "persona"),
    ),
    (
        "nps-drivers-score-column-missing",
        lambda d: jk.nps_drivers(d.survey, drivers=["delivery"], score="nps"),
        ((*p("score"), "'nps'"), AVAILABLE),
    ),
    (
        "nps-by-journey-period-bare-int",
        lambda d: jk.nps_by_journey(d.survey, d.shop, period=30),
        ("period=", "did you mean '30D'"),
    ),
    (
        "nps-by-journey-string-timestamps",
        lambda d: jk.nps_by_journey(d.survey, d.str_ts),
        "read_events",
    ),
    (
        "nps-by-journey-purchase-unknown",
        lambda d: jk.nps_by_journey(d.survey, d.shop, purchase="buy"),
        ("purchase=", "available"),
    ),
    (
        "nps-by-journey-time-column-missing",
        lambda d: jk.nps_by_journey(d.survey, d.shop, time="answered_at"),
        ("'answered_at'", AVAILABLE),
    ),
    (
        "nps-by-journey-method-unsupported",
        lambda d: jk.nps_by_journey(d.survey, d.shop, interval="exact"),
        "interval=",
    ),
    (
        "nps-by-journey-survey-without-customer-id",
        lambda d: jk.nps_by_journey(d.survey.drop(columns="customer_id"), d.shop),
        "'customer_id'",
    ),
    # --------------------------------------------------------------- abtest
    (
        "abtest-one-variant-only",
        lambda d: jk.ab_test(d.units[d.units["variant"] == "control"]),
        (p("variant"),),
    ),
    (
        "abtest-control-not-a-variant",
        lambda d: jk.ab_test(d.units, control="baseline"),
        ("control=", AVAILABLE),
    ),
    ("abtest-metric-text", lambda d: jk.ab_test(d.units.assign(converted="yes")), (p("metric"),)),
    (
        "abtest-metric-column-missing",
        lambda d: jk.ab_test(d.units, metric="revenue"),
        (p("metric"), AVAILABLE),
    ),
    (
        "abtest-variant-column-missing",
        lambda d: jk.ab_test(d.units, variant="arm"),
        (p("variant"), AVAILABLE),
    ),
    ("abtest-kind-unsupported", lambda d: jk.ab_test(d.units, kind="binary"), "kind="),
    (
        "abtest-alternative-unsupported",
        lambda d: jk.ab_test(d.units, alternative="greater"),
        "alternative=",
    ),
    ("abtest-method-unsupported", lambda d: jk.ab_test(d.units, method="t"), "method="),
    ("abtest-interval-unsupported", lambda d: jk.ab_test(d.units, interval="wilson"), "interval="),
    ("abtest-adjust-unsupported", lambda d: jk.ab_test(d.units, adjust="fdr"), "adjust="),
    (
        "abtest-covariate-column-missing",
        lambda d: jk.ab_test(d.units, covariate="pre_revenue"),
        (p("covariate"), AVAILABLE),
    ),
    ("abtest-alpha-zero", lambda d: jk.ab_test(d.units, alpha=0), "alpha="),
    (
        "abtest-denominator-column-missing",
        lambda d: jk.ab_test(d.units, denominator="sessions"),
        (p("denominator"), AVAILABLE),
    ),
    (
        "abtest-ratio-without-denominator",
        lambda d: jk.ab_test(d.units, kind="ratio"),
        (p("denominator"),),
    ),
    (
        "abtest-expected-wrong-length",
        lambda d: jk.ab_test(d.units, expected=[0.5]),
        (p("expected"),),
    ),
    (
        "abtest-expected-negative-share",
        lambda d: jk.ab_test(d.units, expected={"control": 0.5, "treatment": -0.5}),
        (p("expected"),),
    ),
    ("abtest-units-not-a-frame", lambda d: jk.ab_test("units.csv"), (p("units"),)),
    (
        "abtest-sample-size-alpha-above-one",
        lambda d: jk.sample_size(0.01, baseline=0.1, alpha=1.5),
        "alpha=",
    ),
    (
        "abtest-sample-size-baseline-above-one",
        lambda d: jk.sample_size(0.01, baseline=1.2),
        "baseline=",
    ),
    (
        "abtest-sample-size-effect-below-zero-rate",
        lambda d: jk.sample_size(-0.2, baseline=0.1),
        "effect=",
    ),
    (
        "abtest-sample-size-power-zero",
        lambda d: jk.sample_size(0.01, baseline=0.1, power=0),
        "power=",
    ),
    (
        "abtest-sample-size-ratio-zero",
        lambda d: jk.sample_size(0.01, baseline=0.1, ratio=0),
        "ratio=",
    ),
    (
        "abtest-sample-size-alternative-unsupported",
        lambda d: jk.sample_size(0.01, baseline=0.1, alternative="greater"),
        "alternative=",
    ),
    ("abtest-sample-size-effect-zero", lambda d: jk.sample_size(0.0, baseline=0.1), "effect="),
    ("abtest-sample-size-sd-negative", lambda d: jk.sample_size(0.5, sd=-1.0), "sd="),
    ("abtest-power-baseline-negative", lambda d: jk.power(100, 0.02, baseline=-0.1), "baseline="),
    ("abtest-power-n-below-two", lambda d: jk.power(1, 0.02, baseline=0.1), "n="),
    (
        "abtest-power-ratio-negative",
        lambda d: jk.power(100, 0.02, baseline=0.1, ratio=-1),
        "ratio=",
    ),
    ("abtest-mde-power-one", lambda d: jk.mde(1000, baseline=0.1, power=1.0), "power="),
    ("abtest-mde-alpha-negative", lambda d: jk.mde(1000, baseline=0.1, alpha=-0.05), "alpha="),
    ("abtest-mde-n-below-two", lambda d: jk.mde(1, baseline=0.1), "n="),
    ("abtest-mde-no-baseline-or-sd", lambda d: jk.mde(1000), "baseline="),
    ("abtest-mde-sd-zero", lambda d: jk.mde(1000, sd=0), "sd="),
    ("abtest-plan-ratio-zero", lambda d: jk.plan(0.02, baseline=0.1, ratio=0), "ratio="),
    ("abtest-plan-baseline-above-one", lambda d: jk.plan(0.02, baseline=1.5), "baseline="),
    ("abtest-plan-power-above-one", lambda d: jk.plan(0.02, baseline=0.1, power=1.5), "power="),
    ("abtest-plan-relative-without-baseline", lambda d: jk.plan(0.1, relative=True), "baseline="),
    (
        "abtest-srm-negative-count",
        lambda d: jk.srm_test({"control": 100, "treatment": -3}),
        (p("counts"),),
    ),
    (
        "abtest-srm-expected-not-summing-to-one",
        lambda d: jk.srm_test([100, 100], expected=[0.6, 0.6]),
        (p("expected"),),
    ),
    (
        "abtest-srm-expected-wrong-length",
        lambda d: jk.srm_test([100, 100], expected=[0.3, 0.3, 0.4]),
        (p("expected"),),
    ),
    ("abtest-srm-one-variant", lambda d: jk.srm_test([100]), (p("counts"),)),
    ("abtest-srm-text-counts", lambda d: jk.srm_test(["many", "few"]), (p("counts"),)),
    ("abtest-srm-fractional-counts", lambda d: jk.srm_test({"a": 10.5, "b": 3}), (p("counts"),)),
    ("abtest-bayes-prior-negative", lambda d: jk.bayes_ab(d.units, prior=(1, -1)), "prior="),
    ("abtest-bayes-prior-number", lambda d: jk.bayes_ab(d.units, prior=5), "prior="),
    ("abtest-bayes-level-one", lambda d: jk.bayes_ab(d.units, level=1), "level="),
    (
        "abtest-bayes-metric-not-0-1",
        lambda d: jk.bayes_ab(d.units.assign(converted=d.units["converted"] * 3)),
        (p("metric"),),
    ),
    (
        "abtest-bayes-control-not-a-variant",
        lambda d: jk.bayes_ab(d.units, control="ctrl"),
        ("control=", AVAILABLE),
    ),
    ("abtest-bayes-draws-zero", lambda d: jk.bayes_ab(d.units, draws=0), "draws="),
    (
        "abtest-sequential-time-column-missing",
        lambda d: jk.sequential_test(d.units, time="arrival"),
        (p("time"), AVAILABLE),
    ),
    ("abtest-sequential-tau-negative", lambda d: jk.sequential_test(d.units, tau=-1.0), "tau="),
    ("abtest-sequential-alpha-two", lambda d: jk.sequential_test(d.units, alpha=2), "alpha="),
    (
        "abtest-sequential-min-n-too-large",
        lambda d: jk.sequential_test(d.units, first_look=10**6),
        "first_look=",
    ),
    ("abtest-sequential-looks-zero", lambda d: jk.sequential_test(d.units, looks=0), "looks="),
    (
        "abtest-units-window-bare-int",
        lambda d: jk.experiment_units(d.shop, d.assignments, window=14),
        ("window=", "did you mean '14D'"),
    ),
    (
        "abtest-units-pre-window-negative",
        lambda d: jk.experiment_units(d.shop, d.assignments, pre_window="-7D"),
        "pre_window=",
    ),
    (
        "abtest-units-metric-event-unknown",
        lambda d: jk.experiment_units(d.shop, d.assignments, conversion="order"),
        ("conversion=", "available"),
    ),
    (
        "abtest-units-metric-event-empty-list",
        lambda d: jk.experiment_units(d.shop, d.assignments, conversion=[]),
        "conversion=",
    ),
    (
        "abtest-units-assigned-at-column-missing",
        lambda d: jk.experiment_units(d.shop, d.assignments, time="start"),
        ("'start'", AVAILABLE),
    ),
    (
        "abtest-units-unit-column-missing",
        lambda d: jk.experiment_units(d.shop, d.assignments, unit_id="user_id"),
        "'user_id'",
    ),
    (
        "abtest-units-string-timestamps",
        lambda d: jk.experiment_units(d.str_ts, d.assignments),
        "read_events",
    ),
    (
        "abtest-units-unparseable-assigned-at",
        lambda d: jk.experiment_units(d.shop, d.assignments.assign(assigned_at="soon")),
        (("assigned_at=", "'assigned_at'"),),
    ),
    (
        "abtest-units-assignments-not-a-frame",
        lambda d: jk.experiment_units(d.shop, [("c1", "control")]),
        (p("assignments"),),
    ),
    # --------------------------------------------------------------- simulate
    ("simulate-n-customers-negative", lambda d: jk.simulate.webshop(-5), "n_customers="),
    ("simulate-n-customers-fraction", lambda d: jk.simulate.webshop(2.5), "n_customers="),
    ("simulate-start-unparseable", lambda d: jk.simulate.webshop(10, start="someday"), "start="),
    ("simulate-start-bare-number", lambda d: jk.simulate.webshop(10, start=20230101), "start="),
    (
        "simulate-end-before-start",
        lambda d: jk.simulate.webshop(10, start="2024-01-01", end="2023-06-01"),
        "end=",
    ),
    (
        "simulate-experiment-one-date",
        lambda d: jk.simulate.webshop(10, experiment="2024-03-01"),
        "experiment=",
    ),
    # --------------------------------------------------------------- widgets
    (
        "widgets-lifecycle-explorer-string-timestamps",
        lambda d: jw.lifecycle_explorer(d.str_ts),
        "read_events",
    ),
    (
        "widgets-lifecycle-explorer-attributes-without-id",
        lambda d: jw.lifecycle_explorer(d.shop, attributes=d.customers.drop(columns="customer_id")),
        (p("attributes"), "customer_id"),
    ),
    (
        "widgets-lifecycle-explorer-path",
        lambda d: jw.lifecycle_explorer("events.csv"),
        (p("events"),),
    ),
    (
        "widgets-lifecycle-explorer-period-without-number",
        lambda d: jw.lifecycle_explorer(d.shop, period="W"),
        (p("period"), "'2W'"),
    ),
    (
        "widgets-nps-explorer-score-column-missing",
        lambda d: jw.nps_explorer(d.survey, score="rating"),
        (p("score"), AVAILABLE),
    ),
    (
        "widgets-nps-explorer-wave-column-missing",
        lambda d: jw.nps_explorer(d.survey, wave="round"),
        ("wave=", AVAILABLE),
    ),
    ("widgets-nps-explorer-list", lambda d: jw.nps_explorer([9, 10, 3]), (p("survey"),)),
    (
        "widgets-retention-explorer-start-unknown",
        lambda d: jw.retention_explorer(d.shop, start_event="signup"),
        ("start_event=", "available"),
    ),
    (
        "widgets-retention-explorer-integer-timestamps",
        lambda d: jw.retention_explorer(d.int_ts),
        "read_events",
    ),
    (
        "widgets-retention-explorer-attributes-not-a-frame",
        lambda d: jw.retention_explorer(d.shop, attributes=["persona"]),
        (p("attributes"),),
    ),
    (
        "widgets-funnel-explorer-string-timestamps",
        lambda d: jw.funnel_explorer(d.str_ts),
        "read_events",
    ),
    (
        "widgets-funnel-explorer-attributes-without-id",
        lambda d: jw.funnel_explorer(d.shop, attributes=pd.DataFrame({"id": [1]})),
        (p("attributes"), "customer_id"),
    ),
    (
        "widgets-clv-explorer-no-revenue",
        lambda d: jw.clv_explorer(d.shop.drop(columns="revenue")),
        (p("events"), "revenue"),
    ),
    (
        "widgets-clv-explorer-horizon-zero",
        lambda d: jw.clv_explorer(d.shop, horizon=0),
        (p("horizon"),),
    ),
    (
        "widgets-attribution-explorer-lookback-bare",
        lambda d: jw.attribution_explorer(d.shop, lookback="30"),
        (p("lookback"),),
    ),
    (
        "attribution-paths-lookback-bare-number",
        lambda d: jk.attribution_paths(d.shop, lookback=30),
        (p("lookback"),),
    ),
    (
        "attribution-paths-lookback-no-unit",
        lambda d: jk.attribution_paths(d.shop, lookback="30"),
        (p("lookback"),),
    ),
    (
        "attribution-paths-channel-missing-column",
        lambda d: jk.attribution_paths(d.shop, channel="source"),
        (p("channel"), AVAILABLE),
    ),
    (
        "attribution-paths-channel-missing-values",
        lambda d: jk.attribution_paths(d.shop.assign(channel=None)),
        (p("channel"),),
    ),
    (
        "attribution-paths-conversion-unknown",
        lambda d: jk.attribution_paths(d.shop, conversion="signup"),
        (p("conversion"),),
    ),
    (
        "attribution-paths-unit-unsupported",
        lambda d: jk.attribution_paths(d.shop, unit="visit"),
        (p("unit"),),
    ),
    (
        "attribution-paths-string-timestamps",
        lambda d: jk.attribution_paths(d.str_ts),
        "read_events",
    ),
    (
        "attribution-no-conversions",
        lambda d: jk.attribution(
            pd.DataFrame({"path": ["a > b"], "total_conversions": [0], "total_null": [1]})
        ),
        (p("paths"),),
    ),
    (
        "attribution-one-channel",
        lambda d: jk.attribution(
            pd.DataFrame({"path": ["a > a"], "total_conversions": [1], "total_null": [1]})
        ),
        (p("paths"), "one channel"),
    ),
    (
        "attribution-models-unknown",
        lambda d: jk.attribution(
            pd.DataFrame({"path": ["a > b"], "total_conversions": [1], "total_null": [1]}),
            models=["markow"],
        ),
        (p("models"), AVAILABLE),
    ),
    (
        "attribution-markov-order-four",
        lambda d: jk.attribution(
            pd.DataFrame({"path": ["a > b"], "total_conversions": [1], "total_null": [1]}),
            markov_order=4,
        ),
        (p("markov_order"),),
    ),
    ("attribution-events-not-paths", lambda d: jk.attribution(d.shop), (p("paths"),)),
    ("privacy-pseudonymize-no-key", lambda d: jk.pseudonymize(d.shop, key=""), (p("key"),)),
    (
        "privacy-pseudonymize-unknown-column",
        lambda d: jk.pseudonymize(d.shop, key="k", columns=["user"]),
        (p("columns"), "user"),
    ),
    (
        "privacy-suppress-small-no-counts",
        lambda d: jk.suppress_small(pd.DataFrame({"rate": [0.1]})),
        (p("table"), "count column"),
    ),
    (
        "privacy-suppress-small-min-n-zero",
        lambda d: jk.suppress_small(pd.DataFrame({"n": [5]}), min_n=0),
        (p("min_n"),),
    ),
    (
        "privacy-limit-retention-keep-without-unit",
        lambda d: jk.limit_retention(d.shop, keep="24"),
        (p("keep"), "24M"),
    ),
    (
        "tables-read-attributes-unknown-id-column",
        lambda d: jk.read_attributes(d.customers, customer="uid"),
        (p("customer"), "uid"),
    ),
    (
        "tables-read-attributes-blank-ids",
        lambda d: jk.read_attributes(pd.DataFrame({"customer_id": ["a", " "], "x": [1, 2]})),
        (p("customer"), "no id"),
    ),
    (
        "tables-read-survey-score-outside-0-10",
        lambda d: jk.read_survey(pd.DataFrame({"score": [3, 11]})),
        (p("score"), "0"),
    ),
    (
        "tables-read-units-unknown-variant-column",
        lambda d: jk.read_units(d.units, variant="arm"),
        (p("variant"), "arm"),
    ),
    (
        "clv-summary-calibration-end-after-the-data",
        lambda d: jk.clv_summary(d.shop, calibration_end="2030-01-01"),
        (p("calibration_end"),),
    ),
    (
        "clv-fit-bgnbd-not-a-summary",
        lambda d: jk.fit_bgnbd(pd.DataFrame({"x": [1]})),
        (p("summary"),),
    ),
    (
        "clv-fit-gamma-gamma-not-a-summary",
        lambda d: jk.fit_gamma_gamma(pd.DataFrame({"x": [1]})),
        (p("summary"),),
    ),
    (
        "clv-predict-without-models",
        lambda d: jk.predict_clv(jk.clv_summary(d.shop), "bgnbd", "gg"),
        (p("bgnbd"),),
    ),
    (
        "clv-by-unknown-column",
        lambda d: jk.clv_by(
            jk.clv_summary(d.shop),
            jk.fit_bgnbd(jk.clv_summary(d.shop)),
            jk.fit_gamma_gamma(jk.clv_summary(d.shop)),
            by="nope",
        ),
        (p("by"), "nope"),
    ),
    (
        "clv-holdout-calibration-end-before-the-data",
        lambda d: jk.clv_holdout(d.shop, calibration_end="1990-01-01"),
        (p("calibration_end"),),
    ),
]

# as_of (or end) long after the last event: a JourneyWarning naming the parameter
WARNING_CASES = [
    ("lifecycle-as-of-after-data", lambda d: jk.lifecycle(d.tiny, as_of="2030-01-01"), "as_of"),
    (
        "lifecycle-summary-as-of-after-data",
        lambda d: jk.customer_summary(d.tiny, as_of="2030-01-01"),
        "as_of",
    ),
    ("lifecycle-rfm-as-of-after-data", lambda d: jk.rfm(d.tiny, as_of="2030-01-01"), "as_of"),
    (
        "lifecycle-transitions-end-after-data",
        lambda d: jk.status_transitions(d.tiny, start="2024-02-01", end="2030-01-01"),
        "end",
    ),
    (
        "survival-durations-as-of-after-data",
        lambda d: jk.durations(d.tiny, as_of="2030-01-01"),
        "as_of",
    ),
]

# wherever one event name is accepted, a list of names is too
LIST_CASES = [
    (
        "kpis-purchase-and-cart-lists",
        lambda d: jk.kpis(d.shop, purchase=["purchase"], cart=["add_to_cart"]),
    ),
    (
        "lifecycle-summary-activity-list",
        lambda d: jk.customer_summary(d.shop, activity=["page_view", "product_view"]),
    ),
    (
        "lifecycle-summary-purchase-list",
        lambda d: jk.customer_summary(d.shop, purchase=["purchase"]),
    ),
    ("lifecycle-activity-list", lambda d: jk.lifecycle(d.shop, activity=["purchase"])),
    (
        "lifecycle-over-time-activity-list",
        lambda d: jk.lifecycle_over_time(d.shop, activity=["purchase", "review"]),
    ),
    ("lifecycle-rfm-purchase-list", lambda d: jk.rfm(d.shop, purchase=["purchase"])),
    (
        "lifecycle-promotions-purchase-list",
        lambda d: jk.promotion_responders(d.shop, promotions=PROMO, purchase=["purchase"]),
    ),
    (
        "funnels-exclude-list",
        lambda d: jk.funnel(d.shop, ["product_view", "purchase"], exclude=["referral"]),
    ),
    (
        "funnels-time-to-convert-step-lists",
        lambda d: jk.time_to_convert(d.shop, ["product_view"], ["purchase"]),
    ),
    (
        "paths-top-paths-anchor-and-conversion-lists",
        lambda d: jk.top_paths(
            d.shop, unit="customer", starting_with=["product_view"], conversion=["purchase"]
        ),
    ),
    ("survival-durations-start-list", lambda d: jk.durations(d.shop, start_event=["purchase"])),
    (
        "survival-cohorts-activity-list",
        lambda d: jk.cohort_retention(d.shop, activity=["purchase"]),
    ),
    ("survival-repeat-purchase-list", lambda d: jk.repeat_purchase(d.shop, purchase=["purchase"])),
    (
        "nps-by-journey-purchase-list",
        lambda d: jk.nps_by_journey(d.survey, d.shop, purchase=["purchase"]),
    ),
    (
        "abtest-units-metric-event-list",
        lambda d: jk.experiment_units(d.shop, d.assignments, conversion=["purchase"]),
    ),
]

# failing calls whose inputs must come out unchanged (a representative subset of CASES)
NO_MUTATION = [
    "events-customer-column-missing",
    "events-time-format-mismatch",
    "events-duplicated-event-columns",
    "stages-map-stages-unmapped-choice",
    "kpis-stages-non-stage",
    "kpis-string-timestamps",
    "lifecycle-period-bare-int",
    "lifecycle-promotions-min-share-text",
    "funnels-start-after-end",
    "funnels-time-to-convert-to-step-unknown",
    "paths-transitions-states-list",
    "paths-top-paths-conversion-unknown",
    "survival-retention-horizons-negative",
    "survival-cox-strata-missing",
    "nps-weights-column-missing",
    "nps-trend-unparseable-dates",
    "abtest-control-not-a-variant",
    "abtest-units-metric-event-unknown",
    "abtest-units-unparseable-assigned-at",
    "widgets-lifecycle-explorer-attributes-without-id",
]

BY_ID = {case_id: call for case_id, call, _ in CASES}


def _params(cases):
    return [pytest.param(*rest, id=case_id) for case_id, *rest in cases]


def _has(message: str, wanted) -> bool:
    """``wanted`` (a text, or a tuple of alternatives) occurs in ``message``, ignoring case."""
    options = wanted if isinstance(wanted, tuple) else (wanted,)
    return any(option.lower() in message.lower() for option in options)


def _names(param) -> tuple[str, ...]:
    """The ways a message may name ``param``: ``'window='`` also as ``'window:'``."""
    names = param if isinstance(param, tuple) else (param,)
    return (*names, *(n[:-1] + ":" for n in names if n.endswith("=")))


def check_error(call, expect) -> str:
    """``call()`` raises a JourneyDataError naming the parameter and giving a fix."""
    param, *extra = expect if isinstance(expect, tuple) else (expect,)
    names = _names(param)
    with pytest.raises(JourneyDataError) as err:
        call()
    msg = str(err.value)
    assert any(name in msg for name in names), f"the message does not name {param!r}: {msg}"
    assert "Fix:" in msg, f"the message gives no 'Fix:': {msg}"
    for wanted in extra:
        assert _has(msg, wanted), f"the message lacks {wanted!r}: {msg}"
    return msg


# ----------------------------------------------------------------------------- tests


def test_the_catalogue_is_large_and_its_ids_distinct():
    ids = [case_id for case_id, *_ in [*CASES, *WARNING_CASES]]
    assert len(ids) == len(set(ids))
    assert len(CASES) >= 130
    assert set(NO_MUTATION) <= set(BY_ID)


def test_the_catalogue_covers_the_public_functions():
    """Every public function that takes arguments has at least one case."""
    public = {
        name
        for name in jk.__all__
        if inspect.isfunction(getattr(jk, name)) and inspect.signature(getattr(jk, name)).parameters
    }
    public |= {f"widgets.{n}" for n in ("lifecycle_explorer", "nps_explorer", "retention_explorer")}
    public |= {"widgets.funnel_explorer", "widgets.clv_explorer", "simulate.webshop"}
    public |= {"widgets.attribution_explorer"}
    source = Path(__file__).read_text()
    called = set(re.findall(r"\bjk\.(\w+)\(", source))
    called |= {f"widgets.{n}" for n in re.findall(r"\bjw\.(\w+)\(", source)}
    called |= {f"simulate.{n}" for n in re.findall(r"\bjk\.simulate\.(\w+)\(", source)}
    assert public <= called, sorted(public - called)


@pytest.mark.parametrize(("call", "expect"), _params(CASES))
def test_bad_input_is_explained(d, call, expect):
    check_error(lambda: call(d), expect)


@pytest.mark.parametrize(("call", "param"), _params(WARNING_CASES))
def test_dates_long_after_the_data_warn(d, call, param):
    with pytest.warns(JourneyWarning) as record:
        call(d)
    messages = [str(w.message) for w in record if issubclass(w.category, JourneyWarning)]
    assert any(param in m for m in messages), f"no JourneyWarning names {param!r}: {messages}"


@pytest.mark.parametrize("call", _params(LIST_CASES))
def test_lists_of_event_names_are_accepted(d, call):
    assert call(d) is not None


@pytest.mark.parametrize("case_id", NO_MUTATION)
def test_failing_calls_leave_the_inputs_unchanged(d, case_id):
    frames = {k: v for k, v in vars(d).items() if isinstance(v, pd.DataFrame)}
    before = {k: v.copy(deep=True) for k, v in frames.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            BY_ID[case_id](d)
        except Exception:  # noqa: BLE001 - whatever it raises, the inputs must be intact
            pass
    for name, frame in frames.items():
        pd.testing.assert_frame_equal(frame, before[name], obj=f"d.{name}")
