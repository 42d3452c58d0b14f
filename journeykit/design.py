"""Experiment design: power, sample size, minimum detectable effect and the plan of a
two-arm test of proportions (``baseline=``) or means (``sd=``).

One :class:`Design` holds the validated arguments every function shares (baseline or sd,
alpha, alternative, allocation ratio) and computes the power; :func:`power`,
:func:`sample_size`, :func:`mde` and :func:`plan` each build one and ask it.

Definitions: ``n`` is the control arm's size and the variant gets ``ratio * n`` units;
``effect`` is the difference variant - control to detect (absolute, or a share of the
baseline with ``relative=True``); ``power`` is the chance that the test rejects at level
``alpha`` when the true difference is ``effect``.

- Proportions: the normal approximation of R's ``power.prop.test`` (the pooled variance
  under the null, the unpooled one under the alternative; Fleiss, Levin & Paik 2003,
  section 4.2), extended to unequal allocation. A rate of exactly 0 or 1 in one arm is
  valid (R: ``power.prop.test(p1 = .9, p2 = 1, power = .8)`` gives n = 73.37).
- Means: the noncentral t of R's ``power.t.test`` (two samples, equal variances,
  ``n + ratio * n - 2`` degrees of freedom).
- ``alternative='two-sided'`` counts rejections in the direction of the effect only (R's
  ``strict = FALSE``); ``'larger'`` and ``'smaller'`` are the one-sided tests of
  :func:`journeykit.ab_test`, so an effect in the other direction has power below alpha.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import plots
from .abtest import ALTERNATIVES
from .checks import check_choice, check_level, check_number
from .errors import JourneyDataError
from .results import Result

#: the largest control arm sample_size searches (a bound, not a recommendation)
MAX_N = 1e12


@dataclass(frozen=True)
class Design:
    """The validated arguments of a two-arm experiment: ``baseline`` (the control's rate, or
    its mean when ``sd`` is given), ``sd`` (means; None for proportions), ``alpha``,
    ``alternative`` and ``ratio`` (variant units per control unit)."""

    baseline: float | None
    sd: float | None
    alpha: float
    alternative: str
    ratio: float

    @classmethod
    def of(cls, *, baseline, sd, alpha, alternative, ratio) -> Design:
        """A Design from the arguments of the public functions, checked."""
        alpha = check_level("alpha", alpha)
        check_choice("alternative", alternative, ALTERNATIVES)
        ratio = check_number("ratio", ratio, what="the variant-to-control size ratio", above=0)
        if sd is None and baseline is None:
            raise JourneyDataError(
                "baseline=: give the control conversion rate for proportions (e.g. 0.05), or "
                "sd= the metric's standard deviation for means. Fix: pass baseline= or sd=."
            )
        if sd is not None:
            sd = check_number("sd", sd, what="the metric's standard deviation", above=0)
        if baseline is not None:
            baseline = check_number(
                "baseline", baseline, what="the control mean or rate", example="0.05"
            )
            if sd is None and not 0 <= baseline <= 1:
                raise JourneyDataError(
                    f"baseline={baseline!r}: expected the control conversion rate, from 0 to 1; "
                    "got a number outside. Fix: pass e.g. baseline=0.05, or sd= for a mean."
                )
        return cls(baseline, sd, alpha, alternative, ratio)

    @property
    def proportions(self) -> bool:
        return self.sd is None

    def check_relative(self) -> None:
        """Raise unless a relative effect has a baseline to be relative to."""
        if self.baseline is None or self.baseline == 0:
            raise JourneyDataError(
                f"relative=True needs baseline= the control mean or rate (not 0); got "
                f"baseline={self.baseline!r}. Fix: pass baseline=, or an absolute effect with "
                "relative=False."
            )

    def absolute(self, effect, relative: bool) -> float:
        """``effect`` as an absolute difference, checked: a variant's rate must be a rate,
        and at least one arm must vary."""
        effect = check_number("effect", effect, what="the difference to detect", example="0.02")
        if relative:
            self.check_relative()
            effect = self.baseline * effect
        if self.proportions:
            rate = self.baseline + effect
            if not 0 <= rate <= 1:
                raise JourneyDataError(
                    f"effect={effect!r}: the variant's rate baseline + effect = {rate:.4g} is "
                    "outside [0, 1]. Fix: a smaller effect."
                )
            if self.baseline * (1 - self.baseline) + rate * (1 - rate) == 0:
                raise JourneyDataError(
                    f"effect={effect!r}: with baseline={self.baseline:g} both rates are 0 or 1, "
                    "so neither arm varies and no test is needed. Fix: pass rates strictly "
                    "between 0 and 1 in at least one arm."
                )
        return effect

    def power(self, n, effect: float):
        """The power with ``n`` control units (array-like) to detect ``effect`` (absolute)."""
        from scipy.stats import nct, norm
        from scipy.stats import t as student

        n = np.asarray(n, dtype=float)
        n2 = self.ratio * n
        # the effect in the direction the test looks (R's strict = FALSE when two-sided)
        signed = {"two-sided": abs(effect), "larger": effect, "smaller": -effect}[self.alternative]
        level = self.alpha / 2 if self.alternative == "two-sided" else self.alpha
        if self.proportions:
            p1, p2 = self.baseline, self.baseline + effect
            pbar = (p1 + self.ratio * p2) / (1 + self.ratio)
            null_se = np.sqrt(pbar * (1 - pbar) * (1 / n + 1 / n2))
            alt_se = np.sqrt(p1 * (1 - p1) / n + p2 * (1 - p2) / n2)
            return norm.cdf((signed - norm.isf(level) * null_se) / alt_se)
        dof = n + n2 - 2
        ncp = signed / (self.sd * np.sqrt(1 / n + 1 / n2))
        return nct.sf(student.isf(level, dof), dof, ncp)

    def sample_size(self, effect: float, power: float) -> float:
        """Control units needed to reach ``power`` for ``effect`` (absolute), unrounded."""
        from scipy.optimize import brentq

        if effect == 0:
            raise JourneyDataError(
                "effect=0: no sample size detects a zero effect. Fix: pass the smallest "
                "difference worth detecting, e.g. effect=0.02."
            )
        if (self.alternative == "larger" and effect < 0) or (
            self.alternative == "smaller" and effect > 0
        ):
            raise JourneyDataError(
                f"effect={effect!r}: alternative={self.alternative!r} tests for "
                f"{'an increase' if self.alternative == 'larger' else 'a decrease'}, so it "
                "cannot detect an effect in the other direction. Fix: pass the effect with "
                "the sign of the alternative, or alternative='two-sided'."
            )

        def gap(n):
            return self.power(n, effect) - power

        if gap(2) >= 0:
            return 2.0
        if gap(MAX_N) < 0:
            raise JourneyDataError(
                f"effect={effect!r}: too small to reach power {power:g} with up to {MAX_N:.0e} "
                "units per arm. Fix: design for a larger effect."
            )
        return float(brentq(gap, 2, MAX_N, xtol=1e-10, rtol=1e-12))

    def mde(self, n, power: float) -> float:
        """The smallest absolute effect (negative for ``alternative='smaller'``) that ``n``
        control units detect with ``power``."""
        from scipy.optimize import brentq

        sign = -1 if self.alternative == "smaller" else 1
        if self.proportions:  # the variant's rate stays within [0, 1]
            room = self.baseline if sign < 0 else 1 - self.baseline
            largest = room * (1 - 1e-9)
        else:
            largest = 1e3 * self.sd
        if largest <= 0 or self.power(n, sign * largest) < power:
            raise JourneyDataError(
                f"n={n}: too few units to reach power {power:g} for any effect"
                + (f" from baseline={self.baseline:g}" if self.proportions else "")
                + ". Fix: more units (or a lower power)."
            )
        if self.power(n, sign * 1e-12) >= power:
            raise JourneyDataError(
                f"power={power:g}: a zero effect is rejected that often already (alpha "
                f"{self.alpha:g}), so every effect is detectable. Fix: pass the power you want, "
                "e.g. power=0.8."
            )
        effect = brentq(lambda e: self.power(n, sign * e) - power, 1e-12, largest, xtol=1e-12)
        return sign * float(effect)


def _check_n(n, *, scalar: bool = False) -> None:
    """Raise unless ``n``, the control arm's size (array-like unless ``scalar``), is at least
    2 units."""
    values = np.asarray(n)
    ok = values.dtype.kind in "iuf" and values.size > 0 and not (scalar and values.ndim)
    if not ok or not (np.isfinite(values) & (values >= 2)).all():
        many = "" if scalar else " (a number, or an array for a power curve)"
        raise JourneyDataError(
            f"n={n!r}: expected the control arm's size{many}, at least 2 units. Fix: pass "
            "e.g. n=1000."
        )


def power(
    n,
    effect: float,
    *,
    baseline: float | None = None,
    sd: float | None = None,
    alpha: float = 0.05,
    alternative: str = "two-sided",
    ratio: float = 1.0,
    relative: bool = False,
):
    """The power of a two-arm test of proportions (``baseline=``) or means (``sd=``).

    Parameters
    ----------
    n : int, float or array-like
        Units in the control arm (an array for a power curve); the variant gets
        ``ratio * n``.
    effect : float
        The difference variant - control to detect: absolute, or a share of ``baseline``
        with ``relative=True``.
    baseline : float, optional
        The control's conversion rate, from 0 to 1 (proportions), or its mean (with ``sd``,
        for a relative effect).
    sd : float, optional
        The metric's standard deviation (means; > 0).
    alpha : float
        The significance level of the test.
    alternative : {'two-sided', 'larger', 'smaller'}
        As in :func:`journeykit.ab_test`.
    ratio : float
        Variant units per control unit (> 0).
    relative : bool
        ``effect`` as a share of ``baseline``.

    Returns
    -------
    float or numpy.ndarray
        The chance to reject at level ``alpha`` when the true difference is ``effect`` (an
        array when ``n`` is one).

    References
    ----------
    R Core Team. ``power.prop.test`` and ``power.t.test``, package stats of R.
    Fleiss, J. L., Levin, B. & Paik, M. C. (2003). Statistical Methods for Rates and
    Proportions, 3rd ed. Wiley, chapter 4 (sample sizes for comparing two proportions).
    Cohen, J. (1988). Statistical Power Analysis for the Behavioral Sciences, 2nd ed.
    Erlbaum, chapter 2 (the t-test of two means).

    Examples
    --------
    >>> round(power(50, 0.25, baseline=0.5), 7)  # R: power.prop.test(n=50, p1=.5, p2=.75)
    0.7401659
    >>> round(power(20, 1, sd=1), 7)  # R: power.t.test(n=20, delta=1)
    0.8689528
    """
    design = Design.of(baseline=baseline, sd=sd, alpha=alpha, alternative=alternative, ratio=ratio)
    effect = design.absolute(effect, relative)
    _check_n(n)
    result = design.power(n, effect)
    return float(result) if np.ndim(result) == 0 else result


def sample_size(
    effect: float,
    *,
    baseline: float | None = None,
    sd: float | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    alternative: str = "two-sided",
    ratio: float = 1.0,
    relative: bool = False,
) -> float:
    """Units needed in the control arm (the variant needs ``ratio`` times as many) to detect
    ``effect`` with the given power; unrounded like R, so round up.

    Parameters
    ----------
    effect : float
        The difference variant - control to detect (absolute, or relative with
        ``relative=True``); its sign must fit a one-sided ``alternative``.
    power : float
        The power to reach, strictly between 0 and 1.
    baseline, sd, alpha, alternative, ratio, relative
        As in :func:`power`.

    Returns
    -------
    float
        Units in the control arm (at least 2).

    References
    ----------
    R Core Team. ``power.prop.test`` and ``power.t.test``, package stats of R.
    Fleiss, J. L., Levin, B. & Paik, M. C. (2003). Statistical Methods for Rates and
    Proportions, 3rd ed. Wiley, chapter 4 (sample sizes for comparing two proportions).
    Cohen, J. (1988). Statistical Power Analysis for the Behavioral Sciences, 2nd ed.
    Erlbaum, chapter 2 (the t-test of two means).

    Examples
    --------
    >>> round(sample_size(0.25, baseline=0.5, power=0.9), 2)  # R power.prop.test: 76.7069
    76.71
    >>> round(sample_size(0.1, baseline=0.9), 2)  # R: power.prop.test(p1=.9, p2=1, power=.8)
    73.37
    """
    target = check_level("power", power)
    design = Design.of(baseline=baseline, sd=sd, alpha=alpha, alternative=alternative, ratio=ratio)
    return design.sample_size(design.absolute(effect, relative), target)


def mde(
    n: float,
    *,
    baseline: float | None = None,
    sd: float | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    alternative: str = "two-sided",
    ratio: float = 1.0,
    relative: bool = False,
) -> float:
    """Minimum detectable effect: the smallest difference that ``n`` control units (and
    ``ratio * n`` variant units) detect with the given power.

    Parameters
    ----------
    n : int or float
        Units in the control arm (at least 2).
    power : float
        The power to reach, strictly between 0 and 1.
    baseline, sd, alpha, alternative, ratio
        As in :func:`power`.
    relative : bool
        Return the effect as a share of ``baseline``.

    Returns
    -------
    float
        The effect, absolute (relative with ``relative=True``): an increase, or a decrease
        (negative) for ``alternative='smaller'``.

    References
    ----------
    R Core Team. ``power.prop.test`` and ``power.t.test``, package stats of R.
    Fleiss, J. L., Levin, B. & Paik, M. C. (2003). Statistical Methods for Rates and
    Proportions, 3rd ed. Wiley, chapter 4 (sample sizes for comparing two proportions).
    Cohen, J. (1988). Statistical Power Analysis for the Behavioral Sciences, 2nd ed.
    Erlbaum, chapter 2 (the t-test of two means).

    Examples
    --------
    >>> round(mde(20, sd=1, power=0.8689528), 4)  # R: power.t.test(n=20, delta=1)
    1.0
    """
    target = check_level("power", power)
    design = Design.of(baseline=baseline, sd=sd, alpha=alpha, alternative=alternative, ratio=ratio)
    if relative:
        design.check_relative()
    _check_n(n, scalar=True)
    effect = design.mde(n, target)
    return effect / baseline if relative else effect


@dataclass(frozen=True, repr=False)
class Plan(Result):
    """An experiment's required sample size and its power curve."""

    table: pd.DataFrame
    curve: pd.DataFrame
    title = "Experiment plan"
    first = ("n_control", "n_treatment", "n", "effect", "lift", "power", "alpha")

    @property
    def notes(self) -> tuple[str, ...]:
        row = self.table.iloc[0]
        return (
            f"{row['alternative']} test at alpha {row['alpha']:g}; power {row['power']:.0%} to "
            f"detect an absolute effect of {row['effect']:.4g}; sizes rounded up (R's "
            "power.prop.test / power.t.test conventions).",
        )

    @property
    def conclusion(self) -> str:
        row = self.table.iloc[0]
        proportions = pd.isna(row["sd"])
        effect = f"{100 * row['effect']:+.2f} points" if proportions else f"{row['effect']:+.4g}"
        relative = "" if pd.isna(row["lift"]) else f" ({row['lift']:+.1%} relative)"
        start = (
            f"a baseline rate of {row['baseline']:.1%}"
            if proportions
            else f"a standard deviation of {row['sd']:.4g}"
        )
        return (
            f"To detect a difference of {effect}{relative} from {start} with "
            f"{row['power']:.0%} power in a {row['alternative']} test at alpha = "
            f"{row['alpha']:g}, the experiment needs {int(row['n_control']):,} control and "
            f"{int(row['n_treatment']):,} variant units, {int(row['n']):,} in all. With fewer, "
            "a real "
            "effect of that size is likely to be missed."
        )

    def plot(self, ax=None):
        """Power against the control arm's size, with the planned size marked."""
        return plots.power_curve(self.curve, self.table.iloc[0], ax)


def plan(
    effect: float,
    *,
    baseline: float | None = None,
    sd: float | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    alternative: str = "two-sided",
    ratio: float = 1.0,
    relative: bool = False,
) -> Plan:
    """Plan an experiment: units per arm (rounded up) and the power curve around them.

    Parameters
    ----------
    effect, power
        As in :func:`sample_size`.
    baseline, sd, alpha, alternative, ratio, relative
        As in :func:`power`.

    Returns
    -------
    Plan
        ``table`` (one row): baseline, sd, effect (absolute), lift (the effect relative to
        the baseline), alpha, power, alternative, ratio, n_control, n_treatment, n (both
        arms); ``curve``: n_control, n_treatment, n and power from 2 units per arm to four
        times the plan; ``conclusion`` and ``plot()``.

    References
    ----------
    R Core Team. ``power.prop.test`` and ``power.t.test``, package stats of R.
    Fleiss, J. L., Levin, B. & Paik, M. C. (2003). Statistical Methods for Rates and
    Proportions, 3rd ed. Wiley, chapter 4 (sample sizes for comparing two proportions).
    Cohen, J. (1988). Statistical Power Analysis for the Behavioral Sciences, 2nd ed.
    Erlbaum, chapter 2 (the t-test of two means).

    Examples
    --------
    >>> plan(0.25, baseline=0.5, power=0.9).table[["n_control", "n_treatment", "n"]]
       n_control  n_treatment    n
    0         77           77  154
    """
    target = check_level("power", power)
    design = Design.of(baseline=baseline, sd=sd, alpha=alpha, alternative=alternative, ratio=ratio)
    absolute = design.absolute(effect, relative)
    n = design.sample_size(absolute, target)
    n_control = math.ceil(n - 1e-9)
    n_treatment = math.ceil(design.ratio * n - 1e-9)
    table = pd.DataFrame(
        [
            {
                "baseline": np.nan if baseline is None else design.baseline,
                "sd": np.nan if sd is None else design.sd,
                "effect": absolute,
                "lift": absolute / design.baseline if design.baseline else np.nan,
                "alpha": design.alpha,
                "power": target,
                "alternative": design.alternative,
                "ratio": design.ratio,
                "n_control": n_control,
                "n_treatment": n_treatment,
                "n": n_control + n_treatment,
            }
        ]
    )
    grid = np.unique(np.geomspace(2, max(4 * n, 10), 200).round())
    curve = pd.DataFrame(
        {
            "n_control": grid.astype("int64"),
            "n_treatment": np.ceil(design.ratio * grid - 1e-9).astype("int64"),
            "power": design.power(grid, absolute),
        }
    )
    curve.insert(2, "n", curve["n_control"] + curve["n_treatment"])
    return Plan(table, curve)
