"""The shared validators of every public parameter: one parser per concept.

Each raises a :class:`~journeykit.JourneyDataError` whose message names the parameter, says
what was expected and what was received, and ends with ``Fix:``. Durations always need a
unit, dates are never bare numbers, event names are checked against the data with close
matches suggested, and events must have come through :func:`journeykit.read_events`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
import warnings

import numpy as np
import pandas as pd

from . import _engine
from .errors import JourneyDataError

CANONICAL = ("customer_id", "timestamp", "event")


def check_choice(param: str, value, choices) -> None:
    """Raise a JourneyDataError unless ``value`` is one of ``choices``."""
    try:
        ok = value in choices
    except TypeError:  # unhashable values (lists, dicts) are never a choice
        ok = False
    if not ok:
        raise JourneyDataError(
            f"{param}={value!r} is not supported; expected one of {list(choices)}. "
            f"Fix: pass one of those values as {param}=."
        )


def suggest(name, available) -> str:
    """A 'did you mean' hint listing ``available`` and the closest of them to ``name``."""
    available = list(available)
    close = difflib.get_close_matches(str(name), [str(a) for a in available], n=3, cutoff=0.5)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    shown = available if len(available) <= 30 else [*available[:30], "..."]
    return f"Available: {shown}.{hint}"


def is_frame(obj) -> bool:
    return isinstance(obj, pd.DataFrame) or _engine.is_ibis(obj)


def require(data, columns, *, param: str = "events") -> None:
    """Raise unless ``data`` is a DataFrame or Ibis table having ``columns``."""
    if not is_frame(data):
        raise JourneyDataError(
            f"{param}: expected a pandas DataFrame or an Ibis table; got "
            f"{type(data).__name__}. Fix: pass a DataFrame (events from journeykit.read_events)."
        )
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise JourneyDataError(
            f"{param}: missing column(s) {missing}. {suggest(missing[0], list(data.columns))} "
            "Fix: name the column that holds it, or pass events through journeykit.read_events"
            "(...), which names the canonical columns (customer_id, timestamp, event, ...)."
        )


def _kind(dtype) -> str:
    """'text', 'integer', 'timestamp_tz', 'timestamp', or the dtype's name."""
    if _engine.is_ibis(dtype):
        if dtype.is_string():
            return "text"
        if dtype.is_integer():
            return "integer"
        if dtype.is_timestamp():
            return "timestamp_tz" if dtype.timezone else "timestamp"
        return str(dtype)
    if isinstance(dtype, pd.DatetimeTZDtype):
        return "timestamp_tz"
    if pd.api.types.is_datetime64_dtype(dtype):
        return "timestamp"
    if pd.api.types.is_string_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype):
        return "text"
    if pd.api.types.is_integer_dtype(dtype):
        return "integer"
    return str(dtype)


def require_events(events, *, param: str = "events", columns=()) -> None:
    """Raise unless ``events`` are canonical events (as :func:`read_events` returns them):
    ``customer_id`` and ``event`` as text and ``timestamp`` tz-aware, plus ``columns``."""
    require(events, (*CANONICAL, *columns), param=param)
    lazy = _engine.is_ibis(events)
    schema = events.schema() if lazy else events.dtypes
    # PySpark's timestamps carry no zone in the schema (journeykit runs Spark in UTC)
    times = ("timestamp_tz", "timestamp") if lazy else ("timestamp_tz",)
    expected = {"customer_id": ("text",), "timestamp": times, "event": ("text",)}
    for column, kinds in expected.items():
        found = _kind(schema[column])
        if found not in kinds:
            what = {"text": "text", "timestamp_tz": "tz-aware timestamps"}[kinds[0]]
            raise JourneyDataError(
                f"{param}: column {column!r} holds {found}, expected {what}, so these events "
                "did not come through read_events. Fix: pass the data through "
                "journeykit.read_events(...) first; it parses and checks every column once."
            )


def event_names(value, *, param: str) -> list[str]:
    """One event name or a list of them, as a non-empty list of text."""
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, (list, tuple, set, frozenset)):
        raise JourneyDataError(
            f"{param}={value!r}: expected an event name or a list of event names; got "
            f"{type(value).__name__}. Fix: pass e.g. {param}='purchase' or "
            f"{param}=['purchase', 'order']."
        )
    names = sorted(names) if isinstance(names, (set, frozenset)) else list(names)
    if not names:
        raise JourneyDataError(
            f"{param}=[]: expected at least one event name; got an empty list. Fix: pass e.g. "
            f"{param}='purchase'."
        )
    bad = [n for n in names if not isinstance(n, str) or not n.strip()]
    if bad:
        raise JourneyDataError(
            f"{param}={value!r}: event names must be non-blank text; got {bad[0]!r}. Fix: pass "
            "the names as they appear in the event column (e.g. 'purchase')."
        )
    return names


def known_events(events) -> list[str]:
    """The distinct event names of ``events``, sorted; raising when it holds no events."""
    if _engine.is_ibis(events):
        known = _engine.distinct(events, "event")
    else:
        known = sorted(str(k) for k in pd.unique(events["event"].dropna()))
    if not known:
        raise JourneyDataError(
            "events: expected events; the data holds none. Fix: pass a frame or table with "
            "events (check the filter or the file that made it)."
        )
    return known


def check_events_exist(events, names, *, param: str, known=None) -> list[str]:
    """``names`` (one event name or a list) as a list, raising if one does not occur in
    ``events``; ``known`` may pass the distinct event names already queried."""
    names = event_names(names, param=param)
    known = known_events(events) if known is None else sorted(str(k) for k in known)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise JourneyDataError(
            f"{param}={unknown[0]!r}: no such event in the data. {suggest(unknown[0], known)} "
            f"Fix: pass {param}= one of the event names listed (or a list of them)."
        )
    return names


def as_utc(value, *, param: str) -> pd.Timestamp:
    """A date or timestamp parameter as a UTC ``pandas.Timestamp`` (naive values are UTC).

    Text (``'2024-06-30'``, ``'2024-06-30 12:00'``), ``datetime``, ``date``,
    ``numpy.datetime64`` and ``Timestamp`` are accepted; bare numbers are not (pandas would
    read ``123`` as 123 nanoseconds after 1970).
    """
    ok = isinstance(value, (str, dt.date, np.datetime64, pd.Timestamp))
    if isinstance(value, str) and re.match(r"\s*\d{1,2}[./-]\d{1,2}[./-]\d{2,4}\b", value):
        # pandas reads '01-12-2024' month first (12 January) where most of the world means
        # 1 December: days off with no error, so dates not written year first are refused
        raise JourneyDataError(
            f"{param}={value!r}: a date not written year first{_readings(value)}. Fix: write "
            "it as YYYY-MM-DD (e.g. '2024-12-01' for the 1st of December)."
        )
    ts = pd.NaT
    if ok:
        try:
            ts = pd.Timestamp(value)
        except (TypeError, ValueError, OverflowError):
            ts = pd.NaT
    if ts is pd.NaT:
        got = f"a number ({value!r})" if isinstance(value, (int, float, np.number)) else repr(value)
        raise JourneyDataError(
            f"{param}={value!r}: expected a date or timestamp; got {got}. Fix: pass e.g. "
            f"{param}='2024-06-30' (a date) or '2024-06-30 12:00' (a time, UTC)."
        )
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _readings(text: str) -> str:
    """How a date text not written year first reads, as far as pandas reads it: ', whose
    day and month can be read either way (month first ..., day first ...)' when the two
    readings differ."""
    found = {}
    for name, dayfirst in (("month first", False), ("day first", True)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pandas warns when it swaps the order itself
            try:
                found[name] = f"{pd.to_datetime(text, dayfirst=dayfirst):%Y-%m-%d}"
            except (TypeError, ValueError, OverflowError):
                continue
    if len(set(found.values())) < 2:
        return ""
    both = ", ".join(f"{k} {v}" for k, v in found.items())
    return f", whose day and month can be read either way ({both})"


def as_timedelta(value, *, param: str) -> pd.Timedelta:
    """A positive, finite duration with a unit: ``'30D'``, ``'12h'``, ``'30min'``, ``'2W'``,
    a ``Timedelta`` or ``datetime.timedelta``.

    Numbers and text without a unit are refused (pandas reads ``'30'`` as 30 nanoseconds):
    ``window=30`` raises with "did you mean '30D'?".
    """
    number = isinstance(value, (int, float, np.number)) and not isinstance(value, bool)
    text = value.strip() if isinstance(value, str) else None
    if text is not None:
        try:
            float(text)
            number = True
        except ValueError:
            pass
    if number:
        amount = float(text if text is not None else value)
        if not math.isfinite(amount):
            raise JourneyDataError(
                f"{param}={value!r}: expected a finite, positive duration with a unit; got "
                f"{amount}. Fix: pass e.g. {param}='30D' (days) or '3650D' for a very long one."
            )
        raise JourneyDataError(
            f"{param}={value!r}: a duration needs a unit; got a bare number. Did you mean "
            f"'{amount:g}D'? Fix: pass e.g. {param}='30D' (days), '12h' (hours), '30min' "
            "(minutes) or '2W' (weeks)."
        )
    delta = pd.NaT
    if text is not None or isinstance(value, (pd.Timedelta, dt.timedelta, np.timedelta64)):
        try:
            delta = pd.Timedelta(text if text is not None else value)
        except (TypeError, ValueError, OverflowError):
            delta = pd.NaT
    if delta is pd.NaT or delta <= pd.Timedelta(0):
        got = "a duration of zero or less" if delta is not pd.NaT else repr(value)
        raise JourneyDataError(
            f"{param}={value!r}: expected a positive duration with a unit; got {got}. Fix: "
            f"pass e.g. {param}='30D' (days), '12h' (hours), '30min' (minutes) or '2W' (weeks)."
        )
    return delta


def data_range(table) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The first and last event time of an Ibis table (one query)."""
    span = _engine.to_pandas(table.aggregate(lo=table.timestamp.min(), hi=table.timestamp.max()))
    return span["lo"].iloc[0], span["hi"].iloc[0]


def events_span(table, names, *, param: str):
    """``names`` (one event name or a list) as a list, with the :func:`data_range` of
    ``table`` and of its ``names`` events, in one query; raising as
    :func:`check_events_exist` when one of ``names`` does not occur (or there are no events
    at all). One scan instead of three: on 3M events the separate queries cost 0.2 s."""
    names = event_names(names, param=param)
    ts, event = table.timestamp, table.event
    chosen = event.isin(names)
    aggs = {"lo": ts.min(), "hi": ts.max()}
    aggs |= {"chosen_lo": ts.min(where=chosen), "chosen_hi": ts.max(where=chosen)}
    aggs |= {f"n_{i}": event.count(where=event == name) for i, name in enumerate(names)}
    found = _engine.to_pandas(table.aggregate(**aggs)).iloc[0]
    if any(found[f"n_{i}"] == 0 for i in range(len(names))):
        check_events_exist(table, names, param=param)  # raises, listing the known names
    return names, (found["lo"], found["hi"]), (found["chosen_lo"], found["chosen_hi"])


def check_date_in_data(ts: pd.Timestamp, *, param: str, first, last) -> None:
    """Raise when ``ts`` lies before the first event of the data."""
    if ts < first:
        raise JourneyDataError(
            f"{param}={ts:%Y-%m-%d %H:%M}: before the first event of the data; the events run "
            f"from {first:%Y-%m-%d} to {last:%Y-%m-%d}. Fix: pass a {param} within that range."
        )


def warn_after_data(ts: pd.Timestamp, *, param: str, last, within: pd.Timedelta, why: str) -> None:
    """A JourneyWarning when ``ts`` lies more than ``within`` after the last event."""

    from .errors import JourneyWarning

    if ts > last + within:
        warnings.warn(
            f"{param}={ts:%Y-%m-%d} is {(ts - last).days} days after the last event of the data "
            f"({last:%Y-%m-%d}); {why} Pass a {param} within the data to avoid this.",
            JourneyWarning,
            stacklevel=3,
        )


def drop_missing(frame: pd.DataFrame, columns, *, where: str) -> pd.DataFrame:
    """``frame`` without the rows missing a value in ``columns`` (pd.NA, NaN, None, NaT),
    with a JourneyWarning giving the count: a missing value is never a group of its own."""

    from .errors import JourneyWarning

    columns = list(columns)
    missing = frame[columns].isna().any(axis=1)
    n = int(missing.sum())
    if n == 0:
        return frame
    warnings.warn(
        f"{where}: {n} of {len(frame)} rows have no value in {columns} and were left out.",
        JourneyWarning,
        stacklevel=3,
    )
    return frame[~missing.to_numpy()]


LEVEL_EXAMPLES = {"alpha": "0.05", "power": "0.8"}


def is_real(value) -> bool:
    """True for a real number (not a bool, not text)."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    )


def got(value) -> str:
    return repr(value) if is_real(value) else f"{type(value).__name__} {value!r}"


def check_level(name: str, value) -> float:
    """A level, significance or power strictly between 0 and 1."""
    if not is_real(value) or not 0 < value < 1:
        example = LEVEL_EXAMPLES.get(name, "0.95")
        raise JourneyDataError(
            f"{name}={value!r}: expected a number strictly between 0 and 1; got "
            f"{got(value)}. Fix: pass e.g. {name}={example}."
        )
    return float(value)


def check_number(name: str, value, *, what: str = "", above=None, example="1") -> float:
    """``value`` as a finite float, greater than ``above`` when given."""
    if not is_real(value) or not math.isfinite(value) or (above is not None and value <= above):
        kind = "a finite number" + ("" if above is None else f" > {above:g}")
        raise JourneyDataError(
            f"{name}={value!r}: expected {what + ', ' if what else ''}{kind}; got "
            f"{got(value)}. Fix: pass e.g. {name}={example}."
        )
    return float(value)


def check_whole(name: str, value, *, minimum: int = 1, maximum: int | None = None, example=None):
    """``value`` as an int, raising unless it is a whole number of at least ``minimum`` (and
    at most ``maximum``)."""
    whole = isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))
    if not whole or value < minimum or (maximum is not None and value > maximum):
        span = f">= {minimum}" if maximum is None else f"from {minimum} to {maximum}"
        if example is None:
            example = max(minimum, 5) if maximum is None else min(max(minimum, 5), maximum)
        raise JourneyDataError(
            f"{name}={value!r}: expected a whole number {span}; got {got(value)}. Fix: pass "
            f"e.g. {name}={example}."
        )
    return int(value)


def column_names(value, *, param: str) -> list[str]:
    """One column name or a list of them (``None``: none) as a list."""
    if value is None:
        return []
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
        raise JourneyDataError(
            f"{param}={value!r}: expected a column name or a list of column names; got "
            f"{type(value).__name__}. Fix: pass e.g. {param}='persona' or "
            f"{param}=['persona', 'segment']."
        )
    return list(names)


def as_floats(values: pd.Series) -> np.ndarray:
    """``values`` as floats: NaN where a value is missing (NaN, None, pd.NA) or not a number."""
    numeric = pd.to_numeric(values, errors="coerce")
    if isinstance(numeric.dtype, pd.api.extensions.ExtensionDtype):  # nullable: pd.NA
        return numeric.to_numpy(dtype=float, na_value=np.nan)
    return numeric.to_numpy(dtype=float)


def utc_times(frame: pd.DataFrame, column: str, *, param: str) -> pd.Series:
    """A column of dates or times (data, not a parameter) as UTC timestamps, NaT where
    missing; numbers (pandas would read them as nanoseconds after 1970) and text that is no
    date raise."""
    raw = frame[column]
    if pd.api.types.is_numeric_dtype(raw):
        raise JourneyDataError(
            f"{param}={column!r}: expected dates or times; got numbers (dtype {raw.dtype}), "
            "which pandas would read as nanoseconds after 1970. Fix: convert the column first, "
            f"e.g. pd.to_datetime(frame[{column!r}], unit='s') for seconds since 1970."
        )
    try:
        return pd.to_datetime(raw, utc=True)
    except (TypeError, ValueError, OverflowError):  # mixed formats, or values that are no date
        times = pd.to_datetime(raw, utc=True, errors="coerce", format="mixed")
    bad = (times.isna() & raw.notna()).to_numpy()
    if bad.any():
        rows = frame.loc[bad, [column]].head(5)
        raise JourneyDataError(
            f"{param}={column!r}: {int(bad.sum())} values are not dates or times.\nExample "
            f"rows:\n{rows.to_string()}\nFix: correct or drop them (e.g. '2024-06-30' or "
            "'2024-06-30 12:00')."
        )
    return times


def as_of_in_data(
    table, as_of, *, param: str, within: pd.Timedelta, why: str, what: str, span=None
):
    """``as_of`` as UTC (default: the last event of ``table``, the ``what`` events): a
    JourneyDataError when there are none or when it lies before the first, a JourneyWarning
    (saying ``why``) when it lies more than ``within`` after the last. ``span``: the
    table's :func:`data_range`, when already queried."""
    ts = None if as_of is None else as_utc(as_of, param=param)
    first, last = data_range(table) if span is None else span
    if pd.isna(first):
        raise JourneyDataError(
            f"events: no {what} in the data, so there is nothing to analyse. Fix: pass events "
            "that hold them (check the activity= and purchase= names, and unit=)."
        )
    if ts is None:
        return last
    check_date_in_data(ts, param=param, first=first, last=last)
    warn_after_data(ts, param=param, last=last, within=within, why=why)
    return ts


def start_end(start, end):
    """``start`` and ``end`` as UTC timestamps (``None`` stays ``None``), raising unless
    ``end`` lies after ``start``."""
    start = None if start is None else as_utc(start, param="start")
    end = None if end is None else as_utc(end, param="end")
    if start is not None and end is not None and end <= start:
        raise JourneyDataError(
            f"end={end:%Y-%m-%d %H:%M}: expected a time after start={start:%Y-%m-%d %H:%M}; "
            "got one at or before it. Fix: pass an end later than start (or swap the two)."
        )
    return start, end


def check_present(value, known, *, param: str, what: str) -> list[str]:
    """``value`` (one name or a list) as a list, raising unless each is one of ``known``,
    the distinct values of the ``what`` column (event names through
    :func:`~journeykit.checks.check_events_exist`)."""
    if what == "event":
        return check_events_exist(None, value, param=param, known=known)
    values = event_names(value, param=param)
    for v in values:
        if v not in known:
            raise JourneyDataError(
                f"{param}={v!r}: no such {what} in the data. {suggest(v, known)} Fix: pass "
                f"{param}= one of the {what} values listed (or a list of them)."
            )
    return values


def check_column(events, column, *, param: str, fix: str) -> None:
    """Raise unless ``column`` is the name of a column of ``events``."""
    if not isinstance(column, str) or column not in events.columns:
        raise JourneyDataError(
            f"{param}={column!r}: expected the name of a column of the events; no such column. "
            f"{suggest(column, list(events.columns))} Fix: {fix}"
        )
