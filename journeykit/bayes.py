"""The Bayesian view of a conversion test: the probability that each variant beats the
control, the expected loss of choosing it, and credible intervals.

Definitions: each variant's conversion rate has an independent ``Beta(a, b)`` prior
(uniform ``(1, 1)`` by default: every rate equally likely before the data) and a binomial
likelihood, so its posterior is ``Beta(a + conversions, b + n - conversions)`` (conjugate).
``beats_control`` is P(rate_variant > rate_control); ``expected_loss`` is
``E[max(rate_control - rate_variant, 0)]``, the conversion you expect to give up by choosing
the variant; both are Monte Carlo estimates from posterior draws.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import plots
from .abtest import check_units, is_binary, unit_values, variants
from .checks import check_level, check_whole, got, is_real
from .errors import JourneyDataError
from .results import Result


@dataclass(frozen=True, repr=False)
class Bayes(Result):
    """Beta-binomial posteriors of each variant against the control."""

    table: pd.DataFrame
    prior: tuple[float, float]
    level: float
    lift_draws: pd.DataFrame
    title = "Bayesian A/B test"
    first = ("variant", "n", "conversion", "beats_control", "expected_loss", "lift")

    @property
    def notes(self) -> tuple[str, ...]:
        a, b = self.prior
        return (
            f"prior Beta({a:g}, {b:g}) for every rate; posteriors Beta(a + conversions, b + "
            "non-conversions); conversion is the posterior mean; probabilities and losses from "
            f"Monte Carlo draws; {self.level:.0%} equal-tailed credible intervals; diff and "
            "lift are posterior medians.",
            "expected_loss: the conversion you expect to give up by choosing the variant if it "
            "is in fact worse (choose it when this is below what you can tolerate).",
        )

    @property
    def conclusion(self) -> str:
        control = self.table.iloc[0]["variant"]
        level = f"{self.level:.0%}"
        parts = []
        for row in self.table.iloc[1:].to_dict("records"):
            parts.append(
                f"{row['variant']} beats {control} with probability {row['beats_control']:.1%}; "
                f"its relative lift is {row['lift']:+.1%} ({level} credible interval "
                f"{row['lift_ci_low']:+.1%} to {row['lift_ci_high']:+.1%}), a difference of "
                f"{100 * row['diff']:+.2f} points ({100 * row['diff_ci_low']:+.2f} to "
                f"{100 * row['diff_ci_high']:+.2f}); choosing it risks an expected loss of "
                f"{100 * row['expected_loss']:.3f} points of conversion."
            )
        return " ".join(parts)

    def plot(self, ax=None):
        """The posterior distribution of each variant's relative lift over the control."""
        control = self.table.iloc[0]["variant"]
        return plots.posterior_lift(
            self.lift_draws, ax, title=f"Posterior of the relative lift over {control}"
        )


def bayes_ab(
    units: pd.DataFrame,
    *,
    variant: str = "variant",
    metric: str = "converted",
    control=None,
    prior: tuple[float, float] = (1.0, 1.0),
    level: float = 0.95,
    draws: int = 200_000,
    seed: int = 0,
) -> Bayes:
    """Bayesian view of a conversion test: P(variant beats control), the expected loss and
    credible intervals of the difference and the relative lift.

    The model and the definitions are in the module docstring (beta-binomial, conjugate).
    With 200,000 draws the Monte Carlo error of the probabilities is below 0.002. A missing
    variant or metric value raises, as in :func:`journeykit.ab_test`.

    Parameters
    ----------
    units : pandas.DataFrame
        One row per unit with the variant and a 0/1 metric.
    variant, metric : str
        Column names.
    control : optional
        The baseline variant (as in :func:`journeykit.ab_test`).
    prior : (float, float)
        The Beta prior ``(a, b)`` of every rate, two numbers > 0.
    level : float
        The credible level of the intervals.
    draws : int
        Posterior draws per variant.
    seed : int
        Random seed (the same seed gives the same result).

    Returns
    -------
    Bayes
        ``table``, the control first: variant, n, n_conversions, conversion (posterior
        mean), beats_control, expected_loss, diff, diff_ci_low, diff_ci_high, lift,
        lift_ci_low, lift_ci_high; ``lift_draws`` (posterior draws of each variant's lift),
        ``conclusion`` and ``plot()``.

    References
    ----------
    Gelman, A., Carlin, J. B., Stern, H. S., Dunson, D. B., Vehtari, A. & Rubin, D. B.
    (2013). Bayesian Data Analysis, 3rd ed. CRC Press, section 2.4 (the beta-binomial
    model).
    Stucchio, C. (2015). Bayesian A/B testing at VWO. VWO technical paper (the expected
    loss as the decision criterion).
    Miller, E. (2015). Formulas for Bayesian A/B testing (the closed form of P(beats), used
    in the tests).

    Examples
    --------
    >>> units = pd.DataFrame({"variant": ["control"] * 500 + ["treatment"] * 500,
    ...                       "converted": [1] * 40 + [0] * 460 + [1] * 55 + [0] * 445})
    >>> res = bayes_ab(units)
    >>> res.table[["variant", "n_conversions", "conversion", "beats_control"]].round(3)
         variant  n_conversions  conversion  beats_control
    0    control             40       0.082            NaN
    1  treatment             55       0.112          0.947
    """
    check_units(units, variant)
    level = check_level("level", level)
    pair = isinstance(prior, (tuple, list)) and len(prior) == 2
    if not pair or not all(is_real(v) and math.isfinite(v) and v > 0 for v in prior):
        raise JourneyDataError(
            f"prior={prior!r}: expected (a, b), two finite numbers > 0; got {got(prior)}. "
            "Fix: pass e.g. prior=(1, 1), the uniform prior."
        )
    draws = check_whole("draws", draws, example="200_000")
    check_whole("seed", seed, minimum=0, example="0")
    y = unit_values(units, metric, "metric")
    if not is_binary(y):
        raise JourneyDataError(
            f"metric={metric!r}: bayes_ab models conversions and needs 0/1 values. Fix: "
            "convert the metric to 0/1."
        )
    groups = variants(units, variant, control)
    n, names = groups.n, groups.names
    (conv,) = groups.sums(y)
    a, b = prior
    rng = np.random.default_rng(seed)
    samples = rng.beta(a + conv[:, None], b + n[:, None] - conv[:, None], size=(groups.k, draws))
    tail = (1 - level) / 2
    rows, lifts = [], {}
    for i in range(groups.k):
        row = {
            "variant": names[i],
            "n": int(n[i]),
            "n_conversions": int(conv[i]),
            "conversion": (a + conv[i]) / (a + b + n[i]),
        }
        if i:
            d = samples[i] - samples[0]
            lift = samples[i] / samples[0] - 1
            lifts[names[i]] = lift
            row |= {
                "beats_control": float((d > 0).mean()),
                "expected_loss": float(np.maximum(-d, 0).mean()),
                "diff": float(np.median(d)),
                "diff_ci_low": float(np.quantile(d, tail)),
                "diff_ci_high": float(np.quantile(d, 1 - tail)),
                "lift": float(np.median(lift)),
                "lift_ci_low": float(np.quantile(lift, tail)),
                "lift_ci_high": float(np.quantile(lift, 1 - tail)),
            }
        rows.append(row)
    return Bayes(pd.DataFrame(rows), (float(a), float(b)), level, pd.DataFrame(lifts))
