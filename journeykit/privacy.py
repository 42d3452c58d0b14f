"""Privacy for shared output (GDPR / AVG): pseudonymous ids, small cells suppressed, old
events dropped.

- :func:`pseudonymize` replaces ids by a keyed HMAC-SHA256 of them: stable for one key (the
  same customer gets the same pseudonym in every table, so joins still work), and without
  the key nobody can recompute them. A plain hash is never used: customer ids are few and
  guessable, and anyone can hash every candidate id and reverse a plain hash.
- :func:`suppress_small` blanks the rows of a count table that describe fewer than
  ``min_n`` people, the usual disclosure-control rule for published tables.
- :func:`limit_retention` keeps only the recent events (storage limitation, GDPR art. 5(1)e).
"""

from __future__ import annotations

import hashlib
import hmac
import os

import numpy as np
import pandas as pd

from . import _engine
from .checks import as_utc, check_whole, column_names, suggest
from .errors import JourneyDataError

#: Environment variable holding the key with which the readers (read_events, read_attributes,
#: read_survey, read_units) pseudonymize ids at the door: ``journeykit run
#: --pseudonymize-key-env VAR`` sets it for the template's kernel.
PSEUDONYMIZE_KEY = "JOURNEYKIT_PSEUDONYMIZE_KEY"

#: The person-level id columns pseudonymized at the door.
PERSON_IDS = ("customer_id", "account_id")

#: Hex characters kept of each HMAC-SHA256 (64 bits: no collision expected below ~10^9 ids).
PSEUDONYM_LENGTH = 16


def _key(key) -> bytes:
    if isinstance(key, str) and key:
        return key.encode("utf-8")
    if isinstance(key, bytes) and key:
        return key
    raise JourneyDataError(
        f"key: expected a secret text (or bytes) that stays with you; got {key!r}. Fix: pass "
        "key= a long random secret (e.g. secrets.token_hex(32)), kept outside the notebook; "
        "the same key gives the same pseudonyms."
    )


def _pseudonyms(values, key: bytes) -> dict:
    return {
        v: hmac.new(key, str(v).encode("utf-8"), hashlib.sha256).hexdigest()[:PSEUDONYM_LENGTH]
        for v in values
    }


def _columns(events, columns) -> list[str]:
    names = column_names(columns, param="columns")
    for name in names:
        if name not in events.columns:
            raise JourneyDataError(
                f"columns={names!r}: no column {name!r}. {suggest(name, list(events.columns))}"
                " Fix: pass the id columns to pseudonymize."
            )
    return names


def pseudonymize(events, *, key, columns=("customer_id",)):
    """Replace ids by keyed pseudonyms (HMAC-SHA256 with ``key``, first 16 hex digits).

    Parameters
    ----------
    events : pandas.DataFrame or Ibis table
        Any table with id columns (events, attributes, survey answers).
    key : str or bytes
        The secret. One key gives the same pseudonym for the same id in every table, so
        pseudonymized tables still join; without the key the ids cannot be recomputed.
    columns : str or list of str
        The id columns to replace (missing values stay missing).

    Returns
    -------
    pandas.DataFrame or Ibis table
        A copy of the same kind with those columns as text pseudonyms; the input is
        not changed.

    References
    ----------
    Krawczyk, H., Bellare, M. and Canetti, R. (1997). HMAC: Keyed-Hashing for Message
    Authentication. RFC 2104. NIST (2015). Secure Hash Standard (SHS). FIPS 180-4.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"customer_id": ["007", "008", "007"]})
    >>> out = pseudonymize(t, key="secret")
    >>> out["customer_id"].nunique(), out["customer_id"].iloc[0] == out["customer_id"].iloc[2]
    (2, True)
    """
    secret = _key(key)
    names = _columns(events, columns)
    if isinstance(events, pd.DataFrame):
        out = events.copy()
        for name in names:
            values = out[name]
            mapping = _pseudonyms(values.dropna().unique(), secret)
            out[name] = values.map(mapping).astype("string[pyarrow]")
        return out
    if not _engine.is_ibis(events):
        raise JourneyDataError(
            f"events: expected a DataFrame or an Ibis table; got {type(events).__name__}. "
            "Fix: pass the table whose ids to pseudonymize."
        )
    table = events
    for name in names:
        values = _engine.distinct(table, name)
        mapping = _pseudonyms(values, secret)
        lookup = pd.DataFrame({"_id": list(mapping), "_pseudonym": list(mapping.values())})
        lookup["_id"] = lookup["_id"].astype(str)
        known = _engine.as_table(lookup, like=table)
        joined = table.left_join(known, table[name].cast("string") == known["_id"])
        order = list(table.columns)
        table = joined.mutate(**{name: joined["_pseudonym"]}).select(order)
    return table


def at_the_door(table):
    """``table`` with its person ids pseudonymized when :data:`PSEUDONYMIZE_KEY` is set in
    the environment (a template run with a key), else ``table`` itself."""
    key = os.environ.get(PSEUDONYMIZE_KEY)
    present = [c for c in PERSON_IDS if c in table.columns]
    if not key or not present:
        return table
    return pseudonymize(table, key=key, columns=present)


def suppress_small(table: pd.DataFrame, *, min_n: int = 10) -> pd.DataFrame:
    """Blank the rows of a count table that describe fewer than ``min_n`` people.

    Every column whose name is ``n`` or starts with ``n_`` is a count; a row where any
    count is below ``min_n`` keeps its labels but has every other value replaced by
    missing, so no small group can be read off a shared table.

    Parameters
    ----------
    table : pandas.DataFrame
        A result table (``Result.to_frame()``, a crosstab, ...) with count columns.
    min_n : int
        The smallest count that may be shown (10 is a common rule for published
        statistics; some offices use 5 or 20).

    Returns
    -------
    pandas.DataFrame
        A copy with a ``suppressed`` column (True where values were blanked).

    References
    ----------
    Hundepool, A. et al. (2012). Statistical Disclosure Control. Wiley, sec. 5.2
    (threshold rule for frequency tables).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"group": ["a", "b"], "n": [120, 4], "rate": [0.5, 0.25]})
    >>> suppress_small(t)
      group    n  rate  suppressed
    0     a  120   0.5       False
    1     b  <NA>   NaN       True
    """
    if not isinstance(table, pd.DataFrame):
        raise JourneyDataError(
            f"table: expected a pandas DataFrame; got {type(table).__name__}. Fix: pass "
            "result.to_frame()."
        )
    minimum = check_whole("min_n", min_n, minimum=1, example=10)
    counts = [c for c in table.columns if str(c) == "n" or str(c).startswith("n_")]
    if not counts:
        raise JourneyDataError(
            f"table: no count column (named n or n_*); got columns {list(table.columns)}. Fix: "
            "pass a table with the number of people per row."
        )
    small = np.zeros(len(table), dtype=bool)
    for c in counts:
        values = pd.to_numeric(table[c], errors="coerce")
        small |= (values < minimum).fillna(False).to_numpy()
    labels = [
        c
        for c in table.columns
        if c not in counts
        and not pd.api.types.is_numeric_dtype(table[c])
        and not pd.api.types.is_bool_dtype(table[c])
    ]
    out = table.copy()
    for c in out.columns:
        if c in labels or not small.any():
            continue
        if c in counts:
            out[c] = out[c].astype("Int64") if pd.api.types.is_integer_dtype(out[c]) else out[c]
        out.loc[small, c] = pd.NA if c in counts else np.nan
    out["suppressed"] = small
    return out


_UNITS = {"M": 1, "Y": 12}


def _months(keep) -> int:
    text = str(keep).strip().upper() if isinstance(keep, str) else None
    if text and text[:-1].isdigit() and text[-1] in _UNITS and int(text[:-1]) > 0:
        return int(text[:-1]) * _UNITS[text[-1]]
    raise JourneyDataError(
        f"keep: expected a number of months or years such as '24M' or '2Y'; got {keep!r}. "
        "Fix: pass keep='24M'."
    )


def limit_retention(events, *, keep="24M", as_of=None):
    """Keep only the events of the last ``keep`` (calendar months or years) before ``as_of``.

    Parameters
    ----------
    events : pandas.DataFrame or Ibis table
        Canonical events (from :func:`journeykit.read_events`).
    keep : str
        How far back to keep: ``'24M'`` (months) or ``'2Y'`` (years).
    as_of : date-like, optional
        The end of the kept span; default the last event of the data.

    Returns
    -------
    pandas.DataFrame or Ibis table
        The events with ``timestamp`` after ``as_of - keep``, same kind as the input.

    References
    ----------
    Regulation (EU) 2016/679 (GDPR), art. 5(1)(e): storage limitation.

    Examples
    --------
    >>> import pandas as pd
    >>> ev = pd.DataFrame({"customer_id": ["a", "a"], "event": ["x", "x"],
    ...                    "timestamp": pd.to_datetime(["2020-01-05", "2024-06-01"], utc=True)})
    >>> len(limit_retention(ev, keep="24M"))
    1
    """
    from .checks import require_events

    months = _months(keep)
    require_events(events)
    if as_of is None:
        frame = isinstance(events, pd.DataFrame)
        ts = events["timestamp"].max() if frame else _engine.to_scalar(events["timestamp"].max())
        end = pd.Timestamp(ts)
        end = end.tz_localize("UTC") if end.tzinfo is None else end.tz_convert("UTC")
    else:
        end = as_utc(as_of, param="as_of")
    start = end - pd.DateOffset(months=months)
    if isinstance(events, pd.DataFrame):
        return events[events["timestamp"] > start].reset_index(drop=True)
    return events.filter(events["timestamp"] > start.to_pydatetime())
