"""The same Ibis code gives identical results on pandas input, DuckDB over Parquet and PySpark."""

import tempfile

import ibis
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journeykit import _engine, customer_summary, read_events
from journeykit.errors import JourneyDataError
from journeykit.simulate import webshop


@pytest.fixture(scope="module")
def parquet_events(tmp_path_factory):
    sim = webshop(2_000, seed=7)
    path = tmp_path_factory.mktemp("engine") / "events.parquet"
    sim.events.to_parquet(path, index=False)
    return path, read_events(sim.events)


def test_pandas_and_duckdb_parquet_identical(parquet_events):
    path, events = parquet_events
    expected = customer_summary(events, as_of="2024-06-30")
    lazy = read_events(ibis.duckdb.connect().read_parquet(path))
    assert _engine.is_ibis(lazy)
    got = customer_summary(lazy, as_of="2024-06-30")
    pd.testing.assert_frame_equal(got, expected)


@pytest.mark.spark
def test_pyspark_identical(parquet_events, spark):
    path, events = parquet_events
    expected = customer_summary(events, as_of="2024-06-30")
    con = ibis.pyspark.connect(spark)
    table = read_events(con.read_parquet(str(path)))
    assert _engine.backend_name(table) == "pyspark"
    got = customer_summary(table, as_of="2024-06-30")
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_engine_rejects_other_objects():
    with pytest.raises(TypeError, match="expected a pandas DataFrame or an Ibis table"):
        _engine.as_table([1, 2])


def test_to_pandas_returns_utc_microseconds():
    t = ibis.memtable(pd.DataFrame({"ts": pd.to_datetime(["2024-01-01 10:00"])}))
    out = _engine.to_pandas(t)
    assert str(out["ts"].dtype) == "datetime64[us, UTC]"


@pytest.mark.spark
def test_segmentation_identical_on_pyspark(parquet_events, spark):
    from journeykit import lifecycle, lifecycle_over_time, rfm

    path, events = parquet_events
    table = read_events(ibis.pyspark.connect(spark).read_parquet(str(path)))
    for freq in ("W", "M"):
        pd.testing.assert_frame_equal(
            lifecycle_over_time(table, freq=freq, by="channel").table,
            lifecycle_over_time(events, freq=freq, by="channel").table,
            check_dtype=False,
        )
    pd.testing.assert_frame_equal(
        lifecycle(table, as_of="2024-06-30", by="channel").customers,
        lifecycle(events, as_of="2024-06-30", by="channel").customers,
        check_dtype=False,
    )
    pd.testing.assert_frame_equal(
        rfm(table, as_of="2024-06-30").customers,
        rfm(events, as_of="2024-06-30").customers,
        check_dtype=False,
    )


def test_next_time_matches_merge_asof():
    # reference: pandas merge_asof(direction="forward"), which takes the first right row at
    # or after each left time; whole hours make ties common, unit e has no right rows and
    # null left times (an unmatched earlier step) must give null
    rng = np.random.default_rng(3)
    start = pd.Timestamp("2024-01-01", tz="UTC")
    left = pd.DataFrame(
        {
            "unit": rng.choice(list("abcde"), 300),
            "at": start + pd.to_timedelta(rng.integers(0, 60, 300), unit="h"),
            "row": np.arange(300),
        }
    )
    left.loc[:4, "at"] = pd.NaT
    right = pd.DataFrame(
        {
            "unit": rng.choice(list("abcd"), 100),
            "timestamp": start + pd.to_timedelta(rng.integers(0, 60, 100), unit="h"),
        }
    )
    got = _engine.next_time(ibis.memtable(left), "at", ibis.memtable(right), "next")
    got = _engine.to_pandas(got).sort_values("row", ignore_index=True)
    timed = left.dropna(subset=["at"]).sort_values("at")
    want = pd.merge_asof(
        timed,
        right.rename(columns={"timestamp": "next"}).sort_values("next"),
        left_on="at",
        right_on="next",
        by="unit",
        direction="forward",
    )
    want = pd.concat([left[left["at"].isna()].assign(next=pd.NaT), want])
    us = "datetime64[us, UTC]"
    want = want.sort_values("row", ignore_index=True).astype({"at": us, "next": us})
    assert want["next"].notna().sum() > 100 and want["next"].isna().sum() > 10
    pd.testing.assert_frame_equal(got, want[got.columns], check_dtype=False)


def test_arg_min_keeps_nulls_of_the_picked_row():
    # reference: pandas idxmin per group, then that row's value as it is (null included);
    # DuckDB's plain arg_min would skip the null and return another row's value
    rng = np.random.default_rng(5)
    frame = pd.DataFrame(
        {
            "unit": rng.choice(list("abcdefgh"), 200),
            "key": rng.permutation(200).astype("int64"),
            "value": rng.normal(size=200),
        }
    )
    frame.loc[frame["key"] % 3 == 0, "value"] = np.nan
    t = ibis.memtable(frame)
    got = t.group_by("unit").aggregate(
        value=_engine.arg_min(t["value"], t["key"], _engine.backend_name(t))
    )
    got = _engine.to_pandas(got).sort_values("unit", ignore_index=True)
    want = frame.loc[frame.groupby("unit")["key"].idxmin(), ["unit", "value"]]
    want = want.sort_values("unit", ignore_index=True)
    assert want["value"].isna().sum() >= 1 and want["value"].notna().sum() >= 1
    pd.testing.assert_frame_equal(got, want, check_dtype=False)


def test_duckdb_never_reaches_the_network():
    settings = _engine.connection().con.execute(
        "SELECT current_setting('autoinstall_known_extensions'), "
        "current_setting('autoload_known_extensions')"
    )
    assert settings.fetchall() == [(False, False)]


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * 4096 / 1e6


@pytest.fixture(scope="module")
def million_events():
    return webshop(100_000, seed=3).events  # about 1.07M events, as from a user's frame


def test_repeated_calls_do_not_grow_memory(million_events):
    import gc

    import journeykit as jk

    jk.lifecycle(million_events, as_of="2024-06-30")  # the first call loads the libraries
    gc.collect()
    before = _rss_mb()
    for _ in range(20):
        jk.lifecycle(million_events, as_of="2024-06-30")
    gc.collect()
    # Ibis' memtables stayed registered until exit: +90 MB per call on 1M events
    assert _rss_mb() - before < 100


def test_explorer_updates_do_not_grow_memory(million_events):
    import gc

    import journeykit as jk

    box = jk.widgets.lifecycle_explorer(million_events)
    slider = box.controls["churn_days"]
    slider.value = 35
    gc.collect()
    before = _rss_mb()
    for days in range(42, 42 + 20 * 7, 7):
        slider.value = days
    gc.collect()
    assert len(box.seconds) == 22
    assert _rss_mb() - before < 100


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=2**64 - 1), max_size=60), st.integers(1, 4))
def test_keys_repeat_on_sorted_halves_equals_a_distinct_count(values, chunks):
    import pyarrow as pa

    arrays = [pa.array(values[i::chunks], type=pa.uint64()) for i in range(chunks)]
    column = pa.chunked_array(arrays, type=pa.uint64())
    assert _engine._sorted_halves_repeat(column) == (len(set(values)) < len(values))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), st.just(np.nan), st.just(pd.NA), st.text()), max_size=40))
def test_python_strings_reach_the_engine_as_arrow_would_read_them(values):
    # the DuckDB route for object columns of str gives what pyarrow gives (the reference)
    import pyarrow as pa

    column = pd.Series([*values, "x"], dtype=object)
    expected = pa.array(column, type=pa.string(), from_pandas=True)
    got = _engine.to_arrow(pd.DataFrame({"v": column}))["v"]
    assert got.type == pa.string()
    assert got.to_pylist() == expected.to_pylist()


def test_a_long_query_shows_its_progress_and_the_same_result(monkeypatch, capsys):
    import pyarrow as pa

    t = _engine.register(pa.table({"i": np.arange(6_000_000)}))
    query = t.aggregate(n=(t["i"].hash() % 5_000_000).nunique())
    monkeypatch.setenv("JOURNEYKIT_PROGRESS", "off")
    quiet = _engine.to_pandas(query)
    assert "journeykit query" not in capsys.readouterr().err
    monkeypatch.setenv("JOURNEYKIT_PROGRESS", "on")
    monkeypatch.setattr(_engine, "PROGRESS_AFTER", 0.01)
    shown = _engine.to_pandas(query)
    assert "journeykit query" in capsys.readouterr().err  # tqdm's bar, on stderr outside Jupyter
    pd.testing.assert_frame_equal(shown, quiet)


@pytest.mark.parametrize(("setting", "shown"), [("on", True), ("off", False), ("", False)])
def test_progress_is_on_in_jupyter_or_when_asked(monkeypatch, setting, shown):
    # pytest is no Jupyter kernel: unset means off here
    monkeypatch.setenv("JOURNEYKIT_PROGRESS", setting)
    assert _engine.show_progress() is shown


def test_memory_limit_reaches_duckdb_and_bad_values_say_the_fix(monkeypatch):
    con = ibis.duckdb.connect().con
    default = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    monkeypatch.delenv("JOURNEYKIT_MEMORY_LIMIT", raising=False)
    _engine.limit_memory(con)
    assert con.execute("SELECT current_setting('memory_limit')").fetchone()[0] == default
    monkeypatch.setenv("JOURNEYKIT_MEMORY_LIMIT", "1.5GB")
    _engine.limit_memory(con)
    # DuckDB reports the limit in binary units: 1.5 GB = 1.3 GiB
    assert con.execute("SELECT current_setting('memory_limit')").fetchone()[0] == "1.3 GiB"
    spill = con.execute("SELECT current_setting('temp_directory')").fetchone()[0]
    assert spill.startswith(tempfile.gettempdir()), spill  # not .tmp where the notebook is
    monkeypatch.setenv("JOURNEYKIT_MEMORY_LIMIT", "lots")
    with pytest.raises(JourneyDataError, match=r"JOURNEYKIT_MEMORY_LIMIT='lots'.*'6GB'.*Fix:"):
        _engine.limit_memory(con)


def test_distinct_keys_is_a_group_by_bigquery_runs():
    """Backends without a row hash count distinct keys with a GROUP BY: BigQuery rejects
    COUNT(DISTINCT STRUCT(...)), which the first version compiled to."""
    sqlglot = pytest.importorskip("sqlglot")
    table = ibis.table({"user_id": "int64", "ts": "timestamp", "event": "string"}, name="t")
    query = _engine.distinct_keys(table, [table.user_id, table.ts, table.event])
    sql = ibis.to_sql(query, dialect="bigquery")
    sqlglot.parse_one(sql, read="bigquery")
    assert "STRUCT" not in sql.upper() and "DISTINCT" in sql.upper()
    frame = pd.DataFrame({"user_id": [1, 1, 2], "ts": pd.to_datetime(["2024-01-01"] * 3)})
    frame["event"] = ["a", "a", "b"]
    memtable = ibis.memtable(frame)
    keys = [memtable.user_id, memtable.ts, memtable.event]
    assert _engine.to_scalar(_engine.distinct_keys(memtable, keys)) == 2


@pytest.mark.parametrize(
    "text",
    [
        "1900-03-01 00:00:00",
        "1969-12-31 23:59:59.999999",
        "1970-01-01 00:00:00",
        "2024-03-03 23:59:59.999999",  # a Sunday: the week index changes at Monday 00:00
        "2024-03-04 00:00:00",
        "2300-01-01 23:59:59.999999",  # after 2**53 microseconds: a double division is off
        "9999-12-31 23:59:59.999999",
    ],
)
def test_day_and_week_indexes_are_exact_before_1970_and_after_2255(text):
    from journeykit.periods import period_index

    ts = pd.Timestamp(text, tz="UTC")
    # whole days since 1970-01-01 counted by Python's calendar, weeks from Monday
    day = (ts.date() - pd.Timestamp("1970-01-01").date()).days
    table = ibis.memtable(pd.DataFrame({"timestamp": [ts.to_pydatetime()]}))
    got = _engine.to_pandas(
        table.select(d=period_index(table, "D"), w=period_index(table, "W"))
    ).iloc[0]
    assert (got["d"], got["w"]) == (day, (day + 3) // 7)
