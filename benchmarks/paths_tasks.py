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


transitions_journeykit.setup = _events

PATHS_TASKS = {
    "transitions (events within sessions)": {
        "pandas": transitions_pandas,
        "duckdb_sql": transitions_sql,
        "journeykit": transitions_journeykit,
    },
}
NOTES = {
    "transitions (events within sessions)": (
        "Counts of consecutive event pairs within each session, with start and end states. "
        "`pandas`: sort, shift within session, value counts; `duckdb_sql`: LAG/LEAD window "
        "functions and a GROUP BY; `journeykit`: `transitions(events, unit='session')` on "
        "the lazy table (also the row probabilities)."
    ),
}
FLOORS = {
    "transitions (events within sessions)": "at least 8x faster than pandas, within 1.5x of "
    "the SQL, peak memory at most half of pandas'",
}
