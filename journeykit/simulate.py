"""A Dutch web shop simulator with known ground truth (vectorised numpy, seeded).

What it models (every rate is in the module tables below and in ``truth``):

- arrivals with yearly seasonality and promotion peaks (summer sale, Black Friday week,
  December);
- two personas (price-conscious, quality seeker), B2C and B2B customers (B2B accounts have
  several stakeholders, longer consideration and larger orders);
- touchpoint channels (organic search, paid search, social, e-mail, comparison site,
  direct, referral): the acquisition channel, then channels drawn afresh for every later
  session, so journeys loop and repeat;
- stage progression awareness -> consideration -> decision (cart, checkout) -> purchase
  with persona/channel-dependent probabilities; cart and checkout abandonment; the
  payment method (iDEAL, card, PayPal, Klarna);
- after the first order, repeat purchases (a Poisson process, thinned by promotions for
  promotion-sensitive personas) and browsing visits until churn, which comes after an
  exponential lifetime with a known daily hazard; reviews and referrals (advocacy);
- a checkout A/B test: customers whose first checkout falls in the experiment window are
  randomised 50/50, the treatment raising checkout completion by a known amount;
- quarterly NPS survey waves whose scores depend on persona and on a bad experience (late
  delivery, service problem), with driver ratings.

Reference for the shape of the model: Lemon & Verhoef (2016), "Understanding Customer
Experience Throughout the Customer Journey", Journal of Marketing 80(6); churn after an
exponential lifetime with Poisson purchasing is the Pareto/NBD story of Schmittlein,
Morrison & Colombo (1987) with fixed (not gamma-mixed) rates per persona.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .checks import as_utc
from .errors import JourneyDataError

PERSONAS = ("price_conscious", "quality_seeker")
PERSONA_SHARE = np.array([0.55, 0.45])
SEGMENTS = ("B2C", "B2B")
B2B_SHARE = 0.12
CHANNELS = (
    "organic_search",
    "paid_search",
    "social",
    "email",
    "comparison_site",
    "direct",
    "referral",
)
#: P(acquisition channel | persona), rows = PERSONAS, columns = CHANNELS.
ACQUISITION = np.array(
    [
        [0.20, 0.20, 0.15, 0.05, 0.25, 0.05, 0.10],
        [0.30, 0.10, 0.15, 0.05, 0.05, 0.15, 0.20],
    ]
)
#: Channel mix of later sessions (the loops of the journey), same for everyone.
TOUCHPOINTS = np.array([0.22, 0.12, 0.12, 0.22, 0.10, 0.17, 0.05])
#: P(consideration | awareness, persona, acquisition channel).
P_CONSIDER = np.array(
    [
        [0.50, 0.45, 0.30, 0.60, 0.65, 0.55, 0.60],
        [0.60, 0.45, 0.35, 0.65, 0.55, 0.65, 0.70],
    ]
)
#: P(add to cart | consideration, persona); B2B multiplies it by B2B_DECIDE.
P_DECIDE = np.array([0.45, 0.55])
B2B_DECIDE = 0.8
P_CHECKOUT = 0.70  # P(checkout_start | cart)
#: P(purchase | checkout_start, persona) in the control arm and outside the experiment.
P_PAY = np.array([0.62, 0.72])
AB_LIFT = 0.06  # absolute increase of P_PAY in the treatment arm
AB_NAME = "checkout_redesign"
PAYMENT_METHODS = ("ideal", "card", "paypal", "klarna")
PAYMENT_SHARE = np.array([0.60, 0.15, 0.15, 0.10])
#: Daily churn hazard after the first order, rows = PERSONAS, columns = SEGMENTS.
HAZARD = np.array([[1 / 120, 1 / 240], [1 / 300, 1 / 480]])
#: Daily repeat-purchase rate while alive (outside promotions), rows PERSONAS x SEGMENTS.
REPEAT_RATE = np.array([[1 / 60, 1 / 30], [1 / 45, 1 / 25]])
#: Purchase-rate multiplier inside promotions, per persona (price-conscious respond more).
PROMO_RESPONSE = np.array([3.0, 1.2])
BROWSE_RATE = 1 / 30  # daily rate of browsing-only visits while alive
P_REVIEW = np.array([0.10, 0.20])  # per order, per persona
P_REFERRAL = np.array([0.03, 0.06])  # per order, per persona
#: log-normal order value (EUR): mu per persona, sigma, and the B2B multiplier.
ORDER_MU = np.array([3.6, 4.3])
ORDER_SIGMA = 0.5
B2B_ORDER = 4.0
#: Consideration: sessions = 1 + Poisson(mean), gaps ~ Exponential(days), per segment.
CONSIDER_SESSIONS = np.array([1.0, 3.0])
CONSIDER_GAP_DAYS = np.array([2.0, 7.0])
#: NPS: P(promoter), P(passive) per persona (rows) for a good / bad experience.
NPS_GOOD = np.array([[0.40, 0.38], [0.55, 0.30]])
NPS_BAD = np.array([[0.15, 0.30], [0.20, 0.30]])
P_BAD_EXPERIENCE = 0.2
SURVEY_RESPONSE = 0.3  # share of a quarter's active customers who answer that wave
DETRACTOR_SCORES = np.array([0.03, 0.02, 0.05, 0.08, 0.12, 0.25, 0.45])  # scores 0..6
#: How strongly each driver rating (1-5) follows the customer's score (loading).
DRIVERS = {"delivery": 0.9, "service": 0.7, "price": 0.5, "site_speed": 0.3}

#: Event -> journey stage for the simulated shop (the analyst's mapping, written down).
WEBSHOP_STAGES = {
    "page_view": "awareness",
    "product_view": "consideration",
    "add_to_cart": "decision",
    "checkout_start": "decision",
    "purchase": "purchase",
    "review": "advocacy",
    "referral": "advocacy",
}
EVENTS = ("page_view", "product_view", "add_to_cart", "checkout_start", "purchase")
EVENTS_ALL = (*EVENTS, "review", "referral")
_STAGE_CODES = ("awareness", "consideration", "decision", "purchase", "retention", "advocacy")
_US = 1_000_000
_DAY = 86_400 * _US


@dataclass(frozen=True)
class Simulation:
    """The output of :func:`webshop`: canonical frames plus the ground truth."""

    events: pd.DataFrame
    customers: pd.DataFrame
    survey: pd.DataFrame
    assignments: pd.DataFrame
    truth: dict


def promotions(start, end) -> pd.DataFrame:
    """Promotion windows between ``start`` and ``end``: summer sale (1-14 July), Black
    Friday week (Monday before Black Friday, the day after the fourth Thursday of November,
    to Cyber Monday) and December
    (1-20 December). Columns ``name``, ``start``, ``end`` (end exclusive, UTC)."""
    start, end = as_utc(start, param="start"), as_utc(end, param="end")
    rows = []
    for year in range(start.year, end.year + 1):
        thanksgiving = pd.date_range(f"{year}-11-01", f"{year}-11-30", freq="W-THU")[3]
        bf = thanksgiving + pd.Timedelta(days=1)
        rows += [
            ("summer_sale", pd.Timestamp(f"{year}-07-01"), pd.Timestamp(f"{year}-07-15")),
            ("black_friday", bf - pd.Timedelta(days=4), bf + pd.Timedelta(days=4)),
            ("december", pd.Timestamp(f"{year}-12-01"), pd.Timestamp(f"{year}-12-21")),
        ]
    out = pd.DataFrame(rows, columns=["name", "start", "end"])
    for col in ("start", "end"):
        out[col] = out[col].dt.tz_localize("UTC").astype("datetime64[us, UTC]")
    return out[(out["end"] > start) & (out["start"] <= end)].reset_index(drop=True)


def _in_promotion(times_us: np.ndarray, promos: pd.DataFrame) -> np.ndarray:
    inside = np.zeros(times_us.shape, dtype=bool)
    for s, e in zip(promos["start"], promos["end"]):
        inside |= (times_us >= s.value // 1000) & (times_us < e.value // 1000)
    return inside


def _arrival_weights(days: pd.DatetimeIndex, promos: pd.DataFrame) -> np.ndarray:
    # Seasonality peaking at the end of December, plus promotion peaks (x2.5).
    seasonal = 1 + 0.3 * np.cos(2 * np.pi * (days.dayofyear.to_numpy() - 355) / 365.25)
    promo = _in_promotion(days.as_unit("us").asi8, promos)
    return seasonal * np.where(promo, 2.5, 1.0)


def _choice_rows(rng, probs: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Vectorised categorical draw: one draw from ``probs[rows[i]]`` for every i."""
    cdf = np.cumsum(probs, axis=1)
    u = rng.random(len(rows))[:, None]
    return np.minimum((u > cdf[rows]).sum(axis=1), probs.shape[1] - 1)


def _times_in_day(rng, day_us: np.ndarray) -> np.ndarray:
    """A time of day with an evening peak (web-shop traffic), added to day starts."""
    hours = np.clip(rng.normal(17.0, 4.5, len(day_us)), 0, 23.99)
    return day_us + (hours * 3600 * _US).astype(np.int64)


def _poisson_times(rng, lo, hi, rate, cap_multiplier=None):
    """Event times of a Poisson process with ``rate`` per day on each interval [lo, hi);
    returns (interval index, time) per event.

    With ``cap_multiplier`` (max rate multiplier per owner) candidates are drawn at the
    capped rate and thinned by the caller (Lewis & Shedler 1979).
    """
    span_days = np.maximum(hi - lo, 0) / _DAY
    mult = 1.0 if cap_multiplier is None else cap_multiplier
    counts = rng.poisson(rate * mult * span_days)
    idx = np.repeat(np.arange(len(lo)), counts)
    times = lo[idx] + (rng.random(len(idx)) * (hi - lo)[idx]).astype(np.int64)
    return idx, times


def _true_tables() -> dict:
    """Exact stage conversion probabilities per persona implied by the tables."""
    consider = (ACQUISITION * P_CONSIDER).sum(axis=1)
    decide = P_DECIDE * ((1 - B2B_SHARE) + B2B_SHARE * B2B_DECIDE)
    checkout = np.full(2, P_CHECKOUT)
    reach_checkout = consider * decide * checkout
    return {
        "consider": consider,
        "decide": decide,
        "checkout": checkout,
        "reach_checkout": reach_checkout,
    }


def _truth(seed, n_customers, start, end, exp_start, exp_end, promos) -> dict:
    t = _true_tables()
    w = PERSONA_SHARE * t["reach_checkout"]
    w = w / w.sum()
    control = float((w * P_PAY).sum())
    nps = {}
    for i, p in enumerate(PERSONAS):
        good = NPS_GOOD[i, 0] - (1 - NPS_GOOD[i].sum())
        bad = NPS_BAD[i, 0] - (1 - NPS_BAD[i].sum())
        nps[p] = {
            "good": 100 * good,
            "bad": 100 * bad,
            "overall": 100 * ((1 - P_BAD_EXPERIENCE) * good + P_BAD_EXPERIENCE * bad),
            "p_promoter": float(
                (1 - P_BAD_EXPERIENCE) * NPS_GOOD[i, 0] + P_BAD_EXPERIENCE * NPS_BAD[i, 0]
            ),
            "p_detractor": float(
                (1 - P_BAD_EXPERIENCE) * (1 - NPS_GOOD[i].sum())
                + P_BAD_EXPERIENCE * (1 - NPS_BAD[i].sum())
            ),
        }
    per = {}
    for i, p in enumerate(PERSONAS):
        per[p] = {
            "consideration_given_awareness": float(t["consider"][i]),
            "decision_given_consideration": float(t["decide"][i]),
            "checkout_given_cart": float(t["checkout"][i]),
            "purchase_given_checkout": float(P_PAY[i]),
            "purchase_given_awareness": float(t["reach_checkout"][i] * P_PAY[i]),
        }
    return {
        "seed": seed,
        "n_customers": n_customers,
        "start": str(start.date()),
        "end": str(end.date()),
        "personas": dict(zip(PERSONAS, PERSONA_SHARE.tolist())),
        "b2b_share": B2B_SHARE,
        "channels": list(CHANNELS),
        "acquisition_channel": {
            p: dict(zip(CHANNELS, ACQUISITION[i].tolist())) for i, p in enumerate(PERSONAS)
        },
        "p_consider_by_channel": {
            p: dict(zip(CHANNELS, P_CONSIDER[i].tolist())) for i, p in enumerate(PERSONAS)
        },
        "stage_conversion": per,
        "stage_mapping": WEBSHOP_STAGES,
        "payment_share": dict(zip(PAYMENT_METHODS, PAYMENT_SHARE.tolist())),
        "ab_test": {
            "name": AB_NAME,
            "start": str(exp_start.date()),
            "end": str(exp_end.date()),
            "unit": "customer, at their first checkout_start inside the window",
            "metric": "purchase in the same session as the first checkout_start",
            "control_rate": {**dict(zip(PERSONAS, P_PAY.tolist())), "overall": control},
            "treatment_rate": {
                **dict(zip(PERSONAS, (P_PAY + AB_LIFT).tolist())),
                "overall": control + AB_LIFT,
            },
            "absolute_lift": AB_LIFT,
            "relative_lift": AB_LIFT / control,
        },
        "churn_hazard_per_day": {
            p: dict(zip(SEGMENTS, HAZARD[i].tolist())) for i, p in enumerate(PERSONAS)
        },
        "median_lifetime_days": {
            p: dict(zip(SEGMENTS, (np.log(2) / HAZARD[i]).tolist())) for i, p in enumerate(PERSONAS)
        },
        "hazard_ratio_quality_vs_price": dict(zip(SEGMENTS, (HAZARD[1] / HAZARD[0]).tolist())),
        "repeat_purchase_rate_per_day": {
            p: dict(zip(SEGMENTS, REPEAT_RATE[i].tolist())) for i, p in enumerate(PERSONAS)
        },
        "promotion_response": dict(zip(PERSONAS, PROMO_RESPONSE.tolist())),
        "promotions": [
            {"name": r.name, "start": str(r.start.date()), "end": str(r.end.date())}
            for r in promos.itertuples()
        ],
        "nps": nps,
        "p_bad_experience": P_BAD_EXPERIENCE,
        "nps_driver_loadings": DRIVERS,
    }


def webshop(
    n_customers: int = 30_000,
    *,
    start="2023-01-01",
    end="2024-12-31",
    seed: int = 2024,
    experiment=("2024-03-01", "2024-12-31"),
) -> Simulation:
    """Simulate a Dutch web shop's event log, customers, survey and A/B test.

    Parameters
    ----------
    n_customers : int
        Customers who arrive (each has at least one visit). About 10 events per customer.
    start, end : date-like
        The observed period (UTC days, ``end`` inclusive); events after ``end`` are cut off
        (right-censoring, as in a real export).
    seed : int
        Seed of ``numpy.random.default_rng``: the same seed gives identical output.
    experiment : (date-like, date-like)
        The window of the checkout A/B test (start inclusive, end exclusive).

    Returns
    -------
    Simulation
        ``events`` (canonical, with ``revenue``, ``channel``, ``session_id``, ``order_id``,
        ``account_id``, the true ``stage`` and ``payment_method``), ``customers`` (persona,
        segment, account, acquisition channel, true lifetime), ``survey`` (NPS waves with
        driver ratings), ``assignments`` (A/B variants) and ``truth`` (every true rate).

    Examples
    --------
    >>> sim = webshop(500, seed=1)
    >>> sorted(sim.events.columns)[:4]
    ['account_id', 'channel', 'customer_id', 'event']
    >>> round(sim.truth["ab_test"]["absolute_lift"], 2)
    0.06
    """
    if not isinstance(n_customers, (int, np.integer)) or n_customers < 1:
        raise JourneyDataError(
            f"n_customers={n_customers!r}: expected a positive whole number. "
            "Fix: e.g. n_customers=20_000."
        )
    start = as_utc(start, param="start").normalize()
    end = as_utc(end, param="end").normalize()
    if end <= start:
        raise JourneyDataError(
            f"end={end.date()} must be after start={start.date()}. Fix: pass an end date "
            "after the start date."
        )
    if not isinstance(experiment, (tuple, list)) or len(experiment) != 2:
        raise JourneyDataError(
            f"experiment={experiment!r}: expected a (start, end) pair of dates. Fix: pass e.g. "
            "experiment=('2024-03-01', '2024-12-31')."
        )
    exp_start, exp_end = (as_utc(x, param="experiment") for x in experiment)
    rng = np.random.default_rng(seed)
    promos = promotions(start, end)
    end_us = (end + pd.Timedelta(days=1)).value // 1000
    n = int(n_customers)

    # --- customers -----------------------------------------------------------------
    days = pd.date_range(start, end, freq="D")
    weights = _arrival_weights(days, promos)
    arrival_day = rng.choice(len(days), size=n, p=weights / weights.sum())
    first_visit = _times_in_day(rng, days.as_unit("us").asi8[arrival_day])
    persona = (rng.random(n) >= PERSONA_SHARE[0]).astype(np.int64)
    b2b = (rng.random(n) < B2B_SHARE).astype(np.int64)
    acq = _choice_rows(rng, ACQUISITION, persona)

    # --- first journey: awareness -> consideration -> decision -> purchase -----------
    considers = rng.random(n) < P_CONSIDER[persona, acq]
    n_consider = np.where(considers, 1 + rng.poisson(CONSIDER_SESSIONS[b2b]), 0)
    c_owner = np.repeat(np.arange(n), n_consider)
    gaps = rng.exponential(CONSIDER_GAP_DAYS[b2b[c_owner]]) * _DAY
    first_of = np.cumsum(n_consider) - n_consider
    cum = np.cumsum(gaps)
    cum -= np.repeat(
        cum[first_of[n_consider > 0]] - gaps[first_of[n_consider > 0]], n_consider[n_consider > 0]
    )
    c_start = first_visit[c_owner] + cum.astype(np.int64) + 15 * 60 * _US
    last_c = first_of[n_consider > 0] + n_consider[n_consider > 0] - 1  # index of final session
    decide_p = P_DECIDE[persona] * np.where(b2b == 1, B2B_DECIDE, 1.0)
    cart = np.zeros(len(c_owner), dtype=bool)
    owners_last = c_owner[last_c]
    cart[last_c] = rng.random(len(last_c)) < decide_p[owners_last]
    checkout = cart & (rng.random(len(c_owner)) < P_CHECKOUT)
    in_exp = checkout & (c_start >= exp_start.value // 1000) & (c_start < exp_end.value // 1000)
    treated = in_exp & (rng.random(len(c_owner)) < 0.5)
    pay_p = P_PAY[persona[c_owner]] + np.where(treated, AB_LIFT, 0.0)
    bought = checkout & (rng.random(len(c_owner)) < pay_p)

    # --- after the first order: lifetime, repeat purchases, browsing -----------------
    buyers = c_owner[bought]
    t1 = c_start[bought]
    lifetime = rng.exponential(1 / HAZARD[persona[buyers], b2b[buyers]]) * _DAY
    alive_until = np.minimum(t1 + lifetime.astype(np.int64), end_us)
    rate = REPEAT_RATE[persona[buyers], b2b[buyers]]
    cap = PROMO_RESPONSE[persona[buyers]]
    r_idx, r_time = _poisson_times(rng, t1 + _DAY, alive_until, rate, cap)
    mult = np.where(_in_promotion(r_time, promos), cap[r_idx], 1.0)
    keep = rng.random(len(r_idx)) < mult / cap[r_idx]
    r_idx, r_time = r_idx[keep], r_time[keep]
    b_idx, b_time = _poisson_times(rng, t1 + _DAY, alive_until, np.full(len(buyers), BROWSE_RATE))

    # --- sessions: one row each ------------------------------------------------------
    kinds = []  # (owner, start, channel, stage, n_pv, n_prod, cart, checkout, purchase)
    kinds.append(
        (np.arange(n), first_visit, acq, 0, 1 + rng.poisson(1.0, n), 0, False, False, False)
    )
    kinds.append(
        (
            c_owner,
            c_start,
            np.where(
                first_of[c_owner] == np.arange(len(c_owner)),
                acq[c_owner],
                _choice_rows(rng, TOUCHPOINTS[None, :], np.zeros(len(c_owner), dtype=int)),
            ),
            1,
            1,
            1 + rng.poisson(1.5, len(c_owner)),
            cart,
            checkout,
            bought,
        )
    )
    r_owner = buyers[r_idx]
    kinds.append(
        (
            r_owner,
            _times_in_day(rng, r_time - r_time % _DAY),
            _choice_rows(rng, TOUCHPOINTS[None, :], np.zeros(len(r_owner), dtype=int)),
            4,
            1,
            1 + rng.poisson(1.0, len(r_owner)),
            True,
            True,
            True,
        )
    )
    br_owner = buyers[b_idx]
    kinds.append(
        (
            br_owner,
            _times_in_day(rng, b_time - b_time % _DAY),
            _choice_rows(rng, TOUCHPOINTS[None, :], np.zeros(len(br_owner), dtype=int)),
            4,
            1,
            rng.poisson(1.0, len(br_owner)),
            False,
            False,
            False,
        )
    )
    cols = [
        np.concatenate([np.broadcast_to(np.asarray(k[j]), len(k[0])) for k in kinds])
        for j in range(9)
    ]
    s_owner, s_start, s_channel, s_stage, n_pv, n_prod, s_cart, s_checkout, s_buy = cols
    s_stage = s_stage.astype(np.int64)
    # The first purchase session is the purchase stage; repeat ones stay retention.
    s_method = _choice_rows(rng, PAYMENT_SHARE[None, :], np.zeros(len(s_owner), dtype=int))
    n_s = len(s_owner)

    # --- events: expand sessions into blocks ----------------------------------------
    counts = np.stack([n_pv, n_prod, s_cart, s_checkout, s_buy]).astype(np.int64)  # (5, n_s)
    base = np.cumsum(counts, axis=0) - counts
    ev_session, ev_code, ev_pos = [], [], []
    for code in range(5):
        c = counts[code]
        idx = np.repeat(np.arange(n_s), c)
        within = np.arange(len(idx)) - np.repeat(np.cumsum(c) - c, c)
        ev_session.append(idx)
        ev_code.append(np.full(len(idx), code))
        ev_pos.append(base[code][idx] + within)
    ev_session = np.concatenate(ev_session)
    ev_code = np.concatenate(ev_code)
    ev_pos = np.concatenate(ev_pos)
    ev_time = s_start[ev_session] + ev_pos * 60 * _US + rng.integers(0, 59 * _US, len(ev_session))
    # Stage of each event: page views in a later session stay in that session's stage.
    stage_by_code = np.array([0, 1, 2, 2, 3])
    ev_stage = np.where(s_stage[ev_session] == 4, 4, stage_by_code[ev_code])
    ev_stage = np.where((s_stage[ev_session] == 1) & (ev_code == 0), 1, ev_stage)

    # --- orders: order id, revenue, payment method ------------------------------------
    buy_sessions = np.flatnonzero(s_buy)
    order_of_session = np.full(n_s, -1)
    order_of_session[buy_sessions] = np.arange(len(buy_sessions))
    value = rng.lognormal(ORDER_MU[persona[s_owner[buy_sessions]]], ORDER_SIGMA)
    value *= np.where(b2b[s_owner[buy_sessions]] == 1, B2B_ORDER, 1.0)
    order_value = np.round(value, 2)

    # --- advocacy: reviews and referrals after orders ----------------------------------
    o_owner = s_owner[buy_sessions]
    o_time = s_start[buy_sessions]
    adv_owner, adv_time, adv_code = [], [], []
    for code, probs in ((5, P_REVIEW), (6, P_REFERRAL)):
        hit = rng.random(len(o_owner)) < probs[persona[o_owner]]
        adv_owner.append(o_owner[hit])
        adv_time.append(o_time[hit] + (rng.exponential(7.0, hit.sum()) * _DAY).astype(np.int64))
        adv_code.append(np.full(hit.sum(), code))
    adv_owner, adv_time, adv_code = (np.concatenate(x) for x in (adv_owner, adv_time, adv_code))

    owner = np.concatenate([s_owner[ev_session], adv_owner])
    time = np.concatenate([ev_time, adv_time])
    code = np.concatenate([ev_code, adv_code])
    stage = np.concatenate([ev_stage, np.full(len(adv_owner), 5)])
    session = np.concatenate([ev_session, n_s + np.arange(len(adv_owner))])
    channel = np.concatenate(
        [s_channel[ev_session], np.full(len(adv_owner), CHANNELS.index("direct"))]
    )
    is_buy = code == 4
    order = np.where(is_buy, order_of_session[np.minimum(session, n_s - 1)], -1)
    keep = time < end_us
    order_ = np.lexsort((code[keep], time[keep], owner[keep]))
    sel = np.flatnonzero(keep)[order_]

    # --- accounts (B2B: 1 + Poisson(1.5) stakeholders per account) -----------------------
    b2b_ids = np.flatnonzero(b2b)
    sizes = 1 + rng.poisson(1.5, len(b2b_ids))
    account_of = np.full(n, -1)
    account_of[b2b_ids] = np.repeat(np.arange(len(sizes)), sizes)[: len(b2b_ids)]

    cust_names = np.array([f"c{i:07d}" for i in range(n)], dtype=object)
    acct_names = np.array([f"a{i:06d}" for i in range(max(len(sizes), 1))], dtype=object)

    def names(codes, table):
        """Labels for integer codes; negative codes become missing (None)."""
        out = np.asarray(table, dtype=object)[np.maximum(codes, 0)]
        out[codes < 0] = None
        return out

    n_orders_total = len(buy_sessions)
    order_names = (
        np.array([f"o{i:08d}" for i in range(n_orders_total)], dtype=object)
        if n_orders_total
        else np.array(["o0"], dtype=object)
    )
    events = pd.DataFrame(
        {
            "customer_id": cust_names[owner[sel]],
            "timestamp": pd.to_datetime(time[sel], unit="us", utc=True).astype(
                "datetime64[us, UTC]"
            ),
            "event": names(code[sel], EVENTS_ALL),
            "revenue": np.where(is_buy[sel], order_value[np.maximum(order[sel], 0)], np.nan),
            "channel": names(channel[sel], CHANNELS),
            "session_id": names(session[sel], [f"s{i:08d}" for i in range(n_s + len(adv_owner))]),
            "order_id": names(order[sel], order_names),
            "account_id": names(account_of[owner[sel]], acct_names),
            "stage": names(stage[sel], _STAGE_CODES),
            "payment_method": names(
                np.where(
                    np.isin(code[sel], (3, 4)), s_method[np.minimum(session[sel], n_s - 1)], -1
                ),
                PAYMENT_METHODS,
            ),
        }
    )

    # --- customers: the ground truth per customer ---------------------------------------
    true_lifetime = np.full(n, np.nan)
    first_order = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(first_order, buyers, t1)
    true_lifetime[buyers] = lifetime / _DAY
    customers = pd.DataFrame(
        {
            "customer_id": cust_names,
            "persona": names(persona, PERSONAS),
            "segment": names(b2b, SEGMENTS),
            "account_id": names(account_of, acct_names),
            "acquisition_channel": names(acq, CHANNELS),
            "first_visit": pd.to_datetime(first_visit, unit="us", utc=True).astype(
                "datetime64[us, UTC]"
            ),
            "true_lifetime_days": true_lifetime,
            "churned_by_end": np.where(
                np.isnan(true_lifetime),
                np.nan,
                (first_order + np.nan_to_num(true_lifetime) * _DAY) < end_us,
            ),
        }
    )
    customers = customers[first_visit < end_us].reset_index(drop=True)

    # --- A/B assignments -------------------------------------------------------------------
    exp_sessions = np.flatnonzero(in_exp)
    exp_owner = c_owner[exp_sessions]
    first = np.unique(exp_owner, return_index=True)[1]
    exp_sessions = exp_sessions[first]
    assignments = (
        pd.DataFrame(
            {
                "customer_id": cust_names[c_owner[exp_sessions]],
                "experiment": AB_NAME,
                "variant": np.where(treated[exp_sessions], "treatment", "control"),
                "assigned_at": pd.to_datetime(
                    c_start[exp_sessions] + 2 * 60 * _US, unit="us", utc=True
                ).astype("datetime64[us, UTC]"),
                "persona": names(persona[c_owner[exp_sessions]], PERSONAS),
                "converted": bought[exp_sessions],
            }
        )
        .sort_values("assigned_at", kind="stable")
        .reset_index(drop=True)
    )

    survey = _survey(rng, events, customers, start, end)
    truth = _truth(seed, n, start, end, exp_start, exp_end, promos)
    return Simulation(events, customers, survey, assignments, truth)


def _survey(rng, events: pd.DataFrame, customers: pd.DataFrame, start, end) -> pd.DataFrame:
    """Quarterly NPS waves: a share of each quarter's active customers answers once, at the
    end of the quarter; scores depend on persona and on a bad experience."""
    quarter = events["timestamp"].dt.tz_localize(None).dt.to_period("Q")
    active = pd.DataFrame({"customer_id": events["customer_id"], "wave": quarter}).drop_duplicates()
    active = active[rng.random(len(active)) < SURVEY_RESPONSE].reset_index(drop=True)
    persona = active["customer_id"].map(customers.set_index("customer_id")["persona"])
    p_idx = (persona == PERSONAS[1]).to_numpy().astype(int)
    bad = rng.random(len(active)) < P_BAD_EXPERIENCE
    table = np.where(bad[:, None], NPS_BAD[p_idx], NPS_GOOD[p_idx])
    probs = np.column_stack([table, 1 - table.sum(axis=1)])  # promoter, passive, detractor
    category = _choice_rows(rng, probs, np.arange(len(active)))
    detractor = rng.choice(7, size=len(active), p=DETRACTOR_SCORES)
    score = np.select(
        [category == 0, category == 1],
        [9 + (rng.random(len(active)) < 0.4), 7 + (rng.random(len(active)) < 0.5)],
        detractor,
    )
    wave_end = active["wave"].dt.end_time.dt.normalize()
    answered = wave_end.dt.tz_localize("UTC") - pd.to_timedelta(
        rng.integers(0, 14 * 24, len(active)), unit="h"
    )
    out = pd.DataFrame(
        {
            "customer_id": active["customer_id"],
            "date": answered.astype("datetime64[us, UTC]"),
            "wave": active["wave"].astype(str),
            "score": score.astype(np.int64),
            "persona": persona.to_numpy(),
        }
    )
    z = (score - 5.0) / 3.0
    for name, loading in DRIVERS.items():
        shift = np.where(bad & (name == "delivery"), -1.0, 0.0)
        rating = 3 + loading * 1.5 * z + shift + rng.normal(0, 0.7, len(out))
        out[name] = np.clip(np.rint(rating), 1, 5).astype(np.int64)
    out = out[(out["date"] >= start) & (out["date"] <= end + pd.Timedelta(days=1))]
    return out.sort_values(["date", "customer_id"], kind="stable").reset_index(drop=True)
