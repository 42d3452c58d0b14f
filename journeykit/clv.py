"""Customer lifetime value: the BG/NBD purchase model and the Gamma-Gamma spend model, fitted
on a per-customer summary of the event log, checked on a holdout, and summed per segment.

The summary (frequency, recency, T and the average value of repeat purchases) is one Ibis
query on the events (DuckDB by default); the models see only that small frame. Both models
are fitted by maximum likelihood with the log-likelihood written vectorised with
:mod:`scipy.special` and its analytic gradient (BFGS on the log parameters); standard
errors come from the Hessian of the log-likelihood at the estimate. Customers with the same
history are fitted once, with a weight.

- BG/NBD (Fader, Hardie & Lee 2005a): while alive, a customer buys at rate ``lambda``
  (gamma distributed over customers with shape ``r`` and rate ``alpha``); after each repeat
  purchase they drop out with probability ``p`` (beta distributed with ``a``, ``b``).
- Gamma-Gamma (Fader, Hardie & Lee 2005b): the value of a customer's purchases is gamma
  distributed around their own mean spend, which is itself gamma distributed (``p``,
  ``q``, ``v``) and independent of how often they buy.
- CLV over ``horizon`` months discounted at ``discount_rate`` a month: the expected spend
  per purchase times the expected purchases in each month, discounted (the formula of
  :func:`predict_clv`, the same as ``lifetimes``' ``customer_lifetime_value``).

Time is counted in periods of ``freq`` (days by default), so ``recency``, ``T`` and
``alpha`` are in those periods. Full references are in each function's docstring.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import _engine, plots
from .breakdowns import attach, unit_groups
from .checks import (
    as_of_in_data,
    as_utc,
    check_choice,
    check_events_exist,
    check_level,
    check_number,
    check_whole,
    drop_missing,
    events_span,
    require,
    require_events,
    suggest,
)
from .errors import JourneyDataError, JourneyWarning
from .periods import FREQS, period_index, period_of, period_start
from .results import Result

#: Periods of ``freq`` in one month of the CLV sum (as ``lifetimes``: 30 days, 4.345 weeks).
PERIODS_PER_MONTH = {"D": 30.0, "W": 4.345, "M": 1.0, "Q": 1 / 3, "Y": 1 / 12}
#: How far after the last event ``observation_end`` may lie before a JourneyWarning.
LONG_AFTER = pd.Timedelta(days=365)
#: |Pearson correlation| of frequency and average spend among repeat buyers above which
#: the Gamma-Gamma independence assumption is called into question (a JourneyWarning).
INDEPENDENCE_LIMIT = 0.3
#: Customers per group on whom clv_by evaluates each bootstrap draw (a fixed random sample
#: of larger groups; the draw's ratio to the estimate on them scales the group's value).
BOOT_CUSTOMERS = 1000
#: Calibration frequencies shown one by one in the holdout check (higher ones are pooled).
HOLDOUT_BINS = 7
#: A parameter estimate beyond these bounds means the likelihood runs off to the edge of
#: the parameter space (e.g. no visible drop-out): the fit is reported as not converged.
EDGE = (1e-6, 1e6)
#: Customers on whom a large fit is first run to find its starting point (the full fit
#: then needs a few Newton steps only).
WARM_CUSTOMERS = 50_000
BGNBD_PARAMS = ("r", "alpha", "a", "b")
GAMMA_GAMMA_PARAMS = ("p", "q", "v")
SUMMARY_COLUMNS = ("frequency", "recency", "T")


# --------------------------------------------------------------------------- summary


def clv_summary(
    events,
    *,
    calibration_end=None,
    observation_end=None,
    freq: str = "D",
    purchase="purchase",
    by=None,
) -> pd.DataFrame:
    """One row per buyer: frequency, recency, T and average value in the calibration
    period, and what they bought in the holdout period (one engine query).

    Definitions (the summary of the CLV literature, Fader, Hardie & Lee 2005a, and of
    ``lifetimes``' ``summary_data_from_transaction_data``; with ``freq='D'`` and no
    ``calibration_end`` the same ``frequency``, ``recency`` and ``T`` as
    :func:`journeykit.customer_summary`). Time is counted in whole periods of ``freq``
    (UTC calendar days, ISO weeks from Monday, months, ...); a **purchase period** is a
    period with at least one ``purchase`` event, so several orders on one day are one
    purchase (with ``freq='D'``).

    - ``frequency``: purchase periods in the calibration period minus one (the repeat
      purchases);
    - ``recency``: periods from the first to the last purchase period of the calibration;
    - ``T``: periods from the first purchase period to the end of the calibration;
    - ``monetary_value``: the mean value of the repeat purchase periods (the first
      purchase is left out; 0 for customers without a repeat purchase), the input of
      :func:`fit_gamma_gamma`;
    - ``aov``: average order value in the calibration, revenue / orders, every order
      counted (orders are distinct ``order_id`` values per period, or purchase events);
    - with ``calibration_end``: ``frequency_holdout`` (purchase periods after the
      calibration, up to ``observation_end``), ``monetary_value_holdout`` (their mean
      value, 0 without one) and ``duration_holdout`` (periods in the holdout).

    A date names its whole period: ``calibration_end='1997-09-30'`` with ``freq='D'``
    puts every purchase of that day in the calibration (``customer_summary``'s ``as_of``
    instead cuts at the instant). Customers whose first purchase lies after the
    calibration are left out (the models describe the customers acquired in it), as are
    customers who never bought. Without a ``revenue`` column the value columns are NaN.

    Parameters
    ----------
    events : pandas.DataFrame or Ibis table
        Canonical events (:func:`journeykit.read_events`).
    calibration_end : date-like, optional
        The last period of the calibration; later purchases form the holdout. Default:
        no holdout, the calibration runs to ``observation_end``. It must lie on or after
        the first purchase and before ``observation_end``.
    observation_end : date-like, optional
        The last period observed; later events are ignored. Default: the last event.
    freq : str
        The period time is counted in: ``'D'`` (days), ``'W'``, ``'M'``, ``'Q'`` or ``'Y'``.
    purchase : str or list of str
        The event(s) that are an order; each must occur in the events.
    by : str, list of str or pandas.DataFrame, optional
        Breakdown columns to keep beside the summary: event columns take their value at
        the customer's first activity (``by='channel'``: the acquisition channel), a frame
        with ``customer_id`` adds attributes; customers without a value are left out with
        a ``JourneyWarning``.

    Returns
    -------
    pandas.DataFrame
        Sorted by ``customer_id``: ``customer_id, frequency, recency, T, monetary_value,
        aov, n_orders, revenue`` (calibration), then ``frequency_holdout,
        monetary_value_holdout, duration_holdout`` when ``calibration_end`` is given,
        then the ``by`` columns. ``frequency`` is an integer, ``recency`` and ``T`` floats
        (periods of ``freq``).

    References
    ----------
    .. [1] Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005a). "Counting your customers"
       the easy way: an alternative to the Pareto/NBD model. Marketing Science 24(2),
       275-284.
    .. [2] Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005b). RFM and CLV: using
       iso-value curves for customer base analysis. Journal of Marketing Research 42(4),
       415-430.

    Examples
    --------
    >>> import pandas as pd
    >>> from journeykit import read_events
    >>> ev = read_events(pd.DataFrame({
    ...     "customer_id": ["a", "a", "a", "a", "b"],
    ...     "timestamp": ["2024-01-01", "2024-01-03", "2024-01-03", "2024-01-12", "2024-01-02"],
    ...     "event": "purchase", "revenue": [10.0, 5.0, 6.0, 8.0, 20.0]}))
    >>> s = clv_summary(ev, calibration_end="2024-01-10", observation_end="2024-01-20")
    >>> s[["customer_id", "frequency", "recency", "T", "monetary_value", "frequency_holdout"]]
      customer_id  frequency  recency    T  monetary_value  frequency_holdout
    0           a          1      2.0  9.0            11.0                  1
    1           b          0      0.0  8.0             0.0                  0
    """
    require_events(events)
    check_choice("freq", freq, FREQS)
    t = _engine.as_table(events)
    purchases, span, (first, _) = events_span(t, purchase, param="purchase")
    end = as_of_in_data(
        t,
        observation_end,
        param="observation_end",
        within=LONG_AFTER,
        why="T counts the periods up to it, so every customer looks long gone.",
        what="events",
        span=span,
    )
    buys = t.filter(t["event"].isin(purchases))
    end_p = period_of(end, freq)
    cal = None if calibration_end is None else as_utc(calibration_end, param="calibration_end")
    cal_p = end_p if cal is None else period_of(cal, freq)
    if cal is not None and (cal_p < period_of(first, freq) or cal_p >= end_p):
        raise JourneyDataError(
            f"calibration_end={cal:%Y-%m-%d}: outside the data; with freq={freq!r} it must "
            f"lie from the first purchase ({first:%Y-%m-%d}) to before the last observed "
            f"period (observation_end {end:%Y-%m-%d}), so that both the calibration and the "
            "holdout hold purchases. Fix: pass a calibration_end within that range (e.g. "
            "two thirds of the way), or calibration_end=None for no holdout."
        )
    revenue = "revenue" in t.columns
    buys = buys.mutate(period=period_index(buys, freq))
    buys = buys.filter(buys["period"] <= end_p)
    orders = buys["order_id"].nunique() if "order_id" in buys.columns else buys.count()
    per = buys.group_by(["customer_id", "period"]).aggregate(
        value=buys["revenue"].sum() if revenue else buys.count().cast("float64"),
        orders=orders,
    )
    in_cal = per["period"] <= cal_p
    backend = _engine.backend_name(per)
    aggs = {
        "first_p": per["period"].min(),
        "n_cal": in_cal.cast("int64").sum(),
        "last_cal": per["period"].max(where=in_cal),
        "value_cal": per["value"].sum(where=in_cal),
        "first_value": _engine.arg_min(per["value"], per["period"], backend),
        "n_orders": per["orders"].sum(where=in_cal),
    }
    if cal is not None:
        aggs["n_hold"] = (~in_cal).cast("int64").sum()
        aggs["value_hold"] = per["value"].sum(where=~in_cal)
    agg = per.group_by("customer_id").aggregate(**aggs)
    agg = agg.filter(agg["first_p"] <= cal_p)
    groups, names = unit_groups(t, "customer_id", by, reserved=_OUTPUT)
    agg = attach(agg, groups, "customer_id")
    out = _engine.to_pandas(agg.order_by("customer_id"))
    return _summary_frame(out, cal_p, end_p, holdout=cal is not None, revenue=revenue, by=names)


_OUTPUT = (
    "frequency",
    "recency",
    "T",
    "monetary_value",
    "aov",
    "n_orders",
    "revenue",
    "frequency_holdout",
    "monetary_value_holdout",
    "duration_holdout",
)


def _summary_frame(out, cal_p, end_p, *, holdout, revenue, by) -> pd.DataFrame:
    first = out["first_p"].astype(float)
    n_cal = out["n_cal"].astype("int64")
    frame = pd.DataFrame({"customer_id": out["customer_id"]})
    frame["frequency"] = (n_cal - 1).to_numpy()
    frame["recency"] = (out["last_cal"].astype(float) - first).to_numpy()
    frame["T"] = (cal_p - first).to_numpy()
    value_cal = out["value_cal"].astype(float).fillna(0.0)
    repeat_value = value_cal - out["first_value"].astype(float).fillna(0.0)
    x = frame["frequency"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        monetary = np.where(x > 0, repeat_value.to_numpy() / np.maximum(x, 1), 0.0)
        orders = out["n_orders"].astype(float).to_numpy()
        aov = np.where(orders > 0, value_cal.to_numpy() / orders, np.nan)
    frame["monetary_value"] = monetary if revenue else np.nan
    frame["aov"] = aov if revenue else np.nan
    frame["n_orders"] = out["n_orders"].fillna(0).astype("int64").to_numpy()
    frame["revenue"] = value_cal.to_numpy() if revenue else np.nan
    if holdout:
        n_hold = out["n_hold"].fillna(0).astype("int64").to_numpy()
        value_hold = out["value_hold"].astype(float).fillna(0.0).to_numpy()
        frame["frequency_holdout"] = n_hold
        with np.errstate(invalid="ignore", divide="ignore"):
            held = np.where(n_hold > 0, value_hold / np.maximum(n_hold, 1), 0.0)
        frame["monetary_value_holdout"] = held if revenue else np.nan
        frame["duration_holdout"] = float(end_p - cal_p)
    for name in by:
        frame[name] = out[name].to_numpy()
    return frame


# --------------------------------------------------------------------------- inputs


def _check_summary(summary, columns, *, where: str) -> pd.DataFrame:
    """The rows of ``summary`` a model can use: customers without a purchase (missing
    ``recency``/``T``, as customer_summary gives them) left out with a JourneyWarning;
    impossible values raise."""
    if not isinstance(summary, pd.DataFrame):
        raise JourneyDataError(
            f"summary: expected a pandas DataFrame with one row per customer; got "
            f"{type(summary).__name__}. Fix: pass journeykit.clv_summary(events)."
        )
    require(summary, columns, param="summary")
    frame = summary
    missing = frame[list(columns)].isna().any(axis=1)
    if missing.all():
        raise JourneyDataError(
            f"summary: none of the {len(frame)} rows has {list(columns)} (customers without a "
            "purchase have no recency or T), so there is nothing to fit. Fix: pass "
            "journeykit.clv_summary(events, purchase=...) with your order event."
        )
    if missing.any():
        warnings.warn(
            f"{where}: {int(missing.sum())} of {len(frame)} customers have no "
            f"{list(columns)} (no purchase, or no value) and were left out; the model "
            "describes buyers. Pass journeykit.clv_summary(events) to avoid this.",
            JourneyWarning,
            stacklevel=3,
        )
        frame = frame[~missing.to_numpy()]
    x = frame["frequency"].to_numpy(dtype=float)
    bad = (x < 0) | (x != np.floor(x)) | ~np.isfinite(x)
    if "recency" in columns:
        tx, T = frame["recency"].to_numpy(dtype=float), frame["T"].to_numpy(dtype=float)
        bad |= (tx < 0) | (tx > T + 1e-9) | ~np.isfinite(T) | ((x == 0) & (tx != 0))
    if bad.any():
        rows = frame.loc[bad, list(columns)].head(5)
        raise JourneyDataError(
            f"summary: {int(bad.sum())} rows are not a purchase history: frequency must be a "
            "whole number >= 0 and 0 <= recency <= T (recency 0 without repeat purchases)."
            f"\nExample rows:\n{rows.to_string()}\nFix: compute the summary with "
            "journeykit.clv_summary(events), or correct those rows."
        )
    return frame


def _compress(*columns):
    """Unique rows of the given arrays and how often each occurs (the likelihood weights),
    and each row's position among them. Hash-based, so linear in the rows: each column
    becomes integer codes (whole numbers as themselves minus their minimum, other values
    by pandas.factorize), the codes are combined in mixed radix into one integer per row
    and that is factorized once; on a million customers this is far faster than sorting
    the rows or factorizing float columns. The order of the unique rows is that of first
    occurrence."""
    arrays = [np.asarray(c) for c in columns]
    if not arrays or len(arrays[0]) == 0:
        empty = np.array([], dtype=np.int64)
        return [a[:0] for a in arrays], np.array([], dtype=float), empty
    key, radix = None, 1
    for a in arrays:
        whole = a.dtype.kind in "iub" or bool(np.all(np.isfinite(a)) and np.all(a == np.floor(a)))
        if whole:
            low = a.min()
            own, size = (a - low).astype(np.int64), int(a.max() - low) + 1
        else:
            own, levels = pd.factorize(a, use_na_sentinel=False)
            own, size = own.astype(np.int64), len(levels)
        if key is None:
            key, radix = own, size
        elif radix * size < 2**62:
            key, radix = key * size + own, radix * size
        else:  # the combined key would overflow: renumber what we have first
            key = pd.factorize(key)[0].astype(np.int64)
            radix = int(key.max()) + 1
            key, radix = key * size + own, radix * size
    inverse = pd.factorize(key)[0].astype(np.int64)
    k = int(inverse.max()) + 1
    counts = np.bincount(inverse, minlength=k).astype(float)
    # factorize numbers values in order of first occurrence: a row is the first of its
    # kind where the running maximum of the codes steps up
    top = np.maximum.accumulate(inverse)
    first = np.flatnonzero(np.r_[True, top[1:] > top[:-1]])
    return [a[first] for a in arrays], counts, inverse


# --------------------------------------------------------------------------- likelihoods


def _levels(x):
    """The distinct values of ``x`` and each row's position among them: the special
    functions of the likelihoods depend on ``x`` alone, so they are computed once per
    distinct value."""
    return np.unique(x, return_inverse=True)


def bgnbd_log_likelihood(theta, x, tx, T, levels=None):
    """Per-customer BG/NBD log-likelihood and its gradient in ``(r, alpha, a, b)``.

    Fader, Hardie & Lee (2005a), eq. (6), on the log scale: ``A1 + A2 + log(exp(A3) +
    [x > 0] exp(A4))``. ``levels``: :func:`_levels` of ``x``, when already computed.
    """
    from scipy.special import digamma, gammaln

    r, alpha, a, b = theta
    xs, at = _levels(x) if levels is None else levels
    lg = gammaln(r + xs) - gammaln(r) + gammaln(a + b) + gammaln(b + xs) - gammaln(b)
    lg -= gammaln(a + b + xs)
    dg_r = digamma(r + xs) - digamma(r)
    dab = digamma(a + b) - digamma(a + b + xs)
    dg_b = dab + digamma(b + xs) - digamma(b)
    bx1s = b + np.maximum(xs, 1) - 1
    la4 = math.log(a) - np.log(bx1s)
    la, lt = np.log(alpha + T), np.log(alpha + tx)
    rx = r + x
    a3 = -rx * la
    rep = x > 0
    a4 = np.where(rep, la4[at] - rx * lt, -np.inf)
    top = np.maximum(a3, a4)
    e3, e4 = np.exp(a3 - top), np.exp(a4 - top)
    ll = r * math.log(alpha) + lg[at] + top + np.log(e3 + e4)
    w3 = e3 / (e3 + e4)
    w4 = 1.0 - w3
    d_r = dg_r[at] + math.log(alpha) - w3 * la - w4 * lt
    d_alpha = r / alpha - rx * (w3 / (alpha + T) + w4 / (alpha + tx))
    d_a = dab[at] + w4 / a
    d_b = dg_b[at] - w4 / bx1s[at]
    return ll, np.stack([d_r, d_alpha, d_a, d_b])


def gamma_gamma_log_likelihood(theta, x, m, levels=None):
    """Per-customer Gamma-Gamma log-likelihood of the average spend ``m`` over ``x``
    purchases and its gradient in ``(p, q, v)`` (Fader, Hardie & Lee 2005b; the density of
    the mean of ``x`` gamma(``p``, ``nu``) values, ``nu`` ~ gamma(``q``, ``v``))."""
    from scipy.special import digamma, gammaln

    p, q, v = theta
    xs, at = _levels(x) if levels is None else levels
    pxs = p * xs
    lg = (gammaln(pxs + q) - gammaln(pxs) - gammaln(q) + pxs * np.log(xs))[at]
    dg = digamma(pxs + q)
    dp = (dg - digamma(pxs) + np.log(xs))[at]
    dq = (dg - digamma(q))[at]
    px = p * x
    lm = np.log(m)
    lxm = np.log(x * m + v)
    ll = lg + q * math.log(v) + (px - 1) * lm - (px + q) * lxm
    d_p = x * (dp + lm - lxm)
    d_q = dq + math.log(v) - lxm
    d_v = q / v - (px + q) / (x * m + v)
    return ll, np.stack([d_p, d_q, d_v])


def _bgnbd_hessian(theta, x, tx, T, levels, weights):
    """Weighted sum over customers of the Hessian of the BG/NBD log-likelihood in ``(r,
    alpha, a, b)``, analytic (the second derivatives of :func:`bgnbd_log_likelihood`)."""
    from scipy.special import polygamma

    r, alpha, a, b = theta
    xs, at = levels
    wx = np.bincount(at, weights=weights, minlength=len(xs))  # weight per distinct x
    tg = polygamma(1, np.concatenate([r + xs, [r], a + b + xs, [a + b], b + xs, [b]]))
    k = len(xs)
    tg_rx, tg_r = tg[:k], tg[k]
    tg_abx, tg_ab = tg[k + 1 : 2 * k + 1], tg[2 * k + 1]
    tg_bx, tg_b = tg[2 * k + 2 : 3 * k + 2], tg[3 * k + 2]
    total = weights.sum()
    h = np.zeros((4, 4))
    h[0, 0] = wx @ (tg_rx - tg_r)
    tab = wx @ (tg_ab - tg_abx)
    h[2, 2] = h[2, 3] = h[3, 2] = tab
    h[3, 3] = tab + wx @ (tg_bx - tg_b)
    h[0, 1] = h[1, 0] = total / alpha
    h[1, 1] = -r * total / alpha**2
    bx1 = (b + np.maximum(xs, 1) - 1)[at]
    la, lt = np.log(alpha + T), np.log(alpha + tx)
    rx = r + x
    a3 = -rx * la
    a4 = np.where(x > 0, math.log(a) - np.log(bx1) - rx * lt, -np.inf)
    top = np.maximum(a3, a4)
    e3, e4 = np.exp(a3 - top), np.exp(a4 - top)
    w3 = e3 / (e3 + e4)
    w4 = 1.0 - w3
    u3, u4 = 1.0 / (alpha + T), 1.0 / (alpha + tx)
    # sum of w3 H(A3) + w4 H(A4)
    h[0, 1] -= weights @ (w3 * u3 + w4 * u4)
    h[1, 1] += weights @ (rx * (w3 * u3**2 + w4 * u4**2))
    w4w = weights @ w4
    h[2, 2] -= w4w / a**2
    h[3, 3] += weights @ (w4 / bx1**2)
    h[1, 0] = h[0, 1]
    # plus w3 w4 (grad A3 - grad A4)(grad A3 - grad A4)'
    d = np.stack([lt - la, rx * (u4 - u3), np.full_like(x, -1.0 / a), 1.0 / bx1])
    h += (d * (weights * w3 * w4)) @ d.T
    return h


def _gamma_gamma_hessian(theta, x, m, levels, weights):
    """Weighted sum over customers of the Hessian of the Gamma-Gamma log-likelihood in
    ``(p, q, v)``, analytic (the second derivatives of :func:`gamma_gamma_log_likelihood`)."""
    from scipy.special import polygamma

    p, q, v = theta
    xs, at = levels
    wx = np.bincount(at, weights=weights, minlength=len(xs))
    k = len(xs)
    tg = polygamma(1, np.concatenate([p * xs + q, p * xs, [q]]))
    tg_pxq, tg_px, tg_q = tg[:k], tg[k : 2 * k], tg[2 * k]
    total = weights.sum()
    u = 1.0 / (x * m + v)
    h = np.empty((3, 3))
    h[0, 0] = wx @ (xs**2 * (tg_pxq - tg_px))
    h[0, 1] = h[1, 0] = wx @ (xs * tg_pxq)
    h[0, 2] = h[2, 0] = -(weights @ (x * u))
    h[1, 1] = wx @ (tg_pxq - tg_q)
    h[1, 2] = h[2, 1] = total / v - weights @ u
    h[2, 2] = -q * total / v**2 + weights @ ((p * x + q) * u**2)
    return h


def _objective(loglik, hessian, data, weights, penalty, scale):
    """Mean negative log-likelihood plus ``penalty * sum((scale * theta)**2)``, its
    gradient and its Hessian, as functions of ``theta``."""
    total = weights.sum()

    def f(theta):
        ll, grad = loglik(theta, *data)
        value = -(weights * ll).sum() / total + penalty * float(((scale * theta) ** 2).sum())
        gradient = -(grad @ weights) / total + 2 * penalty * scale**2 * theta
        return value, gradient

    def hess(theta):
        return -hessian(theta, *data, weights) / total + np.diag(2 * penalty * scale**2)

    return f, hess


@dataclass(frozen=True)
class _Fit:
    theta: np.ndarray
    cov: np.ndarray
    log_likelihood: float
    converged: bool
    message: str
    iterations: int


def _maximize(loglik, hessian, data, weights, start, *, penalty, scale, names, where) -> _Fit:
    """A trust-region Newton method (scipy's ``trust-exact``) on the log parameters, with
    the analytic gradient and Hessian; the covariance is the inverse of the Hessian of the
    total negative log-likelihood at the estimate. Customers with the same history are one
    row with a weight, so each step costs one pass over the distinct histories."""
    from scipy.optimize import minimize

    customers = weights.sum()
    if customers > 4 * WARM_CUSTOMERS:  # start the full fit near the optimum
        # a random sample of the customers: each history's count thinned binomially (a
        # sample of the distinct histories instead lands far off, as a few histories hold
        # most customers: on 1M customers r = 0.12 for 0.25, and 7 full steps instead of 4)
        share = WARM_CUSTOMERS / customers
        thinned = np.random.default_rng(0).binomial(weights.astype(np.int64), share)
        pick = np.flatnonzero(thinned)
        part = tuple((d[0], d[1][pick]) if isinstance(d, tuple) else d[pick] for d in data)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", JourneyWarning)
            warm = _maximize(
                loglik,
                hessian,
                part,
                thinned[pick].astype(float),
                start,
                penalty=penalty,
                scale=scale,
                names=names,
                where=where,
            )
        if warm.converged:
            start = warm.theta
    f, hess = _objective(loglik, hessian, data, weights, penalty, scale)
    cache = {}

    def at(phi):
        key = phi.tobytes()
        if key not in cache:
            theta = np.exp(phi)
            value, grad = f(theta)
            cache.clear()
            cache[key] = (theta, value, grad)
        return cache[key]

    def on_log(phi):
        _, value, grad = at(phi)
        return value if np.isfinite(value) else np.inf

    def jac(phi):
        theta, value, grad = at(phi)
        return grad * theta if np.isfinite(value) else np.zeros_like(phi)

    def hess_log(phi):
        theta, value, grad = at(phi)
        if not np.isfinite(value):
            return np.eye(len(phi))
        out = hess(theta) * np.outer(theta, theta) + np.diag(grad * theta)
        return out if np.all(np.isfinite(out)) else np.eye(len(phi))

    with np.errstate(all="ignore"):
        res = minimize(
            on_log,
            np.log(start),
            jac=jac,
            hess=hess_log,
            method="trust-exact",
            options={"gtol": 1e-8, "maxiter": 300},
        )
        theta = np.exp(res.x)
        value, grad = f(theta)
        hessian_theta = hess(theta)
    n = weights.sum()
    scaled_grad = np.abs(grad * theta).max()
    edge = bool(np.any(theta < EDGE[0]) or np.any(theta > EDGE[1]))
    finite = bool(np.all(np.isfinite(theta)) and np.isfinite(value))
    converged = finite and not edge and scaled_grad < 1e-5
    message = (
        "converged"
        if converged
        else (
            f"the parameters ran to the edge of the parameter space ({_text(names, theta)})"
            if edge
            else f"the optimizer stopped with a gradient of {scaled_grad:.2g} ({res.message})"
        )
    )
    try:
        cov = np.linalg.inv(hessian_theta * n)
        if np.any(np.diag(cov) <= 0) or not np.all(np.isfinite(cov)):
            raise np.linalg.LinAlgError
    except np.linalg.LinAlgError:
        cov = np.full((len(theta), len(theta)), np.nan)
        if converged:
            warnings.warn(
                f"{where}: the Hessian at the estimate is not positive definite, so there are "
                "no standard errors (the data do not pin every parameter down). Fix: more "
                "data, or a small penalty (penalty=0.001).",
                JourneyWarning,
                stacklevel=4,
            )
    if not converged:
        warnings.warn(
            f"{where}: the model did not converge: {message}. Its numbers are not a maximum "
            "likelihood estimate. Fix: check the summary (enough repeat buyers, a long enough "
            "calibration), or add a small L2 penalty (penalty=0.001 to 0.1).",
            JourneyWarning,
            stacklevel=4,
        )
    ll = float(-(value - penalty * float(((scale * theta) ** 2).sum())) * n)
    return _Fit(theta, cov, ll, converged, message, int(res.nit))


def _text(names, theta) -> str:
    return ", ".join(f"{n} = {v:.4g}" for n, v in zip(names, theta))


def _parameter_table(names, theta, cov, level) -> pd.DataFrame:
    from scipy.special import ndtri

    se = np.sqrt(np.diag(cov))
    z = ndtri(0.5 + level / 2)
    return pd.DataFrame(
        {
            "parameter": list(names),
            "estimate": theta,
            "se": se,
            "estimate_ci_low": theta - z * se,
            "estimate_ci_high": theta + z * se,
        }
    )


def _check_penalty(penalty) -> float:
    value = check_number("penalty", penalty, what="an L2 penalty", example="0.001")
    if value < 0:
        raise JourneyDataError(
            f"penalty={penalty!r}: expected an L2 penalty >= 0; got a negative number. Fix: "
            "pass penalty=0 (none) or a small positive one such as penalty=0.001."
        )
    return value


# --------------------------------------------------------------------------- BG/NBD


def _hyp2f1(a, b, c, z):
    """log 2F1(a, b; c; z), through Euler's transformation where the series overflows."""
    from scipy.special import hyp2f1

    with np.errstate(all="ignore"):
        direct = np.log(hyp2f1(a, b, c, z))
        out = np.array(direct, dtype=float, ndmin=1)
        bad = ~np.isfinite(out)
        if bad.any():
            a, b, c, z = (np.broadcast_to(v, out.shape)[bad] for v in (a, b, c, z))
            out[bad] = np.log(hyp2f1(c - a, c - b, c, z)) + (c - a - b) * np.log1p(-z)
    return out.reshape(np.shape(direct))


def _expected(theta, t, x, tx, T):
    """E[Y(t) | x, t_x, T]: expected purchases in (T, T + t] (FHL 2005a, eq. 10)."""
    r, alpha, a, b = theta
    x, tx, T, t = (np.asarray(v, dtype=float) for v in (x, tx, T, t))
    log_h = _hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t))
    with np.errstate(all="ignore"):
        top = (
            (a + b + x - 1)
            / (a - 1)
            * -np.expm1(log_h + (r + x) * np.log((alpha + T) / (alpha + T + t)))
        )
        bottom = 1 + (x > 0) * (a / (b + np.maximum(x, 1) - 1)) * ((alpha + T) / (alpha + tx)) ** (
            r + x
        )
    return np.where(t > 0, top / bottom, 0.0)


def _p_alive(theta, x, tx, T):
    """P(alive | x, t_x, T) (Fader, Hardie & Lee 2008, note 021)."""
    from scipy.special import expit

    r, alpha, a, b = theta
    x, tx, T = (np.asarray(v, dtype=float) for v in (x, tx, T))
    with np.errstate(all="ignore"):
        log_odds = (r + x) * np.log((alpha + T) / (alpha + tx)) + np.log(
            a / (b + np.maximum(x, 1) - 1)
        )
    return np.where(x == 0, 1.0, expit(-log_odds))


def _unconditional(theta, t):
    """E[X(t)]: expected repeat purchases of a new customer in (0, t] (FHL 2005a, eq. 9)."""
    r, alpha, a, b = theta
    t = np.asarray(t, dtype=float)
    log_h = _hyp2f1(r, b, a + b - 1, t / (alpha + t))
    with np.errstate(all="ignore"):
        out = (a + b - 1) / (a - 1) * -np.expm1(log_h + r * np.log(alpha / (alpha + t)))
    return np.where(t > 0, out, 0.0)


def _p_count(theta, k, t):
    """P(X(t) = k) for a new customer (FHL 2005a, eq. 8), for arrays ``k`` and ``t``."""
    from scipy.special import betaln, gammaln

    r, alpha, a, b = theta
    k, t = np.broadcast_arrays(np.asarray(k, dtype=float), np.asarray(t, dtype=float))
    with np.errstate(all="ignore"):
        lt = np.log(t / (alpha + t))
        la = r * np.log(alpha / (alpha + t))
        first = (
            betaln(a, b + k)
            - betaln(a, b)
            + gammaln(r + k)
            - gammaln(r)
            - gammaln(k + 1)
            + la
            + np.where(k > 0, k * lt, 0.0)
        )
        kmax = int(k.max()) if k.size else 0
        j = np.arange(max(kmax, 1))[:, None]
        terms = np.exp(
            gammaln(r + j)
            - gammaln(r)
            - gammaln(j + 1)
            + np.where(j > 0, j * lt.ravel(), 0.0)
            + la.ravel()
        )
        cum = np.cumsum(terms, axis=0)  # cum[i] = sum over j <= i
        below = np.where(
            k.ravel() > 0, cum[np.maximum(k.ravel().astype(int) - 1, 0), np.arange(k.size)], 0.0
        )
        second = np.exp(betaln(a + 1, b + k - 1) - betaln(a, b)) * (1 - below.reshape(k.shape))
    return np.exp(first) + np.where(k > 0, second, 0.0)


@dataclass(frozen=True, repr=False)
class BGNBD(Result):
    """A fitted BG/NBD model: parameters with standard errors, and its predictions."""

    table: pd.DataFrame
    covariance: pd.DataFrame
    data: pd.DataFrame
    log_likelihood: float
    converged: bool
    message: str
    penalty: float
    freq: str
    level: float
    title = "BG/NBD purchase model"
    first = ("parameter", "estimate", "se")

    @property
    def params(self) -> dict:
        """The estimates, ``{'r': ..., 'alpha': ..., 'a': ..., 'b': ...}``."""
        return dict(zip(self.table["parameter"], self.table["estimate"].astype(float)))

    @property
    def theta(self) -> np.ndarray:
        return self.table["estimate"].to_numpy(dtype=float)

    @property
    def notes(self) -> tuple[str, ...]:
        p = self.params
        return (
            f"{len(self.data):,} customers; time in periods of freq={self.freq!r}. Purchase "
            f"rate ~ gamma(r = {p['r']:.3g}, alpha = {p['alpha']:.3g}): mean "
            f"{p['r'] / p['alpha']:.3g} purchases per period while alive; drop-out after a "
            f"purchase ~ beta(a = {p['a']:.3g}, b = {p['b']:.3g}): mean "
            f"{p['a'] / (p['a'] + p['b']):.1%}.",
            f"maximum likelihood: {self.message}; log-likelihood {self.log_likelihood:,.2f}"
            + (f"; L2 penalty {self.penalty:g}" if self.penalty else "")
            + f"; intervals at {self.level:.0%} (estimate +- z se, se from the Hessian).",
        )

    @property
    def conclusion(self) -> str:
        """What the parameters say about buying and dropping out, in words."""
        p = self.params
        data = self.data
        alive = float(np.mean(self.p_alive()))
        text = (
            f"While they are active, customers buy on average every "
            f"{p['alpha'] / p['r']:.3g} {_period_word(self.freq)}s (rate {p['r'] / p['alpha']:.3g}"
            f" per {_period_word(self.freq)}), and after each purchase "
            f"{p['a'] / (p['a'] + p['b']):.0%} of them leave for good. Of the "
            f"{len(data):,} customers an estimated {alive:.0%} are still active at the end of "
            "the calibration."
        )
        if not self.converged:
            text += " The fit did not converge: do not use these numbers."
        return text

    def _history(self, summary):
        frame = (
            self.data
            if summary is None
            else _check_summary(summary, SUMMARY_COLUMNS, where="BGNBD")
        )
        return frame, tuple(frame[c].to_numpy(dtype=float) for c in SUMMARY_COLUMNS)

    def expected_purchases(self, t, summary=None) -> pd.Series:
        """Expected purchases of each customer in the next ``t`` periods, given their
        history (Fader, Hardie & Lee 2005a, eq. 10).

        ``summary`` defaults to the customers the model was fitted on.
        """
        t = check_number("t", t, what="periods ahead", above=0, example="90")
        frame, (x, tx, T) = self._history(summary)
        return pd.Series(
            _expected(self.theta, t, x, tx, T), index=frame.index, name="expected_purchases"
        )

    def p_alive(self, summary=None) -> pd.Series:
        """The probability that each customer is still active at ``T`` (Fader, Hardie &
        Lee 2008); 1 for customers without repeat purchases (the model lets customers
        leave only right after a purchase)."""
        frame, (x, tx, T) = self._history(summary)
        return pd.Series(_p_alive(self.theta, x, tx, T), index=frame.index, name="p_alive")

    def p_purchases(self, k, t) -> pd.Series:
        """P(X(t) = k): the probability that a new customer makes ``k`` repeat purchases
        in their first ``t`` periods (Fader, Hardie & Lee 2005a, eq. 8), for each ``k``."""
        t = check_number("t", t, what="periods", above=0, example="90")
        ks = np.atleast_1d(np.asarray(k))
        if ks.dtype.kind not in "iu" or (ks < 0).any():
            raise JourneyDataError(
                f"k={k!r}: expected a whole number of purchases >= 0 (or a list of them). Fix: "
                "pass e.g. k=0 or k=[0, 1, 2]."
            )
        return pd.Series(
            _p_count(self.theta, ks, t), index=pd.Index(ks, name="k"), name="probability"
        )

    def expected_new(self, t) -> np.ndarray:
        """E[X(t)]: expected repeat purchases of a new customer in ``t`` periods after the
        first purchase (Fader, Hardie & Lee 2005a, eq. 9); ``t`` may be an array."""
        return _unconditional(self.theta, t)

    def frequencies(self) -> pd.DataFrame:
        """Customers per calibration frequency (0..6, '7+'): observed and expected by the
        model, sum over customers of P(X(T) = k) (the fit check of FHL 2005a, fig. 2)."""
        x = self.data["frequency"].to_numpy()
        T = self.data["T"].to_numpy(dtype=float)
        (Tu,), w, _ = _compress(T)
        k = np.arange(HOLDOUT_BINS)
        probs = _p_count(self.theta, k[:, None], np.maximum(Tu, 1e-12)[None, :])
        probs = np.where(Tu[None, :] > 0, probs, (k[:, None] == 0).astype(float))
        expected = probs @ w
        observed = np.array([(x == i).sum() for i in k], dtype=float)
        labels = [str(i) for i in k] + [f"{HOLDOUT_BINS}+"]
        return pd.DataFrame(
            {
                "frequency": labels,
                "n": np.append(observed, (x >= HOLDOUT_BINS).sum()).astype("int64"),
                "expected": np.append(expected, len(x) - expected.sum()),
            }
        )

    def plot(self, ax=None):
        """Customers per number of repeat purchases: observed and expected by the model."""
        table = self.frequencies()
        ax = plots.axes(ax)
        pos = np.arange(len(table))
        ax.bar(pos - 0.2, table["n"], 0.4, color=plots.PALETTE[0], label="observed")
        ax.bar(pos + 0.2, table["expected"], 0.4, color=plots.PALETTE[1], label="BG/NBD")
        ax.set_xticks(pos, table["frequency"])
        ax.set_xlabel("repeat purchases in the calibration period (frequency)")
        ax.set_ylabel("customers")
        ax.set_title("BG/NBD fit: customers by repeat purchases")
        ax.legend(frameon=False)
        return ax


def _period_word(freq: str) -> str:
    return plots.PERIOD_WORDS.get(freq, "period")


def fit_bgnbd(summary, *, penalty: float = 0.0, freq: str = "D", level: float = 0.95) -> BGNBD:
    """Fit the BG/NBD model of repeat purchasing by maximum likelihood.

    The model (Fader, Hardie & Lee 2005a): while active, a customer's purchases are a
    Poisson process with rate ``lambda``, gamma distributed over customers (shape ``r``,
    rate ``alpha``: mean ``r / alpha`` per period); after each repeat purchase the customer
    becomes inactive for good with probability ``p``, beta distributed (``a``, ``b``). The
    log-likelihood (eq. 6 of the paper) is summed over customers (identical histories
    once, weighted), maximised with BFGS on the log parameters with its analytic gradient
    and polished with Newton steps; standard errors come from the inverse Hessian of the
    log-likelihood (central differences of the analytic gradient). A fit that stops away
    from a maximum, or whose parameters run off to 0 or infinity (typically: no visible
    drop-out), gives a ``JourneyWarning`` and ``converged=False``.

    ``penalty`` adds ``penalty * (r^2 + (alpha * s)^2 + a^2 + b^2)`` to the mean negative
    log-likelihood, with ``s = 1 / max(T)`` (``alpha`` measured in units of the longest
    customer history: the same penalty as ``lifetimes``' ``penalizer_coef``); it pulls
    unstable estimates towards 0 at the cost of a small bias.

    Parameters
    ----------
    summary : pandas.DataFrame
        One row per customer with ``frequency``, ``recency`` and ``T``
        (:func:`clv_summary`, or :func:`journeykit.customer_summary`; customers without a
        purchase are left out with a ``JourneyWarning``).
    penalty : float
        L2 penalty on the parameters (0: plain maximum likelihood).
    freq : str
        The period ``recency`` and ``T`` are counted in (``'D'`` for :func:`clv_summary`'s
        default); it names the periods in the report and sets the month of
        :func:`predict_clv`.
    level : float
        Confidence level of the parameter intervals.

    Returns
    -------
    BGNBD
        ``table`` (= ``summary``): ``parameter, estimate, se, estimate_ci_low,
        estimate_ci_high`` for ``r, alpha, a, b``; ``params``; ``covariance``;
        ``log_likelihood``; ``converged``; predictions ``expected_purchases(t)``,
        ``p_alive()``, ``p_purchases(k, t)``, ``expected_new(t)``; ``conclusion``;
        ``plot()`` (observed vs expected customers per frequency).

    References
    ----------
    .. [1] Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005a). "Counting your customers"
       the easy way: an alternative to the Pareto/NBD model. Marketing Science 24(2),
       275-284.
    .. [2] Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2008). Computing P(alive) using
       the BG/NBD model. http://brucehardie.com/notes/021/

    Examples
    --------
    >>> from lifetimes.datasets import load_cdnow_summary
    >>> model = fit_bgnbd(load_cdnow_summary(), freq="W")
    >>> model.table[["parameter", "estimate"]].round(3)
      parameter  estimate
    0         r     0.243
    1     alpha     4.414
    2         a     0.793
    3         b     2.426
    """
    penalty = _check_penalty(penalty)
    check_choice("freq", freq, FREQS)
    level = check_level("level", level)
    frame = _check_summary(summary, SUMMARY_COLUMNS, where="fit_bgnbd")
    x, tx, T = (frame[c].to_numpy(dtype=float) for c in SUMMARY_COLUMNS)
    if not (x > 0).any():
        raise JourneyDataError(
            f"summary: none of the {len(frame)} customers made a repeat purchase (frequency "
            "is 0 for all), so the purchase rate and drop-out cannot be estimated. Fix: a "
            "longer calibration period, or check purchase= (same-period orders are one)."
        )
    if T.max() <= 0:
        raise JourneyDataError(
            "summary: every customer has T = 0 (first purchase at the end of the data). Fix: "
            "pass an observation_end (or calibration_end) after the first purchases."
        )
    (xu, txu, Tu), w, _ = _compress(x, tx, T)
    scale = 1.0 / T.max()
    start = np.array([1.0, 1.0 / scale, 1.0, 1.0])
    scales = np.array([1.0, scale, 1.0, 1.0])
    fit = _maximize(
        bgnbd_log_likelihood,
        _bgnbd_hessian,
        (xu, txu, Tu, _levels(xu)),
        w,
        start,
        penalty=penalty,
        scale=scales,
        names=BGNBD_PARAMS,
        where="fit_bgnbd",
    )
    keep = ["customer_id", *SUMMARY_COLUMNS] if "customer_id" in frame else list(SUMMARY_COLUMNS)
    return BGNBD(
        _parameter_table(BGNBD_PARAMS, fit.theta, fit.cov, level),
        pd.DataFrame(fit.cov, index=list(BGNBD_PARAMS), columns=list(BGNBD_PARAMS)),
        frame[keep].copy(),
        fit.log_likelihood,
        fit.converged,
        fit.message,
        penalty,
        freq,
        level,
    )


# --------------------------------------------------------------------------- Gamma-Gamma


@dataclass(frozen=True, repr=False)
class GammaGamma(Result):
    """A fitted Gamma-Gamma spend model: parameters with standard errors, expected spend."""

    table: pd.DataFrame
    covariance: pd.DataFrame
    data: pd.DataFrame
    log_likelihood: float
    converged: bool
    message: str
    penalty: float
    correlation: float
    level: float
    title = "Gamma-Gamma spend model"
    first = ("parameter", "estimate", "se")

    @property
    def params(self) -> dict:
        """The estimates, ``{'p': ..., 'q': ..., 'v': ...}``."""
        return dict(zip(self.table["parameter"], self.table["estimate"].astype(float)))

    @property
    def theta(self) -> np.ndarray:
        return self.table["estimate"].to_numpy(dtype=float)

    @property
    def mean_spend(self) -> float:
        """The population mean spend per purchase, ``p v / (q - 1)`` (infinite for q <= 1)."""
        p, q, v = self.theta
        return p * v / (q - 1) if q > 1 else math.inf

    @property
    def notes(self) -> tuple[str, ...]:
        return (
            f"{len(self.data):,} repeat buyers; spend per purchase ~ gamma(p = "
            f"{self.params['p']:.3g}, nu), nu ~ gamma(q = {self.params['q']:.3g}, v = "
            f"{self.params['v']:.3g}); population mean spend {self.mean_spend:,.2f}.",
            f"maximum likelihood: {self.message}; log-likelihood {self.log_likelihood:,.2f}"
            + (f"; L2 penalty {self.penalty:g}" if self.penalty else "")
            + f"; intervals at {self.level:.0%}.",
            f"independence check: correlation of frequency and average spend "
            f"{self.correlation:.2f} (the model assumes none; a warning above "
            f"{INDEPENDENCE_LIMIT}).",
        )

    @property
    def conclusion(self) -> str:
        """The mean spend per purchase and how much a customer's own history counts."""
        p, q, _ = self.theta
        weight = p / (p + q - 1) if q > 1 else float("nan")
        text = (
            f"A purchase is worth {self.mean_spend:,.2f} on average across customers. A "
            f"customer's own average counts for {weight:.0%} of their expected spend after one "
            "repeat purchase and more with each further one; the rest comes from the "
            "population mean."
        )
        if abs(self.correlation) > INDEPENDENCE_LIMIT:
            text += (
                f" Frequency and spend are correlated ({self.correlation:.2f}), against the "
                "model's assumption: read the expected spend with care."
            )
        if not self.converged:
            text += " The fit did not converge: do not use these numbers."
        return text

    def expected_spend(self, summary=None) -> pd.Series:
        """Expected average spend per purchase of each customer given their ``frequency``
        and ``monetary_value``: ``(p (v + x m)) / (p x + q - 1)`` (Fader, Hardie & Lee
        2005b, eq. 5), a weighted mean of their own average and the population mean (which
        customers without repeat purchases get)."""
        frame = self.data if summary is None else _spend_rows(summary, where="expected_spend")
        x = frame["frequency"].to_numpy(dtype=float)
        m = np.where(x > 0, frame["monetary_value"].to_numpy(dtype=float), 0.0)
        return pd.Series(_spend(self.theta, x, m), index=frame.index, name="expected_spend")

    def plot(self, ax=None):
        """Histogram of the repeat buyers' average spend, with the model's mean."""
        ax = plots.axes(ax)
        m = self.data["monetary_value"].to_numpy(dtype=float)
        top = np.quantile(m, 0.99)
        ax.hist(m[m <= top], bins=40, color=plots.PALETTE[0], alpha=0.8, label="observed")
        if math.isfinite(self.mean_spend):
            ax.axvline(self.mean_spend, color=plots.PALETTE[1], label="model mean")
        ax.set_xlabel("average spend per repeat purchase (99% of buyers shown)")
        ax.set_ylabel("customers")
        ax.set_title("Gamma-Gamma: average spend of repeat buyers")
        ax.legend(frameon=False)
        return ax


def _spend(theta, x, m):
    p, q, v = theta
    return p * (v + x * m) / (p * x + q - 1)


def _spend_rows(summary, *, where: str, fitting: bool = False) -> pd.DataFrame:
    """Rows with a frequency and a monetary value: negative values of repeat buyers raise;
    when ``fitting``, zero values are left out with a JourneyWarning."""
    if not isinstance(summary, pd.DataFrame):
        raise JourneyDataError(
            f"summary: expected a pandas DataFrame with one row per customer; got "
            f"{type(summary).__name__}. Fix: pass journeykit.clv_summary(events)."
        )
    require(summary, ["frequency", "monetary_value"], param="summary")
    frame = summary
    if frame["monetary_value"].isna().all():
        raise JourneyDataError(
            "summary: monetary_value is missing for every customer (the events have no "
            "revenue), so there is no spend to model. Fix: pass the order value column to "
            "read_events(..., revenue='amount')."
        )
    frame = drop_missing(frame, ["frequency", "monetary_value"], where=where)
    x = frame["frequency"].to_numpy(dtype=float)
    m = frame["monetary_value"].to_numpy(dtype=float)
    bad = (x > 0) & (m < 0)
    if bad.any():
        rows = frame.loc[bad, ["frequency", "monetary_value"]].head(5)
        raise JourneyDataError(
            f"summary: {int(bad.sum())} repeat buyers have a negative monetary_value; spend "
            f"per purchase cannot be negative.\nExample rows:\n{rows.to_string()}\nFix: net "
            "refunds against their orders before the summary, or leave those customers out "
            "(e.g. summary[summary['monetary_value'] >= 0])."
        )
    zero = (x > 0) & (m == 0)
    if fitting and zero.any():
        warnings.warn(
            f"{where}: {int(zero.sum())} of {int((x > 0).sum())} repeat buyers have a "
            "monetary_value of 0 (free orders?) and were left out of the fit; the "
            "Gamma-Gamma model needs positive spend. Their expected spend is still predicted.",
            JourneyWarning,
            stacklevel=3,
        )
        frame = frame[~zero]
    return frame


def fit_gamma_gamma(summary, *, penalty: float = 0.0, level: float = 0.95) -> GammaGamma:
    """Fit the Gamma-Gamma model of average spend per purchase by maximum likelihood.

    The model (Fader, Hardie & Lee 2005b, after Colombo & Jiang 1999): the values of a
    customer's purchases are gamma distributed with shape ``p`` and a rate ``nu`` of their
    own; ``nu`` is gamma distributed over customers (shape ``q``, rate ``v``), so the
    average of ``x`` purchases has a closed-form density. It is fitted on the repeat
    buyers (``frequency > 0``; their ``monetary_value`` is the mean of their repeat
    purchases), as maximum likelihood with the analytic gradient, standard errors from the
    Hessian and the convergence check of :func:`fit_bgnbd`. ``penalty`` adds
    ``penalty * (p^2 + q^2 + v^2)`` to the mean negative log-likelihood (``lifetimes``'
    ``penalizer_coef``).

    The model assumes that spend is independent of purchase frequency: when the Pearson
    correlation of ``frequency`` and ``monetary_value`` among repeat buyers exceeds
    :data:`INDEPENDENCE_LIMIT` in size a ``JourneyWarning`` says so. A ``q`` of 1 or less
    (no finite mean spend) warns too.

    Parameters
    ----------
    summary : pandas.DataFrame
        One row per customer with ``frequency`` and ``monetary_value``
        (:func:`clv_summary`). Repeat buyers with a negative ``monetary_value``
        raise a ``JourneyDataError``, zero ones are left out with a ``JourneyWarning``;
        customers without repeat purchases are not used.
    penalty : float
        L2 penalty on the parameters (0: plain maximum likelihood).
    level : float
        Confidence level of the parameter intervals.

    Returns
    -------
    GammaGamma
        ``table`` (= ``summary``): ``parameter, estimate, se, estimate_ci_low,
        estimate_ci_high`` for ``p, q, v``; ``params``; ``mean_spend``; ``correlation``
        (frequency vs average spend); ``expected_spend()``; ``conclusion``; ``plot()``.

    References
    ----------
    .. [1] Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005b). RFM and CLV: using
       iso-value curves for customer base analysis. Journal of Marketing Research 42(4),
       415-430.
    .. [2] Fader, P. S. & Hardie, B. G. S. (2013). The Gamma-Gamma model of monetary
       value. http://brucehardie.com/notes/025/
    .. [3] Colombo, R. & Jiang, W. (1999). A stochastic RFM model. Journal of
       Interactive Marketing 13(3), 2-12.

    Examples
    --------
    >>> from lifetimes.datasets import load_cdnow_summary_data_with_monetary_value
    >>> data = load_cdnow_summary_data_with_monetary_value()
    >>> model = fit_gamma_gamma(data[data["frequency"] > 0])
    >>> model.table[["parameter", "estimate"]].round(2)
      parameter  estimate
    0         p      6.25
    1         q      3.74
    2         v     15.45
    """
    penalty = _check_penalty(penalty)
    level = check_level("level", level)
    frame = _spend_rows(summary, where="fit_gamma_gamma", fitting=True)
    frame = frame[frame["frequency"].to_numpy(dtype=float) > 0]
    if len(frame) < 2:
        raise JourneyDataError(
            f"summary: {len(frame)} repeat buyers; the Gamma-Gamma model needs several "
            "customers with frequency > 0 and a monetary_value. Fix: a longer calibration "
            "period, or check purchase= and the revenue column."
        )
    x = frame["frequency"].to_numpy(dtype=float)
    m = frame["monetary_value"].to_numpy(dtype=float)
    correlation = float(np.corrcoef(x, m)[0, 1]) if x.std() > 0 and m.std() > 0 else 0.0
    if abs(correlation) > INDEPENDENCE_LIMIT:
        warnings.warn(
            f"fit_gamma_gamma: frequency and average spend of the {len(frame):,} repeat "
            f"buyers are correlated (Pearson r = {correlation:.2f}); the Gamma-Gamma model "
            "assumes they are independent, so its expected spend (and CLV) are biased. "
            "Check by segment, or model spend per segment (clv_by) before trusting it.",
            JourneyWarning,
            stacklevel=2,
        )
    (xu, mu), w, _ = _compress(x, m)
    start = np.array([1.0, 1.0, 1.0])
    fit = _maximize(
        gamma_gamma_log_likelihood,
        _gamma_gamma_hessian,
        (xu, mu, _levels(xu)),
        w,
        start,
        penalty=penalty,
        scale=np.ones(3),
        names=GAMMA_GAMMA_PARAMS,
        where="fit_gamma_gamma",
    )
    if fit.converged and fit.theta[1] <= 1:
        warnings.warn(
            f"fit_gamma_gamma: q = {fit.theta[1]:.3g} <= 1, so the model has no finite mean "
            "spend and expected spend is not defined. Fix: a small penalty (penalty=0.01), "
            "or trim extreme order values.",
            JourneyWarning,
            stacklevel=2,
        )
    keep = ["frequency", "monetary_value"]
    keep = ["customer_id", *keep] if "customer_id" in frame else keep
    return GammaGamma(
        _parameter_table(GAMMA_GAMMA_PARAMS, fit.theta, fit.cov, level),
        pd.DataFrame(fit.cov, index=list(GAMMA_GAMMA_PARAMS), columns=list(GAMMA_GAMMA_PARAMS)),
        frame[keep].copy(),
        fit.log_likelihood,
        fit.converged,
        fit.message,
        penalty,
        correlation,
        level,
    )


# --------------------------------------------------------------------------- CLV


def _check_models(bgnbd, gamma_gamma) -> None:
    if not isinstance(bgnbd, BGNBD):
        raise JourneyDataError(
            f"bgnbd: expected a fitted BG/NBD model; got {type(bgnbd).__name__}. Fix: pass "
            "journeykit.fit_bgnbd(summary)."
        )
    if not isinstance(gamma_gamma, GammaGamma):
        raise JourneyDataError(
            f"gamma_gamma: expected a fitted Gamma-Gamma model; got "
            f"{type(gamma_gamma).__name__}. Fix: pass journeykit.fit_gamma_gamma(summary)."
        )


def check_clv_inputs(horizon, discount_rate):
    """``horizon`` (whole months, 1-1200) and ``discount_rate`` (a monthly rate in [0, 1))
    checked, as used by predict_clv, clv_by and the CLV explorer."""
    horizon = check_whole("horizon", horizon, minimum=1, maximum=1200, example=12)
    rate = check_number("discount_rate", discount_rate, what="a monthly rate", example="0.01")
    if not 0 <= rate < 1:
        raise JourneyDataError(
            f"discount_rate={discount_rate!r}: expected a monthly rate from 0 to 1; got "
            f"{rate:g}. Fix: pass e.g. discount_rate=0.01 (1% a month, about 12.7% a year)."
        )
    return horizon, rate


def _discounted_purchases(theta, x, tx, T, *, horizon, rate, month):
    """sum over months i = 1..horizon of (E[Y(i month)] - E[Y((i-1) month)]) / (1+rate)^i,
    and E[Y(horizon month)]."""
    total = np.zeros_like(np.asarray(x, dtype=float))
    before = np.zeros_like(total)
    for i in range(1, horizon + 1):
        now = _expected(theta, i * month, x, tx, T)
        total += (now - before) / (1 + rate) ** i
        before = now
    return total, before


def predict_clv(
    summary, bgnbd, gamma_gamma, *, horizon: int = 12, discount_rate: float = 0.01
) -> pd.DataFrame:
    """Per customer: P(alive), expected purchases and spend, and discounted CLV.

    With the BG/NBD model's expected purchases ``E[Y(t) | x, t_x, T]`` (Fader, Hardie &
    Lee 2005a, eq. 10) and the Gamma-Gamma expected spend per purchase ``E[M | x, m]``
    (Fader, Hardie & Lee 2005b), the discounted CLV over ``horizon`` months is

        CLV = E[M] * sum_{i=1..horizon} (E[Y(i u)] - E[Y((i-1) u)]) / (1 + d)^i

    with ``d`` the monthly ``discount_rate`` and ``u`` the periods in a month
    (:data:`PERIODS_PER_MONTH`: 30 days, 4.345 weeks, as ``lifetimes``'
    ``customer_lifetime_value``, whose numbers it reproduces): each month's expected
    purchases, valued at the expected spend, discounted to the end of the calibration.
    It is the value of future purchases only (the margin is up to you: multiply by it).

    Parameters
    ----------
    summary : pandas.DataFrame
        One row per customer (:func:`clv_summary`): ``frequency, recency, T,
        monetary_value``.
    bgnbd : BGNBD
        The fitted purchase model (:func:`fit_bgnbd`).
    gamma_gamma : GammaGamma
        The fitted spend model (:func:`fit_gamma_gamma`).
    horizon : int
        Months of future purchases counted.
    discount_rate : float
        Monthly discount rate (0.01 is 1% a month).

    Returns
    -------
    pandas.DataFrame
        The rows of ``summary`` (customers without a purchase left out) with ``p_alive``,
        ``expected_purchases`` (in the ``horizon``), ``expected_spend`` (per purchase) and
        ``clv`` added.

    References
    ----------
    .. [1] Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005a). "Counting your customers"
       the easy way: an alternative to the Pareto/NBD model. Marketing Science 24(2),
       275-284.
    .. [2] Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005b). RFM and CLV: using
       iso-value curves for customer base analysis. Journal of Marketing Research 42(4),
       415-430.

    Examples
    --------
    >>> import journeykit as jk
    >>> s = clv_summary(jk.load_cdnow(), calibration_end="1997-09-30")
    >>> bg, gg = fit_bgnbd(s), fit_gamma_gamma(s)
    >>> clv = predict_clv(s, bg, gg, horizon=12)
    >>> top = clv.sort_values("clv", ascending=False).head(2)
    >>> top[["customer_id", "frequency", "p_alive", "clv"]].round(2)
          customer_id  frequency  p_alive      clv
    7591        07592         80     0.99  7141.79
    14047       14048         70     0.96  3457.43
    """
    _check_models(bgnbd, gamma_gamma)
    horizon, rate = check_clv_inputs(horizon, discount_rate)
    frame = _check_summary(summary, (*SUMMARY_COLUMNS, "monetary_value"), where="predict_clv")
    _spend_rows(frame, where="predict_clv")
    x, tx, T = (frame[c].to_numpy(dtype=float) for c in SUMMARY_COLUMNS)
    m = np.where(x > 0, frame["monetary_value"].to_numpy(dtype=float), 0.0)
    month = PERIODS_PER_MONTH[bgnbd.freq]
    (xu, txu, Tu), _, inverse = _compress(x, tx, T)
    disc, ahead = _discounted_purchases(
        bgnbd.theta, xu, txu, Tu, horizon=horizon, rate=rate, month=month
    )
    spend = _spend(gamma_gamma.theta, x, m)
    out = frame.copy()
    out["p_alive"] = _p_alive(bgnbd.theta, x, tx, T)
    out["expected_purchases"] = ahead[inverse]
    out["expected_spend"] = spend
    out["clv"] = spend * disc[inverse]
    return out


# --------------------------------------------------------------------------- by segment


def _log_draws(theta, cov, n_boot, rng, *, what: str):
    """``n_boot`` parameter draws from the estimate's normal approximation on the log
    scale (so every draw is positive): log theta* ~ N(log theta, diag(1/theta) C diag(1/theta))."""
    if not np.all(np.isfinite(cov)):
        raise JourneyDataError(
            f"{what}: the model has no standard errors (its Hessian was not positive "
            "definite), so there is nothing to draw the intervals from. Fix: refit with a "
            "small penalty (penalty=0.001) or on more customers."
        )
    log_cov = cov / np.outer(theta, theta)
    return np.exp(rng.multivariate_normal(np.log(theta), log_cov, size=n_boot, method="eigh"))


def _by_codes(frame: pd.DataFrame, by) -> tuple[pd.DataFrame, list[str]]:
    """``frame`` with the breakdown columns of ``by`` (column names of the summary, or a
    frame of attributes with ``customer_id``), customers without a value left out."""
    if isinstance(by, pd.DataFrame):
        if "customer_id" not in by.columns or "customer_id" not in frame.columns:
            raise JourneyDataError(
                f"by: a frame of attributes needs a 'customer_id' column, and so does the "
                f"summary (by has {list(by.columns)}). Fix: pass e.g. by=customers[['customer_id', "
                "'persona']], or the name of a column of the summary."
            )
        names = [c for c in by.columns if c != "customer_id"]
        if not names:
            raise JourneyDataError(
                "by: the DataFrame holds only 'customer_id'; expected at least one attribute "
                "column. Fix: add the attributes to break down by (e.g. persona)."
            )
        clash = [n for n in names if n in frame.columns]
        if clash:
            raise JourneyDataError(
                f"by: the attribute {clash[0]!r} is also a column of the summary. Fix: rename "
                f"it (by.rename(columns={{{clash[0]!r}: '{clash[0]}_group'}})) or pass "
                f"by={clash[0]!r} to use the summary's column."
            )
        attrs = by[["customer_id", *names]].astype({"customer_id": str})
        if attrs["customer_id"].duplicated().any():
            raise JourneyDataError(
                "by: some customer_id values occur in several rows; expected one row per "
                "customer. Fix: by.drop_duplicates('customer_id', keep='last')."
            )
        frame = frame.assign(customer_id=frame["customer_id"].astype(str))
        frame = frame.merge(attrs, on="customer_id", how="left", validate="m:1")
    else:
        names = [by] if isinstance(by, str) else by
        if (
            not isinstance(names, (list, tuple))
            or not names
            or not all(isinstance(n, str) for n in names)
        ):
            raise JourneyDataError(
                f"by={by!r}: expected a column of the summary, a list of them, or a DataFrame "
                "of attributes with customer_id. Fix: pass e.g. by='channel' (from "
                "clv_summary(events, by='channel')) or by=rfm(events).customers[['customer_id', "
                "'segment']]."
            )
        names = list(names)
        absent = [n for n in names if n not in frame.columns]
        if absent:
            raise JourneyDataError(
                f"by: the summary has no column {absent[0]!r}. "
                f"{suggest(absent[0], list(frame.columns))} Fix: add it with "
                "clv_summary(events, by=...), or pass a frame of attributes with customer_id."
            )
    return drop_missing(frame, names, where="clv_by"), names


@dataclass(frozen=True, repr=False)
class CLVBy(Result):
    """Customer lifetime value per group with parametric-bootstrap intervals."""

    table: pd.DataFrame
    by: tuple[str, ...]
    horizon: int
    discount_rate: float
    n_boot: int
    level: float
    title = "Customer lifetime value by group"

    @property
    def first(self) -> tuple[str, ...]:
        return (*self.by, "n", "clv", "clv_ci_low", "clv_ci_high", "clv_total", "clv_share")

    @property
    def notes(self) -> tuple[str, ...]:
        return (
            f"clv: mean discounted value of each group's purchases in the next {self.horizon} "
            f"months (discount rate {self.discount_rate:.2%} a month; help(journeykit."
            "predict_clv) for the formula); clv_total: the group's sum; p_alive and "
            "expected_purchases: group means.",
            f"{self.level:.0%} intervals: parametric bootstrap ({self.n_boot} draws of both "
            "models' parameters from their estimated sampling distribution); they show the "
            "uncertainty of the parameters, not how much single customers vary.",
        )

    @property
    def conclusion(self) -> str:
        """The most and least valuable groups, with their share of the total value."""
        t = self.table.sort_values("clv", ascending=False)
        pct = f"{self.level:.0%}"
        best, worst = t.iloc[0], t.iloc[-1]
        worth = (
            f"{best['clv']:,.2f} on average ({pct} interval {best['clv_ci_low']:,.2f} to "
            f"{best['clv_ci_high']:,.2f})"
        )
        if len(t) == 1:  # no breakdown: one group of everyone
            return (
                f"Over the next {self.horizon} months a customer is worth {worth}; all "
                f"{int(best['n']):,} customers together {best['clv_total']:,.2f}."
            )
        name = plots.group_label(best, self.by)
        text = (
            f"Over the next {self.horizon} months a customer of {name} is worth {worth}; "
            f"together {name} holds {best['clv_share']:.0%} of the expected value with "
            f"{best['n'] / t['n'].sum():.0%} of the customers."
        )
        return text + (
            f" The least valuable group, {plots.group_label(worst, self.by)}, averages "
            f"{worst['clv']:,.2f} ({worst['p_alive']:.0%} estimated still active)."
        )

    def plot(self, ax=None):
        """Mean CLV per group with its interval (horizontal bars, most valuable on top)."""
        ax = plots.axes(ax)
        t = self.table.sort_values("clv")
        labels = plots.group_column(t, self.by)
        y = np.arange(len(t))
        err = np.vstack([t["clv"] - t["clv_ci_low"], t["clv_ci_high"] - t["clv"]])
        ax.barh(y, t["clv"], xerr=err, color=plots.PALETTE[0], capsize=3)
        ax.set_yticks(y, labels)
        ax.set_xlabel(
            f"mean CLV per customer, next {self.horizon} months ({self.level:.0%} interval)"
        )
        ax.set_title(f"Customer lifetime value by {', '.join(self.by)}")
        return ax


def clv_by(
    summary,
    bgnbd,
    gamma_gamma,
    *,
    by,
    horizon: int = 12,
    discount_rate: float = 0.01,
    n_boot: int = 200,
    level: float = 0.95,
    seed: int = 0,
) -> CLVBy:
    """Customer lifetime value per segment, persona, channel or any attribute, with
    intervals from a parametric bootstrap of the models' parameters.

    Each customer's CLV is :func:`predict_clv`'s; a group's ``clv`` is its customers'
    mean and ``clv_total`` their sum. The intervals draw ``n_boot`` parameter sets of both
    models (independently) from the normal approximation of their maximum likelihood
    estimates on the log scale (mean: the estimate; covariance: the inverse Hessian,
    transformed by the delta method), recompute the customers' CLV with each, and take
    the percentiles (Efron & Tibshirani 1993, ch. 6). In a group of more than
    :data:`BOOT_CUSTOMERS` customers each draw is evaluated on a fixed random sample of
    that many, and the draw's ratio to the estimate on the sample scales the group's
    value (a ratio estimator: parameter draws move every customer's value alike, so the
    sample's ratio is the group's to well within the interval's precision; it keeps the
    bootstrap to seconds at any size). The intervals express what the model does not know
    about the parameters, not the spread between customers.

    Parameters
    ----------
    summary : pandas.DataFrame
        One row per customer (:func:`clv_summary`).
    bgnbd : BGNBD
        The fitted purchase model (:func:`fit_bgnbd`).
    gamma_gamma : GammaGamma
        The fitted spend model (:func:`fit_gamma_gamma`).
    by : str, list of str or pandas.DataFrame
        Column(s) of the summary (e.g. ``'channel'`` from ``clv_summary(events,
        by='channel')``), or a frame with ``customer_id`` and attributes (an RFM segment:
        ``rfm(events).customers[['customer_id', 'segment']]``; a persona). Customers
        without a value are left out with a ``JourneyWarning``.
    horizon : int
        Months of future purchases counted.
    discount_rate : float
        Monthly discount rate.
    n_boot : int
        Parameter draws of the bootstrap (each recomputes every customer's CLV).
    level : float
        Confidence level of the intervals.
    seed : int
        Random seed of the draws.

    Returns
    -------
    CLVBy
        ``table``: ``[by], n, clv, clv_ci_low, clv_ci_high, clv_total, clv_total_ci_low,
        clv_total_ci_high, clv_share`` (of the total), ``expected_purchases``,
        ``p_alive``; ``conclusion``; ``plot()``.

    References
    ----------
    .. [1] Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005b). RFM and CLV: using
       iso-value curves for customer base analysis. Journal of Marketing Research 42(4),
       415-430.
    .. [2] Efron, B. & Tibshirani, R. J. (1993). An Introduction to the Bootstrap. New
       York: Chapman & Hall (the parametric bootstrap, ch. 6).

    Examples
    --------
    >>> import journeykit as jk
    >>> s = clv_summary(jk.load_cdnow(), calibration_end="1997-09-30")
    >>> bg, gg = fit_bgnbd(s), fit_gamma_gamma(s)
    >>> s["buyer"] = (s["frequency"] > 0).map({True: "repeat", False: "one-off"})
    >>> res = clv_by(s, bg, gg, by="buyer", n_boot=50)
    >>> res.table[["buyer", "n"]]
         buyer      n
    0  one-off  14119
    1   repeat   9451
    """
    _check_models(bgnbd, gamma_gamma)
    horizon, rate = check_clv_inputs(horizon, discount_rate)
    n_boot = check_whole("n_boot", n_boot, minimum=20, example=200)
    level = check_level("level", level)
    seed = check_whole("seed", seed, minimum=0, example=0)
    frame, names = _by_codes(summary, by)
    values = predict_clv(frame, bgnbd, gamma_gamma, horizon=horizon, discount_rate=rate)
    keys = values[names].astype(str) if len(names) > 1 else values[names]
    codes, groups = (
        pd.MultiIndex.from_frame(keys).factorize(sort=True)
        if len(names) > 1
        else (pd.factorize(values[names[0]], sort=True))
    )
    k = len(groups)
    x, tx, T = (values[c].to_numpy(dtype=float) for c in SUMMARY_COLUMNS)
    m = np.where(x > 0, values["monetary_value"].to_numpy(dtype=float), 0.0)
    rng = np.random.default_rng(seed)
    sample = _boot_sample(codes, k, rng)
    xs, txs, Ts, ms, cs = x[sample], tx[sample], T[sample], m[sample], codes[sample]
    (xu, txu, Tu), _, inverse = _compress(xs, txs, Ts)
    month = PERIODS_PER_MONTH[bgnbd.freq]
    point = np.bincount(cs, weights=values["clv"].to_numpy()[sample], minlength=k)
    ratios = np.empty((n_boot, k))
    # a model at the edge of its parameter space (it warned when fitted) has huge standard
    # errors: its draws overflow and the interval is NaN or unbounded, not an error
    with np.errstate(all="ignore"):
        bg_draws = _log_draws(bgnbd.theta, bgnbd.covariance.to_numpy(), n_boot, rng, what="bgnbd")
        gg_draws = _log_draws(
            gamma_gamma.theta, gamma_gamma.covariance.to_numpy(), n_boot, rng, what="gamma_gamma"
        )
        for i in range(n_boot):
            disc, _ = _discounted_purchases(
                bg_draws[i], xu, txu, Tu, horizon=horizon, rate=rate, month=month
            )
            clv = _spend(gg_draws[i], xs, ms) * disc[inverse]
            ratios[i] = np.bincount(cs, weights=clv, minlength=k) / point
        n = np.bincount(codes, minlength=k)
        total = np.bincount(codes, weights=values["clv"].to_numpy(), minlength=k)
        tail = (1 - level) / 2
        low, high = np.nanquantile(ratios, [tail, 1 - tail], axis=0) * total
    if len(names) > 1:
        table = pd.DataFrame(list(groups), columns=names)
        for name in names:  # back to the original values (the codes were made from text)
            table[name] = table[name].map(dict(zip(keys[name], values[name])))
    else:
        table = pd.DataFrame({names[0]: np.asarray(groups)})
    table["n"] = n
    table["clv"] = total / n
    table["clv_ci_low"], table["clv_ci_high"] = low / n, high / n
    table["clv_total"] = total
    table["clv_total_ci_low"], table["clv_total_ci_high"] = low, high
    table["clv_share"] = total / total.sum()
    table["expected_purchases"] = (
        np.bincount(codes, weights=values["expected_purchases"], minlength=k) / n
    )
    table["p_alive"] = np.bincount(codes, weights=values["p_alive"], minlength=k) / n
    return CLVBy(table, tuple(names), horizon, rate, n_boot, level)


def _boot_sample(codes, k, rng) -> np.ndarray:
    """Positions of the customers the bootstrap draws are evaluated on: every customer of
    a group of at most :data:`BOOT_CUSTOMERS`, a fixed random sample of that many from a
    larger one."""
    keep = []
    for g in range(k):
        members = np.flatnonzero(codes == g)
        if len(members) > BOOT_CUSTOMERS:
            members = np.sort(rng.choice(members, BOOT_CUSTOMERS, replace=False))
        keep.append(members)
    return np.concatenate(keep)


# --------------------------------------------------------------------------- holdout


@dataclass(frozen=True, repr=False)
class Holdout(Result):
    """The BG/NBD model fitted on a calibration period and checked on the holdout."""

    table: pd.DataFrame
    tracking: pd.DataFrame
    model: BGNBD
    summary_data: pd.DataFrame
    calibration_end: pd.Timestamp
    observation_end: pd.Timestamp
    freq: str
    title = "BG/NBD holdout check"
    first = ("frequency", "n", "actual", "expected")

    @property
    def totals(self) -> dict:
        """Holdout repeat purchases of all calibration customers: actual and expected."""
        return {
            "actual": float(self.summary_data["frequency_holdout"].sum()),
            "expected": float(self.summary_data["expected_holdout"].sum()),
        }

    @property
    def notes(self) -> tuple[str, ...]:
        return (
            f"calibration to {self.calibration_end:%Y-%m-%d}, holdout to "
            f"{self.observation_end:%Y-%m-%d} ({self.summary_data['duration_holdout'].iloc[0]:g}"
            f" {_period_word(self.freq)}s); {len(self.summary_data):,} customers acquired in "
            "the calibration.",
            "actual: mean repeat purchase periods in the holdout per customer with that "
            "calibration frequency; expected: the model's conditional expectation, "
            "E[Y(holdout) | frequency, recency, T] (FHL 2005a, eq. 10).",
        )

    @property
    def conclusion(self) -> str:
        """How close the model's holdout forecast comes, overall and per frequency."""
        tot = self.totals
        err = (tot["expected"] - tot["actual"]) / tot["actual"] if tot["actual"] else np.nan
        worst = self.table.assign(gap=(self.table["expected"] - self.table["actual"]).abs())
        worst = worst.sort_values("gap").iloc[-1]
        happened = (
            f"there were {tot['actual']:,.0f} ({err:+.1%})"
            if tot["actual"]
            else "there were none, so the gap cannot be given in percent"
        )
        return (
            f"Fitted on the calibration period, the model expected {tot['expected']:,.0f} "
            f"repeat purchases in the holdout; {happened}. The largest gap per calibration "
            "frequency is at "
            f"{worst['frequency']}: {worst['expected']:.2f} expected against "
            f"{worst['actual']:.2f} per customer. "
            + (
                "A forecast within about 10% overall is good enough to rank customers and "
                "value segments."
                if tot["actual"] and abs(err) <= 0.1
                else "A gap of more than 10% overall: check for seasonality, promotions or a "
                "change in the customer base between the two periods before relying on it."
            )
        )

    def plot(self, ax=None):
        """The holdout plot: mean holdout purchases, actual vs expected, by calibration
        frequency."""
        ax = plots.axes(ax)
        pos = np.arange(len(self.table))
        ax.plot(pos, self.table["actual"], "o-", color=plots.PALETTE[0], label="actual")
        ax.plot(pos, self.table["expected"], "s--", color=plots.PALETTE[1], label="BG/NBD")
        ax.set_xticks(pos, self.table["frequency"])
        ax.set_xlabel("repeat purchases in the calibration period")
        ax.set_ylabel("mean repeat purchases in the holdout")
        ax.set_title("Holdout check: actual vs expected purchases")
        ax.legend(frameon=False)
        return ax

    def plot_tracking(self, ax=None):
        """The tracking plot: cumulative repeat purchases per period, actual vs expected,
        with the end of the calibration marked."""
        ax = plots.axes(ax)
        t = self.tracking
        ax.plot(t["period"], t["actual_cumulative"], color=plots.PALETTE[0], label="actual")
        ax.plot(t["period"], t["expected_cumulative"], "--", color=plots.PALETTE[1], label="BG/NBD")
        ax.axvline(self.calibration_end, color="0.4", linestyle=":", linewidth=1)
        ax.text(self.calibration_end, ax.get_ylim()[1] * 0.95, " end of calibration", fontsize=9)
        ax.set_ylabel("cumulative repeat purchases")
        week = "week" if self.freq == "D" else _period_word(self.freq)
        ax.set_title(f"Tracking: cumulative repeat purchases per {week}")
        ax.legend(frameon=False, loc="upper left")
        return ax


def clv_holdout(
    events,
    *,
    calibration_end,
    observation_end=None,
    freq: str = "D",
    purchase="purchase",
    penalty: float = 0.0,
) -> Holdout:
    """Fit the BG/NBD model on a calibration period and compare its forecast with what the
    same customers bought in the holdout period that follows.

    The summary is :func:`clv_summary` with ``calibration_end``; the model is
    :func:`fit_bgnbd` on the calibration columns. Two checks, as in Fader, Hardie & Lee
    (2005a, figures 3 and 4):

    - **holdout plot** (``table``, ``plot()``): per calibration frequency (0 to 6, 7 or
      more pooled) the mean number of repeat purchase periods in the holdout, actual
      against the conditional expectation ``E[Y(t) | x, t_x, T]`` with ``t`` the length of
      the holdout;
    - **tracking plot** (``tracking``, ``plot_tracking()``): cumulative repeat purchases
      of the calibration's customers over the whole observation, actual against
      ``sum_c n_c E[X(s - c)]``, where ``n_c`` customers made their first purchase in
      period ``c`` and ``E[X(t)]`` is the model's expected repeat purchases ``t`` periods
      after the first (eq. 9); weekly rows for ``freq='D'``.

    Parameters
    ----------
    events : pandas.DataFrame or Ibis table
        Canonical events (:func:`journeykit.read_events`).
    calibration_end : date-like
        The last period of the calibration (see :func:`clv_summary`).
    observation_end : date-like, optional
        The last period observed (default: the last event).
    freq : str
        The period time is counted in.
    purchase : str or list of str
        The event(s) that are an order.
    penalty : float
        L2 penalty of the fit (:func:`fit_bgnbd`).

    Returns
    -------
    Holdout
        ``table``: ``frequency, n, actual, expected``; ``tracking``: ``period, actual,
        expected, actual_cumulative, expected_cumulative``; ``model`` (the
        :class:`BGNBD` fit); ``summary_data`` (the summary with ``expected_holdout``);
        ``totals``; ``conclusion``; ``plot()``, ``plot_tracking()``.

    References
    ----------
    .. [1] Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005a). "Counting your customers"
       the easy way: an alternative to the Pareto/NBD model. Marketing Science 24(2),
       275-284.

    Examples
    --------
    >>> import journeykit as jk
    >>> res = clv_holdout(jk.load_cdnow(), calibration_end="1997-09-30")
    >>> res.table[["frequency", "n"]].head(3)
      frequency      n
    0         0  14119
    1         1   4442
    2         2   2064
    """
    if calibration_end is None:
        raise JourneyDataError(
            "calibration_end=None: a holdout check needs the end of the calibration period. "
            "Fix: pass e.g. calibration_end='1997-09-30' (about two thirds of the data)."
        )
    summary = clv_summary(
        events,
        calibration_end=calibration_end,
        observation_end=observation_end,
        freq=freq,
        purchase=purchase,
    )
    model = fit_bgnbd(summary, penalty=penalty, freq=freq)
    t = _engine.as_table(events)
    cal = as_utc(calibration_end, param="calibration_end")
    end = t["timestamp"].max() if observation_end is None else None
    end = (
        _engine.to_scalar(end)
        if end is not None
        else as_utc(observation_end, param="observation_end")
    )
    cal_p, end_p = period_of(cal, freq), period_of(end, freq)
    duration = float(end_p - cal_p)
    x, tx, T = (summary[c].to_numpy(dtype=float) for c in SUMMARY_COLUMNS)
    (xu, txu, Tu), _, inverse = _compress(x, tx, T)
    expected = _expected(model.theta, duration, xu, txu, Tu)[inverse]
    data = summary.assign(expected_holdout=expected)
    bins = np.minimum(data["frequency"].to_numpy(), HOLDOUT_BINS)
    grouped = data.groupby(bins)
    labels = {i: str(i) for i in range(HOLDOUT_BINS)} | {HOLDOUT_BINS: f"{HOLDOUT_BINS}+"}
    table = pd.DataFrame(
        {
            "frequency": [labels[i] for i in grouped.size().index],
            "n": grouped.size().to_numpy(),
            "actual": grouped["frequency_holdout"].mean().to_numpy(),
            "expected": grouped["expected_holdout"].mean().to_numpy(),
        }
    )
    tracking = _tracking(t, model, purchase, freq, cal_p, end_p)
    return Holdout(table, tracking, model, data, cal, end, freq)


def _tracking(t, model, purchase, freq, cal_p, end_p) -> pd.DataFrame:
    """Cumulative repeat purchase periods of the calibration's customers per period (one
    query), actual and expected; weekly for daily periods."""
    purchases = check_events_exist(t, purchase, param="purchase")
    buys = t.filter(t["event"].isin(purchases))
    per = buys.select("customer_id", period=period_index(buys, freq)).distinct()
    per = per.filter(per["period"] <= end_p)
    firsts = per.group_by("customer_id").aggregate(first=per["period"].min())
    joined = per.join(firsts, "customer_id")
    joined = joined.filter(joined["first"] <= cal_p)
    counts = joined.group_by("period").aggregate(
        n=joined.count(), new=(joined["period"] == joined["first"]).cast("int64").sum()
    )
    counts = _engine.to_pandas(counts).sort_values("period")
    start = int(counts["period"].min())
    span = np.arange(start, end_p + 1)
    full = counts.set_index("period").reindex(span, fill_value=0)
    new = full["new"].to_numpy(dtype=float)
    actual = (full["n"] - full["new"]).to_numpy(dtype=float)
    curve = model.expected_new(np.arange(len(span), dtype=float))
    expected_cum = np.convolve(new, curve)[: len(span)]
    out = pd.DataFrame(
        {
            "period": period_start(pd.Series(span), freq).to_numpy(),
            "actual_cumulative": np.cumsum(actual),
            "expected_cumulative": expected_cum,
            "week": (span + 3) // 7,
        }
    )
    if freq == "D":  # weekly rows: the state at the end of each week
        out = out.groupby("week", sort=True).tail(1)
    out = out.drop(columns="week").reset_index(drop=True)
    out.insert(1, "actual", np.diff(out["actual_cumulative"], prepend=0.0))
    out.insert(2, "expected", np.diff(out["expected_cumulative"], prepend=0.0))
    return out
