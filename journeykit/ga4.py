"""Google Analytics 4's BigQuery export as journeykit events.

GA4 exports one row per event into the daily tables ``events_YYYYMMDD`` of the BigQuery
dataset ``analytics_<property_id>``. The columns journeykit reads (Google, "[GA4] BigQuery
Export schema", https://support.google.com/analytics/answer/7029846):

- ``event_timestamp`` INT64: when the event happened, microseconds since 1970-01-01 UTC;
- ``event_date`` STRING ``YYYYMMDD``: the day of the event in the property's reporting
  time zone (not UTC);
- ``event_name`` STRING; ``user_pseudo_id`` STRING (the pseudonymous id of a browser or app
  instance); ``user_id`` STRING (your own id, when the site sets one);
- ``event_params`` ARRAY<STRUCT<key STRING, value STRUCT<string_value STRING, int_value
  INT64, float_value FLOAT64, double_value FLOAT64>>>: the event's parameters, each value in
  one of the four typed fields (GA4 picks the field from the type of the value sent);
  ``ga_session_id`` (an INT64, the session's start in epoch seconds) ties the events of a
  session together with ``user_pseudo_id``;
- ``ecommerce`` STRUCT: ``transaction_id``, ``purchase_revenue``,
  ``purchase_revenue_in_usd``, ``shipping_value``, ``tax_value``, ``total_item_quantity``, ...
  (set on e-commerce events);
- ``traffic_source`` STRUCT<name, medium, source>: the campaign, medium and source that
  first acquired the user; ``session_traffic_source_last_click`` (added to exports in 2024):
  the session's last-click source, ``manual_campaign.source`` and ``.medium`` among it
  (Google, "Traffic attribution data",
  https://developers.google.com/analytics/bigquery/traffic-attribution-data);
- ``device`` STRUCT (``category``: desktop, mobile, tablet) and ``geo`` STRUCT
  (``country``, ...).

:func:`flatten_ga4` turns such a table into one flat row per event with journeykit's
canonical columns and one column per requested parameter, written as Ibis expressions only
(an array filter and map per parameter: no unnest, no row ids), so the same code runs on
BigQuery, DuckDB and PySpark. :func:`event_params` lists the parameters a table holds.
"""

from __future__ import annotations

import os
import warnings

import pandas as pd

from . import _engine
from .checks import check_choice, suggest
from .errors import JourneyDataError, JourneyWarning

#: The event parameters flattened by default (GA4 sets them on web events; ``source``,
#: ``medium`` and ``campaign`` only on events that arrived with campaign or referral data).
PARAMS = (
    "ga_session_id",
    "ga_session_number",
    "page_location",
    "page_referrer",
    "page_title",
    "source",
    "medium",
    "campaign",
)
#: The column types a parameter can be read as (``None`` in ``params``: detected).
TYPES = ("string", "int", "float")
#: Where ``channel`` comes from: the event's own parameters, the session's last click, or
#: the user's first acquisition.
CHANNELS = ("event", "session", "user", None)
#: The typed fields of a parameter's value, in the export's order.
VALUE_FIELDS = ("string_value", "int_value", "float_value", "double_value")
#: GA4's text for a value it has not got (e.g. ``ecommerce.transaction_id`` of events
#: that are no purchase): read as missing.
NOT_SET = "(not set)"

_VALUE = (
    "struct<string_value: string, int_value: int64, float_value: float64, double_value: float64>"
)
#: The export's types of the columns journeykit reads (a DataFrame of GA4 rows is typed by
#: them, so nested dicts may leave out the fields they do not use).
COLUMN_TYPES = {
    "event_date": "string",
    "event_timestamp": "int64",
    "event_name": "string",
    "event_params": f"array<struct<key: string, value: {_VALUE}>>",
    "user_id": "string",
    "user_pseudo_id": "string",
    "ecommerce": (
        "struct<total_item_quantity: int64, purchase_revenue_in_usd: float64, "
        "purchase_revenue: float64, refund_value_in_usd: float64, refund_value: float64, "
        "shipping_value_in_usd: float64, shipping_value: float64, tax_value_in_usd: float64, "
        "tax_value: float64, unique_items: int64, transaction_id: string>"
    ),
    "traffic_source": "struct<name: string, medium: string, source: string>",
}
#: The columns a table needs to be GA4-shaped.
REQUIRED = ("event_timestamp", "event_name", "user_pseudo_id", "event_params")
#: Largest magnitude of a double read as a whole number (int64 holds up to 9.22e18).
_WHOLE_LIMIT = 9.0e18
_DIGITS = r"^\s*[+-]?\d{1,18}\s*$"
_NUMBER = r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$"


# --------------------------------------------------------------------------- input


def _fail(text: str) -> None:
    raise JourneyDataError(text)


def _as_table(source):
    """``source`` as an Ibis table, and whether it was a DataFrame (pandas out then)."""
    if _engine.is_ibis(source):
        if not hasattr(source, "schema") or not hasattr(source, "aggregate"):
            _fail(
                f"source: expected an Ibis table; got an Ibis {type(source).__name__}. Fix: "
                "pass the table itself (e.g. con.table('events_*'))."
            )
        return source, False
    if isinstance(source, (str, os.PathLike)):
        from . import files

        return files.open_file(source), False
    if isinstance(source, pd.DataFrame):
        return _frame_table(source), True
    _fail(
        f"source: expected an Ibis table (BigQuery, DuckDB, PySpark, ...), a Parquet or JSON "
        f"export of GA4 events or a pandas DataFrame of them; got {type(source).__name__}. "
        "Fix: pass e.g. ibis.bigquery.connect(...).table('events_*')."
    )


def _frame_table(frame: pd.DataFrame):
    """A DataFrame of GA4 rows on journeykit's DuckDB, the GA4 columns typed as exported."""
    import ibis
    import pyarrow as pa

    doubled = frame.columns[frame.columns.duplicated()].unique().tolist()
    if doubled:
        _fail(
            f"source: the column name(s) {doubled} occur more than once in the DataFrame. "
            "Fix: rename or drop the duplicates."
        )
    arrays = {}
    for name in frame.columns:
        column = frame[name]
        if name in COLUMN_TYPES:
            kind = ibis.dtype(COLUMN_TYPES[name]).to_pyarrow()
            values = column.astype(object).where(column.notna(), None)
            try:
                arrays[str(name)] = pa.array(values.tolist(), type=kind)
            except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError) as exc:
                _fail(
                    f"source: column {name!r} does not hold GA4's {COLUMN_TYPES[name]} "
                    f"({exc}). Fix: give it the shape of the BigQuery export (for "
                    "event_params a list of {'key': ..., 'value': {'string_value': ...}} "
                    "dicts per row)."
                )
        else:
            arrays[str(name)] = _engine.to_arrow(frame[[name]])[str(name)]
    return _engine.register(pa.table(arrays))


def _field(struct_type, name):
    """The type of field ``name`` of a struct type, or None."""
    if struct_type is None or not struct_type.is_struct():
        return None
    return struct_type.fields.get(name)


def _shape(table) -> dict:
    """What the table holds, checked against GA4's export schema (no query)."""
    schema = table.schema()
    columns = list(schema.names)
    missing = [c for c in REQUIRED if c not in schema]
    if missing:
        looks_flat = "event_params" not in schema and any(
            c in schema for c in ("customer_id", "timestamp", "event", "page_location")
        )
        hint = (
            " The table looks flat already: pass it to read_events directly." if looks_flat else ""
        )
        _fail(
            f"source: not a GA4 BigQuery export; expected the columns {list(REQUIRED)}, "
            f"missing {missing}. {suggest(missing[0], columns)}{hint} Fix: pass the export's "
            "events table (analytics_<property_id>.events_*) or a Parquet copy of it."
        )
    for name, test, expected in (
        ("event_timestamp", lambda k: k.is_integer() or k.is_timestamp(), "INT64 microseconds"),
        ("event_name", lambda k: k.is_string(), "STRING"),
        ("user_pseudo_id", lambda k: k.is_string(), "STRING"),
    ):
        if not test(schema[name]):
            _fail(
                f"source: column {name!r} holds {schema[name]}, expected {expected} as in "
                "GA4's BigQuery export. Fix: pass the export's events table unchanged."
            )
    params = schema["event_params"]
    element = params.value_type if params.is_array() else None
    value = _field(element, "value")
    fields = [f for f in VALUE_FIELDS if _field(value, f) is not None]
    key = _field(element, "key")
    if key is None or not key.is_string() or not fields:
        _fail(
            f"source: column 'event_params' holds {params}, expected GA4's "
            "ARRAY<STRUCT<key STRING, value STRUCT<string_value STRING, int_value INT64, "
            "float_value FLOAT64, double_value FLOAT64>>>. Fix: pass the export's events "
            "table unchanged (an export to CSV loses the nesting; export Parquet or JSON)."
        )
    return {"schema": schema, "value_fields": fields}


# --------------------------------------------------------------------------- params


def _per_event(table, key: str, value_of):
    """``value_of(value)`` of parameter ``key`` per event, from the parameter's value
    struct (null where the event lacks the key): one array filter and map, whose result
    the engine reduces with ``max``, so an event that repeats a key (GA4 does not) takes
    its largest value, on every engine."""
    chosen = table["event_params"].filter(lambda p: p.key == key)
    return chosen.map(lambda p: value_of(p.value)).maxs()


def _first(value, names):
    """The first non-null of the typed fields ``names`` of a value struct."""
    import ibis

    parts = [value[name] for name in names]
    return parts[0] if len(parts) == 1 else ibis.coalesce(*parts)


def _as_number(text, kind: str):
    import ibis

    pattern = _DIGITS if kind == "int64" else _NUMBER
    return ibis.ifelse(text.re_search(pattern), text, ibis.null("string")).cast(kind)


def _whole(number):
    import ibis

    # the range first: a floor or cast beyond int64 is an error on BigQuery and ANSI Spark
    inside = ibis.ifelse(number.abs() < _WHOLE_LIMIT, number, ibis.null("float64"))
    return ibis.ifelse(inside == inside.floor(), inside, ibis.null("float64")).cast("int64")


def _typed(value, kind: str, fields):
    """One parameter value struct as ``kind`` (the order of :func:`param_column`)."""
    import ibis

    text = value["string_value"] if "string_value" in fields else None
    integer = value["int_value"] if "int_value" in fields else None
    floats = [value[f] for f in ("double_value", "float_value") if f in fields]
    numbers = ([integer] if integer is not None else []) + floats
    if kind == "string":
        parts = ([text] if text is not None else []) + [v.cast("string") for v in numbers]
    elif kind == "float":
        parts = floats + ([integer.cast("float64")] if integer is not None else [])
        parts += [_as_number(text, "float64")] if text is not None else []
    else:
        parts = ([integer] if integer is not None else []) + [_whole(v) for v in floats]
        parts += [_as_number(text, "int64")] if text is not None else []
    out = parts[0] if len(parts) == 1 else ibis.coalesce(*parts)
    return out.cast({"string": "string", "float": "float64", "int": "int64"}[kind])


def param_column(table, key: str, kind: str, fields):
    """Parameter ``key`` of each event as one column of ``kind`` ('string', 'int' or
    'float'), from the typed value ``fields`` the table has: the first non-null of them,
    in this order --

    - string: ``string_value``, then ``int_value``, ``double_value``, ``float_value`` as text;
    - float: ``double_value``, ``float_value``, ``int_value``, then ``string_value`` when it
      is a number;
    - int: ``int_value``, then ``double_value`` or ``float_value`` when whole, then
      ``string_value`` when it is a whole number.
    """
    return _per_event(table, key, lambda value: _typed(value, kind, fields))


def _param_types(params) -> dict:
    """``params`` (names, or {name: type or None}) as {name: type or None}, checked."""
    if isinstance(params, str):
        params = [params]
    if isinstance(params, dict):
        pairs = list(params.items())
    else:
        try:
            pairs = [(name, None) for name in params]
        except TypeError:
            pairs = None
    if pairs is None or not all(isinstance(k, str) and k.strip() for k, _ in pairs):
        _fail(
            f"params={params!r}: expected event parameter names (a list of text such as "
            "['ga_session_id', 'page_location']) or {name: type} with the types "
            f"{list(TYPES)} (None: detected). Fix: pass e.g. params=['page_location', "
            "'value'] or params={'value': 'float'}."
        )
    names = [k for k, _ in pairs]
    doubled = sorted({n for n in names if names.count(n) > 1})
    if doubled:
        _fail(f"params: {doubled} named more than once. Fix: name each parameter once.")
    for name, kind in pairs:
        if kind is not None and kind not in TYPES:
            _fail(
                f"params: the type {kind!r} of {name!r} is not supported; expected one of "
                f"{list(TYPES)} or None (detected from the data). Fix: e.g. "
                f"params={{{name!r}: 'float'}}."
            )
    return dict(pairs)


def _detected(found: dict, key: str) -> str | None:
    """The column type of parameter ``key`` from the counts of its typed values: text if
    any value is text, else float if any is a double or float, else int; None if absent."""
    if found.get(f"{key}\x00string", 0):
        return "string"
    if found.get(f"{key}\x00float", 0):
        return "float"
    if found.get(f"{key}\x00int", 0):
        return "int"
    return None


def count_query(table, keys, fields, person):
    """The one-row aggregate :func:`flatten_ga4` runs (no query runs here): the events
    ``n``, those without a customer id ``person`` (``anonymous``), and per parameter
    ``key`` the events with a text (``key\x00string``), an int and a float value."""
    groups = {"string": ["string_value"], "int": ["int_value"]}
    groups["float"] = ["double_value", "float_value"]
    checks = {"n": table.count(), "anonymous": person.isnull().cast("int64").sum()}
    for key in keys:
        for kind, names in groups.items():
            names = [name for name in names if name in fields]
            if names:
                hit = _per_event(table, key, lambda value, names=names: _first(value, names))
                checks[f"{key}\x00{kind}"] = hit.notnull().cast("int64").sum()
    # plain column names for every engine (c0, c1, ...), named back after the query
    plain = {f"c{i}": check for i, check in enumerate(checks.values())}
    return table.aggregate(**plain), list(checks)


def _counts(table, keys, fields, person) -> dict:
    query, names = count_query(table, keys, fields, person)
    row = _engine.to_pandas(query).iloc[0]
    return {name: int(0 if pd.isna(row[f"c{i}"]) else row[f"c{i}"]) for i, name in enumerate(names)}


def params_query(table, fields):
    """The query :func:`event_params` runs (no query runs here): per parameter key, the
    events with it and with each type of value."""
    import ibis

    unnested = table.select(p=table["event_params"].unnest())
    value = unnested["p"]["value"]

    def count(names):
        hits = [value[f].notnull() for f in names if f in fields]
        if not hits:
            return ibis.literal(0)
        hit = hits[0] if len(hits) == 1 else hits[0] | hits[1]
        return hit.cast("int64").sum()

    return unnested.group_by(key=unnested["p"]["key"]).aggregate(
        n=unnested.count(),
        n_string=count(["string_value"]),
        n_int=count(["int_value"]),
        n_float=count(["double_value", "float_value"]),
    )


# --------------------------------------------------------------------------- public


def event_params(source) -> pd.DataFrame:
    """The event parameters a GA4 export holds, with the types of their values.

    Parameters
    ----------
    source : Ibis table, str, path or pandas.DataFrame
        GA4 events as exported to BigQuery (see :func:`flatten_ga4`).

    Returns
    -------
    pandas.DataFrame
        One row per parameter key, most frequent first: ``n`` (events with the key),
        ``n_string``, ``n_int`` and ``n_float`` (events whose value is in ``string_value``,
        ``int_value``, or ``double_value``/``float_value``) and ``type``, the column type
        :func:`flatten_ga4` reads it as (text if any value is text, else float if any is
        a double or float, else int).

    Examples
    --------
    >>> import pandas as pd
    >>> rows = pd.DataFrame({
    ...     "event_timestamp": [1709290800000000, 1709290860000000],
    ...     "event_name": ["page_view", "purchase"],
    ...     "user_pseudo_id": ["1.1", "1.1"],
    ...     "event_params": [
    ...         [{"key": "ga_session_id", "value": {"int_value": 1709290800}}],
    ...         [{"key": "ga_session_id", "value": {"int_value": 1709290800}},
    ...          {"key": "value", "value": {"double_value": 25.0}}]]})
    >>> event_params(rows)
                 key  n  n_string  n_int  n_float   type
    0  ga_session_id  2         0      2        0    int
    1          value  1         0      0        1  float
    """
    table, _ = _as_table(source)
    grouped = params_query(table, _shape(table)["value_fields"])
    out = _engine.to_pandas(grouped).dropna(subset=["key"])
    for column in ("n", "n_string", "n_int", "n_float"):
        out[column] = out[column].fillna(0).astype("int64")
    out["type"] = [
        "string" if s else "float" if f else "int" if i else None
        for s, i, f in zip(out["n_string"], out["n_int"], out["n_float"])
    ]
    out = out.sort_values(["n", "key"], ascending=[False, True], kind="stable")
    return out.reset_index(drop=True)


def _text_field(schema, path):
    """The expression path (column, field, field...) when it exists as text, else None."""
    kind = schema[path[0]] if path[0] in schema else None
    for name in path[1:]:
        kind = _field(kind, name)
    return kind is not None and kind.is_string()


def _nested(table, path):
    out = table[path[0]]
    for name in path[1:]:
        out = out[name]
    return out


def _source_medium(source, medium):
    """``'source / medium'`` as GA4 writes it ('google / organic', '(direct) / (none)');
    missing when both are, a missing half as ``(not set)``."""
    import ibis

    text = source.fill_null(NOT_SET) + " / " + medium.fill_null(NOT_SET)
    return ibis.ifelse(source.isnull() & medium.isnull(), ibis.null("string"), text)


def _missing_if_unset(text):
    import ibis

    return ibis.ifelse(text.isin([NOT_SET, ""]), ibis.null("string"), text)


#: channel= -> the (source, medium) fields it reads outside event_params.
_CHANNEL_FIELDS = {
    "user": (("traffic_source", "source"), ("traffic_source", "medium")),
    "session": (
        ("session_traffic_source_last_click", "manual_campaign", "source"),
        ("session_traffic_source_last_click", "manual_campaign", "medium"),
    ),
}


def _check_options(schema, *, customer, revenue, channel) -> None:
    check_choice("customer", customer, ("user_pseudo_id", "user_id"))
    check_choice("channel", channel, CHANNELS)
    if customer == "user_id" and not _text_field(schema, ("user_id",)):
        _fail(
            "customer='user_id': the table has no text column 'user_id' (GA4 exports it as "
            "STRING, set where your site sends a user id). Fix: pass "
            "customer='user_pseudo_id'."
        )
    if revenue is not None:
        ecommerce = schema["ecommerce"] if "ecommerce" in schema else None
        numeric = [n for n, k in ecommerce.fields.items() if k.is_numeric()] if ecommerce else []
        kind = _field(ecommerce, revenue) if isinstance(revenue, str) else None
        if kind is None or not kind.is_numeric():
            where = (
                f"a number field of 'ecommerce' (it has {numeric})"
                if ecommerce is not None and ecommerce.is_struct()
                else "a field of the struct column 'ecommerce', which the table lacks"
            )
            _fail(
                f"revenue={revenue!r}: expected {where}, such as 'purchase_revenue' or "
                "'purchase_revenue_in_usd'. Fix: pass one of those, or revenue=None for no "
                "revenue column."
            )
    if channel in _CHANNEL_FIELDS:
        for path in _CHANNEL_FIELDS[channel]:
            if not _text_field(schema, path):
                dotted = ".".join(path)
                _fail(
                    f"channel={channel!r}: the table has no text field {dotted!r} (exports "
                    "from before 2024 lack session_traffic_source_last_click). Fix: pass "
                    "channel='event' (the events' source and medium parameters), 'user' (the "
                    "user's first acquisition, traffic_source) or None."
                )


def flatten_ga4(
    source,
    *,
    params=PARAMS,
    customer: str = "user_pseudo_id",
    revenue: str | None = "purchase_revenue",
    channel: str | None = "event",
):
    """GA4's BigQuery export as one flat row per event, ready for :func:`read_events`.

    GA4 nests each event's parameters in ``event_params``, an array of key/value records
    whose value sits in one of four typed fields (``string_value``, ``int_value``,
    ``float_value``, ``double_value``). This reads the requested parameters into columns of
    one type each and derives journeykit's canonical columns, with Ibis expressions only
    (an array filter and map per parameter), so it runs where the table lives: BigQuery,
    DuckDB or PySpark. The table stays lazy; one aggregate query (which parameters hold
    which types, and events without a user id) runs now.

    Parameters
    ----------
    source : Ibis table, str, path or pandas.DataFrame
        GA4 events as exported to BigQuery (``analytics_<property_id>.events_*``, on
        BigQuery through ``ibis.bigquery.connect``), a Parquet or JSON copy of them (read by
        the embedded DuckDB), a PySpark table of them, or a DataFrame of such rows. It needs
        ``event_timestamp``, ``event_name``, ``user_pseudo_id`` and ``event_params``;
        ``event_date``, ``user_id``, ``ecommerce``, ``traffic_source``, ``device`` and
        ``geo`` are used when present. Any other column is left out.
    params : list of str, or dict
        The event parameters to read into columns of the same names (:data:`PARAMS` by
        default). A list detects each one's type from the data; ``{name: type}`` fixes it
        (``'string'``, ``'int'`` or ``'float'``; ``None``: detected). A parameter you name
        that no event has is a ``JourneyWarning`` and a column of missing values.
    customer : {'user_pseudo_id', 'user_id'}
        The customer id: GA4's pseudonymous browser/app-instance id, or your own
        ``user_id`` where the event has one and ``user_pseudo_id`` where it has not (events
        before a login keep the device's id).
    revenue : str or None
        The ``ecommerce`` field that becomes ``revenue`` (``'purchase_revenue'``, in the
        event's currency; ``'purchase_revenue_in_usd'``); ``None``: no revenue column.
    channel : {'event', 'session', 'user', None}
        Where ``channel`` comes from, as ``'source / medium'`` (``'google / cpc'``):
        ``'event'`` the event's own ``source`` and ``medium`` parameters (set on the events
        of a visit that arrived with campaign or referral data, missing on the others);
        ``'session'`` the session's last click
        (``session_traffic_source_last_click.manual_campaign``, in exports since 2024);
        ``'user'`` the source that first acquired the user (``traffic_source``, the same on
        every event of a user); ``None``: no channel column.

    Returns
    -------
    Ibis table or pandas.DataFrame
        A lazy Ibis table on the source's backend (a DataFrame for a DataFrame), one row per
        event that has a customer id, with

        - ``customer_id`` (text), ``timestamp`` (UTC, from ``event_timestamp``'s
          microseconds), ``event`` (``event_name``);
        - ``revenue`` (float; missing on events without it), ``channel`` (text),
          ``session_id`` (``user_pseudo_id`` and ``ga_session_id`` joined by ``-``: GA4's
          session is the pair, ``ga_session_id`` alone repeats across users; missing where
          the event has no ``ga_session_id``), ``order_id`` (``ecommerce.transaction_id``;
          GA4's ``(not set)`` and empty text are missing);
        - ``event_date`` (GA4's ``YYYYMMDD`` day in the property's time zone),
          ``user_pseudo_id``, ``user_id``, ``device_category`` (``device.category``) and
          ``country`` (``geo.country``), those the table has;
        - one column per parameter in ``params``.

        ``read_events`` finds every canonical column by its name:
        ``jk.read_events(flatten_ga4(table))``.

    Raises
    ------
    JourneyDataError
        When the table is not GA4-shaped (a missing column, ``event_params`` of another
        type, e.g. flattened by a CSV export), an option names a field the table lacks, a
        parameter name collides with an output column, or the table is empty.

    Warns
    -----
    JourneyWarning
        For events without a customer id (left out: under consent mode GA4 exports events
        of users who declined analytics storage without ``user_pseudo_id``), a parameter
        named in ``params`` that no event has, and a table without ``ga_session_id``.

    Notes
    -----
    A parameter's column type and value:

    - detected type: text if any event has its value in ``string_value``, else float if any
      has a ``double_value`` or ``float_value``, else int (``ga_session_id`` is an int,
      ``page_location`` text, ``value`` a float);
    - value: the first non-null of the typed fields, in this order -- text:
      ``string_value``, then ``int_value``, ``double_value``, ``float_value`` written as
      text (as each engine writes numbers); float: ``double_value``, ``float_value``,
      ``int_value``, then ``string_value`` when it is a number; int: ``int_value``, then
      ``double_value`` or ``float_value`` when whole, then ``string_value`` when it is a
      whole number. Anything else is missing.

    :func:`event_params` lists the parameters a table holds and the type each gets. On
    BigQuery, pick the days first: BigQuery bills the columns each query reads of every
    daily table it covers, so filter ``con.table('events_*')`` by its ``_TABLE_SUFFIX``
    (``t.filter(t._TABLE_SUFFIX.between('20240101', '20240331'))``); a filter on
    ``event_date`` still reads every table.

    Examples
    --------
    >>> import pandas as pd
    >>> import journeykit as jk
    >>> from journeykit.ga4 import flatten_ga4
    >>> def param(key, **value):
    ...     return {"key": key, "value": value}
    >>> ga4 = pd.DataFrame({
    ...     "event_date": ["20240301", "20240301", "20240301"],
    ...     "event_timestamp": [1709290800000000, 1709290860000000, 1709290920500000],
    ...     "event_name": ["page_view", "add_to_cart", "purchase"],
    ...     "user_pseudo_id": ["1.1", "1.1", "1.1"],
    ...     "event_params": [
    ...         [param("ga_session_id", int_value=1709290800),
    ...          param("source", string_value="google"), param("medium", string_value="cpc")],
    ...         [param("ga_session_id", int_value=1709290800)],
    ...         [param("ga_session_id", int_value=1709290800),
    ...          param("value", double_value=25.5)]],
    ...     "ecommerce": [None, None, {"purchase_revenue": 25.5, "transaction_id": "T1"}]})
    >>> flat = flatten_ga4(ga4, params={"ga_session_id": None, "value": "float"})
    >>> flat[["event", "channel", "session_id", "order_id", "revenue", "value"]]
             event       channel      session_id order_id  revenue  value
    0    page_view  google / cpc  1.1-1709290800     <NA>      NaN    NaN
    1  add_to_cart          <NA>  1.1-1709290800     <NA>      NaN    NaN
    2     purchase          <NA>  1.1-1709290800       T1     25.5   25.5
    >>> flat["timestamp"].iloc[2]
    Timestamp('2024-03-01 11:02:00.500000+0000', tz='UTC')
    >>> events = jk.read_events(flat)
    >>> jk.customer_summary(events)[["customer_id", "n_events", "n_orders", "revenue"]]
      customer_id  n_events  n_orders  revenue
    0         1.1         3         1     25.5
    """
    types = _param_types(params)
    table, pandas_out = _as_table(source)
    shape = _shape(table)
    schema, fields = shape["schema"], shape["value_fields"]
    _check_options(schema, customer=customer, revenue=revenue, channel=channel)
    own = _own_columns(schema, revenue=revenue, channel=channel)
    clash = [name for name in types if name in own]
    if clash:
        _fail(
            f"params: {clash} would replace flatten_ga4's own column(s) of that name. Fix: "
            "leave them out of params (for a parameter named 'channel', pass channel=None "
            "and it becomes the channel)."
        )
    wanted = _wanted(types, channel)
    found = _counts(table, wanted, fields, _customer(table, customer))
    if not found["n"]:
        _fail("source: the GA4 table is empty (0 events). Fix: check the table or its dates.")
    _warn(found, types, explicit=params is not PARAMS, customer=customer)
    kinds = {key: types.get(key) or _detected(found, key) or "string" for key in wanted}
    out = flat_expression(
        table, kinds, params=list(types), customer=customer, revenue=revenue, channel=channel
    )
    return _engine.to_pandas(out) if pandas_out else out


def _wanted(types: dict, channel) -> list[str]:
    """The parameters read: those asked for, the session id, the event's source/medium."""
    extra = ["ga_session_id"] + (["source", "medium"] if channel == "event" else [])
    return list(dict.fromkeys([*types, *extra]))


def _customer(table, customer: str):
    import ibis

    pseudo = table["user_pseudo_id"]
    if customer == "user_pseudo_id":
        return pseudo
    own = table["user_id"]
    return ibis.coalesce(ibis.ifelse(own == "", ibis.null("string"), own), pseudo)


#: The GA4 columns passed along when the table has them: output name -> field path.
PASSED = {
    "event_date": ("event_date",),
    "user_pseudo_id": ("user_pseudo_id",),
    "user_id": ("user_id",),
    "device_category": ("device", "category"),
    "country": ("geo", "country"),
}


def _own_columns(schema, *, revenue, channel) -> list[str]:
    """The columns flatten_ga4 writes besides the parameters, in order."""
    names = ["customer_id", "timestamp", "event"]
    names += ["revenue"] if revenue is not None else []
    names += ["channel"] if channel is not None else []
    names += ["session_id"]
    names += ["order_id"] if _text_field(schema, ("ecommerce", "transaction_id")) else []
    return names + [name for name, path in PASSED.items() if _text_field(schema, path)]


def flat_expression(table, kinds: dict, *, params, customer, revenue, channel):
    """The flat events of a GA4-shaped ``table`` as one Ibis expression (no query runs):
    ``kinds`` gives the column type of every parameter read (:func:`_wanted`), ``params``
    the parameters that become columns. :func:`flatten_ga4` checks the options and detects
    the types first; this is the part that compiles for every engine."""
    import ibis

    schema = table.schema()
    fields = [f for f in VALUE_FIELDS if _field(schema["event_params"].value_type["value"], f)]
    stamp = table["event_timestamp"]
    if stamp.type().is_timestamp():
        time = stamp.cast(ibis.dtype("timestamp('UTC')"))
    else:
        start = ibis.literal(pd.Timestamp(0, tz="UTC"), type=ibis.dtype("timestamp('UTC')"))
        time = start + stamp.cast("int64").as_interval("us")
    read = {key: param_column(table, key, kind, fields) for key, kind in kinds.items()}
    pseudo = table["user_pseudo_id"]
    session = read["ga_session_id"]  # as text, for the key
    if kinds["ga_session_id"] == "float":
        session = param_column(table, "ga_session_id", "string", fields)
    session = session.cast("string")
    values = {
        "customer_id": _customer(table, customer),
        "timestamp": time,
        "event": table["event_name"],
        "session_id": ibis.ifelse(
            session.notnull() & pseudo.notnull(), pseudo + "-" + session, ibis.null("string")
        ),
    }
    if revenue is not None:
        values["revenue"] = table["ecommerce"][revenue].cast("float64")
    if channel == "event":
        values["channel"] = _source_medium(read["source"], read["medium"])
    elif channel is not None:
        values["channel"] = _source_medium(*(_nested(table, p) for p in _CHANNEL_FIELDS[channel]))
    if _text_field(schema, ("ecommerce", "transaction_id")):
        values["order_id"] = _missing_if_unset(table["ecommerce"]["transaction_id"])
    for name, path in PASSED.items():
        if _text_field(schema, path):
            values[name] = _nested(table, path)
    columns = {
        name: values[name] for name in _own_columns(schema, revenue=revenue, channel=channel)
    }
    # each parameter column is selected inside a no-op coalesce: Ibis 12's BigQuery
    # compiler names the reduction's subquery in place, so a parameter that is also part of
    # session_id or channel would otherwise carry its alias into those (invalid SQL)
    selected = {key: ibis.coalesce(read[key], ibis.null(read[key].type())) for key in params}
    out = table.select(**columns, **selected)
    return out.filter(out["customer_id"].notnull())


def _warn(found: dict, types: dict, *, explicit: bool, customer: str) -> None:
    n = found["n"]
    if found["anonymous"]:
        who = "user_id nor user_pseudo_id" if customer == "user_id" else "user_pseudo_id"
        warnings.warn(
            f"flatten_ga4: {found['anonymous']:,} of {n:,} events have no {who} and are left "
            "out (under consent mode GA4 exports the events of users who declined analytics "
            "storage without an id; they cannot be joined into journeys).",
            JourneyWarning,
            stacklevel=3,
        )
    absent = [k for k in types if _detected(found, k) is None] if explicit else []
    if absent:
        warnings.warn(
            f"flatten_ga4: params {absent}: no event has them, so their columns are empty. "
            "Check the names (journeykit.ga4.event_params(source) lists the parameters the "
            "table has, with their types).",
            JourneyWarning,
            stacklevel=3,
        )
    if _detected(found, "ga_session_id") is None and "ga_session_id" not in absent:
        warnings.warn(
            "flatten_ga4: no event has the parameter 'ga_session_id', so session_id is "
            "missing everywhere and analyses with unit='session' have no sessions.",
            JourneyWarning,
            stacklevel=3,
        )
