"""Benchmark tasks of issue 23 (product-analytics retention) on the Parquet file,
subprocess contenders as lifecycle_tasks (pandas, hand-written DuckDB SQL, lazy Polars,
journeykit), each computing the same table.

cohort_retention with a start event (``product_view``) and another return event (the
purchase), ``mode='unbounded'`` (the join route): per monthly cohort of the first start
event and age (calendar months, every age the cohort has reached by the last event), the
customers of the cohort (``n_acquired``) and those with a purchase at or after their start
in that age or later (``n``), and the share.

funnel_trend (freq='W', the 4-step funnel of the funnel task, strict order, a 7-day
window): per week of the attempts' start (Mondays, numbered as journeykit.periods does),
each customer credited with its furthest-reaching attempt started that week among those
whose window has closed by the last event (open windows left out): ``n1``..``n4`` the
customers reaching each step, ``n_open`` those whose attempts of the week were all open.

stickiness, two tables returned as one long frame:

- ``kind = 0``: per week (``a``: the week number, Mondays, as journeykit.periods numbers
  them) the customers active on ``b`` distinct UTC days of it (``n``; combinations no one
  had are not rows);
- ``kind = 1, 2, 3``: per day ``a`` (days since 1970-01-01, UTC) from the first to the last
  active day, DAU, WAU (trailing 7 days) and MAU (trailing 30 days), ``b = 0``.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from data_sets import DataSet
from lifecycle_tasks import _duckdb, _events, _month
from paths_tasks import FUNNEL_COUNTS, FUNNEL_EVENTS, FUNNEL_SQL, WINDOW_DAYS

DAY_US = 86_400_000_000
WINDOWS = (7, 30)

START = "product_view"
COHORT_SQL = """
WITH ev AS (SELECT customer_id, "timestamp", event FROM {events}),
f AS (
  SELECT customer_id, min("timestamp") AS start,
         year(min("timestamp")) * 12 + month(min("timestamp")) - 1 AS cohort
  FROM ev WHERE event = '{start}' GROUP BY customer_id
),
lasts AS (
  SELECT f.cohort, max(year(e."timestamp") * 12 + month(e."timestamp") - 1) - f.cohort AS age
  FROM ev e JOIN f USING (customer_id)
  WHERE e.event = '{back}' AND e."timestamp" >= f.start
  GROUP BY f.customer_id, f.cohort
),
ends AS (SELECT cohort, age, count(*) AS c FROM lasts GROUP BY ALL),
sizes AS (SELECT cohort, count(*) AS n_acquired FROM f GROUP BY cohort),
grid AS (
  SELECT cohort, n_acquired,
         unnest(range(0, (SELECT max(year("timestamp") * 12 + month("timestamp") - 1)
                          FROM ev) - cohort + 1)) AS age
  FROM sizes
),
n AS (  -- retained at age k or later: the customers whose last return is at k or later
  SELECT cohort, age, n_acquired,
         sum(coalesce(c, 0)) OVER (PARTITION BY cohort ORDER BY age DESC) AS n
  FROM grid LEFT JOIN ends USING (cohort, age)
)
SELECT cohort, age, n_acquired, n, n / n_acquired AS retention FROM n ORDER BY cohort, age
"""


def _cohort_grid(sizes, ends, last: int):
    """The table from the cohort sizes (cohort -> n_acquired), the customers per (cohort,
    age of the last return) and the last period of the data: every reached age, n the
    reverse cumulative sum (numpy)."""
    import numpy as np
    import pandas as pd

    frames = []
    for cohort, size in sizes.sort_index().items():
        top = last - int(cohort)
        mine = ends.get(cohort, {})
        counts = np.zeros(top + 1, dtype=np.int64)
        for age, c in mine.items():
            counts[int(age)] = c
        n = counts[::-1].cumsum()[::-1]
        frames.append(
            pd.DataFrame({"cohort": cohort, "age": np.arange(top + 1), "n_acquired": size, "n": n})
        )
    out = pd.concat(frames, ignore_index=True).astype("int64")
    return out.assign(retention=out["n"] / out["n_acquired"])


def cohort_pandas(path: Path, data: DataSet):
    ev = data.pandas(path, ["customer_id", "timestamp", "event"])

    def month(ts):
        return ts.dt.year * 12 + ts.dt.month - 1

    starts = ev.loc[ev["event"] == START].groupby("customer_id")["timestamp"].min()
    back = ev.loc[ev["event"] == data.purchase, ["customer_id", "timestamp"]]
    back = back.merge(starts.rename("start"), left_on="customer_id", right_index=True)
    back = back[back["timestamp"] >= back["start"]]
    cohort = month(back["start"])
    back = back.assign(cohort=cohort, age=month(back["timestamp"]) - cohort)
    lasts = back.groupby(["customer_id", "cohort"])["age"].max()
    ends = lasts.groupby([lasts.index.get_level_values("cohort"), lasts]).size()
    table = {}
    for (c, age), n in ends.items():
        table.setdefault(c, {})[age] = n
    sizes = month(starts).value_counts()
    last = int(month(ev["timestamp"]).max())
    return _cohort_grid(sizes, table, last)


def cohort_sql(path: Path, data: DataSet):
    query = COHORT_SQL.format(events=data.sql_from(path), start=START, back=data.purchase)
    return _duckdb().sql(query).df()


def cohort_polars(path: Path, data: DataSet):
    """Lazy Polars: the first start per customer, a join with the returns, the last age per
    customer, counts per cohort and last age; the grid and reverse sums in numpy."""
    import polars as pl

    ev = data.polars(path, "customer_id", "timestamp", "event")
    ts = pl.col("timestamp")
    firsts = (
        ev.filter(pl.col("event") == START)
        .group_by("customer_id")
        .agg(start=ts.min())
        .with_columns(cohort=_month(pl.col("start")))
    )
    ends = (
        ev.filter(pl.col("event") == data.purchase)
        .select("customer_id", "timestamp")
        .join(firsts, on="customer_id")
        .filter(ts >= pl.col("start"))
        .group_by("customer_id", "cohort")
        .agg(age=(_month(ts) - pl.col("cohort")).max())
        .group_by("cohort", "age")
        .agg(c=pl.len())
    )
    sizes = firsts.group_by("cohort").agg(n=pl.len())
    last = ev.select(_month(ts).max().alias("last"))
    ends, sizes, last = pl.collect_all([ends, sizes, last])
    table = {}
    for c, age, n in ends.iter_rows():
        table.setdefault(c, {})[age] = n
    sizes = dict(sizes.iter_rows())
    import pandas as pd

    return _cohort_grid(pd.Series(sizes), table, int(last["last"][0]))


def cohort_journeykit(events, data: DataSet):
    import journeykit as jk

    res = jk.cohort_retention(
        events, freq="M", start_event=START, return_event=data.purchase, mode="unbounded"
    )
    table = res.table
    cohort = table["cohort"].dt.year * 12 + table["cohort"].dt.month - 1
    return table.assign(cohort=cohort)[["cohort", "age", "n_acquired", "n", "retention"]]


#: the attempts of the funnel task's query (step 1 events, each step matched by ASOF JOIN)
FUNNEL_ATTEMPTS = FUNNEL_SQL.removeprefix("WITH" + FUNNEL_EVENTS).removesuffix(FUNNEL_COUNTS)
TREND_SQL = (
    "WITH"
    + FUNNEL_EVENTS
    + FUNNEL_ATTEMPTS
    + """
p AS (
  SELECT u, (epoch_us(t1) // {day_us} + 3) // 7 AS period,
         t1 <= (SELECT max("timestamp") FROM {events}) - INTERVAL {days} DAY AS closed,
         CASE WHEN t4 <= t1 + INTERVAL {days} DAY THEN 4
              WHEN t3 <= t1 + INTERVAL {days} DAY THEN 3
              WHEN t2 <= t1 + INTERVAL {days} DAY THEN 2 ELSE 1 END AS reach
  FROM a
),
r AS (SELECT period, u, max(reach) FILTER (WHERE closed) AS reach FROM p GROUP BY ALL)
SELECT period, count(reach) AS n1, count(*) FILTER (WHERE reach >= 2) AS n2,
       count(*) FILTER (WHERE reach >= 3) AS n3, count(*) FILTER (WHERE reach >= 4) AS n4,
       count(*) FILTER (WHERE reach IS NULL) AS n_open
FROM r GROUP BY period ORDER BY period
"""
)
TREND_COLUMNS = ["period", "n1", "n2", "n3", "n4", "n_open"]


def trend_sql(path: Path, data: DataSet):
    query = TREND_SQL.format(
        events=data.sql_from(path), last=data.purchase, days=WINDOW_DAYS, day_us=DAY_US
    )
    return _duckdb().sql(query).df()


def _trend_counts(attempts, last):
    """pandas: the table from the attempts (u, t1, reach) and the last event's time."""
    import pandas as pd

    closed = attempts["t1"] <= last - pd.Timedelta(days=WINDOW_DAYS)
    day = attempts["t1"].dt.tz_convert(None).to_numpy().astype("datetime64[D]").astype("int64")
    a = attempts.assign(period=(day + 3) // 7, reach=attempts["reach"].where(closed))
    best = a.groupby(["period", "u"])["reach"].max()
    per = best.groupby(level="period")
    out = pd.DataFrame({f"n{k}": (best >= k).groupby(level="period").sum() for k in range(1, 5)})
    out["n_open"] = per.size() - per.count()
    return out.reset_index().astype("int64")


def trend_pandas(path: Path, data: DataSet):
    """merge_asof per step (greedy earliest matching, as the funnel task's pandas), the
    reach within the window, then per week the furthest reach of each customer."""
    import pandas as pd

    steps = data.steps
    ev = data.pandas(path, ["customer_id", "timestamp", "event"])
    last = ev["timestamp"].max()
    ev = ev[ev["event"].isin(steps)]
    a = ev.loc[ev["event"] == steps[0], ["customer_id", "timestamp"]]
    a = a.set_axis(["u", "t1"], axis=1).assign(reach=1)
    live = a.assign(t=a["t1"])
    for k in range(2, len(steps) + 1):
        right = ev.loc[ev["event"] == steps[k - 1], ["customer_id", "timestamp"]]
        right = right.set_axis(["u", "ts"], axis=1).sort_values("ts")
        left = live.sort_values("t")
        hit = pd.merge_asof(left, right, left_on="t", right_on="ts", by="u", direction="forward")
        hit.index = left.index
        hit = hit[hit["ts"].notna()]
        inside = hit[hit["ts"] <= hit["t1"] + pd.Timedelta(days=WINDOW_DAYS)]
        a.loc[inside.index, "reach"] = k
        live = hit[["u", "t1"]].assign(t=hit["ts"])
    return _trend_counts(a, last)


def trend_polars(path: Path, data: DataSet):
    """Lazy Polars: a forward ``join_asof`` by customer per step (as the funnel task's
    Polars), the reach within the window, then per week the furthest reach per customer."""
    import polars as pl

    steps = data.steps
    scan = data.polars(path, "customer_id", "timestamp", "event")
    ev = scan.filter(pl.col("event").is_in(steps))

    def at(k: int):
        rows = ev.filter(pl.col("event") == steps[k - 1])
        return rows.select(u="customer_id", **{f"t{k}": "timestamp"}).sort(f"t{k}")

    a, forward = at(1), {"by": "u", "strategy": "forward", "check_sortedness": False}
    for k in range(2, len(steps) + 1):  # both sides sorted by time
        a = a.sort(f"t{k - 1}").join_asof(at(k), left_on=f"t{k - 1}", right_on=f"t{k}", **forward)
    window = timedelta(days=WINDOW_DAYS)
    inside = [(pl.col(f"t{k}") - pl.col("t1") <= window).fill_null(False) for k in range(2, 5)]
    last = scan.select(pl.col("timestamp").max()).collect().item()
    closed = pl.col("t1") <= last - window
    day = pl.col("t1").dt.epoch("d")
    reach = pl.when(closed).then(pl.sum_horizontal(inside) + 1)
    best = a.group_by(period=(day + 3) // 7, u="u").agg(reach=reach.max())
    r = pl.col("reach")
    counts = [(r >= k).sum().alias(f"n{k}") for k in range(1, 5)]
    out = best.group_by("period").agg(*counts, n_open=r.is_null().sum()).sort("period")
    return out.collect().to_pandas().astype("int64")


def trend_journeykit(events, data: DataSet):
    import pandas as pd

    import journeykit as jk

    res = jk.funnel_trend(events, data.steps, freq="W", window=f"{WINDOW_DAYS}D")
    epoch = pd.Timestamp(0, tz="UTC")
    wide = res.table.pivot(index="period", columns="step_number", values="n")
    wide.columns = [f"n{k}" for k in wide.columns]
    wide = wide.join(res.periods.set_index("period")["n_open"]).reset_index()
    wide["period"] = ((wide["period"] - epoch).dt.days + 3) // 7
    return wide[TREND_COLUMNS].astype("int64")


STICKINESS_SQL = """
WITH pairs AS (
  SELECT DISTINCT customer_id, epoch_us("timestamp") // {day_us} AS day FROM {events}
),
weeks AS (
  SELECT (day + 3) // 7 AS a, count(*) AS b FROM pairs GROUP BY customer_id, (day + 3) // 7
),
spans AS (
  SELECT day, coalesce(lead(day) OVER (PARTITION BY customer_id ORDER BY day), day + 30)
    AS nxt FROM pairs
),
moves AS (  -- +1 on an active day, -1 when the customer leaves a trailing window
  SELECT 1 AS kind, day AS a, count(*) AS n FROM spans GROUP BY day
  UNION ALL SELECT 2, least(nxt, day + 7), -count(*) FROM spans GROUP BY 2
  UNION ALL SELECT 3, least(nxt, day + 30), -count(*) FROM spans GROUP BY 2
),
days AS (SELECT range AS a FROM range((SELECT min(day) FROM pairs),
                                       (SELECT max(day) FROM pairs) + 1)),
dau AS (SELECT a, n FROM moves WHERE kind = 1),
daily AS (
  SELECT days.a, coalesce(dau.n, 0) AS dau,
         sum(coalesce(dau.n, 0) + coalesce(w.n, 0)) OVER (ORDER BY days.a) AS wau,
         sum(coalesce(dau.n, 0) + coalesce(m.n, 0)) OVER (ORDER BY days.a) AS mau
  FROM days LEFT JOIN dau USING (a)
  LEFT JOIN (SELECT a, n FROM moves WHERE kind = 2) w USING (a)
  LEFT JOIN (SELECT a, n FROM moves WHERE kind = 3) m USING (a)
)
SELECT 0 AS kind, a, b, count(*) AS n FROM weeks GROUP BY a, b
UNION ALL SELECT 1, a, 0, dau FROM daily
UNION ALL SELECT 2, a, 0, wau FROM daily
UNION ALL SELECT 3, a, 0, mau FROM daily
ORDER BY kind, a, b
"""


def _long(weeks, daily):
    """The long frame of the module docstring from the week counts (a, b, n) and the daily
    frame (a, dau, wau, mau)."""
    import pandas as pd

    parts = [weeks.assign(kind=0)]
    for kind, column in enumerate(("dau", "wau", "mau"), start=1):
        parts.append(pd.DataFrame({"kind": kind, "a": daily["a"], "b": 0, "n": daily[column]}))
    out = pd.concat(parts, ignore_index=True)[["kind", "a", "b", "n"]].astype("int64")
    return out.sort_values(["kind", "a", "b"], ignore_index=True)


def _daily_from(days, nxt):
    """DAU, WAU, MAU per day from the active days and each one's next active day of the
    same customer (numpy: the difference array)."""
    import numpy as np
    import pandas as pd

    first, last = int(days.min()), int(days.max())
    span = np.arange(first, last + 1)
    size = last - first + 1
    dau = np.bincount(days - first, minlength=size)
    daily = pd.DataFrame({"a": span, "dau": dau})
    for name, n in zip(("wau", "mau"), WINDOWS):
        leave = np.minimum(nxt, days + n) - first
        inside = leave < size
        daily[name] = np.cumsum(dau - np.bincount(leave[inside], minlength=size))
    return daily


def stickiness_pandas(path: Path, data: DataSet):
    import numpy as np

    ev = data.pandas(path, ["customer_id", "timestamp"])
    ticks = ev["timestamp"].dt.tz_convert(None).to_numpy()
    day = ticks.astype("datetime64[D]").astype("int64")
    pairs = ev[["customer_id"]].assign(day=day).drop_duplicates()
    pairs = pairs.sort_values(["customer_id", "day"], ignore_index=True)
    week = (pairs["day"] + 3) // 7
    per = pairs.groupby([pairs["customer_id"], week]).size()
    weeks = per.groupby([per.index.get_level_values(1), per]).size()
    weeks.index.names = ["a", "b"]
    weeks = weeks.rename("n").reset_index()
    days = pairs["day"].to_numpy()
    same = pairs["customer_id"].to_numpy()[1:] == pairs["customer_id"].to_numpy()[:-1]
    nxt = np.append(np.where(same, days[1:], days[:-1] + 30), days[-1] + 30)
    return _long(weeks, _daily_from(days, nxt))


def stickiness_sql(path: Path, data: DataSet):
    query = STICKINESS_SQL.format(events=data.sql_from(path), day_us=DAY_US)
    return _duckdb().sql(query).df()


def stickiness_polars(path: Path, data: DataSet):
    """Lazy Polars: unique (customer, day); the week counts by two group_bys; the next
    active day by shift().over(customer); the difference array in numpy."""
    import polars as pl

    day = pl.col("day")
    pairs = (
        data.polars(path, "customer_id", "timestamp")
        .select("customer_id", day=pl.col("timestamp").dt.epoch("d"))
        .unique()
    )
    weeks = (
        pairs.group_by("customer_id", a=(day + 3) // 7)
        .agg(b=pl.len())
        .group_by("a", "b")
        .agg(n=pl.len())
    )
    spans = pairs.select(
        "day", nxt=day.shift(-1).over("customer_id", order_by="day").fill_null(day + 30)
    )
    weeks, spans = pl.collect_all([weeks, spans])
    days, nxt = spans["day"].to_numpy(), spans["nxt"].to_numpy()
    return _long(weeks.to_pandas(), _daily_from(days, nxt))


def stickiness_journeykit(events, data: DataSet):
    import pandas as pd

    import journeykit as jk

    res = jk.stickiness(events, freq="W")
    table = res.table[res.table["n"] > 0]
    epoch = pd.Timestamp(0, tz="UTC")
    weeks = pd.DataFrame(
        {
            "a": ((table["period"] - epoch).dt.days + 3) // 7,
            "b": table["active_days"],
            "n": table["n"],
        }
    )
    daily = res.daily.assign(a=(res.daily["day"] - epoch).dt.days)
    return _long(weeks, daily)


stickiness_journeykit.setup = cohort_journeykit.setup = trend_journeykit.setup = _events
TREND = "funnel_trend (freq='W', 4 steps, strict, 7-day window)"
COHORT = "cohort_retention (start and return events, unbounded, freq='M')"

STICKINESS = "stickiness (freq='W')"
ISSUE23_TASKS = {
    COHORT: {
        "pandas": cohort_pandas,
        "duckdb_sql": cohort_sql,
        "polars": cohort_polars,
        "journeykit": cohort_journeykit,
    },
    TREND: {
        "pandas": trend_pandas,
        "duckdb_sql": trend_sql,
        "polars": trend_polars,
        "journeykit": trend_journeykit,
    },
    STICKINESS: {
        "pandas": stickiness_pandas,
        "duckdb_sql": stickiness_sql,
        "polars": stickiness_polars,
        "journeykit": stickiness_journeykit,
    },
}
NOTES = {
    COHORT: (
        "Monthly cohorts of the first `product_view`, retained = a purchase at or after the "
        "start in the age or later (unbounded), every age the cohort has reached by the last "
        "event (0 where no one came back): the join of the purchases with each customer's "
        "start. `duckdb_sql`: one query (the first start per customer, the join, the last age "
        "per customer, a reverse running sum over a grid of reached ages); `pandas`: groupby "
        "min, merge, groupby max and numpy; `polars`: the same lazily (`collect_all`) and "
        "numpy; `journeykit`: `cohort_retention(events, freq='M', start_event='product_view', "
        "return_event=<purchase>, mode='unbounded')` (also the matrix and the average curve)."
    ),
    TREND: (
        "Funnel conversion per week of the attempts' start (page_view > product_view > "
        "add_to_cart > purchase, strict order, 7-day window; each customer credited with its "
        "furthest attempt started in the week; attempts whose window is still open at the "
        "last event left out and counted as n_open). The attempts as in the funnel task: "
        "`duckdb_sql` its ASOF JOIN query, grouped by week; `pandas` a `merge_asof` per step; "
        "`polars` a `join_asof` per step; `journeykit`: `funnel_trend(events, steps, "
        "freq='W', window='7D')` (also the Wilson intervals)."
    ),
    STICKINESS: (
        "Active days per week (customers by the number of distinct UTC days they were active "
        "in the week) and DAU, WAU (trailing 7 days) and MAU (trailing 30 days) for every "
        "day. Every contender counts the distinct (customer, day) pairs once and gets the "
        "trailing windows from a difference array (+1 on an active day, -1 when the customer "
        "leaves the window: the next active day or the window's end): `duckdb_sql` in one "
        "query (window `lead` and a running `sum`); `pandas` with `drop_duplicates`, "
        "groupby sizes and numpy; `polars` with `unique`, two `group_by`s, "
        "`shift().over(customer)` and numpy; `journeykit`: `stickiness(events, freq='W')` "
        "(one query; also the shares, the ratios and the per-week summary)."
    ),
}
LOG_NOTES: dict[str, str] = {}
FLOORS = {
    TREND: "issue 23: as issue 20",
    COHORT: "issue 23: as issue 20",
    STICKINESS: "issue 23: as issue 20",
}
