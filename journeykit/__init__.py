"""journeykit: customer-journey analysis for Jupyter.

``import journeykit`` stays fast: journeykit's modules import only numpy and pandas at the
top; Ibis, DuckDB, SciPy, statsmodels, lifelines and matplotlib load inside the functions
that use them, on first use.
"""

from . import datasets, ga4, privacy, simulate, tables, templates, widgets
from .abtest import SRM, ABTest, ab_test, experiment_units, srm_test
from .attribution import Attribution, AttributionPaths, attribution, attribution_paths
from .bayes import Bayes, bayes_ab
from .cli import show_versions
from .datasets import (
    ground_truth,
    load_cdnow,
    load_customers,
    load_experiment,
    load_survey,
    load_webshop,
)
from .design import Plan, mde, plan, power, sample_size
from .errors import JourneyDataError, JourneyWarning, install_warning_format
from .events import (
    STAGE_LABELS_NL,
    STAGES,
    EventSummary,
    event_summary,
    map_stages,
    read_events,
    stage_mapping,
)
from .funnels import (
    Funnel,
    FunnelTrend,
    TimeToConvert,
    funnel,
    funnel_trend,
    stage_funnel,
    time_to_convert,
)
from .kpis import KPIs, kpis
from .lifecycle import (
    RFM,
    Lifecycle,
    LifecycleOverTime,
    PromotionResponders,
    StatusTransitions,
    customer_summary,
    lifecycle,
    lifecycle_over_time,
    promotion_responders,
    rfm,
    status_transitions,
)
from .nps import NPS, Drivers, NPSTrend, compare_nps, nps, nps_by_journey, nps_drivers, nps_trend
from .paths import (
    ChannelMix,
    SankeyData,
    StepMatrix,
    TopPaths,
    Transitions,
    channel_mix,
    sankey,
    sankey_data,
    sessionize,
    step_matrix,
    top_paths,
    transitions,
)
from .privacy import limit_retention, pseudonymize, suppress_small
from .results import Result
from .sequential import Sequential, sequential_test
from .status import STATUSES
from .stickiness import Stickiness, stickiness
from .survival import (
    CohortRetention,
    Cox,
    RepeatPurchase,
    RetentionCurve,
    cohort_retention,
    cox,
    durations,
    repeat_purchase,
    retention_curve,
)
from .tables import read_attributes, read_survey, read_units

__version__ = "0.1.0"

install_warning_format()

#: Names of the lifetime-value module, imported on first use (PEP 562): it costs about
#: 20 ms of ``import journeykit``, which most notebooks never use. (Attribution is imported
#: with the package: its function shares the module's name, and a lazy import could leave
#: ``journeykit.attribution`` bound to the module.)
LAZY = {
    "clv": (
        "BGNBD",
        "CLVBy",
        "GammaGamma",
        "Holdout",
        "clv_by",
        "clv_holdout",
        "clv_summary",
        "fit_bgnbd",
        "fit_gamma_gamma",
        "predict_clv",
    ),
}


def __getattr__(name: str):
    for module, names in LAZY.items():
        if name in names:
            import importlib

            loaded = importlib.import_module(f".{module}", __name__)
            globals().update({n: getattr(loaded, n) for n in names})
            return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Attribution",
    "AttributionPaths",
    "attribution",
    "attribution_paths",
    "BGNBD",
    "CLVBy",
    "GammaGamma",
    "Holdout",
    "clv_by",
    "clv_holdout",
    "clv_summary",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "predict_clv",
    "ABTest",
    "Bayes",
    "CohortRetention",
    "Cox",
    "Drivers",
    "ChannelMix",
    "EventSummary",
    "Funnel",
    "KPIs",
    "Lifecycle",
    "LifecycleOverTime",
    "PromotionResponders",
    "RFM",
    "SankeyData",
    "StatusTransitions",
    "StepMatrix",
    "TimeToConvert",
    "TopPaths",
    "Transitions",
    "NPS",
    "NPSTrend",
    "Plan",
    "RepeatPurchase",
    "RetentionCurve",
    "SRM",
    "Sequential",
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
    "ga4",
    "privacy",
    "durations",
    "event_summary",
    "experiment_units",
    "funnel",
    "funnel_trend",
    "FunnelTrend",
    "ground_truth",
    "kpis",
    "limit_retention",
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
    "pseudonymize",
    "read_attributes",
    "read_events",
    "read_survey",
    "read_units",
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
    "tables",
    "templates",
    "srm_test",
    "stickiness",
    "Stickiness",
    "stage_funnel",
    "stage_mapping",
    "suppress_small",
    "status_transitions",
    "step_matrix",
    "time_to_convert",
    "top_paths",
    "transitions",
    "widgets",
]
