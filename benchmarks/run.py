"""Scale benchmarks for journeykit (``make bench``; not part of ``make test``).

Every contender runs in a fresh subprocess on the same Parquet file, so its time and peak
memory (max RSS) are its own; the ratios compare contenders measured in the same run, on
the same (shared, noisy) machine. Results must be identical across contenders. Figures are
written to ``benchmarks/RESULTS.md``.

    python benchmarks/run.py [--customers 780000] [--repeat 3]
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
import nps_task
import paths_tasks
import survival_tasks

HERE = Path(__file__).resolve().parent
#: in-process statistics benchmarks: each has TITLE, data(), baseline(data),
#: journeykit(data), check(journeykit result, baseline result) and describe(best, repeat)
STATS_TASKS = (nps_task, abtest_task, survival_tasks, clv_task, attribution_task)
DATA = HERE / "data"
AS_OF = "2024-12-31"

SQL_SUMMARY = """
WITH ev AS (
  SELECT customer_id, "timestamp", event, revenue, order_id,
         floor(epoch("timestamp") / 86400)::BIGINT AS day
  FROM read_parquet('{path}')
  WHERE "timestamp" <= TIMESTAMPTZ '{as_of} 00:00:00+00'
)
SELECT customer_id,
       min("timestamp") AS first_seen,
       max("timestamp") AS last_seen,
       count(*) AS n_events,
       count(DISTINCT day) AS n_active_days,
       count(DISTINCT order_id) FILTER (WHERE event = 'purchase') AS n_orders,
       coalesce(sum(revenue) FILTER (WHERE event = 'purchase'), 0) AS revenue,
       greatest(count(DISTINCT day) FILTER (WHERE event = 'purchase') - 1, 0) AS frequency,
       (max(day) FILTER (WHERE event = 'purchase')
        - min(day) FILTER (WHERE event = 'purchase'))::DOUBLE AS recency,
       ({as_of_day} - min(day) FILTER (WHERE event = 'purchase'))::DOUBLE AS "T"
FROM ev GROUP BY customer_id ORDER BY customer_id
"""


SQL_SUMMARY_TUNED = """
WITH ev AS (
  SELECT customer_id, "timestamp", event, revenue, order_id, CAST("timestamp" AS DATE) AS day
  FROM read_parquet('{path}')
  WHERE "timestamp" <= TIMESTAMPTZ '{as_of} 00:00:00+00'
),
days AS (
  SELECT customer_id, day, min("timestamp") AS first, max("timestamp") AS last, count(*) AS n,
         bool_or(event = 'purchase') AS bought,
         sum(revenue) FILTER (WHERE event = 'purchase') AS revenue
  FROM ev GROUP BY customer_id, day
),
orders AS (
  SELECT customer_id, count(DISTINCT order_id) AS n_orders
  FROM ev WHERE event = 'purchase' GROUP BY customer_id
)
SELECT customer_id, min(first) AS first_seen, max(last) AS last_seen, sum(n) AS n_events,
       count(*) AS n_active_days, coalesce(any_value(n_orders), 0) AS n_orders,
       coalesce(sum(revenue), 0) AS revenue,
       greatest(count(*) FILTER (WHERE bought) - 1, 0) AS frequency,
       datediff('day', min(day) FILTER (WHERE bought), max(day) FILTER (WHERE bought))::DOUBLE
         AS recency,
       datediff('day', min(day) FILTER (WHERE bought), DATE '{as_of}')::DOUBLE AS "T"
FROM days LEFT JOIN orders USING (customer_id)
GROUP BY customer_id ORDER BY customer_id
"""


def pandas_summary(path: Path):
    """A plain, vectorised pandas implementation of customer_summary (same definitions)."""
    import numpy as np
    import pandas as pd

    ev = pd.read_parquet(path, columns=["customer_id", "timestamp", "event", "revenue", "order_id"])
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
    buys = ev[ev["event"] == "purchase"].groupby("customer_id")
    out["n_orders"] = buys["order_id"].nunique()
    out["revenue"] = buys["revenue"].sum()
    first = buys["day"].min()
    out["frequency"] = buys["day"].nunique() - 1
    out["recency"] = (buys["day"].max() - first).astype(float)
    as_of_day = pd.Timestamp(AS_OF, tz="UTC").value // (86_400 * 10**9)
    out["T"] = (as_of_day - first).astype(float)
    out[["n_orders", "frequency"]] = out[["n_orders", "frequency"]].fillna(0).astype(np.int64)
    out["revenue"] = out["revenue"].fillna(0.0)
    return out.reset_index()


def sql_summary(path: Path):
    """The practical limit: one hand-written DuckDB query over the Parquet file."""
    import duckdb
    import pandas as pd

    as_of_day = pd.Timestamp(AS_OF, tz="UTC").value // (86_400 * 10**9)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    return con.sql(SQL_SUMMARY.format(path=path, as_of=AS_OF, as_of_day=as_of_day)).df()


def sql_tuned_summary(path: Path):
    """The same in two levels (customer-day, then customer), as journeykit does it."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    return con.sql(SQL_SUMMARY_TUNED.format(path=path, as_of=AS_OF)).df()


def journeykit_summary(path: Path):
    """journeykit: read_events on the Parquet file through Ibis/DuckDB, then customer_summary."""
    import ibis

    import journeykit as jk

    events = jk.read_events(ibis.duckdb.connect().read_parquet(path))
    return jk.customer_summary(events, as_of=AS_OF)


def journeykit_no_duplicate_check(path: Path):
    """journeykit with duplicates='keep': what the exact-duplicate check costs."""
    import ibis

    import journeykit as jk

    events = jk.read_events(ibis.duckdb.connect().read_parquet(path), duplicates="keep")
    return jk.customer_summary(events, as_of=AS_OF)


def pandas_read_parquet(path: Path):
    """The baseline of read_events on a frame: reading the same rows into pandas."""
    import pandas as pd

    frame = pd.read_parquet(path)
    return pd.DataFrame({"rows": [len(frame)]})


def journeykit_read_frame(frame):
    """read_events on a 10M-row DataFrame already in memory (integer ids, naive times)."""
    import pandas as pd

    import journeykit as jk

    events = jk.read_events(frame, customer="user_id", time="event_time")
    return pd.DataFrame({"rows": [len(events)]})


def _read_frame(path: Path):
    import pandas as pd

    return pd.read_parquet(path)


journeykit_read_frame.setup = _read_frame
READ_FRAME = "read_events on a DataFrame"
READ_FRAME_NOTES = (
    "Data: `benchmarks/foreign_log.py` (10M events, 1M integer user ids, naive timestamps, "
    "no sessions, revenue or channel, shuffled rows). `journeykit` = `read_events(frame, "
    "customer='user_id', time='event_time')` on the frame already in memory (every check of "
    "the door, the exact-duplicate check included); `pandas` = `pd.read_parquet` of the same "
    "file, the time it takes to get those rows into pandas at all."
)
#: tasks run on the foreign log instead of the simulated shop
LOG_TASKS = {READ_FRAME}


def _tasks() -> dict:
    from lifecycle_tasks import LIFECYCLE_TASKS

    return {
        READ_FRAME: {"pandas": pandas_read_parquet, "journeykit": journeykit_read_frame},
        "read_events + customer_summary": {
            "pandas": pandas_summary,
            "duckdb_sql": sql_summary,
            "duckdb_sql_tuned": sql_tuned_summary,
            "journeykit": journeykit_summary,
            "journeykit_keep": journeykit_no_duplicate_check,
        },
        **LIFECYCLE_TASKS,
        **survival_tasks.SURVIVAL_TASKS,
        **paths_tasks.PATHS_TASKS,
    }


def one(task: str, name: str, path: Path, out: Path) -> None:
    """Run one contender in this process; print seconds and peak memory as JSON.

    Every library any contender uses is imported before the clock starts, so the times
    compare the work, not the imports (import time is measured on its own below).
    """
    import duckdb  # noqa: F401
    import ibis
    import pandas  # noqa: F401
    import scipy.stats  # noqa: F401
    import statsmodels.stats.proportion  # noqa: F401

    import journeykit  # noqa: F401

    # Ibis loads a backend's module on first use (0.6 s for DuckDB): a library import too
    ibis.duckdb.connect().disconnect()
    contender = _tasks()[task][name]
    argument = contender.setup(path) if hasattr(contender, "setup") else path
    start = time.perf_counter()
    result = contender(argument)
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
    "then customer), the plan journeykit's Ibis expression uses; `journeykit` = `read_events` "
    "on the Parquet file through Ibis/DuckDB (validation including the exact-duplicate "
    "check) + `customer_summary`; `journeykit_keep` = the same with `duplicates='keep'`."
)


def run_task(task: str, contenders: dict, path: Path, repeat: int) -> dict:
    """Interleaved runs (drifting machine load hits every contender alike); best times."""
    timings: dict[str, list[float]] = {name: [] for name in contenders}
    memory: dict[str, float] = {}
    slug = "".join(ch if ch.isalnum() else "_" for ch in task)
    outputs = {name: DATA / f"out_{slug}_{name}.parquet" for name in contenders}
    print(task)
    for _ in range(repeat):
        for name in contenders:
            cmd = [sys.executable, __file__, "--task", task, "--one", name, "--path", str(path)]
            cmd += ["--out", str(outputs[name])]
            res = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
            timings[name].append(res["seconds"])
            memory[name] = max(memory.get(name, 0.0), res["peak_mb"])
            print(f"  {name:<18} {res['seconds']:6.2f} s  {res['peak_mb']:7.0f} MB")
    check_identical(task, outputs)
    return {"best": {name: min(t) for name, t in timings.items()}, "memory": memory}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--task", help="run only this task (or, with --one, the task to run)")
    parser.add_argument("--one", help="internal: run one contender in this process")
    parser.add_argument("--path", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.one:
        one(args.task, args.one, args.path, args.out)
        return 0

    tasks = _tasks()
    if args.task not in (None, explorer_task.TITLE, *tasks):
        parser.error(f"--task {args.task!r}: expected one of {[*tasks, explorer_task.TITLE]}")
    DATA.mkdir(exist_ok=True)
    path = DATA / f"webshop_{args.customers}.parquet"
    gen = generate(args.customers, path)
    print(f"simulated {gen['events']:,} events / {gen['customers']:,} customers")
    selected = list(tasks) if args.task is None else [t for t in tasks if t == args.task]
    log = DATA / "foreign_log_10000000.parquet"
    if any(task in LOG_TASKS for task in selected):
        print("foreign log:", foreign_log.write(10_000_000, log))
    results = {
        task: run_task(task, tasks[task], log if task in LOG_TASKS else path, args.repeat)
        for task in selected
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


def write_results(gen, results, imports, args, stats, explorer) -> None:
    from lifecycle_tasks import FLOORS, NOTES

    notes = {
        READ_FRAME: READ_FRAME_NOTES,
        "read_events + customer_summary": SUMMARY_NOTES,
        **NOTES,
        **survival_tasks.NOTES,
        **paths_tasks.NOTES,
    }
    floors = {
        READ_FRAME: "at most 3x the time of pd.read_parquet of the same file",
        "read_events + customer_summary": "within 1.3x of the hand-written SQL, not slower "
        "than pandas, peak memory under 6 GB",
        **FLOORS,
        **survival_tasks.FLOORS,
        **paths_tasks.FLOORS,
    }
    lines = [
        "# Benchmark results",
        "",
        f"Command: `make bench` (= `python benchmarks/run.py --customers {args.customers} "
        f"--repeat {args.repeat}`). Machine: {platform.machine()}, Python "
        f"{platform.python_version()}; best of {args.repeat} interleaved runs, each contender "
        "in a fresh process with its libraries imported before the clock starts (peak memory "
        "= the process's own peak RSS). The machines are shared and noisy: compare the ratios "
        "within a run, not absolute times across runs.",
        "",
        f"Data: `journeykit.simulate.webshop({gen['customers']:,}, seed=1)`: "
        f"{gen['events']:,} events, simulated in {gen['seconds']:.1f} s, written to Parquet. "
        "In every task all contenders return identical results (checked).",
    ]
    for task, res in results.items():
        best, memory = res["best"], res["memory"]
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
        lines += ["", notes[task], "", f"Floors (issues): {floors[task]}."]
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
