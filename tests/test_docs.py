"""Every public function documents itself the numpydoc way: parameters, what it returns, a
runnable example (run by the doctests) and, for a statistical method, its references."""

import inspect

import pytest

import journeykit as jk
from journeykit import widgets

#: functions whose numbers come from a published statistical method
STATISTICAL = {
    "attribution_paths",
    "attribution",
    "clv_summary",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "predict_clv",
    "clv_by",
    "clv_holdout",
    "ab_test",
    "srm_test",
    "power",
    "sample_size",
    "mde",
    "plan",
    "sequential_test",
    "bayes_ab",
    "nps",
    "compare_nps",
    "nps_trend",
    "nps_drivers",
    "nps_by_journey",
    "retention_curve",
    "cox",
    "repeat_purchase",
    "funnel",
    "stage_funnel",
    "rfm",
    "customer_summary",
    "lifecycle_over_time",
}
NO_ARGUMENTS = {"ground_truth", "load_cdnow", "load_customers", "load_experiment"}
NO_ARGUMENTS |= {"load_survey", "load_webshop", "show_versions"}


def public_functions():
    out = {n: getattr(jk, n) for n in jk.__all__ if inspect.isfunction(getattr(jk, n))}
    for name, fn in inspect.getmembers(widgets, inspect.isfunction):
        if fn.__module__ == widgets.__name__ and not name.startswith("_"):
            out[f"widgets.{name}"] = fn
    return out


FUNCTIONS = public_functions()


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_numpydoc_sections(name):
    doc = inspect.getdoc(FUNCTIONS[name]) or ""
    sections = ["Returns", "Examples"] + ([] if name in NO_ARGUMENTS else ["Parameters"])
    sections += ["References"] if name in STATISTICAL else []
    for section in sections:
        assert f"\n{section}\n{'-' * len(section)}" in doc, f"{name}: no {section} section"


def test_statistical_list_names_public_functions():
    assert STATISTICAL <= set(FUNCTIONS)
