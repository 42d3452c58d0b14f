"""Every journeykit drawing, in one consistent style (matplotlib imported lazily)."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: How a reader names one period of each ``freq``.
PERIOD_WORDS = {"D": "day", "W": "week", "M": "month", "Q": "quarter", "Y": "year"}
PALETTE = ("#1f4e79", "#e07b39", "#3a9e6f", "#b8403a", "#7a5ba8", "#8c8c8c", "#c9a227")


def axes(ax=None):
    """The given Axes, or a new figure's Axes in the journeykit style."""
    import matplotlib.pyplot as plt

    if ax is not None:
        return ax
    _, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def colors(k: int) -> list:
    """``k`` distinct colours: the palette, then matplotlib's tab20, then an even spread of
    turbo, so two groups never share a colour."""
    if k <= len(PALETTE):
        return list(PALETTE[:k])
    import matplotlib

    if k <= 20:
        return [matplotlib.colormaps["tab20"](i) for i in range(k)]
    return [matplotlib.colormaps["turbo"](i / (k - 1)) for i in range(k)]


def group_column(table: pd.DataFrame, by) -> pd.Series:
    """The label of every row's ``by`` group (:func:`group_label`: its values as text,
    joined), as a column; per column, not per row (iterrows cost 50 ms of a 2,000-row
    weekly curve, and made an integer column's 1 read '1.0' beside a float column)."""
    labels = pd.Series("", index=table.index, dtype=object)
    for i, b in enumerate(by):
        text = table[b].astype(object).map(str)
        labels = text if i == 0 else labels + ", " + text
    return labels


def stage_bars(table: pd.DataFrame, ax=None, *, by=(), title: str = "Customers per stage"):
    """Customers reaching each stage as horizontal bars in journey order, labelled with the
    step conversion (one bar per ``by`` group when broken down)."""
    ax = axes(ax)
    stages = list(dict.fromkeys(table["stage"]))
    if not by:
        y = np.arange(len(table))
        ax.barh(y, table["n"], color=PALETTE[0])
        for i, row in enumerate(table.itertuples()):
            rate = "" if pd.isna(row.step_conversion) else f"  ({row.step_conversion:.1%})"
            ax.text(row.n, i, f" {row.n:,}{rate}", va="center", fontsize=9)
        ax.set_yticks(y, table["stage"])
        ax.set_xlim(0, table["n"].max() * 1.3)
        ax.set_xlabel("customers reaching the stage (in brackets: share of the previous stage)")
    else:
        wide = table.assign(group=group_column(table, by))
        wide = wide.pivot(index="stage", columns="group", values="n").reindex(stages)
        wide.plot.barh(ax=ax, color=colors(wide.shape[1]), width=0.8)
        ax.legend(frameon=False, title=", ".join(by), loc="lower right")
        ax.set_xlabel("customers reaching the stage")
    ax.invert_yaxis()
    ax.set_ylabel("journey stage")
    ax.set_title(title)
    return ax


#: Line styles telling ``by`` groups apart where colour already means something.
STYLES = [(line, marker) for marker in "os^Dvx+*" for line in ("-", "--", ":", "-.")]


def stage_lines(
    table: pd.DataFrame, ax=None, *, by=(), freq=None, title: str = "Customers per stage"
):
    """Customers reaching each stage per period: one colour per stage (journey order) and,
    when broken down, one line style per ``by`` group (every group drawn)."""
    from matplotlib.lines import Line2D

    ax = axes(ax)
    stages = list(dict.fromkeys(table["stage"]))
    shade = dict(zip(stages, colors(len(stages))))
    labelled = table.assign(group=group_column(table, by) if by else "all")
    groups = list(labelled.groupby("group", sort=True))
    for i, (_, part) in enumerate(groups):
        line, marker = STYLES[i % len(STYLES)] if by else ("-", "o")
        for stage in stages:
            rows = part[part["stage"] == stage].sort_values("period")
            x = rows["period"].dt.tz_convert(None)
            ax.plot(x, rows["n"], color=shade[stage], ls=line, marker=marker, markersize=3)
    handles, labels = [Line2D([], [], color=shade[s]) for s in stages], list(stages)
    where = {"loc": "upper left"}
    if by:  # one legend outside the axes: the stages (colour), then the groups (style)
        styles = [STYLES[i % len(STYLES)] for i in range(len(groups))]
        handles += [Line2D([], [], alpha=0)]
        handles += [Line2D([], [], color="black", ls=line, marker=m) for line, m in styles]
        labels += [f"{', '.join(by)}:", *(name for name, _ in groups)]
        where = {"loc": "upper left", "bbox_to_anchor": (1.01, 1)}
    ax.legend(handles, labels, frameon=False, title="stage", **where)
    period_ticks(ax, table["period"], freq)
    ax.set_ylabel("customers reaching the stage")
    ax.set_xlabel("period (UTC)")
    ax.set_title(title)
    return ax


def status_bars(
    table: pd.DataFrame, ax=None, *, by=(), unit: str = "customer", title="Lifecycle status"
):
    """Units per lifecycle status, labelled with their share; broken down, the share of
    each ``by`` group's units per status (groups differ in size), every group drawn."""
    ax = axes(ax)
    if not by:
        x = np.arange(len(table))
        ax.bar(x, table["n"], color=colors(len(table)))
        for i, row in enumerate(table.itertuples()):
            ax.text(i, row.n, f"{row.n:,}\n{row.share:.0%}", ha="center", va="bottom", fontsize=9)
        ax.set_xticks(x, table["status"].astype(str))
        ax.set_ylim(0, table["n"].max() * 1.15)
        ax.set_ylabel(f"{unit}s")
    else:
        wide = table.assign(group=group_column(table, by))
        wide = wide.pivot_table(
            index="status", columns="group", values="share", observed=False, aggfunc="sum"
        )
        wide.plot.bar(ax=ax, color=colors(wide.shape[1]), rot=0, width=0.8)
        ax.yaxis.set_major_formatter("{x:.0%}")
        ax.set_ylabel(f"share of the group's {unit}s")
        ax.legend(frameon=False, title=", ".join(by))
    ax.set_xlabel("lifecycle status")
    ax.set_title(title)
    return ax


#: Hatches telling ``by`` groups apart in growth accounting (colour is the component).
HATCHES = ("", "//", "..", "xx", "\\\\", "++", "oo", "--", "||", "**")


def growth_bars(table: pd.DataFrame, ax=None, *, by=(), freq=None, unit: str = "customer"):
    """Growth accounting per period: returning, new and reactivated stacked above zero,
    dormant below; broken down, one bar per ``by`` group in every period (told apart by
    hatching)."""
    from matplotlib.patches import Patch

    from .results import period_label

    ax = axes(ax)
    periods = sorted(table["period"].unique())
    parts = {"n_returning": "returning", "n_new": "new", "n_reactivated": "reactivated"}
    labelled = table.assign(group=group_column(table, by) if by else "all")
    groups = list(labelled.groupby("group", sort=True))
    k = len(groups)
    width = 0.8 / k
    for g, (_, part) in enumerate(groups):
        part = part.set_index("period").reindex(periods, fill_value=0)
        x = np.arange(len(periods)) + (g - (k - 1) / 2) * width
        style = {"hatch": HATCHES[g % len(HATCHES)], "edgecolor": "white", "linewidth": 0}
        bottom = np.zeros(len(periods))
        for i, column in enumerate(parts):
            ax.bar(x, part[column], width, bottom=bottom, color=PALETTE[i], **style)
            bottom = bottom + part[column].to_numpy()
        ax.bar(x, part["n_dormant"], width, color=PALETTE[3], **style)
    ax.axhline(0, color="black", linewidth=0.8)
    step = max(1, -(-len(periods) // 12))
    ticks = np.arange(len(periods))[::step]
    ax.set_xticks(ticks, [period_label(periods[i], freq) for i in ticks], rotation=45, ha="right")
    handles = [Patch(color=PALETTE[i], label=name) for i, name in enumerate(parts.values())]
    handles.append(Patch(color=PALETTE[3], label="dormant"))
    if by:
        handles += [
            Patch(facecolor="#dddddd", hatch=HATCHES[g % len(HATCHES)], label=name)
            for g, (name, _) in enumerate(groups)
        ]
    ax.legend(handles=handles, frameon=False, ncols=4, loc="upper left", fontsize=8)
    ax.margins(y=0.12)  # room for the legend above the bars
    ax.set_ylabel(f"{unit}s (dormant below zero)")
    ax.set_xlabel("period (UTC)")
    ax.set_title("Growth accounting" + (f" by {', '.join(by)}" if by else ""))
    return ax


def segment_bars(segments: pd.DataFrame, ax=None):
    """Share of customers and of revenue per RFM segment (buyers only when the data has no
    revenue)."""
    from matplotlib.ticker import PercentFormatter

    ax = axes(ax)
    y = np.arange(len(segments))
    money = "revenue_share" in segments and segments["revenue_share"].fillna(0).sum() > 0
    if money:
        ax.barh(y - 0.2, segments["share"], height=0.4, color=PALETTE[0], label="of the buyers")
        ax.barh(
            y + 0.2, segments["revenue_share"], height=0.4, color=PALETTE[1], label="of revenue"
        )
        ax.legend(frameon=False, loc="lower right")
    else:
        ax.barh(y, segments["share"], height=0.6, color=PALETTE[0])
    ax.set_yticks(y, segments["segment"].astype(str))
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=None))
    ax.set_xlabel("share of all buyers and of all revenue" if money else "share of all buyers")
    ax.set_ylabel("RFM segment")
    ax.set_title("RFM segments: buyers and revenue" if money else "RFM segments: buyers")
    return ax


def transition_heatmap(
    shares: pd.DataFrame, counts: pd.DataFrame, ax=None, *, title: str, xlabel: str, ylabel: str
):
    """Row shares as a heatmap (rows and columns in the order given), annotated with the
    share and count where the cells are large enough to read; x labels slanted so long
    names never run into each other."""
    ax = axes(ax)
    ax.imshow(shares.fillna(0).to_numpy(dtype=float), cmap="Blues", vmin=0, vmax=1, aspect="auto")
    size = max(shares.shape)
    for (i, j), share in np.ndenumerate(shares.to_numpy(dtype=float)) if size <= 20 else []:
        if np.isnan(share) or counts.iat[i, j] == 0:
            continue
        text = f"{share:.0%}\n{counts.iat[i, j]:,}" if size <= 10 else f"{share:.0%}"
        colour = "white" if share > 0.6 else "black"
        ax.text(j, i, text, ha="center", va="center", fontsize=8 if size <= 10 else 6, color=colour)
    ax.set_xticks(range(shares.shape[1]), [str(c) for c in shares.columns])
    ax.tick_params(axis="x", labelrotation=40)
    for label in ax.get_xticklabels():
        label.set_horizontalalignment("right")
        label.set_rotation_mode("anchor")
    ax.set_yticks(range(shares.shape[0]), [str(r) for r in shares.index])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    return ax


def beside(ax, *, ratio: float = 1.0):
    """A second panel to the right of ``ax``, sharing its y axis: ``ax`` keeps the left
    part of its place in the figure (its grid cell, or its box when it has none)."""
    spec = ax.get_subplotspec()
    if spec is not None:
        inner = spec.subgridspec(1, 2, width_ratios=(1, ratio), wspace=0.05)
        ax.set_subplotspec(inner[0])
        return ax.figure.add_subplot(inner[1], sharey=ax)
    from mpl_toolkits.axes_grid1 import make_axes_locatable

    return make_axes_locatable(ax).append_axes(
        "right", size=f"{100 * ratio:.0f}%", pad=0.1, sharey=ax
    )


def nps_bars(table: pd.DataFrame, ax=None, *, by=(), title: str = "Net Promoter Score"):
    """Two panels, one scale each: the NPS with its interval per group (left, -100 to 100)
    and the shares of detractors, passives and promoters (right, 0-100%). Suppressed
    groups keep their row, labelled, without numbers."""
    import matplotlib.pyplot as plt

    if ax is None:
        height = min(2.2 + 0.4 * len(table), 14)
        _, ax = plt.subplots(figsize=(10, height), layout="constrained")
    suppressed = table["suppressed"].to_numpy(dtype=bool)
    labels = [group_label(r, by) if by else "all answers" for _, r in table.iterrows()]
    labels = [f"{name} (suppressed)" if s else name for name, s in zip(labels, suppressed)]
    y = np.arange(len(table))
    shown = table[~suppressed]
    value, low, high = (
        shown[c].to_numpy(dtype=float) for c in ("nps", "nps_ci_low", "nps_ci_high")
    )
    ax.errorbar(
        value,
        y[~suppressed],
        xerr=[value - low, high - value],
        fmt="o",
        color=PALETTE[0],
        capsize=3,
    )
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlim(-100, 100)
    ax.set_yticks(y, labels)
    ax.set_ylim(len(table) - 0.5, -0.5)
    ax.set_xlabel("NPS (-100 to 100)")
    ax.set_title(title)
    shares = beside(ax)
    left = np.zeros(len(shown))
    for name, colour in (
        ("detractors", PALETTE[3]),
        ("passives", PALETTE[5]),
        ("promoters", PALETTE[2]),
    ):
        values = 100 * shown[name].to_numpy(dtype=float)
        shares.barh(y[~suppressed], values, left=left, color=colour, label=name, height=0.6)
        left = left + values
    shares.set_xlim(0, 100)
    shares.set_xlabel("share of answers (%)")
    shares.tick_params(labelleft=False)
    shares.spines[["top", "right"]].set_visible(False)
    shares.legend(
        frameon=False, ncols=3, fontsize="small", loc="lower center", bbox_to_anchor=(0.5, 1.0)
    )
    return ax


def group_label(row, by) -> str:
    """A group's label in a legend or on an axis: its ``by`` values, joined."""
    return ", ".join(str(row[b]) for b in by)


def period_ticks(ax, periods, freq: str | None, *, most: int = 10) -> None:
    """Ticks at the periods, labelled the way a reader names them (2024-01, 2024-Q1,
    2024-W05): at most ``most`` labels, each at least 1/``most`` of the time span after the
    previous one, so labels never overlap however the periods cluster."""
    from .results import period_label

    periods = sorted(pd.unique(pd.Series(periods).dropna()))
    if not periods:
        return
    if freq in ("D", "W"):  # '2025-W02' and '2025-01-06' are long: fewer of them fit
        most = min(most, 6)
    gap = (periods[-1] - periods[0]) / most
    shown = [periods[0]]
    for p in periods[1:]:
        if p - shown[-1] >= gap:
            shown.append(p)
    ax.set_xticks(shown, [period_label(p, freq) for p in shown])


def nps_trend_lines(table: pd.DataFrame, ax=None, *, by=(), freq=None, title: str = "NPS trend"):
    """NPS per period with its interval band, one line per group."""
    ax = axes(ax)
    groups = table.groupby(list(by), sort=False) if by else [(None, table)]
    for i, (name, g) in enumerate(groups):
        colour = PALETTE[i % len(PALETTE)]
        label = None if name is None else ", ".join(map(str, np.atleast_1d(name)))
        ax.plot(g["period"], g["nps"], marker="o", color=colour, label=label)
        ax.fill_between(g["period"], g["nps_ci_low"], g["nps_ci_high"], color=colour, alpha=0.15)
    ax.axhline(0, color="black", linewidth=0.8)
    period_ticks(ax, table["period"], freq)
    ax.set_ylabel("NPS (-100 to 100)")
    ax.set_xlabel("period (UTC)")
    ax.set_title(title)
    if by:
        ax.legend(frameon=False, title=", ".join(by))
    return ax


def driver_bars(table: pd.DataFrame, ax=None, *, title: str = "NPS drivers"):
    """Standardised driver effects with intervals, largest first."""
    ax = axes(ax)
    effect, std = table["effect"].to_numpy(float), table["std_effect"].to_numpy(float)
    scale = std / effect
    y = range(len(table))
    ax.barh(y, std, color=PALETTE[0])
    ax.errorbar(
        std,
        list(y),
        xerr=[
            (effect - table["effect_ci_low"].to_numpy(float)) * scale,
            (table["effect_ci_high"].to_numpy(float) - effect) * scale,
        ],
        fmt="none",
        color="black",
        capsize=3,
    )
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(list(y), table["driver"])
    ax.invert_yaxis()
    ax.set_xlabel("effect on the 0-10 score per standard deviation of the rating (points)")
    ax.set_title(title)
    return ax


def forest(table: pd.DataFrame, ax=None, *, percent: bool = False, xlabel: str, title: str):
    """Each variant's difference (``diff``) with its interval (``diff_ci_low``,
    ``diff_ci_high``; an open end drawn as an arrow) around the no-difference line; green
    where significant. ``percent`` draws fractions as percentage points."""
    ax = axes(ax)
    scale = 100 if percent else 1
    y = np.arange(len(table))[::-1]
    diff = table["diff"].to_numpy() * scale
    low, high = (table[c].to_numpy() * scale for c in ("diff_ci_low", "diff_ci_high"))
    finite = np.r_[diff, low[np.isfinite(low)], high[np.isfinite(high)], 0.0]
    pad = 0.15 * (finite.max() - finite.min() or 1.0)
    left, right = finite.min() - pad, finite.max() + pad
    from matplotlib.lines import Line2D

    colours = [PALETTE[2] if s else PALETTE[5] for s in table["significant"]]
    ax.hlines(y, np.clip(low, left, right), np.clip(high, left, right), color=colours, lw=2)
    for yi, lo, hi, colour in zip(y, low, high, colours):
        for end, edge, marker in ((lo, left, "<"), (hi, right, ">")):
            if np.isinf(end):  # an open end (a one-sided test): an arrow at the edge
                ax.plot(edge, yi, marker=marker, color=colour, markersize=7, clip_on=False)
    ax.scatter(diff, y, color=colours, zorder=3)
    ax.axvline(0, color="black", lw=0.8, ls="--")
    kinds = [(PALETTE[2], "significant"), (PALETTE[5], "not significant")]
    handles = [Line2D([], [], color=c, lw=2, marker="o", label=k) for c, k in kinds]
    ax.legend(handles=handles, frameon=False, loc="best", fontsize=8)
    ax.set_xlim(left, right)
    ax.set_yticks(y, table["variant"].astype(str))
    ax.set_ylim(-0.7, len(table) - 0.3)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("variant")
    ax.set_title(title)
    return ax


def srm_bars(table: pd.DataFrame, ax=None, *, p_value: float):
    """Observed and expected units per variant as bars side by side (the sample-ratio
    check), each observed bar labelled with its share."""
    ax = axes(ax)
    x = np.arange(len(table))
    ax.bar(x - 0.2, table["n"], 0.4, color=PALETTE[0], label="observed")
    ax.bar(x + 0.2, table["n_expected"], 0.4, color=PALETTE[5], label="expected")
    for xi, n, share in zip(x, table["n"], table["share"]):
        ax.annotate(
            f"{n:,}\n{share:.1%}",
            (xi - 0.2, n),
            xytext=(0, 2),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=8,
        )
    ax.set_xticks(x, table["variant"].astype(str))
    ax.set_ylim(0, 1.2 * max(table["n"].max(), table["n_expected"].max()))
    ax.yaxis.set_major_formatter("{x:,.0f}")
    ax.set_xlabel("variant")
    ax.set_ylabel("units")
    ax.legend(frameon=False, ncols=2, loc="upper right")
    p = "< 0.001" if p_value < 0.001 else f"= {p_value:.3f}"
    ax.set_title(f"Sample ratio: observed against expected units (p {p})")
    return ax


def sequence(
    table: pd.DataFrame,
    ax=None,
    *,
    percent: bool = False,
    ylabel: str,
    title: str,
    rejected_at: int | None = None,
):
    """A sequential test over the units observed: the difference, its confidence sequence
    (``diff_ci_low``, ``diff_ci_high``), the no-difference line and, when the test rejected,
    the moment it did. ``percent`` draws fractions as percentage points."""
    ax = axes(ax)
    scale = 100 if percent else 1
    ax.fill_between(
        table["n"],
        table["diff_ci_low"] * scale,
        table["diff_ci_high"] * scale,
        color=PALETTE[0],
        alpha=0.2,
        label="confidence sequence (valid when peeking)",
    )
    ax.plot(
        table["n"],
        table["diff"] * scale,
        color=PALETTE[0],
        marker="o",
        markersize=3,
        label="difference",
    )
    ax.axhline(0, color="black", lw=0.8, ls="--")
    if rejected_at is not None:
        ax.axvline(rejected_at, color=PALETTE[1], lw=1, ls=":", label="p reaches alpha")
    ax.xaxis.set_major_formatter("{x:,.0f}")
    ax.set_xlabel("units observed")
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False, loc="best", fontsize=8)
    ax.set_title(title)
    return ax


def posterior_lift(draws: pd.DataFrame, ax=None, *, title: str):
    """Posterior densities of the relative lift of each variant (a column of ``draws``)
    over the control, in percent."""
    ax = axes(ax)
    values = draws.to_numpy() * 100
    span = tuple(np.quantile(values, [0.0005, 0.9995]))  # the far tails left out
    for colour, name in zip(colors(len(draws.columns) + 1)[1:], draws.columns):
        ax.hist(
            draws[name].to_numpy() * 100,
            bins=100,
            range=span,
            density=True,
            histtype="stepfilled",
            alpha=0.4,
            color=colour,
            label=str(name),
        )
    ax.axvline(0, color="black", lw=0.8, ls="--")
    ax.set_xlabel("relative lift over control (%)")
    ax.set_ylabel("posterior density (per % of lift)")
    ax.legend(frameon=False)
    ax.set_title(title)
    return ax


def power_curve(curve: pd.DataFrame, planned, ax=None):
    """Power against the control arm's size (log scale), with the planned size marked."""
    ax = axes(ax)
    ax.plot(curve["n_control"], curve["power"], color=PALETTE[0])
    ax.axhline(planned["power"], color=PALETTE[5], lw=0.8, ls="--")
    ax.axvline(planned["n_control"], color=PALETTE[1], lw=0.8, ls="--")
    middle = np.sqrt(curve["n_control"].min() * curve["n_control"].max())  # on the log axis
    right = planned["n_control"] > middle  # the label goes where the line leaves room
    ax.annotate(
        f" {planned['n_control']:,} control units for {planned['power']:.0%} power ",
        (planned["n_control"], 0.05),
        color=PALETTE[1],
        fontsize=9,
        ha="right" if right else "left",
    )
    from matplotlib.ticker import LogLocator, NullFormatter

    ax.set_xscale("log")
    ax.xaxis.set_major_formatter("{x:,.0f}")
    # unlabelled minor ticks at 2 and 5: the default labels some of them, which costs half
    # the figure's drawing time (the power explorer redraws it on every change)
    ax.xaxis.set_minor_locator(LogLocator(subs=(2.0, 5.0)))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_ylim(0, 1)
    ax.yaxis.set_major_formatter("{x:.0%}")
    ax.set_xlabel("units in the control arm (log scale)")
    ax.set_ylabel("power")
    ax.set_title(
        f"Power against sample size ({planned['alternative']}, alpha {planned['alpha']:g})"
    )
    return ax


def survival_curves(fitters, ax=None, *, at_risk: bool = True, title: str = "Retention"):
    """Kaplan-Meier curves (lifelines fitters) with confidence bands and numbers at risk
    (for up to 6 groups; the table would not fit more)."""
    from matplotlib.ticker import PercentFormatter

    ax = axes(ax)
    for i, kmf in enumerate(fitters):
        kmf.plot_survival_function(ax=ax, color=PALETTE[i % len(PALETTE)], ci_show=True)
    if at_risk and len(fitters) <= 6:
        _at_risk(fitters, ax)
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0, symbol=""))
    ax.set_xlabel("days since the customer's start")
    ax.set_ylabel("share still active (%)")
    ax.set_title(title)
    return ax


def _at_risk(fitters, ax) -> None:
    """The numbers at risk at the x ticks, one row per curve, under the axis. Written here
    because lifelines' add_at_risk_counts draws through pyplot's current figure (plt.gcf,
    plt.tight_layout), which on a figure pyplot does not manage (an explorer's) opens a
    stray empty one."""
    low, high = ax.get_xlim()
    ticks = [t for t in ax.get_xticks() if low <= t <= high]
    rows = []
    for kmf in fitters:
        durations = np.asarray(kmf.durations)
        rows.append([int((durations >= t).sum()) for t in ticks])
    labels = ["\n".join(f"{row[i]:,}" for row in rows) for i in range(len(ticks))]
    below = ax.secondary_xaxis(-0.1 - 0.035 * len(fitters))
    below.set_xticks(ticks, labels, fontsize=8)
    below.tick_params(length=0)
    below.spines["bottom"].set_visible(False)
    names = ", ".join(str(kmf.label) for kmf in fitters)
    rows_named = f" ({names}, top to bottom)" if len(fitters) > 1 else ""
    below.set_xlabel(f"customers still at risk{rows_named}", fontsize=8)


def hazard_ratios(table: pd.DataFrame, ax=None, *, title: str = "Hazard ratios"):
    """Hazard ratios with their intervals on a log scale (1 = no effect)."""
    ax = axes(ax)
    y = list(range(len(table)))[::-1]
    ax.hlines(
        y, table["hazard_ratio_ci_low"], table["hazard_ratio_ci_high"], color=PALETTE[0], lw=2
    )
    ax.scatter(table["hazard_ratio"], y, color=PALETTE[0], zorder=3)
    ax.axvline(1, color="black", lw=0.8, ls="--")
    ax.set_xscale("log")
    ax.set_yticks(y, table["covariate"])
    ax.set_xlabel("hazard ratio (log scale; > 1: churns sooner, < 1: stays longer)")
    ax.set_title(title)
    return ax


def thinned(n: int, most: int) -> range:
    """Positions 0..n-1, every k-th so that at most ``most`` remain (tick labels that do
    not overlap)."""
    return range(0, n, max(1, -(-n // most)))


def cohort_heatmap(
    matrix: pd.DataFrame, ax=None, *, freq: str, title: str = "Cohorts", annotate: bool = True
):
    """Cohort x age retention as a heatmap, annotated (``annotate``) up to 24 x 30 cells;
    tick labels thinned so they never overlap."""
    import matplotlib.pyplot as plt
    from matplotlib.font_manager import FontProperties
    from matplotlib.ticker import PercentFormatter

    from .results import period_label

    if ax is None:
        height = min(2.5 + 0.3 * len(matrix), 12)
        _, ax = plt.subplots(figsize=(10, height), layout="constrained")
    values = matrix.to_numpy(dtype=float)
    image = ax.imshow(values, cmap="Blues", aspect="auto", vmin=0, vmax=max(1.0, np.nanmax(values)))
    small = annotate and values.shape[1] <= 24 and values.shape[0] <= 30
    for (i, j), v in np.ndenumerate(values) if small else []:
        if not np.isnan(v):
            ax.text(
                j,
                i,
                f"{v:.0%}",
                ha="center",
                va="center",
                fontsize=7,
                color="white" if v > 0.6 else "black",
            )
    # as many labels as fit the Axes (a tick is 5% of a small figure's drawing time): up to
    # 24 ages across and 30 cohorts down, one label per 2.2 (ages) or 1.5 (cohorts) font
    # sizes of the Axes' width or height
    width, height = ax.get_position().size * ax.figure.get_size_inches() * 72
    size = FontProperties(size=plt.rcParams["ytick.labelsize"]).get_size_in_points()
    columns = thinned(values.shape[1], min(24, max(2, int(width / (2.2 * size)))))
    ax.set_xticks(list(columns), [str(matrix.columns[j]) for j in columns])
    rows = thinned(values.shape[0], min(30, max(2, int(height / (1.5 * size)))))
    ax.set_yticks(list(rows), [period_label(matrix.index[i], freq) for i in rows])
    word = PERIOD_WORDS[freq]
    ax.set_xlabel(f"{word}s since acquisition (age)")
    ax.set_ylabel(f"cohort (UTC {word} of first activity)")
    ax.set_title(title)
    bar = ax.figure.colorbar(image, ax=ax, format=PercentFormatter(1.0, decimals=0))
    bar.set_label("retention (% of the cohort's first period)")
    return ax


def retention_lines(
    average: pd.DataFrame, ax=None, *, by=(), freq: str, title: str = "Cohort retention"
):
    """The pooled retention curve per ``by`` group: share retained per age since the start."""
    from matplotlib.ticker import PercentFormatter

    ax = axes(ax)
    labelled = average.assign(group=group_column(average, by) if by else "all")
    groups = list(labelled.groupby("group", sort=True))
    for color, (name, rows) in zip(colors(len(groups)), groups):
        rows = rows.sort_values("age")
        ax.plot(rows["age"], rows["retention"], marker="o", markersize=3, color=color, label=name)
    if by:
        ax.legend(frameon=False, title=", ".join(by))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylim(bottom=0)
    ax.set_xlabel(f"{PERIOD_WORDS[freq]}s since the start (age)")
    ax.set_ylabel("retained (pooled over cohorts)")
    ax.set_title(title)
    return ax


def gap_histogram(gaps: pd.DataFrame, ax=None, *, by=(), title: str = "Days between purchases"):
    """Histogram of the whole days between consecutive purchase days, one per group (every
    group drawn, labelled by its ``by`` values); the top 1% is gathered in the last bin."""
    ax = axes(ax)
    groups = list(gaps.groupby(list(by), observed=True)) if by else [(None, gaps)]
    upper = float(gaps["gap_days"].quantile(0.99)) if len(gaps) else 1.0
    width = max(1, int(np.ceil(upper / 60)))
    edges = np.arange(0.5, upper + width + 0.5, width)
    for i, (name, part) in enumerate(groups):
        label = None if name is None else ", ".join(map(str, np.atleast_1d(name)))
        ax.hist(
            part["gap_days"].clip(upper=upper),
            bins=edges,
            weights=np.full(len(part), 100 / max(len(part), 1)),
            histtype="stepfilled" if len(groups) == 1 else "step",
            linewidth=1.5,
            color=PALETTE[i % len(PALETTE)],
            label=label,
        )
    if by:
        ax.legend(frameon=False, title=", ".join(by))
    ax.set_xlabel(f"days between purchase days (top 1% gathered at {upper:.0f} days)")
    ax.set_ylabel(f"share of gaps (% per {width}-day bin)")
    ax.set_title(title)
    return ax


def funnel_bars(table: pd.DataFrame, ax=None, *, by=(), unit: str = "customer", title="Funnel"):
    """Units reaching each step as bars with the conversion from step 1; broken down, the
    conversion from step 1 of every ``by`` group side by side."""
    from matplotlib.patches import Patch

    ax = axes(ax)
    steps = list(dict.fromkeys(table["step"]))
    if not by:
        x = np.arange(len(steps))
        ax.bar(x, table["n"], color=PALETTE[0])
        for i, row in enumerate(table.itertuples()):
            ax.text(i, row.n, f"{row.n:,}\n{row.conversion:.1%}", ha="center", va="bottom")
        ax.set_ylim(0, table["n"].max() * 1.15)
        ax.set_ylabel(f"{unit}s reaching the step (label: share of step 1)")
    else:
        label = table[list(by)].astype(str).agg(", ".join, axis=1)
        wide = table.assign(group=label).pivot(index="step", columns="group", values="conversion")
        wide = wide.reindex(steps)
        k = wide.shape[1]
        shades = colors(k)
        # every bar in one ax.bar call, step by step (not pandas' plot.bar, nor one call per
        # group: 50 ms less per figure, which funnel_explorer redraws on every change)
        x = np.arange(len(steps))[:, None] + (np.arange(k) - (k - 1) / 2) * (0.8 / k)
        ax.bar(x.ravel(), wide.to_numpy().ravel(), 0.8 / k, color=shades * len(steps))
        ax.yaxis.set_major_formatter("{x:.0%}")
        ax.set_ylabel(f"share of the group's {unit}s at step 1")
        # upper right, where a funnel's bars are short ('best' searches and costs 10 ms)
        handles = [Patch(color=shade) for shade in shades]
        ax.legend(
            handles, list(wide.columns), frameon=False, title=", ".join(by), loc="upper right"
        )
    ax.set_xticks(range(len(steps)), steps)
    ax.set_xlabel("funnel step")
    ax.set_title(title)
    return ax


def conversion_trend(periods: pd.DataFrame, ax=None, *, freq: str, title: str):
    """Conversion per period with its interval as a band (periods without a rate skipped)."""
    from matplotlib.ticker import PercentFormatter

    ax = axes(ax)
    rows = periods.dropna(subset=["conversion"])
    x = rows["period"].dt.tz_convert(None)
    color = PALETTE[0]
    ax.fill_between(
        x, rows["conversion_ci_low"], rows["conversion_ci_high"], color=color, alpha=0.2, lw=0
    )
    ax.plot(x, rows["conversion"], color=color, marker="o", markersize=3, label="conversion")
    period_ticks(ax, rows["period"], freq)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylim(bottom=0)
    ax.set_xlabel(f"{PERIOD_WORDS[freq]} the attempt started (UTC)")
    ax.set_ylabel("converted (band: interval)")
    ax.set_title(title)
    return ax


def conversion_time(
    times: pd.DataFrame, ax=None, *, by=(), steps=("from_step", "to_step"), title="Time to convert"
):
    """Cumulative share of converters against the time they took (hours when nine in ten
    converted within two days, days otherwise), one line per ``by`` group."""
    ax = axes(ax)
    short = len(times) and times["time_days"].quantile(0.9) < 2
    scale, unit = (24, "hours") if short else (1, "days")
    labelled = times.assign(group=group_column(times, by) if by else "all")
    groups = list(labelled.groupby("group", sort=True))
    for shade, (name, part) in zip(colors(len(groups)), groups):
        values = np.sort(part["time_days"].to_numpy()) * scale
        share = np.arange(1, len(values) + 1) / len(values)
        ax.step(values, share, where="post", color=shade, label=name if by else None)
    if by:
        ax.legend(frameon=False, title=", ".join(by))
    ax.yaxis.set_major_formatter("{x:.0%}")
    ax.set_xlabel(f"{unit} from {steps[0]} to {steps[1]}")
    ax.set_ylabel("share of converters (cumulative)")
    ax.set_title(title)
    return ax


def wrap_path(path: str, width: int = 48) -> str:
    """A path ('a > b > c') on lines of at most ``width`` characters, broken after ' > '."""
    lines, line = [], ""
    for state in path.split(" > "):
        if line and len(line) + 3 + len(state) > width and state != "...":
            lines.append(line + " >")
            line = state
        else:
            line = f"{line} > {state}" if line else state
    return "\n".join([*lines, line])


def path_bars(table: pd.DataFrame, ax=None, *, unit: str = "customer"):
    """Units per path as horizontal bars, labelled with the path's conversion (long paths
    on several lines; a new figure grows with the number of paths)."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(10, min(2 + 0.5 * len(table), 14)), layout="constrained")
        ax.spines[["top", "right"]].set_visible(False)
    y = np.arange(len(table))
    ax.barh(y, table["n"], color=PALETTE[0])
    for i, row in enumerate(table.itertuples()):
        ax.text(row.n, i, f" {row.n:,}  ({row.conversion:.0%} convert)", va="center", fontsize=8)
    ax.set_yticks(y, [wrap_path(p) for p in table["path"]], fontsize=7)
    ax.set_xlim(0, table["n"].max() * 1.35)
    ax.invert_yaxis()
    ax.set_xlabel(f"{unit}s following the path")
    ax.set_ylabel("path (states in time order)")
    ax.set_title("Top paths")
    return ax


def mix_bars(table: pd.DataFrame, ax=None, *, by: str, channel: str, order=None):
    """Stacked shares of the ``channel`` values within each ``by`` group (rows in
    ``order`` when given)."""
    ax = axes(ax)
    wide = table.pivot(index=by, columns=channel, values="share").fillna(0)
    if order is not None:
        wide = wide.reindex([v for v in order if v in wide.index])
    wide.plot.barh(stacked=True, ax=ax, color=colors(wide.shape[1]), width=0.8)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter("{x:.0%}")
    ax.set_xlabel(f"share of the {by}'s events with a {channel}")
    ax.set_ylabel(by)
    ax.legend(frameon=False, bbox_to_anchor=(1, 1), loc="upper left", title=channel)
    ax.set_title(f"Channel mix per {by}")
    return ax


def flow_chart(
    nodes: pd.DataFrame, links: pd.DataFrame, ax=None, *, unit: str = "customer", title="Flow"
):
    """The flow of :func:`journeykit.sankey_data` as a layered chart: per step a column of
    nodes (height: the units at that state, largest on top), and bands to the next step
    (width: the units moving, coloured by the state they leave). States too small to label
    are drawn unlabelled; 'end' (grey) holds the journeys that stopped."""
    from matplotlib.patches import PathPatch, Rectangle
    from matplotlib.path import Path

    ax = axes(ax)
    steps = sorted(nodes["step"].unique())
    heights = nodes.groupby("step")["n"].agg(["sum", "size"])
    gap = 0.015 * heights["sum"].max()
    column = heights["sum"] + gap * (heights["size"] - 1)
    tallest = column.max()
    states = nodes[nodes["state"] != "end"].groupby("state")["n"].sum().sort_values()[::-1]
    shade = dict(zip(states.index, colors(len(states))))
    shade["end"] = "#c8c8c8"
    width = 0.12
    top, x = {}, {}
    for step in steps:
        y = (tallest + column[step]) / 2  # each column centred
        for node in nodes[nodes["step"] == step].itertuples():
            top[node.id], x[node.id] = y, step
            corner = (step - width / 2, y - node.n)
            ax.add_patch(Rectangle(corner, width, node.n, color=shade[node.state]))
            if node.n >= 0.04 * tallest:
                label = f"{node.state} ({node.n:,})"
                ax.text(step + width / 2 + 0.03, y - node.n / 2, label, va="center", fontsize=7)
            y -= node.n + gap
    # bands leave a node top-down in the order of their targets, and enter top-down in the
    # order of their sources, so they never cross inside a node
    out_at, in_at = dict(top), dict(top)
    order = links.assign(s=links["source"].map(top), t=links["target"].map(top))
    codes = [Path.MOVETO, *[Path.CURVE4] * 3, Path.LINETO, *[Path.CURVE4] * 3, Path.CLOSEPOLY]
    for link in order.sort_values(["s", "t"], ascending=False).itertuples():
        y0 = out_at[link.source]
        out_at[link.source] -= link.n
        y1 = in_at[link.target]
        in_at[link.target] -= link.n
        x0, x1 = x[link.source] + width / 2, x[link.target] - width / 2
        middle = (x0 + x1) / 2
        points = [(x0, y0), (middle, y0), (middle, y1), (x1, y1), (x1, y1 - link.n)]
        points += [(middle, y1 - link.n), (middle, y0 - link.n), (x0, y0 - link.n), (x0, y0)]
        state = nodes.loc[nodes["id"] == link.source, "state"].iloc[0]
        ax.add_patch(PathPatch(Path(points, codes), color=shade[state], alpha=0.35, lw=0))
    ax.set_xlim(steps[0] - 0.3, steps[-1] + 0.9)
    ax.set_ylim(0, tallest * 1.01)
    ax.set_xticks(steps, [f"step {s}" for s in steps])
    ax.set_yticks([])
    ax.spines[["left", "top", "right"]].set_visible(False)
    ax.set_xlabel("step of the journey ('end': stopped after the previous step)")
    ax.set_ylabel(f"{unit}s (height)")
    ax.set_title(title)
    return ax


def sankey(nodes: pd.DataFrame, links: pd.DataFrame, *, unit: str = "customer"):
    """A plotly Sankey of nodes (id, step, state, n) and links (source, target, n)."""
    import plotly.graph_objects as go  # imported here: only this figure needs plotly

    labels = [f"{s} ({n:,})" for s, n in zip(nodes["state"], nodes["n"])]
    x = (nodes["step"] - 1) / max(int(nodes["step"].max()) - 1, 1)
    node = dict(label=labels, x=(x * 0.98 + 0.01).tolist(), pad=12, thickness=14)
    link = dict(source=links["source"], target=links["target"], value=links["n"])
    figure = go.Figure(go.Sankey(node=node, link=link, arrangement="snap"))
    figure.update_layout(title=f"Journey flow: the first steps ({unit}s)", height=500)
    return figure


def responder_histogram(customers: pd.DataFrame, min_share: float, ax=None):
    """Customers by the share of their purchases inside promotion windows, with the
    responder threshold."""
    ax = axes(ax)
    ax.hist(customers["share_in_promotion"], bins=np.linspace(0, 1, 21), color=PALETTE[0])
    ax.axvline(min_share, color=PALETTE[1], ls="--", lw=1.2)
    label = f" responders: {min_share:.0%} or more"
    where = ax.get_xaxis_transform()  # x in data, y in axes fractions
    ax.text(min_share, 0.97, label, color=PALETTE[1], fontsize=9, va="top", transform=where)
    ax.xaxis.set_major_formatter("{x:.0%}")
    ax.set_xlabel("share of the customer's purchases inside promotion windows")
    ax.set_ylabel("customers")
    ax.set_title("Promotion responders")
    return ax


def event_bars(table: pd.DataFrame, ax=None):
    """Events per event name as horizontal bars, labelled with the customers having it."""
    ax = axes(ax)
    y = np.arange(len(table))
    ax.barh(y, table["n"], color=PALETTE[0])
    for i, row in enumerate(table.itertuples()):
        ax.text(row.n, i, f" {row.n:,} ({row.customers:,} customers)", va="center", fontsize=9)
    ax.set_yticks(y, table["event"])
    ax.invert_yaxis()
    ax.set_xlabel("events")
    ax.set_title("Events in the data")
    return ax


#: The quartile columns of a table of times (days), as the funnels name them.
QUARTILE_COLUMNS = ("time_q1_days", "time_median_days", "time_q3_days")
#: Units a time axis can read in: (name, days in one), from the smallest.
TIME_UNITS = (("seconds", 1 / 86_400), ("minutes", 1 / 1_440), ("hours", 1 / 24), ("days", 1.0))
#: Ticks of a logarithmic time axis: (label, days).
TIME_TICKS = (
    ("1 s", 1 / 86_400),
    ("10 s", 10 / 86_400),
    ("1 min", 1 / 1_440),
    ("10 min", 10 / 1_440),
    ("1 h", 1 / 24),
    ("6 h", 6 / 24),
    ("1 day", 1.0),
    ("1 week", 7.0),
    ("30 days", 30.0),
    ("1 year", 365.25),
)


def time_unit(days) -> tuple[str, float]:
    """The unit (name, days in one) that reads a typical time of ``days`` (the median of
    the values): seconds under a minute, minutes under an hour, hours under two days."""
    days = np.asarray(days, dtype=float)
    typical = float(np.nanmedian(days)) if np.isfinite(days).any() else 1.0
    for (name, size), (_, bigger) in zip(TIME_UNITS, TIME_UNITS[1:]):
        if typical < bigger * (2 if name == "hours" else 1):
            return name, size
    return TIME_UNITS[-1]


def transition_times(table: pd.DataFrame, ax=None, *, title: str, ylabel: str):
    """One row per transition (in the order given, the first on top): the median time to
    the next event as a dot, its quartiles as a bar, labelled with the median in words and
    n. The axis is logarithmic, ticked in words (1 min, 1 h, 1 day), when the times differ
    by more than 30 times, and in one unit from 0 otherwise; a new figure grows with the
    rows."""
    import matplotlib.pyplot as plt

    from .results import in_words

    if ax is None:
        _, ax = plt.subplots(figsize=(9, min(2 + 0.4 * len(table), 12)), layout="constrained")
        ax.spines[["top", "right"]].set_visible(False)
    low, mid, high = (table[c].to_numpy(dtype=float) for c in QUARTILE_COLUMNS)
    known = np.concatenate([low, mid, high])
    positive = known[np.isfinite(known) & (known > 0)]
    log = len(positive) > 0 and positive.max() / positive.min() > 30
    name, size = ("", 1.0) if log else time_unit(mid)
    low, mid, high = low / size, mid / size, high / size
    y = np.arange(len(table))
    ax.hlines(y, low, high, color=PALETTE[0], linewidth=4, alpha=0.45)
    ax.plot(mid, y, "o", color=PALETTE[0])
    right = np.nanmax(high) if np.isfinite(high).any() else 1.0
    if log:
        ax.set_xscale("log", nonpositive="clip")
        ax.set_xlim(positive.min() / 2, right * 8)
        ticks = [(t, d) for t, d in TIME_TICKS if positive.min() / 2 <= d <= right * 8]
        ax.set_xticks([d for _, d in ticks], [t for t, _ in ticks])
        ax.minorticks_off()
        ax.set_xlabel("time to the next event (log scale; dot: median, bar: quartiles 1 to 3)")
    else:
        ax.set_xlim(0, right * 1.35)
        ax.set_xlabel(f"{name} to the next event (dot: median, bar: quartiles 1 to 3)")
    for i, row in enumerate(table.itertuples()):
        ax.text(
            high[i],
            i,
            f"  {in_words(row.time_median_days)}  (n={row.n:,})",
            va="center",
            fontsize=8,
        )
    ax.set_yticks(y, [f"{a} -> {b}" for a, b in zip(table["from"], table["to"])], fontsize=8)
    ax.invert_yaxis()
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    return ax


def step_heatmap(
    shares: pd.DataFrame, counts: pd.DataFrame, ax=None, *, title: str, xlabel: str, ylabel: str
):
    """A step matrix (states down, steps across) as :func:`transition_heatmap` draws it,
    with upright step numbers and a line above the last row (the ended journeys)."""
    ax = transition_heatmap(
        shares, counts.fillna(0).astype("int64"), ax, title=title, xlabel=xlabel, ylabel=ylabel
    )
    ax.tick_params(axis="x", labelrotation=0)
    for label in ax.get_xticklabels():
        label.set_horizontalalignment("center")
    ax.axhline(len(shares) - 1.5, color="black", linewidth=1)
    return ax
