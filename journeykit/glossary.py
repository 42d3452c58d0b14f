"""The glossary: one meaning per word, across the whole public API.

Every parameter of every public function has an entry here (``tests/test_glossary.py``
walks the signatures and fails on a name that is missing, or whose default does not fit
its meaning). ``help(journeykit.glossary)`` or :func:`markdown` shows it.

Output vocabulary (the columns of every result table):

- ``n``: the units (customers, sessions, accounts, answers) counted in the row; other
  counts are ``n_<what>`` (``n_events``, ``n_orders``, ``n_buyers``);
- a share or rate is a fraction 0-1 named by what it measures (``conversion``,
  ``step_conversion``, ``churn``, ``retention``, ``repeat_purchase``, ``share``), never with
  a ``_rate`` suffix;
- an interval is ``<stat>_ci_low`` and ``<stat>_ci_high``, at the function's ``level``
  (or ``1 - alpha`` for tests);
- a test gives ``statistic``, ``dof`` (degrees of freedom), ``p_value`` and, when several
  are adjusted, ``p_adjusted``; differences are ``diff`` (absolute) and ``lift``
  (relative);
- elapsed time is in days (float) in columns ending in ``_days``; ``duration`` (the input
  of survival analysis) and ``recency`` and ``T`` (of CLV models) are days too;
- ``period`` and ``cohort`` are the UTC start of a calendar period (``freq``);
- ``by`` columns are kept as columns, under the names given.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The value of ``defaults`` for a parameter that has none (it must be given).
REQUIRED = "required"


@dataclass(frozen=True)
class Entry:
    """One shared name: what it means, the type of its values, and its defaults (a
    function may choose among these; most have one)."""

    meaning: str
    kind: str
    defaults: tuple = (REQUIRED,)


def _e(meaning: str, kind: str, *defaults) -> Entry:
    return Entry(meaning, kind, defaults or (REQUIRED,))


GLOSSARY: dict[str, Entry] = {
    # ---------------------------------------------------------------- data
    "events": _e("canonical events from read_events (a DataFrame or a lazy table)", "table"),
    "source": _e("what read_events reads: a DataFrame, a file path or glob, an Ibis table", "any"),
    "survey": _e("NPS answers, one row per answer (or a list of 0-10 scores)", "DataFrame"),
    "units": _e("one row per experiment unit with its variant and metrics", "DataFrame"),
    "durations": _e(
        "one row per customer from durations(): duration (days), observed", "DataFrame"
    ),
    "assignments": _e("experiment assignments: unit id, variant, assignment time", "DataFrame"),
    "counts": _e("units per variant (a Series, dict or list)", "counts"),
    "a": _e("the first of two surveys to compare", "DataFrame"),
    "b": _e("the second of two surveys to compare", "DataFrame"),
    "promotions": _e(
        "promotion windows: a frame with start and end, or (name, start, end)", "table"
    ),
    "attributes": _e(
        "customer attributes: a frame with customer_id and one column each", "DataFrame", None
    ),
    # ---------------------------------------------------------------- read_events columns
    "customer": _e(
        "the column holding the customer id (None: the table has none, e.g. an anonymous survey)",
        "column",
        "customer_id",
        None,
    ),
    "time": _e(
        "the column holding each row's time", "column", "timestamp", "date", "assigned_at", None
    ),
    "event": _e(
        "read_events: the column holding the event name (None: a transaction log)",
        "column",
        "event",
    ),
    "event_name": _e("read_events: the name every row gets when event=None", "str", "purchase"),
    "revenue": _e("read_events: the column holding the order value", "column", None),
    "channel": _e("the column holding the marketing channel", "column", None, "channel"),
    "session": _e("read_events: the column holding the session id", "column", None),
    "order": _e("read_events: the column holding the order id", "column", None),
    "account": _e("read_events: the column holding the B2B account id", "column", None),
    "tz": _e("IANA zone in which naive times were recorded", "str", "UTC"),
    "time_unit": _e("unit of epoch-number times: s, ms, us, ns (None: detected)", "str", None),
    "time_format": _e("strftime format of times that are not ISO 8601", "str", None),
    "duplicates": _e("exact duplicate rows: warn, drop, raise or keep", "choice", "warn"),
    "decimal": _e("decimal mark of amounts written as text: '.' or ','", "choice", "."),
    # ---------------------------------------------------------------- other columns
    "score": _e("the column holding the 0-10 answer", "column", "score"),
    "variant": _e("the column holding each unit's variant", "column", "variant"),
    "metric": _e("the column holding the outcome of each unit", "column", "converted"),
    "covariate": _e("the pre-experiment column used by CUPED (None: none)", "column", None),
    "denominator": _e("the column dividing a ratio metric (None: not a ratio)", "column", None),
    "duration": _e("the column holding each customer's duration in days", "column", "duration"),
    "observed": _e("the column saying whether the end (churn) was observed", "column", "observed"),
    "wave": _e("the column naming each survey wave (None: no waves)", "column", "wave", None),
    "unit_id": _e(
        "the column of assignments holding the unit's customer id", "column", "customer_id"
    ),
    "weights": _e(
        "survey weights: a column name or one weight per answer (None: equal)", "column", None
    ),
    "covariates": _e("the columns of a model's covariates", "columns"),
    "strata": _e("the columns to stratify a Cox model by (None: none)", "columns", None),
    "drivers": _e("the rating columns that may drive the score", "columns"),
    "states": _e(
        "the column whose values are the journey states: event, stage or channel", "column", "event"
    ),
    "per": _e("the column whose each event's own value a mix is computed for", "column", "stage"),
    "by": _e(
        "breakdown: event column(s) (their value at the unit's first activity) or a frame of "
        "attributes with the unit's id (None: no breakdown)",
        "column or DataFrame",
        None,
    ),
    # ---------------------------------------------------------------- event names
    "purchase": _e("the event(s) that are an order", "events", "purchase"),
    "cart": _e(
        "the event(s) that put a product in the cart (None: no cart event)",
        "events",
        "add_to_cart",
    ),
    "activity": _e("the event(s) that count as activity (None: every event)", "events", None),
    "conversion": _e("the event(s) that count as a conversion (a goal)", "events", "purchase"),
    "start_event": _e(
        "the event that starts a customer's clock (None: first activity)", "events", None
    ),
    "return_event": _e(
        "the event(s) that count as coming back in cohort retention (None: activity)",
        "events",
        None,
    ),
    "end_event": _e(
        "the event that ends a contract (None: the churn window decides)", "events", None
    ),
    "steps": _e(
        "funnel steps in order: event names, sets of names, or stages", "steps", REQUIRED, None
    ),
    "exclude": _e(
        "events that void an attempt between two steps: {event: [i, j]}, [[event, i, j]] or "
        "names (None: none)",
        "dict",
        None,
    ),
    "from_step": _e("the step time to convert is measured from", "events"),
    "to_step": _e("the step time to convert is measured to", "events"),
    "starting_with": _e("only paths that start with these states (None: all)", "events", None),
    "ending_with": _e("only paths that end with these states (None: all)", "events", None),
    "stages": _e(
        "the event -> stage mapping ({event: stage} or {stage: [events]}; None: the data's "
        "stage column; {}: no stages)",
        "dict",
        REQUIRED,
        None,
    ),
    "unmapped": _e("events a stage mapping does not name: raise, drop or keep", "choice", "raise"),
    # ---------------------------------------------------------------- units and shapes
    "unit": _e("the unit of analysis: customer, session or account", "choice", "customer"),
    "mode": _e(
        "cohort retention: bounded (a return in age k) or unbounded (in age k or later)",
        "choice",
        "bounded",
    ),
    "calendar": _e(
        "cohort ages in calendar periods (True) or rolling periods from each start (False)",
        "bool",
        True,
    ),
    "open_windows": _e(
        "funnel_trend: leave attempts whose window is still open out of the rate, or include",
        "choice",
        "exclude",
    ),
    "step_order": _e("how funnel steps must follow: strict (in order) or any", "choice", "strict"),
    "value": _e(
        "what is valued: cohort retention counts customers or revenue; attribution_paths sums "
        "this column per conversion (None: no value)",
        "choice or column",
        "customers",
        "revenue",
        None,
    ),
    "paths": _e(
        "a path table: attribution_paths(), or ChannelAttribution's path, total_conversions, "
        "total_null (total_conversion_value)",
        "table",
    ),
    "lookback": _e(
        "how far back from a conversion touchpoints are credited (a duration)", "duration", "30D"
    ),
    "models": _e(
        "attribution models: first_touch, last_touch, last_non_direct, linear, position_based, "
        "time_decay, markov, shapley",
        "choices",
        (
            "first_touch",
            "last_touch",
            "last_non_direct",
            "linear",
            "position_based",
            "time_decay",
            "markov",
            "shapley",
        ),
    ),
    "markov_order": _e("how many last channels a Markov chain's state remembers (1-3)", "int", 1),
    "direct": _e("the channel last_non_direct passes over", "str", "direct"),
    "kind": _e("the kind of A/B metric: auto, proportion, mean or ratio", "choice", "auto"),
    "collapse_repeats": _e("count a state repeated in a row once", "bool", True),
    "add_start_end": _e("add the start and end states to transitions", "bool", True),
    "times": _e(
        "add the quartiles of the time between a transition's two events (days)", "bool", False
    ),
    # ---------------------------------------------------------------- durations (with a unit)
    "window": _e(
        "the conversion window after the first step (a duration)", "duration", "30D", "14D", "7D"
    ),
    "period": _e(
        "the window in which a customer counts as active now (a duration)", "duration", "30D"
    ),
    "churn_after": _e(
        "silence after which a customer counts as churned (a duration)", "duration", "90D"
    ),
    "gap": _e("inactivity that ends a session (a duration)", "duration", "30min"),
    "pre_window": _e(
        "the window before assignment for covariates (None: window)", "duration", None
    ),
    # ---------------------------------------------------------------- dates
    "as_of": _e("the date results describe (None: the last event)", "date", None),
    "start": _e("the first date included (None: the data's first)", "date", REQUIRED, None),
    "end": _e(
        "the date results stop at, exclusive (None: the data's last)", "date", REQUIRED, None
    ),
    "freq": _e("calendar period: D, W, M, Q or Y", "choice", "M", "Q", "D", "W", None),
    # ---------------------------------------------------------------- statistics
    "level": _e("confidence (or credible) level of intervals", "float", 0.95),
    "alpha": _e("significance level of a test; its intervals are at 1 - alpha", "float", 0.05),
    "power": _e("the chance to detect the effect (a design target)", "float", 0.8),
    "alternative": _e(
        "the test's alternative: two-sided, larger or smaller", "choice", "two-sided"
    ),
    "adjust": _e("multiple-comparison adjustment: holm, bh, bonferroni or none", "choice", "holm"),
    "method": _e("the A/B test (None: chosen by the metric's kind)", "choice", None),
    "interval": _e("how intervals are computed", "choice", "newcombe", "adjusted_wald"),
    "expected": _e("the planned split, shares per variant (None: equal)", "shares", None),
    "control": _e("the control variant (None: the first in sort order)", "str", None),
    "n_boot": _e("bootstrap resamples", "int", 9999, 2000, 200),
    "seed": _e("random seed (same seed, same result)", "int", 0),
    "draws": _e("posterior draws", "int", 200_000),
    "prior": _e("Beta prior (a, b) of a conversion rate", "pair", (1.0, 1.0)),
    "tau": _e("mixing scale of the sequential test (None: chosen from the data)", "float", None),
    "looks": _e("times the sequential test is read", "int", 20),
    "first_look": _e("units before the sequential test is first read", "int", 100),
    "min_n": _e(
        "groups with fewer units are suppressed in shared output (None: none)", "int", None, 10
    ),
    # ---------------------------------------------------------------- lifetime value
    "summary": _e(
        "one row per customer from clv_summary(): frequency, recency, T, monetary_value",
        "DataFrame",
    ),
    "calibration_end": _e(
        "the last period of a CLV calibration; later purchases are the holdout (None: no holdout)",
        "date",
        None,
    ),
    "observation_end": _e(
        "the last period observed; later events are ignored (None: the last event)", "date", None
    ),
    "penalty": _e("L2 penalty on a model's parameters (0: plain maximum likelihood)", "float", 0.0),
    "bgnbd": _e("a fitted BG/NBD purchase model (fit_bgnbd)", "model"),
    "gamma_gamma": _e("a fitted Gamma-Gamma spend model (fit_gamma_gamma)", "model"),
    "horizon": _e("months of future purchases a CLV counts", "int", 12),
    "discount_rate": _e("monthly discount rate of a CLV", "float", 0.01),
    # ---------------------------------------------------------------- privacy
    "key": _e("the secret of keyed pseudonyms (HMAC-SHA256); keep it outside the notebook", "str"),
    "columns": _e("the id columns to pseudonymize", "columns", ("customer_id",)),
    "table": _e("a result table with count columns (n, n_*)", "DataFrame"),
    "keep": _e("how far back events are kept: months ('24M') or years ('2Y')", "str", "24M"),
    "effect": _e(
        "the effect to design for (absolute, or relative with relative=True)",
        "float",
        REQUIRED,
        0.1,
    ),
    "n": _e("units per arm of an experiment", "int"),
    "baseline": _e("the control's conversion rate (proportions)", "float", None, 0.1),
    "sd": _e("the outcome's standard deviation (means)", "float", None),
    "ratio": _e("treatment units per control unit", "float", 1.0),
    "relative": _e("effect as a share of the baseline", "bool", False),
    # ---------------------------------------------------------------- sizes
    "top": _e("rows to show (the most frequent first)", "int", 20),
    "max_steps": _e("states a path follows at most", "int", 6, 5, 10),
    "bins": _e("score bins of RFM (quantiles)", "int", 5),
    "horizons": _e("days at which survival is read", "days", (30, 90, 180, 365)),
    "min_share": _e("share of purchases in promotions that makes a responder", "float", 0.5),
    "min_purchases": _e("purchases a customer needs to be judged", "int", 2),
}


def markdown() -> str:
    """The glossary as a Markdown table (``docs/glossary.md``)."""
    rows = ["| name | meaning | type | default |", "|---|---|---|---|"]
    for name, entry in GLOSSARY.items():
        defaults = ", ".join("(none)" if d == REQUIRED else repr(d) for d in entry.defaults)
        rows.append(f"| `{name}` | {entry.meaning} | {entry.kind} | {defaults} |")
    return "\n".join(
        ["# journeykit glossary", "", __doc__.split("\n\n", 2)[2].strip(), "", *rows, ""]
    )
