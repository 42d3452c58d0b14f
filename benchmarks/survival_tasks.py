"""Benchmark tasks of the survival issue: durations and cohort_retention on the Parquet
file (subprocess contenders on both data sets, as lifecycle_tasks), and retention_curve in
process against lifelines' bare fits (as nps_task).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from data_sets import DataSet
from lifecycle_tasks import AS_OF, CHURN_DAYS, _duckdb, _events, _month, _sql_dates

DURATIONS_SQL = """
WITH c AS (
  SELECT customer_id, min("timestamp") AS first_seen, max("timestamp") AS last_seen
  FROM {events} WHERE "timestamp" <= {ts} '{as_of}'
  GROUP BY customer_id
)
SELECT customer_id,
       (epoch(CASE WHEN {ts} '{as_of}' - last_seen >= INTERVAL {churn} DAY
                   THEN last_seen ELSE {ts} '{as_of}' END) - epoch(first_seen))
         / 86400 AS duration,
       {ts} '{as_of}' - last_seen >= INTERVAL {churn} DAY AS observed
FROM c
"""

COHORT_SQL = """
WITH p AS (
  SELECT DISTINCT customer_id, year("timestamp") * 12 + month("timestamp") - 1 AS period
  FROM {events}
),
a AS (SELECT period, period - min(period) OVER (PARTITION BY customer_id) AS age FROM p),
n AS (SELECT period - age AS cohort, age, count(*) AS customers FROM a GROUP BY ALL)
SELECT cohort, age, customers,
       customers / first_value(customers) OVER (PARTITION BY cohort ORDER BY age) AS share
FROM n ORDER BY cohort, age
"""


def _as_of():
    import pandas as pd

    return pd.Timestamp(AS_OF, tz="UTC")


def durations_pandas(path: Path, data: DataSet):
    import pandas as pd

    as_of = _as_of()
    ev = data.pandas(path, ["customer_id", "timestamp"])
    ev = ev[ev["timestamp"] <= as_of]
    g = ev.groupby("customer_id")["timestamp"]
    first, last = g.min(), g.max()
    observed = (as_of - last) >= pd.Timedelta(days=CHURN_DAYS)
    end = last.where(observed, as_of)
    out = pd.DataFrame({"duration": (end - first) / pd.Timedelta(days=1), "observed": observed})
    return data.pandas_keyed(out.reset_index())


def durations_sql(path: Path, data: DataSet):
    query = DURATIONS_SQL.format(
        events=data.sql_from(path), ts=data.sql_ts, as_of=_sql_dates()["as_of"], churn=CHURN_DAYS
    )
    return _duckdb().sql(data.sql_keyed(query)).df()


def durations_polars(path: Path, data: DataSet):
    """Lazy Polars: one group_by (first and last time), then the churn rule."""
    import polars as pl

    as_of = data.polars_time(AS_OF)
    ts = pl.col("timestamp")
    per = (
        data.polars(path, "customer_id", "timestamp")
        .filter(ts <= as_of)
        .group_by("customer_id")
        .agg(first=ts.min(), last=ts.max())
    )
    observed = pl.lit(as_of) - pl.col("last") >= timedelta(days=CHURN_DAYS)
    end = pl.when(observed).then(pl.col("last")).otherwise(pl.lit(as_of))
    out = per.select(
        "customer_id",
        duration=(end - pl.col("first")).dt.total_microseconds() / 86_400e6,
        observed=observed,
    )
    return data.polars_keyed(out).collect().to_pandas()


def durations_journeykit(events, data: DataSet):
    import journeykit as jk

    out = jk.durations(events, as_of=AS_OF, churn_after=f"{CHURN_DAYS}D")
    return out[["customer_id", "duration", "observed"]]


def cohorts_pandas(path: Path, data: DataSet):
    import pandas as pd

    ev = data.pandas(path, ["customer_id", "timestamp"])
    ts = ev["timestamp"]
    pairs = pd.DataFrame({"c": ev["customer_id"], "period": ts.dt.year * 12 + ts.dt.month - 1})
    pairs = pairs.drop_duplicates()
    pairs["cohort"] = pairs.groupby("c")["period"].transform("min")
    pairs["age"] = pairs["period"] - pairs["cohort"]
    out = pairs.groupby(["cohort", "age"]).size().rename("customers").reset_index()
    size = out[out["age"] == 0].set_index("cohort")["customers"]
    out["share"] = out["customers"] / out["cohort"].map(size)
    return out


def cohorts_sql(path: Path, data: DataSet):
    return _duckdb().sql(COHORT_SQL.format(events=data.sql_from(path))).df()


def cohorts_polars(path: Path, data: DataSet):
    """Lazy Polars: distinct (customer, month), the cohort as min().over(customer), counts
    per cohort and age, the share of the cohort's age-0 count."""
    import polars as pl

    period = pl.col("period")
    n = (
        data.polars(path, "customer_id", "timestamp")
        .select("customer_id", period=_month(pl.col("timestamp")))
        .unique()
        .with_columns(cohort=period.min().over("customer_id"))
        .group_by("cohort", age=period - pl.col("cohort"))
        .agg(customers=pl.len())
        .sort("cohort", "age")
    )
    first = pl.col("customers").first().over("cohort")  # age 0: every cohort has it, first
    out = n.with_columns(share=pl.col("customers") / first)
    return out.collect().to_pandas()


def cohorts_journeykit(events, data: DataSet):
    import journeykit as jk

    table = jk.cohort_retention(events, freq="M").table
    cohort = table["cohort"].dt.year * 12 + table["cohort"].dt.month - 1
    table = table.rename(columns={"n": "customers", "retention": "share"})
    return table.assign(cohort=cohort)[["cohort", "age", "customers", "share"]]


durations_journeykit.setup = cohorts_journeykit.setup = _events

SURVIVAL_TASKS = {
    "durations (90-day churn window)": {
        "pandas": durations_pandas,
        "duckdb_sql": durations_sql,
        "polars": durations_polars,
        "journeykit": durations_journeykit,
    },
    "cohort_retention (freq='M')": {
        "pandas": cohorts_pandas,
        "duckdb_sql": cohorts_sql,
        "polars": cohorts_polars,
        "journeykit": cohorts_journeykit,
    },
}
NOTES = {
    "durations (90-day churn window)": (
        "One row per customer (duration in days, churned or censored at 2024-12-31). "
        "`pandas`: groupby min/max; `duckdb_sql`: one GROUP BY and a CASE; `polars`: one "
        "lazy `group_by` and a when/then; `journeykit`: `durations` on the lazy table from "
        "`read_events` (it also returns start and last seen)."
    ),
    "cohort_retention (freq='M')": (
        "Monthly acquisition cohort x age: distinct active customers and share. `pandas`: "
        "distinct (customer, month), transform min, groupby size; `duckdb_sql`: DISTINCT, a "
        "window MIN and a GROUP BY; `polars`: `unique`, `min().over(customer)`, a `group_by` "
        "and `first().over(cohort)`; `journeykit`: `cohort_retention` (also revenue, the "
        "matrix and the average curve)."
    ),
}
#: what the foreign log changes in a task (beside the common note in run.py)
LOG_NOTES: dict[str, str] = {}
FLOORS = {
    "durations (90-day churn window)": "within 1.5x of the SQL, at least 1.5x faster than pandas",
    "cohort_retention (freq='M')": "within 1.5x of the SQL, at least 3x faster than pandas",
}


# --------------------------------------------------------------------------- in process

N_DURATIONS, N_GROUPS = 1_000_000, 4
TITLE = "retention_curve by 4 groups on 1M durations"


def data():
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(7)
    group = rng.integers(0, N_GROUPS, N_DURATIONS)
    lifetime = rng.exponential(100 * (1 + group / 2))
    censor = rng.uniform(0, 700, N_DURATIONS)
    return pd.DataFrame(
        {
            "duration": np.minimum(lifetime, censor),
            "observed": lifetime <= censor,
            "group": np.array(["a", "b", "c", "d"])[group],
        }
    )


def baseline(frame):
    """lifelines' own fit: one Kaplan-Meier per group and the multivariate log-rank test."""
    from lifelines import KaplanMeierFitter
    from lifelines.statistics import multivariate_logrank_test

    medians = []
    for _, part in frame.groupby("group"):
        kmf = KaplanMeierFitter().fit(part["duration"], part["observed"])
        medians.append(kmf.median_survival_time_)
    test = multivariate_logrank_test(frame["duration"], frame["group"], frame["observed"])
    return medians, test.test_statistic


def journeykit(frame):
    from journeykit import retention_curve

    return retention_curve(frame, by="group")


def check(result, reference) -> None:
    import numpy as np

    medians, chi2 = reference
    np.testing.assert_allclose(result.table["median_days"], medians)
    np.testing.assert_allclose(result.logrank["statistic"].iloc[0], chi2)


def describe(best: dict, repeat: int) -> str:
    ratio = best["journeykit"] / best["baseline"]
    return (
        f"`journeykit.retention_curve(durations, by='group')` on 1M durations in 4 groups: "
        f"{best['journeykit']:.3f} s; lifelines' bare work (4 KaplanMeierFitter fits + "
        f"multivariate_logrank_test): {best['baseline']:.3f} s; ratio {ratio:.2f}x (same "
        f"process, best of {repeat}; identical medians and chi-square checked). journeykit "
        "also computes median intervals, survival at 4 horizons and 6 Holm-adjusted pairwise "
        "log-rank tests. Floor (issue 7): at most 2x."
    )
