"""The two data sets every event-level benchmark task runs on, and how each contender reads
them.

- ``SHOP``: journeykit's simulated web shop (canonical columns: text ``customer_id``,
  tz-aware UTC ``timestamp``, sessions, revenue and order ids; purchases are ``purchase``).
- ``LOG``: the foreign clickstream log of :mod:`foreign_log` (integer ``user_id``, naive
  ``event_time``, no sessions, revenue or orders, rows shuffled; purchases are
  ``payment_done``).

Every reader hands its engine the canonical names (``customer_id``, ``timestamp``,
``event``) in the file's own types: the log keeps its integer ids and naive times (UTC wall
clock, as ``read_events`` reads them with its default ``tz='UTC'``), as a skilled hand
writes a query on the native types; only the small result is converted to what journeykit
returns (ids as text, sorted as text; times tz-aware UTC). journeykit reads the log through
its one door, ``read_events(customer='user_id', time='event_time')``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path


@dataclass(frozen=True)
class DataSet:
    key: str  #: the --data choice
    suffix: str  #: appended to a task's title in RESULTS.md
    customer: str  #: the source columns of the id and the time
    time: str
    purchase: str  #: the purchase event's name
    naive: bool  #: naive timestamps (UTC wall clock) and integer ids
    sessions: bool  #: a session_id column
    orders: bool  #: revenue and order_id columns

    # ------------------------------------------------------------------ journeykit

    def journeykit(self, path: Path, **options):
        """The lazy canonical table of ``read_events`` on the Parquet file (Ibis/DuckDB)."""
        import ibis

        import journeykit as jk

        source = ibis.duckdb.connect().read_parquet(path)
        return jk.read_events(source, customer=self.customer, time=self.time, **options)

    def journeykit_sessions(self, path: Path, **options):
        """The events with sessions: the shop's own, or (the log) sessions of a 30-minute
        inactivity gap by ``jk.sessionize`` (a lazy expression: the sessionizing runs inside
        the timed analysis, as the contenders' own does)."""
        import journeykit as jk

        events = self.journeykit(path, **options)
        return events if self.sessions else jk.sessionize(events, gap=f"{SESSION_GAP_MIN}min")

    # ------------------------------------------------------------------ DuckDB SQL

    def sql_from(self, path: Path) -> str:
        """A FROM item with the canonical column names (the file's own types)."""
        if not self.naive:
            return f"read_parquet('{path}')"
        return (
            f'(SELECT {self.customer} AS customer_id, {self.time} AS "timestamp", event '
            f"FROM read_parquet('{path}'))"
        )

    @property
    def sql_ts(self) -> str:
        """The type of timestamp literals compared with the time column."""
        return "TIMESTAMP" if self.naive else "TIMESTAMPTZ"

    def sql_keyed(self, query: str, times: tuple[str, ...] = ()) -> str:
        """``query`` (one row per customer) ordered by the id as text; the log's integer ids
        and naive ``times`` columns converted on the result only."""
        if not self.naive:
            return f"{query} ORDER BY customer_id"
        replace = ["customer_id::VARCHAR AS customer_id"]
        replace += [f"{c}::TIMESTAMPTZ AS {c}" for c in times]
        return f"SELECT * REPLACE ({', '.join(replace)}) FROM ({query}) ORDER BY customer_id"

    # ------------------------------------------------------------------ Polars

    def polars(self, path: Path, *columns: str):
        """A lazy ``pl.scan_parquet`` of the canonical ``columns``."""
        import polars as pl

        names = {"customer_id": self.customer, "timestamp": self.time}
        return pl.scan_parquet(path).select(pl.col(names.get(c, c)).alias(c) for c in columns)

    def polars_time(self, date: str) -> datetime:
        """A date as a literal comparable with the time column (naive in the log)."""
        at = datetime.fromisoformat(date)
        return at if self.naive else at.replace(tzinfo=timezone.utc)

    def polars_keyed(self, frame, times: tuple[str, ...] = ()):
        """``frame`` (lazy, one row per customer) ordered by the id as text; the log's ids
        and naive ``times`` converted on the result."""
        import polars as pl

        if self.naive:
            frame = frame.with_columns(
                pl.col("customer_id").cast(pl.String),
                *(pl.col(c).dt.replace_time_zone("UTC") for c in times),
            )
        return frame.sort("customer_id")

    # ------------------------------------------------------------------ pandas

    def pandas(self, path: Path, columns: list[str]):
        """``pd.read_parquet`` of the canonical ``columns``, times tz-aware UTC."""
        import pandas as pd

        names = {"customer_id": self.customer, "timestamp": self.time}
        frame = pd.read_parquet(path, columns=[names.get(c, c) for c in columns])
        frame.columns = columns
        if self.naive and "timestamp" in columns:
            frame["timestamp"] = frame["timestamp"].dt.tz_localize("UTC")
        return frame

    def pandas_keyed(self, frame):
        """``frame`` (one row per customer, sorted by id) with the ids as text, sorted as
        text (the log's integer ids; the shop's are text already)."""
        if not self.naive:
            return frame
        frame = frame.assign(customer_id=frame["customer_id"].astype(str))
        return frame.sort_values("customer_id", ignore_index=True)

    @property
    def steps(self) -> list[str]:
        """The funnel of the benchmark: page_view > product_view > add_to_cart > purchase."""
        return ["page_view", "product_view", "add_to_cart", self.purchase]


#: the web-analytics session convention: a new session after 30 minutes of inactivity
SESSION_GAP_MIN = 30
SHOP = DataSet(
    key="shop",
    suffix="",
    customer="customer_id",
    time="timestamp",
    purchase="purchase",
    naive=False,
    sessions=True,
    orders=True,
)
LOG = DataSet(
    key="log",
    suffix=" — foreign log",
    customer="user_id",
    time="event_time",
    purchase="payment_done",
    naive=True,
    sessions=False,
    orders=False,
)
DATA_SETS = {d.key: d for d in (SHOP, LOG)}
