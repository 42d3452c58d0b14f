"""Reports: a notebook executed and saved as HTML shows every figure (static plots as
images, the Sankey as an interactive figure, explorers as images of their starting state),
even when the caller's environment sets MPLBACKEND=Agg."""

import nbformat

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
