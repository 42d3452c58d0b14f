"""Net Promoter Score with honest intervals, comparisons, trends, drivers and journeys.

Definitions (Reichheld 2003): answers are 0-10 likelihood-to-recommend scores; promoters
answer 9-10, passives 7-8, detractors 0-6; NPS = 100 x (share of promoters - share of
detractors), on -100..100. With shares p (promoters) and d (detractors) of n answers, the
variance of the estimate (trinomial, Rocks 2016) is ``(p + d - (p - d)^2) / n`` (times
100^2); its square root is the ``se`` every table reports.

Intervals (``interval=``):

- ``'adjusted_wald'`` (the default): add 3/4 of a promoter and 3/4 of a detractor and 3
  answers in all (pseudo-observations), then Wald on the adjusted shares (Rocks 2016); the
  best-covering simple method in his and in Sauro & Lewis' comparisons (94.6-96.6% at
  n = 30 in the coverage test, slightly conservative at extreme shares).
- ``'wald'``: estimate +- z * se. It holds its level with at least 100 answers and at
  least 10 promoters and 10 detractors; below that it under-covers (90-94% at n = 30 in the
  coverage test) and a ``JourneyWarning`` says so. It can cross -100/100.
- ``'bootstrap'``: percentile bootstrap of the mean of +1/0/-1 (Efron & Tibshirani 1993;
  ``scipy.stats.bootstrap``).

Survey weights (``weights=``) weight the shares; the standard error then uses Kish's
effective sample size ``n_eff = (sum w)^2 / sum w^2`` (Kish 1965).

Differences (:func:`compare_nps`, the changes of :func:`nps_trend`, :attr:`NPS.pairwise`)
are tested with a two-sided z-test on ``diff / sqrt(se_a^2 + se_b^2)`` (independent
samples), with a Wald interval; several groups are compared pairwise with Holm-adjusted
p-values (Holm 1979).

References: Reichheld, F. F. (2003). "The One Number You Need to Grow". Harvard Business
Review 81(12), 46-54. Rocks, B. (2016). "Interval Estimation for the 'Net Promoter
Score'". The American Statistician 70(4), 365-372. Kish, L. (1965). Survey Sampling.
Wiley. Efron, B. & Tibshirani, R. J. (1993). An Introduction to the Bootstrap. Chapman &
Hall. Holm, S. (1979). "A Simple Sequentially Rejective Multiple Test Procedure".
Scandinavian Journal of Statistics 6(2), 65-70.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import _engine, plots
from .breakdowns import group_pairs
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
from .periods import FREQS, period_index, period_start
from .results import Result, p_text, period_label

INTERVALS = ("wald", "adjusted_wald", "bootstrap")
CATEGORIES = ("detractor", "passive", "promoter")
SMALL_GROUP = 30
#: Reading of an interval method in notes and titles.
INTERVAL_NAMES = {"wald": "Wald", "adjusted_wald": "adjusted Wald", "bootstrap": "bootstrap"}


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


def nps_interval(promoters, detractors, n, *, interval: str = "adjusted_wald", level=0.95):
    """Vectorised NPS estimate, standard error and interval from (weighted) counts.

    Returns ``(nps, se, low, high)`` on the -100..100 scale. ``se`` is the trinomial
    standard error of the estimate; the adjusted-Wald interval is centred on the adjusted
    shares and uses their standard error (Rocks 2016). ``'bootstrap'`` is not computed
    here (:func:`nps` resamples the answers): it gets the Wald interval.
    """
    z = _z(level)
    promoters, detractors, n = (np.asarray(x, dtype=float) for x in (promoters, detractors, n))
    p, d = promoters / n, detractors / n
    nps = p - d
    se = np.sqrt(np.maximum(p + d - nps**2, 0) / n)
    if interval == "adjusted_wald":
        n_adj = n + 3
        pa, da = (promoters + 0.75) / n_adj, (detractors + 0.75) / n_adj
        centre, half = pa - da, z * np.sqrt((pa + da - (pa - da) ** 2) / n_adj)
    else:
        centre, half = nps, z * se
    return 100 * nps, 100 * se, 100 * (centre - half), 100 * (centre + half)


def _difference(nps_a, se_a, nps_b, se_b, level: float) -> dict:
    """``nps_a - nps_b`` of independent samples: the difference, its Wald interval, the
    z statistic and the two-sided p-value (missing where both standard errors are 0)."""
    from scipy.stats import norm

    z = _z(level)
    diff = np.asarray(nps_a, dtype=float) - np.asarray(nps_b, dtype=float)
    se = np.hypot(se_a, se_b)
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = np.where(se > 0, diff / se, np.nan)
    return {
        "diff": diff,
        "diff_ci_low": diff - z * se,
        "diff_ci_high": diff + z * se,
        "statistic": statistic,
        "p_value": 2 * norm.sf(np.abs(statistic)),
    }


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


def _values(survey, score: str, weights, names: list[str]):
    """Validate the answers: returns (the rows without a missing score or ``names`` value,
    their scores, their weights or None)."""
    if isinstance(survey, pd.DataFrame):
        if score not in survey.columns:
            raise JourneyDataError(
                f"score={score!r}: no such column. {suggest(score, list(survey.columns))} "
                "Fix: pass score= the column with the 0-10 answers."
            )
        frame = survey
    elif isinstance(survey, (pd.Series, np.ndarray, list, tuple)):
        raw = survey if isinstance(survey, pd.Series) else pd.Series(np.asarray(survey))
        frame = raw.to_frame(score)
    else:
        raise JourneyDataError(
            f"survey: expected a DataFrame, Series, array or list of 0-10 scores; got "
            f"{type(survey).__name__}. Fix: pass e.g. nps(survey, score='score') or "
            "nps([10, 9, 6])."
        )
    if len(frame) == 0:
        raise JourneyDataError(
            f"score={score!r}: no answers (the survey or the selected group is empty). Fix: "
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
    """NPS per group with counts, shares, standard error and interval; groups compared
    pairwise (z-tests, Holm-adjusted)."""

    table: pd.DataFrame
    interval: str
    level: float
    by: tuple[str, ...] = ()
    title = "Net Promoter Score"

    @property
    def first(self) -> tuple[str, ...]:
        return (*self.by, "nps", "nps_ci_low", "nps_ci_high", "n")

    @property
    def notes(self) -> tuple[str, ...]:
        notes = [
            "promoters answer 9-10, passives 7-8, detractors 0-6; NPS = % promoters - % "
            f"detractors (-100 to 100); {self.level:.0%} interval by "
            f"{INTERVAL_NAMES[self.interval]}; se: trinomial standard error of the NPS.",
        ]
        if self.by:
            notes.append(
                "groups are compared pairwise with two-sided z-tests on the difference "
                "(compare_nps), p-values Holm-adjusted over the pairs (see .pairwise)."
            )
        hidden = int(self.table["suppressed"].sum())
        if hidden:
            notes.append(f"{hidden} group(s) with fewer than min_n answers are suppressed.")
        return tuple(notes)

    @property
    def pairwise(self) -> pd.DataFrame:
        """Every pair of (not suppressed) groups: the NPS difference ``a - b`` with its
        interval, the z statistic, its p-value and the Holm-adjusted p-value; the ``by``
        columns of the two groups as ``<by>_a`` and ``<by>_b``."""
        return self._compared()[2]

    def _compared(self):
        """The positions (in the table without suppressed groups) of the two groups of each
        pair, and :attr:`pairwise`."""
        from .abtest import adjust_p

        t = self.table[~self.table["suppressed"]].reset_index(drop=True)
        i, j, out = group_pairs(t, self.by)
        value, se = t["nps"].to_numpy(), t["se"].to_numpy()
        out = out.assign(**_difference(value[i], se[i], value[j], se[j], self.level))
        out["p_adjusted"] = adjust_p(out["p_value"].to_numpy(), "holm")
        return i, j, out

    @property
    def conclusion(self) -> str:
        """A plain-language reading: the score with its interval; with groups, the highest
        and the lowest and whether the test (Holm-adjusted z-test) finds them different."""
        pct = f"{self.level:.0%}"

        def one(row) -> str:
            return (
                f"NPS {row.nps:+.1f} ({pct} interval {row.nps_ci_low:+.1f} to "
                f"{row.nps_ci_high:+.1f}, n = {int(row.n):,}; {row.promoters:.0%} promoters, "
                f"{row.detractors:.0%} detractors)"
            )

        t = self.table[~self.table["suppressed"]].reset_index(drop=True)
        hidden = int(self.table["suppressed"].sum())
        tail = f" {hidden} group(s) below min_n are suppressed." if hidden else ""
        if not self.by:
            if t.empty:
                return "The survey has fewer than min_n answers, so its NPS is suppressed."
            row = next(t.itertuples())
            width = row.nps_ci_high - row.nps_ci_low
            return (
                f"{one(row)}. The true score is plausibly anywhere in that {width:.0f}-point "
                "range; differences smaller than that are not evidence of change."
            )
        if t.empty:
            return "Every group has fewer than min_n answers, so all are suppressed."
        if len(t) == 1:
            row = next(t.itertuples())
            return (
                f"Only {plots.group_label(t.iloc[0], self.by)} can be shown: {one(row)}; there is "
                f"no other group to compare it with.{tail}"
            )
        order = np.argsort(t["nps"].to_numpy(), kind="stable")
        low, high = int(order[0]), int(order[-1])
        rows = list(t.itertuples())
        i, j, pairs = self._compared()
        pair = pairs.iloc[int(np.flatnonzero((i == min(low, high)) & (j == max(low, high)))[0])]
        gap = rows[high].nps - rows[low].nps
        alpha = 1 - self.level
        test = f"z-test, Holm-adjusted over {len(pairs)} pair(s)"
        if np.isnan(pair["p_adjusted"]):
            verdict = "The difference cannot be tested (no variation in the answers)."
        elif pair["p_adjusted"] < alpha:
            verdict = (
                f"The {gap:.1f}-point difference between them is statistically significant "
                f"({test}: {p_text(pair['p_adjusted'])})."
            )
        else:
            verdict = (
                f"The {gap:.1f}-point difference between them is not statistically "
                f"significant ({test}: {p_text(pair['p_adjusted'])}): the survey does not show "
                "that they differ."
            )
        text = (
            f"Highest: {plots.group_label(t.iloc[high], self.by)}: {one(rows[high])}. Lowest: "
            f"{plots.group_label(t.iloc[low], self.by)}: {one(rows[low])}. {verdict}"
        )
        if len(pairs) > 1:
            differ = int((pairs["p_adjusted"] < alpha).sum())
            text += f" {differ} of {len(pairs)} pairs of groups differ at the {alpha:.0%} level."
        return text + tail

    def plot(self, ax=None):
        """Two panels: the NPS with its interval per group (-100 to 100) and the shares of
        detractors, passives and promoters (0-100%); suppressed groups are listed without
        numbers."""
        title = f"NPS with {self.level:.0%} interval ({INTERVAL_NAMES[self.interval]})"
        return plots.nps_bars(self.table, ax, by=self.by, title=title)


def nps(
    survey,
    *,
    score: str = "score",
    by=None,
    weights=None,
    interval: str = "adjusted_wald",
    level: float = 0.95,
    min_n: int | None = None,
    n_boot: int = 2000,
    seed: int = 0,
) -> NPS:
    """Net Promoter Score with counts, shares, standard error and interval, per group.

    NPS (Reichheld 2003) = 100 x (share of promoters, answers 9-10, minus share of
    detractors, answers 0-6), from -100 to 100; passives (7-8) count in the total only.

    Parameters
    ----------
    survey : pandas.DataFrame, Series, array or list of 0-10 scores
        Survey answers, one per row. Missing answers (NaN, None, pd.NA in nullable
        columns) are left out with a ``JourneyWarning`` giving the count, never counted as
        passives; text, True/False and numbers other than whole 0-10 raise.
    score : str
        The column of answers in a DataFrame.
    by : str or list of str, optional
        Group columns (segment, persona, wave, ...), kept as columns of the table. Answers
        without a group value are left out with a ``JourneyWarning`` (a missing value is
        never a group). Groups with fewer than 30 answers that ``min_n`` does not suppress
        get a ``JourneyWarning``.
    weights : str or array, optional
        Survey weights: a column name or one weight per answer, numbers >= 0 (a missing
        weight of a kept answer raises, as does a group whose weights sum to 0); the
        standard error uses Kish's effective sample size ``n_eff`` (Kish 1965).
    interval : {'adjusted_wald', 'wald', 'bootstrap'}
        How the interval is computed (module docstring): adjusted Wald (Rocks 2016), Wald
        (warns where it under-covers) or the percentile bootstrap (Efron & Tibshirani
        1993).
    level : float
        Confidence level of the intervals (groups are compared at ``1 - level``).
    min_n : int, optional
        Suppress groups with fewer answers: their numbers are set missing and
        ``suppressed`` is True, so small cells are neither over-read nor exposed.
    n_boot : int
        Bootstrap resamples (``interval='bootstrap'``).
    seed : int
        Random seed of the bootstrap (same seed, same interval).

    Returns
    -------
    NPS
        ``table``: ``[by], n, n_eff, n_promoters, n_passives, n_detractors, promoters,
        passives, detractors`` (shares 0-1), ``nps, se, nps_ci_low, nps_ci_high,
        suppressed``; ``pairwise`` (groups compared: ``diff``, ``diff_ci_low``,
        ``diff_ci_high``, ``statistic``, ``p_value``, ``p_adjusted``); ``conclusion``
        (read from the Holm-adjusted tests, never from overlapping intervals); ``plot()``.

    References
    ----------
    .. [1] Reichheld, F. F. (2003). The one number you need to grow. Harvard Business
       Review 81(12), 46-54.
    .. [2] Rocks, B. (2016). Interval estimation for the "Net Promoter Score". The
       American Statistician 70(4), 365-372.
    .. [3] Kish, L. (1965). Survey Sampling. New York: Wiley.
    .. [4] Efron, B. & Tibshirani, R. J. (1993). An Introduction to the Bootstrap. New
       York: Chapman & Hall.
    .. [5] Holm, S. (1979). A simple sequentially rejective multiple test procedure.
       Scandinavian Journal of Statistics 6(2), 65-70.

    Examples
    --------
    >>> res = nps([10, 9, 9, 8, 7, 6, 3, 10, 9, 5])
    >>> res.table[["n", "n_promoters", "n_detractors", "nps"]]
        n  n_promoters  n_detractors   nps
    0  10            5             3  20.0
    >>> res.table[["nps_ci_low", "nps_ci_high"]].round(1)
       nps_ci_low  nps_ci_high
    0       -30.3         61.1
    """
    check_choice("interval", interval, INTERVALS)
    _z(level)
    if min_n is not None:
        check_whole("min_n", min_n, example="10")
    if interval == "bootstrap":
        check_whole("n_boot", n_boot, example="2000")
        check_whole("seed", seed, minimum=0, example="0")
    names = column_names(by, param="by")
    if names:
        if not isinstance(survey, pd.DataFrame):
            raise JourneyDataError(
                f"by={by!r}: needs a DataFrame of answers with those columns; got "
                f"{type(survey).__name__}. Fix: pass a DataFrame with the score and group "
                "columns."
            )
        require(survey, names, param="by")
    frame, values, w = _values(survey, score, weights, names)
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
    est, se, low, high = nps_interval(
        promoters_eff, detractors_eff, n_eff, interval=interval, level=level
    )
    table = keys.assign(
        n=n.astype("int64"),
        n_eff=n_eff,
        n_promoters=n_promoters.astype("int64"),
        n_passives=(n - n_promoters - n_detractors).astype("int64"),
        n_detractors=n_detractors.astype("int64"),
        promoters=wp / sw,
        passives=(sw - wp - wd) / sw,
        detractors=wd / sw,
        nps=est,
        se=se,
        nps_ci_low=low,
        nps_ci_high=high,
    )
    if interval == "bootstrap":
        sign = promoter.astype(float) - detractor
        weight = np.ones(len(values)) if w is None else w
        table[["nps_ci_low", "nps_ci_high"]] = [
            _bootstrap(sign[codes == g], weight[codes == g], level, n_boot, seed) for g in range(k)
        ]
    table["suppressed"] = table["n"] < min_n if min_n else False
    # only groups that are shown can be over-read: suppressed ones get no warning
    small = (table["n"] < SMALL_GROUP) & ~table["suppressed"]
    if names and small.any():
        warnings.warn(
            f"nps: {int(small.sum())} group(s) shown have fewer than {SMALL_GROUP} answers; "
            "their intervals are wide and easy to over-read (pass min_n= to suppress them).",
            JourneyWarning,
            stacklevel=2,
        )
    if interval == "wald":
        _warn_wald(table[~table["suppressed"]], names)
    if table["suppressed"].any():
        hide = [c for c in table.columns if c not in (*names, "suppressed")]
        table.loc[table["suppressed"], hide] = np.nan
    if names:
        table = table.sort_values(names, kind="stable").reset_index(drop=True)
    return NPS(table=table, interval=interval, level=level, by=tuple(names))


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
        table["n_eff"] * np.minimum(table["promoters"], table["detractors"]) < 10
    )
    if shaky.any():
        where = f" in {int(shaky.sum())} group(s)" if names else ""
        warnings.warn(
            f"nps: the Wald interval under-covers{where} (fewer than 100 answers or fewer than "
            "10 promoters or detractors). Pass interval='adjusted_wald' (Rocks 2016).",
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
    """Compare the NPS of two independent samples with a two-sided z-test.

    ``diff`` = NPS(a) - NPS(b) with standard error ``se = sqrt(se_a^2 + se_b^2)``
    (trinomial variances of independent samples, Rocks 2016), the Wald interval
    ``diff +- z se`` and the two-sided p-value of ``statistic = diff / se``.

    Parameters
    ----------
    a, b : pandas.DataFrame, Series, array or list of 0-10 scores
        The two samples of answers (as :func:`nps` takes them).
    score : str
        The column of answers in a DataFrame.
    level : float
        Confidence level of the interval of the difference.

    Returns
    -------
    pandas.DataFrame
        One row: ``nps_a, nps_b, n_a, n_b, diff, se, diff_ci_low, diff_ci_high,
        statistic, p_value``.

    References
    ----------
    .. [1] Reichheld, F. F. (2003). The one number you need to grow. Harvard Business
       Review 81(12), 46-54.
    .. [2] Rocks, B. (2016). Interval estimation for the "Net Promoter Score". The
       American Statistician 70(4), 365-372.

    Examples
    --------
    >>> compare_nps([10] * 60 + [5] * 40, [10] * 40 + [5] * 60).round(3)[["diff", "p_value"]]
       diff  p_value
    0  40.0    0.004
    """
    _z(level)
    ra = nps(a, score=score).table.iloc[0]
    rb = nps(b, score=score).table.iloc[0]
    test = _difference([ra.nps], [ra.se], [rb.nps], [rb.se], level)
    columns = {"nps_a": [ra.nps], "nps_b": [rb.nps], "n_a": [int(ra.n)], "n_b": [int(rb.n)]}
    out = pd.DataFrame({**columns, **test})
    out.insert(5, "se", float(np.hypot(ra.se, rb.se)))
    return out


@dataclass(frozen=True, repr=False)
class NPSTrend(Result):
    """NPS per period with intervals and the test of each change against the previous
    period."""

    table: pd.DataFrame
    freq: str
    level: float
    interval: str
    by: tuple[str, ...] = ()
    title = "NPS trend"

    @property
    def first(self) -> tuple[str, ...]:
        return (*self.by, "period", "nps", "nps_ci_low", "nps_ci_high", "n", "diff", "p_value")

    @property
    def notes(self) -> tuple[str, ...]:
        return (
            f"period: the UTC {plots.PERIOD_WORDS[self.freq]} (freq={self.freq!r}) of the answer; "
            f"{self.level:.0%} NPS interval by {INTERVAL_NAMES[self.interval]}.",
            "diff: the change against the previous period (within each group), with a Wald "
            "interval and a two-sided z-test (compare_nps); p-values are not adjusted for the "
            "number of changes.",
        ) + (
            (
                f"{int(self.table['suppressed'].sum())} period(s) with fewer than min_n "
                "answers are suppressed; a change is measured against the previous period "
                "shown.",
            )
            if self.table["suppressed"].any()
            else ()
        )

    @property
    def conclusion(self) -> str:
        """Per group: where the NPS started and ended, and whether the latest change is
        significant (at ``1 - level``)."""
        alpha = 1 - self.level
        groups = self.table.groupby(list(self.by), sort=False) if self.by else [((), self.table)]
        parts = []
        for key, g in groups:
            key = key if isinstance(key, tuple) else (key,)
            name = f"{', '.join(map(str, key))}: " if self.by else ""
            hidden = int(g["suppressed"].sum())
            g = g[~g["suppressed"]]
            if g.empty:
                parts.append(f"{name}every period has fewer than min_n answers (suppressed).")
                continue
            if hidden:
                parts.append(f"{name}{hidden} period(s) below min_n are suppressed.")
            first, last = g.iloc[0], g.iloc[-1]
            start, end = (period_label(r.period, self.freq) for r in (first, last))
            if len(g) == 1:
                parts.append(
                    f"{name}one {plots.PERIOD_WORDS[self.freq]} only ({start}, NPS "
                    f"{first.nps:+.1f}): no change to test."
                )
                continue
            changed = "a significant change" if last.p_value < alpha else "not a significant change"
            parts.append(
                f"{name}NPS {first.nps:+.1f} in {start}, {last.nps:+.1f} in {end}; the latest "
                f"change, {last['diff']:+.1f} points ({self.level:.0%} interval "
                f"{last.diff_ci_low:+.1f} to {last.diff_ci_high:+.1f}, {p_text(last.p_value)}), "
                f"is {changed}."
            )
        return " ".join(parts)

    def plot(self, ax=None):
        """NPS per period with its interval band (one line per group)."""
        word = plots.PERIOD_WORDS[self.freq]
        title = f"NPS per {word} with {self.level:.0%} interval ({INTERVAL_NAMES[self.interval]})"
        return plots.nps_trend_lines(self.table, ax, by=self.by, freq=self.freq, title=title)


def nps_trend(
    survey: pd.DataFrame,
    *,
    time: str = "date",
    freq: str = "Q",
    by=None,
    score: str = "score",
    interval: str = "adjusted_wald",
    level: float = 0.95,
    min_n: int | None = None,
) -> NPSTrend:
    """NPS per calendar period (wave) and the test of each change.

    Periods are the UTC calendar periods of ``time`` (``freq``: D, W, M, Q or Y; weeks
    start on Monday), computed as everywhere in journeykit (:mod:`journeykit.periods`).
    For each period after the first (within each ``by`` group), ``diff`` is the change
    against the previous period, with its interval and z-test p-value as in
    :func:`compare_nps`. Answers missing the score, the time or a ``by`` value are left
    out with a ``JourneyWarning`` giving the count (a missing time is never a wave of its
    own).

    Parameters
    ----------
    survey : pandas.DataFrame
        Survey answers, one per row.
    time : str
        The column of answer dates or times (naive ones are read as UTC); numbers and text
        that is no date raise.
    freq : {'D', 'W', 'M', 'Q', 'Y'}
        The calendar period.
    by : str or list of str, optional
        Group columns; each group gets its own trend.
    score : str
        The column of 0-10 answers.
    interval : {'adjusted_wald', 'wald', 'bootstrap'}
        How the interval of each period's NPS is computed (:func:`nps`).
    level : float
        Confidence level of the intervals (changes are significant below ``1 - level``).
    min_n : int, optional
        Suppress periods with fewer answers, as :func:`nps` does (their numbers missing,
        ``suppressed`` True). A change is then measured against the previous period that
        is shown, so no suppressed score can be worked back from a difference.

    Returns
    -------
    NPSTrend
        ``table``: ``[by], period`` and the :func:`nps` columns (with ``suppressed``),
        then ``diff, diff_ci_low, diff_ci_high, statistic, p_value`` (missing in each
        group's first shown period and in suppressed ones); ``conclusion``; ``plot()``.

    References
    ----------
    .. [1] Reichheld, F. F. (2003). The one number you need to grow. Harvard Business
       Review 81(12), 46-54.
    .. [2] Rocks, B. (2016). Interval estimation for the "Net Promoter Score". The
       American Statistician 70(4), 365-372.

    Examples
    --------
    >>> survey = pd.DataFrame({"score": [10, 9, 3, 8, 10, 10, 9, 2],
    ...     "date": ["2024-01-05", "2024-02-01", "2024-03-30", "2024-01-09",
    ...              "2024-04-02", "2024-05-07", "2024-06-30", "2024-05-01"]})
    >>> nps_trend(survey, freq="Q").table[["period", "n", "nps", "diff"]]
                         period  n   nps  diff
    0 2024-01-01 00:00:00+00:00  4  25.0   NaN
    1 2024-04-01 00:00:00+00:00  4  50.0  25.0
    """
    check_choice("freq", freq, FREQS)
    check_choice("interval", interval, INTERVALS)
    names = column_names(by, param="by")
    require(survey, [score, time, *names], param="survey")
    survey = drop_missing(survey, [score, time, *names], where="nps_trend")
    stamps = utc_times(survey, time, param="time")
    frame = survey.assign(period=_periods(stamps, freq))
    table = nps(
        frame, score=score, by=[*names, "period"], interval=interval, level=level, min_n=min_n
    ).table
    table = table.sort_values([*names, "period"], ignore_index=True)
    shown = table[~table["suppressed"]]  # changes between consecutive shown periods
    grouped = shown.groupby(names, sort=False) if names else shown.groupby(np.zeros(len(shown)))
    test = _difference(
        shown["nps"], shown["se"], grouped["nps"].shift(1), grouped["se"].shift(1), level
    )
    table = table.join(pd.DataFrame(test, index=shown.index))
    return NPSTrend(table=table, freq=freq, level=level, interval=interval, by=tuple(names))


def _periods(stamps: pd.Series, freq: str) -> np.ndarray:
    """The UTC start of the ``freq`` period of each timestamp (:mod:`journeykit.periods`)."""
    t = _engine.as_table(pd.DataFrame({"row": np.arange(len(stamps)), "timestamp": stamps.array}))
    index = _engine.to_pandas(t.select("row", index=period_index(t, freq)).order_by("row"))
    return period_start(index["index"], freq).to_numpy()


@dataclass(frozen=True, repr=False)
class Drivers(Result):
    """Which rated aspects move the likelihood-to-recommend score."""

    table: pd.DataFrame
    r_squared: float
    n: int
    level: float
    title = "NPS drivers"
    first = ("driver", "std_effect", "effect", "effect_ci_low", "effect_ci_high", "p_value")

    @property
    def notes(self) -> tuple[str, ...]:
        return (
            f"OLS of the 0-10 score on the ratings with HC3 robust standard errors; n = "
            f"{self.n:,}, R^2 = {self.r_squared:.2f}. effect: score points per rating point "
            f"({self.level:.0%} interval); std_effect: score points per standard deviation of "
            "the rating (for ranking). Correlational: confirm a driver with an experiment.",
        )

    @property
    def conclusion(self) -> str:
        """The drivers that move the score significantly (at ``1 - level``), strongest
        first, and those that do not."""
        alpha = 1 - self.level
        moving = self.table[self.table["p_value"] < alpha]
        flat = self.table[self.table["p_value"] >= alpha]["driver"].tolist()
        if moving.empty:
            return f"No rating moves the score significantly (p >= {alpha:.2g} for all of {flat})."
        said = "; ".join(
            f"{r.driver} ({r.std_effect:+.2f} score points per standard deviation of the "
            f"rating, {p_text(r.p_value)})"
            for r in moving.itertuples()
        )
        text = f"Drivers of the score, strongest first: {said}."
        if flat:
            text += f" Not significant at the {alpha:.0%} level: {', '.join(flat)}."
        return text

    def plot(self, ax=None):
        """Standardised effects with intervals, largest first."""
        title = f"What drives the 0-10 score (OLS, HC3 {self.level:.0%} intervals)"
        return plots.driver_bars(self.table, ax, title=title)


def nps_drivers(
    survey: pd.DataFrame, *, drivers, score: str = "score", level: float = 0.95
) -> Drivers:
    """Key-driver analysis: regress the 0-10 score on aspect ratings.

    Uses ordinary least squares (statsmodels) on the raw 0-10 answer rather than a logit of
    promoter/detractor: it keeps all the information in the scale and its coefficients read
    directly as "score points per rating point". Standard errors are HC3 heteroskedasticity-
    robust (White 1980; MacKinnon & White 1985), because a bounded score's variance changes
    with its mean. ``std_effect`` multiplies each coefficient by the rating's standard
    deviation so drivers on different scales can be ranked. Rows with a missing score or
    rating are left out with a ``JourneyWarning`` giving the count; text in them, scores
    other than whole 0-10 and drivers that are constant or collinear raise.

    Parameters
    ----------
    survey : pandas.DataFrame
        Survey answers, one per row, with the score and the rating columns.
    drivers : str or list of str
        The rating columns (numbers) that may drive the score.
    score : str
        The column of 0-10 answers.
    level : float
        Confidence level of the intervals (drivers are significant below ``1 - level``).

    Returns
    -------
    Drivers
        ``table``: ``driver, effect, effect_ci_low, effect_ci_high, p_value,
        std_effect`` sorted by ``std_effect``; ``r_squared``; ``n``; ``conclusion``.

    References
    ----------
    .. [1] White, H. (1980). A heteroskedasticity-consistent covariance matrix estimator
       and a direct test for heteroskedasticity. Econometrica 48(4), 817-838.
    .. [2] MacKinnon, J. G. & White, H. (1985). Some heteroskedasticity-consistent
       covariance matrix estimators with improved finite sample properties. Journal of
       Econometrics 29(3), 305-325.

    Examples
    --------
    >>> survey = pd.DataFrame({"score": [9, 10, 3, 8, 5, 6, 7, 2, 10, 4],
    ...     "delivery": [5, 5, 1, 4, 2, 3, 4, 1, 4, 3]})
    >>> nps_drivers(survey, drivers=["delivery"]).table[["driver", "effect"]].round(2)
         driver  effect
    0  delivery     1.8
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
            "effect_ci_low": ci[0].to_numpy(),
            "effect_ci_high": ci[1].to_numpy(),
            "p_value": fit.pvalues[drivers].to_numpy(),
            "std_effect": (fit.params[drivers] * data[drivers].std()).to_numpy(),
        }
    )
    table = table.sort_values("std_effect", ascending=False).reset_index(drop=True)
    return Drivers(table=table, r_squared=float(fit.rsquared), n=len(data), level=level)


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
    interval: str = "adjusted_wald",
    level: float = 0.95,
    min_n: int | None = None,
) -> pd.DataFrame:
    """NPS per journey group, each answer joined to the customer's events before it.

    For every answer (``customer_id``, ``time``) the events up to the answer time give:

    - ``status``: the :func:`journeykit.lifecycle` status at that moment (the shared rule
      of :mod:`journeykit.status`, with ``period`` and ``churn_after``: new, returning,
      reactivated, lapsing or churned), or 'no activity' without earlier events;
    - ``acquisition_channel``: the channel of the customer's first event;
    - ``last_touchpoint``: the channel of the last event before the answer;
    - ``orders``: ``purchase`` events before the answer, binned 0, 1, 2-3, 4+.

    The join runs in the engine. Answers missing the ``customer_id``, the time or the
    score are left out with a ``JourneyWarning`` giving the count (they cannot be placed in
    a journey); answers without a channel (no earlier event, or an event without one) are
    left out of the two channel dimensions only.

    Parameters
    ----------
    survey : pandas.DataFrame
        Survey answers with ``customer_id``, the answer time and the score.
    events : pandas.DataFrame or Ibis table
        Canonical events (:func:`journeykit.read_events`).
    time : str
        The column of answer dates or times (naive ones are read as UTC).
    score : str
        The column of 0-10 answers.
    period : str or Timedelta
        The window before the answer in which a customer counts as active (a duration with
        a unit, e.g. ``'30D'``).
    churn_after : str or Timedelta
        Silence after which a customer counts as churned (e.g. ``'90D'``).
    purchase : str or list of str
        The event(s) that are an order; each must occur in the events.
    interval : {'adjusted_wald', 'wald', 'bootstrap'}
        How the intervals are computed (:func:`nps`).
    level : float
        Confidence level of the intervals.
    min_n : int, optional
        Suppress groups with fewer answers, as :func:`nps` does (their numbers missing,
        ``suppressed`` True), so small journey groups are not exposed in shared output.

    Returns
    -------
    pandas.DataFrame
        A long table: ``dimension`` (status, orders, acquisition_channel,
        last_touchpoint), ``group`` (its value), the :func:`nps` columns (with
        ``suppressed``), and ``small`` (fewer than 30 answers, or suppressed).

    References
    ----------
    .. [1] Reichheld, F. F. (2003). The one number you need to grow. Harvard Business
       Review 81(12), 46-54.
    .. [2] Rocks, B. (2016). Interval estimation for the "Net Promoter Score". The
       American Statistician 70(4), 365-372.

    Examples
    --------
    >>> events = pd.DataFrame({"customer_id": ["a", "a", "b"],
    ...     "timestamp": pd.to_datetime(["2024-01-02", "2024-01-20", "2024-01-03"], utc=True),
    ...     "event": ["visit", "purchase", "visit"]})
    >>> survey = pd.DataFrame({"customer_id": ["a", "b"], "date": ["2024-01-25", "2024-03-01"],
    ...     "score": [10, 4]})
    >>> out = nps_by_journey(survey, events)
    >>> out[out["dimension"] == "status"][["group", "n", "nps"]]
         group  n    nps
    0  lapsing  1 -100.0
    1      new  1  100.0
    """
    import ibis

    from .status import STATUSES, classify

    check_choice("interval", interval, INTERVALS)
    _z(level)
    if min_n is not None:
        check_whole("min_n", min_n, example="10")
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
            if sub.empty:  # e.g. a channel column without a single value
                continue
            tab = nps(sub, score=score, by=dim, interval=interval, level=level, min_n=min_n)
            parts.append(tab.table.rename(columns={dim: "group"}).assign(dimension=dim))
    out = pd.concat(parts, ignore_index=True)
    out["small"] = out["suppressed"] | (out["n"] < SMALL_GROUP)
    return out[["dimension", "group", *[c for c in out.columns if c not in ("dimension", "group")]]]
