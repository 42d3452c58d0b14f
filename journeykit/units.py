"""Units of analysis (``unit=``): the entity a result counts (customer, session, account)."""

from __future__ import annotations

from .checks import check_choice
from .errors import JourneyDataError

UNITS = {"customer": "customer_id", "session": "session_id", "account": "account_id"}


def unit_column(events, unit: str) -> str:
    """The column of ``unit`` ('customer', 'session' or 'account'), checked to exist."""
    check_choice("unit", unit, tuple(UNITS))
    column = UNITS[unit]
    if column not in events.columns:
        fix = (
            "derive sessions with journeykit.sessionize(events, gap='30min'), pass the "
            "session column to read_events(session=...), or pass unit='customer'"
            if unit == "session"
            else f"pass the {column} column to read_events, or use unit='customer'"
        )
        raise JourneyDataError(f"unit={unit!r}: the events have no {column!r} column. Fix: {fix}.")
    return column
