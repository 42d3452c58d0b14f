"""Reports: a notebook executed and saved as HTML shows every figure (static plots as
images, the Sankey as an interactive figure, explorers as images of their starting state),
even when the caller's environment sets MPLBACKEND=Agg."""

import nbformat
import pandas as pd

from journeykit import templates

CELLS = [
    "import journeykit as jk\nevents = jk.load_webshop()",
    "jk.funnel(events, ['product_view', 'purchase']).plot();",
    "jk.sankey(events, max_steps=3)",
    "jk.widgets.power_calculator(baseline=0.3)",
]


def test_report_shows_plots_sankey_and_explorer_snapshots(tmp_path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")  # as a test set-up or an old Makefile would
    kernel = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": kernel})
    nb.cells = [nbformat.v4.new_code_cell(c) for c in CELLS]
    source = tmp_path / "report.ipynb"
    nbformat.write(nb, source)
    html = templates.run(source, out=tmp_path / "out")["html"].read_text()
    assert html.count("data:image/png;base64") >= 2  # the funnel plot and the explorer
    assert "js-plotly-plot" in html or "Plotly.newPlot" in html  # the Sankey, interactive
    assert "An explorer, shown at its starting values" in html
    assert "VBox(" not in html and "<Figure size" not in html  # no text fallbacks
    assert "Experiment plan" in html  # the explorer's table


def _printed(notebook) -> str:
    """Everything an executed notebook printed (its stream outputs)."""
    cells = nbformat.read(notebook, as_version=4).cells
    return "".join(o.get("text", "") for c in cells for o in c.get("outputs", []))


def test_templates_on_a_log_ending_early_in_a_month_without_stages_or_attributes(tmp_path):
    """A foreign export (integer ids, other column names, no stages, revenue or attributes)
    ending on 5 January: the quickstart's headline is about December, the last complete
    month, and says why; its period plot is drawn from the commerce counts; the retention
    notebook names the missing COVARIATES once, never as breakdowns."""
    days = pd.date_range("2024-10-01", "2025-01-05", freq="D")
    rows = [
        (100 + (i * 7 + k) % 40, f"{day:%Y-%m-%d} {10 + k}:00", "buy" if k == 0 else "look")
        for i, day in enumerate(days)
        for k in range(3)
    ]
    data = tmp_path / "log.csv"
    pd.DataFrame(rows, columns=["who", "at", "what"]).to_csv(data, index=False)
    common = {
        "DATA_PATH": str(data),
        "COLUMNS": {"customer": "who", "time": "at", "event": "what"},
        "PURCHASE": "buy",
        "BREAKDOWNS": [],
    }
    quick = templates.run("00", params=common | {"CART": None}, out=tmp_path / "out")
    text = _printed(quick["notebook"])
    assert "The last period (from 2025-01-01) is incomplete: the data end on 2025-01-05" in text
    assert "In 2024-12, " in text and "In 2025-01" not in text
    assert "needs journey stages (for the customers per stage and period" in text
    html = quick["html"].read_text()
    assert html.count("data:image/png;base64") >= 2  # the event overview and the counts

    survival = templates.run("04", params=common | {"START": "buy"}, out=tmp_path / "out")
    text = _printed(survival["notebook"])
    assert "breakdown by" not in text
    assert text.count("COVARIATES columns 'persona', 'segment', 'acquisition_channel'") == 1
