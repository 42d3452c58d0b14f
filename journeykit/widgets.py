"""ipywidgets explorers (ipywidgets and matplotlib are imported when an explorer is built).

Each explorer calls the same tested journeykit function on every change, so what you see
is what the function returns. ``explorer.update()`` re-runs it by hand; ``explorer.seconds``
records how long each update took (function plus drawing).
"""

from __future__ import annotations

import io
import time

import pandas as pd

from . import _engine
from .checks import check_events_exist, require, require_events
from .errors import JourneyDataError
from .lifecycle import lifecycle


def _show(output, result, margins: bool) -> None:
    import matplotlib.pyplot as plt
    from IPython.display import Image, display

    with output:
        output.clear_output(wait=True)
        display(result)
        figure = result.plot().figure
        if margins:  # matplotlib's default margins: no constrained-layout pass (~40 ms)
            figure.set_layout_engine("none")
        # the PNG drawn here, not by the inline backend: its bbox_inches='tight' draws the
        # figure twice, and light compression is enough for a figure redrawn on every change
        png = io.BytesIO()
        figure.savefig(png, format="png", pil_kwargs={"compress_level": 1})
        plt.close(figure)
        display(Image(png.getvalue()))


def _inputs(events, customers):
    """Check an explorer's events and attribute frame when it is built (an update only
    prints its error), and register the events with the engine once for every update."""
    require_events(events)
    if customers is not None:
        require(customers, ["customer_id"], param="customers")
    return _engine.as_table(events)


def _breakdown(by, customers):
    """The ``by`` choice as a function argument: a column of ``customers`` becomes the frame
    (customer_id, that column); an event column or None passes through."""
    if by is not None and customers is not None and by in customers.columns:
        return customers[["customer_id", by]]
    return by


def _explorer(controls: dict, rows: list[list[str]], run, *, margins: bool = False):
    """Lay the controls out in ``rows``, call ``run(values)`` on every change and show the
    Result it returns; the box keeps ``controls``, ``result``, ``update`` and ``seconds``.
    ``margins``: draw the figure with matplotlib's default margins instead of its
    constrained layout, for figures whose labels fit them (faster updates)."""
    import ipywidgets as w

    output = w.Output()
    box = w.VBox([*[w.HBox([controls[name] for name in row]) for row in rows], output])
    box.controls, box.seconds = controls, []

    def update(*_):
        start = time.perf_counter()
        try:
            box.result = run({name: control.value for name, control in controls.items()})
        except JourneyDataError as error:  # e.g. a funnel with one step: say what to fix
            with output:
                output.clear_output(wait=True)
                print(error)
            return
        _show(output, box.result, margins)
        box.seconds.append(time.perf_counter() - start)

    for control in controls.values():
        control.observe(update, names="value")
    box.update = update
    update()
    return box


def lifecycle_explorer(events, *, customers: pd.DataFrame | None = None):
    """Explore :func:`journeykit.lifecycle` interactively.

    Controls: as-of date (end of the chosen UTC day), period, churn window, the event that
    counts as activity, and the breakdown (event columns such as ``channel``, or the columns
    of ``customers``, a frame with ``customer_id`` and attributes such as ``persona``).

    Returns the widget (display it as the last expression of a cell). Its ``update()``
    method re-runs the analysis; ``result`` holds the last :class:`Lifecycle`.
    """
    import ipywidgets as w

    table = _inputs(events, customers)
    span = _engine.to_pandas(
        table.aggregate(lo=table["timestamp"].min(), hi=table["timestamp"].max())
    )
    names = _engine.distinct(table, "event")
    by_options = [("nothing", None)]
    by_options += [(c, c) for c in ("channel", "stage") if c in table.columns]
    if customers is not None:
        by_options += [(c, c) for c in customers.columns if c != "customer_id"]
    style = {"description_width": "initial"}
    controls = {
        "as_of": w.DatePicker(description="as of", value=span["hi"].iloc[0].date(), style=style),
        "period": w.Dropdown(
            description="period", options=["7D", "30D", "90D", "180D"], value="30D"
        ),
        "churn_days": w.IntSlider(
            description="churned after (days)", min=14, max=365, step=7, value=91, style=style
        ),
        "activity": w.Dropdown(
            description="activity", options=[("any event", None)] + [(n, n) for n in names]
        ),
        "by": w.Dropdown(description="break down by", options=by_options, style=style),
    }

    def run(values):
        by = _breakdown(values["by"], customers)
        return lifecycle(
            table,
            as_of=pd.Timestamp(values["as_of"], tz="UTC") + pd.Timedelta(days=1),
            period=values["period"],
            churn_after=f"{values['churn_days']}D",
            activity=values["activity"],
            by=by,
        )

    return _explorer(controls, [["as_of", "period", "churn_days"], ["activity", "by"]], run)


def nps_explorer(survey: pd.DataFrame, *, score: str = "score", wave: str | None = "wave"):
    """Explore :func:`journeykit.nps.nps` interactively: breakdown (segment), wave, interval
    method and level (``wave=None``: a survey without waves). Returns the widget;
    ``update()``, ``result`` and ``seconds`` as in :func:`lifecycle_explorer`."""
    import ipywidgets as w

    from .nps import METHODS, nps

    require(survey, [], param="survey")
    require(survey, [score], param="score")
    if wave is not None:
        require(survey, [wave], param="wave")
    text_columns = [
        c for c in survey.columns if c not in (score, "customer_id") and survey[c].nunique() <= 50
    ]
    waves = [] if wave is None else sorted(survey[wave].dropna().unique())
    style = {"description_width": "initial"}
    controls = {
        "by": w.Dropdown(
            description="break down by",
            options=[("nothing", None)] + [(c, c) for c in text_columns],
            style=style,
        ),
        "wave": w.Dropdown(description="wave", options=[("all", None)] + [(x, x) for x in waves]),
        "method": w.Dropdown(description="interval", options=list(METHODS), value="wald"),
        "level": w.FloatSlider(description="level", min=0.8, max=0.99, step=0.01, value=0.95),
    }

    def run(values):
        chosen = survey if values["wave"] is None else survey[survey[wave] == values["wave"]]
        return nps(
            chosen,
            score=score,
            by=values["by"],
            method=values["method"],
            level=round(values["level"], 2),
        )

    return _explorer(controls, [list(controls)], run)


def power_calculator():
    """Plan an experiment interactively: baseline rate, relative effect, alpha, power,
    allocation and sidedness give the sample size per arm and the power curve
    (:func:`journeykit.abtest.plan`). Returns the widget; ``update()``, ``result`` and
    ``seconds`` as in :func:`lifecycle_explorer`."""
    import ipywidgets as w

    from .abtest import plan

    style = {"description_width": "initial"}
    controls = {
        "baseline": w.FloatSlider(
            description="baseline rate",
            min=0.005,
            max=0.6,
            step=0.005,
            value=0.10,
            readout_format=".1%",
            style=style,
        ),
        "lift": w.FloatSlider(
            description="relative effect",
            min=0.01,
            max=0.5,
            step=0.01,
            value=0.10,
            readout_format=".0%",
            style=style,
        ),
        "alpha": w.FloatSlider(
            description="alpha", min=0.005, max=0.2, step=0.005, value=0.05, readout_format=".3f"
        ),
        "power": w.FloatSlider(description="power", min=0.5, max=0.99, step=0.01, value=0.8),
        "ratio": w.FloatSlider(
            description="treatment : control", min=0.25, max=4, step=0.25, value=1.0, style=style
        ),
        "alternative": w.Dropdown(description="test", options=["two-sided", "one-sided"]),
    }

    def run(values):
        return plan(
            values["lift"],
            baseline=values["baseline"],
            relative=True,
            alpha=round(values["alpha"], 3),
            power=round(values["power"], 2),
            ratio=values["ratio"],
            alternative=values["alternative"],
        )

    return _explorer(
        controls, [["baseline", "lift", "alpha"], ["power", "ratio", "alternative"]], run
    )


def retention_explorer(events, *, customers: pd.DataFrame | None = None, start=None):
    """Explore :func:`journeykit.survival.retention_curve` interactively: the churn window,
    the grouping (event columns at first activity, or the columns of ``customers``) and the
    horizon at which survival is read. Durations are computed once per churn window and
    grouping and reused. Returns the widget; ``update()``, ``result`` and ``seconds`` as in
    :func:`lifecycle_explorer`."""
    import ipywidgets as w

    from .survival import durations, retention_curve

    table = _inputs(events, customers)
    by_options = [("nothing", None)] + [(c, c) for c in ("channel",) if c in table.columns]
    if customers is not None:
        by_options += [(c, c) for c in customers.columns if c != "customer_id"]
    style = {"description_width": "initial"}
    controls = {
        "churn_days": w.IntSlider(
            description="churned after (days)", min=14, max=365, step=7, value=91, style=style
        ),
        "by": w.Dropdown(description="compare", options=by_options),
        "horizon": w.IntSlider(
            description="horizon (days)", min=7, max=730, step=7, value=91, style=style
        ),
    }
    if start is not None:
        check_events_exist(table, start, param="start")
    cache: dict = {}

    def run(values):
        key = (values["churn_days"], values["by"])
        if key not in cache:
            by = _breakdown(values["by"], customers)
            cache[key] = durations(
                table, churn_after=f"{values['churn_days']}D", start=start, by=by
            )
        return retention_curve(cache[key], by=values["by"], horizons=(values["horizon"],))

    return _explorer(controls, [list(controls)], run)


def funnel_explorer(events, *, customers: pd.DataFrame | None = None):
    """Explore :func:`journeykit.funnel` interactively: pick the steps (in order), the
    window, strict or any order, the unit and the breakdown (event columns at the unit's
    first event, or the columns of ``customers``). Returns the widget; ``update()``,
    ``result`` and ``seconds`` as in :func:`lifecycle_explorer`. With fewer than two steps
    the widget says so instead of updating. The attempts of each choice of steps, order and
    unit, and each breakdown, are computed once and kept in memory (the last eight), so
    moving the window only credits the kept attempts again (same result as
    :func:`journeykit.funnel`)."""
    import ipywidgets as w

    from .funnels import funnel_runner

    table = _inputs(events, customers)
    funnel = funnel_runner(table)  # keeps what a new window does not change
    names = _engine.distinct(table, "event")
    default = [
        n for n in ("product_view", "add_to_cart", "checkout_start", "purchase") if n in names
    ]
    by_options = [("nothing", None)] + [(c, c) for c in ("channel",) if c in table.columns]
    if customers is not None:
        by_options += [(c, c) for c in customers.columns if c != "customer_id"]
    units = ["customer"] + (["session"] if "session_id" in table.columns else [])
    style = {"description_width": "initial"}
    controls = {
        "steps": w.TagsInput(
            value=default or names[:2], allowed_tags=names, allow_duplicates=False
        ),
        "window_days": w.IntSlider(
            description="window (days)", min=1, max=90, value=7, style=style
        ),
        "order": w.ToggleButtons(options=["strict", "any"], description="order"),
        "unit": w.Dropdown(options=units, description="unit"),
        "by": w.Dropdown(description="compare", options=by_options),
    }

    def run(values):
        by = _breakdown(values["by"], customers)
        return funnel(
            list(values["steps"]),
            window=f"{values['window_days']}D",
            order=values["order"],
            unit=values["unit"],
            by=by,
        )

    rows = [["steps"], ["window_days", "order"], ["unit", "by"]]
    return _explorer(controls, rows, run, margins=True)
