"""A/B tests on one row per randomised unit: every variant against the control, the
sample-ratio check, and the per-unit table built from events.

Every function here works on ``units``, one row per randomised unit (customer, session,
account) with its variant and its metrics; :func:`experiment_units` builds that table from
events. Designing an experiment (power, sample size) is :mod:`journeykit.design`,
monitoring it continuously :mod:`journeykit.sequential`, the Bayesian view
:mod:`journeykit.bayes`.

Definitions (the columns of :func:`ab_test`'s table, control first):

- ``conversion`` (a 0/1 metric) or ``mean`` (any other; for a ratio metric the ratio of the
  sums): the variant's value of the metric; ``n``: its units.
- ``diff`` = variant - control; ``lift`` = ``diff / control`` (relative), each with its
  interval ``diff_ci_low``/``diff_ci_high`` and ``lift_ci_low``/``lift_ci_high`` at level
  ``1 - alpha`` (one-sided alternatives open the other end).
- ``statistic`` and ``dof`` (degrees of freedom, when the test has them), ``p_value``,
  ``p_adjusted`` (over the comparisons with the control) and ``significant``
  (``p_adjusted < alpha``).

Methods, by the metric's ``kind``:

- proportions (``kind='proportion'``): the pooled two-proportion z-test (``method='z'``;
  ``z**2`` is Pearson's chi-square without continuity correction) or the chi-square test
  with Yates' continuity correction (``method='chi2'``, R's ``prop.test`` default). The
  interval of the difference is Newcombe's hybrid score interval (``interval='newcombe'``,
  Newcombe 1998, method 10, built from Wilson 1927 intervals), the Wald interval or Agresti
  & Caffo's (2000) add-one-success-and-failure interval (statsmodels'
  ``confint_proportions_2indep``).
- means (``kind='mean'``): Welch's (1947) unequal-variance t-test (``method='welch'``); the
  Mann-Whitney (1947) U test (``'mann_whitney'``, the normal approximation with tie and
  continuity correction of R's ``wilcox.test``: it tests for a shift of the distribution,
  the interval stays Welch's for the difference of the means); or the BCa bootstrap
  (Efron 1987) of the difference (``'bootstrap'``, ``scipy.stats.bootstrap``; the p-value
  inverts percentile intervals).
- ratio metrics (``denominator=``, e.g. revenue per session when customers are
  randomised): the ratio of the sums per variant with the delta-method variance of Deng,
  Knoblich & Lu (2018); a z-test.
- CUPED (``covariate=``, Deng, Xu, Kohavi & Walker 2013): ``y - theta (x - mean x)`` with
  ``theta = cov(y, x) / var(x)`` over all units, then Welch's test on the adjusted metric;
  the result reports the variance reduction.
- the relative lift: the delta-method interval of ``mean_t / mean_c - 1``. When the control
  mean is not significantly different from 0, Fieller's (1954) interval of the ratio is
  unbounded and the delta interval means little: a ``JourneyWarning`` says so.
- A/B/n: each variant against the control, p-values adjusted by Holm (1979; default) or
  Benjamini & Hochberg (1995, ``adjust='bh'``); intervals are not adjusted.
- every test checks the sample ratio (:func:`srm_test`) and warns when p < 0.001.

References
----------
Agresti, A. & Caffo, B. (2000). Simple and effective confidence intervals for proportions
and differences of proportions result from adding two successes and two failures. The
American Statistician 54(4), 280-288.
Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery rate. Journal of the
Royal Statistical Society B 57(1), 289-300.
Deng, A., Xu, Y., Kohavi, R. & Walker, T. (2013). Improving the sensitivity of online
controlled experiments by utilizing pre-experiment data. WSDM '13, 123-132.
Deng, A., Knoblich, U. & Lu, J. (2018). Applying the delta method in metric analytics: a
practical guide with novel ideas. KDD '18, 233-242.
Efron, B. (1987). Better bootstrap confidence intervals. Journal of the American
Statistical Association 82(397), 171-185.
Fieller, E. C. (1954). Some problems in interval estimation. Journal of the Royal
Statistical Society B 16(2), 175-185.
Holm, S. (1979). A simple sequentially rejective multiple test procedure. Scandinavian
Journal of Statistics 6(2), 65-70.
Kohavi, R., Tang, D. & Xu, Y. (2020). Trustworthy Online Controlled Experiments. Cambridge
University Press, chapter 21 (sample ratio mismatch).
Mann, H. B. & Whitney, D. R. (1947). On a test of whether one of two random variables is
stochastically larger than the other. Annals of Mathematical Statistics 18(1), 50-60.
Newcombe, R. G. (1998). Interval estimation for the difference between independent
proportions: comparison of eleven methods. Statistics in Medicine 17(8), 873-890.
Welch, B. L. (1947). The generalization of 'Student's' problem when several different
population variances are involved. Biometrika 34(1-2), 28-35.
Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
inference. Journal of the American Statistical Association 22(158), 209-212.
Yates, F. (1934). Contingency tables involving small numbers and the chi-square test.
Supplement to the Journal of the Royal Statistical Society 1(2), 217-235.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import _engine, plots
from .checks import (
    as_floats,
    as_of_in_data,
    as_timedelta,
    check_choice,
    check_events_exist,
    check_level,
    check_whole,
    require,
    require_events,
    suggest,
    utc_times,
)
from .errors import JourneyDataError, JourneyWarning
from .results import Result, in_words, p_text

KINDS = ("auto", "proportion", "mean", "ratio")
#: kind -> its methods, the default first
METHODS = {
    "proportion": ("z", "chi2"),
    "mean": ("welch", "mann_whitney", "bootstrap"),
    "ratio": ("delta",),
}
#: method -> how the notes name it
HOW = {
    "z": "the pooled two-proportion z-test",
    "chi2": "the chi-square test with Yates' continuity correction",
    "welch": "Welch's t-test",
    "mann_whitney": "the Mann-Whitney U test (interval: Welch's, for the difference of means)",
    "bootstrap": "the BCa bootstrap",
    "delta": "the delta-method z-test of the ratio of sums",
}
INTERVALS = ("newcombe", "wald", "agresti_caffo")
ALTERNATIVES = ("two-sided", "larger", "smaller")
ADJUSTMENTS = {"holm": "holm", "bh": "fdr_bh", "bonferroni": "bonferroni", "none": None}
#: the p-value below which the split counts as a sample-ratio mismatch (Fabijan et al. 2019)
SRM_ALPHA = 0.001
SMALL_N = 30
#: the columns experiment_units adds to the assignments, in order
OUTCOMES = (
    "converted",
    "n_conversions",
    "revenue",
    "n_sessions",
    "n_pre_conversions",
    "pre_revenue",
    "n_pre_events",
)


# --------------------------------------------------------------------------- the units


def check_units(units, variant: str) -> None:
    """Raise unless ``units`` is a non-empty DataFrame of units with the ``variant`` column."""
    if not isinstance(units, pd.DataFrame):
        raise JourneyDataError(
            f"units: expected a pandas DataFrame with one row per unit; got "
            f"{type(units).__name__}. Fix: build it with journeykit.experiment_units(...)."
        )
    if len(units) == 0:
        raise JourneyDataError(
            "units: no units (the frame is empty). Fix: check the filter or the "
            "experiment_units(...) call that built it."
        )
    require(units, [variant], param="variant")


def unit_values(units: pd.DataFrame, column: str, param: str) -> np.ndarray:
    """A per-unit column as floats; a missing value (NaN, None, pd.NA) or text raises."""
    require(units, [column], param=param)
    values = as_floats(units[column])
    bad = ~np.isfinite(values)
    if bad.any():
        rows = units.loc[bad, [column]].head(5)
        raise JourneyDataError(
            f"{param}={column!r}: {int(bad.sum())} values are missing or not numbers.\nExample "
            f"rows:\n{rows.to_string()}\nFix: fill or drop them before testing (a unit with no "
            "activity usually counts as 0)."
        )
    return values


def is_binary(values: np.ndarray) -> bool:
    """True when every value is 0 or 1 (a conversion)."""
    return bool(((values == 0) | (values == 1)).all())


@dataclass(frozen=True)
class Variants:
    """The variants of a units table: each unit's code (0: the control), the names (the
    control first) and the units per variant."""

    codes: np.ndarray
    names: list
    n: np.ndarray

    @property
    def k(self) -> int:
        return len(self.names)

    def sums(self, *columns) -> list[np.ndarray]:
        """The sum of each column per variant."""
        return [np.bincount(self.codes, weights=c, minlength=self.k) for c in columns]


def variants(units: pd.DataFrame, variant: str, control) -> Variants:
    """The variants of ``units``, validated: at least two, ``control`` one of them (default
    ``'control'`` when present, else the first in sorted order). A unit without a variant is
    a broken assignment and raises: dropping it would change the sample ratio."""
    codes, names = pd.factorize(units[variant], sort=True)
    if (codes < 0).any():
        rows = units.loc[codes < 0].head(5)
        raise JourneyDataError(
            f"variant={variant!r}: {int((codes < 0).sum())} of {len(units)} units have no "
            f"variant, a broken assignment.\nExample rows:\n{rows.to_string()}\nFix: find out "
            "why; drop them (units.dropna(subset=[variant])) only if they never saw a "
            "variant, since dropping units changes the sample ratio."
        )
    names = list(names)
    if len(names) < 2:
        raise JourneyDataError(
            f"variant={variant!r}: only one variant ({names}) in the data. Fix: an A/B test "
            "needs a control and at least one other variant."
        )
    if control is None:
        control = "control" if "control" in names else names[0]
    if control not in names:
        raise JourneyDataError(
            f"control={control!r}: no such variant. {suggest(control, names)} Fix: pass "
            "control= the name of the baseline variant."
        )
    order = [names.index(control)] + [i for i in range(len(names)) if names[i] != control]
    remap = np.empty(len(names), dtype=np.intp)
    remap[order] = np.arange(len(names))
    codes = remap[codes]
    n = np.bincount(codes, minlength=len(names)).astype(float)
    return Variants(codes, [names[i] for i in order], n)


# --------------------------------------------------------------------------- SRM


@dataclass(frozen=True, repr=False)
class SRM(Result):
    """Sample-ratio check: observed against expected units per variant (Pearson's chi-square
    goodness of fit)."""

    table: pd.DataFrame
    statistic: float
    dof: int
    p_value: float
    title = "Sample-ratio check"
    first = ("variant", "n", "n_expected", "share", "expected_share")

    @property
    def mismatch(self) -> bool:
        """True when p < 0.001: the split is not what was planned."""
        return bool(self.p_value < SRM_ALPHA)

    @property
    def notes(self) -> tuple[str, ...]:
        return (
            f"chi-square {self.statistic:.3f} on {self.dof} degrees of freedom, p = "
            f"{self.p_value:.4g}; a mismatch is p < {SRM_ALPHA:g}.",
        )

    @property
    def conclusion(self) -> str:
        observed = ", ".join(f"{v} {n:,}" for v, n in zip(self.table["variant"], self.table["n"]))
        if self.mismatch:
            return (
                f"WARNING: sample-ratio mismatch ({p_text(self.p_value)}, a mismatch is "
                f"p < {SRM_ALPHA:g}): the units per "
                f"variant ({observed}) are not the planned split. Randomisation or logging is "
                "broken; do not trust the test until the cause is found."
            )
        return (
            f"The split looks healthy: the units per variant ({observed}) are within chance "
            f"of the planned split ({p_text(self.p_value)})."
        )

    def plot(self, ax=None):
        """Observed and expected units per variant, side by side."""
        return plots.srm_bars(self.table, ax, p_value=self.p_value)


def srm_test(counts, *, expected=None) -> SRM:
    """Sample-ratio-mismatch (SRM) test: do the units per variant match the planned split?

    Pearson's chi-square goodness of fit of the observed units per variant against
    ``expected`` shares of their total, on ``k - 1`` degrees of freedom. A mismatch is
    p < 0.001, the usual threshold (Fabijan et al. 2019; Kohavi et al. 2020, ch. 21): at that
    level a healthy split is flagged once in a thousand experiments.

    Parameters
    ----------
    counts : dict, Series or list of int
        Units per variant (whole numbers >= 0).
    expected : dict, Series or list of float, optional
        The planned shares, summing to 1 (``[0.5, 0.5]``), or whole-number ratios
        (``{'control': 1, 'treatment': 2}``, normalised); equal shares when None. Fractions
        that do not sum to 1 raise (``[0.6, 0.6]`` is a typo, not a split).

    Returns
    -------
    SRM
        ``table``: variant, n, share (observed), expected_share, n_expected; ``statistic``
        (chi-square), ``dof``, ``p_value``, ``mismatch``, ``conclusion`` and ``plot()``.

    References
    ----------
    Pearson, K. (1900). On the criterion that a given system of deviations from the probable
    in the case of a correlated system of variables is such that it can be reasonably
    supposed to have arisen from random sampling. Philosophical Magazine 50(302), 157-175.
    Fabijan, A., Gupchup, J., Gupta, S., Omhover, J., Qin, W., Vermeer, L. & Dmitriev, P.
    (2019). Diagnosing sample ratio mismatch in online controlled experiments. KDD '19,
    2156-2164.
    Kohavi, R., Tang, D. & Xu, Y. (2020). Trustworthy Online Controlled Experiments.
    Cambridge University Press, chapter 21.

    Examples
    --------
    >>> res = srm_test({"control": 5000, "treatment": 5200})  # R: chisq.test(c(5000, 5200))
    >>> round(res.statistic, 4), round(res.p_value, 4), res.mismatch
    (3.9216, 0.0477, False)
    """
    from scipy.stats import chi2

    counts = counts if isinstance(counts, pd.Series) else pd.Series(counts)
    if len(counts) < 2:
        raise JourneyDataError(
            f"counts: expected units for at least two variants; got {len(counts)}. Fix: pass "
            "e.g. {'control': 5000, 'treatment': 5020}."
        )
    values = pd.Series(as_floats(counts), index=counts.index)
    if not (np.isfinite(values) & (values >= 0) & (values % 1 == 0)).all():
        raise JourneyDataError(
            f"counts: expected whole numbers >= 0; got {counts.tolist()}. Fix: pass the number "
            "of units assigned to each variant."
        )
    shares = pd.Series(1.0, index=values.index) if expected is None else _shares(expected, values)
    shares = shares / shares.sum()
    total = values.sum()
    if total == 0:
        raise JourneyDataError("counts: every count is 0. Fix: pass the units per variant.")
    observed, expect = values.to_numpy(), shares.to_numpy() * total
    statistic = float(((observed - expect) ** 2 / expect).sum())
    dof = len(values) - 1
    table = pd.DataFrame(
        {
            "variant": values.index.astype(str),
            "n": observed.astype("int64"),
            "share": observed / total,
            "expected_share": shares.to_numpy(),
            "n_expected": expect,
        }
    )
    return SRM(table, statistic, dof, float(chi2.sf(statistic, dof)))


def _shares(expected, counts: pd.Series) -> pd.Series:
    """The planned shares, one finite number > 0 per variant, in the order of ``counts``."""
    listed = isinstance(expected, (list, tuple, np.ndarray))
    raw = pd.Series(list(expected) if listed else expected)
    if listed and len(raw) == len(counts):
        raw.index = counts.index
    if len(raw) != len(counts) or set(raw.index) != set(counts.index):
        raise JourneyDataError(
            f"expected: shares for {list(raw.index)}, but counts are for "
            f"{list(counts.index)}. Fix: give one share per variant."
        )
    shares = pd.Series(as_floats(raw), index=raw.index).reindex(counts.index)
    if not (np.isfinite(shares) & (shares > 0)).all():
        raise JourneyDataError(
            f"expected: shares must be finite numbers > 0; got {raw.tolist()}. Fix: pass the "
            "planned allocation, e.g. {'control': 0.5, 'treatment': 0.5}."
        )
    ratios = bool((shares % 1 == 0).all())
    if not ratios and not math.isclose(shares.sum(), 1, abs_tol=1e-6):
        raise JourneyDataError(
            f"expected: the shares {raw.tolist()} sum to {shares.sum():g}; expected shares "
            "summing to 1, or whole-number ratios. Fix: pass e.g. {'control': 0.5, "
            "'treatment': 0.5}, or {'control': 1, 'treatment': 2} for a 1:2 split."
        )
    return shares


# --------------------------------------------------------------------------- test statistics


def p_from_z(z, alternative: str):
    """The p-value of a standard normal statistic ``z`` under ``alternative``."""
    from scipy.stats import norm

    if alternative == "two-sided":
        return 2 * norm.sf(np.abs(z))
    return norm.sf(z) if alternative == "larger" else norm.cdf(z)


def pooled_z(successes_t, n_t, successes_c, n_c, *, alternative="two-sided", yates=False):
    """The pooled two-proportion z statistic of variant (``_t``) against control (``_c``) and
    its p-value; ``yates`` shrinks the difference by half a unit per group (not past 0), as
    R's ``prop.test``. ``z**2`` is Pearson's chi-square of the 2 x 2 table. Arrays work
    element-wise."""
    diff = successes_t / n_t - successes_c / n_c
    pooled = (successes_t + successes_c) / (n_t + n_c)
    se0 = np.sqrt(pooled * (1 - pooled) * (1 / n_t + 1 / n_c))
    if yates:
        diff = np.sign(diff) * np.maximum(np.abs(diff) - 0.5 * (1 / n_t + 1 / n_c), 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se0 > 0, diff / se0, 0.0)
    return z, p_from_z(z, alternative)


def welch_t(diff, var_t, n_t, var_c, n_c, *, alternative="two-sided"):
    """Welch's t statistic, its Welch-Satterthwaite degrees of freedom and p-value for a
    difference of means, from the variances of the two means (``s**2 / n``). Arrays work
    element-wise."""
    from scipy.stats import t as student

    var = var_t + var_c
    with np.errstate(divide="ignore", invalid="ignore"):
        dof = var**2 / (var_t**2 / (n_t - 1) + var_c**2 / (n_c - 1))
        t = diff / np.sqrt(var)
    if alternative == "two-sided":
        p = 2 * student.sf(np.abs(t), dof)
    else:
        p = student.sf(t, dof) if alternative == "larger" else student.cdf(t, dof)
    return t, dof, p


def adjust_p(p, adjust: str = "holm") -> np.ndarray:
    """Multiple-comparison adjusted p-values.

    Holm (1979) is computed here (statsmodels' ``multipletests`` gives the same values but
    calls ``gc.collect()`` on that path, which costs 0.2 s in a session holding large
    frames); Benjamini-Hochberg and Bonferroni come from statsmodels. A missing p-value (an
    undefined test) stays missing and does not count as a comparison.

    Parameters
    ----------
    p : list of float
        The p-values, numbers in [0, 1] (NaN: no test).
    adjust : {'holm', 'bh', 'bonferroni', 'none'}
        The adjustment.

    Returns
    -------
    numpy.ndarray
        The adjusted p-values, in the order given.

    References
    ----------
    Holm, S. (1979). A simple sequentially rejective multiple test procedure. Scandinavian
    Journal of Statistics 6(2), 65-70.
    Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery rate. Journal of
    the Royal Statistical Society B 57(1), 289-300.

    Examples
    --------
    >>> adjust_p([0.01, 0.04, 0.03]).round(2).tolist()
    [0.03, 0.06, 0.06]
    """
    check_choice("adjust", adjust, tuple(ADJUSTMENTS))
    given = p
    try:
        p = np.asarray(p, dtype=float)
    except (TypeError, ValueError):
        p = np.array([-1.0])
    if p.ndim != 1 or (p < 0).any() or (p > 1).any():
        raise JourneyDataError(
            f"p={given!r}: expected a list of p-values, numbers in [0, 1]. Fix: pass e.g. "
            "adjust_p([0.01, 0.04, 0.2])."
        )
    out = p.copy()
    defined = ~np.isnan(p)
    if ADJUSTMENTS[adjust] is not None and defined.sum() > 1:
        out[defined] = _adjusted(p[defined], adjust)
    return out


def _adjusted(p: np.ndarray, adjust: str) -> np.ndarray:
    if adjust == "holm":
        order = np.argsort(p, kind="stable")
        steps = np.maximum.accumulate(np.minimum((len(p) - np.arange(len(p))) * p[order], 1))
        out = np.empty_like(p)
        out[order] = steps
        return out
    from statsmodels.stats.multitest import multipletests

    return multipletests(p, method=ADJUSTMENTS[adjust])[1]


# --------------------------------------------------------------------------- the test


@dataclass(frozen=True, repr=False)
class ABTest(Result):
    """Every variant against the control: effect, intervals, p-values, SRM, conclusion."""

    table: pd.DataFrame
    kind: str
    method: str
    interval: str | None
    alpha: float
    alternative: str
    adjust: str
    metric: str
    srm: SRM
    variance_reduction: float | None = None
    omnibus: dict | None = None
    title = "A/B test"
    first = ("variant", "n", "conversion", "mean", "diff", "diff_ci_low", "diff_ci_high")

    @property
    def estimate(self) -> str:
        """The column holding each variant's value: ``conversion`` or ``mean``."""
        return "conversion" if self.kind == "proportion" else "mean"

    @property
    def notes(self) -> tuple[str, ...]:
        notes = [
            f"diff = variant - control of {self.metric!r} ({self.kind}); lift = diff / "
            f"control; p-values by {HOW[self.method]}"
            + (f", intervals of diff by {self.interval}" if self.interval else "")
            + f"; {1 - self.alpha:.0%} intervals ({self.alternative}).",
            f"sample ratio: {self.srm.notes[0]}",
        ]
        if len(self.table) > 2:
            notes.append(f"p_adjusted: {self.adjust} over {len(self.table) - 1} comparisons.")
        if self.omnibus is not None:
            o = self.omnibus
            notes.append(
                f"all variants at once: chi-square {o['statistic']:.3f} on {o['dof']} degrees "
                f"of freedom, p = {o['p_value']:.3g}."
            )
        if self.variance_reduction is not None:
            notes.append(
                f"CUPED reduced the metric's variance by {self.variance_reduction:.1%} "
                "(intervals and tests use the adjusted metric)."
            )
        return tuple(notes)

    @property
    def conclusion(self) -> str:
        """A plain-language reading a student can check against the table."""
        t = self.table
        control = t.iloc[0]
        if self.kind == "proportion":
            value, change = "{:.1%}".format, lambda v: f"{100 * v:+.2f} points"
        else:
            value, change = "{:,.4g}".format, "{:+,.4g}".format
        level = f"{1 - self.alpha:.0%}"
        several = len(t) > 2
        parts = []
        for row in t.iloc[1:].to_dict("records"):
            verdict = (
                f"significant at alpha = {self.alpha:g}"
                if row["significant"]
                else f"not significant at alpha = {self.alpha:g}: the data are consistent "
                "with no difference"
            )
            lift = (
                "no relative lift (the control's value is 0)"
                if np.isnan(row["lift"])
                else f"a relative lift of {row['lift']:+.1%} "
                f"({_span(row['lift_ci_low'], row['lift_ci_high'], '{:+.1%}'.format)})"
            )
            p = row["p_adjusted"] if several else row["p_value"]
            parts.append(
                f"{row['variant']}: {value(row[self.estimate])} vs "
                f"{value(control[self.estimate])} for {control['variant']}, a difference of "
                f"{change(row['diff'])} ({level} interval "
                f"{_span(row['diff_ci_low'], row['diff_ci_high'], change)}), {lift}; "
                f"{p_text(p)}{' (adjusted)' if several else ''}, {verdict}."
            )
        return " ".join([*parts, self.srm.conclusion])

    def plot(self, ax=None):
        """Forest plot: each variant's difference from the control with its interval."""
        percent = self.kind == "proportion"
        unit = "percentage points" if percent else self.metric
        return plots.forest(
            self.table.iloc[1:],
            ax,
            percent=percent,
            xlabel=f"difference from control ({unit})",
            title=f"{self.metric}: each variant against the control ({1 - self.alpha:.0%} "
            + ("" if self.alternative == "two-sided" else "one-sided ")
            + "intervals)",
        )


def _span(low, high, fmt) -> str:
    """An interval in words; an open end (a one-sided test) reads 'or more' / 'or less'."""
    if np.isinf(high):
        return f"{fmt(low)} or more"
    if np.isinf(low):
        return f"{fmt(high)} or less"
    return f"{fmt(low)} to {fmt(high)}"


@dataclass(frozen=True)
class _Options:
    """The test's options, validated."""

    alpha: float
    alternative: str
    method: str
    interval: str
    n_boot: int
    seed: int

    @property
    def crit(self) -> float:
        """The normal quantile of the intervals at level 1 - alpha."""
        return _z(self.alpha, self.alternative)


@dataclass
class _Effects:
    """What a test gives: each variant's value (the control first) and, per comparison with
    the control, the difference, relative lift, their intervals, statistic, dof, p-value."""

    value: np.ndarray
    diff: np.ndarray
    diff_low: np.ndarray
    diff_high: np.ndarray
    lift: np.ndarray
    lift_low: np.ndarray
    lift_high: np.ndarray
    statistic: np.ndarray
    dof: np.ndarray
    p: np.ndarray
    extra: dict = field(default_factory=dict)


def _z(alpha: float, alternative: str) -> float:
    from scipy.stats import norm

    return float(norm.isf(alpha / 2 if alternative == "two-sided" else alpha))


def _bounds(est, se, crit, alternative: str):
    """Interval ``est +- crit * se``; one-sided alternatives open the other end."""
    low, high = est - crit * se, est + crit * se
    if alternative == "larger":
        high = np.full_like(high, np.inf)
    elif alternative == "smaller":
        low = np.full_like(low, -np.inf)
    return low, high


def _lift(mean, vm, opts: _Options):
    """Relative lift ``mean_t / mean_c - 1`` of each variant with its delta-method interval
    (``vm``: the variances of the means). Warns when Fieller's interval is unbounded."""
    nan = np.full(len(mean) - 1, np.nan)
    mean_c, var_c = mean[0], vm[0]
    if mean_c == 0:
        warnings.warn(
            "ab_test: the control mean is 0, so the relative lift is undefined (left missing); "
            "read the absolute difference instead.",
            JourneyWarning,
            stacklevel=4,
        )
        return nan, nan, nan
    lift = mean[1:] / mean_c - 1
    se = np.sqrt(vm[1:] / mean_c**2 + mean[1:] ** 2 * var_c / mean_c**4)
    with np.errstate(divide="ignore"):
        signal = mean_c**2 / var_c
    if signal < _z(opts.alpha, "two-sided") ** 2:
        warnings.warn(
            "ab_test: the control mean is not significantly different from 0, so Fieller's "
            "interval for the relative lift is unbounded; read the absolute difference "
            "instead.",
            JourneyWarning,
            stacklevel=4,
        )
    low, high = _bounds(lift, se, opts.crit, opts.alternative)
    return lift, low, high


@dataclass(frozen=True)
class _Moments:
    """Each variant's sum, mean and (n - 1) variance of the metric, from two sums."""

    total: np.ndarray
    mean: np.ndarray
    var: np.ndarray


def _moments(y, groups: Variants) -> _Moments:
    total, squares = groups.sums(y, y * y)
    mean = total / groups.n
    return _Moments(total, mean, np.maximum(squares - groups.n * mean**2, 0) / (groups.n - 1))


def _welch_effects(mean, var, groups: Variants, opts: _Options) -> _Effects:
    """Welch's t-test and interval of each variant's mean against the control's (``var``:
    the variances of the units), with the delta-method lift."""
    from scipy.stats import t as student

    n = groups.n
    vm = var / n
    diff = mean[1:] - mean[0]
    t, dof, p = welch_t(diff, vm[1:], n[1:], vm[0], n[0], alternative=opts.alternative)
    two = opts.alternative == "two-sided"
    crit = student.isf(opts.alpha / 2 if two else opts.alpha, dof)
    low, high = _bounds(diff, np.sqrt(vm[1:] + vm[0]), crit, opts.alternative)
    return _Effects(mean, diff, low, high, *_lift(mean, vm, opts), t, dof, p)


def _mean_effects(y, m: _Moments, groups: Variants, opts: _Options) -> _Effects:
    """A continuous metric: Welch's test, or Mann-Whitney's p-value with Welch's interval."""
    effects = _welch_effects(m.mean, m.var, groups, opts)
    if opts.method == "mann_whitney":
        effects.statistic, effects.p = _mann_whitney(y, groups, opts.alternative)
        effects.dof = np.full(groups.k - 1, np.nan)
    return effects


def _proportion_effects(m: _Moments, groups: Variants, opts: _Options) -> _Effects:
    """A 0/1 metric: the pooled z-test (or Yates' chi-square) with the chosen interval of
    the difference, and the delta-method lift."""
    from statsmodels.stats.proportion import confint_proportions_2indep

    n, successes = groups.n, m.total
    yates = opts.method == "chi2"
    z, p = pooled_z(
        successes[1:], n[1:], successes[0], n[0], alternative=opts.alternative, yates=yates
    )
    level_alpha = opts.alpha if opts.alternative == "two-sided" else 2 * opts.alpha
    sm = {"newcombe": "newcomb", "wald": "wald", "agresti_caffo": "agresti-caffo"}[opts.interval]
    low, high = np.empty(groups.k - 1), np.empty(groups.k - 1)
    for i in range(1, groups.k):
        low[i - 1], high[i - 1] = confint_proportions_2indep(
            successes[i], n[i], successes[0], n[0], method=sm, alpha=level_alpha
        )
    if opts.alternative == "larger":
        high[:] = np.inf
    elif opts.alternative == "smaller":
        low[:] = -np.inf
    statistic, dof = (z**2, np.ones_like(z)) if yates else (z, np.full_like(z, np.nan))
    lift = _lift(m.mean, m.var / n, opts)
    return _Effects(m.mean, m.mean[1:] - m.mean[0], low, high, *lift, statistic, dof, p)


def _cuped_effects(y, x, m: _Moments, groups: Variants, opts: _Options, covariate: str):
    """CUPED: Welch's test on ``y - theta (x - mean x)``, from the per-variant sums."""
    n, mean, var = groups.n, m.mean, m.var
    sx, sxx, sxy = groups.sums(x, x * x, x * y)
    total = n.sum()
    mx, my = sx.sum() / total, m.total.sum() / total
    var_x = (sxx.sum() - total * mx**2) / (total - 1)
    if var_x == 0:
        raise JourneyDataError(
            f"covariate={covariate!r}: has the same value for every unit, so it cannot "
            "reduce variance. Fix: pass the pre-period metric, or drop covariate=."
        )
    theta = ((sxy.sum() - total * mx * my) / (total - 1)) / var_x
    # each variant's mean and variance of y - theta (x - mean x), from the sums
    gx = sx / n
    vx = (sxx - n * gx**2) / (n - 1)
    cxy = (sxy - n * gx * mean) / (n - 1)
    adjusted = mean - theta * (gx - mx)
    before = (var * (n - 1)).sum()  # pooled within-variant sums of squares
    var = np.maximum(var - 2 * theta * cxy + theta**2 * vx, 0)
    effects = _welch_effects(adjusted, var, groups, opts)
    effects.value = mean
    reduction = float(1 - (var * (n - 1)).sum() / before) if before else 0.0
    effects.extra = {"adjusted": adjusted, "variance_reduction": reduction}
    return effects


def _ratio_effects(y, d, m: _Moments, groups: Variants, opts: _Options, denominator: str):
    """A ratio of sums per variant: the delta-method z-test (Deng, Knoblich & Lu 2018)."""
    n = groups.n
    sd, sdd, syd = groups.sums(d, d * d, y * d)
    if (sd == 0).any():
        raise JourneyDataError(
            f"denominator={denominator!r}: sums to 0 in a variant. Fix: check the column."
        )
    mu_y, mu_d = m.mean, sd / n
    var_d = (sdd - n * mu_d**2) / (n - 1)
    cov = (syd - n * mu_y * mu_d) / (n - 1)
    ratio = mu_y / mu_d
    # Deng, Knoblich & Lu (2018): Var(Y-bar / X-bar)
    var_ratio = (m.var / mu_d**2 - 2 * mu_y * cov / mu_d**3 + mu_y**2 * var_d / mu_d**4) / n
    diff = ratio[1:] - ratio[0]
    se = np.sqrt(var_ratio[1:] + var_ratio[0])
    z = diff / se
    low, high = _bounds(diff, se, opts.crit, opts.alternative)
    lift = _lift(ratio, var_ratio, opts)
    dof = np.full(groups.k - 1, np.nan)
    return _Effects(ratio, diff, low, high, *lift, z, dof, p_from_z(z, opts.alternative))


def _mann_whitney(y, groups: Variants, alternative: str):
    """Each variant's U statistic against the control and its p-value (normal approximation
    with tie and continuity correction)."""
    from scipy.stats import mannwhitneyu

    control = y[groups.codes == 0]
    alt = {"two-sided": "two-sided", "larger": "greater", "smaller": "less"}[alternative]
    tests = [
        mannwhitneyu(y[groups.codes == i], control, alternative=alt, method="asymptotic")
        for i in range(1, groups.k)
    ]
    return np.array([t.statistic for t in tests]), np.array([t.pvalue for t in tests])


def _bootstrap_effects(y, m: _Moments, groups: Variants, opts: _Options) -> _Effects:
    """BCa intervals of the difference and the relative lift; the p-value is the smallest
    two-sided level at which the percentile interval excludes 0."""
    from scipy.stats import bootstrap

    def diff(a, b, axis=-1):
        return a.mean(axis=axis) - b.mean(axis=axis)

    def lift(a, b, axis=-1):
        return a.mean(axis=axis) / b.mean(axis=axis) - 1

    control = y[groups.codes == 0]
    out = np.full((7, groups.k - 1), np.nan)
    level = 1 - (opts.alpha if opts.alternative == "two-sided" else 2 * opts.alpha)
    for j, treated in enumerate(y[groups.codes == i] for i in range(1, groups.k)):
        rng = np.random.default_rng(opts.seed)
        options = {"n_resamples": opts.n_boot, "confidence_level": level, "rng": rng}
        res = bootstrap((treated, control), diff, **options)
        rel = bootstrap((treated, control), lift, **options)
        dist = res.bootstrap_distribution
        tail = {
            "two-sided": 2 * min((dist <= 0).mean(), (dist >= 0).mean()),
            "larger": (dist <= 0).mean(),
            "smaller": (dist >= 0).mean(),
        }[opts.alternative]
        out[:, j] = (
            diff(treated, control),
            *res.confidence_interval,
            lift(treated, control),
            *rel.confidence_interval,
            min(tail, 1.0),
        )
    if opts.alternative == "larger":
        out[[2, 5]] = np.inf
    elif opts.alternative == "smaller":
        out[[1, 4]] = -np.inf
    nan = np.full(groups.k - 1, np.nan)
    return _Effects(m.mean, *out[:6], nan, nan, out[6])


def _kind(kind: str, y, metric: str, denominator) -> str:
    """The metric's kind ('auto' resolved), checked against its values."""
    binary = is_binary(y) if kind in ("auto", "proportion") else False
    if kind == "auto":
        kind = "ratio" if denominator is not None else "proportion" if binary else "mean"
    if kind == "ratio" and denominator is None:
        raise JourneyDataError(
            "kind='ratio' needs denominator= the per-unit denominator column (e.g. "
            "n_sessions); got none. Fix: pass denominator='n_sessions' (say), or kind='mean' "
            "for a per-unit metric."
        )
    if kind == "mean" and np.ptp(y) == 0:
        raise JourneyDataError(
            f"metric={metric!r}: every unit has the same value ({y[0]:g}), so there is no "
            "difference to test. Fix: check the metric column (and the window that built it)."
        )
    if kind == "proportion" and not binary:
        bad = (y != 0) & (y != 1)
        raise JourneyDataError(
            f"metric={metric!r}: kind='proportion' needs 0/1 (or True/False) values; "
            f"{int(bad.sum())} are not, e.g. {np.unique(y[bad])[:5].tolist()}. Fix: pass "
            "kind='mean' for a continuous metric, or convert it to 0/1."
        )
    if kind == "proportion" and y.sum() == 0:
        raise JourneyDataError(
            f"metric={metric!r}: no unit converted in any variant, so there is nothing to "
            "compare. Fix: check the metric (and its window) or wait for conversions."
        )
    return kind


def _method(kind: str, method, covariate, n_boot, seed) -> str:
    """The test's method (the kind's default when None), checked against the kind."""
    method = METHODS[kind][0] if method is None else method
    check_choice("method", method, METHODS[kind])
    if method == "bootstrap":
        check_whole("n_boot", n_boot, example="9999")
        check_whole("seed", seed, minimum=0, example="0")
    if covariate is not None and kind == "ratio":
        raise JourneyDataError(
            "covariate= (CUPED) is not supported for ratio metrics here. Fix: test the ratio "
            "without covariate=, or CUPED-adjust a per-unit metric."
        )
    if covariate is not None and method in ("mann_whitney", "bootstrap", "chi2"):
        raise JourneyDataError(
            f"covariate= (CUPED) works with method='z' or 'welch'; got method={method!r}. "
            "Fix: drop covariate= or use the default method."
        )
    return method


def _sample_ratio(groups: Variants, expected) -> SRM:
    """The SRM check of the units per variant, with a JourneyWarning on a mismatch."""
    srm = srm_test(pd.Series(groups.n, index=groups.names), expected=expected)
    if srm.mismatch:
        split = dict(zip(groups.names, groups.n.astype(int).tolist()))
        warnings.warn(
            f"ab_test: sample-ratio mismatch (p = {srm.p_value:.2g} < {SRM_ALPHA}): the units "
            f"per variant {split} do not match the planned split. Randomisation or logging "
            "is broken; find the cause first.",
            JourneyWarning,
            stacklevel=3,
        )
    return srm


def _warn_small(kind: str, groups: Variants, successes) -> None:
    n, names = groups.n, groups.names
    if kind == "proportion":
        few = np.minimum(successes, n - successes)
        small = [names[i] for i in range(groups.k) if few[i] < 10 or n[i] < SMALL_N]
        rule = "fewer than 10 conversions or non-conversions, or fewer than 30 units"
    else:
        small = [names[i] for i in range(groups.k) if n[i] < SMALL_N]
        rule = "fewer than 30 units"
    if small:
        warnings.warn(
            f"ab_test: {small} have {rule}; the normal approximation behind the p-value and "
            "interval is rough. Collect more data before deciding.",
            JourneyWarning,
            stacklevel=3,
        )


def _omnibus(successes, groups: Variants) -> dict:
    """Pearson's chi-square of the k x 2 table of conversions (three or more variants)."""
    from scipy.stats import chi2_contingency

    stat, p, dof, _ = chi2_contingency(np.c_[successes, groups.n - successes], correction=False)
    return {"statistic": float(stat), "dof": int(dof), "p_value": float(p)}


def ab_test(
    units: pd.DataFrame,
    *,
    variant: str = "variant",
    metric: str = "converted",
    control=None,
    kind: str = "auto",
    alpha: float = 0.05,
    alternative: str = "two-sided",
    method: str | None = None,
    interval: str = "newcombe",
    covariate: str | None = None,
    adjust: str = "holm",
    denominator: str | None = None,
    expected=None,
    n_boot: int = 9999,
    seed: int = 0,
) -> ABTest:
    """Test every variant against the control on one row per randomised unit.

    The definitions of every column and the method behind every number are in the module
    docstring (``help(journeykit.abtest)``): ``diff`` = variant - control, ``lift`` = diff /
    control, intervals at level ``1 - alpha``.

    Parameters
    ----------
    units : pandas.DataFrame
        One row per unit with the variant and metric columns (see :func:`experiment_units`).
    variant, metric : str
        Column names. A missing variant or metric value raises (Notes).
    control : optional
        The baseline variant; ``'control'`` when present, else the first in sorted order.
    kind : {'auto', 'proportion', 'mean', 'ratio'}
        ``'auto'``: ``'ratio'`` with a ``denominator``, ``'proportion'`` for a bool or 0/1
        metric, else ``'mean'``.
    alpha : float
        Significance level; intervals have level ``1 - alpha``.
    alternative : {'two-sided', 'larger', 'smaller'}
        ``'larger'`` tests variant > control, ``'smaller'`` variant < control.
    method : str, optional
        Proportions: ``'z'`` (default) or ``'chi2'``; means: ``'welch'`` (default),
        ``'mann_whitney'`` or ``'bootstrap'``; ratio: ``'delta'``.
    interval : {'newcombe', 'wald', 'agresti_caffo'}
        The interval of a difference of proportions.
    covariate : str, optional
        The pre-period value of the metric, for CUPED (Welch's test on the adjusted metric).
    adjust : {'holm', 'bh', 'bonferroni', 'none'}
        Multiple-comparison adjustment when there are several variants.
    denominator : str, optional
        The per-unit denominator of a ratio metric (``metric`` is the numerator).
    expected : dict, optional
        The planned allocation for the SRM check: shares summing to 1 or whole-number
        ratios, as in :func:`srm_test` (equal by default).
    n_boot, seed : int
        Bootstrap resamples and seed (``method='bootstrap'``).

    Returns
    -------
    ABTest
        ``table``, the control first: variant, n, ``conversion`` (a 0/1 metric) or ``mean``,
        ``adjusted_conversion`` / ``adjusted_mean`` (CUPED), diff, diff_ci_low,
        diff_ci_high, lift, lift_ci_low, lift_ci_high, statistic (z, chi-square, t or U;
        missing for the bootstrap), dof (Welch's and Yates' tests), p_value, p_adjusted,
        significant; ``srm``, ``variance_reduction`` (CUPED), ``omnibus`` (the k-group
        chi-square of a 0/1 metric with three or more variants: statistic, dof, p_value),
        ``conclusion`` and ``plot()``.

    Notes
    -----
    Missing values are never dropped here: a unit without a variant is a broken assignment,
    and a missing metric, covariate or denominator is either a 0 (no activity) or broken
    logging, which only the analyst can tell apart; dropping such units after randomisation
    changes the sample ratio and can bias the comparison. Each raises a
    ``JourneyDataError`` with the count and example rows. A metric with the same value for
    every unit raises too; a control mean of 0 leaves the relative lift missing, with a
    ``JourneyWarning``.

    References
    ----------
    The methods' sources are listed in full in the module docstring: Newcombe (1998),
    Statistics in Medicine 17, 873-890; Wilson (1927), JASA 22, 209-212; Agresti & Caffo
    (2000), The American Statistician 54, 280-288; Yates (1934); Welch (1947), Biometrika 34,
    28-35; Mann & Whitney (1947), Annals of Mathematical Statistics 18, 50-60; Efron (1987),
    JASA 82, 171-185 (BCa); Deng, Xu, Kohavi & Walker (2013), WSDM (CUPED); Deng, Knoblich &
    Lu (2018), KDD (delta method); Fieller (1954); Holm (1979), Scandinavian Journal of
    Statistics 6, 65-70; Benjamini & Hochberg (1995), JRSS B 57, 289-300; Kohavi, Tang & Xu
    (2020), Trustworthy Online Controlled Experiments (SRM).

    Examples
    --------
    >>> units = pd.DataFrame({"variant": ["control"] * 1000 + ["treatment"] * 1000,
    ...                       "converted": [1] * 100 + [0] * 900 + [1] * 140 + [0] * 860})
    >>> res = ab_test(units)
    >>> res.table[["variant", "conversion", "diff", "lift", "p_value"]].round(4)
         variant  conversion  diff  lift  p_value
    0    control        0.10   NaN   NaN      NaN
    1  treatment        0.14  0.04   0.4   0.0059
    """
    check_units(units, variant)
    check_choice("kind", kind, KINDS)
    check_choice("alternative", alternative, ALTERNATIVES)
    check_choice("adjust", adjust, tuple(ADJUSTMENTS))
    check_choice("interval", interval, INTERVALS)
    alpha = check_level("alpha", alpha)
    y = unit_values(units, metric, "metric")
    kind = _kind(kind, y, metric, denominator)
    method = _method(kind, method, covariate, n_boot, seed)
    groups = variants(units, variant, control)
    if (groups.n < 2).any():
        small = [groups.names[i] for i in np.flatnonzero(groups.n < 2)]
        raise JourneyDataError(
            f"variant={variant!r}: fewer than 2 units in {small}. Fix: a test needs at least "
            "two units per variant (and in practice many more)."
        )
    srm = _sample_ratio(groups, expected)
    opts = _Options(alpha, alternative, method, interval, n_boot, seed)
    m = _moments(y, groups)
    if kind == "ratio":
        d = unit_values(units, denominator, "denominator")
        effects = _ratio_effects(y, d, m, groups, opts, denominator)
    elif covariate is not None:
        x = unit_values(units, covariate, "covariate")
        effects = _cuped_effects(y, x, m, groups, opts, covariate)
        method = "welch"  # on the adjusted metric, whatever the kind
    elif method == "bootstrap":
        effects = _bootstrap_effects(y, m, groups, opts)
    elif kind == "proportion":
        effects = _proportion_effects(m, groups, opts)
    else:
        effects = _mean_effects(y, m, groups, opts)
    if kind != "ratio":
        _warn_small(kind, groups, m.total)
    return ABTest(
        _table(groups, kind, effects, adjust, alpha),
        kind,
        method,
        interval if kind == "proportion" and covariate is None else None,
        alpha,
        alternative,
        adjust,
        metric,
        srm,
        effects.extra.get("variance_reduction"),
        _omnibus(m.total, groups) if kind == "proportion" and groups.k > 2 else None,
    )


def _table(groups: Variants, kind: str, effects: _Effects, adjust: str, alpha: float):
    """The result table: the control first, its comparison columns missing."""
    estimate = "conversion" if kind == "proportion" else "mean"
    p = np.asarray(effects.p, dtype=float)
    p_adjusted = adjust_p(p, adjust)
    rows = {"variant": groups.names, "n": groups.n.astype("int64"), estimate: effects.value}
    if "adjusted" in effects.extra:
        rows[f"adjusted_{estimate}"] = effects.extra["adjusted"]
    comparisons = {
        "diff": effects.diff,
        "diff_ci_low": effects.diff_low,
        "diff_ci_high": effects.diff_high,
        "lift": effects.lift,
        "lift_ci_low": effects.lift_low,
        "lift_ci_high": effects.lift_high,
        "statistic": effects.statistic,
        "dof": effects.dof,
        "p_value": p,
        "p_adjusted": p_adjusted,
    }
    rows.update({name: np.r_[np.nan, values] for name, values in comparisons.items()})
    rows["significant"] = np.r_[False, p_adjusted < alpha]
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- units


def experiment_units(
    events,
    assignments: pd.DataFrame,
    *,
    conversion="purchase",
    window="14D",
    pre_window=None,
    unit_id: str = "customer_id",
    variant: str = "variant",
    time: str = "assigned_at",
    as_of=None,
) -> pd.DataFrame:
    """The per-unit table an A/B test needs, from events and an assignment table.

    Only what happens in ``[time, time + window)`` after a unit's assignment counts for its
    outcome; the CUPED covariates come from ``[time - pre_window, time)`` (``pre_window``
    defaults to ``window``). Units without events get zeros. The event-level work is one
    Ibis query (DuckDB by default, or the events' own engine).

    The data end at ``as_of`` (default: the last event): events after it do not count,
    units assigned after it are left out (they had not entered the experiment yet), and
    units assigned less than ``window`` before it have an outcome window cut short; both
    are said in a ``JourneyWarning`` with their count. A cut window lowers the outcomes of
    every variant alike, so the comparison stays fair, but the rates are those of a shorter
    window.

    Parameters
    ----------
    events : pandas.DataFrame or Ibis table
        Canonical events (:func:`journeykit.read_events`).
    assignments : pandas.DataFrame
        One row per unit with ``unit_id``, ``variant`` and ``time`` (dates or times; naive
        values are UTC). A row missing one of them is a broken assignment and raises (it is
        not dropped: that would change the sample ratio), as do numbers or text that are no
        dates in ``time``.
    conversion : str or list of str
        The event(s) that count as a conversion; each must occur in the events.
    window, pre_window : str or Timedelta
        Durations with a unit (``'14D'``, ``'36h'``); ``pre_window`` defaults to ``window``.
    unit_id : str
        The column of the unit's id, in both tables (``customer_id`` of the events).
    variant, time : str
        The columns of ``assignments`` holding the variant and the assignment time.
    as_of : date-like, optional
        The end of the data (None: the last event); see above.

    Returns
    -------
    pandas.DataFrame
        One row per assigned unit, the assignment columns first, then ``converted`` (any
        ``conversion`` event in the window), ``n_conversions``, ``revenue`` (of the
        conversion events), ``n_sessions`` (distinct sessions with any event in the window,
        when the events have ``session_id``), ``n_pre_conversions``, ``pre_revenue`` and
        ``n_pre_events`` (any event before assignment: an engagement covariate). These
        replace assignment columns of the same name (an outcome column of a stored
        experiment, say).

    Examples
    --------
    >>> ev = pd.DataFrame({"customer_id": ["a", "a", "b"], "event": ["purchase"] * 3,
    ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-05", "2024-01-30"], utc=True),
    ...     "revenue": [10.0, 20.0, 5.0]})
    >>> asg = pd.DataFrame({"customer_id": ["a", "b"], "variant": ["control", "treatment"],
    ...     "assigned_at": pd.to_datetime(["2024-01-02", "2024-01-02"], utc=True)})
    >>> experiment_units(ev, asg)[["customer_id", "converted", "revenue", "pre_revenue"]]
      customer_id  converted  revenue  pre_revenue
    0           a       True     20.0         10.0
    1           b      False      0.0          0.0
    """
    import ibis

    window = as_timedelta(window, param="window")
    pre_window = window if pre_window is None else as_timedelta(pre_window, param="pre_window")
    require_events(events)
    if not isinstance(assignments, pd.DataFrame):
        raise JourneyDataError(
            f"assignments: expected a DataFrame (unit_id, variant, time); got "
            f"{type(assignments).__name__}. Fix: pass a DataFrame with one row per unit, e.g. "
            "pd.DataFrame({'customer_id': ..., 'variant': ..., 'assigned_at': ...})."
        )
    columns = [unit_id, variant, time]
    require(assignments, columns, param="assignments")
    if len(assignments) == 0:
        raise JourneyDataError(
            "assignments: no rows. Fix: pass the experiment's assignments, one row per unit."
        )
    incomplete = assignments[columns].isna().any(axis=1).to_numpy()
    if incomplete.any():
        rows = assignments[incomplete].head(5)
        raise JourneyDataError(
            f"assignments: {int(incomplete.sum())} of {len(assignments)} rows have no value in "
            f"{columns}, a broken assignment (journeykit does not drop them: that changes the "
            f"sample ratio).\nExample rows:\n{rows.to_string()}\nFix: repair the assignment "
            "log (one row per unit with its variant and time); drop such rows yourself only if "
            "those units never saw a variant."
        )
    if assignments[unit_id].duplicated().any():
        dup = assignments[assignments[unit_id].duplicated(keep=False)].head(5)
        raise JourneyDataError(
            f"assignments: {int(assignments[unit_id].duplicated().sum())} units are assigned "
            f"more than once.\nExample rows:\n{dup.to_string()}\nFix: keep each unit's first "
            "assignment (a unit must see one variant only)."
        )
    table = _engine.as_table(events)
    require(table, [unit_id], param="unit_id")
    goals = check_events_exist(table, conversion, param="conversion")
    assigned = utc_times(assignments, time, param="time").astype("datetime64[us, UTC]")
    end = as_of_in_data(
        table,
        as_of,
        param="as_of",
        within=window,
        why="outcomes after the last event cannot be observed",
        what="events",
    )
    if as_of is not None:
        table = table.filter(table["timestamp"] <= end)
    assignments, assigned = _entered(assignments, assigned, end, window)
    asg = pd.DataFrame(
        {
            "_unit": assignments[unit_id].astype(str).to_numpy(),
            "_at": assigned.reset_index(drop=True),
        }
    )
    a = _engine.as_table(asg, like=table)
    has_revenue = "revenue" in table.columns
    has_session = "session_id" in table.columns
    t = table.select(
        _unit=table[unit_id].cast("string"),
        timestamp=table["timestamp"],
        hit=table["event"].isin(goals),
        revenue=(table["revenue"].fill_null(0) if has_revenue else ibis.literal(0.0)),
        session_id=table["session_id"] if has_session else ibis.null("string"),
    )
    joined = t.join(a, "_unit")
    after = (joined.timestamp >= joined._at) & (joined.timestamp < joined._at + window)
    before = (joined.timestamp < joined._at) & (joined.timestamp >= joined._at - pre_window)
    metrics = {
        "n_conversions": (after & joined.hit).cast("int64").sum(),
        "revenue": ibis.cases((after & joined.hit, joined.revenue), else_=0.0).sum(),
        "n_pre_conversions": (before & joined.hit).cast("int64").sum(),
        "pre_revenue": ibis.cases((before & joined.hit, joined.revenue), else_=0.0).sum(),
        "n_pre_events": before.cast("int64").sum(),
    }
    if has_session:
        metrics["n_sessions"] = joined.session_id.nunique(where=after)
    per_unit = _engine.to_pandas(joined.group_by("_unit").agg(**metrics))
    kept = [c for c in assignments.columns if c not in OUTCOMES]  # outcomes are made here
    out = assignments[kept].astype({unit_id: str})
    out = out.merge(per_unit.rename(columns={"_unit": unit_id}), on=unit_id, how="left")
    counts = [c for c in OUTCOMES if c.startswith("n_") and c in out.columns]
    out[counts] = out[counts].fillna(0).astype("int64")
    out[["revenue", "pre_revenue"]] = out[["revenue", "pre_revenue"]].fillna(0.0).astype(float)
    out["converted"] = out["n_conversions"] > 0
    return out[[*kept, *(c for c in OUTCOMES if c in out.columns)]]


def _entered(assignments: pd.DataFrame, assigned: pd.Series, end, window):
    """The assignments up to ``end`` (the rest are left out), with a JourneyWarning for
    those left out and for those whose outcome window ends after ``end``."""
    later = (assigned > end).to_numpy()
    if later.any():
        warnings.warn(
            f"experiment_units: {int(later.sum())} of {len(assignments)} units were assigned "
            f"after the end of the data ({end:%Y-%m-%d %H:%M}) and were left out. To keep "
            "them, pass a later as_of (or events that reach their assignment).",
            JourneyWarning,
            stacklevel=3,
        )
        assignments, assigned = assignments[~later], assigned[~later]
        if len(assignments) == 0:
            raise JourneyDataError(
                f"as_of={end:%Y-%m-%d %H:%M}: every unit was assigned after it. Fix: pass an "
                "as_of after the assignments (or None: the last event)."
            )
    cut = (assigned + window > end).to_numpy()
    if cut.any():
        span = in_words(window / pd.Timedelta("1D"))
        warnings.warn(
            f"experiment_units: {int(cut.sum())} of {len(assignments)} units were assigned "
            f"less than the window ({span}) before the end of the data "
            f"({end:%Y-%m-%d %H:%M}), so their outcome window is cut short (the same in "
            "every variant). For full windows, analyse the units assigned before "
            f"{end - window:%Y-%m-%d %H:%M}, or wait for more data.",
            JourneyWarning,
            stacklevel=3,
        )
    return assignments, assigned
