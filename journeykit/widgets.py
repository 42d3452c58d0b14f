"""ipywidgets explorers (ipywidgets and matplotlib are imported when an explorer is built).

Each explorer calls the same tested journeykit function on every change, so what you see
is what the function returns. Explorers start where the notebook is: every starting value
is an argument (a notebook passes its parameters). ``explorer.update()`` re-runs one by
hand; ``explorer.seconds`` records how long each update took (function plus drawing).

Why the figures are drawn the way they are: an update triggered from the browser runs in
a comm callback, not in a cell, and with ipykernel 7 possibly on another thread than the
cell that built the explorer. pyplot's global current-figure state is then shared between
updates (and with the inline backend's own flushing), which gave blank PNGs and bars with
no axes. So each update draws on a figure of its own (matplotlib's object-oriented
``Figure`` with an Agg canvas, never pyplot), updates are serialised by a lock, and an
update whose control values were already drawn is skipped.
"""

from __future__ import annotations

import io
import os
import threading
import time

import pandas as pd

from . import _engine
from .attribution import MODELS, attribution, attribution_paths
from .checks import as_timedelta, as_utc, check_events_exist, require, require_events
from .errors import JourneyDataError, JourneyWarning
from .lifecycle import lifecycle

#: The dropdown value meaning "no choice" (ipywidgets shows an empty label for None).
NOTHING = "(none)"
#: Windows the funnel explorer offers, short to long (a funnel within one visit changes
#: only below an hour).
WINDOWS = ("5min", "15min", "30min", "1h", "3h", "12h", "1D", "2D", "3D", "7D", "14D", "30D")
WINDOWS += ("60D", "90D")
STYLE = {"description_width": "initial"}


def _plot(result, ax):
    return result.plot(ax=ax)


class _Layout:
    """The constrained layouts of an explorer's figures, one per number of Axes (a heatmap
    with its colorbar, curves without): each Axes' position and the room its decorations
    (tick labels, titles, axis labels, legends) leave to the figure's edges. Laying a figure
    out is about 40% of drawing it, and a control's change rarely moves the margins by more
    than a character, so the next figure with as many Axes takes these positions as long
    as its decorations still fit (:meth:`fits`); otherwise it is laid out afresh."""

    # How much more room than the last layout left a reused one may leave on a side, in
    # pixels: tick labels one or two characters shorter ('0%' after '16.0%') keep the
    # layout, where comparing every text kept it in two moves of ten.
    SLACK = 16

    def __init__(self):
        self.kept = {}  # number of Axes -> (positions, margins, figure texts)

    def positions(self, figure):
        """The positions kept for a figure with as many Axes, or None."""
        kept = self.kept.get(len(figure.axes))
        return None if kept is None else kept[0]

    def keep(self, figure, renderer) -> None:
        self.kept[len(figure.axes)] = (
            [ax.get_position() for ax in figure.axes],
            _margins(figure, renderer),
            _figure_texts(figure),
        )

    def fits(self, figure, renderer) -> bool:
        """Whether a figure drawn at the kept positions shows every decoration whole,
        without an overlap the laid-out figure did not have, and without much more room
        than the layout needs."""
        _, margins, texts = self.kept[len(figure.axes)]
        if _figure_texts(figure) != texts:
            return False
        for new, old in zip(_margins(figure, renderer), margins):
            if new[-1] and not old[-1]:
                return False
            if any(m < 1 or m > k + self.SLACK for m, k in zip(new[:4], old[:4])):
                return False
        return True


def _margins(figure, renderer) -> list[tuple]:
    """Per Axes, the room (pixels) between its decorations and the figure's left, right,
    bottom and top edges, and whether they overlap another Axes' decorations."""
    boxes = [ax.get_tightbbox(renderer) for ax in figure.axes]
    width, height = figure.bbox.width, figure.bbox.height
    return [
        (
            box.x0,
            width - box.x1,
            box.y0,
            height - box.y1,
            any(box.overlaps(other) for j, other in enumerate(boxes) if j != i),
        )
        for i, box in enumerate(boxes)
    ]


def _figure_texts(figure) -> list:
    """The figure's own texts and legends (outside every Axes): their length and lines."""
    texts = [t.get_text() for t in figure.texts if t.get_visible()]
    for legend in figure.legends:
        texts += [t.get_text() for t in legend.get_texts()]
    return [(len(t), t.count("\n")) for t in texts]


def _draw(result, *, figsize, constrained: bool, mark, plot):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=figsize, dpi=100, layout="constrained" if constrained else None)
    canvas = FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    ax.spines[["top", "right"]].set_visible(False)
    plot(result, ax)
    if mark is not None:
        mark(ax)
    return figure, canvas


def _figure_png(result, *, figsize, mark=None, plot=_plot, layout=None) -> bytes:
    """``plot(result, ax)`` (``result.plot``) drawn on a figure of its own, laid out by
    matplotlib's constrained layout or with the positions of ``layout`` (a :class:`_Layout`
    it then updates), and encoded as PNG (light compression: the figure is redrawn on every
    change)."""
    from PIL import Image

    reuse = layout is not None and bool(layout.kept)
    figure, canvas = _draw(result, figsize=figsize, constrained=not reuse, mark=mark, plot=plot)
    positions = layout.positions(figure) if reuse else None
    if positions is not None:
        for ax, position in zip(figure.axes, positions):
            ax.set_position(position)
        # One draw, then the pixels encoded: savefig draws a figure with a layout engine
        # twice (once to lay it out, once to render).
        canvas.draw()
    if reuse and (positions is None or not layout.fits(figure, canvas.get_renderer())):
        reuse = False
        figure, canvas = _draw(result, figsize=figsize, constrained=True, mark=mark, plot=plot)
    if not reuse:
        canvas.draw()
        if layout is not None:
            layout.keep(figure, canvas.get_renderer())
    png = io.BytesIO()
    rgba = canvas.buffer_rgba()
    image = Image.frombuffer("RGBA", canvas.get_width_height(), rgba, "raw", "RGBA", 0, 1)
    image.save(png, format="png", compress_level=1, dpi=(figure.dpi, figure.dpi))
    return png.getvalue()


def _inputs(events, attributes):
    """Check an explorer's events and attribute frame when it is built (an update only
    prints its error), and register the events with the engine once for every update."""
    require_events(events)
    if attributes is not None:
        require(attributes, ["customer_id"], param="attributes")
    return _engine.as_table(events)


def _breakdowns(table, attributes, by, *, event_columns=("channel",)):
    """The breakdown dropdown's options: nothing, event columns, attribute columns; and its
    starting value (``by``, which must be one of them)."""
    options = [("nothing", NOTHING)] + [(c, c) for c in event_columns if c in table.columns]
    if attributes is not None:
        options += [(c, c) for c in attributes.columns if c != "customer_id"]
    values = [v for _, v in options]
    start = NOTHING if by is None else by
    if start not in values:
        raise JourneyDataError(
            f"by={by!r}: not a column the explorer can break down by; expected one of "
            f"{values[1:]}. Fix: pass one of those, or by=None."
        )
    return options, start


def _by(value, attributes):
    """A breakdown choice as a function argument: an attribute column becomes the frame
    (customer_id, that column); an event column passes through; NOTHING is None."""
    if value == NOTHING:
        return None
    if attributes is not None and value in attributes.columns:
        return attributes[["customer_id", value]]
    return value


def _choice(value):
    return None if value == NOTHING else value


def _days(value, *, param: str) -> int:
    """A duration parameter as whole days (for a slider in days)."""
    return max(1, round(as_timedelta(value, param=param) / pd.Timedelta(days=1)))


def _explorer(controls, rows, run, *, figsize=(8, 4.5), show=None, mark=None, plot=_plot):
    """Lay the controls out in ``rows``, call ``run(values)`` on every change and show the
    Result it returns (or ``show(result, values)``: what to display above the figure) with
    its figure, drawn by ``plot(result, ax)`` (``mark(values)`` may return a function adding
    to the figure's Axes). The box keeps ``controls``, ``result``, ``update`` and ``seconds``."""
    import ipywidgets as w
    from IPython import get_ipython
    from IPython.display import Image, display

    kernel = getattr(get_ipython(), "kernel", None) is not None
    output = w.Output()
    box = w.VBox([*[w.HBox([controls[name] for name in row]) for row in rows], output])
    box.controls, box.seconds = controls, []
    lock, drawn, layout = threading.Lock(), {}, _Layout()

    def update(*_):
        with lock:
            values = _values_of(controls)
            if drawn.get("values") == values:
                return  # an update queued behind one that already drew these values
            start = time.perf_counter()
            try:
                box.result = run(values)
                png = _figure_png(
                    box.result,
                    figsize=figsize,
                    mark=None if mark is None else mark(values),
                    plot=plot,
                    layout=layout,
                )
            except JourneyDataError as error:  # e.g. a funnel with one step: say what to fix
                if not kernel:
                    raise
                with output:
                    output.clear_output(wait=True)
                    print(error)
                drawn.pop("values", None)
                return
            if kernel:  # outside Jupyter (a script, a doctest) there is nowhere to show it
                with output:
                    output.clear_output(wait=True)
                    display(box.result if show is None else show(box.result, values))
                    display(Image(png))
            drawn["values"] = values
            box.seconds.append(time.perf_counter() - start)

    for control in controls.values():
        control.observe(update, names="value")
    box.update = update
    update()
    if os.environ.get(STATIC):  # a report: a widget cannot run in a static page
        shown = box.result if show is None else show(box.result, _values_of(controls))
        png = _figure_png(box.result, figsize=figsize, plot=plot)
        return Snapshot(shown, png)
    return box


def _values_of(controls) -> dict:
    return {name: control.value for name, control in controls.items()}


#: Set (to anything) while a notebook is executed for a static report: explorers then
#: show their initial state as a table and an image instead of a live widget.
STATIC = "JOURNEYKIT_STATIC_WIDGETS"


class Snapshot:
    """An explorer's initial state for a static page: its table and figure."""

    def __init__(self, shown, png: bytes):
        self.shown, self.png = shown, png

    def _repr_html_(self) -> str:
        import base64

        table = self.shown._repr_html_() if hasattr(self.shown, "_repr_html_") else ""
        image = base64.b64encode(self.png).decode()
        note = (
            "<p><em>An explorer, shown at its starting values: open the notebook in "
            "Jupyter to move its controls.</em></p>"
        )
        return f'{note}{table}<img src="data:image/png;base64,{image}"/>'

    def __repr__(self) -> str:
        return "explorer snapshot (open the notebook in Jupyter to use the explorer)"


def lifecycle_explorer(
    events,
    *,
    attributes: pd.DataFrame | None = None,
    as_of=None,
    period="30D",
    churn_after="90D",
    activity=None,
    by=None,
):
    """Explore :func:`journeykit.lifecycle` interactively.

    Parameters
    ----------
    events : pandas.DataFrame or Ibis table
        Canonical events (:func:`journeykit.read_events`).
    attributes : pandas.DataFrame, optional
        Customer attributes (``customer_id`` and e.g. ``persona``) offered as breakdowns,
        beside the event columns ``channel`` and ``stage``.
    as_of, period, churn_after, activity, by
        The starting values of the controls, as :func:`journeykit.lifecycle` takes them
        (``as_of=None``: the day after the last event, so every event counts; several
        activity events are offered as one choice). The date
        picker gives the day at 00:00 UTC, as ``as_of='2024-09-30'`` does.

    Returns
    -------
    ipywidgets.VBox
        The explorer (display it as the last expression of a cell); ``update()`` re-runs
        the analysis, ``result`` holds the last :class:`~journeykit.lifecycle.Lifecycle`.

    Examples
    --------
    >>> import journeykit as jk
    >>> box = jk.widgets.lifecycle_explorer(jk.load_webshop(), as_of="2024-09-30")
    >>> box.controls["churn_days"].value, str(box.controls["as_of"].value)
    (90, '2024-09-30')
    """
    import ipywidgets as w

    table = _inputs(events, attributes)
    span = _engine.to_pandas(
        table.aggregate(lo=table["timestamp"].min(), hi=table["timestamp"].max())
    )
    start = (
        span["hi"].iloc[0].normalize() + pd.Timedelta(days=1)
        if as_of is None
        else as_utc(as_of, param="as_of")
    )
    names = _engine.distinct(table, "event")
    options = [("any event", NOTHING)] + [(n, n) for n in names]
    if activity is not None:
        activity = check_events_exist(table, activity, param="activity", known=names)
        activity = activity[0] if len(activity) == 1 else tuple(activity)
        if isinstance(activity, tuple):  # several events: one option for all of them
            options.insert(1, (" or ".join(activity), activity))
    by_options, by_start = _breakdowns(table, attributes, by, event_columns=("channel", "stage"))
    _days(period, param="period")
    periods = sorted(
        {"7D", "14D", "30D", "60D", "90D", period}, key=lambda p: as_timedelta(p, param="period")
    )
    controls = {
        "as_of": w.DatePicker(description="as of", value=start.date(), style=STYLE),
        "period": w.Dropdown(description="active in the last", options=periods, value=period),
        "churn_days": w.IntSlider(
            description="churned after (days)",
            min=7,
            max=730,
            value=_days(churn_after, param="churn_after"),
            style=STYLE,
        ),
        "activity": w.Dropdown(
            description="activity",
            options=options,
            value=NOTHING if activity is None else activity,
        ),
        "by": w.Dropdown(description="break down by", options=by_options, value=by_start),
    }

    def run(values):
        return lifecycle(
            table,
            as_of=pd.Timestamp(values["as_of"], tz="UTC"),
            period=values["period"],
            churn_after=f"{values['churn_days']}D",
            activity=_activity(values["activity"]),
            by=_by(values["by"], attributes),
        )

    return _explorer(controls, [["as_of", "period", "churn_days"], ["activity", "by"]], run)


def _activity(value):
    chosen = _choice(value)
    return list(chosen) if isinstance(chosen, tuple) else chosen


def nps_explorer(
    survey: pd.DataFrame,
    *,
    score: str = "score",
    wave: str | None = "wave",
    by=None,
    interval: str = "adjusted_wald",
    level: float = 0.95,
    min_n: int | None = None,
):
    """Explore :func:`journeykit.nps` interactively: breakdown, wave, interval and level.

    Parameters
    ----------
    survey : pandas.DataFrame
        One row per answer.
    score, wave : str
        The columns of the 0-10 answer and of the survey wave (``wave=None``: a survey
        without waves).
    by, interval, level
        The starting values of the controls, as :func:`journeykit.nps` takes them; the
        breakdowns offered are the survey's columns with at most 50 distinct values.
    min_n : int, optional
        Groups with fewer answers are suppressed, as in :func:`journeykit.nps` (fixed: a
        shared screen never shows a small group).

    Returns
    -------
    ipywidgets.VBox
        The explorer; ``update()``, ``result`` and ``seconds`` as in
        :func:`lifecycle_explorer`.

    Examples
    --------
    >>> import journeykit as jk
    >>> box = jk.widgets.nps_explorer(jk.load_survey(), interval="wald")
    >>> box.controls["interval"].value
    'wald'
    """
    import ipywidgets as w

    from .nps import INTERVALS, nps

    require(survey, [], param="survey")
    require(survey, [score], param="score")
    if wave is not None:
        require(survey, [wave], param="wave")
    columns = [
        c for c in survey.columns if c not in (score, "customer_id") and survey[c].nunique() <= 50
    ]
    if by is not None and by not in columns:
        raise JourneyDataError(
            f"by={by!r}: not a survey column the explorer can break down by; expected one of "
            f"{columns}. Fix: pass one of those, or by=None."
        )
    waves = [] if wave is None else sorted(survey[wave].dropna().unique())
    controls = {
        "by": w.Dropdown(
            description="break down by",
            options=[("nothing", NOTHING)] + [(c, c) for c in columns],
            value=NOTHING if by is None else by,
            style=STYLE,
        ),
        "wave": w.Dropdown(
            description="wave", options=[("all waves", NOTHING)] + [(str(x), x) for x in waves]
        ),
        "interval": w.Dropdown(description="interval", options=list(INTERVALS), value=interval),
        "level": w.FloatSlider(description="level", min=0.8, max=0.99, step=0.01, value=level),
    }

    def run(values):
        chosen = values["wave"]
        subset = survey if chosen == NOTHING else survey[survey[wave] == chosen]
        return nps(
            subset,
            score=score,
            by=_choice(values["by"]),
            interval=values["interval"],
            level=round(values["level"], 2),
            min_n=min_n,
        )

    return _explorer(controls, [list(controls)], run, figsize=(9, 4.5))


def power_calculator(
    *,
    baseline: float = 0.1,
    effect: float = 0.1,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
    alternative: str = "two-sided",
):
    """Plan an experiment interactively with :func:`journeykit.plan`.

    Parameters
    ----------
    baseline : float
        The control's conversion rate you expect.
    effect : float
        The smallest *relative* lift worth detecting (0.05 is +5%).
    alpha, power, ratio, alternative
        The starting values of the controls, as :func:`journeykit.plan` takes them.

    Returns
    -------
    ipywidgets.VBox
        The explorer: the sample size per arm and the power curve; ``update()``,
        ``result`` and ``seconds`` as in :func:`lifecycle_explorer`.

    Examples
    --------
    >>> import journeykit as jk
    >>> box = jk.widgets.power_calculator(baseline=0.67, effect=0.05)
    >>> round(box.controls["baseline"].value, 2)
    0.67
    """
    import ipywidgets as w

    from .abtest import ALTERNATIVES
    from .design import plan

    plan(effect, baseline=baseline, alpha=alpha, power=power, ratio=ratio, relative=True)
    controls = {
        "baseline": w.FloatSlider(
            description="baseline rate",
            min=0.005,
            max=0.95,
            step=0.005,
            value=baseline,
            readout_format=".1%",
            style=STYLE,
        ),
        "lift": w.FloatSlider(
            description="relative effect",
            min=0.01,
            max=0.5,
            step=0.01,
            value=effect,
            readout_format=".0%",
            style=STYLE,
        ),
        "alpha": w.FloatSlider(
            description="alpha", min=0.005, max=0.2, step=0.005, value=alpha, readout_format=".3f"
        ),
        "power": w.FloatSlider(description="power", min=0.5, max=0.99, step=0.01, value=power),
        "ratio": w.FloatSlider(
            description="treatment : control", min=0.25, max=4, step=0.25, value=ratio, style=STYLE
        ),
        "alternative": w.Dropdown(
            description="test", options=list(ALTERNATIVES), value=alternative
        ),
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


def retention_explorer(
    events,
    *,
    attributes: pd.DataFrame | None = None,
    start_event=None,
    end_event=None,
    churn_after="90D",
    as_of=None,
    by=None,
):
    """Explore :func:`journeykit.retention_curve` interactively: the churn window, the
    grouping and the horizon at which survival is read (marked on the curves, and the
    survival at that horizon shown in the table).

    Parameters
    ----------
    events : pandas.DataFrame or Ibis table
        Canonical events (:func:`journeykit.read_events`).
    attributes : pandas.DataFrame, optional
        Customer attributes (``customer_id`` and e.g. ``persona``) offered as groupings,
        beside the acquisition ``channel``.
    start_event, end_event, churn_after, as_of, by
        As :func:`journeykit.durations` takes them (``churn_after`` and ``by`` are the
        starting values of the controls; with an ``end_event`` the churn window does not
        apply and its slider is disabled). Durations are computed once per churn window
        and grouping and reused.

    Returns
    -------
    ipywidgets.VBox
        The explorer; ``update()``, ``result`` and ``seconds`` as in
        :func:`lifecycle_explorer`.

    Examples
    --------
    >>> import journeykit as jk
    >>> box = jk.widgets.retention_explorer(jk.load_webshop(), start_event="purchase")
    >>> box.controls["churn_days"].value
    90
    """
    import ipywidgets as w

    from .survival import durations, retention_curve

    table = _inputs(events, attributes)
    for name, value in (("start_event", start_event), ("end_event", end_event)):
        if value is not None:
            check_events_exist(table, value, param=name)
    by_options, by_start = _breakdowns(table, attributes, by)
    controls = {
        "churn_days": w.IntSlider(
            description="churned after (days)",
            min=7,
            max=730,
            value=_days(churn_after, param="churn_after"),
            disabled=end_event is not None,
            style=STYLE,
        ),
        "by": w.Dropdown(description="compare", options=by_options, value=by_start),
        "horizon": w.IntSlider(
            description="horizon (days)", min=7, max=730, step=7, value=91, style=STYLE
        ),
    }
    cache: dict = {}

    def run(values):
        key = (values["churn_days"], values["by"])
        if key not in cache:
            cache[key] = durations(
                table,
                churn_after=f"{values['churn_days']}D",
                start_event=start_event,
                end_event=end_event,
                as_of=as_of,
                by=_by(values["by"], attributes),
            )
        grouping = _choice(values["by"])
        return retention_curve(cache[key], by=grouping, horizons=(values["horizon"],))

    def mark(values):
        def line(ax):
            ax.axvline(values["horizon"], color="0.3", linestyle=":", linewidth=1)

        return line

    def show(result, values):
        from IPython.display import HTML

        from .results import report_table

        return HTML(report_table(result.horizons, first=("horizon_days",)))

    return _explorer(controls, [list(controls)], run, figsize=(9, 5), show=show, mark=mark)


def cohort_explorer(
    events,
    *,
    attributes: pd.DataFrame | None = None,
    freq: str = "M",
    start_event=None,
    return_event=None,
    mode: str = "bounded",
    calendar: bool = True,
    by=None,
    as_of=None,
):
    """Explore the definitions of :func:`journeykit.cohort_retention`: which event starts
    the clock and which counts as coming back, bounded or unbounded retention, calendar or
    rolling periods, weeks or months, and a breakdown (the pooled curves per group, with
    the log-rank test, instead of the heatmap).

    Parameters
    ----------
    events : pandas.DataFrame or Ibis table
        Canonical events (:func:`journeykit.read_events`).
    attributes : pandas.DataFrame, optional
        Customer attributes offered as breakdowns beside the acquisition ``channel``.
    freq, start_event, return_event, mode, calendar, by, as_of
        As :func:`journeykit.cohort_retention` takes them: the starting values of the
        controls (``as_of`` is fixed).

    Returns
    -------
    ipywidgets.VBox
        The explorer; ``update()``, ``result`` and ``seconds`` as in
        :func:`lifecycle_explorer`.

    Examples
    --------
    >>> import journeykit as jk
    >>> box = jk.widgets.cohort_explorer(jk.load_webshop(), start_event="purchase")
    >>> box.controls["start_event"].value, box.result.mode
    ('purchase', 'bounded')
    """
    import ipywidgets as w

    from .survival import cohort_retention

    table = _inputs(events, attributes)
    names = _engine.distinct(table, "event")
    for name, value in (("start_event", start_event), ("return_event", return_event)):
        if value is not None:
            check_events_exist(table, value, param=name, known=names)
    options = [("any event", NOTHING)] + [(n, n) for n in names]
    by_options, by_start = _breakdowns(table, attributes, by)
    controls = {
        "start_event": w.Dropdown(
            description="starts with", options=options, value=start_event or NOTHING
        ),
        "return_event": w.Dropdown(
            description="comes back with", options=options, value=return_event or NOTHING
        ),
        "mode": w.Dropdown(
            description="retained",
            options=[("in period k", "bounded"), ("in period k or later", "unbounded")],
            value=mode,
            style=STYLE,
        ),
        "calendar": w.Dropdown(
            description="periods",
            options=[("calendar", True), ("rolling from the start", False)],
            value=calendar,
        ),
        "freq": w.Dropdown(
            description="period", options=[("week", "W"), ("month", "M")], value=freq
        ),
        "by": w.Dropdown(description="compare", options=by_options, value=by_start),
    }

    def run(values):
        return cohort_retention(
            table,
            freq=values["freq"],
            start_event=_choice(values["start_event"]),
            return_event=_choice(values["return_event"]),
            mode=values["mode"],
            calendar=values["calendar"],
            by=_by(values["by"], attributes),
            as_of=as_of,
        )

    def show(result, values):
        from IPython.display import HTML

        from .results import report_table

        text = f"<p>{result.conclusion}</p>"
        return HTML(text + report_table(result.average.head(13), first=result.first))

    def plot(result, ax):
        # the heatmap without its per-cell shares: 300 annotations of a 24-month shop were
        # two thirds of an update's time (the table above gives the pooled curve)
        return result.plot(ax=ax, annotate=False)

    rows = [["start_event", "return_event", "by"], ["mode", "calendar", "freq"]]
    return _explorer(controls, rows, run, figsize=(9, 5), show=show, plot=plot)


def funnel_explorer(
    events,
    *,
    attributes: pd.DataFrame | None = None,
    steps=None,
    window="7D",
    step_order: str = "strict",
    unit: str = "customer",
    by=None,
):
    """Explore :func:`journeykit.funnel` interactively: the steps (in order), the window,
    strict or any order, the unit and the breakdown.

    Parameters
    ----------
    events : pandas.DataFrame or Ibis table
        Canonical events (:func:`journeykit.read_events`).
    attributes : pandas.DataFrame, optional
        Customer attributes offered as breakdowns, beside the event column ``channel``.
    steps, window, step_order, unit, by
        The starting values of the controls, as :func:`journeykit.funnel` takes them
        (``steps=None``: the first four of product_view, add_to_cart, checkout_start,
        purchase that the data has, else its first two events). The window slider runs
        from 5 minutes to 90 days, so a funnel inside one visit changes too.

    Returns
    -------
    ipywidgets.VBox
        The explorer; ``update()``, ``result`` and ``seconds`` as in
        :func:`lifecycle_explorer`. With fewer than two steps it says so instead of
        updating. The attempts of each choice of steps, order and unit, and each
        breakdown, are computed once and kept in memory (the last eight), so moving the
        window only credits the kept attempts again (same result as
        :func:`journeykit.funnel`).

    Examples
    --------
    >>> import journeykit as jk
    >>> box = jk.widgets.funnel_explorer(jk.load_webshop(), window="3D")
    >>> box.controls["window"].value
    '3D'
    """
    import ipywidgets as w

    from .funnels import funnel_runner

    table = _inputs(events, attributes)
    funnel = funnel_runner(table)  # keeps what a new window does not change
    names = _engine.distinct(table, "event")
    if steps is None:
        usual = ("product_view", "add_to_cart", "checkout_start", "purchase")
        steps = [n for n in usual if n in names] or names[:2]
    steps = check_events_exist(table, steps, param="steps", known=names)
    windows = sorted({*WINDOWS, window}, key=lambda x: as_timedelta(x, param="window"))
    by_options, by_start = _breakdowns(table, attributes, by)
    units = ["customer"] + [u for u in ("session", "account") if f"{u}_id" in table.columns]
    controls = {
        "steps": w.TagsInput(value=list(steps), allowed_tags=names, allow_duplicates=False),
        "window": w.SelectionSlider(description="window", options=windows, value=window),
        "step_order": w.ToggleButtons(
            options=["strict", "any"], value=step_order, description="order"
        ),
        "unit": w.Dropdown(options=units, value=unit, description="unit"),
        "by": w.Dropdown(description="compare", options=by_options, value=by_start),
    }

    def run(values):
        return funnel(
            list(values["steps"]),
            window=values["window"],
            step_order=values["step_order"],
            unit=values["unit"],
            by=_by(values["by"], attributes),
        )

    rows = [["steps"], ["window", "step_order"], ["unit", "by"]]
    return _explorer(controls, rows, run)


def clv_explorer(
    events,
    *,
    attributes: pd.DataFrame | None = None,
    calibration_end=None,
    horizon: int = 12,
    discount_rate: float = 0.01,
    by=None,
    freq: str = "D",
    purchase="purchase",
):
    """Explore customer lifetime value (:func:`journeykit.clv_by`) interactively: the
    horizon in months, the monthly discount rate and the segment compared.

    The BG/NBD and Gamma-Gamma models are fitted once, when the explorer is built
    (:func:`journeykit.clv_summary` of the events up to ``calibration_end``,
    :func:`journeykit.fit_bgnbd`, :func:`journeykit.fit_gamma_gamma`); the value is that
    of the purchases after ``calibration_end``. Each segment's summary and each result are kept,
    so moving a control only re-sums the fitted models' predictions. The intervals use
    :data:`BOOT_DRAWS` bootstrap draws (fewer than ``clv_by``'s default, to stay quick).

    Parameters
    ----------
    events : pandas.DataFrame or Ibis table
        Canonical events (:func:`journeykit.read_events`) with a ``revenue`` column and
        ``purchase`` events.
    attributes : pandas.DataFrame, optional
        Customer attributes (``customer_id`` and e.g. ``persona`` or an RFM ``segment``)
        offered as segments, beside the acquisition ``channel``.
    calibration_end : date-like, optional
        The last period the models are fitted on (later events are ignored); CLV is the
        value of the purchases after it. Default: the end of the data.
    horizon, discount_rate, by
        The starting values of the controls, as :func:`journeykit.clv_by` takes them
        (``by=None``: all customers as one group).
    freq : str
        The period of the summary (:func:`journeykit.clv_summary`).
    purchase : str or list of str
        The event(s) that are an order.

    Returns
    -------
    ipywidgets.VBox
        The explorer; ``update()``, ``result`` (the last :class:`~journeykit.clv.CLVBy`)
        and ``seconds`` as in :func:`lifecycle_explorer`; ``models`` holds the fitted
        BG/NBD and Gamma-Gamma models.

    Examples
    --------
    >>> import journeykit as jk
    >>> box = jk.widgets.clv_explorer(jk.load_webshop(), horizon=6)
    >>> box.controls["horizon"].value
    6
    """
    import warnings

    import ipywidgets as w

    from .clv import check_clv_inputs, clv_by, clv_summary, fit_bgnbd, fit_gamma_gamma

    table = _inputs(events, attributes)
    if "revenue" not in table.columns:
        raise JourneyDataError(
            "events: no revenue column, so there is no value to model (BG/NBD works without "
            "spend; Gamma-Gamma and CLV need it). Fix: pass the order value column to "
            "read_events(..., revenue='amount')."
        )
    horizon, discount_rate = check_clv_inputs(horizon, discount_rate)
    by_options, by_start = _breakdowns(table, attributes, by)
    read = dict(observation_end=calibration_end, freq=freq, purchase=purchase)
    summary = clv_summary(table, **read)
    bgnbd = fit_bgnbd(summary, freq=freq)
    with warnings.catch_warnings():  # the independence warning is for the notebook's fit
        warnings.simplefilter("ignore", JourneyWarning)
        gamma_gamma = fit_gamma_gamma(summary)
    controls = {
        "horizon": w.IntSlider(
            description="horizon (months)",
            min=1,
            max=max(36, horizon),
            value=horizon,
            style=STYLE,
        ),
        "discount_rate": w.FloatSlider(
            description="discount rate a month",
            min=0.0,
            max=max(0.05, discount_rate),
            step=0.0025,
            value=discount_rate,
            readout_format=".2%",
            style=STYLE,
        ),
        "by": w.Dropdown(description="segment", options=by_options, value=by_start),
    }
    frames: dict = {}
    results: dict = {}

    def segment(value):
        """The summary with the segment's column (cached per segment)."""
        if value not in frames:
            if value == NOTHING:
                frames[value] = (summary.assign(customers="all customers"), "customers")
            elif attributes is not None and value in attributes.columns:
                frames[value] = (summary, attributes[["customer_id", value]])
            else:  # an event column: its value at the customer's first activity
                grouped = clv_summary(table, **read, by=value)
                frames[value] = (grouped, value)
        return frames[value]

    def run(values):
        rate = round(values["discount_rate"], 4)
        key = (values["by"], values["horizon"], rate)
        if key not in results:
            frame, grouping = segment(values["by"])
            results[key] = clv_by(
                frame,
                bgnbd,
                gamma_gamma,
                by=grouping,
                horizon=values["horizon"],
                discount_rate=rate,
                n_boot=BOOT_DRAWS,
            )
        return results[key]

    def mark(values):
        def title(ax):
            ax.set_title(
                f"CLV per customer over the next {values['horizon']} months, discounted at "
                f"{values['discount_rate']:.2%} a month",
                fontsize=10,
            )

        return title

    box = _explorer(
        controls, [["horizon", "discount_rate"], ["by"]], run, figsize=(9, 4.5), mark=mark
    )
    box.models = (bgnbd, gamma_gamma)
    return box


#: Bootstrap draws of the CLV explorer's intervals.
BOOT_DRAWS = 50


def attribution_explorer(
    events,
    *,
    channel: str = "channel",
    conversion="purchase",
    lookback="30D",
    unit: str = "customer",
    value: str | None = "revenue",
    models=MODELS,
    markov_order: int = 1,
):
    """Explore :func:`journeykit.attribution` interactively: the models compared, the lookback
    and the order of the Markov chain.

    Parameters
    ----------
    events : pandas.DataFrame or Ibis table
        Canonical events (:func:`journeykit.read_events`) with a channel column.
    channel, conversion, lookback, unit, value
        As :func:`journeykit.attribution_paths` takes them (the lookback is the slider's
        starting value, 1 to 90 days).
    models, markov_order
        The starting values of the controls, as :func:`journeykit.attribution` takes them.

    Returns
    -------
    ipywidgets.VBox
        The explorer; ``update()``, ``result`` and ``seconds`` as in
        :func:`lifecycle_explorer`. The paths of each lookback are computed once and kept
        (the last eight), so changing the models or the order only re-solves the chain.

    Examples
    --------
    >>> import journeykit as jk
    >>> box = jk.widgets.attribution_explorer(jk.load_webshop(), lookback="14D")
    >>> box.controls["lookback"].value
    14
    """
    import warnings

    import ipywidgets as w

    table = _inputs(events, None)
    start = _days(lookback, param="lookback")
    chosen = [models] if isinstance(models, str) else list(models)
    check_events_exist(table, conversion, param="conversion")
    kept: dict = {}

    def paths_of(days: int):
        if days not in kept:
            if len(kept) >= 8:
                kept.pop(next(iter(kept)))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", JourneyWarning)
                kept[days] = attribution_paths(
                    table,
                    channel=channel,
                    conversion=conversion,
                    lookback=f"{days}D",
                    unit=unit,
                    value=value,
                )
        return kept[days]

    paths_of(start)  # a bad channel, unit or value fails here, not in an update
    controls = {
        "models": w.TagsInput(value=chosen, allowed_tags=list(MODELS), allow_duplicates=False),
        "lookback": w.IntSlider(
            value=start, min=1, max=max(90, start), description="lookback (days)", style=STYLE
        ),
        "markov_order": w.ToggleButtons(
            options=[1, 2, 3], value=markov_order, description="Markov order"
        ),
    }

    def run(values):
        return attribution(
            paths_of(values["lookback"]),
            models=list(values["models"]),
            markov_order=values["markov_order"],
        )

    def show(result, values):
        """The conclusion and one compact table: conversions per channel and model."""
        import html

        from IPython.display import HTML

        from .results import report_table

        wide = result.wide.reset_index()
        wide.columns.name = None
        text = f"<p>{html.escape(result.conclusion)}</p>"
        return HTML(text + report_table(wide.round(1), first=("channel",)))

    return _explorer(
        controls, [["models"], ["lookback", "markov_order"]], run, figsize=(9, 5), show=show
    )
