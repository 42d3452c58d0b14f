"""journeykit: customer-journey analysis for Jupyter.

The public API is re-exported here and loaded lazily (PEP 562), so ``import journeykit``
stays fast: Ibis, DuckDB, SciPy, statsmodels, lifelines and matplotlib load when first used.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS = {
    "read_events": "events",
    "map_stages": "events",
    "stage_mapping": "events",
    "STAGES": "events",
    "STAGE_LABELS_NL": "events",
    "JourneyDataError": "errors",
    "JourneyWarning": "errors",
    "customer_summary": "lifecycle",
    "kpis": "kpis",
    "KPIs": "kpis",
    "Result": "results",
    "show_versions": "cli",
    "load_webshop": "datasets",
    "load_customers": "datasets",
    "load_survey": "datasets",
    "load_experiment": "datasets",
    "load_cdnow": "datasets",
    "ground_truth": "datasets",
}
_SUBMODULES = ("datasets", "simulate", "plots", "events", "kpis", "lifecycle", "results")

__all__ = sorted([*_EXPORTS, *_SUBMODULES])


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'journeykit' has no attribute {name!r}")


def __dir__():
    return __all__
