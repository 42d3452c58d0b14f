"""Calendar periods (``freq``): one set of frequencies and one way to compute them.

A timestamp's period is a whole-number index of its calendar period in UTC (consecutive
periods differ by one), computed with portable Ibis arithmetic on every engine; the index
is turned back into the period's start on the small result.
"""

from __future__ import annotations

import pandas as pd

from . import _engine

#: freq -> how a timestamp becomes a whole-number period index (portable Ibis arithmetic).
FREQS = ("D", "W", "M", "Q", "Y")
DAY_US = 86_400_000_000  # microseconds in a day


def period_index(t, freq: str):
    """Whole-number index of the calendar period (UTC) holding each of ``t``'s timestamps;
    consecutive periods differ by one. Weeks start on Monday (1970-01-01 was a Thursday)."""
    backend = _engine.backend_name(t)
    if freq in ("D", "W"):
        # whole UTC days of the epoch microseconds, where the date of a TIMESTAMPTZ cost the
        # customer summary 15% of its time on 10M events (DuckDB's ICU path)
        day = epoch_days(_engine.epoch_us(t["timestamp"], backend))
        return day if freq == "D" else (day + 3) // 7
    date = _engine.utc_wall_clock(t["timestamp"], backend).date()  # no EXTRACT on tz-aware
    if freq == "M":
        return date.year() * 12 + date.month() - 1
    if freq == "Q":
        return date.year() * 4 + date.quarter() - 1
    return date.year()


def epoch_days(micros):
    """Whole days (rounded down) of an integer column of epoch microseconds, exact on every
    engine: Ibis compiles ``//`` as a division of doubles, a day off at midnight after 2255
    (2**53 microseconds). The remainder is made non-negative (engines keep the dividend's
    sign), and the quotient of an exact multiple of a day is rounded, not floored."""
    rest = ((micros % DAY_US) + DAY_US) % DAY_US
    return ((micros - rest) / DAY_US).round().cast("int64")


def period_of(ts: pd.Timestamp, freq: str) -> int:
    """The period index of :func:`period_index` for one UTC time (a pandas Timestamp)."""
    if freq == "M":
        return ts.year * 12 + ts.month - 1
    if freq == "Q":
        return ts.year * 4 + ts.quarter - 1
    if freq == "Y":
        return ts.year
    day = (ts.normalize() - pd.Timestamp(0, tz="UTC")).days
    return day if freq == "D" else (day + 3) // 7


def period_start(index: pd.Series, freq: str) -> pd.Series:
    """The UTC start of each period index from :func:`period_index`."""
    index = index.astype("int64")
    if freq in ("M", "Q", "Y"):
        months = index * {"M": 1, "Q": 3, "Y": 12}[freq]
        text = (months // 12).astype(str) + "-" + (months % 12 + 1).astype(str).str.zfill(2)
        starts = pd.to_datetime(text + "-01")
    else:
        days = index if freq == "D" else index * 7 - 3
        starts = pd.Timestamp(0) + pd.to_timedelta(days, unit="D")
    return pd.Series(starts, index=index.index).dt.tz_localize("UTC").astype("datetime64[us, UTC]")
