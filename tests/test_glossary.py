"""One meaning per word: every public parameter is in the glossary, with a default that fits
its meaning, and no parameter hides behind **options."""

import inspect
from pathlib import Path

import pytest

import journeykit as jk
from journeykit import glossary, widgets

ROOT = Path(__file__).resolve().parent.parent


def public_functions():
    names = [n for n in jk.__all__ if inspect.isfunction(getattr(jk, n))]
    out = [(n, getattr(jk, n)) for n in names]
    for name, fn in inspect.getmembers(widgets, inspect.isfunction):
        if fn.__module__ == widgets.__name__ and not name.startswith("_"):
            out.append((f"widgets.{name}", fn))
    return out


PARAMETERS = [
    (f"{name}({p.name})", p)
    for name, fn in public_functions()
    for p in inspect.signature(fn).parameters.values()
]


@pytest.mark.parametrize(("where", "parameter"), PARAMETERS, ids=[w for w, _ in PARAMETERS])
def test_every_parameter_has_one_meaning(where, parameter):
    assert parameter.kind not in (parameter.VAR_KEYWORD, parameter.VAR_POSITIONAL), (
        f"{where}: list every parameter in the signature (help() and tab completion)"
    )
    entry = glossary.GLOSSARY.get(parameter.name)
    assert entry is not None, f"{where}: {parameter.name!r} is not in journeykit.glossary"
    if parameter.default is not inspect.Parameter.empty:
        assert parameter.default in entry.defaults, (
            f"{where}: default {parameter.default!r} does not fit the glossary's "
            f"{parameter.name!r} ({entry.meaning}; defaults {entry.defaults})"
        )


def test_every_glossary_entry_is_used():
    used = {p.name for _, p in PARAMETERS}
    assert set(glossary.GLOSSARY) <= used, sorted(set(glossary.GLOSSARY) - used)


def test_the_glossary_document_is_current():
    assert (ROOT / "docs" / "glossary.md").read_text() == glossary.markdown()
