"""A second benchmark data set, unlike journeykit's simulator: a clickstream export as many
tools write it. Integer user ids, naive timestamps, no sessions, revenue or channel, the
purchase event called ``payment_done``, rows shuffled, and a few events sharing their
timestamp with the user's previous event.

Each user makes visits (a geometric number, Poisson gaps); a visit walks a Markov chain
view -> product -> cart -> checkout -> payment_done that may stop at every step. Vectorised
numpy: 10M events in a few seconds.

    python benchmarks/foreign_log.py --events 10000000 --out log.parquet
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

EVENTS = np.array(["page_view", "product_view", "add_to_cart", "checkout", "payment_done"])
#: P(next step | this step) along the chain; a visit ends where it stops
CONTINUE = np.array([0.55, 0.40, 0.55, 0.60])
START = np.datetime64("2023-01-01T00:00:00", "us")
DAYS = 730


def generate(n_events: int, *, users: int | None = None, seed: int = 11):
    """A pyarrow Table of about ``n_events`` rows: user_id (int64), event_time (naive
    timestamp[us]), event (string)."""
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    users = users or max(n_events // 10, 1)
    # events per visit: a truncated geometric walk along the chain
    steps = np.ones(n_events, dtype=np.int64)
    alive = np.ones(n_events, dtype=bool)
    for p in CONTINUE:
        alive &= rng.random(n_events) < p
        steps += alive
    visits = int(n_events / steps.mean())
    steps = steps[:visits]
    owner = rng.integers(1, users * 7, visits) // 7  # unequal activity; ids from 0
    visit_start = START + rng.integers(0, DAYS * 86_400_000_000, visits).astype("timedelta64[us]")
    visit = np.repeat(np.arange(visits), steps)
    position = np.arange(len(visit)) - np.repeat(np.cumsum(steps) - steps, steps)
    gap = rng.exponential(45_000_000, len(visit)).astype(np.int64)  # ~45 s between clicks
    gap[rng.random(len(visit)) < 0.005] = 0  # the same timestamp as the previous event
    offset = np.cumsum(gap) - np.repeat(np.cumsum(gap)[np.cumsum(steps) - steps], steps)
    times = visit_start[visit] + offset.astype("timedelta64[us]")
    order = rng.permutation(len(visit))  # exports are rarely sorted
    return pa.table(
        {
            "user_id": pa.array(owner[visit][order], type=pa.int64()),
            "event_time": pa.array(times[order], type=pa.timestamp("us")),
            "event": pa.array(EVENTS[position][order]),
        }
    )


def write(n_events: int, path: Path, **options) -> dict:
    import pyarrow.parquet as pq

    table = generate(n_events, **options)
    pq.write_table(table, path)
    return {"events": table.num_rows, "users": len(np.unique(table["user_id"].to_numpy()))}


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    print(write(args.events, args.out))
