"""Export files read by the embedded DuckDB: CSV/TSV (compressed too), Parquet (a file, a
directory of parts or a glob) and JSON (lines or an array). The data stays out of pandas.

CSV is where exports go wrong silently, so journeykit does not leave it all to a sniffer:
it reads the header itself (duplicated names are an error, pandas would rename the second
to ``event.1``), detects the delimiter from the first lines, reads identifier and time
columns as text (``007`` stays ``007``; ``NA``, ``null`` and ``None`` are ids; only empty
cells are missing) and refuses rows with another number of fields than the header.
"""

from __future__ import annotations

import bz2
import contextlib
import csv
import glob
import io
import itertools
import lzma
import os
import shutil
import tempfile
import weakref
import zipfile
from pathlib import Path

from . import _engine
from .errors import JourneyDataError

COMPRESSIONS = (".gz", ".bz2", ".zip", ".xz", ".zst")
FILE_TYPES = (".csv", ".tsv", ".txt", ".parquet", ".pq", ".jsonl", ".ndjson", ".json")
DELIMITERS = ",;\t|"
# DuckDB reads these itself; the others are decompressed to a temporary file first.
NATIVE = {".gz": "gzip", ".zst": "zstd"}
OPENERS = {".bz2": bz2.open, ".xz": lzma.open}


def _kind(path: str) -> tuple[str, str | None]:
    """(file type, compression) from the name: ('.csv', '.gz') for 'x.csv.gz'."""
    suffixes = [s.lower() for s in Path(path).suffixes]
    compression = suffixes.pop() if suffixes and suffixes[-1] in COMPRESSIONS else None
    return (suffixes[-1] if suffixes else ""), compression


def is_parquet(source) -> bool:
    """True when ``source`` names Parquet: a .parquet/.pq file or glob, or a directory."""
    source = os.fspath(source)
    return os.path.isdir(source) or _kind(source)[0] in (".parquet", ".pq")


def _relative_hint(source: str) -> str:
    """' (relative paths start at ...)' for a relative path: where it was looked for."""
    if os.path.isabs(source):
        return ""
    return f" (relative paths start at the current directory, {os.getcwd()!r})"


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _parquet_files(source: str) -> str:
    """The glob of Parquet parts DuckDB should read for a file, a directory or a glob."""
    if os.path.isdir(source):
        parts = glob.glob(os.path.join(source, "**", "*.parquet"), recursive=True)
        if not parts:
            raise JourneyDataError(
                f"source={source!r}: the directory holds no .parquet files. Fix: pass the "
                "directory of the Parquet parts (hive partitions such as date=2024-01-01/ are "
                "read too), or the path of one file."
            )
        return os.path.join(source, "**", "*.parquet")
    if glob.has_magic(source):
        if not glob.glob(source, recursive=True):
            raise JourneyDataError(
                f"source={source!r}: no file matches this pattern. Fix: check the pattern"
                f"{_relative_hint(source)}."
            )
        return source
    return source


def _lines(path: str, compression: str | None, n: int = 50) -> list[str]:
    """The first ``n`` lines of a text file, decompressed."""
    if compression == ".zip":
        with zipfile.ZipFile(path) as archive:
            names = [i for i in archive.namelist() if not i.endswith("/")]
            with archive.open(names[0]) as raw:
                return _first_lines(io.TextIOWrapper(raw, encoding="utf-8-sig"), n)
    if compression == ".gz":
        import gzip

        opener = gzip.open
    elif compression == ".zst":
        import pyarrow as pa

        def opener(p, mode, encoding):
            return io.TextIOWrapper(pa.input_stream(p, compression="zstd"), encoding=encoding)
    else:
        opener = OPENERS.get(compression, open)
    with opener(path, "rt", encoding="utf-8-sig") as fh:
        return _first_lines(fh, n)


def _first_lines(fh, n: int) -> list[str]:
    out = []
    for line in fh:
        out.append(line)
        if len(out) >= n:
            break
    return out


def _dialect(path: str, kind: str, compression: str | None) -> tuple[str, list[str]]:
    """(delimiter, header names) of a CSV/TSV file."""
    try:
        lines = _lines(path, compression)
    except (OSError, UnicodeDecodeError, EOFError, zipfile.BadZipFile, lzma.LZMAError) as exc:
        raise JourneyDataError(
            f"source={path!r}: the file could not be read as text ({type(exc).__name__}: "
            f"{exc}). Fix: check that it is complete, UTF-8 and compressed as its name says."
        ) from None
    if not lines or not lines[0].strip():
        raise JourneyDataError(
            f"source={path!r}: the file is empty (no header line). Fix: check the export."
        )
    if kind == ".tsv":
        delimiter = "\t"
    else:
        counts = {d: lines[0].count(d) for d in DELIMITERS}
        delimiter = max(counts, key=counts.get) if max(counts.values()) else ","
        with contextlib.suppress(csv.Error):
            delimiter = csv.Sniffer().sniff("".join(lines[:20]), delimiters=DELIMITERS).delimiter
    header = next(csv.reader([lines[0]], delimiter=delimiter))
    header = [h.strip() for h in header]
    doubled = sorted({h for h in header if header.count(h) > 1})
    if doubled:
        raise JourneyDataError(
            f"source={path!r}: the header names the column(s) {doubled} more than once "
            f"(header: {header}). Fix: give every column its own name in the export."
        )
    if any(not h for h in header):
        raise JourneyDataError(
            f"source={path!r}: the header has an empty column name (header: {header}). Fix: "
            "name every column in the export (or remove the trailing delimiter)."
        )
    return delimiter, header


def _ragged(path: str, compression: str | None, delimiter: str, width: int) -> str | None:
    """A sentence naming the first row whose number of fields differs from the header's."""
    lines = _lines(path, compression, n=1_000_000)
    for number, fields in enumerate(csv.reader(lines, delimiter=delimiter), start=1):
        if fields and len(fields) != width:
            return f"line {number} has {len(fields)} fields where the header has {width}: {fields}"
    return None


def _decompressed(path: str, compression: str) -> str:
    """A temporary uncompressed copy of a .bz2/.xz/.zip file (DuckDB reads gzip and zstd
    itself); it is deleted when the table read from it is dropped."""
    kind, _ = _kind(path)
    handle, target = tempfile.mkstemp(suffix=kind, prefix="journeykit-")
    with os.fdopen(handle, "wb") as out:
        if compression == ".zip":
            with zipfile.ZipFile(path) as archive:
                names = [i for i in archive.namelist() if not i.endswith("/")]
                with archive.open(names[0]) as raw:
                    shutil.copyfileobj(raw, out)
        else:
            with OPENERS[compression](path, "rb") as raw:
                shutil.copyfileobj(raw, out)
    return target


def _drop(kind: str, name: str, temporary: str | None) -> None:
    with contextlib.suppress(Exception):  # also runs at interpreter exit
        _engine.connection().con.execute(f'DROP {kind} IF EXISTS "{name}"')
    if temporary:
        with contextlib.suppress(OSError):
            os.remove(temporary)


_counter = itertools.count(1)


def _create(kind: str, select: str, temporary: str | None = None):
    """A temporary view or table of ``select`` on journeykit's DuckDB, dropped when the
    last expression using it is gone."""
    name = f"journeykit_file_{next(_counter)}"
    _engine.connection().con.execute(f'CREATE TEMPORARY {kind} "{name}" AS {select}')
    table = _engine.table_of(name)
    weakref.finalize(table.op(), _drop, kind, name, temporary)
    return table


def open_file(source, *, text_columns=()):
    """``source`` (a path or glob) as an Ibis table on journeykit's DuckDB.

    Parquet stays a lazy view (each query scans the file, as fast as reading it into
    memory); CSV and JSON are parsed once into a DuckDB table (in DuckDB's compressed
    columnar memory, not pandas), since parsing text again for every query would cost more.
    ``text_columns`` of a CSV are read as text whatever they look like.
    """
    import duckdb

    source = os.fspath(source)
    kind, compression = _kind(source)
    is_glob = glob.has_magic(source)
    if not os.path.isdir(source) and kind not in FILE_TYPES:
        raise JourneyDataError(
            f"source={source!r}: file type {kind or '(none)'!r} is not supported; expected one "
            f"of {list(FILE_TYPES)}, optionally compressed with {list(COMPRESSIONS)}, or a "
            "directory of Parquet files. Fix: export CSV or Parquet, or load the data yourself "
            "and pass the DataFrame."
        )
    if not (os.path.exists(source) or is_glob):
        raise JourneyDataError(
            f"source={source!r}: no such file. Fix: check the path{_relative_hint(source)}."
        )
    if is_parquet(source):
        files = _parquet_files(source)
        select = (
            f"SELECT * FROM read_parquet({_quote(files)}, hive_partitioning = true, "
            "union_by_name = true)"
        )
        return _read(lambda: _create("VIEW", select), source, "Parquet")
    if is_glob:
        raise JourneyDataError(
            f"source={source!r}: patterns are read for Parquet parts only. Fix: combine the "
            "text files into one, or convert them to Parquet."
        )
    temporary = None
    path = source
    if compression in OPENERS or compression == ".zip":
        path = temporary = _decompressed(source, compression)
    if kind in (".jsonl", ".ndjson", ".json"):
        select = f"SELECT * FROM read_json({_quote(path)}, format = 'auto')"
        return _read(lambda: _create("TABLE", select, temporary), source, "JSON")
    delimiter, header = _dialect(source, kind, compression)
    types = {c: "VARCHAR" for c in header if c in set(text_columns)}
    options = [
        f"delim = {_quote(delimiter)}",
        "header = true",
        "strict_mode = true",
        "null_padding = false",
        f"compression = {_quote(NATIVE.get(compression, 'none'))}",
    ]
    if types:
        struct = ", ".join(f"{_quote(c)}: 'VARCHAR'" for c in types)
        options.append(f"types = {{{struct}}}")
    select = f"SELECT * FROM read_csv({_quote(path)}, {', '.join(options)}"
    try:
        return _create("TABLE", select + ")", temporary)
    except duckdb.Error as exc:
        first = exc
    problem = _ragged(source, compression, delimiter, len(header))
    if problem is None:
        # DuckDB types columns from a sample of rows; a value further down that does not fit
        # the sampled type fails the read, so type them from every row instead.
        try:
            return _create("TABLE", select + ", sample_size = -1)", temporary)
        except duckdb.Error as exc:
            problem = str(exc).splitlines()[0]
    if temporary:
        with contextlib.suppress(OSError):
            os.remove(temporary)
    raise JourneyDataError(
        f"source={source!r}: the file could not be read as {kind[1:].upper()} with delimiter "
        f"{delimiter!r}: {problem}. Fix: repair that row in the export (quote values that "
        "contain the delimiter), or load the file yourself and pass the DataFrame. (DuckDB "
        f"said: {str(first).splitlines()[0]})"
    ) from None


def _read(make, source: str, what: str):
    import duckdb

    try:
        return make()
    except duckdb.Error as exc:
        raise JourneyDataError(
            f"source={source!r}: the file could not be read as {what} "
            f"({str(exc).splitlines()[0]}). Fix: check that the file is complete and of the "
            "type its name says."
        ) from None
