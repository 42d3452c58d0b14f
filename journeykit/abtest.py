"""A/B tests done right: tests, intervals, SRM, power, CUPED, sequential and Bayesian views.

Every function works on one row per randomised unit (customer, session, account); build
that table from events with :func:`experiment_units`. Definitions:

- ``diff`` is treatment minus control; ``rel_lift`` is ``diff / control mean``.
- Proportions (a 0/1 metric): the p-value comes from the pooled two-proportion z-test
  (``method='z'``, identical to Pearson's chi-square without continuity correction) or
  from the chi-square test with Yates' continuity correction (``method='chi2'``, R's
  ``prop.test`` default). The interval for the difference is Newcombe's hybrid score
  interval (``interval='newcombe'``; Newcombe 1998, Statistics in Medicine 17, 873-890,
  method 10), the Wald interval or Agresti & Caffo's (2000) add-one-success-and-failure
  interval, all from statsmodels' ``confint_proportions_2indep``.
- Means: Welch's unequal-variance t-test (``method='welch'``), the Mann-Whitney U test
  (``'mann_whitney'``: normal approximation with tie and continuity correction as R's
  ``wilcox.test``; it tests for a shift of the distribution, the interval stays Welch's for
  the difference in means), or the BCa bootstrap of the difference
  (``'bootstrap'``, ``scipy.stats.bootstrap``; p-value by inverting percentile intervals).
- Ratio metrics (``denominator=``, e.g. revenue per session when users are randomised):
  the ratio of sums per arm with the delta-method variance of Deng, Knoblich & Lu (2018),
  "Applying the Delta Method in Metric Analytics", KDD; a z-test.
- Relative lift: delta-method interval for ``mean_t / mean_c - 1``. When the control mean
  is not significantly different from zero, Fieller's interval for the ratio is unbounded
  and the delta interval means little: a ``JourneyWarning`` says so.
- CUPED (``covariate=``, Deng, Xu, Kohavi & Walker 2013, WSDM): ``y - theta (x - mean x)``
  with ``theta = cov(y, x) / var(x)`` over all units; then Welch's test on the adjusted
  metric. The result reports the variance reduction achieved.
- A/B/n: each variant against the control; p-values adjusted (Holm by default,
  Benjamini-Hochberg with ``adjust='bh'``); intervals are not adjusted.
- Every test checks the sample-ratio (:func:`srm_test`) and warns when p < 0.001.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import _engine, plots
from .checks import (
    as_floats,
    as_timedelta,
    check_choice,
    check_events_exist,
    check_level,
    check_number,
    check_whole,
    got,
    is_real,
    require,
    require_events,
    suggest,
    utc_times,
)
from .errors import JourneyDataError, JourneyWarning
from .results import Result

KINDS = ("auto", "proportion", "mean", "ratio")
METHODS = {
    "proportion": ("z", "chi2"),
    "mean": ("welch", "mann_whitney", "bootstrap"),
    "ratio": ("delta",),
}
INTERVALS = ("newcombe", "wald", "agresti_caffo")
ALTERNATIVES = ("two-sided", "larger", "smaller")
ADJUSTMENTS = {"holm": "holm", "bh": "fdr_bh", "bonferroni": "bonferroni", "none": None}
SRM_ALPHA = 0.001
SMALL_N = 30


def _z(alpha: float, alternative: str) -> float:
    from scipy.stats import norm

    return float(norm.isf(alpha / 2 if alternative == "two-sided" else alpha))


def _p_from_z(z, alternative: str):
    from scipy.stats import norm

    if alternative == "two-sided":
        return 2 * norm.sf(np.abs(z))
    return norm.sf(z) if alternative == "larger" else norm.cdf(z)


def _bounds(est, se, crit, alternative: str):
    """Interval ``est +- crit * se``; one-sided alternatives open the other end."""
    low, high = est - crit * se, est + crit * se
    if alternative == "larger":
        high = np.inf * np.ones_like(high)
    elif alternative == "smaller":
        low = -np.inf * np.ones_like(low)
    return low, high


# --------------------------------------------------------------------------- SRM


@dataclass(frozen=True, repr=False)
class SRM(Result):
    """Sample-ratio-mismatch check: observed vs expected units per variant."""

    table: pd.DataFrame
    chi2: float
    df: int
    p_value: float
    title = "Sample-ratio check"

    @property
    def mismatch(self) -> bool:
        return bool(self.p_value < SRM_ALPHA)

    @property
    def notes(self) -> tuple[str, ...]:
        verdict = "MISMATCH: do not trust the test" if self.mismatch else "no mismatch"
        return (f"chi-square {self.chi2:.3f}, df {self.df}, p = {self.p_value:.4g} ({verdict}).",)


def srm_test(counts, *, expected=None) -> SRM:
    """Sample-ratio-mismatch test: chi-square goodness of fit of the units per variant.

    Parameters
    ----------
    counts : dict, Series or list of int
        Units per variant.
    expected : dict, Series or list of float, optional
        The planned shares, summing to 1 (``[0.5, 0.5]``), or whole-number ratios
        (``{'control': 1, 'treatment': 2}``, normalised); equal shares by default. Fractions
        that do not sum to 1 raise (``[0.6, 0.6]`` is a typo, not a split).

    Returns
    -------
    SRM
        ``table`` (variant, n, expected_share, expected_n), ``chi2``, ``df``, ``p_value``
        and ``mismatch`` (p < 0.001, the usual threshold: Fabijan et al. 2019, "Diagnosing
        Sample Ratio Mismatch in Online Controlled Experiments", KDD).

    Examples
    --------
    >>> round(srm_test({"control": 5000, "treatment": 5200}).p_value, 4)
    0.0477
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
    stat = float(((observed - expect) ** 2 / expect).sum())  # Pearson's goodness of fit
    p = chi2.sf(stat, len(values) - 1)
    table = pd.DataFrame(
        {
            "variant": values.index.astype(str),
            "n": values.to_numpy().astype("int64"),
            "expected_share": shares.to_numpy(),
            "expected_n": shares.to_numpy() * total,
        }
    )
    return SRM(table, float(stat), len(values) - 1, float(p))


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

    @property
    def notes(self) -> tuple[str, ...]:
        how = {
            "z": "pooled two-proportion z-test",
            "chi2": "chi-square test with Yates' continuity correction",
            "welch": "Welch's t-test",
            "mann_whitney": "Mann-Whitney U test (interval: Welch's, for the mean difference)",
            "bootstrap": "BCa bootstrap",
            "delta": "delta-method z-test for the ratio of sums",
        }[self.method]
        notes = [
            f"diff = variant - control of {self.metric!r} ({self.kind}); p-values by {how}"
            + (f", intervals by {self.interval}" if self.interval else "")
            + f"; {1 - self.alpha:.0%} intervals ({self.alternative}).",
            f"sample ratio: {self.srm.notes[0]}",
        ]
        if len(self.table) > 2:
            notes.append(f"p_adjusted: {self.adjust} over {len(self.table) - 1} comparisons.")
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
        pct = self.kind == "proportion"
        fmt = (lambda v: f"{v:.1%}") if pct else (lambda v: f"{v:,.4g}")  # noqa: E731
        dfmt = (lambda v: f"{100 * v:+.2f} points") if pct else (lambda v: f"{v:+,.4g}")  # noqa: E731
        level = f"{1 - self.alpha:.0%}"
        parts = []
        for row in t.iloc[1:].itertuples():
            verdict = (
                f"significant at alpha = {self.alpha:g}"
                if row.significant
                else f"not significant at alpha = {self.alpha:g}: the data are consistent "
                "with no difference"
            )
            p = row.p_adjusted if len(t) > 2 else row.p_value
            parts.append(
                f"{row.variant}: {fmt(row.mean)} vs {fmt(control['mean'])} for "
                f"{control['variant']}, a difference of {dfmt(row.diff)} ({level} interval "
                f"{dfmt(row.ci_low)} to {dfmt(row.ci_high)}), a relative lift of "
                f"{row.rel_lift:+.1%} ({row.rel_ci_low:+.1%} to {row.rel_ci_high:+.1%}); "
                f"p = {p:.3g}{' (adjusted)' if len(t) > 2 else ''}, {verdict}."
            )
        srm = (
            "WARNING: the split between variants is not what was planned (sample-ratio "
            f"mismatch, p = {self.srm.p_value:.2g}); find the cause before trusting the result."
            if self.srm.mismatch
            else f"The split between variants looks healthy (SRM p = {self.srm.p_value:.2g})."
        )
        return " ".join(parts) + " " + srm

    def plot(self, ax=None):
        """Forest plot: each variant's difference from control with its interval."""
        return plots.forest(self.table.iloc[1:], ax, percent=self.kind == "proportion")


def _check_units(data, variant: str) -> None:
    """Raise unless ``data`` is a non-empty DataFrame of units with the ``variant`` column."""
    if not isinstance(data, pd.DataFrame):
        raise JourneyDataError(
            f"data: expected a pandas DataFrame with one row per unit; got "
            f"{type(data).__name__}. Fix: build it with journeykit.experiment_units(...)."
        )
    if len(data) == 0:
        raise JourneyDataError(
            "data: no units (the frame is empty). Fix: check the filter or the "
            "experiment_units(...) call that built it."
        )
    require(data, [variant], param="variant")


def _groups(data: pd.DataFrame, variant: str, control):
    """Variant codes (control first) and names, validated. A unit without a variant is a
    broken assignment and raises: dropping it would change the sample ratio."""
    codes, names = pd.factorize(data[variant], sort=True)
    if (codes < 0).any():
        rows = data.loc[codes < 0].head(5)
        raise JourneyDataError(
            f"variant={variant!r}: {int((codes < 0).sum())} of {len(data)} units have no "
            f"variant, a broken assignment.\nExample rows:\n{rows.to_string()}\nFix: find out "
            "why; drop them (data.dropna(subset=[variant])) only if they never saw a variant, "
            "since dropping units changes the sample ratio."
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
    return remap[codes], [names[i] for i in order]


def _numeric(data: pd.DataFrame, column: str, param: str) -> np.ndarray:
    """A per-unit column as floats; a missing value (NaN, None, pd.NA) or text raises."""
    require(data, [column], param=param)
    values = as_floats(data[column])
    bad = ~np.isfinite(values)
    if bad.any():
        rows = data.loc[bad, [column]].head(5)
        raise JourneyDataError(
            f"{param}={column!r}: {int(bad.sum())} values are missing or not numbers.\nExample "
            f"rows:\n{rows.to_string()}\nFix: fill or drop them before testing (a unit with no "
            "activity usually counts as 0)."
        )
    return values


def _sums(codes, k, *columns):
    return [np.bincount(codes, weights=c, minlength=k) for c in columns]


def adjust_p(p, adjust: str = "holm") -> np.ndarray:
    """Multiple-comparison adjusted p-values ('holm', 'bh', 'bonferroni' or 'none').

    Holm (1979) is computed here: statsmodels' ``multipletests`` gives the same values but
    calls ``gc.collect()`` on that path, which costs 0.2 s in a session holding large
    frames. The others come from statsmodels. A missing p-value (an undefined test) stays
    missing and does not count as a comparison.
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


def _rel_lift(mean_t, var_t, mean_c, var_c, crit, alternative, z_fieller):
    """Relative lift ``mean_t / mean_c - 1`` with its delta-method interval (var_* are the
    variances of the means). Warns when Fieller's interval would be unbounded."""
    if mean_c == 0:
        warnings.warn(
            "ab_test: the control mean is 0, so the relative lift is undefined (left missing); "
            "read the absolute difference instead.",
            JourneyWarning,
            stacklevel=3,
        )
        return np.nan, np.nan, np.nan
    rel = mean_t / mean_c - 1
    se = np.sqrt(var_t / mean_c**2 + mean_t**2 * var_c / mean_c**4)
    if mean_c**2 / var_c < z_fieller**2:
        warnings.warn(
            "ab_test: the control mean is not significantly different from 0, so Fieller's "
            "interval for the relative lift is unbounded; read the absolute difference "
            "instead.",
            JourneyWarning,
            stacklevel=3,
        )
    low, high = _bounds(rel, se, crit, alternative)
    return rel, low, high


def ab_test(
    data: pd.DataFrame,
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

    Parameters
    ----------
    data : pandas.DataFrame
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
        ``'larger'`` tests variant > control.
    method : str, optional
        Proportions: ``'z'`` (default) or ``'chi2'``; means: ``'welch'`` (default),
        ``'mann_whitney'`` or ``'bootstrap'``; ratio: ``'delta'``. See the module docstring.
    interval : {'newcombe', 'wald', 'agresti_caffo'}
        Interval for a difference of proportions.
    covariate : str, optional
        The pre-period value of the metric for CUPED.
    adjust : {'holm', 'bh', 'bonferroni', 'none'}
        Multiple-comparison adjustment when there are several variants.
    denominator : str, optional
        Per-unit denominator of a ratio metric (``metric`` is the numerator).
    expected : dict, optional
        Planned allocation for the SRM check: shares summing to 1 or whole-number ratios,
        as in :func:`srm_test` (equal by default).
    n_boot, seed : int
        Bootstrap resamples and seed (``method='bootstrap'``).

    Returns
    -------
    ABTest
        ``table``: variant, n, mean, diff, ci_low, ci_high, rel_lift, rel_ci_low,
        rel_ci_high, p_value, p_adjusted, significant (the control is the first row);
        ``srm``, ``variance_reduction`` (CUPED), ``omnibus`` (k-group chi-square for
        proportions with three or more variants), ``conclusion`` and ``plot()``.

    Notes
    -----
    Missing values are never dropped here: a unit without a variant is a broken assignment,
    and a missing metric, covariate or denominator is either a 0 (no activity) or broken
    logging, which only the analyst can tell apart; dropping such units after randomisation
    changes the sample ratio and can bias the comparison. Each raises a
    ``JourneyDataError`` with the count and example rows. A metric with the same value for
    every unit raises too; a control mean of 0 leaves the relative lift missing, with a
    ``JourneyWarning``.

    Examples
    --------
    >>> units = pd.DataFrame({"variant": ["control"] * 1000 + ["treatment"] * 1000,
    ...                       "converted": [1] * 100 + [0] * 900 + [1] * 140 + [0] * 860})
    >>> res = ab_test(units)
    >>> res.table[["variant", "mean", "diff", "p_value"]].round(4)
         variant  mean  diff  p_value
    0    control  0.10   NaN      NaN
    1  treatment  0.14  0.04   0.0059
    """
    _check_units(data, variant)
    check_choice("kind", kind, KINDS)
    check_choice("alternative", alternative, ALTERNATIVES)
    check_choice("adjust", adjust, tuple(ADJUSTMENTS))
    check_choice("interval", interval, INTERVALS)
    alpha = check_level("alpha", alpha)
    y = _numeric(data, metric, "metric")
    if kind == "auto":
        binary = bool(np.isin(y, (0.0, 1.0)).all())
        kind = "ratio" if denominator is not None else "proportion" if binary else "mean"
    if kind == "mean" and np.ptp(y) == 0:
        raise JourneyDataError(
            f"metric={metric!r}: every unit has the same value ({y[0]:g}), so there is no "
            "difference to test. Fix: check the metric column (and the window that built it)."
        )
    if kind == "ratio" and denominator is None:
        raise JourneyDataError(
            "kind='ratio' needs denominator= the per-unit denominator column (e.g. sessions); "
            "got none. Fix: pass denominator='sessions' (say), or kind='mean' for a per-unit "
            "metric."
        )
    if method is None:
        method = METHODS[kind][0]
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
    codes, names = _groups(data, variant, control)
    k = len(names)
    n = np.bincount(codes, minlength=k).astype(float)
    if (n < 2).any():
        small = [names[i] for i in np.flatnonzero(n < 2)]
        raise JourneyDataError(
            f"variant={variant!r}: fewer than 2 units in {small}. Fix: a test needs at least "
            "two units per variant (and in practice many more)."
        )
    if kind == "proportion":
        if not np.isin(y, (0.0, 1.0)).all():
            bad = ~np.isin(y, (0.0, 1.0))
            raise JourneyDataError(
                f"metric={metric!r}: kind='proportion' needs 0/1 (or True/False) values; "
                f"{int(bad.sum())} are not, e.g. {np.unique(y[bad])[:5].tolist()}. Fix: pass "
                "kind='mean' for a continuous metric, or convert it to 0/1."
            )
        if y.sum() == 0:
            raise JourneyDataError(
                f"metric={metric!r}: no unit converted in any variant, so there is nothing to "
                "compare. Fix: check the metric (and its window) or wait for conversions."
            )
    srm = srm_test(pd.Series(n, index=names), expected=expected)
    if srm.mismatch:
        warnings.warn(
            f"ab_test: sample-ratio mismatch (p = {srm.p_value:.2g} < {SRM_ALPHA}): the units "
            f"per variant {dict(zip(names, n.astype(int).tolist()))} do not match the "
            "planned split. Randomisation or logging is broken; find the cause first.",
            JourneyWarning,
            stacklevel=2,
        )
    crit = _z(alpha, alternative)
    z_fieller = _z(alpha, "two-sided")
    rows = {"variant": names, "n": n.astype("int64")}
    (sy,) = _sums(codes, k, y)
    mean = sy / n
    rows["mean"] = mean
    variance_reduction = None
    omnibus = None
    diff, low, high, p = (np.full(k - 1, np.nan) for _ in range(4))
    rel, rlow, rhigh = (np.full(k - 1, np.nan) for _ in range(3))
    if kind == "ratio":
        d = _numeric(data, denominator, "denominator")
        syy, sd, sdd, syd = _sums(codes, k, y * y, d, d * d, y * d)
        if (sd == 0).any():
            raise JourneyDataError(
                f"denominator={denominator!r}: sums to 0 in a variant. Fix: check the column."
            )
        mu_y, mu_d = mean, sd / n
        var_y = (syy - n * mu_y**2) / (n - 1)
        var_d = (sdd - n * mu_d**2) / (n - 1)
        cov = (syd - n * mu_y * mu_d) / (n - 1)
        ratio = mu_y / mu_d
        # Deng, Knoblich & Lu (2018), eq. for Var(Y-bar / X-bar)
        var_ratio = (var_y / mu_d**2 - 2 * mu_y * cov / mu_d**3 + mu_y**2 * var_d / mu_d**4) / n
        rows["mean"] = ratio
        diff = ratio[1:] - ratio[0]
        se = np.sqrt(var_ratio[1:] + var_ratio[0])
        p = _p_from_z(diff / se, alternative)
        low, high = _bounds(diff, se, crit, alternative)
        for i in range(1, k):
            rel[i - 1], rlow[i - 1], rhigh[i - 1] = _rel_lift(
                ratio[i], var_ratio[i], ratio[0], var_ratio[0], crit, alternative, z_fieller
            )
    else:
        syy = _sums(codes, k, y * y)[0]
        var = np.maximum(syy - n * mean**2, 0) / (n - 1)
        if covariate is not None:
            x = _numeric(data, covariate, "covariate")
            sx, sxx, sxy = _sums(codes, k, x, x * x, x * y)
            total = n.sum()
            mx, my = sx.sum() / total, sy.sum() / total
            var_x = (sxx.sum() - total * mx**2) / (total - 1)
            if var_x == 0:
                raise JourneyDataError(
                    f"covariate={covariate!r}: has the same value for every unit, so it cannot "
                    "reduce variance. Fix: pass the pre-period metric, or drop covariate=."
                )
            theta = ((sxy.sum() - total * mx * my) / (total - 1)) / var_x
            # group means and variances of y - theta (x - mean x), from the sums
            gx = sx / n
            vx = (sxx - n * gx**2) / (n - 1)
            cxy = (sxy - n * gx * mean) / (n - 1)
            mean = mean - theta * (gx - mx)
            before = (var * (n - 1)).sum()  # pooled within-variant sums of squares
            var = np.maximum(var - 2 * theta * cxy + theta**2 * vx, 0)
            variance_reduction = float(1 - (var * (n - 1)).sum() / before) if before else 0.0
            rows["mean_adjusted"] = mean
        vm = var / n  # variance of each mean
        if kind == "proportion" and covariate is None:
            diff, low, high, p = _proportions(sy, n, method, interval, alpha, alternative)
        elif method == "bootstrap":
            diff, low, high, p, rel, rlow, rhigh = _bootstrap(
                y, codes, k, alpha, alternative, n_boot, seed
            )
        else:
            diff, low, high, p = _welch(mean, vm, n, alpha, alternative)
            if method == "mann_whitney":
                p = _mann_whitney(y, codes, k, alternative)
        if method != "bootstrap":
            for i in range(1, k):
                rel[i - 1], rlow[i - 1], rhigh[i - 1] = _rel_lift(
                    mean[i], vm[i], mean[0], vm[0], crit, alternative, z_fieller
                )
        if kind == "proportion" and k > 2:
            from scipy.stats import chi2_contingency

            stat, p_all, dof, _ = chi2_contingency(np.c_[sy, n - sy], correction=False)
            omnibus = {"chi2": float(stat), "df": int(dof), "p_value": float(p_all)}
        _warn_small(kind, names, n, sy)
    p = np.asarray(p, dtype=float)
    p_adj = adjust_p(p, adjust)
    nan = [np.nan]
    rows["diff"] = np.r_[nan, diff]
    rows["ci_low"] = np.r_[nan, low]
    rows["ci_high"] = np.r_[nan, high]
    rows["rel_lift"] = np.r_[nan, rel]
    rows["rel_ci_low"] = np.r_[nan, rlow]
    rows["rel_ci_high"] = np.r_[nan, rhigh]
    rows["p_value"] = np.r_[nan, p]
    rows["p_adjusted"] = np.r_[nan, p_adj]
    rows["significant"] = np.r_[[False], p_adj < alpha]
    return ABTest(
        pd.DataFrame(rows),
        kind,
        method,
        interval if kind == "proportion" and covariate is None else None,
        alpha,
        alternative,
        adjust,
        metric,
        srm,
        variance_reduction,
        omnibus,
    )


def _warn_small(kind, names, n, sy) -> None:
    if kind == "proportion":
        small = [
            names[i] for i in range(len(names)) if min(sy[i], n[i] - sy[i]) < 10 or n[i] < SMALL_N
        ]
        rule = "fewer than 10 conversions or non-conversions, or fewer than 30 units"
    else:
        small = [names[i] for i in range(len(names)) if n[i] < SMALL_N]
        rule = "fewer than 30 units"
    if small:
        warnings.warn(
            f"ab_test: {small} have {rule}; the normal approximation behind the p-value and "
            "interval is rough. Collect more data before deciding.",
            JourneyWarning,
            stacklevel=3,
        )


def _proportions(successes, n, method, interval, alpha, alternative):
    """Differences of proportions vs the first group: estimate, interval, p-value."""
    from statsmodels.stats.proportion import confint_proportions_2indep

    pc, pt = successes[0] / n[0], successes[1:] / n[1:]
    diff = pt - pc
    pooled = (successes[1:] + successes[0]) / (n[1:] + n[0])
    se0 = np.sqrt(pooled * (1 - pooled) * (1 / n[1:] + 1 / n[0]))
    numerator = diff
    if method == "chi2":  # Yates: shrink |diff| by half a unit in each group, not past 0
        numerator = np.sign(diff) * np.maximum(np.abs(diff) - 0.5 * (1 / n[1:] + 1 / n[0]), 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se0 > 0, numerator / se0, 0.0)
    p = _p_from_z(z, alternative)
    level_alpha = alpha if alternative == "two-sided" else 2 * alpha
    sm_method = {"newcombe": "newcomb", "wald": "wald", "agresti_caffo": "agresti-caffo"}[interval]
    low, high = np.empty(len(diff)), np.empty(len(diff))
    for i in range(len(diff)):
        low[i], high[i] = confint_proportions_2indep(
            successes[i + 1], n[i + 1], successes[0], n[0], method=sm_method, alpha=level_alpha
        )
    if alternative == "larger":
        high[:] = np.inf
    elif alternative == "smaller":
        low[:] = -np.inf
    return diff, low, high, p


def _welch(mean, vm, n, alpha, alternative):
    """Welch's t-test of each group's mean against the first (vm: variances of the means)."""
    from scipy.stats import t as student

    diff = mean[1:] - mean[0]
    var = vm[1:] + vm[0]
    se = np.sqrt(var)
    with np.errstate(divide="ignore", invalid="ignore"):
        df = var**2 / (vm[1:] ** 2 / (n[1:] - 1) + vm[0] ** 2 / (n[0] - 1))
        stat = diff / se
    if alternative == "two-sided":
        p = 2 * student.sf(np.abs(stat), df)
        crit = student.isf(alpha / 2, df)
    else:
        p = student.sf(stat, df) if alternative == "larger" else student.cdf(stat, df)
        crit = student.isf(alpha, df)
    low, high = _bounds(diff, se, crit, alternative)
    return diff, low, high, p


def _mann_whitney(y, codes, k, alternative):
    from scipy.stats import mannwhitneyu

    control = y[codes == 0]
    alt = {"two-sided": "two-sided", "larger": "greater", "smaller": "less"}[alternative]
    return np.array(
        [
            mannwhitneyu(y[codes == i], control, alternative=alt, method="asymptotic").pvalue
            for i in range(1, k)
        ]
    )


def _bootstrap(y, codes, k, alpha, alternative, n_boot, seed):
    """BCa intervals for the difference and the relative lift; the p-value is the smallest
    two-sided level at which the percentile interval excludes 0."""
    from scipy.stats import bootstrap

    control = y[codes == 0]
    out = [np.full(k - 1, np.nan) for _ in range(7)]
    level = 1 - (alpha if alternative == "two-sided" else 2 * alpha)
    for i in range(1, k):
        treated = y[codes == i]

        def diff(a, b, axis=-1):
            return a.mean(axis=axis) - b.mean(axis=axis)

        def lift(a, b, axis=-1):
            return a.mean(axis=axis) / b.mean(axis=axis) - 1

        rng = np.random.default_rng(seed)
        res = bootstrap(
            (treated, control), diff, n_resamples=n_boot, confidence_level=level, rng=rng
        )
        rel = bootstrap(
            (treated, control), lift, n_resamples=n_boot, confidence_level=level, rng=rng
        )
        dist = res.bootstrap_distribution
        tail = {
            "two-sided": 2 * min((dist <= 0).mean(), (dist >= 0).mean()),
            "larger": (dist <= 0).mean(),
            "smaller": (dist >= 0).mean(),
        }[alternative]
        j = i - 1
        out[0][j] = diff(treated, control)
        out[1][j], out[2][j] = res.confidence_interval
        out[3][j] = min(tail, 1.0)
        out[4][j] = lift(treated, control)
        out[5][j], out[6][j] = rel.confidence_interval
    low, high, rlow, rhigh = out[1], out[2], out[5], out[6]
    if alternative == "larger":
        high[:], rhigh[:] = np.inf, np.inf
    elif alternative == "smaller":
        low[:], rlow[:] = -np.inf, -np.inf
    return out[0], low, high, out[3], out[4], rlow, rhigh


# --------------------------------------------------------------------------- design


def _design_args(effect, baseline, sd, alpha, alternative, ratio, relative):
    """Validate the design arguments; returns the absolute effect."""
    check_level("alpha", alpha)
    check_choice("alternative", alternative, ("two-sided", "one-sided"))
    check_number("ratio", ratio, what="the treatment-to-control size ratio", above=0)
    effect = check_number("effect", effect, what="the difference to detect", example="0.02")
    if sd is None and baseline is None:
        raise JourneyDataError(
            "baseline=: give the control conversion rate for proportions (e.g. 0.05), or sd= "
            "the metric's standard deviation for means. Fix: pass baseline= or sd=."
        )
    if sd is not None:
        check_number("sd", sd, what="the metric's standard deviation", above=0)
    if baseline is not None:
        check_number("baseline", baseline, what="the control mean or rate", example="0.05")
    if relative:
        if baseline is None or baseline == 0:
            raise JourneyDataError(
                f"relative=True needs baseline= the control mean or rate (not 0); got "
                f"baseline={baseline!r}. Fix: pass baseline=, or an absolute effect with "
                "relative=False."
            )
        effect = baseline * effect
    if sd is None:
        if not 0 < baseline < 1:
            raise JourneyDataError(
                f"baseline={baseline!r}: expected the control conversion rate, strictly between "
                "0 and 1. Fix: pass e.g. baseline=0.05, or sd= for a mean."
            )
        if not 0 < baseline + effect < 1:
            raise JourneyDataError(
                f"effect={effect!r}: the variant's rate baseline + effect = "
                f"{baseline + effect:.4g} is outside (0, 1). Fix: a smaller effect."
            )
    return effect


def _check_n(n, *, scalar: bool = False) -> None:
    """Raise unless ``n``, the control group's size (array-like unless ``scalar``), is at
    least 2 units."""
    values = np.asarray(n)
    ok = values.dtype.kind in "iuf" and values.size > 0 and not (scalar and values.ndim)
    if not ok or not (np.isfinite(values) & (values >= 2)).all():
        many = "" if scalar else " (a number, or an array for a power curve)"
        raise JourneyDataError(
            f"n={n!r}: expected the control group's size{many}, at least 2 units. Fix: pass "
            "e.g. n=1000."
        )


def _power(n, effect, baseline, sd, alpha, alternative, ratio):
    """Power with ``n`` control units and ``ratio * n`` treatment units. With ratio 1 these
    are R's power.prop.test and power.t.test (strict=FALSE: the far tail is ignored)."""
    from scipy.stats import nct, norm
    from scipy.stats import t as student

    n = np.asarray(n, dtype=float)
    n2 = ratio * n
    tails = 2 if alternative == "two-sided" else 1
    if sd is None:  # normal approximation, as power.prop.test
        p1, p2 = baseline, baseline + effect
        pbar = (p1 + ratio * p2) / (1 + ratio)
        null_se = np.sqrt(pbar * (1 - pbar) * (1 / n + 1 / n2))
        alt_se = np.sqrt(p1 * (1 - p1) / n + p2 * (1 - p2) / n2)
        return norm.cdf((abs(effect) - norm.isf(alpha / tails) * null_se) / alt_se)
    df = n + n2 - 2  # noncentral t, as power.t.test
    ncp = abs(effect) / (sd * np.sqrt(1 / n + 1 / n2))
    return nct.sf(student.isf(alpha / tails, df), df, ncp)


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
    """Power of a two-sample test of proportions (``baseline``) or means (``sd``).

    ``n`` is the control group's size (array-like for a power curve); the variant gets
    ``ratio * n``. ``effect`` is the absolute difference (a relative one with
    ``relative=True``). Conventions follow R's ``power.prop.test`` and ``power.t.test``
    (normal approximation for proportions, noncentral t for means, ``strict = FALSE``),
    extended to unequal allocation.

    Examples
    --------
    >>> round(float(power(50, 0.25, baseline=0.5)), 7)  # power.prop.test(n=50, p1=.5, p2=.75)
    0.7401659
    """
    effect = _design_args(effect, baseline, sd, alpha, alternative, ratio, relative)
    _check_n(n)
    result = _power(n, effect, baseline, sd, alpha, alternative, ratio)
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
    """Units needed in the control group (the variant needs ``ratio`` times as many) to
    detect ``effect`` with the given power; unrounded like R, so round up.

    Examples
    --------
    >>> round(sample_size(0.25, baseline=0.5, power=0.9), 2)  # power.prop.test: 76.7069
    76.71
    """
    from scipy.optimize import brentq

    target = check_level("power", power)
    effect = _design_args(effect, baseline, sd, alpha, alternative, ratio, relative)
    if effect == 0:
        raise JourneyDataError(
            "effect=0: no sample size detects a zero effect. Fix: pass the smallest difference "
            "worth detecting, e.g. effect=0.02."
        )

    def gap(n):
        return _power(n, effect, baseline, sd, alpha, alternative, ratio) - target

    if gap(2) >= 0:
        return 2.0
    return float(brentq(gap, 2, 1e12, xtol=1e-10, rtol=1e-12))


@dataclass(frozen=True, repr=False)
class Plan(Result):
    """An experiment's required sample size and its power curve."""

    table: pd.DataFrame
    curve: pd.DataFrame
    title = "Experiment plan"

    @property
    def notes(self) -> tuple[str, ...]:
        row = self.table.iloc[0]
        return (
            f"{row.alternative} test at alpha {row.alpha:g}; power {row.power:.0%} to detect "
            f"an absolute effect of {row.effect:.4g}; sizes rounded up (R's power.prop.test / "
            "power.t.test conventions).",
        )

    def plot(self, ax=None):
        """Power against the control group's size, with the planned size marked."""
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

    Arguments as in :func:`sample_size`. ``table``: baseline, effect (absolute), alpha,
    power, alternative, ratio, n_control, n_treatment, n_total; ``curve``: n, power.

    Examples
    --------
    >>> plan(0.25, baseline=0.5, power=0.9).table[["n_control", "n_treatment", "n_total"]]
       n_control  n_treatment  n_total
    0         77           77      154
    """
    n = sample_size(
        effect,
        baseline=baseline,
        sd=sd,
        alpha=alpha,
        power=power,
        alternative=alternative,
        ratio=ratio,
        relative=relative,
    )
    absolute = baseline * effect if relative else effect
    n_control = math.ceil(n - 1e-9)
    n_treatment = math.ceil(ratio * n - 1e-9)
    table = pd.DataFrame(
        [
            {
                "baseline": baseline,
                "effect": absolute,
                "alpha": alpha,
                "power": power,
                "alternative": alternative,
                "ratio": ratio,
                "n_control": n_control,
                "n_treatment": n_treatment,
                "n_total": n_control + n_treatment,
            }
        ]
    )
    grid = np.unique(np.geomspace(2, max(4 * n, 10), 200).round())
    curve = pd.DataFrame(
        {"n": grid, "power": _power(grid, absolute, baseline, sd, alpha, alternative, ratio)}
    )
    return Plan(table, curve)


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
    """Minimum detectable effect (absolute; relative with ``relative=True``): the smallest
    increase that ``n`` control units (and ``ratio * n`` variant units) detect with the
    given power.

    Examples
    --------
    >>> round(mde(20, sd=1, power=0.8689528), 4)  # power.t.test(n=20, delta=1)
    1.0
    """
    from scipy.optimize import brentq

    target = check_level("power", power)
    _design_args(0.0, baseline, sd, alpha, alternative, ratio, relative)
    _check_n(n, scalar=True)
    upper = (1 - baseline) * (1 - 1e-9) if sd is None else 1e3 * sd

    def gap(effect):
        return _power(n, effect, baseline, sd, alpha, alternative, ratio) - target

    if gap(upper) < 0:
        raise JourneyDataError(
            f"n={n}: too few units to reach power {target} for any effect. Fix: more units."
        )
    effect = float(brentq(gap, 1e-12, upper, xtol=1e-12))
    return effect / baseline if relative else effect


# --------------------------------------------------------------------------- units


def experiment_units(
    events,
    assignments: pd.DataFrame,
    *,
    metric_event="purchase",
    window="14D",
    pre_window=None,
    unit: str = "customer_id",
    variant: str = "variant",
    assigned_at: str = "assigned_at",
) -> pd.DataFrame:
    """The per-unit table an A/B test needs, from events and an assignment table.

    Only what happens in ``[assigned_at, assigned_at + window)`` counts for the outcome;
    the CUPED covariates come from ``[assigned_at - pre_window, assigned_at)``
    (``pre_window`` defaults to ``window``). Units without events get zeros. The
    event-level work is one Ibis query (DuckDB by default).

    Parameters
    ----------
    events : pandas.DataFrame or Ibis table
        Canonical events (:func:`journeykit.read_events`).
    assignments : pandas.DataFrame
        One row per unit with ``unit``, ``variant`` and ``assigned_at`` (dates or times; naive
        values are UTC). A row missing one of them is a broken assignment and raises (it is
        not dropped: that would change the sample ratio), as do numbers or text that are no
        dates in ``assigned_at``.
    metric_event : str or list of str
        The event(s) that count as a conversion; each must occur in the events.
    window, pre_window : str or Timedelta
        Durations with a unit (``'14D'``, ``'36h'``); ``pre_window`` defaults to ``window``.
    unit, variant, assigned_at : str
        Column names (``unit`` in both tables).

    Returns
    -------
    pandas.DataFrame
        One row per assigned unit: ``unit, variant, assigned_at, converted`` (any
        ``metric_event`` in the window), ``conversions``, ``revenue`` (of the metric
        events), ``sessions`` (distinct sessions with any event, when ``session_id``
        exists), ``pre_conversions``, ``pre_revenue`` and ``pre_events`` (any event: an
        engagement covariate), plus the other assignment columns.

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
            f"assignments: expected a DataFrame (unit, variant, assigned_at); got "
            f"{type(assignments).__name__}. Fix: pass a DataFrame with one row per unit, e.g. "
            "pd.DataFrame({'customer_id': ..., 'variant': ..., 'assigned_at': ...})."
        )
    columns = [unit, variant, assigned_at]
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
    if assignments[unit].duplicated().any():
        dup = assignments[assignments[unit].duplicated(keep=False)].head(5)
        raise JourneyDataError(
            f"assignments: {int(assignments[unit].duplicated().sum())} units are assigned more "
            f"than once.\nExample rows:\n{dup.to_string()}\nFix: keep each unit's first "
            "assignment (a unit must see one variant only)."
        )
    table = _engine.as_table(events)
    require(table, [unit], param="unit")
    metric_events = check_events_exist(table, metric_event, param="metric_event")
    asg = assignments[[unit, assigned_at]].copy()
    times = utc_times(assignments, assigned_at, param="assigned_at")
    asg[assigned_at] = times.astype("datetime64[us, UTC]")
    asg[unit] = asg[unit].astype(str)
    a = _engine.as_table(asg.rename(columns={unit: "_unit", assigned_at: "_at"}), like=table)
    has_revenue = "revenue" in table.columns
    has_session = "session_id" in table.columns
    t = table.select(
        _unit=table[unit].cast("string"),
        timestamp=table["timestamp"],
        hit=table["event"].isin(metric_events),
        revenue=(table["revenue"].fill_null(0) if has_revenue else ibis.literal(0.0)),
        session_id=table["session_id"] if has_session else ibis.null("string"),
    )
    joined = t.join(a, "_unit")
    after = (joined.timestamp >= joined._at) & (joined.timestamp < joined._at + window)
    before = (joined.timestamp < joined._at) & (joined.timestamp >= joined._at - pre_window)
    metrics = {
        "conversions": (after & joined.hit).cast("int64").sum(),
        "revenue": ibis.cases((after & joined.hit, joined.revenue), else_=0.0).sum(),
        "pre_conversions": (before & joined.hit).cast("int64").sum(),
        "pre_revenue": ibis.cases((before & joined.hit, joined.revenue), else_=0.0).sum(),
        "pre_events": before.cast("int64").sum(),
    }
    if has_session:
        metrics["sessions"] = joined.session_id.nunique(where=after)
    per_unit = _engine.to_pandas(joined.group_by("_unit").agg(**metrics))
    out = assignments.copy()
    out[unit] = out[unit].astype(str)
    out = out.merge(per_unit.rename(columns={"_unit": unit}), on=unit, how="left")
    counts = ["conversions", "pre_conversions", "pre_events"] + (
        ["sessions"] if has_session else []
    )
    out[counts] = out[counts].fillna(0).astype("int64")
    out[["revenue", "pre_revenue"]] = out[["revenue", "pre_revenue"]].fillna(0.0).astype(float)
    out["converted"] = out["conversions"] > 0
    return out


# --------------------------------------------------------------------------- sequential


@dataclass(frozen=True, repr=False)
class Sequential(Result):
    """Always-valid p-values and a confidence sequence at each look."""

    table: pd.DataFrame
    alpha: float
    tau: float
    rejected_at: int | None
    title = "Sequential test (mixture SPRT)"

    @property
    def notes(self) -> tuple[str, ...]:
        when = (
            f"0 left the confidence sequence after {self.rejected_at:,} units: stop, the "
            "difference is real."
            if self.rejected_at is not None
            else "0 stayed inside the confidence sequence: no evidence of a difference yet."
        )
        return (
            f"normal-mixture SPRT with mixing sd tau = {self.tau:.4g}; p_value and the "
            "interval stay valid however often you look; naive_p_value is the fixed-sample "
            "test at that look, which is NOT valid under peeking.",
            when,
        )

    def plot(self, ax=None):
        """The difference over time with the confidence sequence and the naive interval."""
        return plots.sequence(self.table, ax)


def sequential_test(
    data: pd.DataFrame,
    *,
    variant: str = "variant",
    metric: str = "converted",
    control=None,
    order: str | None = None,
    alpha: float = 0.05,
    tau: float | None = None,
    min_n: int = 100,
    looks: int = 20,
) -> Sequential:
    """Always-valid p-value and confidence sequence for a difference in means or
    proportions, so a test can be monitored continuously and stopped when it is decided.

    The statistic is the normal-mixture sequential probability ratio test (mSPRT) of
    Johari, Koomen, Pekelis & Walsh (2017), "Peeking at A/B Tests", KDD, written with the
    estimate's variance ``v = s_t^2 / n_t + s_c^2 / n_c`` so that arms may differ in size:
    with information ``I = 1 / v``, score ``S = I * diff`` and ``rho = 1 / tau^2``,
    ``Lambda = sqrt(rho / (I + rho)) * exp(S^2 / (2 (I + rho)))``. The always-valid p-value is
    the running minimum of ``1 / Lambda``; the confidence sequence is ``diff +- sqrt((I + rho)
    log((I + rho) / (rho alpha^2))) / I`` (Howard, Ramdas, McAuliffe & Sekhon 2021, Annals
    of Statistics 49(2)), intersected over time. By default ``tau`` makes the sequence
    narrowest at the information ``I_end`` of the sample you pass: minimising the width at
    ``I_end`` over ``rho`` gives ``rho = I_end / r`` with ``r = 2 log(1/alpha) + log(1 + r)``.
    Fix ``tau`` in advance (e.g. from the planned sample) to monitor live. Monitoring starts
    once both arms have ``min_n`` units (plug-in variances are unreliable before).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per unit, two variants, in arrival order (or sorted by ``order``). A missing
        variant, metric or ``order`` value raises, as in :func:`ab_test`.
    tau : float, optional
        The mixing standard deviation (> 0); by default chosen from the data (above).
    min_n, looks : int
        Units per arm before monitoring starts (at least 2); rows of the returned table
        (evenly spaced looks; the p-value itself is monitored after every unit).

    Returns
    -------
    Sequential
        ``table``: n, n_control, n_treatment, diff, ci_low, ci_high, p_value (always
        valid), naive_p_value; ``rejected_at`` (units seen when p first fell to ``alpha``).
    """
    from scipy.stats import norm

    _check_units(data, variant)
    alpha = check_level("alpha", alpha)
    if tau is not None:
        check_number("tau", tau, what="the mixing standard deviation", above=0, example="0.01")
    min_n = check_whole("min_n", min_n, minimum=2)
    looks = check_whole("looks", looks, example="20")
    y = _numeric(data, metric, "metric")
    codes, names = _groups(data, variant, control)
    if len(names) != 2:
        raise JourneyDataError(
            f"variant={variant!r}: sequential_test compares two variants; got {names}. Fix: "
            "select the control and one variant."
        )
    if order is not None:
        sort = np.argsort(_order(data, order), kind="stable")
        y, codes = y[sort], codes[sort]
    treated = codes == 1
    n_t = np.cumsum(treated)
    n_c = np.arange(1, len(y) + 1) - n_t
    s_t, s_c = np.cumsum(y * treated), np.cumsum(y * ~treated)
    q_t, q_c = np.cumsum(y * y * treated), np.cumsum(y * y * ~treated)
    with np.errstate(divide="ignore", invalid="ignore"):
        m_t, m_c = s_t / n_t, s_c / n_c
        # variance of the difference: s_t^2 / n_t + s_c^2 / n_c, s^2 with n - 1
        var = (q_t / n_t - m_t**2) / (n_t - 1) + (q_c / n_c - m_c**2) / (n_c - 1)
    diff = m_t - m_c
    ready = (n_t >= min_n) & (n_c >= min_n) & (var > 0)
    if not ready.any():
        raise JourneyDataError(
            f"data: the arms never both reach min_n={min_n} units with some variation. Fix: "
            "wait for more data or lower min_n."
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
    p_raw = np.where(ready, np.minimum(1.0, np.exp(-log_lambda)), 1.0)
    p_running = np.minimum.accumulate(p_raw)
    with np.errstate(divide="ignore", invalid="ignore"):
        radius = np.sqrt((info + rho) * np.log((info + rho) / (rho * alpha**2))) / info
    low = np.maximum.accumulate(np.where(ready, diff - radius, -np.inf))
    high = np.minimum.accumulate(np.where(ready, diff + radius, np.inf))
    naive = np.where(ready, 2 * norm.sf(np.abs(diff) * np.sqrt(info)), np.nan)
    first = int(np.argmax(ready))
    at = np.unique(np.linspace(first, len(y) - 1, looks).round().astype(int))
    table = pd.DataFrame(
        {
            "n": at + 1,
            "n_control": n_c[at],
            "n_treatment": n_t[at],
            "diff": diff[at],
            "ci_low": low[at],
            "ci_high": high[at],
            "p_value": p_running[at],
            "naive_p_value": naive[at],
        }
    )
    hits = np.flatnonzero(p_running <= alpha)
    return Sequential(table, alpha, tau, int(hits[0] + 1) if len(hits) else None)


def _order(data: pd.DataFrame, order: str) -> np.ndarray:
    """The arrival order column; a missing value raises (its unit has no place in time)."""
    require(data, [order], param="order")
    missing = data[order].isna().to_numpy()
    if missing.any():
        rows = data.loc[missing].head(5)
        raise JourneyDataError(
            f"order={order!r}: {int(missing.sum())} of {len(data)} units have no value, so "
            f"their place in the sequence is unknown.\nExample rows:\n{rows.to_string()}\n"
            "Fix: fill the arrival time (e.g. the assignment time) or drop those units."
        )
    return data[order].to_numpy()


# --------------------------------------------------------------------------- Bayesian


@dataclass(frozen=True, repr=False)
class Bayes(Result):
    """Beta-binomial posteriors of each variant against the control."""

    table: pd.DataFrame
    prior: tuple[float, float]
    level: float
    draws: pd.DataFrame
    title = "Bayesian A/B test"

    @property
    def notes(self) -> tuple[str, ...]:
        a, b = self.prior
        return (
            f"prior Beta({a:g}, {b:g}) for every rate; posteriors Beta(a + conversions, b + "
            "non-conversions); probabilities and losses from Monte Carlo draws; "
            f"{self.level:.0%} equal-tailed credible intervals.",
            "expected_loss: the conversion rate you expect to give up by choosing the variant "
            "if it is in fact worse (choose it when this is below what you can tolerate).",
        )

    def plot(self, ax=None):
        """Posterior distribution of the relative lift of each variant."""
        return plots.posterior_lift(self.draws, ax)


def bayes_ab(
    data: pd.DataFrame,
    *,
    variant: str = "variant",
    metric: str = "converted",
    control=None,
    prior: tuple[float, float] = (1.0, 1.0),
    level: float = 0.95,
    draws: int = 200_000,
    seed: int = 0,
) -> Bayes:
    """Bayesian view of a conversion test: P(variant beats control), expected loss and
    credible intervals of the difference and the relative lift.

    Model: each variant's conversion rate has an independent ``Beta(a, b)`` prior (uniform
    ``(1, 1)`` by default: every rate equally likely before the data) and a binomial
    likelihood, so the posterior is ``Beta(a + conversions, b + n - conversions)``
    (conjugate). P(beats) and the expected loss ``E[max(p_control - p_variant, 0)]`` are
    Monte Carlo estimates from ``draws`` posterior samples (Stucchio 2015, "Bayesian A/B
    Testing at VWO"); with 200,000 draws their Monte Carlo error is below 0.002. A missing
    variant or metric value raises, as in :func:`ab_test`.

    Returns
    -------
    Bayes
        ``table``: variant, n, conversions, rate (posterior mean), p_beats_control,
        expected_loss, diff_low, diff_high, lift, lift_low, lift_high.
    """
    _check_units(data, variant)
    level = check_level("level", level)
    pair = isinstance(prior, (tuple, list)) and len(prior) == 2
    if not pair or not all(is_real(v) and math.isfinite(v) and v > 0 for v in prior):
        raise JourneyDataError(
            f"prior={prior!r}: expected (a, b), two finite numbers > 0; got {got(prior)}. "
            "Fix: pass e.g. prior=(1, 1), the uniform prior."
        )
    draws = check_whole("draws", draws, example="200_000")
    check_whole("seed", seed, minimum=0, example="0")
    y = _numeric(data, metric, "metric")
    if not np.isin(y, (0.0, 1.0)).all():
        raise JourneyDataError(
            f"metric={metric!r}: bayes_ab models conversions and needs 0/1 values. Fix: "
            "convert the metric to 0/1."
        )
    codes, names = _groups(data, variant, control)
    k = len(names)
    n = np.bincount(codes, minlength=k).astype(float)
    (conv,) = _sums(codes, k, y)
    a, b = prior
    rng = np.random.default_rng(seed)
    samples = rng.beta(a + conv[:, None], b + n[:, None] - conv[:, None], size=(k, draws))
    rows = []
    lifts = {}
    tail = (1 - level) / 2
    for i in range(1, k):
        d = samples[i] - samples[0]
        lift = samples[i] / samples[0] - 1
        lifts[names[i]] = lift
        rows.append(
            {
                "variant": names[i],
                "n": int(n[i]),
                "conversions": int(conv[i]),
                "rate": (a + conv[i]) / (a + b + n[i]),
                "p_beats_control": float((d > 0).mean()),
                "expected_loss": float(np.maximum(-d, 0).mean()),
                "diff_low": float(np.quantile(d, tail)),
                "diff_high": float(np.quantile(d, 1 - tail)),
                "lift": float(np.median(lift)),
                "lift_low": float(np.quantile(lift, tail)),
                "lift_high": float(np.quantile(lift, 1 - tail)),
            }
        )
    control_row = {
        "variant": names[0],
        "n": int(n[0]),
        "conversions": int(conv[0]),
        "rate": (a + conv[0]) / (a + b + n[0]),
    }
    table = pd.DataFrame([control_row, *rows])
    return Bayes(table, (float(a), float(b)), level, pd.DataFrame(lifts))
