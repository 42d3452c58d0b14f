"""The canonical event schema, ``read_events`` (the one door for data) and journey stages.

Canonical columns (DESIGN.md): ``customer_id`` (string), ``timestamp`` (UTC, tz-aware,
microseconds), ``event`` (string); optional ``revenue`` (float >= 0), ``channel``,
``session_id``, ``order_id``, ``account_id`` (strings) and ``stage``. Every other column
is kept untouched.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from . import _engine
from .checks import check_choice, suggest
from .errors import JourneyDataError, JourneyWarning

REQUIRED = ("customer_id", "timestamp", "event")
#: read_events keyword -> canonical column name, for the optional columns.
OPTIONAL = {
    "revenue": "revenue",
    "channel": "channel",
    "session": "session_id",
    "order": "order_id",
    "account": "account_id",
}
STRING_COLUMNS = ("channel", "session_id", "order_id", "account_id", "stage")

#: The journey stages, in order.
STAGES = ("awareness", "consideration", "decision", "purchase", "retention", "advocacy")
#: Dutch labels of the stages (for reports in Dutch).
STAGE_LABELS_NL = {
    "awareness": "bewustwording",
    "consideration": "overweging",
    "decision": "beslissing",
    "purchase": "aankoop",
    "retention": "retentie",
    "advocacy": "belangenbehartiging",
}

DUPLICATE_CHOICES = ("warn", "drop", "raise", "keep")
TIME_UNITS = ("s", "ms", "us", "ns")
COMPRESSIONS = (".gz", ".bz2", ".zip", ".xz", ".zst")
FILE_TYPES = (".csv", ".tsv", ".parquet", ".pq", ".jsonl", ".ndjson", ".json")
# A UTC offset after a time of day: '10:00Z', '10:00:00.5+01:00', '10:00 -0500'.
_OFFSET = r":\d{2}(?:\.\d+)?\s*(?:[zZ]|[+-]\d{2}(?::?\d{2})?)\s*$"


def _examples(frame: pd.DataFrame, mask) -> str:
    """Up to five offending rows of the caller's frame, for error messages."""
    rows = frame[np.asarray(mask)].head(5)
    return "\nExample rows:\n" + rows.to_string(max_colwidth=40)


def _fail(what: str, fix: str, frame: pd.DataFrame | None = None, mask=None):
    text = what
    if frame is not None and mask is not None:
        text += _examples(frame, mask)
    raise JourneyDataError(f"{text}\nFix: {fix}")


def _check_tz(tz) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(str(tz))
    except (ZoneInfoNotFoundError, ValueError):
        raise JourneyDataError(
            f"tz={tz!r} is not a known IANA time zone. Fix: pass a name such as "
            "'UTC' or 'Europe/Amsterdam'."
        ) from None


def _resolve(columns, names: dict[str, str | None]) -> dict[str, str]:
    """Map canonical column -> source column, checking that the named columns exist.

    ``names`` maps the read_events keyword to the user's column name (None: use the
    canonical column when it is there).
    """
    columns = list(columns)
    canonical = {"customer": "customer_id", "time": "timestamp", "event": "event", **OPTIONAL}
    mapping = {}
    for param, source in names.items():
        target = canonical[param]
        if source is None:
            if target in columns:
                mapping[target] = target
            continue
        if source not in columns:
            raise JourneyDataError(
                f"{param}={source!r}: no such column in the events. {suggest(source, columns)} "
                f"Fix: pass {param}='<your column>' naming the column that holds the {target}."
            )
        mapping[target] = source
    used = set(mapping.values())
    for target, source in mapping.items():
        if source != target and target in columns and target not in used:
            raise JourneyDataError(
                f"column {source!r} is to become {target!r}, but the events already have a "
                f"different column named {target!r}. Fix: drop or rename that column first."
            )
    return mapping


# --------------------------------------------------------------------------- pandas


def _as_string(s: pd.Series) -> pd.Series:
    """Strings with missing values kept missing; integer-valued floats lose their '.0'."""
    if pd.api.types.is_float_dtype(s) and np.all(np.mod(s.dropna(), 1) == 0):
        s = s.astype("Int64")
    if pd.api.types.is_object_dtype(s) and s.map(type).eq(str).all():
        return s
    out = s.astype("string").astype(object)
    return out.where(s.notna(), None)


def _required_strings(frame, source: str, param: str) -> pd.Series:
    s = frame[source]
    missing = s.isna()
    if missing.any():
        _fail(
            f"{param}={source!r}: column {source!r} must have a value in every row; "
            f"found {int(missing.sum())} of {len(s)} rows missing.",
            f"drop or fill those rows first (e.g. events.dropna(subset=[{source!r}])).",
            frame,
            missing,
        )
    return _as_string(s)


def _epoch_unit(values: np.ndarray) -> str:
    """Guess the unit of epoch numbers from their magnitude (dates 1973..5138 in seconds)."""
    typical = float(np.nanmedian(np.abs(values)))
    for unit, limit in (("s", 1e11), ("ms", 1e14), ("us", 1e17)):
        if typical < limit:
            return unit
    return "ns"


def _localize(naive: pd.Series, tz: str) -> pd.Series:
    # Ambiguous wall times (the repeated hour when DST ends) are read as the first, summer
    # time occurrence; wall times that do not exist (the hour skipped when DST starts) move
    # forward. Both are documented in read_events.
    return naive.dt.tz_localize(
        tz, ambiguous=np.ones(len(naive), dtype=bool), nonexistent="shift_forward"
    )


def _parse_time(frame, source: str, *, tz: str, time_unit, time_format) -> pd.Series:
    s = frame[source]
    what = f"time={source!r}: column {source!r}"
    missing = s.isna()
    if missing.any():
        _fail(
            f"{what} must have a timestamp in every row; found {int(missing.sum())} of "
            f"{len(s)} rows missing.",
            "drop those rows or fill them before read_events.",
            frame,
            missing,
        )
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        parsed = s.dt.tz_convert("UTC")
    elif pd.api.types.is_datetime64_dtype(s):
        parsed = _localize(s, tz)
    elif pd.api.types.is_bool_dtype(s):
        _fail(f"{what} holds booleans, expected timestamps.", "pass time= the timestamp column.")
    elif pd.api.types.is_numeric_dtype(s):
        unit = time_unit or _epoch_unit(s.to_numpy(dtype=float))
        try:
            parsed = pd.to_datetime(s, unit=unit, utc=True)
        except (OverflowError, ValueError, pd.errors.OutOfBoundsDatetime):
            _fail(
                f"{what} holds numbers that are not epoch times in {unit!r} "
                f"(range {s.min()} .. {s.max()}).",
                "pass time_unit= one of 's', 'ms', 'us', 'ns' matching your export.",
            )
    else:
        parsed = _parse_time_objects(frame, source, tz=tz, time_format=time_format)
    if time_unit is not None and not pd.api.types.is_numeric_dtype(s):
        warnings.warn(
            f"time_unit={time_unit!r} ignored: column {source!r} does not hold epoch numbers.",
            JourneyWarning,
            stacklevel=3,
        )
    try:
        return parsed.astype("datetime64[us, UTC]")
    except (OverflowError, pd.errors.OutOfBoundsDatetime):
        _fail(f"{what} has timestamps outside the years 1677-2262.", "check the source values.")


def _parse_time_objects(frame, source: str, *, tz: str, time_format) -> pd.Series:
    s = frame[source]
    what = f"time={source!r}: column {source!r}"
    is_str = s.map(type).eq(str)
    if is_str.all():
        has_offset = s.str.contains(_OFFSET, regex=True)
        if has_offset.any() and not has_offset.all():
            _fail(
                f"{what} mixes timestamps with a UTC offset ({int(has_offset.sum())} rows) and "
                f"without one ({int((~has_offset).sum())} rows); they cannot be reconciled.",
                "make every value carry an offset (e.g. '+01:00' or 'Z'), or none and pass "
                "tz= the zone they were recorded in.",
                frame,
                ~has_offset if has_offset.mean() >= 0.5 else has_offset,
            )
        fmt = time_format or "ISO8601"
        parsed = pd.to_datetime(s, format=fmt, errors="coerce", utc=bool(has_offset.all()))
    else:
        aware = s.map(lambda v: getattr(v, "tzinfo", None) is not None)
        if aware.any() and not aware.all():
            _fail(
                f"{what} mixes time-zone-aware and naive values.",
                "convert them all to one kind before read_events.",
                frame,
                ~aware,
            )
        parsed = pd.to_datetime(s, errors="coerce", utc=bool(aware.all()), format=time_format)
    bad = parsed.isna()
    if bad.any():
        _fail(
            f"{what} has {int(bad.sum())} of {len(s)} values that are not timestamps "
            f"(expected ISO 8601 such as '2024-03-01 14:05:00' or '2024-03-01T13:05:00Z').",
            "fix those values, or pass time_format= the strftime format of your data "
            "(e.g. time_format='%d-%m-%Y %H:%M').",
            frame,
            bad,
        )
    if parsed.dt.tz is None:
        parsed = _localize(parsed, tz)
    return parsed.dt.tz_convert("UTC")


def _parse_revenue(frame, source: str) -> pd.Series:
    s = frame[source]
    what = f"revenue={source!r}: column {source!r}"
    if pd.api.types.is_bool_dtype(s):
        _fail(f"{what} holds booleans, expected amounts.", "pass revenue= the amount column.")
    values = pd.to_numeric(s, errors="coerce") if not pd.api.types.is_numeric_dtype(s) else s
    values = values.astype(float)
    bad = values.isna() & s.notna()
    if bad.any():
        _fail(
            f"{what} must be numeric; found {int(bad.sum())} non-numeric values.",
            "strip currency symbols and use '.' as the decimal mark "
            "(e.g. events[col].str.replace(',', '.').astype(float)).",
            frame,
            bad,
        )
    negative = values < 0
    infinite = np.isinf(values)
    if negative.any() or infinite.any():
        _fail(
            f"{what} must be a finite amount >= 0; found {int(negative.sum())} negative and "
            f"{int(infinite.sum())} infinite values.",
            "record refunds and returns as their own event (e.g. event='refund') with a "
            "positive amount, and fix infinite values at the source.",
            frame,
            negative | infinite,
        )
    return values


def _read_file(path) -> pd.DataFrame:
    path = Path(path)
    suffixes = [x.lower() for x in path.suffixes]
    if suffixes and suffixes[-1] in COMPRESSIONS:
        suffixes = suffixes[:-1]
    kind = suffixes[-1] if suffixes else ""
    if kind not in FILE_TYPES:
        raise JourneyDataError(
            f"source={str(path)!r}: file type {kind or '(none)'!r} is not supported; expected "
            f"one of {list(FILE_TYPES)}, optionally compressed with {list(COMPRESSIONS)}. "
            "Fix: convert the export to CSV or Parquet, or load it yourself and pass the "
            "DataFrame."
        )
    if not path.is_file():
        raise JourneyDataError(
            f"source={str(path)!r}: no such file. Fix: check the path (relative paths start "
            f"at the current directory, {os.getcwd()!r})."
        )
    try:
        if kind in (".parquet", ".pq"):
            return pd.read_parquet(path)
        if kind in (".jsonl", ".ndjson", ".json"):
            return pd.read_json(path, lines=kind != ".json", dtype=False, convert_dates=False)
        # Identifiers stay text (leading zeros survive).
        sep = "\t" if kind == ".tsv" else ","
        header = pd.read_csv(path, sep=sep, nrows=0).columns
        ids = {"customer_id", "session_id", "order_id", "account_id", "channel", "event"}
        return pd.read_csv(path, sep=sep, dtype={c: str for c in header if c in ids})
    except Exception as exc:  # noqa: BLE001 - any reader failure becomes one clear message
        raise JourneyDataError(
            f"source={str(path)!r}: the file could not be read as {kind[1:]} "
            f"({type(exc).__name__}: {exc}). Fix: check that the file is complete and of "
            "the type its name says."
        ) from exc


def _read_pandas(frame, mapping, *, tz, time_unit, time_format, duplicates) -> pd.DataFrame:
    if len(frame) == 0:
        raise JourneyDataError(
            "source: the events are empty (0 rows). Fix: check the export or the filter "
            "that produced it."
        )
    data = {
        "customer_id": _required_strings(frame, mapping["customer_id"], "customer"),
        "timestamp": _parse_time(
            frame, mapping["timestamp"], tz=tz, time_unit=time_unit, time_format=time_format
        ),
        "event": _required_strings(frame, mapping["event"], "event"),
    }
    if "revenue" in mapping:
        data["revenue"] = _parse_revenue(frame, mapping["revenue"])
    for target in STRING_COLUMNS:
        source = mapping.get(target, target if target == "stage" else None)
        if source is not None and source in frame.columns:
            data[target] = _as_string(frame[source])
    used = set(mapping.values()) | set(data)
    for name in frame.columns:
        if name not in used:
            data[name] = frame[name]
    out = pd.DataFrame(data, index=frame.index)
    out = _handle_duplicates(out, frame, duplicates)
    return out.sort_values(["customer_id", "timestamp"], kind="stable").reset_index(drop=True)


def _handle_duplicates(out: pd.DataFrame, frame, duplicates: str) -> pd.DataFrame:
    if duplicates == "keep":
        return out
    try:
        dup = out.duplicated(keep="first")
    except TypeError:  # unhashable extra columns (lists, dicts): compare canonical ones
        dup = out.duplicated(subset=[c for c in out.columns if c in (*REQUIRED, *OPTIONAL)])
    n = int(dup.sum())
    if n == 0:
        return out
    if duplicates == "raise":
        _fail(
            f"duplicates='raise': found {n} exact duplicate rows.",
            "remove them, or pass duplicates='drop' to drop them or 'keep' to keep them.",
            frame,
            dup.to_numpy(),
        )
    if duplicates == "warn":
        warnings.warn(
            f"read_events: {n} exact duplicate rows (kept). Pass duplicates='drop' to drop "
            "them or duplicates='keep' to silence this.",
            JourneyWarning,
            stacklevel=3,
        )
        return out
    return out[~dup]


# --------------------------------------------------------------------------- Ibis


def _read_ibis(table, mapping, *, tz, time_unit, time_format, duplicates):
    import ibis

    schema = table.schema()
    backend = _engine.backend_name(table)
    raw_time = table[mapping["timestamp"]]
    time_type = schema[mapping["timestamp"]]
    if time_format is not None and time_type.is_string():
        naive = raw_time.as_timestamp(time_format)
        parsed = _engine.localize(naive, tz, backend)
    elif time_type.is_timestamp():
        parsed = (
            raw_time.cast(ibis.dtype("timestamp('UTC')"))
            if time_type.timezone
            else _engine.localize(raw_time, tz, backend)
        )
    elif time_type.is_date():
        parsed = _engine.localize(raw_time.cast("timestamp"), tz, backend)
    elif time_type.is_numeric():
        unit = time_unit or _epoch_unit(np.array([_engine.to_scalar(raw_time.abs().median())]))
        micros = {"s": 1_000_000, "ms": 1_000, "us": 1, "ns": 1}[unit]
        scaled = raw_time // 1000 if unit == "ns" else raw_time * micros
        epoch = ibis.literal(pd.Timestamp(0, tz="UTC"), type=ibis.dtype("timestamp('UTC')"))
        parsed = epoch + scaled.cast("int64").as_interval("us")
    else:  # strings are parsed once we know whether they carry offsets
        parsed = None

    checks = {
        "n": table.count(),
        "null_customer": table[mapping["customer_id"]].isnull().sum(),
        "null_event": table[mapping["event"]].isnull().sum(),
        "null_time": raw_time.isnull().sum(),
    }
    if parsed is None and time_type.is_string():
        has_offset = raw_time.re_search(_OFFSET)
        checks["with_offset"] = has_offset.cast("int64").sum()
    elif parsed is not None:
        checks["bad_time"] = (parsed.isnull() & raw_time.notnull()).sum()
    revenue = None
    if "revenue" in mapping:
        raw_rev = table[mapping["revenue"]]
        revenue = (
            raw_rev.try_cast("float64")
            if not schema[mapping["revenue"]].is_numeric()
            else raw_rev.cast("float64")
        )
        checks["bad_revenue"] = (revenue.isnull() & raw_rev.notnull()).sum()
        checks["negative_revenue"] = (revenue < 0).sum()
    # Exact duplicate rows are a subset of rows sharing (customer, time, event): counting
    # distinct keys in this same scan means the costly full-row check runs only when needed.
    if duplicates != "keep":
        key_time = parsed if parsed is not None else raw_time
        keys = {"c": table[mapping["customer_id"]], "t": key_time, "e": table[mapping["event"]]}
        checks["distinct_keys"] = _engine.key_count(keys, backend)
    row = _engine.to_pandas(table.aggregate(**checks)).iloc[0]
    found = {key: int(0 if pd.isna(value) else value) for key, value in row.items()}

    def examples(condition) -> pd.DataFrame:
        return _engine.to_pandas(table.filter(condition).limit(5))

    if found["n"] == 0:
        raise JourneyDataError(
            "source: the events table is empty (0 rows). Fix: check the table or its filter."
        )
    for key, param in (
        ("null_customer", "customer"),
        ("null_event", "event"),
        ("null_time", "time"),
    ):
        if found[key]:
            column = mapping[
                {"customer": "customer_id", "event": "event", "time": "timestamp"}[param]
            ]
            _fail(
                f"{param}={column!r}: column {column!r} must have a value in every row; found "
                f"{found[key]} of {found['n']} rows missing.",
                "filter those rows out in the source query.",
                examples(table[column].isnull()),
                np.ones(min(5, found[key]), dtype=bool),
            )
    if parsed is None and not time_type.is_string():
        raise JourneyDataError(
            f"time={mapping['timestamp']!r}: column has type {time_type}, expected timestamps, "
            "dates, ISO 8601 strings or epoch numbers. Fix: cast it in the source query."
        )
    if parsed is None:
        n_offset = found["with_offset"]
        if 0 < n_offset < found["n"]:
            _fail(
                f"time={mapping['timestamp']!r}: mixes timestamps with a UTC offset ({n_offset} "
                f"rows) and without one ({found['n'] - n_offset} rows); they cannot be reconciled.",
                "make every value carry an offset, or none and pass tz=.",
            )
        if n_offset:
            parsed = raw_time.try_cast(ibis.dtype("timestamp('UTC')"))
        else:
            parsed = _engine.localize(raw_time.try_cast("timestamp"), tz, backend)
        bad = _engine.to_scalar((parsed.isnull() & raw_time.notnull()).sum())
        found["bad_time"] = int(bad or 0)
    if found["bad_time"]:
        _fail(
            f"time={mapping['timestamp']!r}: {found['bad_time']} of {found['n']} values are not "
            "timestamps (expected ISO 8601 or epoch numbers).",
            "fix those values, or pass time_format= their strftime format.",
            examples(parsed.isnull() & raw_time.notnull()),
            np.ones(min(5, found["bad_time"]), dtype=bool),
        )
    if revenue is not None and (found["bad_revenue"] or found["negative_revenue"]):
        _fail(
            f"revenue={mapping['revenue']!r}: must be a number >= 0; found "
            f"{found['bad_revenue']} non-numeric and {found['negative_revenue']} negative values.",
            "record refunds as their own event with a positive amount; clean amounts at source.",
            examples(revenue.isnull() & table[mapping["revenue"]].notnull() | (revenue < 0)),
            np.ones(min(5, found["bad_revenue"] + found["negative_revenue"]), dtype=bool),
        )

    columns = {
        "customer_id": table[mapping["customer_id"]].cast("string"),
        "timestamp": parsed,
        "event": table[mapping["event"]].cast("string"),
    }
    if revenue is not None:
        columns["revenue"] = revenue
    for target in STRING_COLUMNS:
        source = mapping.get(target, target if target == "stage" else None)
        if source is not None and source in schema:
            columns[target] = table[source].cast("string")
    used = set(mapping.values()) | set(columns)
    rest = [name for name in table.columns if name not in used]
    out = table.select(**columns, **{name: table[name] for name in rest})
    if duplicates != "keep":
        n_dup = 0
        if found["distinct_keys"] < found["n"]:
            n_dup = found["n"] - _engine.to_scalar(out.distinct().count())
        if n_dup and duplicates == "raise":
            raise JourneyDataError(
                f"duplicates='raise': found {n_dup} exact duplicate rows. Fix: remove them, or "
                "pass duplicates='drop' or 'keep'."
            )
        if n_dup and duplicates == "warn":
            warnings.warn(
                f"read_events: {n_dup} exact duplicate rows (kept). Pass duplicates='drop' to "
                "drop them or duplicates='keep' to silence this.",
                JourneyWarning,
                stacklevel=3,
            )
        if n_dup and duplicates == "drop":
            out = out.distinct()
    return out


# --------------------------------------------------------------------------- public


def read_events(
    source,
    *,
    customer: str = "customer_id",
    time: str = "timestamp",
    event: str = "event",
    revenue: str | None = None,
    channel: str | None = None,
    session: str | None = None,
    order: str | None = None,
    account: str | None = None,
    tz: str = "UTC",
    time_unit: str | None = None,
    time_format: str | None = None,
    duplicates: str = "warn",
):
    """Read, normalize and validate an event log: the one door for data into journeykit.

    Parameters
    ----------
    source : pandas.DataFrame, str, path or Ibis table
        A DataFrame; a path to CSV, TSV, Parquet or JSON-lines (``.jsonl``/``.ndjson``;
        ``.json`` is read as lines), optionally compressed (``.gz``, ``.bz2``, ``.zip``,
        ``.xz``, ``.zst``); or an Ibis table on any backend (DuckDB, PySpark, ...).
    customer, time, event : str
        The columns holding the customer id, the event time and the event name.
    revenue, channel, session, order, account : str, optional
        Columns for the optional canonical fields. ``None`` uses the canonical column
        (``revenue``, ``channel``, ``session_id``, ``order_id``, ``account_id``) when the
        events have it.
    tz : str
        IANA time zone in which naive timestamps (without offset) were recorded; they are
        converted to UTC. Ambiguous wall times (the repeated hour when daylight saving time
        ends) are read as the first occurrence; non-existent ones (the skipped hour) move
        forward. Values with an offset or tz-aware values ignore ``tz``.
    time_unit : {'s', 'ms', 'us', 'ns'}, optional
        Unit of epoch-number timestamps. By default it is detected from the magnitude of the
        median value (GA4 exports use microseconds).
    time_format : str, optional
        strftime format of text timestamps that are not ISO 8601 (e.g. ``'%d-%m-%Y %H:%M'``).
    duplicates : {'warn', 'drop', 'raise', 'keep'}
        What to do with exact duplicate rows: keep them with a ``JourneyWarning``, drop them,
        raise, or keep them silently.

    Returns
    -------
    pandas.DataFrame or Ibis table
        The same kind as the input (a path gives pandas). Canonical columns first:
        ``customer_id`` (str), ``timestamp`` (``datetime64[us, UTC]``), ``event`` (str),
        then the optional canonical columns present (``revenue`` float; ``channel``,
        ``session_id``, ``order_id``, ``account_id``, ``stage`` str), then every other
        column untouched. pandas output is sorted by customer and time with a fresh index.
        Ibis output is lazy; the validation ran as one aggregate query.

    Raises
    ------
    JourneyDataError
        Naming the column, what was expected, what was found (with up to five example
        rows) and the fix: missing column, empty input, missing ids or event names,
        unparseable or irreconcilable timestamps, non-numeric or negative revenue,
        unsupported or unreadable file.

    Notes
    -----
    The input is never modified, and ``read_events(read_events(x))`` equals
    ``read_events(x)``.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"user": [2, 1], "ts": ["2024-03-01 10:00", "2024-03-01 09:00"],
    ...                     "action": ["purchase", "page_view"]})
    >>> ev = read_events(raw, customer="user", time="ts", event="action", tz="Europe/Amsterdam")
    >>> ev
      customer_id                 timestamp      event
    0           1 2024-03-01 08:00:00+00:00  page_view
    1           2 2024-03-01 09:00:00+00:00   purchase
    """
    check_choice("duplicates", duplicates, DUPLICATE_CHOICES)
    check_choice("time_unit", time_unit, (None, *TIME_UNITS))
    _check_tz(tz)
    names = {"customer": customer, "time": time, "event": event, "revenue": revenue}
    names |= {"channel": channel, "session": session, "order": order, "account": account}
    options = {"tz": tz, "time_unit": time_unit, "time_format": time_format}
    if _engine.is_ibis(source):
        mapping = _resolve(source.columns, names)
        return _read_ibis(source, mapping, duplicates=duplicates, **options)
    if isinstance(source, (str, os.PathLike)):
        source = _read_file(source)
    if not isinstance(source, pd.DataFrame):
        raise JourneyDataError(
            f"source: expected a pandas DataFrame, a file path or an Ibis table; got "
            f"{type(source).__name__}. Fix: wrap your data in pd.DataFrame(...) or pass a path."
        )
    mapping = _resolve(source.columns, names)
    return _read_pandas(source, mapping, duplicates=duplicates, **options)


def _stage_of(value, param: str) -> str:
    if value in STAGES:
        return value
    dutch = {nl: en for en, nl in STAGE_LABELS_NL.items()}
    if value in dutch:
        return dutch[value]
    raise JourneyDataError(
        f"{param}: {value!r} is not a journey stage; expected one of {list(STAGES)} (or the "
        f"Dutch labels {list(dutch)}). {suggest(value, STAGES)} Fix: correct the mapping."
    )


def stage_mapping(mapping) -> dict[str, str]:
    """Normalize a stage mapping to ``{event: stage}``.

    Accepts ``{event: stage}`` or ``{stage: [events, ...]}`` (lists, tuples or sets of
    events); stages may be given by their Dutch labels.
    """
    if not isinstance(mapping, dict) or not mapping:
        raise JourneyDataError(
            f"mapping: expected a non-empty dict {{event: stage}} or {{stage: [events]}}; got "
            f"{type(mapping).__name__}. Fix: e.g. {{'page_view': 'awareness', "
            "'purchase': 'purchase'}."
        )
    out: dict[str, str] = {}
    for key, value in mapping.items():
        if isinstance(value, (list, tuple, set, frozenset)):
            stage = _stage_of(key, "mapping")
            for ev in value:
                if ev in out and out[ev] != stage:
                    raise JourneyDataError(
                        f"mapping: event {ev!r} is mapped to both {out[ev]!r} and {stage!r}. "
                        "Fix: give every event one stage."
                    )
                out[str(ev)] = stage
        else:
            out[str(key)] = _stage_of(value, "mapping")
    return out


def map_stages(events, mapping, *, unmapped: str = "raise"):
    """Add a ``stage`` column from an event -> stage mapping.

    Parameters
    ----------
    events : pandas.DataFrame or Ibis table
        Canonical events (from :func:`read_events`).
    mapping : dict
        ``{event: stage}`` or ``{stage: [events]}``; stages are :data:`STAGES` or their
        Dutch labels. The mapping is always the analyst's choice, never built in.
    unmapped : {'raise', 'drop', 'keep'}
        Events the mapping does not name: raise an error listing them, drop those rows, or
        keep them with a missing stage.

    Returns
    -------
    The same kind as ``events`` with ``stage`` set (an existing ``stage`` is replaced).

    Examples
    --------
    >>> import pandas as pd
    >>> ev = pd.DataFrame({"event": ["page_view", "purchase"]})
    >>> map_stages(ev, {"awareness": ["page_view"], "purchase": ["purchase"]})["stage"].tolist()
    ['awareness', 'purchase']
    """
    check_choice("unmapped", unmapped, ("raise", "drop", "keep"))
    stages = stage_mapping(mapping)
    if "event" not in events.columns:
        raise JourneyDataError(
            f"events: no 'event' column. {suggest('event', events.columns)} "
            "Fix: pass the events through read_events first."
        )
    if _engine.is_ibis(events):
        seen = set(_engine.distinct(events, "event"))
    else:
        seen = set(events["event"].unique())
    unknown = sorted(str(e) for e in seen - set(stages))
    if unknown and unmapped == "raise":
        raise JourneyDataError(
            f"mapping: {len(unknown)} events have no stage: {unknown[:10]}. Fix: add them to the "
            "mapping, or pass unmapped='drop' (drop those rows) or unmapped='keep' "
            "(missing stage)."
        )
    if _engine.is_ibis(events):
        import ibis

        out = events.mutate(
            stage=events["event"].substitute(stages, else_=ibis.null("string")).cast("string")
        )
        return out.filter(out["stage"].notnull()) if unmapped == "drop" else out
    out = events.assign(stage=events["event"].map(stages))
    if unmapped == "drop":
        out = out[out["stage"].notna()].reset_index(drop=True)
    return out.astype({"stage": object})
