"""GA4's BigQuery export flattened: a GA4-shaped Parquet sample built here (nested
event_params with mixed value types, parameters missing on some events, purchases with
revenue and transaction ids, consent-mode events without an id) read by DuckDB through
Ibis, checked row by row against a direct pandas reading of the same generated records,
then through read_events into customer_summary and funnel; the same rows on PySpark; and
bad input."""

import inspect
import warnings

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import journeykit as jk
from journeykit import JourneyDataError, JourneyWarning, ga4
from journeykit.ga4 import event_params, flatten_ga4

START = pd.Timestamp("2024-03-01", tz="UTC")
SOURCES = [("google", "organic"), ("google", "cpc"), ("newsletter", "email"), (None, None)]
PARAMS = ["ga_session_id", "page_location", "source", "medium", "value", "score", "ratio"]
STEPS = ["page_view", "add_to_cart", "purchase"]


def _param(key, kind, value):
    return {"key": key, "value": {kind: value}}


def generate(rng, n_users=40):
    """GA4-shaped export rows, and the flat truth of each row built from the same draws
    (None for the rows without a user_pseudo_id)."""
    rows, truth, order = [], [], 0
    for u in range(n_users):
        pseudo = f"{rng.integers(10**8, 10**9)}.{1700000000 + u}"
        login = f"member{u}" if rng.random() < 0.4 else None
        first = SOURCES[u % 3]
        device = ["desktop", "mobile", "tablet"][rng.integers(3)]
        t = (START + pd.Timedelta(hours=float(rng.uniform(0, 24 * 20)))).floor("us")
        for number in range(1, int(rng.integers(1, 4)) + 1):
            session = int(t.timestamp())
            src, med = SOURCES[rng.integers(len(SOURCES))]
            names = ["session_start", "page_view"]
            names += ["page_view"] * int(rng.integers(0, 3))
            if rng.random() < 0.6:
                names.append("add_to_cart")
                if rng.random() < 0.6:
                    names.append("purchase")
            for i, name in enumerate(names):
                t += pd.Timedelta(microseconds=int(rng.integers(1, 600_000_000)))
                params, flat = [], dict.fromkeys(PARAMS)
                if rng.random() < 0.95:  # a few events lack the session id
                    params.append(_param("ga_session_id", "int_value", session))
                    flat["ga_session_id"] = session
                params.append(_param("ga_session_number", "int_value", number))
                if name == "page_view":
                    url = f"https://shop.example/p{rng.integers(20)}"
                    params.append(_param("page_location", "string_value", url))
                    flat["page_location"] = url
                if i == 0 and src is not None:  # campaign data on the session's first event
                    params += [
                        _param("source", "string_value", src),
                        _param("medium", "string_value", med),
                    ]
                    flat["source"], flat["medium"] = src, med
                revenue = order_id = None
                ecommerce = {"transaction_id": "(not set)"} if name == "add_to_cart" else None
                if name == "purchase":
                    order += 1
                    order_id = f"T{order:04d}"
                    whole = rng.random() < 0.4  # GA4 writes a whole value as int_value
                    revenue = float(rng.integers(5, 90)) if whole else round(rng.uniform(5, 90), 2)
                    kind = "int_value" if whole else "double_value"
                    params.append(_param("value", kind, int(revenue) if whole else revenue))
                    flat["value"] = revenue
                    ecommerce = {"purchase_revenue": revenue, "transaction_id": order_id}
                if rng.random() < 0.3:  # a custom parameter sent as text or as a number
                    if rng.random() < 0.5:
                        score = str(rng.integers(10))
                        params.append(_param("score", "string_value", score))
                    else:
                        score = int(rng.integers(10))
                        params.append(_param("score", "int_value", score))
                    flat["score"] = str(score)
                if rng.random() < 0.2:
                    ratio = float(np.float32(rng.uniform()))
                    params.append(_param("ratio", "float_value", ratio))
                    flat["ratio"] = ratio
                params = [params[j] for j in rng.permutation(len(params))]
                consent = rng.random() < 0.03  # consent mode: exported without an id
                stamp = (t - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(microseconds=1)
                rows.append(
                    {
                        "event_date": t.tz_convert("America/Los_Angeles").strftime("%Y%m%d"),
                        "event_timestamp": int(stamp),
                        "event_name": name,
                        "event_params": params,
                        "user_id": login if number > 1 else None,
                        "user_pseudo_id": None if consent else pseudo,
                        "ecommerce": ecommerce,
                        "traffic_source": {
                            "name": "(direct)",
                            "source": first[0],
                            "medium": first[1],
                        },
                        "device": {"category": device, "operating_system": "Linux"},
                    }
                )
                if consent:
                    truth.append(None)
                    continue
                channel = None if flat["source"] is None else f"{flat['source']} / {flat['medium']}"
                session_id = None if flat["ga_session_id"] is None else f"{pseudo}-{session}"
                truth.append(
                    {
                        "customer_id": pseudo,
                        "timestamp": t,
                        "event": name,
                        "revenue": revenue,
                        "channel": channel,
                        "session_id": session_id,
                        "order_id": order_id,
                        **flat,
                    }
                )
            t = (t + pd.Timedelta(hours=float(rng.uniform(2, 24 * 5)))).floor("us")
    return rows, truth


SCHEMA = pa.schema(
    [
        ("event_date", pa.string()),
        ("event_timestamp", pa.int64()),
        ("event_name", pa.string()),
        (
            "event_params",
            pa.list_(
                pa.struct(
                    [
                        ("key", pa.string()),
                        (
                            "value",
                            pa.struct(
                                [
                                    ("string_value", pa.string()),
                                    ("int_value", pa.int64()),
                                    ("float_value", pa.float64()),
                                    ("double_value", pa.float64()),
                                ]
                            ),
                        ),
                    ]
                )
            ),
        ),
        ("user_id", pa.string()),
        ("user_pseudo_id", pa.string()),
        (
            "ecommerce",
            pa.struct(
                [
                    ("purchase_revenue", pa.float64()),
                    ("purchase_revenue_in_usd", pa.float64()),
                    ("transaction_id", pa.string()),
                ]
            ),
        ),
        (
            "traffic_source",
            pa.struct([("name", pa.string()), ("medium", pa.string()), ("source", pa.string())]),
        ),
        ("device", pa.struct([("category", pa.string()), ("operating_system", pa.string())])),
    ]
)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The GA4-shaped Parquet file and the truth of its rows (those with a user id)."""
    rows, truth = generate(np.random.default_rng(20261123))
    path = tmp_path_factory.mktemp("ga4") / "events_20240301.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMA), path)
    expected = pd.DataFrame([r for r in truth if r is not None])
    return path, rows, expected


def _flat(table, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", JourneyWarning)
        return flatten_ga4(table, params=PARAMS, **options)


def _sorted(frame):
    frame = frame.sort_values(["customer_id", "timestamp", "event"], kind="stable")
    return frame.reset_index(drop=True)


def _compare(got: pd.DataFrame, expected: pd.DataFrame):
    got = _sorted(got)
    expected = _sorted(expected)
    assert list(got[expected.columns].columns) == list(expected.columns)
    for column in expected.columns:
        a, b = got[column], expected[column]
        if column == "timestamp":
            assert (a.to_numpy() == pd.DatetimeIndex(b).as_unit("us").to_numpy()).all()
        elif column in ("revenue", "value", "ratio"):
            np.testing.assert_allclose(a.astype(float), b.astype(float), rtol=0, atol=0)
        else:
            left = [None if pd.isna(v) else v for v in a]
            right = [None if pd.isna(v) else v for v in b]
            assert left == right, column


def test_flatten_on_duckdb_matches_the_generated_records(sample):
    path, rows, expected = sample
    table = ibis.duckdb.connect().read_parquet(str(path))
    with pytest.warns(JourneyWarning, match="have no user_pseudo_id and are left out"):
        flat = flatten_ga4(table, params=PARAMS)
    assert jk._engine.is_ibis(flat)
    got = flat.to_pyarrow().to_pandas(types_mapper=None)
    got["timestamp"] = pd.to_datetime(got["timestamp"], utc=True)
    assert len(got) == len(expected) < len(rows)
    _compare(got, expected)
    schema = flat.schema()
    assert schema["ga_session_id"].is_integer()  # int_value only
    assert schema["value"].is_floating()  # double_value and int_value: float
    assert schema["score"].is_string()  # text and int_value: text
    assert schema["ratio"].is_floating()  # float_value
    assert schema["timestamp"].is_timestamp() and schema["timestamp"].timezone == "UTC"
    # the other GA4 columns that journeykit passes along
    assert {"event_date", "user_pseudo_id", "user_id", "device_category"} <= set(flat.columns)


def test_a_path_and_a_dataframe_give_the_same_rows(sample):
    path, rows, expected = sample
    lazy = jk._engine.to_pandas(_flat(str(path)))
    frame = _flat(pd.DataFrame(rows))
    assert isinstance(frame, pd.DataFrame)
    pd.testing.assert_frame_equal(_sorted(frame), _sorted(lazy), check_dtype=False)
    _compare(frame, expected)


def test_read_events_then_customer_summary_matches_pandas(sample):
    path, _, expected = sample
    events = jk.read_events(_flat(str(path)))
    got = jk.customer_summary(events)
    buys = expected[expected["event"] == "purchase"]
    direct = pd.DataFrame(
        {
            "n_events": expected.groupby("customer_id").size(),
            "first_seen": expected.groupby("customer_id")["timestamp"].min(),
            "last_seen": expected.groupby("customer_id")["timestamp"].max(),
            "n_orders": buys.groupby("customer_id")["order_id"].nunique(),
            "revenue": buys.groupby("customer_id")["revenue"].sum(),
        }
    )
    direct[["n_orders", "revenue"]] = direct[["n_orders", "revenue"]].fillna(0)
    direct = direct.reset_index()
    assert got["customer_id"].tolist() == sorted(direct["customer_id"])
    direct = direct.set_index("customer_id").loc[got["customer_id"]]
    assert got["n_events"].tolist() == direct["n_events"].tolist()
    assert got["n_orders"].tolist() == direct["n_orders"].astype(int).tolist()
    np.testing.assert_allclose(got["revenue"], direct["revenue"], rtol=1e-12)
    assert (got["first_seen"].to_numpy() == direct["first_seen"].dt.as_unit("us").to_numpy()).all()
    assert (got["last_seen"].to_numpy() == direct["last_seen"].dt.as_unit("us").to_numpy()).all()


def _reached(frame: pd.DataFrame, unit: str, window: pd.Timedelta) -> pd.Series:
    """Per unit, how many of STEPS its furthest attempt reaches: every first-step event is
    an attempt, each later step the earliest at or after the previous one within the
    window from the attempt (the rules of help(journeykit.funnels))."""
    out = {}
    for key, rows in frame.dropna(subset=[unit]).groupby(unit):
        times = {s: sorted(rows.loc[rows["event"] == s, "timestamp"]) for s in STEPS}
        best = 0
        for start in times[STEPS[0]]:
            at, reached = start, 1
            for step in STEPS[1:]:
                later = [x for x in times[step] if at <= x <= start + window]
                if not later:
                    break
                at, reached = later[0], reached + 1
            best = max(best, reached)
        out[key] = best
    return pd.Series(out)


@pytest.mark.parametrize("unit", ["customer", "session"])
def test_funnel_on_the_flat_table_matches_pandas(sample, unit):
    path, _, expected = sample
    events = jk.read_events(_flat(str(path)))
    got = jk.funnel(events, STEPS, window="1D", unit=unit).table
    reached = _reached(
        expected, {"customer": "customer_id", "session": "session_id"}[unit], pd.Timedelta("1D")
    )
    assert got["n"].tolist() == [int((reached >= k).sum()) for k in (1, 2, 3)]
    assert got["n"].iloc[-1] > 0


def test_event_params_lists_keys_and_types(sample):
    path, _, _ = sample
    out = event_params(str(path)).set_index("key")
    assert out.loc["ga_session_id", "type"] == "int"
    assert out.loc["value", "type"] == "float"
    assert out.loc["value", "n_int"] > 0 and out.loc["value", "n_float"] > 0
    assert out.loc["score", "type"] == "string"
    assert out.loc["ratio", "type"] == "float"
    assert out.loc["page_location", "type"] == "string"
    assert list(out.columns) == ["n", "n_string", "n_int", "n_float", "type"]


def test_declared_types_override_detection(sample):
    path, _, expected = sample
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", JourneyWarning)
        flat = flatten_ga4(str(path), params={"value": "int", "score": "int", "ratio": None})
    got = _sorted(jk._engine.to_pandas(flat))
    expected = _sorted(expected)
    whole = expected["value"].where(expected["value"] % 1 == 0)  # int: whole values only
    assert got["value"].astype("Float64").tolist() == whole.astype("Float64").tolist()
    score = pd.to_numeric(expected["score"])  # digits as text are whole numbers
    assert got["score"].astype("Float64").tolist() == score.astype("Float64").tolist()
    assert flat.schema()["value"].is_integer() and flat.schema()["score"].is_integer()


def test_customer_user_id_and_the_other_channels(sample):
    path, rows, expected = sample
    flat = jk._engine.to_pandas(_flat(str(path), customer="user_id", channel="user"))
    kept = [r for r in rows if (r["user_id"] or r["user_pseudo_id"]) is not None]
    assert len(flat) == len(kept) > len(expected)  # signed-in events without a pseudo id
    want = set()
    for r in kept:
        source = r["traffic_source"]
        channel = None if source["source"] is None else f"{source['source']} / {source['medium']}"
        want.add((r["user_id"] or r["user_pseudo_id"], r["event_timestamp"], channel))
    stamps = (flat["timestamp"] - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(microseconds=1)
    channels = [None if pd.isna(c) else c for c in flat["channel"]]
    assert set(zip(flat["customer_id"], stamps, channels)) == want
    # the session key stays the browser's: user_pseudo_id and ga_session_id
    assert flat["session_id"].dropna().str.startswith(tuple(expected["customer_id"])).all()
    with pytest.warns(JourneyWarning, match="no user_pseudo_id"):
        none = flatten_ga4(str(path), params=["ga_session_id"], revenue=None, channel=None)
    assert "revenue" not in none.columns and "channel" not in none.columns


def test_a_dataframe_of_nested_dicts_may_leave_fields_out():
    frame = pd.DataFrame(
        {
            "event_timestamp": [1709290800000000],
            "event_name": ["page_view"],
            "user_pseudo_id": ["1.1"],
            "event_params": [[{"key": "ga_session_id", "value": {"int_value": 7}}]],
        }
    )
    out = flatten_ga4(frame, revenue=None)
    assert out["session_id"].tolist() == ["1.1-7"]
    assert out["timestamp"].tolist() == [pd.Timestamp("2024-03-01 11:00", tz="UTC")]
    assert pd.isna(out["page_location"].iloc[0])  # a default parameter absent: no warning


# --------------------------------------------------------------------------- warnings


def _one(**columns):
    base = {
        "event_timestamp": [1709290800000000, 1709290900000000],
        "event_name": ["page_view", "page_view"],
        "user_pseudo_id": ["1.1", "2.2"],
        "event_params": [[{"key": "ga_session_id", "value": {"int_value": 7}}]] * 2,
    }
    return pd.DataFrame(base | columns)


def test_a_named_parameter_no_event_has_warns():
    with pytest.warns(JourneyWarning, match=r"params \['coupon'\]: no event has them"):
        out = flatten_ga4(_one(), params=["coupon"], revenue=None)
    assert out["coupon"].isna().all()


def test_no_session_id_anywhere_warns():
    params = [[{"key": "page_location", "value": {"string_value": "x"}}]] * 2
    with pytest.warns(JourneyWarning, match="session_id is missing everywhere"):
        out = flatten_ga4(_one(event_params=params), revenue=None)
    assert out["session_id"].isna().all()


def test_events_without_an_id_are_left_out_with_a_warning():
    with pytest.warns(JourneyWarning, match="1 of 2 events have no user_pseudo_id"):
        out = flatten_ga4(_one(user_pseudo_id=["1.1", None]), revenue=None)
    assert out["customer_id"].tolist() == ["1.1"]


# --------------------------------------------------------------------------- bad input


def test_a_flat_table_is_not_ga4():
    flat = pd.DataFrame({"customer_id": ["a"], "timestamp": ["2024-01-01"], "event": ["x"]})
    with pytest.raises(JourneyDataError, match="looks flat already: pass it to read_events"):
        flatten_ga4(flat)


def test_event_params_of_another_type():
    with pytest.raises(JourneyDataError, match="column 'event_params' holds string"):
        flatten_ga4(ibis.memtable(_one(event_params=["ga_session_id=7", "x"])), revenue=None)


def test_wrong_column_types():
    frame = _one()
    table = jk.ga4._frame_table(frame).mutate(event_name=ibis.literal(1))
    with pytest.raises(JourneyDataError, match="'event_name' holds int8, expected STRING"):
        flatten_ga4(table, revenue=None)


def test_a_dataframe_column_not_shaped_like_ga4():
    with pytest.raises(JourneyDataError, match="column 'event_params' does not hold GA4's"):
        flatten_ga4(_one(event_params=[["a"], ["b"]]))


def test_revenue_needs_an_ecommerce_field():
    with pytest.raises(JourneyDataError, match="revenue='purchase_revenue'.*lacks.*revenue=None"):
        flatten_ga4(_one())
    shop = _one(ecommerce=[{"purchase_revenue": 1.0}, None])
    with pytest.raises(JourneyDataError, match="revenue='price'.*'purchase_revenue_in_usd'"):
        flatten_ga4(shop, revenue="price")


def test_channel_fields_must_exist():
    with pytest.raises(JourneyDataError, match="session_traffic_source_last_click.manual_"):
        flatten_ga4(_one(), revenue=None, channel="session")
    with pytest.raises(JourneyDataError, match="channel='first' is not supported"):
        flatten_ga4(_one(), revenue=None, channel="first")


def test_customer_choices():
    with pytest.raises(JourneyDataError, match="customer='user_id': the table has no text"):
        flatten_ga4(_one(), revenue=None, customer="user_id")
    with pytest.raises(JourneyDataError, match="customer='uid' is not supported"):
        flatten_ga4(_one(), revenue=None, customer="uid")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (5, "params=5: expected event parameter names"),
        (["a", ""], "expected event parameter names"),
        (["a", "a"], r"\['a'\] named more than once"),
        ({"a": "text"}, "the type 'text' of 'a' is not supported"),
        (["session_id"], r"\['session_id'\] would replace flatten_ga4's own column"),
        (["channel"], "pass channel=None and it becomes the channel"),
    ],
)
def test_bad_params(params, message):
    with pytest.raises(JourneyDataError, match=message):
        flatten_ga4(_one(), params=params, revenue=None)


def test_a_parameter_named_channel_becomes_the_channel_without_one():
    params = [[{"key": "channel", "value": {"string_value": "email"}}]] * 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", JourneyWarning)
        out = flatten_ga4(_one(event_params=params), params=["channel"], revenue=None, channel=None)
    assert jk.read_events(out)["channel"].tolist() == ["email", "email"]


def test_other_sources_and_empty_tables():
    with pytest.raises(JourneyDataError, match="source: expected an Ibis table"):
        flatten_ga4([1, 2])
    with pytest.raises(JourneyDataError, match="the GA4 table is empty"):
        flatten_ga4(_one().iloc[:0], revenue=None)
    table = ibis.memtable(_one())
    with pytest.raises(JourneyDataError, match="expected an Ibis table; got an Ibis"):
        flatten_ga4(table.event_name)


def test_the_caller_data_is_not_mutated(sample):
    _, rows, _ = sample
    frame = pd.DataFrame(rows)
    before = frame.copy(deep=True)
    _flat(frame)
    pd.testing.assert_frame_equal(frame, before)


@pytest.mark.parametrize("name", ["flatten_ga4", "event_params"])
def test_documented_the_numpydoc_way(name):
    doc = inspect.getdoc(getattr(ga4, name))
    for section in ("Parameters", "Returns", "Examples"):
        assert f"\n{section}\n{'-' * len(section)}" in doc


def test_the_module_is_reachable_from_the_package():
    assert "ga4" in jk.__all__ and jk.ga4.flatten_ga4 is flatten_ga4


# --------------------------------------------------------------------------- BigQuery

#: The GA4 export's columns as an unbound Ibis table (BigQuery itself is not reachable here).
BIGQUERY = {
    **ga4.COLUMN_TYPES,
    "device": "struct<category: string, operating_system: string>",
    "geo": "struct<country: string, city: string>",
    "session_traffic_source_last_click": (
        "struct<manual_campaign: struct<source: string, medium: string, campaign_name: string>>"
    ),
}


@pytest.mark.parametrize("channel", ["event", "session", "user"])
def test_every_query_compiles_to_valid_bigquery_sql(channel):
    sqlglot = pytest.importorskip("sqlglot")
    table = ibis.table(BIGQUERY, name="events_20240301")
    kinds = {"ga_session_id": "int", "page_location": "string", "value": "float"}
    kinds |= {"source": "string", "medium": "string", "score": "int"}
    params = ["ga_session_id", "page_location", "value", "source", "score"]
    flat = ga4.flat_expression(
        table, kinds, params=params, customer="user_id", revenue="purchase_revenue", channel=channel
    )
    counts, _ = ga4.count_query(table, list(kinds), list(ga4.VALUE_FIELDS), table.user_pseudo_id)
    listed = ga4.params_query(table, list(ga4.VALUE_FIELDS))
    for query in (flat, counts, listed):
        sql = ibis.to_sql(query, dialect="bigquery")
        # parsing back catches invalid SQL, such as an alias inside a CAST (an Ibis 12
        # BigQuery bug that flat_expression works around)
        sqlglot.parse_one(sql, read="bigquery")
    assert "UNNEST(`t0`.`event_params`)" in ibis.to_sql(flat, dialect="bigquery")
    assert flat.columns == (
        *("customer_id", "timestamp", "event", "revenue", "channel", "session_id", "order_id"),
        *("event_date", "user_pseudo_id", "user_id", "device_category", "country", *params),
    )


# --------------------------------------------------------------------------- PySpark


@pytest.mark.spark
def test_the_same_rows_on_pyspark(sample, spark):
    path, _, expected = sample
    on_spark = ibis.pyspark.connect(spark).read_parquet(str(path))
    flat = _flat(on_spark)
    assert jk._engine.backend_name(flat) == "pyspark"
    got = jk._engine.to_pandas(flat)
    here = jk._engine.to_pandas(_flat(ibis.duckdb.connect().read_parquet(str(path))))
    pd.testing.assert_frame_equal(_sorted(got), _sorted(here), check_dtype=False)
    _compare(got, expected)


@pytest.mark.spark
def test_the_same_analysis_on_pyspark(sample, spark):
    path, _, _ = sample
    spark_events = jk.read_events(_flat(ibis.pyspark.connect(spark).read_parquet(str(path))))
    duck_events = jk.read_events(_flat(str(path)))
    pd.testing.assert_frame_equal(
        jk.customer_summary(spark_events), jk.customer_summary(duck_events), check_dtype=False
    )
    for unit in ("customer", "session"):
        pd.testing.assert_frame_equal(
            jk.funnel(spark_events, STEPS, window="1D", unit=unit).table,
            jk.funnel(duck_events, STEPS, window="1D", unit=unit).table,
            check_dtype=False,
        )


@pytest.mark.spark
def test_the_same_parameter_list_on_pyspark(sample, spark):
    path, _, _ = sample
    got = event_params(ibis.pyspark.connect(spark).read_parquet(str(path)))
    pd.testing.assert_frame_equal(got, event_params(str(path)), check_dtype=False)
