"""Benchmark tasks of the segmentation issue: lifecycle_over_time and lifecycle.

Each contender takes the Parquet path and returns a pandas frame; run.py checks that all
contenders of a task return identical frames. For journeykit, ``read_events`` (validation)
runs before the timed call, because these tasks time the analysis function itself.
"""

from __future__ import annotations

from pathlib import Path

AS_OF = "2024-12-31"
PERIOD_DAYS, CHURN_DAYS = 30, 90

GROWTH_SQL = """
WITH p AS (
  SELECT DISTINCT customer_id, year("timestamp") * 12 + month("timestamp") - 1 AS idx
  FROM read_parquet('{path}')
),
w AS (
  SELECT idx,
         lag(idx) OVER (PARTITION BY customer_id ORDER BY idx) AS prev,
         lead(idx) OVER (PARTITION BY customer_id ORDER BY idx) AS nxt
  FROM p
),
a AS (
  SELECT idx, count(*) AS active, count(*) FILTER (WHERE prev IS NULL) AS new,
         count(*) FILTER (WHERE prev = idx - 1) AS "returning"
  FROM w GROUP BY idx
),
d AS (
  SELECT idx + 1 AS idx, count(*) AS dormant FROM w
  WHERE nxt IS NULL OR nxt <> idx + 1 GROUP BY 1
)
SELECT active, new, "returning", active - new - "returning" AS reactivated,
       -coalesce(dormant, 0) AS dormant
FROM a LEFT JOIN d USING (idx) ORDER BY idx
"""

LIFECYCLE_SQL = """
WITH c AS (
  SELECT customer_id, min("timestamp") AS first_seen, max("timestamp") AS last_seen,
         min("timestamp") FILTER (WHERE "timestamp" > TIMESTAMPTZ '{start}') AS first_in,
         max("timestamp") FILTER (WHERE "timestamp" <= TIMESTAMPTZ '{start}') AS last_before
  FROM read_parquet('{path}')
  WHERE "timestamp" <= TIMESTAMPTZ '{as_of}'
  GROUP BY customer_id
)
SELECT customer_id,
       CASE WHEN first_seen > TIMESTAMPTZ '{start}' THEN 'new'
            WHEN first_in IS NOT NULL AND first_in - last_before < INTERVAL {churn} DAY
              THEN 'returning'
            WHEN first_in IS NOT NULL THEN 'reactivated'
            WHEN TIMESTAMPTZ '{as_of}' - last_seen < INTERVAL {churn} DAY THEN 'lapsing'
            ELSE 'churned' END AS status
FROM c ORDER BY customer_id
"""


def _duckdb():
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    return con


def _events(path: Path):
    import ibis

    import journeykit as jk

    return jk.read_events(ibis.duckdb.connect().read_parquet(path), duplicates="keep")


def _dates():
    import pandas as pd

    as_of = pd.Timestamp(AS_OF, tz="UTC")
    return as_of, as_of - pd.Timedelta(days=PERIOD_DAYS)


# --------------------------------------------------------------------------- growth


def growth_pandas(path: Path):
    """Vectorised pandas: distinct (customer, month), shift within customer, counts."""
    import numpy as np
    import pandas as pd

    ev = pd.read_parquet(path, columns=["customer_id", "timestamp"])
    ts = ev["timestamp"]
    pairs = pd.DataFrame({"c": ev["customer_id"], "idx": ts.dt.year * 12 + ts.dt.month - 1})
    pairs = pairs.drop_duplicates().sort_values(["c", "idx"])
    g = pairs.groupby("c")["idx"]
    prev, nxt = g.shift(1), g.shift(-1)
    idx = pairs["idx"]
    full = np.arange(idx.min(), idx.max() + 1)
    active = idx.value_counts().reindex(full, fill_value=0)
    new = idx[prev.isna()].value_counts().reindex(full, fill_value=0)
    returning = idx[prev == idx - 1].value_counts().reindex(full, fill_value=0)
    gone = (idx[nxt.isna() | (nxt != idx + 1)] + 1).value_counts().reindex(full, fill_value=0)
    return pd.DataFrame(
        {
            "active": active.to_numpy(),
            "new": new.to_numpy(),
            "returning": returning.to_numpy(),
            "reactivated": (active - new - returning).to_numpy(),
            "dormant": -gone.to_numpy(),
        }
    )


def growth_sql(path: Path):
    return _duckdb().sql(GROWTH_SQL.format(path=path)).df()


def growth_journeykit(events):
    import journeykit as jk

    counts = ["n_active", "n_new", "n_returning", "n_reactivated", "n_dormant"]
    table = jk.lifecycle_over_time(events, freq="M").table[counts]
    return table.rename(columns=lambda c: c.removeprefix("n_"))  # the contenders' names


# --------------------------------------------------------------------------- lifecycle


def lifecycle_pandas(path: Path):
    import numpy as np
    import pandas as pd

    as_of, start = _dates()
    churn = pd.Timedelta(days=CHURN_DAYS)
    ev = pd.read_parquet(path, columns=["customer_id", "timestamp"])
    ev = ev[ev["timestamp"] <= as_of]
    inside = ev["timestamp"] > start
    g = ev.groupby("customer_id")["timestamp"]
    out = pd.DataFrame({"first": g.min(), "last": g.max()})
    out["first_in"] = ev[inside].groupby("customer_id")["timestamp"].min()
    out["last_before"] = ev[~inside].groupby("customer_id")["timestamp"].max()
    active = out["first_in"].notna()
    gap = out["first_in"] - out["last_before"]
    out["status"] = np.select(
        [out["first"] > start, active & (gap < churn), active, as_of - out["last"] < churn],
        ["new", "returning", "reactivated", "lapsing"],
        "churned",
    )
    return out["status"].reset_index()


def lifecycle_sql(path: Path):
    as_of, start = _dates()
    query = LIFECYCLE_SQL.format(
        path=path, as_of=as_of.isoformat(), start=start.isoformat(), churn=CHURN_DAYS
    )
    return _duckdb().sql(query).df()


def lifecycle_journeykit(events):
    import journeykit as jk

    res = jk.lifecycle(
        events,
        as_of=AS_OF,
        period=f"{PERIOD_DAYS}D",
        churn_after=f"{CHURN_DAYS}D",
    )
    out = res.customers[["customer_id", "status"]]
    return out.assign(status=out["status"].astype(str))


# run.py calls a contender's ``setup`` before the clock starts and passes its result.
growth_journeykit.setup = lifecycle_journeykit.setup = _events

LIFECYCLE_TASKS = {
    "lifecycle_over_time (freq='M')": {
        "pandas": growth_pandas,
        "duckdb_sql": growth_sql,
        "journeykit": growth_journeykit,
    },
    "lifecycle (30-day period, 90-day churn window)": {
        "pandas": lifecycle_pandas,
        "duckdb_sql": lifecycle_sql,
        "journeykit": lifecycle_journeykit,
    },
}
NOTES = {
    "lifecycle_over_time (freq='M')": (
        "`pandas`: distinct (customer, month) pairs, shift within customer, value counts; "
        "`duckdb_sql`: the same with LAG/LEAD window functions in one query; `journeykit`: "
        "`lifecycle_over_time` on the lazy table from `read_events` (validated before the "
        "clock starts)."
    ),
    "lifecycle (30-day period, 90-day churn window)": (
        "Per-customer status for 1M customers. `pandas`: groupby min/max and numpy select; "
        "`duckdb_sql`: one GROUP BY with FILTER and a CASE; `journeykit`: `lifecycle` on the "
        "lazy table (the Result also holds first/last seen, days since last activity and "
        "the summary table)."
    ),
}
FLOORS = {
    "lifecycle_over_time (freq='M')": "within 1.5x of the SQL, at least 3x faster than "
    "pandas, peak memory at most half of pandas'",
    "lifecycle (30-day period, 90-day churn window)": "within 1.5x of the SQL, at least 1.5x "
    "faster than pandas, peak memory at most half of pandas'",
}
