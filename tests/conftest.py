import shutil

import numpy as np
import pandas as pd
import pytest


@pytest.fixture
def rng():
    """A fixed-seed generator: every random test is reproducible."""
    return np.random.default_rng(20261123)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import sys

    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


@pytest.fixture(scope="session")
def spark():
    """A local PySpark session with UTC as its time zone (tests marked ``spark``)."""
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("PySpark needs Java")
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("journeykit-tests")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture
def shop_on_spark(spark, tmp_path):
    """A small simulated shop as pandas events and as the same events on PySpark."""
    import ibis

    import journeykit as jk

    events = jk.simulate.webshop(300, seed=2).events
    events.to_parquet(tmp_path / "events.parquet")
    return events, ibis.pyspark.connect(spark).read_parquet(str(tmp_path / "events.parquet"))


def make_events(rows):
    """Canonical events from (customer, 'YYYY-MM-DD HH:MM', event[, revenue]) tuples."""
    frame = pd.DataFrame(
        [(*r, None)[:4] if len(r) == 3 else r for r in rows],
        columns=["customer_id", "timestamp", "event", "revenue"],
    )
    frame["revenue"] = frame["revenue"].astype(float)
    from journeykit import read_events

    return read_events(frame)
