"""The sequential test: an always-valid p-value and confidence sequence, so an experiment
can be monitored continuously and stopped as soon as it is decided.

Definitions: the units arrive in the order of ``time`` (or the row order); after each unit
the difference variant - control is re-estimated; ``p_value`` and the interval
``diff_ci_low``/``diff_ci_high`` stay valid however often they are read (a test stopped at
the first look with ``p_value <= alpha`` keeps its error rate at ``alpha``);
``p_value_naive`` is the fixed-sample test :func:`journeykit.ab_test` gives on the units
seen so far (pooled z for a 0/1 metric, Welch's t otherwise), which is NOT valid when
peeking.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import plots
from .abtest import check_units, is_binary, pooled_z, unit_values, variants, welch_t
from .checks import check_level, check_number, check_whole, require
from .errors import JourneyDataError, JourneyWarning
from .results import Result, p_text


@dataclass(frozen=True, repr=False)
class Sequential(Result):
    """Always-valid p-values and the confidence sequence at each look."""

    table: pd.DataFrame
    alpha: float
    tau: float
    rejected_at: int | None
    kind: str
    metric: str
    variants: tuple[str, str]
    title = "Sequential test (mixture SPRT)"
    first = ("n", "diff", "diff_ci_low", "diff_ci_high", "p_value", "p_value_naive")

    @property
    def notes(self) -> tuple[str, ...]:
        naive = "the pooled z-test" if self.kind == "proportion" else "Welch's t-test"
        return (
            f"normal-mixture SPRT with mixing sd tau = {self.tau:.4g}: p_value and the "
            f"{1 - self.alpha:.0%} confidence sequence stay valid however often you look.",
            f"p_value_naive: {naive} on the units seen so far (as ab_test), NOT valid when "
            "peeking.",
        )

    @property
    def conclusion(self) -> str:
        last = self.table.iloc[-1]
        treatment, control = self.variants[1], self.variants[0]
        if self.kind == "proportion":
            change = lambda v: f"{100 * v:+.2f} points"  # noqa: E731
        else:
            change = "{:+,.4g}".format
        now = (
            f"After {int(last['n']):,} units the difference {treatment} - {control} is "
            f"{change(last['diff'])} ({1 - self.alpha:.0%} confidence sequence "
            f"{change(last['diff_ci_low'])} to {change(last['diff_ci_high'])}, always-valid "
            f"{p_text(last['p_value'])})."
        )
        if self.rejected_at is not None:
            return (
                f"The always-valid p-value reached alpha = {self.alpha:g} after "
                f"{self.rejected_at:,} units: the difference is real, and the test could have "
                f"stopped there. {now}"
            )
        return (
            f"No evidence of a difference yet: 0 is still inside the confidence sequence. "
            f"{now} Keep the test running to its planned size: a sequence that still holds 0 "
            "is not evidence that there is no effect."
        )

    def plot(self, ax=None):
        """The difference over the units observed, with the confidence sequence."""
        percent = self.kind == "proportion"
        unit = "percentage points" if percent else self.metric
        return plots.sequence(
            self.table,
            ax,
            percent=percent,
            ylabel=f"{self.variants[1]} - {self.variants[0]} ({unit})",
            title=f"Sequential test of {self.metric}: difference and confidence sequence",
            rejected_at=self.rejected_at,
        )


def sequential_test(
    units: pd.DataFrame,
    *,
    variant: str = "variant",
    metric: str = "converted",
    control=None,
    time: str | None = None,
    alpha: float = 0.05,
    tau: float | None = None,
    first_look: int = 100,
    looks: int = 20,
) -> Sequential:
    """Always-valid p-value and confidence sequence of a difference of means or
    proportions, for monitoring a test continuously and stopping it once it is decided.

    The statistic is the normal-mixture sequential probability ratio test (mSPRT) of Johari
    et al. (2017), written with the estimate's variance ``v = s_t^2 / n_t + s_c^2 / n_c`` so
    that the arms may differ in size: with information ``I = 1 / v``, score ``S = I * diff``
    and ``rho = 1 / tau^2``, ``Lambda = sqrt(rho / (I + rho)) * exp(S^2 / (2 (I + rho)))``.
    The always-valid p-value is the running minimum of ``1 / Lambda``; the confidence
    sequence is ``diff +- sqrt((I + rho) log((I + rho) / (rho alpha^2))) / I`` (Howard et al.
    2021), intersected over time. By default ``tau`` makes the sequence narrowest at the
    information ``I_end`` of the sample given: minimising the width at ``I_end`` over ``rho``
    gives ``rho = I_end / r`` with ``r = 2 log(1/alpha) + log(1 + r)``. Fix ``tau`` in
    advance (e.g. from the planned sample) to monitor live. Monitoring starts once both arms
    have ``first_look`` units (plug-in variances are unreliable before).

    Parameters
    ----------
    units : pandas.DataFrame
        One row per unit, two variants. A missing variant, metric or ``time`` value raises,
        as in :func:`journeykit.ab_test`.
    variant, metric : str
        Column names; a 0/1 metric is a conversion, any other a mean.
    control : optional
        The baseline variant (as in :func:`journeykit.ab_test`).
    time : str, optional
        The column giving each unit's arrival (a time, or any sortable value); the units are
        monitored in that order (ties keep the row order). None: the row order.
    alpha : float
        The significance level; the confidence sequence has level ``1 - alpha``.
    tau : float, optional
        The mixing standard deviation (> 0); by default chosen from the data (above).
    first_look : int
        Units per arm before monitoring starts (at least 2).
    looks : int
        Rows of the returned table: evenly spaced looks from the first to the last unit (the
        p-value itself is monitored after every unit).

    Returns
    -------
    Sequential
        ``table`` per look: n (units seen), n_control, n_treatment, diff, diff_ci_low,
        diff_ci_high (the confidence sequence), p_value (always valid), p_value_naive (the
        fixed-sample test at that look); ``rejected_at`` (units seen when p_value first
        reached ``alpha``, None if never), ``conclusion`` and ``plot()``.

    References
    ----------
    Johari, R., Koomen, P., Pekelis, L. & Walsh, D. (2017). Peeking at A/B tests: why it
    matters, and what to do about it. KDD '17, 1517-1525.
    Howard, S. R., Ramdas, A., McAuliffe, J. & Sekhon, J. (2021). Time-uniform,
    nonparametric, nonasymptotic confidence sequences. Annals of Statistics 49(2),
    1055-1080.
    Robbins, H. (1970). Statistical methods related to the law of the iterated logarithm.
    Annals of Mathematical Statistics 41(5), 1397-1409.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> units = pd.DataFrame({"variant": rng.permutation(["control", "treatment"] * 2000)})
    >>> units["converted"] = rng.random(4000) < np.where(units["variant"] == "control", .1, .2)
    >>> res = sequential_test(units)
    >>> res.rejected_at is not None, bool(res.table["p_value"].iloc[-1] < 0.05)
    (True, True)
    """
    check_units(units, variant)
    alpha = check_level("alpha", alpha)
    if tau is not None:
        check_number("tau", tau, what="the mixing standard deviation", above=0, example="0.01")
    first_look = check_whole("first_look", first_look, minimum=2, example="100")
    looks = check_whole("looks", looks, example="20")
    y = unit_values(units, metric, "metric")
    groups = variants(units, variant, control)
    if groups.k != 2:
        raise JourneyDataError(
            f"variant={variant!r}: sequential_test compares two variants; got {groups.names}. "
            "Fix: select the control and one variant."
        )
    codes = groups.codes
    if time is not None:
        order = np.argsort(_arrivals(units, time), kind="stable")
        y, codes = y[order], codes[order]
    treated = codes == 1
    n_t = np.cumsum(treated)
    n_c = np.arange(1, len(y) + 1) - n_t
    s_t, s_c = np.cumsum(y * treated), np.cumsum(y * ~treated)
    q_t, q_c = np.cumsum(y * y * treated), np.cumsum(y * y * ~treated)
    with np.errstate(divide="ignore", invalid="ignore"):
        m_t, m_c = s_t / n_t, s_c / n_c
        # the variances of the two means, s^2 / n with s^2 on n - 1
        vm_t, vm_c = (q_t / n_t - m_t**2) / (n_t - 1), (q_c / n_c - m_c**2) / (n_c - 1)
    var = vm_t + vm_c
    diff = m_t - m_c
    ready = (n_t >= first_look) & (n_c >= first_look) & (var > 0)
    if not ready.any():
        raise JourneyDataError(
            f"first_look={first_look}: the arms never both reach {first_look} units with some "
            "variation. Fix: wait for more data or pass a smaller first_look."
        )
    info = np.where(ready, 1 / np.where(var > 0, var, 1), 0)
    if tau is None:
        log_a = np.log(1 / alpha)
        r = 2 * log_a
        for _ in range(50):  # fixed point r = 2 log(1/alpha) + log(1 + r)
            r = 2 * log_a + np.log1p(r)
        rho = info[ready][-1] / r
        tau = float(1 / np.sqrt(rho))
    else:
        rho = 1 / tau**2
    score = info * diff
    log_lambda = 0.5 * np.log(rho / (info + rho)) + score**2 / (2 * (info + rho))
    p_running = np.minimum.accumulate(np.where(ready, np.minimum(1.0, np.exp(-log_lambda)), 1.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        radius = np.sqrt((info + rho) * np.log((info + rho) / (rho * alpha**2))) / info
    low = np.maximum.accumulate(np.where(ready, diff - radius, -np.inf))
    high = np.minimum.accumulate(np.where(ready, diff + radius, np.inf))
    first = int(np.argmax(ready))
    at = np.unique(np.linspace(first, len(y) - 1, looks).round().astype(int))
    binary = is_binary(y)
    if binary:
        naive = pooled_z(s_t[at], n_t[at], s_c[at], n_c[at])[1]
    else:
        naive = welch_t(diff[at], vm_t[at], n_t[at], vm_c[at], n_c[at])[2]
    table = pd.DataFrame(
        {
            "n": at + 1,
            "n_control": n_c[at],
            "n_treatment": n_t[at],
            "diff": diff[at],
            "diff_ci_low": low[at],
            "diff_ci_high": high[at],
            "p_value": p_running[at],
            "p_value_naive": naive,
        }
    )
    if (low > high).any():
        warnings.warn(
            "sequential_test: the confidence sequence became empty (its lower end passed its "
            "upper end), which happens when the units do not arrive in random order (e.g. "
            "sorted by variant or outcome). Fix: pass time= the arrival column, or shuffle "
            "the rows if they have no order.",
            JourneyWarning,
            stacklevel=2,
        )
    hits = np.flatnonzero(p_running <= alpha)
    return Sequential(
        table,
        alpha,
        tau,
        int(hits[0] + 1) if len(hits) else None,
        "proportion" if binary else "mean",
        metric,
        (str(groups.names[0]), str(groups.names[1])),
    )


def _arrivals(units: pd.DataFrame, time: str) -> np.ndarray:
    """The arrival column; a missing value raises (its unit has no place in the sequence)."""
    require(units, [time], param="time")
    missing = units[time].isna().to_numpy()
    if missing.any():
        rows = units.loc[missing].head(5)
        raise JourneyDataError(
            f"time={time!r}: {int(missing.sum())} of {len(units)} units have no value, so "
            f"their place in the sequence is unknown.\nExample rows:\n{rows.to_string()}\n"
            "Fix: fill the arrival time (e.g. the assignment time) or drop those units."
        )
    return units[time].to_numpy()
