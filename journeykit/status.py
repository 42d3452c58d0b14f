"""The lifecycle status rule: new, returning, reactivated, lapsing or churned (used by
:func:`journeykit.lifecycle`, :func:`journeykit.status_transitions` and
:func:`journeykit.nps_by_journey`, so the words mean the same everywhere)."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Lifecycle statuses of :func:`lifecycle`, in display order.
STATUSES = ("new", "returning", "reactivated", "lapsing", "churned")


def classify(out: pd.DataFrame, *, as_of, start, churn_after) -> pd.Categorical:
    """The status of each unit (row of ``out``) at ``as_of`` for the period
    (``start``, ``as_of``], from its ``first_seen``, ``last_seen``, its first activity in
    the period (``first_in_period``, missing when none) and its last activity before the
    period (``last_before``):

    - ``new``: first seen in the period;
    - ``returning``: active in the period, and its previous activity was less than
      ``churn_after`` before that;
    - ``reactivated``: active in the period after a gap of ``churn_after`` or more;
    - ``lapsing``: not active in the period, last seen less than ``churn_after`` ago;
    - ``churned``: not active for ``churn_after`` or more.
    """
    active = out["first_in_period"].notna()
    gap = out["first_in_period"] - out["last_before"]
    codes = np.select(
        [
            out["first_seen"] > start,
            active & (gap < churn_after),
            active,
            as_of - out["last_seen"] < churn_after,
        ],
        [0, 1, 2, 3],
        4,
    )
    return pd.Categorical.from_codes(codes, categories=STATUSES)  # codes index STATUSES
