"""Benchmark tasks of the funnels-and-paths issue: the windowed funnel, top session paths
and transitions within sessions (subprocess contenders on the Parquet file of each data set,
as lifecycle_tasks).

The foreign log has no sessions: there every contender makes them the web-analytics way, a
customer's new session after more than 30 minutes without an event (journeykit:
``jk.sessionize(events, gap='30min')``), events at one instant ordered by name.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from data_sets import SESSION_GAP_MIN, DataSet
from lifecycle_tasks import _duckdb, _events

TRANSITIONS_SQL = """
WITH w AS (
  SELECT event,
         lag(event) OVER (PARTITION BY session_id ORDER BY "timestamp", event) AS prev,
         lead(event) OVER (PARTITION BY session_id ORDER BY "timestamp", event) AS nxt
  FROM {events}
),
pairs AS (
  SELECT event AS "from", coalesce(nxt, 'end') AS "to" FROM w
  UNION ALL
  SELECT 'start', event FROM w WHERE prev IS NULL
)
SELECT "from", "to", count(*) AS n FROM pairs GROUP BY ALL ORDER BY "from", "to"
"""
#: the foreign log (no sessions): a session ends after more than {gap} minutes without an
#: event, so one window over the customer's events finds both the pairs and the ends
TRANSITIONS_GAP_SQL = """
WITH w AS (
  SELECT event,
         coalesce("timestamp" - lag("timestamp") OVER s > INTERVAL {gap} MINUTE, true) AS first,
         CASE WHEN lead("timestamp") OVER s - "timestamp" <= INTERVAL {gap} MINUTE
              THEN lead(event) OVER s ELSE 'end' END AS nxt
  FROM {events} WINDOW s AS (PARTITION BY customer_id ORDER BY "timestamp", event)
),
pairs AS (
  SELECT event AS "from", nxt AS "to" FROM w
  UNION ALL
  SELECT 'start', event FROM w WHERE first
)
SELECT "from", "to", count(*) AS n FROM pairs GROUP BY ALL ORDER BY "from", "to"
"""


def _pandas_sessions(path: Path, data: DataSet):
    """The events (session_id, timestamp, event) sorted by session, time and event; in the
    log, session_id numbers the sessions of a 30-minute inactivity gap."""
    import pandas as pd

    if data.sessions:
        ev = data.pandas(path, ["session_id", "timestamp", "event"])
        return ev.sort_values(["session_id", "timestamp", "event"])
    ev = data.pandas(path, ["customer_id", "timestamp", "event"])
    ev = ev.sort_values(["customer_id", "timestamp", "event"])
    gap = ev["timestamp"].diff() > pd.Timedelta(minutes=SESSION_GAP_MIN)
    new = gap | (ev["customer_id"] != ev["customer_id"].shift())
    return ev.assign(session_id=new.cumsum())[["session_id", "timestamp", "event"]]


def _polars_sessions(path: Path, data: DataSet):
    """Lazy Polars: the events sorted by session (the log: by customer), time and event,
    with ``first`` and ``last`` marking each session's first and last event (the log: a
    gap of more than 30 minutes ends a session) and ``session``, a number per session."""
    import polars as pl

    ts = pl.col("timestamp")
    if data.sessions:
        key = pl.col("session_id")
        ev = data.polars(path, "session_id", "timestamp", "event")
        ev = ev.sort("session_id", "timestamp", "event")
        first, last = key != key.shift(1), key != key.shift(-1)
    else:
        key, gap = pl.col("customer_id"), timedelta(minutes=SESSION_GAP_MIN)
        ev = data.polars(path, "customer_id", "timestamp", "event")
        ev = ev.sort("customer_id", "timestamp", "event")
        first = (key != key.shift(1)) | (ts - ts.shift(1) > gap)
        last = (key != key.shift(-1)) | (ts.shift(-1) - ts > gap)
    ev = ev.with_columns(first=first.fill_null(True), last=last.fill_null(True))
    return ev.with_columns(session=pl.col("first").cum_sum())


def transitions_pandas(path: Path, data: DataSet):
    """Vectorised pandas: sort, shift within session, value counts."""
    import pandas as pd

    ev = _pandas_sessions(path, data)
    g = ev.groupby("session_id", sort=False)["event"]
    pairs = pd.DataFrame({"from": ev["event"], "to": g.shift(-1).fillna("end")})
    starts = pd.DataFrame({"from": "start", "to": ev["event"][g.cumcount() == 0]})
    counts = pd.concat([pairs, starts]).value_counts().rename("n").reset_index()
    return counts.sort_values(["from", "to"], ignore_index=True)


def transitions_sql(path: Path, data: DataSet):
    events = data.sql_from(path)
    if data.sessions:
        return _duckdb().sql(TRANSITIONS_SQL.format(events=events)).df()
    query = TRANSITIONS_GAP_SQL.format(events=events, gap=SESSION_GAP_MIN)
    return _duckdb().sql(query).df()


def transitions_polars(path: Path, data: DataSet):
    """Lazy Polars: one sort, then the next event (or 'end' at a session's last) by a
    shift of the whole sorted frame, and 'start' pairs from each session's first."""
    import polars as pl

    ev = _polars_sessions(path, data)
    event = pl.col("event")
    pairs = ev.select(
        event.alias("from"),
        to=pl.when(pl.col("last")).then(pl.lit("end")).otherwise(event.shift(-1)),
    )
    starts = ev.filter(pl.col("first")).select(pl.lit("start").alias("from"), to=event)
    counts = pl.concat([pairs, starts]).group_by("from", "to").agg(n=pl.len())
    return counts.sort("from", "to").collect().to_pandas()


def transitions_journeykit(events, data: DataSet):
    import journeykit as jk

    return jk.transitions(events, unit="session").table[["from", "to", "n"]]


WINDOW_DAYS = 7
QUARTILES = ["time_q1", "time_median", "time_q3"]  # seconds from the previous step

FUNNEL_EVENTS = """
e AS (
  SELECT customer_id AS u, "timestamp" AS ts,
         CASE event WHEN 'page_view' THEN 1 WHEN 'product_view' THEN 2
                    WHEN 'add_to_cart' THEN 3 ELSE 4 END AS s
  FROM {events} WHERE event IN ('page_view', 'product_view', 'add_to_cart', '{last}')
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


def funnel_pandas(path: Path, data: DataSet):
    """Vectorised pandas: one forward merge_asof per step (greedy earliest matching), then
    each customer's credited attempt (idxmax of one rank) and the quartiles of the times."""
    import numpy as np
    import pandas as pd

    steps = data.steps
    ev = data.pandas(path, ["customer_id", "timestamp", "event"])
    ev = ev[ev["event"].isin(steps)]
    code = ev["event"].map({name: k for k, name in enumerate(steps, 1)})
    ev = pd.DataFrame({"u": ev["customer_id"], "ts": ev["timestamp"], "s": code.to_numpy()})
    a = ev[ev["s"] == 1][["u", "ts"]].rename(columns={"ts": "t1"})
    a = a.assign(limit=a["t1"] + pd.Timedelta(days=WINDOW_DAYS), reach=1)
    live = a[["u", "t1", "limit"]].assign(t=a["t1"])
    for k in range(2, len(steps) + 1):
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
    for k in range(1, len(steps) + 1):
        reached = best[best["reach"] >= k]
        q = [np.nan] * 3
        if k > 1:
            seconds = (reached[f"t{k}"] - reached[f"t{k - 1}"]).dt.total_seconds()
            q = seconds.quantile([0.25, 0.5, 0.75]).tolist()
        rows.append([k, len(reached), *q])
    return pd.DataFrame(rows, columns=["step_number", "n", *QUARTILES])


def _funnel_query(template: str, path: Path, data: DataSet) -> str:
    return template.format(events=data.sql_from(path), last=data.purchase, days=WINDOW_DAYS)


def funnel_sql(path: Path, data: DataSet):
    return _duckdb().sql(_funnel_query(FUNNEL_SQL, path, data)).df()


def funnel_sql_window(path: Path, data: DataSet):
    return _duckdb().sql(_funnel_query(FUNNEL_SQL_WINDOW, path, data)).df()


def funnel_polars(path: Path, data: DataSet):
    """Lazy Polars: one forward ``join_asof`` by customer per step (greedy earliest
    matching; attempts that stopped set aside, so each join sees fewer rows), the window
    cut of the reach, each customer's credited attempt by ``min_by`` of one rank, and the
    quartiles in one select."""
    import polars as pl

    steps, n = data.steps, len(data.steps)
    ev = data.polars(path, "customer_id", "timestamp", "event").filter(pl.col("event").is_in(steps))

    def at(k: int):  # step k's events, sorted by time (join_asof's order)
        rows = ev.filter(pl.col("event") == steps[k - 1])
        return rows.select(u="customer_id", **{f"t{k}": "timestamp"}).sort(f"t{k}")

    live, stopped = at(1), []
    for k in range(2, n + 1):
        left = live if k == 2 else live.sort(f"t{k - 1}")
        hit = left.join_asof(
            at(k),
            left_on=f"t{k - 1}",
            right_on=f"t{k}",
            by="u",
            strategy="forward",
            check_sortedness=False,  # both sides sorted by time above
        )
        stopped.append(hit.filter(pl.col(f"t{k}").is_null()))
        live = hit.filter(pl.col(f"t{k}").is_not_null())
    attempts = pl.concat([live, *stopped], how="diagonal")
    # matched times only grow, so the steps within the window are the leading ones
    window = timedelta(days=WINDOW_DAYS)
    times = [f"t{k}" for k in range(1, n + 1)]
    inside = [(pl.col(t) - pl.col("t1") <= window).fill_null(False) for t in times[1:]]
    attempts = attempts.with_columns(reach=pl.sum_horizontal(inside) + 1)
    # credited: the furthest reach, then the earliest start (the rank journeykit uses)
    rank = pl.col("t1").dt.epoch("us") - pl.col("reach").cast(pl.Int64) * 10**17
    best = attempts.group_by("u").agg(pl.col("reach").max(), pl.col(times).min_by(rank))
    reached = [pl.col("reach") >= k for k in range(1, n + 1)]
    stats = [reached[k - 1].sum().alias(f"n{k}") for k in range(1, n + 1)]
    for k in range(2, n + 1):
        seconds = (pl.col(times[k - 1]) - pl.col(times[k - 2])).dt.total_microseconds() / 1e6
        seconds = seconds.filter(reached[k - 1])
        for q, name in zip((0.25, 0.5, 0.75), QUARTILES):
            stats.append(seconds.quantile(q, interpolation="linear").alias(f"{name}{k}"))
    row = best.select(stats).collect().row(0, named=True)
    import pandas as pd

    return pd.DataFrame(
        [
            [k, row[f"n{k}"], *(row.get(f"{name}{k}") for name in QUARTILES)]
            for k in range(1, n + 1)
        ],
        columns=["step_number", "n", *QUARTILES],
    ).astype({name: float for name in QUARTILES})


def funnel_journeykit(events, data: DataSet):
    import journeykit as jk

    table = jk.funnel(events, data.steps, window=f"{WINDOW_DAYS}D").table
    seconds = {q: table[f"{q}_days"] * 86_400 for q in QUARTILES}
    return table[["step_number", "n"]].assign(**seconds)


TOP_PATHS_SQL = """
WITH w AS (
  SELECT session_id, "timestamp", event,
         lag(event) OVER (PARTITION BY session_id ORDER BY "timestamp", event) AS prev
  FROM {events}
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
#: the foreign log: sessions of a {gap}-minute inactivity gap, numbered per customer by a
#: running count of session starts (repeats collapsed before the count: a start is kept)
TOP_PATHS_GAP_SQL = """
WITH g AS (
  SELECT customer_id, "timestamp", event,
         coalesce("timestamp" - lag("timestamp") OVER s > INTERVAL {gap} MINUTE, true) AS new,
         lag(event) OVER s AS prev
  FROM {events} WINDOW s AS (PARTITION BY customer_id ORDER BY "timestamp", event)
),
k AS (
  SELECT customer_id, "timestamp", event,
         sum(new::INTEGER) OVER (PARTITION BY customer_id ORDER BY "timestamp", event
                                 ROWS UNBOUNDED PRECEDING) AS session
  FROM g WHERE new OR prev <> event
),
c AS (
  SELECT customer_id, session, event,
         row_number() OVER (PARTITION BY customer_id, session ORDER BY "timestamp", event) AS rn
  FROM k
),
p AS (
  SELECT string_agg(event, ' > ' ORDER BY rn) FILTER (WHERE rn <= {steps})
           || CASE WHEN max(rn) > {steps} THEN ' > ...' ELSE '' END AS path
  FROM c GROUP BY customer_id, session
)
SELECT path, count(*) AS units FROM p GROUP BY path ORDER BY units DESC, path LIMIT {n}
"""


def top_paths_pandas(path: Path, data: DataSet):
    """Vectorised pandas: sort, drop repeats, cumcount, join the first steps, value counts."""
    ev = _pandas_sessions(path, data)
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


def top_paths_sql(path: Path, data: DataSet):
    options = {"events": data.sql_from(path), "steps": MAX_STEPS, "n": TOP_N}
    if data.sessions:
        return _duckdb().sql(TOP_PATHS_SQL.format(**options)).df()
    return _duckdb().sql(TOP_PATHS_GAP_SQL.format(gap=SESSION_GAP_MIN, **options)).df()


def top_paths_polars(path: Path, data: DataSet):
    """Lazy Polars: the sorted sessions, repeats dropped, each session's first steps by
    ``head`` in a ``group_by`` and joined with ``list.join``, paths counted."""
    import polars as pl

    event = pl.col("event")
    ev = _polars_sessions(path, data).filter(pl.col("first") | (event != event.shift(1)))
    per = ev.group_by("session").agg(steps=event.head(MAX_STEPS), length=pl.len())
    more = pl.when(pl.col("length") > MAX_STEPS).then(pl.lit(" > ...")).otherwise(pl.lit(""))
    paths = per.select(path=pl.col("steps").list.join(" > ") + more)
    counts = paths.group_by("path").agg(units=pl.len())
    top = counts.sort(["units", "path"], descending=[True, False]).head(TOP_N)
    return top.collect().to_pandas()


def top_paths_journeykit(events, data: DataSet):
    import journeykit as jk

    table = jk.top_paths(
        events, top=TOP_N, max_steps=MAX_STEPS, unit="session", conversion=data.purchase
    ).table
    return table[["path", "n"]].rename(columns={"n": "units"})  # the contenders' name


def _session_events(path: Path, data: DataSet):
    return data.journeykit_sessions(path, duplicates="keep")


MAX_STEPS, TOP_N = 6, 20
funnel_journeykit.setup = _events
top_paths_journeykit.setup = transitions_journeykit.setup = _session_events

PATHS_TASKS = {
    "funnel (4 steps, strict, 7-day window)": {
        "pandas": funnel_pandas,
        "duckdb_sql": funnel_sql,
        "duckdb_sql_window": funnel_sql_window,
        "polars": funnel_polars,
        "journeykit": funnel_journeykit,
    },
    "top_paths (sessions, 6 steps, top 20)": {
        "pandas": top_paths_pandas,
        "duckdb_sql": top_paths_sql,
        "polars": top_paths_polars,
        "journeykit": top_paths_journeykit,
    },
    "transitions (events within sessions)": {
        "pandas": transitions_pandas,
        "duckdb_sql": transitions_sql,
        "polars": transitions_polars,
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
        "customer's events, then equality joins to chain the steps; `polars`: one forward "
        "`join_asof(by=customer)` per step on the attempts still matched, `min_by` of the "
        "same rank in a `group_by`, the quartiles (linear) in one select; `journeykit`: "
        "`funnel`: per step, a RANGE window over the union of the attempts still matched and "
        "that step's events; then the window cuts each attempt's reach (the matching itself "
        "does not depend on it), and the credited attempt's step times, Wilson intervals and "
        "drop-off."
    ),
    "top_paths (sessions, 6 steps, top 20)": (
        "The 20 most frequent session paths (repeats collapsed, cut at 6 steps). `pandas`: "
        "sort, drop repeats, cumcount, join, value counts; `duckdb_sql`: LAG, ROW_NUMBER, "
        "ordered STRING_AGG; `polars`: one sort by session, time and event, repeats dropped "
        "by a shift, `head(6)` per session in a `group_by`, `list.join`; `journeykit`: "
        "`top_paths` (events as integer codes of their names in the windows; one column per "
        "step instead of an ordered string aggregate, which Spark lacks; also conversion "
        "rates)."
    ),
    "transitions (events within sessions)": (
        "Counts of consecutive event pairs within each session, with start and end states. "
        "`pandas`: sort, shift within session, value counts; `duckdb_sql`: LAG/LEAD window "
        "functions and a GROUP BY; `polars`: one sort by session, time and event, the next "
        "event by a shift of the sorted frame (session ends marked); `journeykit`: "
        "`transitions(events, unit='session')` on the lazy table, events as integer codes of "
        "their names (also the row probabilities)."
    ),
}
#: what the foreign log changes in a task (beside the common note in run.py)
_GAP_SESSIONS = (
    "The log has no sessions, so every contender makes them: a customer's new session "
    f"starts after more than {SESSION_GAP_MIN} minutes without an event (the web-analytics "
    "convention; events at one instant ordered by name). journeykit: "
    f"`jk.sessionize(events, gap='{SESSION_GAP_MIN}min')` before the clock, a lazy "
    "expression, so the sessionizing runs inside the timed call (its session ids are text, "
    "'<customer>-<n>'); "
)
LOG_NOTES = {
    "funnel (4 steps, strict, 7-day window)": (
        "The last step is the log's purchase event, `payment_done` (its `checkout` step "
        "comes between and is not a funnel step)."
    ),
    "top_paths (sessions, 6 steps, top 20)": _GAP_SESSIONS
    + "`duckdb_sql`: LAG over the customer's events for the gaps and the repeats, a running "
    "SUM numbering the sessions, then ROW_NUMBER and STRING_AGG per session; `polars`: one "
    "sort by customer, time and event, session starts where the customer changes or the gap "
    "exceeds 30 minutes, their running sum numbering the sessions; `pandas`: the same with "
    "`diff` and `cumsum`; journeykit counts conversion to `payment_done`.",
    "transitions (events within sessions)": _GAP_SESSIONS
    + "`duckdb_sql`: one window over the customer's events (LAG/LEAD of time and event: a "
    "pair when the next event comes within 30 minutes, 'end' otherwise); `polars`: one sort "
    "by customer, time and event, session starts and ends from the gaps to the neighbours; "
    "`pandas`: sessions numbered by `diff` and `cumsum`, then as on the shop.",
}
FLOORS = {
    "funnel (4 steps, strict, 7-day window)": "at least 4x faster than pandas, within 1.5x of "
    "the SQL, peak memory at most half of pandas'",
    "top_paths (sessions, 6 steps, top 20)": "at least 4x faster than pandas, within 1.5x of "
    "the SQL, peak memory at most half of pandas'",
    "transitions (events within sessions)": "at least 8x faster than pandas, within 1.5x of "
    "the SQL, peak memory at most half of pandas'",
}
