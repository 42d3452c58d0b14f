"""Benchmark tasks of the funnels-and-paths issue: transitions between events within
sessions (subprocess contenders on the Parquet file, as lifecycle_tasks)."""

from __future__ import annotations

from pathlib import Path

from lifecycle_tasks import _duckdb, _events

TRANSITIONS_SQL = """
WITH w AS (
  SELECT event,
         lag(event) OVER (PARTITION BY session_id ORDER BY "timestamp", event) AS prev,
         lead(event) OVER (PARTITION BY session_id ORDER BY "timestamp", event) AS nxt
  FROM read_parquet('{path}')
),
pairs AS (
  SELECT event AS "from", coalesce(nxt, 'end') AS "to" FROM w
  UNION ALL
  SELECT 'start', event FROM w WHERE prev IS NULL
)
SELECT "from", "to", count(*) AS n FROM pairs GROUP BY ALL ORDER BY "from", "to"
"""


def transitions_pandas(path: Path):
    """Vectorised pandas: sort, shift within session, value counts."""
    import pandas as pd

    ev = pd.read_parquet(path, columns=["session_id", "timestamp", "event"])
    ev = ev.sort_values(["session_id", "timestamp", "event"])
    g = ev.groupby("session_id", sort=False)["event"]
    pairs = pd.DataFrame({"from": ev["event"], "to": g.shift(-1).fillna("end")})
    starts = pd.DataFrame({"from": "start", "to": ev["event"][g.cumcount() == 0]})
    counts = pd.concat([pairs, starts]).value_counts().rename("n").reset_index()
    return counts.sort_values(["from", "to"], ignore_index=True)


def transitions_sql(path: Path):
    return _duckdb().sql(TRANSITIONS_SQL.format(path=path)).df()


def transitions_journeykit(events):
    import journeykit as jk

    return jk.transitions(events, unit="session").table[["from", "to", "n"]]


STEPS = ["page_view", "product_view", "add_to_cart", "purchase"]
WINDOW_DAYS = 7
QUARTILES = ["time_q1", "time_median", "time_q3"]  # seconds from the previous step

FUNNEL_EVENTS = """
e AS (
  SELECT customer_id AS u, "timestamp" AS ts,
         CASE event WHEN 'page_view' THEN 1 WHEN 'product_view' THEN 2
                    WHEN 'add_to_cart' THEN 3 ELSE 4 END AS s
  FROM read_parquet('{path}') WHERE event IN ('page_view', 'product_view', 'add_to_cart',
                                             'purchase')
)"""
FUNNEL_COUNTS = """
p AS (
  SELECT u, t1, t2, t3, t4,
         CASE WHEN t4 <= t1 + INTERVAL {days} DAY THEN 4
              WHEN t3 <= t1 + INTERVAL {days} DAY THEN 3
              WHEN t2 <= t1 + INTERVAL {days} DAY THEN 2 ELSE 1 END AS reach
  FROM a
),
r AS (
  SELECT u, max(reach) AS reach,
         arg_min_null(t1, epoch_us(t1) - reach * 100000000000000000) AS t1,
         arg_min_null(t2, epoch_us(t1) - reach * 100000000000000000) AS t2,
         arg_min_null(t3, epoch_us(t1) - reach * 100000000000000000) AS t3,
         arg_min_null(t4, epoch_us(t1) - reach * 100000000000000000) AS t4
  FROM p GROUP BY u
),
d AS (
  SELECT k.step_number, r.u,
         CASE k.step_number WHEN 2 THEN epoch_us(t2) - epoch_us(t1)
                            WHEN 3 THEN epoch_us(t3) - epoch_us(t2)
                            WHEN 4 THEN epoch_us(t4) - epoch_us(t3) END / 1e6 AS seconds
  FROM range(1, 5) AS k(step_number) LEFT JOIN r ON r.reach >= k.step_number
)
SELECT step_number, count(u) AS n, quantile_cont(seconds, 0.25) AS time_q1,
       quantile_cont(seconds, 0.5) AS time_median, quantile_cont(seconds, 0.75) AS time_q3
FROM d GROUP BY 1 ORDER BY 1
"""
FUNNEL_SQL = (
    "WITH"
    + FUNNEL_EVENTS
    + """,
s1 AS (SELECT u, ts FROM e WHERE s = 1), s2 AS (SELECT u, ts FROM e WHERE s = 2),
s3 AS (SELECT u, ts FROM e WHERE s = 3), s4 AS (SELECT u, ts FROM e WHERE s = 4),
a2 AS (SELECT s1.u, s1.ts AS t1, s2.ts AS t2
       FROM s1 ASOF LEFT JOIN s2 ON s1.u = s2.u AND s2.ts >= s1.ts),
a3 AS (SELECT a2.*, s3.ts AS t3 FROM a2 ASOF LEFT JOIN s3 ON a2.u = s3.u AND s3.ts >= a2.t2),
a AS (SELECT a3.*, s4.ts AS t4 FROM a3 ASOF LEFT JOIN s4 ON a3.u = s4.u AND s4.ts >= a3.t3),"""
    + FUNNEL_COUNTS
)
FUNNEL_SQL_WINDOW = (
    "WITH"
    + FUNNEL_EVENTS
    + """,
w AS (
  SELECT u, ts, s, min(ts) FILTER (WHERE s = 2) OVER f AS n2,
         min(ts) FILTER (WHERE s = 3) OVER f AS n3, min(ts) FILTER (WHERE s = 4) OVER f AS n4
  FROM e WINDOW f AS (PARTITION BY u ORDER BY ts
                      RANGE BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING)
),
l3 AS (SELECT DISTINCT u, ts, n3 FROM w WHERE s = 2),
l4 AS (SELECT DISTINCT u, ts, n4 FROM w WHERE s = 3),
a AS (
  SELECT w.u, w.ts AS t1, w.n2 AS t2, l3.n3 AS t3, l4.n4 AS t4
  FROM w LEFT JOIN l3 ON l3.u = w.u AND l3.ts = w.n2
         LEFT JOIN l4 ON l4.u = w.u AND l4.ts = l3.n3
  WHERE w.s = 1
),"""
    + FUNNEL_COUNTS
)


def funnel_pandas(path: Path):
    """Vectorised pandas: one forward merge_asof per step (greedy earliest matching), then
    each customer's credited attempt (idxmax of one rank) and the quartiles of the times."""
    import numpy as np
    import pandas as pd

    ev = pd.read_parquet(path, columns=["customer_id", "timestamp", "event"])
    ev = ev[ev["event"].isin(STEPS)]
    code = ev["event"].map({name: k for k, name in enumerate(STEPS, 1)})
    ev = pd.DataFrame({"u": ev["customer_id"], "ts": ev["timestamp"], "s": code.to_numpy()})
    a = ev[ev["s"] == 1][["u", "ts"]].rename(columns={"ts": "t1"})
    a = a.assign(limit=a["t1"] + pd.Timedelta(days=WINDOW_DAYS), reach=1)
    live = a[["u", "t1", "limit"]].assign(t=a["t1"])
    for k in range(2, len(STEPS) + 1):
        right = ev[ev["s"] == k][["u", "ts"]].sort_values("ts")
        left = live.sort_values("t")
        hit = pd.merge_asof(left, right, left_on="t", right_on="ts", by="u", direction="forward")
        hit.index = left.index
        hit = hit[hit["ts"].notna() & (hit["ts"] <= hit["limit"])]
        a.loc[hit.index, "reach"] = k
        a[f"t{k}"] = hit["ts"]  # aligned on the attempts' index, NaT elsewhere
        live = hit.drop(columns="t").rename(columns={"ts": "t"})
    # credited: furthest reach, then earliest start (the rank journeykit uses)
    rank = a["reach"] * 10**17 - a["t1"].dt.as_unit("us").astype("int64")
    best = a.loc[rank.groupby(a["u"]).idxmax()]
    rows = []
    for k in range(1, len(STEPS) + 1):
        reached = best[best["reach"] >= k]
        q = [np.nan] * 3
        if k > 1:
            seconds = (reached[f"t{k}"] - reached[f"t{k - 1}"]).dt.total_seconds()
            q = seconds.quantile([0.25, 0.5, 0.75]).tolist()
        rows.append([k, len(reached), *q])
    return pd.DataFrame(rows, columns=["step_number", "n", *QUARTILES])


def funnel_sql(path: Path):
    return _duckdb().sql(FUNNEL_SQL.format(path=path, days=WINDOW_DAYS)).df()


def funnel_sql_window(path: Path):
    return _duckdb().sql(FUNNEL_SQL_WINDOW.format(path=path, days=WINDOW_DAYS)).df()


def funnel_journeykit(events):
    import journeykit as jk

    table = jk.funnel(events, STEPS, window=f"{WINDOW_DAYS}D").table
    seconds = {q: table[f"{q}_days"] * 86_400 for q in QUARTILES}
    return table[["step_number", "n"]].assign(**seconds)


TOP_PATHS_SQL = """
WITH w AS (
  SELECT session_id, "timestamp", event,
         lag(event) OVER (PARTITION BY session_id ORDER BY "timestamp", event) AS prev
  FROM read_parquet('{path}')
),
c AS (
  SELECT session_id, event,
         row_number() OVER (PARTITION BY session_id ORDER BY "timestamp", event) AS rn
  FROM (SELECT * FROM w WHERE prev IS NULL OR prev <> event)
),
p AS (
  SELECT session_id,
         string_agg(event, ' > ' ORDER BY rn) FILTER (WHERE rn <= {steps})
           || CASE WHEN max(rn) > {steps} THEN ' > ...' ELSE '' END AS path
  FROM c GROUP BY session_id
)
SELECT path, count(*) AS units FROM p GROUP BY path ORDER BY units DESC, path LIMIT {n}
"""


def top_paths_pandas(path: Path):
    """Vectorised pandas: sort, drop repeats, cumcount, join the first steps, value counts."""
    import pandas as pd

    ev = pd.read_parquet(path, columns=["session_id", "timestamp", "event"])
    ev = ev.sort_values(["session_id", "timestamp", "event"])
    prev = ev.groupby("session_id", sort=False)["event"].shift()
    ev = ev[prev.isna() | (prev != ev["event"])]
    rn = ev.groupby("session_id", sort=False).cumcount() + 1
    longer = rn.groupby(ev["session_id"], sort=False).max() > MAX_STEPS
    head = ev[rn <= MAX_STEPS]
    paths = head.groupby("session_id", sort=False)["event"].agg(" > ".join)
    paths = paths + longer.reindex(paths.index).map({True: " > ...", False: ""})
    counts = paths.value_counts().rename("units").rename_axis("path").reset_index()
    counts = counts.sort_values(["units", "path"], ascending=[False, True], ignore_index=True)
    return counts.head(TOP_N)


def top_paths_sql(path: Path):
    query = TOP_PATHS_SQL.format(path=path, steps=MAX_STEPS, n=TOP_N)
    return _duckdb().sql(query).df()


def top_paths_journeykit(events):
    import journeykit as jk

    table = jk.top_paths(events, top=TOP_N, max_steps=MAX_STEPS, unit="session").table
    return table[["path", "n"]].rename(columns={"n": "units"})  # the contenders' name


MAX_STEPS, TOP_N = 6, 20
funnel_journeykit.setup = top_paths_journeykit.setup = _events
transitions_journeykit.setup = _events

PATHS_TASKS = {
    "funnel (4 steps, strict, 7-day window)": {
        "pandas": funnel_pandas,
        "duckdb_sql": funnel_sql,
        "duckdb_sql_window": funnel_sql_window,
        "journeykit": funnel_journeykit,
    },
    "top_paths (sessions, 6 steps, top 20)": {
        "pandas": top_paths_pandas,
        "duckdb_sql": top_paths_sql,
        "journeykit": top_paths_journeykit,
    },
    "transitions (events within sessions)": {
        "pandas": transitions_pandas,
        "duckdb_sql": transitions_sql,
        "journeykit": transitions_journeykit,
    },
}
NOTES = {
    "funnel (4 steps, strict, 7-day window)": (
        "page_view > product_view > add_to_cart > purchase: customers reaching each step and "
        "the quartiles of the time since the previous step, every page_view an attempt, "
        "greedy earliest matching, each customer credited with the furthest-reaching attempt "
        "(the earliest among equals); every contender computes that whole table, and the "
        "checked results include the quartiles. `pandas`: one forward `merge_asof` per "
        "step, then `idxmax` of one rank per customer; `duckdb_sql`: "
        "one ASOF LEFT JOIN per step (the next event of that step at or after the previous "
        "one); `duckdb_sql_window`: MIN ... FILTER over a RANGE window to the end of the "
        "customer's events, then equality joins to chain the steps; `journeykit`: `funnel`: "
        "per step, a RANGE window over the union of the attempts still matched and that "
        "step's events; then the window cuts each attempt's reach (the matching itself does "
        "not depend on it), and the credited attempt's step times, Wilson intervals and "
        "drop-off."
    ),
    "top_paths (sessions, 6 steps, top 20)": (
        "The 20 most frequent session paths (repeats collapsed, cut at 6 steps). `pandas`: "
        "sort, drop repeats, cumcount, join, value counts; `duckdb_sql`: LAG, ROW_NUMBER, "
        "ordered STRING_AGG; `journeykit`: `top_paths` (events as integer codes of their "
        "names in the windows; one column per step instead of an ordered string aggregate, "
        "which Spark lacks; also conversion rates)."
    ),
    "transitions (events within sessions)": (
        "Counts of consecutive event pairs within each session, with start and end states. "
        "`pandas`: sort, shift within session, value counts; `duckdb_sql`: LAG/LEAD window "
        "functions and a GROUP BY; `journeykit`: `transitions(events, unit='session')` on "
        "the lazy table, events as integer codes of their names (also the row probabilities)."
    ),
}
FLOORS = {
    "funnel (4 steps, strict, 7-day window)": "at least 4x faster than pandas, within 1.5x of "
    "the SQL, peak memory at most half of pandas'",
    "top_paths (sessions, 6 steps, top 20)": "at least 4x faster than pandas, within 1.5x of "
    "the SQL, peak memory at most half of pandas'",
    "transitions (events within sessions)": "at least 8x faster than pandas, within 1.5x of "
    "the SQL, peak memory at most half of pandas'",
}
