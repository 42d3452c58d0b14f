"""Side tables through the same door as events: customer attributes, survey answers and
experiment units, read from a DataFrame or a file (CSV, Parquet, JSON: by the embedded
DuckDB, ids as text so ``007`` stays ``007``), checked, and returned as small pandas
frames with canonical names (``customer_id``; times in UTC).

When ``journeykit run --pseudonymize-key-env VAR`` runs a template, every reader (and
:func:`journeykit.read_events`) replaces the customer ids by their keyed pseudonyms, so the
tables still join and no raw id reaches a report.
"""

from __future__ import annotations

import os

import pandas as pd

from . import _engine, files
from .checks import suggest
from .errors import JourneyDataError
from .events import parse_time
from .privacy import at_the_door


def _table(source, text_columns):
    """``source`` as an Ibis table of journeykit's engine (a DataFrame is registered, a
    file read by DuckDB with ``text_columns`` as text)."""
    if isinstance(source, (str, os.PathLike)):
        return files.open_file(source, text_columns=text_columns)
    if isinstance(source, pd.DataFrame):
        return _engine.as_table(source)
    if _engine.is_ibis(source):
        return source
    raise JourneyDataError(
        f"source: expected a DataFrame, a file path or an Ibis table; got "
        f"{type(source).__name__}. Fix: pass the table or the path of its export."
    )


def _column(table, name, *, param: str) -> str:
    if not isinstance(name, str) or name not in table.columns:
        raise JourneyDataError(
            f"{param}={name!r}: no such column. {suggest(name, list(table.columns))} Fix: "
            f"pass {param}= the column that holds it."
        )
    return name


def _ids(frame: pd.DataFrame, column: str, *, param: str) -> pd.DataFrame:
    """``frame`` with ``column`` as text ids, every row having one (else an error naming
    the rows)."""
    values = frame[column]
    missing = values.isna() | (values.astype("string").str.strip() == "")
    if missing.any():
        raise JourneyDataError(
            f"{param}={column!r}: {int(missing.sum())} of {len(frame)} rows have no id.\n"
            f"Example rows:\n{frame[missing.to_numpy()].head(5).to_string()}\nFix: fill or "
            "drop those rows."
        )
    text = values.astype("string[pyarrow]")
    if pd.api.types.is_float_dtype(values) and (values % 1 == 0).all():
        text = values.astype("Int64").astype("string[pyarrow]")  # 7.0 -> '7'
    return frame.assign(**{column: text})


def _times(table, column: str, *, tz, time_format, param: str) -> pd.Series:
    """A time column parsed the way read_events parses times (ISO text, dates, YYYYMMDD,
    epoch numbers; naive values in ``tz``), as UTC."""

    def examples(condition):
        return _engine.to_pandas(table.filter(condition).limit(5))

    parsed = parse_time(
        table,
        column,
        tz=tz,
        time_unit=None,
        time_format=time_format,
        backend=_engine.backend_name(table),
        examples=examples,
    )
    out = _engine.to_pandas(table.select(t=parsed, raw=table[column]))
    bad = out["t"].isna() & out["raw"].notna()
    if bad.any():
        raise JourneyDataError(
            f"{param}={column!r}: {int(bad.sum())} values are not dates or times.\nExample "
            f"rows:\n{out[bad].head(5)[['raw']].to_string()}\nFix: correct them, or pass "
            "time_format= their strftime format."
        )
    return out["t"]


def read_attributes(source, *, customer: str = "customer_id") -> pd.DataFrame:
    """Customer attributes (persona, segment, acquisition channel, ...), one row per
    customer, read and checked like events.

    Parameters
    ----------
    source : pandas.DataFrame, str, path or Ibis table
        A frame or the path of a CSV/Parquet/JSON export.
    customer : str
        The column holding the customer id (read as text; renamed ``customer_id``).

    Returns
    -------
    pandas.DataFrame
        ``customer_id`` first (text), the other columns as they are; duplicate rows
        dropped.

    Raises
    ------
    JourneyDataError
        A missing id column, rows without an id, or one customer with two different
        rows of attributes.

    Examples
    --------
    >>> import pandas as pd
    >>> read_attributes(pd.DataFrame({"user": [7, 8], "persona": ["a", "b"]}), customer="user")
      customer_id persona
    0           7       a
    1           8       b
    """
    table = _table(source, [customer])
    _column(table, customer, param="customer")
    frame = _engine.to_pandas(table)
    if "customer_id" in frame.columns and customer != "customer_id":
        raise JourneyDataError(
            f"customer={customer!r}: the table also has a 'customer_id' column. Fix: drop or "
            "rename one of the two."
        )
    frame = _ids(frame, customer, param="customer").rename(columns={customer: "customer_id"})
    frame = frame[["customer_id", *[c for c in frame.columns if c != "customer_id"]]]
    frame = frame.drop_duplicates().reset_index(drop=True)
    doubled = frame["customer_id"].duplicated(keep=False)
    if doubled.any():
        raise JourneyDataError(
            f"customer={customer!r}: {frame.loc[doubled, 'customer_id'].nunique()} customers "
            f"have several different rows, e.g.\n{frame[doubled].head(4).to_string()}\nFix: "
            "keep one row per customer."
        )
    return at_the_door(frame)


def read_survey(
    source,
    *,
    score: str = "score",
    time: str | None = None,
    customer: str | None = None,
    tz: str = "UTC",
    time_format: str | None = None,
) -> pd.DataFrame:
    """Survey answers (NPS), one row per answer, read and checked.

    Parameters
    ----------
    source : pandas.DataFrame, str, path or Ibis table
        A frame or the path of a CSV/Parquet/JSON export.
    score : str
        The column of the 0-10 answer; text that is a number is read as one, a missing
        answer stays missing (:func:`journeykit.nps` leaves those out with a count).
    time : str, optional
        The column of the answer's date or time, parsed as :func:`read_events` parses
        times (naive values in ``tz``); ``None``: a survey without dates.
    customer : str, optional
        The column of the respondent's customer id (text, renamed ``customer_id``);
        ``None``: anonymous answers.
    tz, time_format
        As in :func:`read_events`.

    Returns
    -------
    pandas.DataFrame
        The survey with ``score`` numeric, ``customer_id`` (when given) and the time
        column (UTC) under their names; other columns as they are.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"rating": ["10", "6", None], "day": [20240105, 20240106, 20240107]})
    >>> read_survey(raw, score="rating", time="day")
       rating                       day
    0    10.0 2024-01-05 00:00:00+00:00
    1     6.0 2024-01-06 00:00:00+00:00
    2     NaN 2024-01-07 00:00:00+00:00
    """
    text = [c for c in (customer,) if c is not None]
    table = _table(source, text)
    _column(table, score, param="score")
    for name, param in ((time, "time"), (customer, "customer")):
        if name is not None:
            _column(table, name, param=param)
    frame = _engine.to_pandas(table)
    values = pd.to_numeric(frame[score], errors="coerce")
    bad = values.isna() & frame[score].notna()
    outside = values.notna() & ~values.between(0, 10)
    if bad.any() or outside.any():
        rows = frame[(bad | outside).to_numpy()].head(5)
        raise JourneyDataError(
            f"score={score!r}: expected answers from 0 to 10; found {int(bad.sum())} that are "
            f"not numbers and {int(outside.sum())} outside 0-10.\nExample rows:\n"
            f"{rows.to_string()}\nFix: map the answers to 0-10 (and blanks to missing)."
        )
    frame[score] = values.astype(float)
    if time is not None:
        frame[time] = _times(table, time, tz=tz, time_format=time_format, param="time").to_numpy()
    if customer is not None:
        frame = _ids(frame, customer, param="customer").rename(columns={customer: "customer_id"})
    return at_the_door(frame)


def read_units(
    source,
    *,
    unit_id: str = "customer_id",
    variant: str = "variant",
    time: str | None = None,
    tz: str = "UTC",
    time_format: str | None = None,
) -> pd.DataFrame:
    """An experiment table, one row per unit (its variant and its metrics), read and
    checked: the input of :func:`journeykit.ab_test`, :func:`journeykit.sequential_test`
    and :func:`journeykit.bayes_ab`.

    Parameters
    ----------
    source : pandas.DataFrame, str, path or Ibis table
        A frame or the path of a CSV/Parquet/JSON export.
    unit_id : str
        The column of the unit's id (text, renamed ``customer_id``); each unit once.
    variant : str
        The column of the variant (text); every unit must have one.
    time : str, optional
        The column of the assignment time (UTC after reading), for the sequential test.
    tz, time_format
        As in :func:`read_events`.

    Returns
    -------
    pandas.DataFrame
        The units with ``customer_id`` and ``variant`` as text, the time parsed and the
        metrics as they are: booleans stay booleans, and a text column holding only
        ``true``/``false`` (any case; a CSV or Parquet export of a flag) becomes a boolean
        column (missing values stay missing), so a 0/1 metric is tested as a conversion.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"player": ["007", "008"], "arm": ["A", "B"], "won": [True, False]})
    >>> read_units(raw, unit_id="player", variant="arm")["customer_id"].tolist()
    ['007', '008']
    """

    def flags(frame: pd.DataFrame, skip) -> pd.DataFrame:
        """``frame`` with every text column whose values are all ``true``/``false`` (any
        case, blanks around ignored), and every column of True/False with gaps, as a
        nullable boolean column (missing values stay missing)."""
        out = {}
        for column in frame.columns:
            values = frame[column]
            if column in skip or not (
                pd.api.types.is_string_dtype(values) or pd.api.types.is_object_dtype(values)
            ):
                continue
            present = values.dropna()
            if len(present) and all(pd.api.types.is_bool(v) for v in present):
                out[column] = values.astype("boolean")  # True/False with gaps (None)
            elif len(present) and all(isinstance(v, str) for v in present):
                text = present.str.strip().str.lower()
                if text.isin(["true", "false"]).all():
                    column_flags = pd.Series(pd.NA, index=values.index, dtype="boolean")
                    column_flags[present.index] = (text == "true").to_numpy()
                    out[column] = column_flags
        return frame.assign(**out) if out else frame

    table = _table(source, [unit_id, variant])
    _column(table, unit_id, param="unit_id")
    _column(table, variant, param="variant")
    if time is not None:
        _column(table, time, param="time")
    frame = _engine.to_pandas(table)
    frame = _ids(frame, unit_id, param="unit_id")
    frame = _ids(frame, variant, param="variant")
    frame = flags(frame, {unit_id, variant, time})
    doubled = frame[unit_id].duplicated(keep=False)
    if doubled.any():
        raise JourneyDataError(
            f"unit_id={unit_id!r}: {frame.loc[doubled, unit_id].nunique()} units occur in "
            f"several rows, e.g.\n{frame[doubled].head(4).to_string()}\nFix: one row per unit "
            "(its first assignment)."
        )
    if time is not None:
        frame[time] = _times(table, time, tz=tz, time_format=time_format, param="time").to_numpy()
    if unit_id != "customer_id":
        if "customer_id" in frame.columns:
            raise JourneyDataError(
                f"unit_id={unit_id!r}: the table also has a 'customer_id' column. Fix: drop "
                "or rename one of the two."
            )
        frame = frame.rename(columns={unit_id: "customer_id"})
    return at_the_door(frame).reset_index(drop=True)
