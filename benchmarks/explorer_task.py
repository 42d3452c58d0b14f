"""funnel_explorer in a live Jupyter kernel on the bundled shop (the funnels issue asks for
updates under 300 ms). A notebook run by nbclient builds the explorer and moves its window
slider 30 times per setting, cycling through its windows (5 minutes to 90 days);
``box.seconds`` holds each update's time (the funnel,
the table and the figure). The baseline, in the same kernel: ``funnel()`` called afresh
and its figure shown through the inline backend on every change, as a plain explorer would.
"""

from __future__ import annotations

import json
import statistics

TITLE = "funnel_explorer updates in a live kernel (bundled shop)"

SETUP = """
import gc, json, time
import ibis
import ipywidgets as w
import matplotlib.pyplot as plt
from IPython.display import display
import journeykit as jk
from journeykit.widgets import NOTHING, WINDOWS, funnel_explorer

events = jk.load_webshop()
customers = jk.load_customers()[["customer_id", "persona"]]
box = funnel_explorer(events, attributes=customers)
display(box)

full_collections, started = [], []  # Python's generation-2 garbage collections

def timed(phase, info):
    if phase == "start":
        started[:] = [time.perf_counter()]
    elif info["generation"] == 2:
        full_collections.append(time.perf_counter() - started[0])

gc.callbacks.append(timed)
"""

MEASURE = """
CHANGES = [WINDOWS[i % len(WINDOWS)] for i in range(30)]  # 30 changes of the slider
out = {}

def windows(label):
    n = len(box.seconds)
    for window in CHANGES:
        box.controls["window"].value = window
    out[label] = box.seconds[n:]

windows("window, no breakdown")
box.controls["by"].value = "channel"
windows("window, by channel")
box.controls["by"].value = "persona"
windows("window, by persona")
box.controls["by"].value = NOTHING
box.controls["step_order"].value = "any"
windows("window, step_order='any'")

table, output, base = ibis.memtable(events), w.Output(), []
display(output)
steps = ["product_view", "add_to_cart", "checkout_start", "purchase"]
for window in CHANGES:
    start = time.perf_counter()
    result = jk.funnel(table, steps, window=window, by="channel")
    with output:
        output.clear_output(wait=True)
        display(result)
        figure = result.plot().figure
        display(figure)
        plt.close(figure)
    base.append(time.perf_counter() - start)
out["baseline: funnel() + inline figure, by channel"] = base
out["full garbage collections"] = full_collections
print(json.dumps(out))
"""


def measure(repeat: int) -> dict[str, list[float]]:
    """Update times per setting, pooled over ``repeat`` fresh kernels."""
    import nbclient
    import nbformat

    pooled: dict[str, list[float]] = {}
    for _ in range(repeat):
        cells = [nbformat.v4.new_code_cell(code) for code in (SETUP, MEASURE)]
        notebook = nbformat.v4.new_notebook(cells=cells)
        nbclient.NotebookClient(notebook, kernel_name="python3", timeout=900).execute()
        text = next(o["text"] for o in notebook.cells[1].outputs if o.get("name") == "stdout")
        for label, seconds in json.loads(text).items():
            pooled.setdefault(label, []).extend(seconds)
    return pooled


def describe(pooled: dict[str, list[float]], repeat: int) -> str:
    lines = [
        f"{repeat} fresh kernels x 30 window changes per setting (the explorer's own timer: "
        "funnel, table and figure).",
        "",
        "| setting | median s | 90th percentile s | updates over 0.3 s |",
        "|---|---:|---:|---:|",
    ]
    collections = pooled.pop("full garbage collections")
    for label, seconds in pooled.items():
        p90 = statistics.quantiles(seconds, n=10)[-1]
        over = sum(s > 0.3 for s in seconds)
        median = statistics.median(seconds)
        lines.append(f"| {label} | {median:.3f} | {p90:.3f} | {over} of {len(seconds)} |")
    base = statistics.median(pooled["baseline: funnel() + inline figure, by channel"])
    ours = statistics.median(pooled["window, by channel"])
    updates = sum(len(seconds) for seconds in pooled.values())
    lines += [
        "",
        f"Baseline / explorer, by channel (medians): {base / ours:.1f}x. The explorer keeps "
        "the matched attempts and the breakdown between updates and draws a lighter PNG "
        "(one draw, no constrained layout). Python's full (generation 2) garbage collections "
        f"ran {len(collections)} times in {updates} updates, "
        f"{min(collections, default=0):.2f}-{max(collections, default=0):.2f} s each; "
        "the breakdown by channel (7 groups: 28 bars and a 7-entry legend) has the costliest "
        "figure.",
        "",
        "Floor (issue): updates under 300 ms on the bundled data.",
    ]
    return "\n".join(lines)
