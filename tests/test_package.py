"""Package-level promises: lazy imports, public API, CLI, notebooks stored clean."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

import journeykit
from journeykit import cli

ROOT = Path(__file__).resolve().parent.parent
HEAVY = (
    "ibis",
    "duckdb",
    "scipy",
    "statsmodels",
    "lifelines",
    "matplotlib",
    "ipywidgets",
    "pyspark",
    "plotly",
)  # pyarrow: pandas imports it


def test_import_loads_no_heavy_library():
    code = (
        "import sys, journeykit; from journeykit import read_events, kpis, customer_summary; "
        f"print([m for m in {HEAVY!r} if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_public_name_resolves():
    for name in journeykit.__all__:
        assert getattr(journeykit, name) is not None
    with pytest.raises(AttributeError, match="nope"):
        journeykit.nope  # noqa: B018


def test_cli_versions(capsys):
    assert cli.main(["versions"]) == 0
    assert "journeykit" in capsys.readouterr().out


NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert NOTEBOOKS


def stored(path: Path) -> str:
    """The notebook as git stores it (the index, after the nbstripout clean filter), which
    is what a clone gets: a notebook saved from Lab may hold outputs in the working tree."""
    relative = path.relative_to(ROOT).as_posix()
    out = subprocess.run(["git", "show", f":{relative}"], cwd=ROOT, capture_output=True, text=True)
    return out.stdout if out.returncode == 0 else path.read_text()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_stored_without_outputs_and_follows_the_template(path):
    nb = json.loads(stored(path))
    cells = nb["cells"]
    assert all(not c.get("outputs") and not c.get("execution_count") for c in cells)
    tagged = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters' (papermill)"
    assert cells[0]["cell_type"] == "markdown" and cells[0]["source"][0].startswith("# ")
    assert "show_versions" in "".join(cells[-1]["source"])
    assert "read_events" in "".join("".join(c["source"]) for c in cells)
