"""Backend plumbing: the only module that knows about pandas vs Ibis vs DuckDB/PySpark.

Event-level work is written once as Ibis expressions. A pandas frame is handed to the
embedded DuckDB through Arrow (``ibis.memtable``); an Ibis table runs on its own backend
(DuckDB, PySpark, BigQuery, ...). Results always come back as small pandas frames with
UTC, microsecond timestamps.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import sys
import tempfile
import warnings
import weakref
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from functools import cache
from pathlib import Path

import pandas as pd


@cache
def _builtin(name: str, inputs: tuple, output, *, aggregate: bool = False):
    """The engine's own function ``name`` as an Ibis builtin UDF, defined once per signature
    (each ``ibis.udf.*.builtin`` call defines a new operation class)."""
    import ibis

    make = ibis.udf.agg.builtin if aggregate else ibis.udf.scalar.builtin
    # Ibis reads the arity off the Python function (with *args it takes one argument only)
    blank = {1: lambda a: None, 2: lambda a, b: None, 3: lambda a, b, c: None}[len(inputs)]
    return make(blank, name=name, signature=(inputs, output))


def is_ibis(obj) -> bool:
    """True for an Ibis table, expression or data type, without importing Ibis."""
    return type(obj).__module__.startswith("ibis.")


@cache
def connection():
    """The embedded DuckDB (an Ibis backend) that journeykit runs pandas frames and files on.

    Extension auto-install and auto-load are off: journeykit never reaches the network. The
    core extensions it needs (Parquet, JSON, ICU time zones) are built into DuckDB's Python
    package.
    """
    import ibis

    con = ibis.duckdb.connect(autoinstall_known_extensions=False, autoload_known_extensions=False)
    limit_memory(con.con)
    return con


def limit_memory(con) -> None:
    """``JOURNEYKIT_MEMORY_LIMIT`` (e.g. ``6GB``) on a DuckDB connection: the most memory it
    may use, spilling the rest to a folder in the system's temporary directory; unset,
    DuckDB's own default (80% of the machine's memory)."""
    from .errors import JourneyDataError

    value = os.environ.get("JOURNEYKIT_MEMORY_LIMIT", "").strip()
    if not value:
        return
    if re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", value, re.IGNORECASE) is None:
        raise JourneyDataError(
            f"JOURNEYKIT_MEMORY_LIMIT={value!r}: expected an amount of memory with a unit, "
            "e.g. '6GB' or '512MB'. Fix: set it so, or unset it for DuckDB's default."
        )
    con.execute(f"SET memory_limit = '{value}'")
    # DuckDB's default spill directory is .tmp in the working directory (a notebook folder)
    spill = Path(tempfile.gettempdir()) / f"journeykit-duckdb-{os.getpid()}"
    con.execute(f"SET temp_directory = '{spill.as_posix()}'")


_names = itertools.count()


def _release(name: str) -> None:
    with contextlib.suppress(Exception):  # also runs at interpreter exit
        connection().con.unregister(name)


def register(arrow):
    """An Arrow table as a table of :func:`connection`, released when the last expression
    using it is gone (Ibis' own memtables stay registered until the interpreter exits:
    +90 MB per call on 1M events)."""
    name = f"journeykit_frame_{next(_names)}"
    connection().con.register(name, arrow)
    table = table_of(name)
    weakref.finalize(table.op(), _release, name)
    return table


def table_of(name: str):
    """The Ibis table ``name`` of :func:`connection`."""
    # Ibis 12 reads the schema with DuckDB's fetch_arrow_table, deprecated in DuckDB 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return connection().table(name)


def to_arrow(frame: pd.DataFrame, columns=None):
    """A pandas frame (or its ``columns``) as an Arrow table, without a copy for numbers,
    timestamps and Arrow-backed text; object columns that Arrow cannot type (mixed kinds)
    become text."""
    import pyarrow as pa

    from .errors import JourneyDataError

    doubled = frame.columns[frame.columns.duplicated()].unique().tolist()
    if doubled:
        raise JourneyDataError(
            f"data: the column name(s) {doubled} occur more than once. Fix: rename or drop "
            "the duplicates (e.g. frame.loc[:, ~frame.columns.duplicated()])."
        )
    arrays = {}
    for name in frame.columns if columns is None else columns:
        arrays[str(name)] = _arrow_column(frame[name])
    return pa.table(arrays)


def _arrow_column(column: pd.Series):
    import pyarrow as pa

    if column.dtype == object and pd.api.types.infer_dtype(column, skipna=True) == "string":
        # Python strings (and missing values): DuckDB's pandas scan converts them in a
        # third of the time Arrow takes (10M event names: 0.25 s instead of 0.57 s)
        return _text_via_duckdb(column)
    try:
        out = pa.array(column, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        out = None
    if out is not None and pa.types.is_timestamp(out.type) and column.dtype == object:
        # Arrow reads naive values among aware ones as UTC: keep them apart as text
        aware = column.map(lambda v: getattr(v, "tzinfo", None) is not None)
        if aware.any() and not aware[column.notna()].all():
            out = None
    if out is None:  # mixed kinds: as text, which read_events checks like any other text
        out = pa.array(column.astype("string[pyarrow]").where(column.notna()), from_pandas=True)
    if pa.types.is_dictionary(out.type):  # categoricals: the engine sees their values
        out = out.dictionary_decode()
    if pa.types.is_timestamp(out.type) and out.type.unit == "ns":
        # DuckDB reads nanosecond instants as TIMESTAMPTZ_NS, a type Ibis does not know;
        # journeykit's timestamps are microseconds anyway
        out = out.cast(pa.timestamp("us", tz=out.type.tz), safe=False)
    return out


def _text_via_duckdb(column: pd.Series):
    import pyarrow as pa

    frame = pd.DataFrame({"text": column.to_numpy()}, copy=False)
    out = connection().con.from_df(frame).to_arrow_table()["text"]
    return pa.chunked_array(out.chunks, pa.string())


def as_table(data, like=None):
    """``data`` as an Ibis table. A pandas frame is registered with :func:`connection`, or
    with ``like``'s backend when that table lives elsewhere (PySpark, ...), so the two can
    be joined."""
    import ibis

    if is_ibis(data):
        return data
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame or an Ibis table, got {type(data).__name__}")
    if like is not None and not on_connection(like):
        return ibis.memtable(data)
    return register(to_arrow(data))


def _backend(expr):
    try:
        return expr._find_backend(use_default=False)
    except Exception:  # noqa: BLE001 - unbound (memtable-only) expressions run on ours
        return None


def on_connection(table) -> bool:
    """True when ``table`` runs on journeykit's own DuckDB (or on no backend yet)."""
    found = _backend(table)
    return found is None or found is connection()


def backend_name(table) -> str:
    """Name of the backend an Ibis table lives on ('duckdb' for journeykit's own)."""
    found = _backend(table)
    return "duckdb" if found is None else found.name


def to_pandas(expr) -> pd.DataFrame:
    """Execute an Ibis expression where its data lives and return tidy pandas.

    Dates come back as datetime64 (midnight); timestamps tz-aware in UTC with microsecond
    resolution whatever the backend (PySpark returns naive instants in its session time
    zone, which the user sets to UTC: ``spark.sql.session.timeZone``, see the README);
    text as pandas' Arrow-backed string dtype (the default string dtype of pandas 3),
    which skips one Python object per value: on 1M customers that is about 100 MB less
    peak memory and a faster conversion.
    """
    # Arrow is the fast path out of every backend (ibis' own to_pandas is ~25% slower here).
    if not hasattr(expr, "schema"):
        expr = expr.as_table()
    return arrow_to_pandas(to_arrow_result(expr))


def arrow_to_pandas(arrow, *, destroy: bool = True) -> pd.DataFrame:
    """An Arrow table as pandas the journeykit way: text as Arrow-backed strings, every
    timestamp as UTC microseconds (naive ones are UTC), dates as midnight UTC.
    ``destroy`` frees the Arrow buffers while converting (lower peak memory); pass False
    when the table shares them with data still in use."""
    import pyarrow as pa

    text, utc = pd.StringDtype("pyarrow"), pd.DatetimeTZDtype("us", "UTC")

    def mapper(kind):
        # timestamps straight to UTC microseconds: a relabel in the conversion, where a
        # tz_convert afterwards copied 10M values twice (0.5 s)
        if pa.types.is_timestamp(kind):
            return utc
        return text if kind in (pa.string(), pa.large_string()) else None

    # split_blocks + self_destruct free Arrow buffers while converting (lower peak memory).
    out = arrow.to_pandas(
        date_as_object=False, split_blocks=True, self_destruct=destroy, types_mapper=mapper
    )
    for name, dtype in out.dtypes.items():  # dates: midnight UTC
        if pd.api.types.is_datetime64_any_dtype(dtype) and dtype != utc:
            out[name] = out[name].dt.tz_localize("UTC").astype(utc)
    return out


def to_arrow_result(expr):
    """Execute an Ibis table expression to an Arrow table, on its backend or ours; a query
    on journeykit's DuckDB that runs longer than :data:`PROGRESS_AFTER` seconds shows its
    progress where :func:`show_progress` says so."""
    if not (on_connection(expr) and show_progress()):
        return (_backend(expr) or connection()).to_pyarrow(expr)
    return _with_progress(lambda: connection().to_pyarrow(expr), connection().con)


#: Seconds a query runs before journeykit shows a progress bar for it.
PROGRESS_AFTER = 2.0


def show_progress() -> bool:
    """Whether long queries show a progress bar: the environment variable
    ``JOURNEYKIT_PROGRESS`` ``on`` or ``off`` decides; unset, they do in a Jupyter kernel
    (``make test`` and ``journeykit run`` set it off: executed notebooks stay clean)."""
    choice = os.environ.get("JOURNEYKIT_PROGRESS", "").strip().lower()
    if choice in {"on", "1", "true", "yes"}:
        return True
    if choice or "IPython" not in sys.modules:
        return False
    shell = sys.modules["IPython"].get_ipython()
    return shell is not None and hasattr(shell, "kernel")


def _with_progress(run, con):
    """``run()`` in a worker thread; after PROGRESS_AFTER seconds a tqdm bar (a widget in
    Jupyter) follows DuckDB's own estimate of the query's progress, or shows the time
    elapsed where DuckDB has none (scans of a pandas frame; files have one). An interrupt
    (the kernel's stop button) interrupts the query."""
    con.execute("SET enable_progress_bar = true; SET enable_progress_bar_print = false")
    pool = ThreadPoolExecutor(1)
    future = pool.submit(run)
    try:
        with contextlib.suppress(FutureTimeout):
            return future.result(timeout=PROGRESS_AFTER)
        from tqdm.auto import tqdm

        with tqdm(total=None, desc="journeykit query", unit="%", leave=False) as bar:
            while True:
                with contextlib.suppress(FutureTimeout):
                    out = future.result(timeout=0.25)
                    if bar.total:  # full: tqdm keeps a bar closed short of it as failed
                        bar.n = bar.total
                    return out
                done = con.query_progress()
                if done >= 0:
                    bar.total = 100
                    bar.n = round(min(done, 100.0), 1)
                    bar.refresh()
    except KeyboardInterrupt:
        con.interrupt()
        raise
    finally:
        pool.shutdown(wait=False)


def materialize(table):
    """``table`` computed into a temporary DuckDB table of :func:`connection` (in DuckDB's
    compressed columnar memory), dropped when the last expression using it is gone."""
    name = f"journeykit_table_{next(_names)}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        connection().create_table(name, table, temp=True)
    out = table_of(name)
    weakref.finalize(out.op(), _drop_table, name)
    return out


def _drop_table(name: str, backend=None) -> None:
    with contextlib.suppress(Exception):  # also runs at interpreter exit
        (backend or connection()).con.execute(f'DROP TABLE IF EXISTS "{name}"')


def keep(table):
    """``table`` computed now and held as an in-memory Arrow table that later queries read
    directly (for work reused across calls, as in an explorer); on another DuckDB connection
    (the user's own) a temporary table of that connection, dropped when the last expression
    using it is gone (an Ibis memtable there would stay registered until the interpreter
    exits). Not Ibis' ``cache()``: on DuckDB its temp tables are dropped by a finalizer that
    fails at interpreter exit and prints a traceback each time."""
    import ibis

    if on_connection(table):
        return register(to_arrow_result(table))
    if backend_name(table) == "duckdb":  # the user's own DuckDB: a temporary table there
        backend, name = _backend(table), f"journeykit_table_{next(_names)}"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            out = backend.create_table(name, table, temp=True)
        weakref.finalize(out.op(), _drop_table, name, backend)
        return out
    return ibis.memtable(to_arrow_result(table))


def distinct(table, column: str) -> list[str]:
    """The distinct non-missing values of ``column``, as sorted text."""
    values = to_pandas(table.select(column).distinct())[column].dropna()
    return sorted(str(v) for v in values)


def is_inf(column, backend: str):
    """True where a float column is +-infinity (Ibis' ``isinf`` is not on every engine)."""
    if backend == "duckdb":
        return column.isinf()
    return column.abs() == float("inf")


#: strftime codes -> Spark's datetime pattern letters (for time_format on PySpark).
SPARK_PATTERN = {
    "%Y": "yyyy", "%y": "yy", "%m": "MM", "%d": "dd", "%H": "HH", "%I": "hh", "%M": "mm",
    "%S": "ss", "%f": "SSSSSS", "%p": "a", "%b": "MMM", "%B": "MMMM", "%j": "DDD",
    "%z": "XX", "%%": "%",
}  # fmt: skip


def _spark_pattern(fmt: str) -> str:
    import re

    parts = re.split(r"(%.)", fmt)
    out = []
    for part in parts:
        if part in SPARK_PATTERN:
            out.append(SPARK_PATTERN[part])
        elif part:
            out.append("'" + part.replace("'", "''") + "'" if re.search("[A-Za-z]", part) else part)
    return "".join(out)


def strptime(text, fmt: str, backend: str):
    """Text parsed with a strftime format; null where a value does not match (never an
    error). With ``%z`` the result is a UTC instant, otherwise a naive wall time."""
    utc = "timestamp('UTC')"
    aware = "%z" in fmt or "%Z" in fmt
    output = utc if aware else "timestamp"
    if backend == "duckdb":
        return _builtin("try_strptime", ("string", "string"), output)(text, fmt)
    if backend == "pyspark":
        parse = _builtin("try_to_timestamp", ("string", "string"), "timestamp")
        out = parse(text, _spark_pattern(fmt))
        return out.cast(utc) if aware else out
    return text.as_timestamp(fmt)


def to_scalar(expr):
    """Execute a scalar Ibis expression (pandas types: a Timestamp for a time)."""
    return to_pandas(expr.as_table()).iloc[0, 0]


def localize(column, tz: str, backend: str):
    """Interpret a naive timestamp column as wall time in ``tz`` and convert it to UTC.

    Ibis has no portable ``tz_localize``; this uses each engine's own function.
    """
    import ibis

    if tz == "UTC" and backend == "duckdb":
        # the wall time is the instant: integer arithmetic, where a cast goes through ICU
        # (on 10M rows 0.05 s against 0.8-3 s)
        utc = ibis.dtype("timestamp('UTC')")
        return _builtin("make_timestamptz", ("int64",), utc)(epoch_us(column, backend))
    if tz == "UTC":
        return column.cast(ibis.dtype("timestamp('UTC')"))
    utc = ibis.dtype("timestamp('UTC')")
    if backend == "duckdb":
        # DuckDB's timezone(zone, naive timestamp) reads the wall time in zone -> instant.
        return _builtin("timezone", ("string", "timestamp"), utc)(tz, column)
    if backend == "pyspark":
        # Spark's to_utc_timestamp(wall time, zone) -> UTC wall time (session zone is UTC).
        to_utc = _builtin("to_utc_timestamp", ("timestamp", "string"), "timestamp")
        return to_utc(column, tz).cast(utc)
    from .errors import JourneyDataError

    raise JourneyDataError(
        f"tz={tz!r}: naive timestamps can only be localized to a time zone other than UTC on "
        f"DuckDB or PySpark, this table lives on {backend!r}. Fix: convert the column to UTC "
        "in the source query, or pass tz='UTC' if the values already are UTC."
    )


def epoch_us(column, backend: str):
    """Microseconds since 1970-01-01 UTC of a tz-aware timestamp column, exact on every
    engine (Ibis' ``epoch_seconds`` is fractional on DuckDB and whole seconds on Spark)."""
    name = {"duckdb": "epoch_us", "pyspark": "unix_micros", "bigquery": "unix_micros"}.get(backend)
    if name is None:
        return (column.epoch_seconds() * 1_000_000).cast("int64")
    return _builtin(name, (column.type(),), "int64")(column)


def arg_min(column, key, backend: str):
    """``column`` at the row of the smallest ``key`` (an integer), nulls in ``column`` kept.

    Ibis compiles ``argmin`` for DuckDB as ``first(column ORDER BY key)``, which DuckDB runs
    through a generic sort key: on 4M attempts in 1M groups its own ``arg_min_null`` took
    0.45 s against 0.65 s. (``arg_min`` would skip rows where ``column`` is null.)
    """
    if backend != "duckdb":
        return column.argmin(key)
    signature = (column.type(), key.type())
    return _builtin("arg_min_null", signature, column.type(), aggregate=True)(column, key)


def utc_wall_clock(column, backend: str):
    """A tz-aware UTC timestamp column as naive UTC wall-clock time, for calendar fields.

    DuckDB computes the calendar fields (date, year, month) of a TIMESTAMPTZ through ICU,
    which is 2-3x slower on 10M rows than on a naive TIMESTAMP; even a plain cast goes
    through ICU. ``make_timestamp(epoch_us(ts))`` stays in integer arithmetic. Elsewhere
    (PySpark keeps naive instants in its session zone, UTC) a cast does the same.
    """
    if backend != "duckdb":
        return column.cast("timestamp")
    return _builtin("make_timestamp", ("int64",), "timestamp")(epoch_us(column, backend))


def next_time(left, at: str, right, name: str):
    """``left`` plus column ``name``: for each row, the earliest ``right.timestamp`` at or
    after ``left[at]`` with the same ``unit`` (null when there is none).

    A RANGE window over the union of both sides: each left row takes the minimum right
    time from itself (ties included) to the unit's end. On the 10M-event benchmark this
    was as fast as DuckDB's ASOF join and needed 40% less memory, and Spark SQL has no
    ASOF join at all.
    """
    import ibis

    schema = left.schema()
    own = {"unit": right["unit"], at: right["timestamp"]}
    columns = {c: own.get(c, ibis.null().cast(schema[c])) for c in left.columns}
    both = left.mutate(side=ibis.literal(0)).union(right.select(**columns, side=ibis.literal(1)))
    w = ibis.window(group_by="unit", order_by=at, range=(0, None))
    both = both.mutate(**{name: both[at].min(where=both["side"] == 1).over(w)})
    return both.filter(both["side"] == 0).select(*left.columns, name)


def keys_repeat(table, values, n: int) -> bool:
    """False when no two of the ``n`` rows of ``table`` share their ``values`` (expressions
    on ``table``); True when some may (a hash collision can say True falsely, never False
    falsely: callers confirm exactly).

    The 64-bit row hashes of DuckDB (``hash``) or Spark (``xxhash64``) are compared instead
    of the tuples. On journeykit's DuckDB numpy compares them: both halves sorted on their
    own thread (numpy's sort releases the GIL), then each half's neighbours and one half
    against the other. For 10M rows on this 2-core machine that takes 0.7 s, where one
    sort took 1.2 s and DuckDB's exact ``count(DISTINCT hash)`` 1.0-1.4 s.
    """
    backend = backend_name(table)
    name = {"duckdb": "hash", "pyspark": "xxhash64"}.get(backend)
    if name is None:
        return to_scalar(distinct_keys(table, values)) < n
    output = "int64" if backend == "pyspark" else "uint64"
    hashed = _builtin(name, tuple(v.type() for v in values), output)(*values)
    if backend != "duckdb":
        return to_scalar(hashed.nunique()) < n
    return _sorted_halves_repeat(to_arrow_result(table.select(h=hashed))["h"])


def distinct_keys(table, values):
    """The count of distinct ``values`` tuples in ``table`` (a lazy scalar), as a SELECT
    DISTINCT any SQL backend runs (BigQuery rejects ``COUNT(DISTINCT STRUCT(...))``)."""
    return table.select(**{f"k{i}": v for i, v in enumerate(values)}).distinct().count()


def _sorted_halves_repeat(column) -> bool:
    import numpy as np

    codes = np.concatenate([chunk.to_numpy() for chunk in column.chunks])  # writable copy
    if len(codes) < 2:
        return False
    half = len(codes) // 2
    a, b = codes[:half], codes[half:]
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(np.ndarray.sort, (a, b)))  # in place, in parallel
        if any(bool((x[1:] == x[:-1]).any()) for x in (a, b)):
            return True

        def across(part):
            at = np.minimum(np.searchsorted(a, part), len(a) - 1)
            return bool((a[at] == part).any())

        quarter = len(b) // 2
        return any(pool.map(across, (b[:quarter], b[quarter:])))
