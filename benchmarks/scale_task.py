"""100M events on one machine (issue 20): the event-level tasks of issue 20 in ``run.py``
(not issue 23's: cohort_retention on the join route, stickiness, funnel_trend) by the one
line the README documents, ``jk.read_events("events/", customer=..., time=...)`` on a
directory of Parquet parts, each task in a fresh process with its time and peak memory
(the process's own peak RSS, DuckDB's memory included). Floor: every task completes with
peak memory under 8 GB on the 2-core, 24 GB machine. Also recorded: whether pandas and
Polars can load the same rows into memory at all, and at what peak.

The data are the foreign log of :mod:`foreign_log` (integer user ids, naive times, no
sessions, shuffled rows), written in parts of 5M events, each part with users of its own
(10 events per user on average, so 10M users at 100M events).

    python benchmarks/scale_task.py [--events 100000000] [--part-events 5000000]
                                    [--memory-limit 5GB] [--task TITLE ...]

Not part of ``make bench`` (it takes about an hour); its figures go to RESULTS.md by hand.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import foreign_log  # benchmarks/ is on sys.path when this script runs
import paths_tasks
import run
import survival_tasks
from data_sets import LOG, DataSet
from lifecycle_tasks import LIFECYCLE_TASKS

READ = "read_events (validation, the exact-duplicate check included) + row count"
LOADS = ("pandas.read_parquet (pyarrow strings)", "polars.read_parquet")


@dataclasses.dataclass(frozen=True)
class Parts(DataSet):
    """The foreign log as a directory of Parquet parts, read the documented way."""

    def journeykit(self, path: Path, **options):
        import journeykit as jk

        return jk.read_events(str(path), customer=self.customer, time=self.time, **options)


PARTS = Parts(**{f.name: getattr(LOG, f.name) for f in dataclasses.fields(LOG)})


def write_parts(n_events: int, part_events: int, folder: Path) -> dict:
    """The dataset in parts (kept between runs when complete: a JSON file beside it says so)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    done = folder.with_suffix(".json")
    if done.exists() and json.loads(done.read_text()).get("requested") == n_events:
        return json.loads(done.read_text())
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("part-*.parquet"):
        old.unlink()
    users_per_part = part_events // 10
    rows = users = 0
    for number in range(-(-n_events // part_events)):
        table = foreign_log.generate(part_events, users=users_per_part, seed=1000 + number)
        ids = table["user_id"].to_numpy() + number * users_per_part  # users of its own
        table = table.set_column(0, "user_id", pa.array(ids, type=pa.int64()))
        pq.write_table(table, folder / f"part-{number:04d}.parquet")
        rows += table.num_rows
        users += len(np.unique(ids))
    info = {"requested": n_events, "events": rows, "users": users, "parts": number + 1}
    done.write_text(json.dumps(info))
    return info


def one(task: str, folder: Path) -> dict:
    """Run one task in this process: seconds and peak memory (VmHWM)."""
    import ibis

    import journeykit  # noqa: F401

    ibis.duckdb.connect().disconnect()  # Ibis' DuckDB module loaded before the clock
    start = time.perf_counter()
    if task == READ:
        rows = PARTS.journeykit(folder).count().to_pyarrow().as_py()
        shape = f"{rows:,} rows"
    elif task == LOADS[0]:
        import pandas as pd

        shape = f"{len(pd.read_parquet(folder, dtype_backend='pyarrow')):,} rows"
    elif task == LOADS[1]:
        import polars as pl

        shape = f"{pl.read_parquet(folder / '*.parquet').height:,} rows"
    else:
        contender = journeykit_tasks()[task]
        argument = contender.setup(folder, PARTS) if hasattr(contender, "setup") else folder
        shape = f"{len(contender(argument, PARTS)):,} result rows"
    seconds = time.perf_counter() - start
    status = Path("/proc/self/status").read_text().split("\n")
    peak_kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
    return {"seconds": seconds, "peak_mb": peak_kb / 1024, "shape": shape}


def journeykit_tasks() -> dict:
    """Title -> journeykit's contender, for issue 20's event-level tasks of ``run.py``."""
    tasks = {run.SUMMARY: run.journeykit_summary}
    for group in (LIFECYCLE_TASKS, survival_tasks.SURVIVAL_TASKS, paths_tasks.PATHS_TASKS):
        tasks.update({title: contenders["journeykit"] for title, contenders in group.items()})
    return tasks


def tasks() -> list[str]:
    return [READ, *journeykit_tasks(), *LOADS]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000_000)
    parser.add_argument("--part-events", type=int, default=5_000_000)
    parser.add_argument("--task", action="append", help="run only these tasks")
    parser.add_argument(
        "--memory-limit", help="JOURNEYKIT_MEMORY_LIMIT for every task (e.g. 5GB; default: none)"
    )
    parser.add_argument("--one", help="internal: run one task in this process")
    parser.add_argument("--path", type=Path)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.path)))
        return 0
    folder = run.DATA / f"log_parts_{args.events}"
    start = time.perf_counter()
    info = write_parts(args.events, args.part_events, folder)
    print(f"data: {info} ({time.perf_counter() - start:.0f} s)", flush=True)
    env = dict(os.environ)
    if args.memory_limit:
        env["JOURNEYKIT_MEMORY_LIMIT"] = args.memory_limit
    print(f"JOURNEYKIT_MEMORY_LIMIT={env.get('JOURNEYKIT_MEMORY_LIMIT', '(unset)')}")
    for task in args.task or tasks():
        cmd = [sys.executable, __file__, "--one", task, "--path", str(folder)]
        done = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if done.returncode != 0:
            tail = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
            print(f"| {task} | failed | | {tail} |", flush=True)
            continue
        res = json.loads(done.stdout.strip().splitlines()[-1])
        print(
            f"| {task} | {res['seconds']:.1f} | {res['peak_mb'] / 1024:.2f} | {res['shape']} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
