"""The canonical event schema, ``read_events`` (the one door for data) and journey stages.

Canonical columns (DESIGN.md): ``customer_id`` (string), ``timestamp`` (UTC, tz-aware,
microseconds), ``event`` (string); optional ``revenue`` (float >= 0), ``channel``,
``session_id``, ``order_id``, ``account_id`` (strings) and ``stage``. Every other column
is kept untouched.
"""

from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import _engine, files, plots
from .checks import check_choice, require, require_events, suggest
from .errors import JourneyDataError, JourneyWarning
from .privacy import at_the_door
from .results import Result

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
DECIMAL_MARKS = (".", ",")
TIME_UNITS = ("s", "ms", "us", "ns")
#: Epoch numbers' unit by magnitude: seconds up to 1e11 (the year 5138), then ms, us, ns.
EPOCH_LIMITS = (("s", 1e11), ("ms", 1e14), ("us", 1e17))
MICROSECONDS = {"s": 1_000_000, "ms": 1_000, "us": 1}
MAX_MICROSECONDS = 253_402_300_800_000_000  # 10000-01-01 in microseconds since 1970
#: Whole numbers in this range that are valid dates are read as YYYYMMDD.
YYYYMMDD = (10000101, 99991231)
#: Epoch seconds below this (1980-01-01) are refused unless time_unit= says so.
EARLIEST_EPOCH_SECONDS = 315_532_800
# A UTC offset after a time of day: '10:00Z', '10:00:00.5+01:00', '10:00 -0500'.
_OFFSET = r":\d{2}(?:\.\d+)?\s*(?:[zZ]|[+-]\d{2}(?::?\d{2})?)\s*$"
_DAY = r"^\s*\d{4}-\d{2}-\d{2}\s*$"
_INTEGER = r"^\s*[+-]?\d+\s*$"
_NUMBER = r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$"
#: read_events keyword -> canonical column, for the columns read as text from CSV
#: whatever they look like (ids keep their leading zeros; times are parsed by journeykit).
TEXT_COLUMNS = {
    "customer": "customer_id",
    "event": "event",
    "time": "timestamp",
    "channel": "channel",
    "session": "session_id",
    "order": "order_id",
    "account": "account_id",
}


def _fail(what: str, fix: str, examples: pd.DataFrame | None = None):
    text = what
    if examples is not None and len(examples):
        text += "\nExample rows:\n" + examples.to_string(max_colwidth=40)
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
    columns = [str(c) for c in columns]
    canonical = {"customer": "customer_id", "time": "timestamp", "event": "event", **OPTIONAL}
    mapping = {}
    for param, source in names.items():
        target = canonical[param]
        if source is None:
            if target in columns:
                mapping[target] = target
            continue
        if not isinstance(source, str) or source not in columns:
            hint = ""
            if param == "event":
                hint = " If every row is a purchase (a transaction log), pass event=None."
            raise JourneyDataError(
                f"{param}={source!r}: no such column in the events. {suggest(source, columns)}"
                f"{hint} Fix: pass {param}='<your column>' naming the column that holds the "
                f"{target}."
            )
        mapping[target] = source
    for param, target in (("customer", "customer_id"), ("time", "timestamp")):
        if target not in mapping:
            raise JourneyDataError(
                f"{param}=None: the events have no {target!r} column. "
                f"{suggest(target, columns)} Fix: pass {param}='<your column>'."
            )
    used = set(mapping.values())
    for target, source in mapping.items():
        if source != target and target in columns and target not in used:
            raise JourneyDataError(
                f"column {source!r} is to become {target!r}, but the events already have a "
                f"different column named {target!r}. Fix: drop or rename that column first."
            )
    return mapping


# --------------------------------------------------------------------------- time


def _epoch(number, unit: str):
    """Epoch numbers in ``unit`` as a UTC timestamp column (microsecond arithmetic)."""
    import ibis

    micros = number / 1000 if unit == "ns" else number * MICROSECONDS[unit]
    # beyond the year 9999 is no time (and would overflow): such values fail as bad times
    # (compared as doubles: an integer division would overflow on them first)
    micros = ibis.ifelse(micros.abs() < MAX_MICROSECONDS, micros, ibis.null("float64"))
    start = ibis.literal(pd.Timestamp(0, tz="UTC"), type=ibis.dtype("timestamp('UTC')"))
    whole = micros.floor() if unit == "ns" else micros  # (as the integer division did)
    return start + whole.cast("int64").as_interval("us")


def _digits(number):
    """Whole numbers as their digits ('19970101' for 19970101.0)."""
    return number.cast("int64").cast("string")


def _probe(raw, kind):
    """The aggregates telling what the time column holds, and its values as numbers."""
    import ibis

    if kind.is_string():
        number = ibis.ifelse(raw.re_search(_NUMBER), raw, ibis.null("string")).cast("float64")
        checks = {
            "offset": raw.re_search(_OFFSET).cast("int64").sum(),
            "number": raw.re_search(_NUMBER).cast("int64").sum(),
            "day": raw.re_search(_DAY).cast("int64").sum(),
        }
    else:
        number = raw.cast("float64")
        checks = {"offset": ibis.literal(0), "number": raw.count(), "day": ibis.literal(0)}
    checks["n"] = raw.count()
    checks["smallest"], checks["largest"] = number.abs().min(), number.abs().max()
    whole = (number % 1 == 0) & number.between(*YYYYMMDD)
    checks["yyyymmdd"] = whole.cast("int64").sum()
    for unit, (low, high) in _epoch_ranges().items():
        inside = number.abs() >= low if high is None else number.abs().between(low, high - 1e-9)
        checks[f"epoch_{unit}"] = inside.cast("int64").sum()
    return checks, number


def _epoch_ranges() -> dict:
    """unit -> (smallest, largest) magnitude of epoch numbers read in that unit."""
    lows = [0.0, *(limit for _, limit in EPOCH_LIMITS)]
    highs = [*(limit for _, limit in EPOCH_LIMITS), None]
    return dict(zip(TIME_UNITS, zip(lows, highs)))


def _as_utc_day(naive):
    """A calendar day (a naive midnight) as that midnight in UTC, whatever ``tz``: a date
    has no time of day to convert, and journeykit's periods are UTC calendar periods, so
    each date lands in its own day, week, month and quarter."""
    import ibis

    return naive.cast(ibis.dtype("timestamp('UTC')"))


def parse_time(table, source: str, *, tz, time_unit, time_format, backend, examples):
    """The parsed UTC timestamp expression of column ``source`` and a description of its
    values (for error messages).

    Text and numbers are told apart first with one aggregate: 8-digit whole numbers that
    are valid dates are read as YYYYMMDD, other numbers as epoch times whose unit follows
    from their magnitude (one unit per column: a column mixing seconds and milliseconds is
    an error), text as ISO 8601 (with or without a UTC offset, never mixed).
    """
    import ibis

    raw = table[source]
    kind = raw.type()
    what = f"time={source!r}: column {source!r}"
    if kind.is_timestamp():
        if kind.timezone:
            return raw.cast(ibis.dtype("timestamp('UTC')"))
        return _engine.localize(raw.cast("timestamp"), tz, backend)
    if kind.is_date():
        return _as_utc_day(raw.cast("timestamp"))
    if kind.is_boolean() or not (kind.is_string() or kind.is_numeric()):
        raise JourneyDataError(
            f"{what} holds {kind}, expected timestamps, dates, ISO 8601 text, YYYYMMDD numbers "
            "or epoch numbers. Fix: pass time= the column with the event times (or cast it "
            "in the source)."
        )
    checks, number = _probe(raw, kind)
    found = _engine.to_pandas(table.aggregate(**checks)).iloc[0]
    smallest, largest = found.pop("smallest"), found.pop("largest")
    found = found.fillna(0).astype("int64")
    n = int(found["n"])
    if time_format is not None:
        text = raw if kind.is_string() else _digits(number)
        parsed = _engine.strptime(text, time_format, backend)
        if parsed.type().timezone:
            return parsed
        if not re.search(r"%[HIMSfpzXcTRsk]", time_format):  # a day, no time of day
            return _as_utc_day(parsed)
        return _engine.localize(parsed, tz, backend)
    if kind.is_string() and found["number"] < n:  # text (a few numbers in it fail below)
        offsets = int(found["offset"])
        if 0 < offsets < n:
            with_offset = raw.re_search(_OFFSET)
            rare = with_offset if offsets < n / 2 else ~with_offset
            _fail(
                f"{what} mixes timestamps with a UTC offset ({offsets} rows) and without one "
                f"({n - offsets} rows); they cannot be reconciled.",
                "make every value carry an offset (e.g. '+01:00' or 'Z'), or none and pass "
                "tz= the zone they were recorded in.",
                examples(rare),
            )
        if offsets:
            return raw.try_cast(ibis.dtype("timestamp('UTC')"))
        if found["day"] == n:
            return _as_utc_day(raw.try_cast("date").cast("timestamp"))
        return _engine.localize(raw.try_cast("timestamp"), tz, backend)
    if time_unit is None and found["yyyymmdd"] == n and n:
        return _as_utc_day(_engine.strptime(_digits(number), "%Y%m%d", backend))
    unit = time_unit
    if unit is None:
        units = [u for u in TIME_UNITS if found[f"epoch_{u}"]]
        if len(units) > 1:
            counts = ", ".join(f"{found[f'epoch_{u}']} like {u}" for u in units)
            main = max(units, key=lambda u: found[f"epoch_{u}"])
            low, high = _epoch_ranges()[main]
            size = number.abs()
            _fail(
                f"{what} holds epoch numbers of different magnitudes ({counts}): one column "
                "cannot mix seconds, milliseconds, microseconds and nanoseconds.",
                "convert the column to one unit in the export and pass time_unit= that unit.",
                examples((size < low) | (size >= high) if high else size < low),
            )
        unit = units[0] if units else "s"
        if unit == "s" and largest < EARLIEST_EPOCH_SECONDS:
            # every value under 3.2e8: epoch seconds of 1970-1979 only, more likely ids,
            # counts, amounts or spreadsheet serial days in the wrong column than event times
            first, last = (pd.Timestamp(v, unit="s") for v in (smallest, largest))
            _fail(
                f"{what} holds numbers from {smallest:,.0f} to {largest:,.0f}; read "
                f"as epoch seconds they are times from {first:%Y-%m-%d} to {last:%Y-%m-%d}, "
                "before any online journey. Is it the time column?",
                "pass time= the column with the event times; if these are spreadsheet serial "
                "days, convert them first (pd.to_datetime(column, unit='D', "
                "origin='1899-12-30')); if they really are epoch seconds, pass time_unit='s'.",
                examples(number.notnull()),
            )
    return _epoch(number, unit)


# --------------------------------------------------------------------------- validation


def text_column(column):
    """An id or name column as text; whole floats lose their '.0' (7.0 -> '7')."""
    import ibis

    kind = column.type()
    if kind.is_string():
        return column
    if kind.is_floating():
        return ibis.ifelse(column % 1 == 0, _digits(column), column.cast("string"))
    return column.cast("string")


def _normalize(table, mapping, *, event_name, tz, time_unit, time_format, decimal, examples):
    """The canonical projection of ``table`` and the counts found by one validation query;
    raises a JourneyDataError for anything the events cannot be read with."""
    import ibis

    schema = table.schema()
    backend = _engine.backend_name(table)
    n = _engine.to_scalar(table.count())
    if not n:
        raise JourneyDataError(
            "source: the events are empty (0 rows). Fix: check the export or the filter that "
            "produced it."
        )
    parsed = parse_time(
        table,
        mapping["timestamp"],
        tz=tz,
        time_unit=time_unit,
        time_format=time_format,
        backend=backend,
        examples=examples,
    )
    raw_time = table[mapping["timestamp"]]
    customer = text_column(table[mapping["customer_id"]])
    event = text_column(table[mapping["event"]]) if "event" in mapping else ibis.literal(event_name)
    # checks on the source columns: numbers cannot be blank, native times cannot fail
    checks = {"customers": table[mapping["customer_id"]].count(), "times": raw_time.count()}
    # numbers with decimals are amounts or measurements, never ids or event names
    fractional = {
        param: table[mapping[target]]
        for param, target in (("customer", "customer_id"), ("event", "event"))
        if target in mapping and schema[mapping[target]].is_floating()
    }
    checks |= {f"fraction_{p}": (c % 1 != 0).sum() for p, c in fractional.items()}
    if not (raw_time.type().is_timestamp() or raw_time.type().is_date()):
        checks["bad_time"] = (parsed.isnull() & raw_time.notnull()).sum()
    text = {}
    if schema[mapping["customer_id"]].is_string():
        text["customer"] = customer
    if "event" in mapping:
        checks["events"] = table[mapping["event"]].count()
        if schema[mapping["event"]].is_string():
            text["event"] = event
    # a blank value starts with whitespace (or is empty), so it sorts first: the smallest
    # value rules blanks out in this same scan, and only then are they counted
    checks |= {f"first_{k}": v.min() for k, v in text.items()}
    revenue = None
    if "revenue" in mapping:
        raw_rev = table[mapping["revenue"]]
        kind = schema[mapping["revenue"]]
        if kind.is_boolean():
            raise JourneyDataError(
                f"revenue={mapping['revenue']!r}: the column holds booleans, expected amounts. "
                "Fix: pass revenue= the column with the order value."
            )
        if kind.is_numeric():
            revenue = raw_rev.cast("float64")
        elif decimal == ",":  # '12,50'; a '.' beside it (a thousands mark?) is not read
            point = raw_rev.replace(",", ".")
            revenue = ibis.ifelse(raw_rev.contains("."), None, point).try_cast("float64")
        else:
            revenue = raw_rev.try_cast("float64")
        checks["bad_revenue"] = (revenue.isnull() & raw_rev.notnull()).sum()
        checks["negative_revenue"] = (revenue < 0).sum()
        checks["infinite_revenue"] = _engine.is_inf(revenue, backend).sum()
    sources = {
        target: source
        for target in STRING_COLUMNS
        if (source := mapping.get(target, target if target == "stage" else None)) is not None
        and source in schema
    }
    optional = {target: text_column(table[source]) for target, source in sources.items()}
    # an optional text column gets the blank-to-missing rule only where it may hold blanks
    # (numbers cannot; text by its smallest value, in this same scan): on 10M session ids
    # the rule (a strip per row) cost every later query 3 s
    source_text = {target for target, source in sources.items() if schema[source].is_string()}
    checks |= {f"first_opt_{k}": optional[k].min() for k in source_text}
    found = _engine.to_pandas(table.aggregate(**checks)).iloc[0].to_dict()
    blank_free = {
        k
        for k in optional
        if k not in source_text or _starts_above_space(found.pop(f"first_opt_{k}"))
    }
    maybe_blank = {
        k: v for k, v in text.items() if not _starts_above_space(found.pop(f"first_{k}"))
    }
    if maybe_blank:
        blanks = {f"blank_{k}": (v.strip() == "").sum() for k, v in maybe_blank.items()}
        found |= _engine.to_pandas(table.aggregate(**blanks)).iloc[0].to_dict()
    found = {key: int(0 if pd.isna(value) else value) for key, value in found.items()}
    found["n"] = n = int(n)
    found["null_customer"] = n - found.pop("customers")
    found["null_time"] = n - found.pop("times")
    found["null_event"] = n - found.pop("events", n)
    # the key of exact duplicates, on the source ids (no text cast) and the parsed time
    found["key"] = [table[mapping["customer_id"]], parsed]
    found["key"] += [table[mapping["event"]]] if "event" in mapping else []
    reading = {"time_format": time_format, "time_unit": time_unit}
    _report(found, mapping, table, customer, event, parsed, revenue, examples, reading)

    columns = {"customer_id": customer, "timestamp": parsed, "event": event}
    if revenue is not None:
        columns["revenue"] = revenue
    for target, text in optional.items():
        # an empty id is a missing one (an empty cell in the export)
        cleaned = ibis.ifelse(text.strip() == "", ibis.null("string"), text)
        columns[target] = text if target in blank_free else cleaned
    used = set(mapping.values()) | set(columns)
    rest = [name for name in table.columns if name not in used]
    found["columns"] = columns
    return table.select(**columns, **{name: table[name] for name in rest}), found


def _starts_above_space(value) -> bool:
    return isinstance(value, str) and value != "" and ord(value[0]) > 32


def _report(found, mapping, table, customer, event, parsed, revenue, examples, reading) -> None:
    n = found["n"]
    for param, target, holds in (
        ("customer", "customer_id", "customer ids"),
        ("event", "event", "event names"),
    ):
        if found.get(f"fraction_{param}"):
            column = mapping[target]
            other = " (or event=None for a transaction log without one)" if param == "event" else ""
            _fail(
                f"{param}={column!r}: column {column!r} holds numbers with decimals "
                f"({found[f'fraction_{param}']} of {n} rows), expected {holds}.",
                f"pass {param}= the column with the {holds}{other}.",
                examples(table[column] % 1 != 0),
            )
    for key, param, values in (
        ("null_customer", "customer", customer),
        ("null_event", "event", event),
        ("null_time", "time", table[mapping["timestamp"]]),
    ):
        if found.get(key):
            column = mapping[
                {"customer": "customer_id", "event": "event", "time": "timestamp"}[param]
            ]
            _fail(
                f"{param}={column!r}: column {column!r} must have a value in every row; found "
                f"{found[key]} of {n} rows missing.",
                f"drop or fill those rows first (e.g. events.dropna(subset=[{column!r}])).",
                examples(values.isnull()),
            )
    for key, param, values in (
        ("blank_customer", "customer", customer),
        ("blank_event", "event", event),
    ):
        if found.get(key):
            column = mapping["customer_id" if param == "customer" else "event"]
            _fail(
                f"{param}={column!r}: {found[key]} of {n} rows have an empty {column!r} "
                "(blank text); every event needs a customer id and an event name.",
                "fill those values in the export, or drop those rows before read_events.",
                examples(values.strip() == ""),
            )
    if found.get("bad_time"):
        raw = table[mapping["timestamp"]]
        what = f"time={mapping['timestamp']!r}: {found['bad_time']} of {n} values"
        fmt, unit = reading["time_format"], reading["time_unit"]
        if fmt is not None:
            what += f" do not match time_format={fmt!r}."
            fix = (
                "check the format against the example rows, each % code against its part of "
                "the text (e.g. '%d.%m.%Y %H:%M' reads '31.12.2024 23:15'), or pass "
                "time_format=None for ISO 8601 text and epoch numbers."
            )
        elif unit is not None:
            what += (
                f" are not times when read as epoch numbers in {unit!r} (time_unit={unit!r}): "
                "not numbers, or beyond the year 9999."
            )
            fix = (
                "pass time_unit= the unit of your numbers (a time of 2024 is about 1.7e9 in "
                "'s', 1.7e12 in 'ms', 1.7e15 in 'us', 1.7e18 in 'ns'), or time_unit=None to "
                "detect it."
            )
        else:
            what += (
                " are not timestamps (expected ISO 8601 such as '2024-03-01 14:05:00' or "
                "'2024-03-01T13:05:00Z', YYYYMMDD numbers or epoch numbers)."
            )
            fix = (
                "fix those values, or pass time_format= the strftime format of your data "
                "(e.g. time_format='%d-%m-%Y %H:%M')."
            )
        _fail(what, fix, examples(parsed.isnull() & raw.notnull()))
    if revenue is not None:
        bad = found["bad_revenue"] + found["negative_revenue"] + found["infinite_revenue"]
        if bad:
            raw = table[mapping["revenue"]]
            _fail(
                f"revenue={mapping['revenue']!r}: must be a finite amount >= 0; found "
                f"{found['bad_revenue']} non-numeric, {found['negative_revenue']} negative and "
                f"{found['infinite_revenue']} infinite values.",
                "strip currency symbols and thousands separators (amounts like '12,50' read "
                "with decimal=','); record refunds and returns as their own event (e.g. "
                "event='refund') with a positive amount.",
                examples(
                    (revenue.isnull() & raw.notnull())
                    | (revenue < 0)
                    | _engine.is_inf(revenue, _engine.backend_name(table))
                ),
            )


def _duplicates(table, out, found, duplicates: str):
    """How many exact duplicate rows ``out`` has (0 when it surely has none).

    Exact duplicate rows are a subset of rows sharing (customer, time, event): distinct keys
    are counted first (hashes on DuckDB and Spark) and the costly full-row count runs only
    when some keys repeat.
    """
    if duplicates == "keep":
        return 0
    if not _engine.keys_repeat(table, found["key"], found["n"]):
        return 0
    return found["n"] - _engine.to_scalar(out.distinct().count())


def _warn_duplicates(n: int, duplicates: str) -> None:
    if n and duplicates == "raise":
        raise JourneyDataError(
            f"duplicates='raise': found {n} exact duplicate rows. Fix: remove them, or pass "
            "duplicates='drop' to drop them or 'keep' to keep them."
        )
    if n and duplicates == "warn":
        warnings.warn(
            f"read_events: {n} exact duplicate rows (kept). Pass duplicates='drop' to drop "
            "them or duplicates='keep' to silence this.",
            JourneyWarning,
            stacklevel=4,
        )


def _read_table(table, names, *, duplicates, examples=None, **options):
    """read_events for an Ibis table: lazy, validated by one aggregate query."""
    mapping = _resolve(table.columns, names)
    if examples is None:

        def examples(condition):
            return _engine.to_pandas(table.filter(condition).limit(5))

    out, found = _normalize(table, mapping, examples=examples, **options)
    n_dup = _duplicates(table, out, found, duplicates)
    _warn_duplicates(n_dup, duplicates)
    return out.distinct() if n_dup and duplicates == "drop" else out


def _read_pandas(frame: pd.DataFrame, names, *, duplicates, **options) -> pd.DataFrame:
    """read_events for a DataFrame: the mapped columns are validated and normalized by the
    engine (the same checks as for a table), the other columns are kept untouched, and the
    rows keep their order."""
    doubled = frame.columns[frame.columns.duplicated()].unique().tolist()
    if doubled:
        raise JourneyDataError(
            f"source: the column name(s) {doubled} occur more than once in the DataFrame. Fix: "
            "rename or drop the duplicates (e.g. frame.loc[:, ~frame.columns.duplicated()])."
        )
    if len(frame) == 0:
        raise JourneyDataError(
            "source: the events are empty (0 rows). Fix: check the export or the filter that "
            "produced it."
        )
    mapping = _resolve(frame.columns, names)
    mapped = list(dict.fromkeys(mapping.values()))
    stage = ["stage"] if "stage" in frame.columns and "stage" not in mapped else []
    arrow = _engine.to_arrow(frame, columns=[*mapped, *stage])
    table = _engine.register(arrow)

    def examples(condition):
        # the caller's own rows (with their index), not the engine's copy
        mask = _engine.to_arrow_result(table.select(hit=condition.fill_null(False)))
        return frame[mask["hit"].to_numpy(zero_copy_only=False)].head(5)

    out, found = _normalize(table, mapping, examples=examples, **options)
    canonical = _canonical_frame(arrow, table, found["columns"])
    rest = [c for c in frame.columns if c not in set(mapped) | set(canonical.columns)]
    if rest:
        extra = frame[rest].reset_index(drop=True)
        canonical = pd.concat([canonical, extra], axis=1)
    if duplicates != "keep" and _duplicates(table, out, found, duplicates):
        dup = _duplicated(canonical)
        _warn_duplicates(int(dup.sum()), duplicates)
        if duplicates == "drop":
            canonical = canonical[~dup].reset_index(drop=True)
    return canonical


def _canonical_frame(arrow, table, columns: dict) -> pd.DataFrame:
    """The canonical columns as pandas: those the normalization leaves as they are (text
    already, for instance) straight from the Arrow input, the others computed by the
    engine (10M event names: 0.15 s less than a round trip through DuckDB)."""
    import pyarrow as pa

    unchanged = {}
    for name, expr in columns.items():
        source = next((c for c in arrow.column_names if expr.op() == table[c].op()), None)
        if source is not None:
            unchanged[name] = arrow[source]
    computed = {n: e for n, e in columns.items() if n not in unchanged}
    done = _engine.to_arrow_result(table.select(**computed)) if computed else None
    parts = {n: unchanged[n] if n in unchanged else done[n] for n in columns}
    return _engine.arrow_to_pandas(pa.table(parts), destroy=False)


def _duplicated(frame: pd.DataFrame) -> np.ndarray:
    try:
        return frame.duplicated(keep="first").to_numpy()
    except TypeError:  # unhashable extra columns (lists, dicts): compare canonical ones
        subset = [c for c in frame.columns if c in (*REQUIRED, *OPTIONAL.values(), "stage")]
        return frame.duplicated(subset=subset, keep="first").to_numpy()


# --------------------------------------------------------------------------- public


def read_events(
    source,
    *,
    customer: str = "customer_id",
    time: str = "timestamp",
    event: str | None = "event",
    event_name: str = "purchase",
    revenue: str | None = None,
    channel: str | None = None,
    session: str | None = None,
    order: str | None = None,
    account: str | None = None,
    tz: str = "UTC",
    time_unit: str | None = None,
    time_format: str | None = None,
    duplicates: str = "warn",
    decimal: str = ".",
):
    """Read, normalize and validate an event log: the one door for data into journeykit.

    Parameters
    ----------
    source : pandas.DataFrame, str, path or Ibis table
        A DataFrame; a path to a CSV, TSV or text file (the delimiter ``,`` ``;`` tab or
        ``|`` is detected), Parquet (a file, a directory of parts, hive partitions included,
        or a glob such as ``'events/*.parquet'``) or JSON (lines or an array), text files
        optionally compressed (``.gz``, ``.zst``, ``.bz2``, ``.xz``, ``.zip``); or an Ibis
        table on any backend (DuckDB, PySpark, ...).
    customer, time : str
        The columns holding the customer id and the event time.
    event : str or None
        The column holding the event name. ``None`` for a transaction log without one (every
        row is an order, as in CDNOW): every row is then named ``event_name``.
    event_name : str
        The event name every row gets when ``event=None``.
    revenue, channel, session, order, account : str, optional
        Columns for the optional canonical fields. ``None`` uses the canonical column
        (``revenue``, ``channel``, ``session_id``, ``order_id``, ``account_id``) when the
        events have it.
    tz : str
        IANA time zone in which naive timestamps (without offset) were recorded; they are
        converted to UTC. Values with an offset, tz-aware values and dates ignore ``tz``.
        Around daylight-saving changes (DuckDB's rule): a wall time that does not exist
        (the hour skipped when clocks go forward) is read with the offset before the change
        (02:15 on 2024-03-31 in Europe/Amsterdam is 01:15 UTC), and one that occurs twice
        (when clocks go back) as its second occurrence, in standard time (02:30 on
        2024-10-27 is 01:30 UTC). An export with UTC offsets, or in UTC, has neither problem.
    time_unit : {'s', 'ms', 'us', 'ns'}, optional
        Unit of epoch-number timestamps. By default it is detected from the magnitude of the
        values (seconds below 1e11, then milliseconds, microseconds, nanoseconds; GA4
        exports use microseconds); a column mixing magnitudes is an error.
    time_format : str, optional
        strftime format of the time column when it is not ISO 8601 (e.g.
        ``'%d-%m-%Y %H:%M'``); it applies to numbers too (``'%Y%m%d%H%M'``).
    duplicates : {'warn', 'drop', 'raise', 'keep'}
        What to do with exact duplicate rows: keep them with a ``JourneyWarning``, drop them,
        raise, or keep them silently.
    decimal : {'.', ','}
        The decimal mark of amounts (``revenue``) written as text: with ``','`` the text
        ``'12,50'`` is 12.5 (a European export). Thousands separators are not read: such a
        value is reported as not a number. Numeric columns ignore it.

    Returns
    -------
    pandas.DataFrame or Ibis table
        A DataFrame for a DataFrame (rows in their original order, a fresh index); a lazy
        Ibis table for a file or a table, so the data stays in the engine and analyses return
        small pandas results (a file is read by the embedded DuckDB: Parquet is scanned by
        each query, CSV and JSON are parsed once into DuckDB's memory). To get pandas, call
        ``.to_pandas()`` on the table. Canonical columns first: ``customer_id`` (text),
        ``timestamp`` (UTC, microseconds), ``event`` (text), then the optional canonical
        columns present (``revenue`` float; ``channel``, ``session_id``, ``order_id``,
        ``account_id``, ``stage`` text; an empty value there is missing), then every other
        column untouched. Text columns of a DataFrame result are Arrow-backed strings.

    Raises
    ------
    JourneyDataError
        Naming the column, what was expected, what was found (with up to five example
        rows) and the fix: missing column, empty input, missing or blank ids or event names,
        unparseable, mixed or irreconcilable timestamps, non-numeric or negative revenue,
        duplicated column names, rows with the wrong number of fields, unsupported or
        unreadable file.

    Notes
    -----
    How the time column is read:

    - timestamps with a zone are converted to UTC; naive timestamps are wall time in
      ``tz``;
    - dates without a time of day (date values, ``YYYY-MM-DD`` text, YYYYMMDD numbers, a
      ``time_format`` without hours) are calendar days, read as 00:00 UTC whatever ``tz``:
      journeykit's periods are UTC calendar periods, so each date stays in its own day,
      week, month and quarter (in ``tz`` east of UTC, 1 January would otherwise become
      31 December 23:00);
    - text is ISO 8601 (``2024-03-01``, ``2024-03-01 14:05``, ``2024-03-01T13:05:00Z``);
      every value carries a UTC offset or none does;
    - whole numbers of 8 digits that are all valid dates are YYYYMMDD (``19970101`` is
      1 January 1997, as in CDNOW and many CRM exports), never epoch seconds of 1970
      (pass ``time_unit='s'`` if they really are);
    - other numbers (or text of digits) are epoch times in one unit per column.

    From CSV the identifier and time columns (customer, event, channel, session, order,
    account, time) are read as text, so ``007`` stays ``007`` and ``NA``, ``null`` or
    ``None`` are ids like any other; only an empty cell is missing. A header naming a column
    twice and rows with more or fewer fields than the header are errors.

    The input is never modified, and ``read_events(read_events(x))`` equals
    ``read_events(x)``.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"user": ["007", "12"], "ts": [19970101, 19970102],
    ...                     "value": [29.3, 11.8]})
    >>> ev = read_events(raw, customer="user", time="ts", event=None, revenue="value")
    >>> ev
      customer_id                 timestamp     event  revenue
    0         007 1997-01-01 00:00:00+00:00  purchase     29.3
    1          12 1997-01-02 00:00:00+00:00  purchase     11.8
    """
    check_choice("duplicates", duplicates, DUPLICATE_CHOICES)
    check_choice("time_unit", time_unit, (None, *TIME_UNITS))
    _check_tz(tz)
    if time_format is not None and (not isinstance(time_format, str) or "%" not in time_format):
        raise JourneyDataError(
            f"time_format={time_format!r}: expected a strftime format such as '%d-%m-%Y %H:%M'"
            ". Fix: pass the format with % codes, or None for ISO 8601."
        )
    if decimal not in DECIMAL_MARKS:
        raise JourneyDataError(
            f"decimal={decimal!r}: expected the decimal mark of amounts written as text, one "
            f"of {list(DECIMAL_MARKS)}. Fix: pass decimal=',' for amounts like '12,50'."
        )
    names = {"customer": customer, "time": time, "event": event, "revenue": revenue}
    names |= {"channel": channel, "session": session, "order": order, "account": account}
    if event is None:
        if not isinstance(event_name, str) or not event_name.strip():
            raise JourneyDataError(
                f"event_name={event_name!r}: expected the (non-blank) name every row gets "
                "when event=None. Fix: pass e.g. event_name='purchase'."
            )
        del names["event"]
    columns = source.columns if hasattr(source, "columns") else None
    if event is None and columns is not None and "event" in list(columns):
        raise JourneyDataError(
            "event=None: the events already have an 'event' column. Fix: pass event='event' "
            "to use it, or drop it to name every row event_name."
        )
    if event is None and columns is not None:
        _warn_event_like(columns, names, event_name)
    options = {"tz": tz, "time_unit": time_unit, "time_format": time_format, "decimal": decimal}
    options |= {"event_name": event_name, "duplicates": duplicates}
    if isinstance(source, (str, os.PathLike)):
        text = [names[p] or default for p, default in TEXT_COLUMNS.items() if p in names]
        raw = files.open_file(source, text_columns=text)
        if event is None and "event" in raw.columns:
            raise JourneyDataError(
                "event=None: the file already has an 'event' column. Fix: pass event='event' "
                "to use it, or drop it to name every row event_name."
            )
        if event is None:
            _warn_event_like(raw.columns, names, event_name)
        out = _read_table(raw, names, **options)
        # Parquet stays a lazy scan; parsed text is kept normalized (times parsed once)
        return at_the_door(out if files.is_parquet(source) else _engine.materialize(out))
    if _engine.is_ibis(source):
        return at_the_door(_read_table(source, names, **options))
    if isinstance(source, pd.DataFrame):
        return at_the_door(_read_pandas(source, names, **options))
    raise JourneyDataError(
        f"source: expected a pandas DataFrame, a file path or an Ibis table; got "
        f"{type(source).__name__}. Fix: wrap your data in pd.DataFrame(...) or pass a path."
    )


def _warn_event_like(columns, names: dict, event_name: str) -> None:
    """With event=None every row is ``event_name``: say so when a column not passed as
    anything else is named like event names ('event_name', 'eventType'; not a date, time
    or id)."""
    used = {v for v in names.values() if v is not None}
    for column in map(str, columns):
        words = re.split(r"[^a-z0-9]+", re.sub(r"(?<=[a-z])(?=[A-Z])", "_", column).lower())
        if column in used or not any(w.startswith("event") for w in words):
            continue
        if any(w in ("date", "time", "timestamp", "id", "at", "ts", "day") for w in words):
            continue
        warnings.warn(
            f"read_events: event=None names every row {event_name!r}, but the export has a "
            f"column {column!r}. If it holds the event names, pass event={column!r}; if "
            "not, drop it to silence this.",
            JourneyWarning,
            stacklevel=3,
        )
        return


def _stage_of(value) -> str:
    if value in STAGES:
        return value
    dutch = {nl: en for en, nl in STAGE_LABELS_NL.items()}
    if value in dutch:
        return dutch[value]
    raise JourneyDataError(
        f"stages: {value!r} is not a journey stage; expected one of {list(STAGES)} (or the "
        f"Dutch labels {list(dutch)}). {suggest(value, STAGES)} Fix: correct the mapping."
    )


def stage_mapping(stages) -> dict[str, str]:
    """An event -> stage mapping in its one normal form, ``{event: stage}``.

    Parameters
    ----------
    stages : dict
        ``{event: stage}`` or ``{stage: [events, ...]}`` (lists, tuples or sets of events);
        stages are :data:`STAGES` or their Dutch labels (:data:`STAGE_LABELS_NL`).

    Returns
    -------
    dict
        ``{event: stage}`` with the English stage names.

    Raises
    ------
    JourneyDataError
        For an empty mapping, a name that is no stage, or an event given two stages.

    Examples
    --------
    >>> stage_mapping({"overweging": ["product_view"], "page_view": "awareness"})
    {'product_view': 'consideration', 'page_view': 'awareness'}
    """
    if not isinstance(stages, dict) or not stages:
        raise JourneyDataError(
            f"stages: expected a non-empty dict {{event: stage}} or {{stage: [events]}}; got "
            f"{type(stages).__name__}. Fix: e.g. stages={{'page_view': 'awareness', "
            "'purchase': 'purchase'}."
        )
    out: dict[str, str] = {}
    for key, value in stages.items():
        if isinstance(value, (list, tuple, set, frozenset)):
            stage = _stage_of(key)
            for ev in value:
                if ev in out and out[ev] != stage:
                    raise JourneyDataError(
                        f"stages: event {ev!r} is mapped to both {out[ev]!r} and {stage!r}. "
                        "Fix: give every event one stage."
                    )
                out[str(ev)] = stage
        else:
            out[str(key)] = _stage_of(value)
    return out


def map_stages(events, stages, *, unmapped: str = "raise"):
    """Add a ``stage`` column from an event -> stage mapping.

    Parameters
    ----------
    events : pandas.DataFrame or Ibis table
        Canonical events (from :func:`read_events`).
    stages : dict
        ``{event: stage}`` or ``{stage: [events]}``; stages are :data:`STAGES` or their
        Dutch labels. The mapping is always the analyst's choice, never built in: teams
        with five phases simply leave ``decision`` out.
    unmapped : {'raise', 'drop', 'keep'}
        Events the mapping does not name: raise an error listing them, drop those rows, or
        keep them with a missing stage.

    Returns
    -------
    pandas.DataFrame or Ibis table
        The same kind as ``events`` with ``stage`` set (an existing ``stage`` is replaced).

    Examples
    --------
    >>> import pandas as pd
    >>> ev = pd.DataFrame({"event": ["page_view", "purchase"]})
    >>> map_stages(ev, {"awareness": ["page_view"], "purchase": ["purchase"]})["stage"].tolist()
    ['awareness', 'purchase']
    """
    check_choice("unmapped", unmapped, ("raise", "drop", "keep"))
    stages = stage_mapping(stages)
    require(events, ["event"])
    if _engine.is_ibis(events):
        seen = set(_engine.distinct(events, "event"))
    else:
        seen = set(events["event"].unique())
    unknown = sorted(str(e) for e in seen - set(stages))
    if unknown and unmapped == "raise":
        raise JourneyDataError(
            f"stages: {len(unknown)} events have no stage: {unknown[:10]}. Fix: add them to the "
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


# --------------------------------------------------------------------------- overview


@dataclass(frozen=True, repr=False)
class EventSummary(Result):
    """What an event log holds: ``table`` per event name, ``totals`` for the whole log."""

    table: pd.DataFrame
    totals: pd.DataFrame
    title = "Events"

    @property
    def summary(self) -> pd.DataFrame:
        return self.totals

    @property
    def notes(self) -> tuple[str, ...]:
        return tuple(f"{e}: {n:,} events" for e, n in zip(self.table["event"], self.table["n"]))

    def to_frame(self) -> pd.DataFrame:
        """One row per event name (the totals are their sums, ``customers`` aside)."""
        return self.table.copy()

    def plot(self, ax=None):
        """Events per event name."""
        return plots.event_bars(self.table, ax)


def event_summary(events) -> EventSummary:
    """How many events, customers and days an event log holds, per event name and in all.

    Works the same on a DataFrame and on a lazy table from :func:`read_events` (two small
    queries), so a notebook can describe its data whichever route the data took.

    Parameters
    ----------
    events : pandas.DataFrame or Ibis table
        Canonical events (from :func:`read_events`).

    Returns
    -------
    EventSummary
        ``table``: one row per event name with ``n`` (events), ``customers`` (distinct
        customers with that event), ``first`` and ``last`` (times, UTC), most frequent
        first; ``totals`` (also ``summary``): ``n``, ``customers``, ``first``, ``last``
        and ``days`` (from the first to the last event).

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"customer_id": ["a", "a", "b"], "event": ["view", "buy", "view"],
    ...                     "timestamp": ["2024-01-01", "2024-01-03", "2024-01-02"]})
    >>> s = event_summary(read_events(raw))
    >>> s.table[["event", "n", "customers"]]
      event  n  customers
    0  view  2          2
    1   buy  1          1
    >>> int(s.totals["days"].iloc[0])
    2
    """
    require_events(events)
    t = _engine.as_table(events)
    per_event = t.group_by("event").aggregate(
        n=t.count(),
        customers=t.customer_id.nunique(),
        first=t.timestamp.min(),
        last=t.timestamp.max(),
    )
    table = _engine.to_pandas(per_event).sort_values(["n", "event"], ascending=[False, True])
    totals = _engine.to_pandas(
        t.aggregate(
            n=t.count(),
            customers=t.customer_id.nunique(),
            first=t.timestamp.min(),
            last=t.timestamp.max(),
        )
    )
    totals["days"] = (totals["last"] - totals["first"]) / pd.Timedelta(days=1)
    return EventSummary(table=table.reset_index(drop=True), totals=totals)
