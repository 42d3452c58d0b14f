"""The same Ibis code gives identical results on pandas input, DuckDB over Parquet and PySpark."""

import ibis
import pandas as pd
import pytest

from journeykit import _engine, customer_summary, read_events
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
