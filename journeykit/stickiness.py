"""Stickiness: how many days of a week or month customers are active, and the DAU/WAU/MAU
ratios over time (the engagement measures of product analytics tools).

The event-level work is one Ibis query over the distinct (customer, UTC day) pairs; the
trailing-window counts use a difference array, so no query joins days to windows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import _engine, plots
from .checks import as_utc, check_choice, check_events_exist, require_events
from .errors import JourneyDataError
from .periods import period_index, period_start
from .results import Result

#: Periods the active-day distribution is counted in (a day holds one active day only).
STICKY_FREQS = ("W", "M")
#: Days of the trailing windows of WAU and MAU.
WEEK_DAYS, MONTH_DAYS = 7, 30


@dataclass(frozen=True, repr=False)
class Stickiness(Result):
    """Active days per period and the DAU/WAU/MAU ratios (see :func:`stickiness`)."""

    table: pd.DataFrame
    daily: pd.DataFrame
    periods: pd.DataFrame
    freq: str
    title = "Stickiness"
    first = ("period", "n", "mean_active_days", "dau_mau")

    @property
    def summary(self) -> pd.DataFrame:
        return self.periods

    def to_frame(self) -> pd.DataFrame:
        """The active-day distribution, one row per period and number of days (a copy)."""
        return self.table.copy()

    @property
    def notes(self) -> tuple[str, ...]:
        word = plots.PERIOD_WORDS[self.freq]
        return (
            f"active_days: the UTC days of the {word} with activity; share = customers active "
            f"on that many days / customers active in the {word} (n).",
            f"DAU: customers active on the day; WAU, MAU: active in the trailing {WEEK_DAYS} "
            f"and {MONTH_DAYS} days up to it; dau_mau = DAU / MAU. Days whose trailing "
            f"{MONTH_DAYS} days start before the data are not complete and are left out of "
            "the period means; the first and last periods may be partial.",
        )

    @property
    def conclusion(self) -> str:
        """The typical DAU/MAU and active days in the last complete period."""
        rows = self.periods.dropna(subset=["dau_mau"])
        if rows.empty:
            return f"The data cover less than {MONTH_DAYS} days, too few for DAU/MAU."
        row = rows.iloc[-2] if len(rows) > 1 else rows.iloc[-1]  # the last may be partial
        word = plots.PERIOD_WORDS[self.freq]
        return (
            f"In the {word} of {row['period']:%Y-%m-%d}, an active customer was active on "
            f"{row['mean_active_days']:.1f} days on average and the mean DAU/MAU was "
            f"{row['dau_mau']:.0%} (a typical day saw that share of the month's customers)."
        )

    def plot(self, ax=None):
        """DAU/MAU and DAU/WAU per day (complete days only)."""
        ax = plots.axes(ax)
        days = self.daily[self.daily["complete"]]
        x = days["day"].dt.tz_convert(None)
        for column, label, color in zip(
            ("dau_mau", "dau_wau"), ("DAU / MAU", "DAU / WAU"), plots.colors(2)
        ):
            ax.plot(x, days[column], label=label, color=color, lw=1)
        from matplotlib.ticker import PercentFormatter

        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_ylim(bottom=0)
        ax.legend(frameon=False)
        ax.set_xlabel("day (UTC)")
        ax.set_ylabel("share of the trailing window's customers")
        ax.set_title("Stickiness: daily active customers as a share of weekly and monthly ones")
        return ax


def stickiness(events, *, freq: str = "W", activity=None, as_of=None) -> Stickiness:
    """How sticky the product is: per period, how many customers were active on 1, 2, ...
    days of it; per day, DAU, WAU and MAU and their ratios.

    Definitions (UTC days; a customer is active on a day with at least one ``activity``
    event):

    - ``table``: per period of ``freq`` (weeks from Monday, or calendar months), the
      customers active on exactly ``active_days`` days of it (``n``) and their ``share``
      of the period's active customers; periods with no one active on some number of days
      hold 0 for it.
    - ``daily``: every day from the first to the last active day: ``dau`` (active that
      day), ``wau`` and ``mau`` (active on at least one of the trailing 7 or 30 days, the
      day included), ``dau_wau``, ``dau_mau``, ``wau_mau``; ``complete`` is False for the
      first 29 days, whose trailing month starts before the data.
    - ``periods`` (the summary): per period, active customers ``n``, the mean active days
      of an active customer, and the mean over the period's complete days of ``dau_mau``.

    Parameters
    ----------
    events : pandas.DataFrame or Ibis table
        Canonical events (:func:`journeykit.read_events`).
    freq : {'W', 'M'}
        The period of the active-day distribution.
    activity : str or list of str, optional
        The events that count as activity (default: every event); each must occur.
    as_of : date-like, optional
        Events after it are ignored (default: every event); naive values are UTC.

    Returns
    -------
    Stickiness
        ``table``, ``daily``, ``periods`` and ``plot()`` (the daily ratios).

    Examples
    --------
    >>> ev = pd.DataFrame({"customer_id": ["a", "a", "b", "a"], "event": "visit",
    ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-02",
    ...                                  "2024-01-09"], utc=True)})
    >>> stickiness(ev).table
                         period  active_days  n  share
    0 2024-01-01 00:00:00+00:00            1  1    0.5
    1 2024-01-01 00:00:00+00:00            2  1    0.5
    2 2024-01-08 00:00:00+00:00            1  1    1.0
    3 2024-01-08 00:00:00+00:00            2  0    0.0
    """
    check_choice("freq", freq, STICKY_FREQS)
    require_events(events)
    t = _engine.as_table(events)
    if as_of is not None:
        t = t.filter(t["timestamp"] <= as_utc(as_of, param="as_of").to_pydatetime())
    if activity is not None:
        t = t.filter(t["event"].isin(check_events_exist(t, activity, param="activity")))
    import ibis

    pairs = t.select(
        "customer_id",
        day=period_index(t, "D"),
        period=period_index(t, freq),
    ).distinct()
    per = pairs.group_by(["customer_id", "period"]).aggregate(active_days=pairs.count())
    nxt = pairs["day"].lead().over(ibis.window(group_by="customer_id", order_by="day"))
    spans = pairs.mutate(nxt=nxt)
    # a customer counts in the trailing window of every day from an active day up to the
    # next active day or the window's length, whichever is first: +1 there, -1 after
    ends = {
        f"end_{n}": ibis.least(spans["nxt"].fill_null(spans["day"] + n), spans["day"] + n)
        for n in (WEEK_DAYS, MONTH_DAYS)
    }
    spans = spans.mutate(**ends)
    # the four counts in one query over the pairs (one distinct, not four): the table
    # (period, active_days), then days as they enter (dau) and leave each window
    counts = [per.group_by(a="period", b="active_days").aggregate(n=per.count())]
    counts += [
        spans.group_by(a=spans[column]).aggregate(n=spans.count()).mutate(b=ibis.literal(k))
        for k, column in enumerate(("day", *ends))
    ]
    counts = [
        c.select(
            kind=ibis.literal(i, "int64"),
            a=c["a"].cast("int64"),
            b=c["b"].cast("int64"),
            n=c["n"].cast("int64"),
        )
        for i, c in enumerate(counts)
    ]
    both = _engine.to_pandas(ibis.union(*counts, distinct=False)).astype("int64")
    table = both[both["kind"] == 0].rename(columns={"a": "period", "b": "active_days"})
    table = table[["period", "active_days", "n"]].reset_index(drop=True)
    if table.empty:
        raise JourneyDataError(
            "events: no activity, so no one is active on any day. Fix: check activity= (and "
            "that as_of lies after the first event)."
        )
    frames = {
        name: both[both["kind"] == i].set_index("a")["n"]
        for i, name in enumerate(("dau", *ends), start=1)
    }
    first, last = int(frames["dau"].index.min()), int(frames["dau"].index.max())
    days = np.arange(first, last + 1)
    dau = frames["dau"].reindex(days, fill_value=0).to_numpy()
    daily = pd.DataFrame({"day": pd.Timestamp(0, tz="UTC") + pd.to_timedelta(days, unit="D")})
    daily["dau"] = dau
    for name, n in (("wau", WEEK_DAYS), ("mau", MONTH_DAYS)):
        leaving = frames[f"end_{n}"].reindex(days, fill_value=0).to_numpy()
        daily[name] = np.cumsum(dau - leaving)
    with np.errstate(invalid="ignore", divide="ignore"):
        daily["dau_wau"] = daily["dau"] / daily["wau"]
        daily["dau_mau"] = daily["dau"] / daily["mau"]
        daily["wau_mau"] = daily["wau"] / daily["mau"]
    daily["complete"] = days >= first + MONTH_DAYS - 1
    daily["day"] = daily["day"].astype("datetime64[us, UTC]")
    return Stickiness(*_by_period(table, daily, freq), freq)


def _by_period(table: pd.DataFrame, daily: pd.DataFrame, freq: str):
    """The distribution with every possible number of days of each period (0 where no one
    had it), its shares, and the per-period summary."""
    top = int(table["active_days"].max())
    index = pd.MultiIndex.from_product(
        [sorted(table["period"].unique()), range(1, top + 1)], names=["period", "active_days"]
    )
    full = table.set_index(["period", "active_days"])["n"].reindex(index, fill_value=0)
    full = full.reset_index()
    starts = period_start(full["period"], freq)
    length = 7 if freq == "W" else starts.dt.days_in_month
    full = full[full["active_days"] <= length].reset_index(drop=True)
    active = full.groupby("period")["n"].transform("sum")
    full["share"] = full["n"] / active
    periods = full.groupby("period")["n"].sum().to_frame()
    weighted = (full["n"] * full["active_days"]).groupby(full["period"]).sum()
    periods["mean_active_days"] = weighted / periods["n"]
    day = daily["day"]
    if freq == "W":  # weeks from Monday, as journeykit.periods numbers them
        of_day = ((day - pd.Timestamp(0, tz="UTC")).dt.days + 3) // 7
    else:
        of_day = day.dt.year * 12 + day.dt.month - 1
    complete = daily["complete"]
    periods["dau_mau"] = daily.loc[complete, "dau_mau"].groupby(of_day[complete]).mean()
    periods = periods.reset_index()
    full["period"] = period_start(full["period"], freq)
    periods["period"] = period_start(periods["period"], freq)
    return full[["period", "active_days", "n", "share"]], daily, periods
