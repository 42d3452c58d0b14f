"""Net Promoter Score with honest intervals, comparisons, trends, drivers and journeys.

Definitions: answers are 0-10 likelihood-to-recommend scores; promoters answer 9-10,
passives 7-8, detractors 0-6; NPS = 100 x (share of promoters - share of detractors), on
-100..100. With shares p (promoters) and d (detractors) of n answers, the variance of the
estimate (trinomial, Rocks 2016) is ``(p + d - (p - d)^2) / n`` (times 100^2).

Intervals (``method=``):

- ``'wald'``: estimate +- z * SE. It holds its level with at least 100 answers and at least
  10 promoters and 10 detractors; below that it under-covers (90-94% at n = 30 in the
  coverage test) and a ``JourneyWarning`` says so. It can cross -100/100.
- ``'adjusted_wald'``: add 3/4 of a promoter and 3/4 of a detractor and 3 answers in all
  (pseudo-observations), then Wald on the adjusted shares. Rocks, B. (2016). "Interval
  Estimation for the 'Net Promoter Score'". The American Statistician 70(4), 365-372; the
  best-covering simple method in his and in Sauro & Lewis' comparisons (94.6-96.6% at
  n = 30 in the coverage test, slightly conservative at extreme shares).
- ``'bootstrap'``: percentile bootstrap of the mean of +1/0/-1 (``scipy.stats.bootstrap``).

Survey weights (``weights=``) weight the shares; the standard error then uses Kish's
effective sample size ``n_eff = (sum w)^2 / sum w^2``.
"""

from __future__ import annotations

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
    check_whole,
    column_names,
    drop_missing,
    require,
    require_events,
    suggest,
    utc_times,
)
from .errors import JourneyDataError, JourneyWarning
from .results import Result

METHODS = ("wald", "adjusted_wald", "bootstrap")
CATEGORIES = ("detractor", "passive", "promoter")
SMALL_GROUP = 30


def _z(level: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(0.5 + check_level("level", level) / 2))


def category(scores) -> pd.Series:
    """'detractor' (0-6), 'passive' (7-8) or 'promoter' (9-10) for each score; missing
    where the score is missing (never a category of its own)."""
    s = pd.Series(scores)
    values = _numbers(s.to_frame("score"), "score", param="scores")
    codes = np.where(np.isnan(values), -1, np.where(values >= 9, 2, np.where(values >= 7, 1, 0)))
    return pd.Series(pd.Categorical.from_codes(codes, categories=CATEGORIES), index=s.index)


def interval(promoters, detractors, n, *, method: str = "wald", level: float = 0.95):
    """Vectorised NPS estimate, standard error and interval from (weighted) counts.

    Returns ``(nps, se, low, high)`` on the -100..100 scale; the adjusted-Wald estimate
    and interval are centred on the adjusted shares (Rocks 2016).
    """
    z = _z(level)
    promoters, detractors, n = (np.asarray(x, dtype=float) for x in (promoters, detractors, n))
    p, d = promoters / n, detractors / n
    nps = p - d
    if method == "adjusted_wald":
        n_adj = n + 3
        pa, da = (promoters + 0.75) / n_adj, (detractors + 0.75) / n_adj
        centre, se = pa - da, np.sqrt((pa + da - (pa - da) ** 2) / n_adj)
    else:
        centre, se = nps, np.sqrt(np.maximum(p + d - nps**2, 0) / n)
    return 100 * nps, 100 * se, 100 * (centre - z * se), 100 * (centre + z * se)


def _numbers(frame: pd.DataFrame, column: str, *, param: str) -> np.ndarray:
    """A column as numbers (floats with NaN where a value is missing: NaN, None, pd.NA);
    text or True/False raise. NumPy number columns come back as they are, without a copy."""
    raw = frame[column]
    if isinstance(raw.dtype, np.dtype) and raw.dtype.kind in "iuf":
        return raw.to_numpy()
    values = None if pd.api.types.is_bool_dtype(raw) else as_floats(raw)
    bad = raw.notna().to_numpy() if values is None else np.isnan(values) & raw.notna().to_numpy()
    if bad.any():
        rows = frame[bad].head(5)
        raise JourneyDataError(
            f"{param}={column!r}: {int(bad.sum())} answers are not numbers.\nExample rows:\n"
            f"{rows.to_string()}\nFix: map text (or True/False) answers to numbers or drop them."
        )
    return values


def _scores(frame: pd.DataFrame, score: str) -> np.ndarray:
    """The 0-10 answers as numbers (NaN where missing), validated."""
    values = _numbers(frame, score, param="score")
    bad = (values < 0) | (values > 10)
    missing = np.isnan(values) if values.dtype.kind == "f" else None
    if missing is not None:
        bad |= ~missing & (values % 1 != 0)
    if bad.any():
        rows = frame[bad].head(5)
        raise JourneyDataError(
            f"score={score!r}: {int(bad.sum())} answers are not whole numbers 0-10.\n"
            f"Example rows:\n{rows.to_string()}\nFix: NPS needs the 0-10 likelihood-to-"
            "recommend answer; drop or correct these rows."
        )
    if missing is not None and missing.all():
        raise JourneyDataError(
            f"score={score!r}: every answer is missing. Fix: check the column (and the filter "
            "that selected the answers)."
        )
    return values


def _weights(frame: pd.DataFrame, weights, rows) -> np.ndarray:
    """The survey weights of the kept ``rows`` (positions), validated: numbers >= 0."""
    if isinstance(weights, str):
        if weights not in frame.columns:
            raise JourneyDataError(
                f"weights={weights!r}: no such column. {suggest(weights, list(frame.columns))} "
                "Fix: pass weights= the column of survey weights, or one weight per answer."
            )
        raw = frame[weights]
    else:
        raw = pd.Series(np.asarray(weights).ravel())
        if len(raw) != len(frame):
            raise JourneyDataError(
                f"weights: got {len(raw)} weights for {len(frame)} answers. Fix: pass one "
                "weight per answer, or the name of the weights column."
            )
    given = raw.to_numpy() if rows is None else raw.to_numpy()[rows]
    w = as_floats(raw) if rows is None else as_floats(raw)[rows]
    wrong = ~np.isfinite(w) | (w < 0)
    if wrong.any():
        raise JourneyDataError(
            f"weights: {int(wrong.sum())} weights are missing, negative or not numbers (e.g. "
            f"{given[wrong][:5].tolist()}). Fix: survey weights must be numbers >= 0."
        )
    return w


def _values(data, score: str, weights, names: list[str]):
    """Validate the answers: returns (the rows without a missing score or ``names`` value,
    their scores, their weights or None)."""
    if isinstance(data, pd.DataFrame):
        if score not in data.columns:
            raise JourneyDataError(
                f"score={score!r}: no such column. {suggest(score, list(data.columns))} "
                "Fix: pass score= the column with the 0-10 answers."
            )
        frame = data
    elif isinstance(data, (pd.Series, np.ndarray, list, tuple)):
        raw = data if isinstance(data, pd.Series) else pd.Series(np.asarray(data))
        frame = raw.to_frame(score)
    else:
        raise JourneyDataError(
            f"data: expected a DataFrame, Series, array or list of 0-10 scores; got "
            f"{type(data).__name__}. Fix: pass e.g. nps(survey, score='score') or "
            "nps([10, 9, 6])."
        )
    if len(frame) == 0:
        raise JourneyDataError(
            f"score={score!r}: no answers (the data or the selected group is empty). Fix: "
            "check the filter that selected the answers."
        )
    values = _scores(frame, score)
    columns = [score, *names]
    if not any(frame[c].isna().any() for c in columns):  # no copies of large inputs
        return frame, values, None if weights is None else _weights(frame, weights, None)
    answers = pd.DataFrame({score: values, **{n: frame[n].array for n in names}})
    kept = drop_missing(answers, columns, where="nps")
    rows = kept.index.to_numpy()
    return kept, values[rows], None if weights is None else _weights(frame, weights, rows)


@dataclass(frozen=True, repr=False)
class NPS(Result):
    """NPS per group with counts, shares, standard error and interval."""

    table: pd.DataFrame
    method: str
    level: float
    by: tuple[str, ...] = ()
    title = "Net Promoter Score"

    @property
    def notes(self) -> tuple[str, ...]:
        return (
            "promoters answer 9-10, passives 7-8, detractors 0-6; NPS = % promoters - % "
            f"detractors; {self.level:.0%} interval by {self.method.replace('_', '-')}.",
        )

    @property
    def conclusion(self) -> str:
        """A plain-language reading of the result."""
        t = self.table.dropna(subset=["nps"])
        pct = f"{self.level:.0%}"

        def one(row) -> str:
            return (
                f"NPS {row.nps:+.1f} ({pct} interval {row.ci_low:+.1f} to {row.ci_high:+.1f}, "
                f"n = {int(row.n):,}; {row.p_promoter:.0%} promoters, {row.p_detractor:.0%} "
                "detractors)"
            )

        if not self.by:
            row = t.iloc[0]
            width = row.ci_high - row.ci_low
            return (
                f"{one(row)}. The true score is plausibly anywhere in that {width:.0f}-point "
                "range; differences smaller than that are not evidence of change."
            )
        best, worst = t.loc[t["nps"].idxmax()], t.loc[t["nps"].idxmin()]
        label = lambda r: ", ".join(str(r[b]) for b in self.by)  # noqa: E731
        overlap = best.ci_low <= worst.ci_high
        hidden = int(self.table["suppressed"].sum())
        text = f"Highest: {label(best)}: {one(best)}. Lowest: {label(worst)}: {one(worst)}. " + (
            "Their intervals overlap, so the groups may not truly differ; use "
            "compare_nps for a test."
            if overlap
            else "Their intervals do not overlap: a real difference."
        )
        if hidden:
            text += f" {hidden} group(s) below min_n are suppressed."
        return text

    def plot(self, ax=None):
        """Stacked promoter/passive/detractor bars with the NPS and its interval."""
        return plots.nps_bars(self.table, ax, by=self.by)


def nps(
    data,
    *,
    score: str = "score",
    by=None,
    weights=None,
    method: str = "wald",
    level: float = 0.95,
    min_n: int | None = None,
    n_boot: int = 2000,
    seed: int = 0,
) -> NPS:
    """Net Promoter Score with counts, shares, standard error and interval, per group.

    Parameters
    ----------
    data : pandas.DataFrame, Series or array of 0-10 scores
        Survey answers. Missing answers (NaN, None, pd.NA in nullable columns) are left out
        with a ``JourneyWarning`` giving the count, never counted as passives; text, True/
        False and numbers other than whole 0-10 raise.
    score : str
        The column of answers in a DataFrame.
    by : str or list of str, optional
        Group columns (segment, persona, wave, ...). Answers without a group value are left
        out with a ``JourneyWarning`` (a missing value is never a group). Groups with fewer
        than 30 answers get a ``JourneyWarning``.
    weights : str or array, optional
        Survey weights: a column name or one weight per answer, numbers >= 0 (a missing
        weight of a kept answer raises, as does a group whose weights sum to 0); the table
        reports the effective sample size ``n_eff``.
    method : {'wald', 'adjusted_wald', 'bootstrap'}
        Interval method (module docstring; Rocks 2016).
    level : float
        Confidence level.
    min_n : int, optional
        Suppress groups with fewer answers: their numbers are set missing and
        ``suppressed`` is True, so small cells are neither over-read nor exposed.
    n_boot, seed : int
        Bootstrap resamples and seed (``method='bootstrap'``).

    Returns
    -------
    NPS
        ``table``: ``[by], n, n_eff, promoters, passives, detractors, p_promoter,
        p_passive, p_detractor, nps, se, ci_low, ci_high, suppressed``; ``conclusion``.

    Examples
    --------
    >>> res = nps([10, 9, 9, 8, 7, 6, 3, 10, 9, 5])
    >>> res.table[["n", "promoters", "detractors", "nps"]]
        n  promoters  detractors   nps
    0  10          5           3  20.0
    """
    check_choice("method", method, METHODS)
    _z(level)
    if min_n is not None:
        check_whole("min_n", min_n, example="10")
    if method == "bootstrap":
        check_whole("n_boot", n_boot, example="2000")
        check_whole("seed", seed, minimum=0, example="0")
    names = column_names(by, param="by")
    if names:
        if not isinstance(data, pd.DataFrame):
            raise JourneyDataError(
                f"by={by!r}: needs a DataFrame of answers with those columns; got "
                f"{type(data).__name__}. Fix: pass a DataFrame with the score and group columns."
            )
        require(data, names, param="by")
    frame, values, w = _values(data, score, weights, names)
    promoter, detractor = values >= 9, values <= 6
    if names:
        codes, keys = _group_codes(frame, names)
    else:
        codes, keys = np.zeros(len(values), dtype=np.intp), pd.DataFrame(index=[0])
    k = len(keys)
    n = np.bincount(codes, minlength=k).astype(float)
    n_promoters = np.bincount(codes, weights=promoter, minlength=k)
    n_detractors = np.bincount(codes, weights=detractor, minlength=k)
    if w is None:
        sw, wp, wd, n_eff = n, n_promoters, n_detractors, n
    else:
        sw, wp, wd, n_eff = _weighted_counts(codes, k, promoter, detractor, w, bool(names))
    # Weighted counts scaled to the effective sample size feed the variance formulas.
    promoters_eff, detractors_eff = wp / sw * n_eff, wd / sw * n_eff
    est, se, low, high = interval(promoters_eff, detractors_eff, n_eff, method=method, level=level)
    table = keys.assign(
        n=n.astype("int64"),
        n_eff=n_eff,
        promoters=n_promoters.astype("int64"),
        passives=(n - n_promoters - n_detractors).astype("int64"),
        detractors=n_detractors.astype("int64"),
        p_promoter=wp / sw,
        p_passive=(sw - wp - wd) / sw,
        p_detractor=wd / sw,
        nps=est,
        se=se,
        ci_low=low,
        ci_high=high,
    )
    if method == "bootstrap":
        sign = promoter.astype(float) - detractor
        weight = np.ones(len(values)) if w is None else w
        table[["ci_low", "ci_high"]] = [
            _bootstrap(sign[codes == g], weight[codes == g], level, n_boot, seed) for g in range(k)
        ]
    small = table["n"] < SMALL_GROUP
    if names and small.any():
        warnings.warn(
            f"nps: {int(small.sum())} group(s) have fewer than {SMALL_GROUP} answers; their "
            "intervals are wide and easy to over-read (pass min_n= to suppress them).",
            JourneyWarning,
            stacklevel=2,
        )
    if method == "wald":
        _warn_wald(table, names)
    table["suppressed"] = table["n"] < min_n if min_n else False
    if table["suppressed"].any():
        hide = [c for c in table.columns if c not in (*names, "suppressed")]
        table.loc[table["suppressed"], hide] = np.nan
    if names:
        table = table.sort_values(names, kind="stable").reset_index(drop=True)
    return NPS(table=table, method=method, level=level, by=tuple(names))


def _weighted_counts(codes, k, promoter, detractor, w, grouped: bool):
    """Per group: the sum of the weights, the weighted promoters and detractors, and Kish's
    effective sample size; a group whose weights sum to 0 has no NPS and raises."""
    sw = np.bincount(codes, weights=w, minlength=k)
    if (sw == 0).any():
        where = f"of {int((sw == 0).sum())} group(s) " if grouped else ""
        raise JourneyDataError(
            f"weights: the weights {where}sum to 0, so the NPS is undefined there. Fix: give "
            "those answers weights > 0, or leave them out."
        )
    sw2 = np.bincount(codes, weights=w * w, minlength=k)
    wp = np.bincount(codes, weights=w * promoter, minlength=k)
    wd = np.bincount(codes, weights=w * detractor, minlength=k)
    return sw, wp, wd, sw**2 / sw2


def _group_codes(frame: pd.DataFrame, names: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """Dense group codes (sorted key order) and the keys; ``frame`` has no missing keys
    (:func:`_values` dropped them).

    Written with factorize + bincount instead of ``groupby().ngroup()``, which is about
    20x slower on 10M answers (benchmarks/RESULTS.md)."""
    if len(names) == 1:  # factorize codes are already dense and sorted
        codes, uniques = pd.factorize(frame[names[0]], sort=True)
        return codes, pd.DataFrame({names[0]: np.asarray(uniques)})
    combined = np.zeros(len(frame), dtype=np.int64)
    uniques = []
    for name in names:
        col_codes, col_uniques = pd.factorize(frame[name], sort=True)
        combined = combined * len(col_uniques) + col_codes
        uniques.append(col_uniques)
    sizes = [len(u) for u in uniques]
    present = np.bincount(combined, minlength=int(np.prod(sizes))) > 0
    codes = (np.cumsum(present) - 1)[combined]
    positions = np.unravel_index(np.flatnonzero(present), sizes)
    keys = pd.DataFrame({n: np.asarray(u)[i] for n, u, i in zip(names, uniques, positions)})
    return codes, keys


def _warn_wald(table: pd.DataFrame, names) -> None:
    """Wald holds its level (coverage test: within 93.5-96.5% at 95%) only with n_eff >= 100
    and at least 10 expected promoters and detractors; elsewhere it under-covers."""
    shaky = (table["n_eff"] < 100) | (
        table["n_eff"] * np.minimum(table["p_promoter"], table["p_detractor"]) < 10
    )
    if shaky.any():
        where = f" in {int(shaky.sum())} group(s)" if names else ""
        warnings.warn(
            f"nps: the Wald interval under-covers{where} (fewer than 100 answers or fewer than "
            "10 promoters or detractors). Pass method='adjusted_wald' (Rocks 2016).",
            JourneyWarning,
            stacklevel=3,
        )


def _bootstrap(sign, w, level, n_boot, seed) -> tuple[float, float]:
    from scipy.stats import bootstrap

    if len(sign) < 2 or np.all(sign == sign[0]):
        value = 100 * float(np.average(sign, weights=w))
        return value, value
    res = bootstrap(
        (sign, w),
        lambda s, ww, axis=-1: 100 * np.sum(s * ww, axis=axis) / np.sum(ww, axis=axis),
        paired=True,
        vectorized=True,
        n_resamples=n_boot,
        confidence_level=level,
        method="percentile",
        random_state=np.random.default_rng(seed),
    )
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def compare_nps(a, b, *, score: str = "score", level: float = 0.95) -> pd.DataFrame:
    """Compare the NPS of two independent samples.

    ``diff`` = NPS(a) - NPS(b) with standard error ``sqrt(se_a^2 + se_b^2)`` (trinomial
    variances, independent samples), a Wald interval and a two-sided z-test p-value.

    Examples
    --------
    >>> compare_nps([10] * 60 + [5] * 40, [10] * 40 + [5] * 60).round(3)[["diff", "p_value"]]
       diff  p_value
    0  40.0    0.004
    """
    from scipy.stats import norm

    z = _z(level)
    ra = nps(a, score=score).table.iloc[0]
    rb = nps(b, score=score).table.iloc[0]
    diff = ra.nps - rb.nps
    se = float(np.hypot(ra.se, rb.se))
    stat = diff / se if se > 0 else np.nan
    return pd.DataFrame(
        {
            "nps_a": [ra.nps],
            "nps_b": [rb.nps],
            "n_a": [int(ra.n)],
            "n_b": [int(rb.n)],
            "diff": [diff],
            "se": [se],
            "ci_low": [diff - z * se],
            "ci_high": [diff + z * se],
            "z": [stat],
            "p_value": [2 * norm.sf(abs(stat)) if se > 0 else np.nan],
        }
    )


@dataclass(frozen=True, repr=False)
class NPSTrend(Result):
    """NPS per wave with intervals and the test of each change against the previous wave."""

    table: pd.DataFrame
    by: tuple[str, ...] = ()
    title = "NPS trend"

    def plot(self, ax=None):
        """NPS per period with its interval band (one line per group)."""
        return plots.nps_trend_lines(self.table, ax, by=self.by)


def nps_trend(
    survey: pd.DataFrame,
    *,
    time: str = "date",
    freq: str = "Q",
    by=None,
    score: str = "score",
    method: str = "wald",
    level: float = 0.95,
) -> NPSTrend:
    """NPS per calendar period (wave) and the test of each change.

    Periods are UTC calendar periods of ``time`` (``freq``: 'W', 'M', 'Q' or 'Y'; dates or
    times, naive ones read as UTC; numbers and text that is no date raise). For each
    period after the first (within each ``by`` group): ``change`` against the previous
    period, its interval and p-value as in :func:`compare_nps`. Answers missing the score,
    the time or a ``by`` value are left out with a ``JourneyWarning`` giving the count (a
    missing time is never a wave of its own).
    """
    check_choice("freq", freq, ("W", "M", "Q", "Y"))
    names = column_names(by, param="by")
    require(survey, [score, time, *names], param="survey")
    survey = drop_missing(survey, [score, time, *names], where="nps_trend")
    stamps = utc_times(survey, time, param="time")
    periods = stamps.dt.tz_localize(None).dt.to_period(freq).dt.start_time
    frame = survey.assign(period=periods.dt.tz_localize("UTC"))
    table = nps(frame, score=score, by=[*names, "period"], method=method, level=level).table
    table = table.sort_values([*names, "period"]).reset_index(drop=True)
    from scipy.stats import norm

    z = _z(level)
    grouped = table.groupby(names, sort=False) if names else table.groupby(np.zeros(len(table)))
    prev_nps, prev_se = grouped["nps"].shift(1), grouped["se"].shift(1)
    se = np.hypot(table["se"], prev_se)
    table["change"] = table["nps"] - prev_nps
    table["change_ci_low"] = table["change"] - z * se
    table["change_ci_high"] = table["change"] + z * se
    table["p_value"] = 2 * norm.sf(np.abs(table["change"] / se))
    return NPSTrend(table=table, by=tuple(names))


@dataclass(frozen=True, repr=False)
class Drivers(Result):
    """Which rated aspects move the likelihood-to-recommend score."""

    table: pd.DataFrame
    r_squared: float
    n: int
    title = "NPS drivers"

    @property
    def notes(self) -> tuple[str, ...]:
        return (
            f"OLS of the 0-10 score on the ratings with HC3 robust standard errors; n = "
            f"{self.n:,}, R^2 = {self.r_squared:.2f}. std_effect: score points per standard "
            "deviation of the rating (for ranking).",
        )

    def plot(self, ax=None):
        """Standardised effects with intervals, largest first."""
        return plots.driver_bars(self.table, ax)


def nps_drivers(
    survey: pd.DataFrame, *, drivers, score: str = "score", level: float = 0.95
) -> Drivers:
    """Key-driver analysis: regress the 0-10 score on aspect ratings.

    Uses ordinary least squares (statsmodels) on the raw 0-10 answer rather than a logit of
    promoter/detractor: it keeps all the information in the scale and its coefficients read
    directly as "score points per rating point". Standard errors are HC3 heteroskedasticity-
    robust (MacKinnon & White 1985), because a bounded score's variance changes with its
    mean. ``std_effect`` multiplies each coefficient by the rating's standard deviation so
    drivers on different scales can be ranked. Rows with a missing score or rating are left
    out with a ``JourneyWarning`` giving the count; text in them, scores other than whole
    0-10 and drivers that are constant or collinear raise.

    Returns
    -------
    Drivers
        ``table``: ``driver, effect, ci_low, ci_high, p_value, std_effect`` sorted by
        ``std_effect``; ``r_squared``; ``n``.
    """
    import statsmodels.api as sm

    drivers = column_names(drivers, param="drivers")
    if not drivers:
        raise JourneyDataError(
            "drivers=[]: expected at least one column of aspect ratings. Fix: pass e.g. "
            "drivers=['delivery', 'service']."
        )
    require(survey, [score, *drivers], param="survey")
    check_level("level", level)
    data = _driver_data(survey, score, drivers)
    X = sm.add_constant(data[drivers])
    fit = sm.OLS(data[score], X).fit(cov_type="HC3")
    ci = fit.conf_int(alpha=1 - level).loc[drivers]
    table = pd.DataFrame(
        {
            "driver": drivers,
            "effect": fit.params[drivers].to_numpy(),
            "ci_low": ci[0].to_numpy(),
            "ci_high": ci[1].to_numpy(),
            "p_value": fit.pvalues[drivers].to_numpy(),
            "std_effect": (fit.params[drivers] * data[drivers].std()).to_numpy(),
        }
    )
    table = table.sort_values("std_effect", ascending=False).reset_index(drop=True)
    return Drivers(table=table, r_squared=float(fit.rsquared), n=len(data))


def _driver_data(survey: pd.DataFrame, score: str, drivers: list[str]) -> pd.DataFrame:
    """The validated score and ratings as numbers, without rows missing one of them."""
    numbers = {score: _scores(survey, score)}
    numbers.update({d: _numbers(survey, d, param="drivers") for d in drivers})
    data = drop_missing(pd.DataFrame(numbers), [score, *drivers], where="nps_drivers")
    if len(data) <= len(drivers) + 1:
        raise JourneyDataError(
            f"drivers: only {len(data)} complete answers for {len(drivers)} drivers. Fix: "
            "use fewer drivers or more answers."
        )
    design = np.column_stack([np.ones(len(data)), data[drivers].to_numpy()])
    if np.linalg.matrix_rank(design) < design.shape[1]:
        constant = [d for d in drivers if data[d].nunique() < 2]
        what = f"{constant} have the same value in every answer" if constant else "are collinear"
        raise JourneyDataError(
            f"drivers={drivers}: {what} (a rating that is a sum or copy of others, or "
            "constant, has no effect of its own). Fix: drop or merge those drivers."
        )
    return data


def nps_by_journey(
    survey: pd.DataFrame,
    events,
    *,
    time: str = "date",
    score: str = "score",
    period="30D",
    churn_after="90D",
    purchase="purchase",
    method: str = "wald",
    level: float = 0.95,
) -> pd.DataFrame:
    """NPS per journey group, each answer joined to the customer's events before it.

    For every answer (``customer_id``, ``time``) the events up to the answer time give:
    ``status`` (the :func:`journeykit.lifecycle` status at that moment, with ``period``
    and ``churn_after``; 'no activity' without earlier events), ``acquisition_channel``
    (channel of the first event), ``last_touchpoint`` (channel of the last event before the
    answer) and ``orders`` (``purchase`` events before the answer: 0, 1, 2-3, 4+).
    Returns a long table ``dimension, group`` + the :func:`nps` columns. The join runs in
    the engine.

    Answers missing the ``customer_id``, the time or the score are left out with a
    ``JourneyWarning`` giving the count (they cannot be placed in a journey); answers
    without a channel (no earlier event, or an event without one) are left out of the two
    channel dimensions only. ``purchase`` (one event name or a list) must occur in the
    events; ``time`` holds dates or times (naive ones read as UTC).
    """
    import ibis

    from .status import STATUSES, classify

    check_choice("method", method, METHODS)
    _z(level)
    require(survey, ["customer_id", time, score], param="survey")
    require_events(events)
    period, churn_after = (
        as_timedelta(period, param="period"),
        as_timedelta(churn_after, param="churn_after"),
    )
    survey = drop_missing(survey, ["customer_id", time, score], where="nps_by_journey")
    if len(survey) == 0:
        raise JourneyDataError(
            f"survey: no answers with a customer_id, {time!r} and {score!r}. Fix: check the "
            "survey frame (and the filter that selected it)."
        )
    _scores(survey, score)
    answers = pd.DataFrame(
        {
            "answer": np.arange(len(survey)),
            "customer_id": survey["customer_id"].astype(str).to_numpy(),
            "answered_at": utc_times(survey, time, param="time").array,
        }
    )
    t = _engine.as_table(events)
    purchases = check_events_exist(t, purchase, param="purchase")
    a = _engine.as_table(answers[["answer", "customer_id", "answered_at"]], like=t)
    j = a.join(t, [a.customer_id == t.customer_id, t.timestamp <= a.answered_at])
    start = j.answered_at - ibis.interval(seconds=int(period.total_seconds()))
    inside = j.timestamp > start
    has_channel = "channel" in t.columns
    metrics = {
        "first_seen": j.timestamp.min(),
        "last_seen": j.timestamp.max(),
        "first_in_period": j.timestamp.min(where=inside),
        "last_before": j.timestamp.max(where=~inside),
        "orders": j.event.isin(purchases).cast("int64").sum(),
    }
    if has_channel:
        metrics["acquisition_channel"] = j.channel.argmin(j.timestamp)
        metrics["last_touchpoint"] = j.channel.argmax(j.timestamp)
    per_answer = _engine.to_pandas(j.group_by("answer").aggregate(**metrics))
    joined = answers.merge(per_answer, on="answer", how="left")
    seen = joined["first_seen"].notna()
    status = pd.Series("no activity", index=joined.index, dtype=object)
    status[seen] = np.asarray(
        classify(
            joined[seen],
            as_of=joined.loc[seen, "answered_at"],
            start=joined.loc[seen, "answered_at"] - period,
            churn_after=churn_after,
        )
    ).astype(str)
    frame = survey.reset_index(drop=True).assign(
        status=pd.Categorical(status, categories=[*STATUSES, "no activity"]),
        orders=pd.cut(
            joined["orders"].fillna(0), [-1, 0, 1, 3, np.inf], labels=["0", "1", "2-3", "4+"]
        ),
    )
    dims = ["status", "orders"]
    if has_channel:
        frame["acquisition_channel"] = joined["acquisition_channel"].astype(object).to_numpy()
        frame["last_touchpoint"] = joined["last_touchpoint"].astype(object).to_numpy()
        dims += ["acquisition_channel", "last_touchpoint"]
    parts = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", JourneyWarning)  # small groups are flagged below
        for dim in dims:
            sub = frame.dropna(subset=[dim]).astype({dim: object})
            tab = nps(sub, score=score, by=dim, method=method, level=level).table
            parts.append(tab.rename(columns={dim: "group"}).assign(dimension=dim))
    out = pd.concat(parts, ignore_index=True)
    out["small"] = out["n"] < SMALL_GROUP
    return out[["dimension", "group", *[c for c in out.columns if c not in ("dimension", "group")]]]
