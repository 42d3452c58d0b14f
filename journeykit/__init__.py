"""journeykit: customer-journey analysis for Jupyter.

``import journeykit`` stays fast: journeykit's modules import only numpy and pandas at the
top; Ibis, DuckDB, SciPy, statsmodels, lifelines and matplotlib load inside the functions
that use them, on first use.
"""

from . import datasets, simulate, widgets
from .abtest import (
    ab_test,
    bayes_ab,
    experiment_units,
    mde,
    plan,
    power,
    sample_size,
    sequential_test,
    srm_test,
)
from .cli import show_versions
from .datasets import (
    ground_truth,
    load_cdnow,
    load_customers,
    load_experiment,
    load_survey,
    load_webshop,
)
from .errors import JourneyDataError, JourneyWarning
from .events import (
    STAGE_LABELS_NL,
    STAGES,
    EventSummary,
    event_summary,
    map_stages,
    read_events,
    stage_mapping,
)
from .funnels import funnel, stage_funnel, time_to_convert
from .kpis import KPIs, kpis
from .lifecycle import (
    customer_summary,
    lifecycle,
    lifecycle_over_time,
    promotion_responders,
    rfm,
    status_transitions,
)
from .nps import compare_nps, nps, nps_by_journey, nps_drivers, nps_trend
from .paths import channel_mix, sankey, sankey_data, sessionize, top_paths, transitions
from .results import Result
from .status import STATUSES
from .survival import (
    cohort_retention,
    cox,
    durations,
    repeat_purchase,
    retention_curve,
)

__version__ = "0.1.0"

__all__ = [
    "EventSummary",
    "KPIs",
    "STAGES",
    "STATUSES",
    "STAGE_LABELS_NL",
    "JourneyDataError",
    "JourneyWarning",
    "Result",
    "ab_test",
    "bayes_ab",
    "channel_mix",
    "cohort_retention",
    "compare_nps",
    "cox",
    "customer_summary",
    "datasets",
    "durations",
    "event_summary",
    "experiment_units",
    "funnel",
    "ground_truth",
    "kpis",
    "lifecycle",
    "lifecycle_over_time",
    "load_cdnow",
    "load_customers",
    "load_experiment",
    "load_survey",
    "load_webshop",
    "map_stages",
    "mde",
    "nps",
    "nps_by_journey",
    "nps_drivers",
    "nps_trend",
    "plan",
    "power",
    "promotion_responders",
    "read_events",
    "repeat_purchase",
    "retention_curve",
    "rfm",
    "sample_size",
    "sankey",
    "sankey_data",
    "sequential_test",
    "sessionize",
    "show_versions",
    "simulate",
    "srm_test",
    "stage_funnel",
    "stage_mapping",
    "status_transitions",
    "time_to_convert",
    "top_paths",
    "transitions",
    "widgets",
]
