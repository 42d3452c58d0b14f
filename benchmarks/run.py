"""Scale benchmarks for journeykit (``make bench``; not part of ``make test``).

Every contender runs in a fresh subprocess on the same Parquet file, so its time and peak
memory (max RSS) are its own; the ratios compare contenders measured in the same run, on
the same (shared, noisy) machine. Results must be identical across contenders. Figures are
written to ``benchmarks/RESULTS.md``.

Every event-level task runs on two data sets (:mod:`data_sets`): the simulated shop and
the foreign log of :mod:`foreign_log` (integer ids, naive times, no sessions), each
against pandas, hand-written DuckDB SQL and lazy Polars.

    python benchmarks/run.py [--customers 780000] [--repeat 3] [--log-events 10000000]
                             [--task TITLE] [--data shop|log]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import abtest_task  # benchmarks/ is on sys.path when this script runs
import attribution_task
import clv_task
import explorer_task
import foreign_log
import issue23_tasks
import nps_task
import paths_tasks
import survival_tasks
from data_sets import DATA_SETS, LOG, SHOP, DataSet

HERE = Path(__file__).resolve().parent
#: in-process statistics benchmarks: each has TITLE, data(), baseline(data),
#: journeykit(data), check(journeykit result, baseline result) and describe(best, repeat)
STATS_TASKS = (nps_task, abtest_task, survival_tasks, clv_task, attribution_task)
DATA = HERE / "data"
AS_OF = "2024-12-31"

SQL_SUMMARY = """
WITH ev AS (
  SELECT customer_id, "timestamp", event{columns},
         floor(epoch("timestamp") / 86400)::BIGINT AS day
  FROM {events}
  WHERE "timestamp" <= {ts} '{as_of} 00:00:00'
)
SELECT customer_id,
       min("timestamp") AS first_seen,
       max("timestamp") AS last_seen,
       count(*) AS n_events,
       count(DISTINCT day) AS n_active_days,
       {n_orders} AS n_orders,
       {revenue} AS revenue,
       greatest(count(DISTINCT day) FILTER (WHERE event = '{purchase}') - 1, 0) AS frequency,
       (max(day) FILTER (WHERE event = '{purchase}')
        - min(day) FILTER (WHERE event = '{purchase}'))::DOUBLE AS recency,
       ({as_of_day} - min(day) FILTER (WHERE event = '{purchase}'))::DOUBLE AS "T"
FROM ev GROUP BY customer_id
"""


SQL_SUMMARY_TUNED = """
WITH ev AS (
  SELECT customer_id, "timestamp", event{columns}, CAST("timestamp" AS DATE) AS day
  FROM {events}
  WHERE "timestamp" <= {ts} '{as_of} 00:00:00'
),
days AS (
  SELECT customer_id, day, min("timestamp") AS first, max("timestamp") AS last, count(*) AS n,
         bool_or(event = '{purchase}') AS bought, {per_day}
  FROM ev GROUP BY customer_id, day
){orders}
SELECT customer_id, min(first) AS first_seen, max(last) AS last_seen, sum(n) AS n_events,
       count(*) AS n_active_days, {n_orders} AS n_orders, {revenue} AS revenue,
       greatest(count(*) FILTER (WHERE bought) - 1, 0) AS frequency,
       datediff('day', min(day) FILTER (WHERE bought), max(day) FILTER (WHERE bought))::DOUBLE
         AS recency,
       datediff('day', min(day) FILTER (WHERE bought), DATE '{as_of}')::DOUBLE AS "T"
FROM days{join}
GROUP BY customer_id
"""
#: the parts of the two summary queries that differ: the shop's orders are distinct
#: order ids of purchases, with revenue; the log has neither column (orders = purchase
#: events, revenue unknown)
SQL_SUMMARY_PARTS = {
    "shop": {
        "columns": ", revenue, order_id",
        "n_orders": "count(DISTINCT order_id) FILTER (WHERE event = 'purchase')",
        "revenue": "coalesce(sum(revenue) FILTER (WHERE event = 'purchase'), 0)",
    },
    "log": {
        "columns": "",
        "n_orders": "count(*) FILTER (WHERE event = 'payment_done')",
        "revenue": "NULL::DOUBLE",
    },
}
SQL_SUMMARY_TUNED_PARTS = {
    "shop": {
        "columns": ", revenue, order_id",
        "per_day": "sum(revenue) FILTER (WHERE event = 'purchase') AS revenue",
        "orders": ",\norders AS (\n  SELECT customer_id, count(DISTINCT order_id) AS n_orders\n"
        "  FROM ev WHERE event = 'purchase' GROUP BY customer_id\n)",
        "join": " LEFT JOIN orders USING (customer_id)",
        "n_orders": "coalesce(any_value(n_orders), 0)",
        "revenue": "coalesce(sum(revenue), 0)",
    },
    "log": {
        "columns": "",
        "per_day": "count(*) FILTER (WHERE event = 'payment_done') AS buys",
        "orders": "",
        "join": "",
        "n_orders": "sum(buys)",
        "revenue": "NULL::DOUBLE",
    },
}
SUMMARY_TIMES = ("first_seen", "last_seen")


def _as_of_day() -> int:
    import pandas as pd

    return pd.Timestamp(AS_OF, tz="UTC").value // (86_400 * 10**9)


def pandas_summary(path: Path, data: DataSet):
    """A plain, vectorised pandas implementation of customer_summary (same definitions)."""
    import numpy as np
    import pandas as pd

    columns = ["customer_id", "timestamp", "event"]
    ev = data.pandas(path, columns + (["revenue", "order_id"] if data.orders else []))
    ev = ev[ev["timestamp"] <= pd.Timestamp(AS_OF, tz="UTC")]
    ev["day"] = ev["timestamp"].astype("int64") // (86_400 * 1_000_000)
    g = ev.groupby("customer_id", sort=True)
    out = pd.DataFrame(
        {
            "first_seen": g["timestamp"].min(),
            "last_seen": g["timestamp"].max(),
            "n_events": g.size(),
            "n_active_days": g["day"].nunique(),
        }
    )
    buys = ev[ev["event"] == data.purchase].groupby("customer_id")
    out["n_orders"] = buys["order_id"].nunique() if data.orders else buys.size()
    out["revenue"] = buys["revenue"].sum() if data.orders else np.nan
    first = buys["day"].min()
    out["frequency"] = buys["day"].nunique() - 1
    out["recency"] = (buys["day"].max() - first).astype(float)
    out["T"] = (_as_of_day() - first).astype(float)
    out[["n_orders", "frequency"]] = out[["n_orders", "frequency"]].fillna(0).astype(np.int64)
    if data.orders:
        out["revenue"] = out["revenue"].fillna(0.0)
    return data.pandas_keyed(out.reset_index())


def _sql_summary(template: str, parts: dict, path: Path, data: DataSet):
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    query = template.format(
        events=data.sql_from(path),
        ts=data.sql_ts,
        as_of=AS_OF,
        as_of_day=_as_of_day(),
        purchase=data.purchase,
        **parts[data.key],
    )
    return con.sql(data.sql_keyed(query, SUMMARY_TIMES)).df()


def sql_summary(path: Path, data: DataSet):
    """The practical limit: one hand-written DuckDB query over the Parquet file."""
    return _sql_summary(SQL_SUMMARY, SQL_SUMMARY_PARTS, path, data)


def sql_tuned_summary(path: Path, data: DataSet):
    """The same in two levels (customer-day, then customer), as journeykit does it."""
    return _sql_summary(SQL_SUMMARY_TUNED, SQL_SUMMARY_TUNED_PARTS, path, data)


def polars_summary(path: Path, data: DataSet):
    """Lazy Polars: one group_by per customer with filtered aggregations (purchase days as
    whole UTC day numbers)."""
    import polars as pl

    ts, day = pl.col("timestamp"), pl.col("day")
    buy = pl.col("event") == data.purchase
    columns = ["customer_id", "timestamp", "event"] + (
        ["revenue", "order_id"] if data.orders else []
    )
    ev = data.polars(path, *columns).filter(ts <= data.polars_time(AS_OF))
    ev = ev.with_columns(day=ts.dt.epoch("d"))
    if data.orders:
        orders = pl.col("order_id").filter(buy).drop_nulls().n_unique()
        revenue = pl.col("revenue").filter(buy).sum()
    else:
        orders, revenue = buy.sum(), pl.lit(None, pl.Float64)
    bought = day.filter(buy)
    out = ev.group_by("customer_id").agg(
        first_seen=ts.min(),
        last_seen=ts.max(),
        n_events=pl.len(),
        n_active_days=day.n_unique(),
        n_orders=orders,
        revenue=revenue,
        frequency=(bought.n_unique().cast(pl.Int64) - 1).clip(lower_bound=0),
        recency=(bought.max() - bought.min()).cast(pl.Float64),
        T=(_as_of_day() - bought.min()).cast(pl.Float64),
    )
    return data.polars_keyed(out, SUMMARY_TIMES).collect().to_pandas()


def journeykit_summary(path: Path, data: DataSet):
    """journeykit: read_events on the Parquet file through Ibis/DuckDB, then customer_summary."""
    import journeykit as jk

    return jk.customer_summary(data.journeykit(path), as_of=AS_OF, purchase=data.purchase)


def journeykit_no_duplicate_check(path: Path, data: DataSet):
    """journeykit with duplicates='keep': what the exact-duplicate check costs."""
    import journeykit as jk

    events = data.journeykit(path, duplicates="keep")
    return jk.customer_summary(events, as_of=AS_OF, purchase=data.purchase)


def pandas_read_parquet(path: Path, data: DataSet):
    """The baseline of read_events on a frame: reading the same rows into pandas."""
    import pandas as pd

    frame = pd.read_parquet(path)
    return pd.DataFrame({"rows": [len(frame)]})


def journeykit_read_frame(frame, data: DataSet):
    """read_events on a 10M-row DataFrame already in memory (integer ids, naive times)."""
    import pandas as pd

    import journeykit as jk

    events = jk.read_events(frame, customer=data.customer, time=data.time)
    return pd.DataFrame({"rows": [len(events)]})


def _read_frame(path: Path, data: DataSet):
    import pandas as pd

    return pd.read_parquet(path)


journeykit_read_frame.setup = _read_frame
READ_FRAME = "read_events on a DataFrame"
SUMMARY = "read_events + customer_summary"
READ_FRAME_NOTES = (
    "Data: `benchmarks/foreign_log.py` (10M events, 1M integer user ids, naive timestamps, "
    "no sessions, revenue or channel, shuffled rows). `journeykit` = `read_events(frame, "
    "customer='user_id', time='event_time')` on the frame already in memory (every check of "
    "the door, the exact-duplicate check included); `pandas` = `pd.read_parquet` of the same "
    "file, the time it takes to get those rows into pandas at all."
)
#: the data sets of each task (default: both, the simulated shop and the foreign log)
TASK_DATA = {READ_FRAME: (LOG,)}


def _tasks() -> dict:
    from lifecycle_tasks import LIFECYCLE_TASKS

    return {
        READ_FRAME: {"pandas": pandas_read_parquet, "journeykit": journeykit_read_frame},
        SUMMARY: {
            "pandas": pandas_summary,
            "duckdb_sql": sql_summary,
            "duckdb_sql_tuned": sql_tuned_summary,
            "polars": polars_summary,
            "journeykit": journeykit_summary,
            "journeykit_keep": journeykit_no_duplicate_check,
        },
        **LIFECYCLE_TASKS,
        **survival_tasks.SURVIVAL_TASKS,
        **paths_tasks.PATHS_TASKS,
        **issue23_tasks.ISSUE23_TASKS,
    }


def title(task: str, data: DataSet) -> str:
    """The task's title in RESULTS.md: the foreign log's runs are marked (but a task that
    runs on it alone says so in its notes)."""
    return task if TASK_DATA.get(task) == (data,) else task + data.suffix


def one(task: str, name: str, path: Path, out: Path, data: DataSet) -> None:
    """Run one contender in this process; print seconds and peak memory as JSON.

    Every library any contender uses is imported before the clock starts, so the times
    compare the work, not the imports (import time is measured on its own below).
    """
    import duckdb  # noqa: F401
    import ibis
    import pandas  # noqa: F401
    import polars  # noqa: F401
    import scipy.stats  # noqa: F401
    import statsmodels.stats.proportion  # noqa: F401

    import journeykit  # noqa: F401

    # Ibis loads a backend's module on first use (0.6 s for DuckDB): a library import too
    ibis.duckdb.connect().disconnect()
    contender = _tasks()[task][name]
    argument = contender.setup(path, data) if hasattr(contender, "setup") else path
    start = time.perf_counter()
    result = contender(argument, data)
    seconds = time.perf_counter() - start
    # VmHWM is this process's own peak RSS (ru_maxrss survives exec and would include the
    # parent's peak).
    status = Path("/proc/self/status").read_text().split("\n")
    peak_kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
    peak_mb = peak_kb / 1024
    result.to_parquet(out, index=False)
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb}))


def generate(customers: int, path: Path) -> dict:
    from journeykit.simulate import webshop

    start = time.perf_counter()
    sim = webshop(customers, seed=1)
    seconds = time.perf_counter() - start
    sim.events.to_parquet(path, index=False)
    return {"customers": customers, "events": len(sim.events), "seconds": seconds}


def import_times(repeat: int = 15) -> dict:
    """Median over fresh interpreters of the time to import pandas, and of the time that
    importing journeykit (and its public API) adds after pandas, both measured in one run."""
    code = (
        "import time; t0 = time.perf_counter(); import pandas; t1 = time.perf_counter(); "
        "import journeykit; from journeykit import read_events, kpis; "
        "t2 = time.perf_counter(); print(t1 - t0, t2 - t1)"
    )
    # as an installed package is imported: from its bytecode cache (a shell that sets
    # PYTHONDONTWRITEBYTECODE would otherwise compile every module on every import)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, env=env)
    runs = []
    for _ in range(repeat):
        out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, env=env)
        runs.append([float(x) for x in out.stdout.split()])
    return {
        "pandas": statistics.median(r[0] for r in runs),
        "journeykit": statistics.median(r[1] for r in runs),
    }


def check_identical(task: str, outputs: dict[str, Path]) -> None:
    import pandas as pd

    frames = {name: pd.read_parquet(p) for name, p in outputs.items()}
    reference = frames["journeykit"]
    for name, frame in frames.items():
        pd.testing.assert_frame_equal(
            frame[reference.columns].reset_index(drop=True),
            reference,
            check_dtype=False,
            obj=f"{task}: {name} vs journeykit",
        )


SUMMARY_NOTES = (
    "Contenders: `pandas` = read the Parquet file with pandas and a vectorised groupby "
    "summary; `duckdb_sql` = one straightforward hand-written query (a single GROUP BY with "
    "COUNT(DISTINCT ...)); `duckdb_sql_tuned` = hand-written in two levels (customer-day, "
    "then customer), the plan journeykit's Ibis expression uses; `polars` = one lazy "
    "`group_by` with filtered aggregations (`n_unique` of day numbers); `journeykit` = "
    "`read_events` on the Parquet file through Ibis/DuckDB (validation including the "
    "exact-duplicate check) + `customer_summary`; `journeykit_keep` = the same with "
    "`duplicates='keep'`."
)
#: what the foreign log changes in the summary (beside the common note)
SUMMARY_LOG_NOTES = (
    "Without order ids or revenue, `n_orders` counts `payment_done` events and `revenue` is "
    "missing (NaN), as customer_summary defines them; journeykit's read_events on the log "
    "is inside the clock here, as on the shop."
)
#: on the foreign log, what every task shares
LOG_NOTE = (
    "Foreign log (`benchmarks/foreign_log.py`: integer `user_id`, naive `event_time`, no "
    "sessions, revenue, orders or channel, shuffled rows; the purchase event "
    "`payment_done`): `journeykit` reads it with `read_events(ibis.duckdb.connect()"
    ".read_parquet(path), customer='user_id', time='event_time')` (naive times are UTC; ids "
    "become text); the other contenders work on the file's own integer ids and naive "
    "times and convert only their result (ids to text, sorted as text; times to UTC)."
)
#: the floors of issue 20 ("the engine at scale on any log"), for every event-level task
ISSUE_20_FLOORS = (
    "issue 20: within 1.3x of the faster of hand-written DuckDB SQL and Polars, peak memory "
    "at most 1.5x the best of them, never slower than pandas"
)


def run_task(task: str, contenders: dict, path: Path, repeat: int, data: DataSet) -> dict:
    """Interleaved runs (drifting machine load hits every contender alike); best times."""
    timings: dict[str, list[float]] = {name: [] for name in contenders}
    memory: dict[str, float] = {}
    slug = "".join(ch if ch.isalnum() else "_" for ch in task)
    outputs = {name: DATA / f"out_{slug}_{data.key}_{name}.parquet" for name in contenders}
    print(title(task, data))
    for _ in range(repeat):
        for name in contenders:
            cmd = [sys.executable, __file__, "--task", task, "--one", name, "--path", str(path)]
            cmd += ["--out", str(outputs[name]), "--data", data.key]
            res = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
            timings[name].append(res["seconds"])
            memory[name] = max(memory.get(name, 0.0), res["peak_mb"])
            print(f"  {name:<18} {res['seconds']:6.2f} s  {res['peak_mb']:7.0f} MB")
    check_identical(title(task, data), outputs)
    best = {name: min(t) for name, t in timings.items()}
    return {"task": task, "data": data, "best": best, "memory": memory}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--task", help="run only this task (or, with --one, the task to run)")
    parser.add_argument(
        "--data",
        choices=list(DATA_SETS),
        help="run the tasks on this data set only (default: each task on each of its data "
        "sets; with --one, the data set of the path)",
    )
    parser.add_argument(
        "--log-events",
        type=int,
        default=10_000_000,
        help="events in the foreign log (benchmarks/foreign_log.py)",
    )
    parser.add_argument("--one", help="internal: run one contender in this process")
    parser.add_argument("--path", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.one:
        one(args.task, args.one, args.path, args.out, DATA_SETS[args.data])
        return 0

    tasks = _tasks()
    if args.task not in (None, explorer_task.TITLE, *tasks):
        parser.error(f"--task {args.task!r}: expected one of {[*tasks, explorer_task.TITLE]}")
    DATA.mkdir(exist_ok=True)
    path = DATA / f"webshop_{args.customers}.parquet"
    gen = generate(args.customers, path)
    print(f"simulated {gen['events']:,} events / {gen['customers']:,} customers")
    selected = list(tasks) if args.task is None else [t for t in tasks if t == args.task]
    runs = [
        (task, data)
        for task in selected
        for data in TASK_DATA.get(task, (SHOP, LOG))
        if args.data in (None, data.key)
    ]
    log = DATA / f"foreign_log_{args.log_events}.parquet"
    if any(data is LOG for _, data in runs):
        gen["log"] = foreign_log.write(args.log_events, log)
        print("foreign log:", gen["log"])
    results = {
        title(task, data): run_task(
            task, tasks[task], log if data is LOG else path, args.repeat, data
        )
        for task, data in runs
    }
    stats = {} if args.task else {module: run_stats(module, args.repeat) for module in STATS_TASKS}
    explorer = None
    if args.task in (None, explorer_task.TITLE):
        explorer = explorer_task.measure(args.repeat)
    write_results(gen, results, import_times(), args, stats, explorer)
    return 0


def run_stats(module, repeat: int) -> dict:
    """Best of ``repeat`` interleaved in-process runs of the baseline and journeykit on the
    module's data; the module checks that both computed the same numbers."""
    frame = module.data()
    best, results = {"baseline": float("inf"), "journeykit": float("inf")}, {}
    for _ in range(repeat):
        for name in best:
            start = time.perf_counter()
            results[name] = getattr(module, name)(frame)
            best[name] = min(best[name], time.perf_counter() - start)
    module.check(results["journeykit"], results["baseline"])
    return best


def against_floors(best: dict, memory: dict) -> dict | None:
    """The ratios issue 20's floors are read off: journeykit's time over the fastest of the
    hand-written DuckDB SQL and Polars contenders, its peak memory over the smallest of
    theirs, its time over pandas'. None for a task without such contenders."""
    limit = [name for name in best if name.startswith(("duckdb_sql", "polars"))]
    if "journeykit" not in best or not limit:
        return None
    fastest = min(limit, key=best.get)
    leanest = min(limit, key=memory.get)
    jk = best["journeykit"]
    return {
        "fastest": fastest,
        "time": jk / best[fastest],
        "leanest": leanest,
        "memory": memory["journeykit"] / memory[leanest],
        "pandas": jk / best["pandas"] if "pandas" in best else float("nan"),
    }


def write_results(gen, results, imports, args, stats, explorer) -> None:
    from lifecycle_tasks import FLOORS, LOG_NOTES, NOTES

    notes = {
        READ_FRAME: READ_FRAME_NOTES,
        SUMMARY: SUMMARY_NOTES,
        **NOTES,
        **survival_tasks.NOTES,
        **paths_tasks.NOTES,
        **issue23_tasks.NOTES,
    }
    log_notes = {SUMMARY: SUMMARY_LOG_NOTES, **LOG_NOTES, **survival_tasks.LOG_NOTES}
    log_notes |= paths_tasks.LOG_NOTES | issue23_tasks.LOG_NOTES
    floors = {
        READ_FRAME: "at most 3x the time of pd.read_parquet of the same file",
        SUMMARY: "within 1.3x of the hand-written SQL, not slower than pandas, peak memory "
        "under 6 GB",
        **FLOORS,
        **survival_tasks.FLOORS,
        **paths_tasks.FLOORS,
        **issue23_tasks.FLOORS,
    }
    log = gen.get("log")
    lines = [
        "# Benchmark results",
        "",
        f"Command: `make bench` (= `python benchmarks/run.py --customers {args.customers} "
        f"--repeat {args.repeat} --log-events {args.log_events}`). Machine: "
        f"{platform.machine()}, Python {platform.python_version()}; best of {args.repeat} "
        "interleaved runs, each contender in a fresh process with its libraries imported "
        "before the clock starts (peak memory = the process's own peak RSS). The machines are "
        "shared and noisy: compare the ratios within a run, not absolute times across runs.",
        "",
        f"Data: `journeykit.simulate.webshop({gen['customers']:,}, seed=1)`: "
        f"{gen['events']:,} events, simulated in {gen['seconds']:.1f} s, written to Parquet"
        + (
            f"; and the foreign log of `benchmarks/foreign_log.py`: {log['events']:,} events of "
            f"{log['users']:,} users (tasks marked '{LOG.suffix.strip()}')"
            if log
            else ""
        )
        + ". In every task all contenders return identical results (checked).",
    ]
    glance = {task: against_floors(res["best"], res["memory"]) for task, res in results.items()}
    if any(glance.values()):
        lines += [
            "",
            "## Against the floors of issue 20",
            "",
            "journeykit's time over the fastest hand-written DuckDB SQL or Polars contender "
            "(floor: at most 1.3), its peak memory over the smallest of theirs (at most 1.5), "
            "its time over pandas' (at most 1).",
            "",
            "| task | journeykit s | fastest SQL / Polars | time ratio | leanest SQL / Polars "
            "| memory ratio | journeykit / pandas |",
            "|---|---:|---|---:|---|---:|---:|",
        ]
        for task, ratio in glance.items():
            if ratio:
                best = results[task]["best"]
                lines.append(
                    f"| {task} | {best['journeykit']:.2f} | {ratio['fastest']} "
                    f"{best[ratio['fastest']]:.2f} s | {ratio['time']:.2f} | {ratio['leanest']} "
                    f"| {ratio['memory']:.2f} | {ratio['pandas']:.2f} |"
                )
    for task, res in results.items():
        best, memory, data = res["best"], res["memory"], res["data"]
        jk = best["journeykit"]
        lines += [
            "",
            f"## {task}",
            "",
            "| contender | seconds | peak memory (MB) | contender time / journeykit time |",
            "|---|---:|---:|---:|",
        ]
        for name in best:
            lines.append(
                f"| {name} | {best[name]:.2f} | {memory[name]:,.0f} | {best[name] / jk:.2f} |"
            )
        text = notes[res["task"]]
        if data is LOG and TASK_DATA.get(res["task"]) != (LOG,):
            text += (
                " " + LOG_NOTE + (f" {log_notes[res['task']]}" if res["task"] in log_notes else "")
            )
        floor = floors[res["task"]]
        if res["task"] != READ_FRAME:
            floor += "; " + ISSUE_20_FLOORS
        lines += ["", text, "", f"Floors (issues): {floor}."]
        ratio = glance[task]
        if ratio:
            lines += [
                "",
                f"journeykit / fastest of SQL and Polars ({ratio['fastest']}): "
                f"{ratio['time']:.2f}x time; peak memory / smallest of theirs "
                f"({ratio['leanest']}): {ratio['memory']:.2f}x; journeykit / pandas: "
                f"{ratio['pandas']:.2f}x.",
            ]
    for module, best in stats.items():
        lines += ["", f"## {module.TITLE}", "", module.describe(best, args.repeat)]
    if explorer:
        lines += ["", f"## {explorer_task.TITLE}", ""]
        lines.append(explorer_task.describe(explorer, args.repeat))
    lines += [
        "",
        "## import time",
        "",
        f"`import pandas`: {imports['pandas']:.3f} s; importing journeykit after it (with "
        f"`from journeykit import read_events, kpis`) adds {imports['journeykit']:.3f} s "
        "(medians over 15 fresh interpreters, both measured inside each one). Floor: under "
        "0.15 s.",
        "",
    ]
    (HERE / "RESULTS.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
