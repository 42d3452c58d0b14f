"""Every journeykit drawing, in one consistent style (matplotlib imported lazily)."""

from __future__ import annotations

import numpy as np
import pandas as pd

PALETTE = ("#1f4e79", "#e07b39", "#3a9e6f", "#b8403a", "#7a5ba8", "#8c8c8c", "#c9a227")


def axes(ax=None):
    """The given Axes, or a new figure's Axes in the journeykit style."""
    import matplotlib.pyplot as plt

    if ax is not None:
        return ax
    _, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def stage_bars(table: pd.DataFrame, ax=None, *, by: str | None = None):
    """Customers reaching each stage as horizontal bars, with the step conversion."""
    ax = axes(ax)
    if by is None:
        y = range(len(table))
        ax.barh(y, table["customers"], color=PALETTE[0])
        for i, row in enumerate(table.itertuples()):
            rate = "" if pd.isna(row.rate_from_previous) else f"  {row.rate_from_previous:.1%}"
            ax.text(row.customers, i, f" {row.customers:,}{rate}", va="center", fontsize=9)
        ax.set_yticks(list(y), table["stage"])
    else:
        wide = table.pivot(index="stage", columns=by, values="customers")
        wide = wide.reindex([s for s in table["stage"].unique()])
        wide.plot.barh(ax=ax, color=PALETTE[: wide.shape[1]])
    ax.invert_yaxis()
    ax.set_xlabel("customers reaching the stage")
    ax.set_ylabel("")
    return ax


def stage_lines(table: pd.DataFrame, ax=None):
    """Customers reaching each stage per period."""
    ax = axes(ax)
    wide = table.pivot_table(index="period", columns="stage", values="customers", aggfunc="sum")
    order = [s for s in table["stage"].unique() if s in wide.columns]
    wide[order].plot(ax=ax, color=PALETTE[: len(order)], marker="o", markersize=3)
    ax.set_ylabel("customers reaching the stage")
    ax.set_xlabel("")
    return ax


def status_bars(table: pd.DataFrame, ax=None, *, by: str | None = None):
    """Customers per lifecycle status (grouped by ``by`` when given)."""
    ax = axes(ax)
    if by is None:
        ax.bar(table["status"].astype(str), table["n"], color=PALETTE[: len(table)])
    else:
        wide = table.pivot_table(index="status", columns=by, values="n", observed=False)
        wide.plot.bar(ax=ax, color=PALETTE[: wide.shape[1]], rot=0)
    ax.set_ylabel("customers")
    ax.set_xlabel("")
    return ax


def growth_bars(table: pd.DataFrame, ax=None):
    """Growth accounting: new, returning, reactivated stacked up, dormant below zero."""
    ax = axes(ax)
    x = range(len(table))
    bottom = pd.Series(0, index=table.index)
    for i, name in enumerate(("returning", "new", "reactivated")):
        ax.bar(x, table[name], bottom=bottom, color=PALETTE[i], label=name)
        bottom = bottom + table[name]
    ax.bar(x, table["dormant"], color=PALETTE[3], label="dormant")
    ax.axhline(0, color="black", linewidth=0.8)
    step = max(1, len(table) // 12)
    ax.set_xticks(list(x)[::step], [f"{p:%Y-%m-%d}" for p in table["period"]][::step], rotation=45)
    ax.set_ylabel("customers")
    ax.legend(frameon=False, ncols=4, loc="upper left")
    return ax


def segment_bars(segments: pd.DataFrame, ax=None):
    """Share of customers and of revenue per RFM segment."""
    ax = axes(ax)
    y = range(len(segments))
    ax.barh(
        [i - 0.2 for i in y], segments["share"], height=0.4, color=PALETTE[0], label="customers"
    )
    ax.barh(
        [i + 0.2 for i in y],
        segments["revenue_share"],
        height=0.4,
        color=PALETTE[1],
        label="revenue",
    )
    ax.set_yticks(list(y), segments["segment"].astype(str))
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    ax.legend(frameon=False)
    return ax


def transition_heatmap(shares: pd.DataFrame, counts: pd.DataFrame, ax=None):
    """Row shares as a heatmap, annotated with share and count."""
    ax = axes(ax)
    ax.imshow(shares.fillna(0).to_numpy(), cmap="Blues", vmin=0, vmax=1, aspect="auto")
    for i in range(shares.shape[0]):
        for j in range(shares.shape[1]):
            share = shares.iat[i, j]
            text = "" if pd.isna(share) else f"{share:.0%}\n{counts.iat[i, j]:,}"
            ax.text(
                j,
                i,
                text,
                ha="center",
                va="center",
                fontsize=8,
                color="white" if share > 0.6 else "black",
            )
    ax.set_xticks(range(shares.shape[1]), [str(c) for c in shares.columns])
    ax.set_yticks(range(shares.shape[0]), [str(r) for r in shares.index])
    ax.set_xlabel(shares.columns.name or "")
    ax.set_ylabel(shares.index.name or "")
    return ax


def nps_bars(table: pd.DataFrame, ax=None, *, by=()):
    """Stacked detractor/passive/promoter shares per group, with the NPS and its interval
    on a second axis (-100..100)."""
    ax = axes(ax)
    rows = table[~table["suppressed"]] if "suppressed" in table else table
    labels = [", ".join(str(r[b]) for b in by) for _, r in rows.iterrows()] if by else ["all"]
    y = range(len(rows))
    left = pd.Series(0.0, index=rows.index)
    for name, colour in (
        ("p_detractor", PALETTE[3]),
        ("p_passive", PALETTE[5]),
        ("p_promoter", PALETTE[2]),
    ):
        ax.barh(y, rows[name], left=left, color=colour, label=name[2:] + "s", height=0.6)
        left = left + rows[name]
    ax.set_yticks(list(y), labels)
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    twin = ax.twiny()
    twin.errorbar(
        rows["nps"],
        list(y),
        xerr=[rows["nps"] - rows["ci_low"], rows["ci_high"] - rows["nps"]],
        fmt="o",
        color="black",
        capsize=3,
        label="NPS",
    )
    twin.set_xlim(-100, 100)
    twin.set_xlabel("NPS (with interval)")
    ax.invert_yaxis()
    ax.legend(frameon=False, ncols=3, loc="upper center", bbox_to_anchor=(0.5, -0.08))
    return ax


def nps_trend_lines(table: pd.DataFrame, ax=None, *, by=()):
    """NPS per period with its interval band, one line per group."""
    ax = axes(ax)
    groups = table.groupby(list(by), sort=False) if by else [("all", table)]
    for i, (name, g) in enumerate(groups):
        colour = PALETTE[i % len(PALETTE)]
        ax.plot(g["period"], g["nps"], marker="o", color=colour, label=str(name))
        ax.fill_between(g["period"], g["ci_low"], g["ci_high"], color=colour, alpha=0.15)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_ylabel("NPS")
    if by:
        ax.legend(frameon=False)
    return ax


def driver_bars(table: pd.DataFrame, ax=None):
    """Standardised driver effects with intervals, largest first."""
    ax = axes(ax)
    scale = table["std_effect"] / table["effect"]
    y = range(len(table))
    ax.barh(y, table["std_effect"], color=PALETTE[0])
    ax.errorbar(
        table["std_effect"],
        list(y),
        xerr=[
            (table["effect"] - table["ci_low"]) * scale,
            (table["ci_high"] - table["effect"]) * scale,
        ],
        fmt="none",
        color="black",
        capsize=3,
    )
    ax.set_yticks(list(y), table["driver"])
    ax.invert_yaxis()
    ax.set_xlabel("score points per standard deviation of the rating")
    return ax


def forest(table: pd.DataFrame, ax=None, *, percent: bool = False, label: str = "variant"):
    """Each row's difference (``diff``) with its interval (``ci_low``, ``ci_high``) as a
    forest plot around the no-difference line."""
    ax = axes(ax)
    scale = 100 if percent else 1
    y = np.arange(len(table))[::-1]
    diff = table["diff"].to_numpy() * scale
    low = np.where(np.isfinite(table["ci_low"]), table["ci_low"] * scale, np.nan)
    high = np.where(np.isfinite(table["ci_high"]), table["ci_high"] * scale, np.nan)
    colors = [PALETTE[2] if s else PALETTE[5] for s in table.get("significant", [False] * len(y))]
    ax.hlines(
        y,
        np.where(np.isnan(low), diff, low),
        np.where(np.isnan(high), diff, high),
        color=colors,
        lw=2,
    )
    ax.scatter(diff, y, color=colors, zorder=3)
    ax.axvline(0, color="black", lw=0.8, ls="--")
    ax.set_yticks(y, table[label].astype(str))
    ax.set_xlabel("difference from control" + (" (percentage points)" if percent else ""))
    return ax


def sequence(table: pd.DataFrame, ax=None):
    """A sequential test over time: estimate, confidence sequence and the no-effect line."""
    ax = axes(ax)
    ax.fill_between(
        table["n"],
        table["ci_low"],
        table["ci_high"],
        color=PALETTE[0],
        alpha=0.2,
        label="confidence sequence (valid when peeking)",
    )
    ax.plot(
        table["n"], table["diff"], color=PALETTE[0], marker="o", markersize=3, label="difference"
    )
    ax.axhline(0, color="black", lw=0.8, ls="--")
    ax.set_xlabel("units observed")
    ax.set_ylabel("variant - control")
    ax.legend(frameon=False)
    return ax


def posterior_lift(draws: pd.DataFrame, ax=None):
    """Posterior densities of the relative lift of each variant over the control."""
    ax = axes(ax)
    for i, name in enumerate(draws.columns):
        values = draws[name].to_numpy() * 100
        ax.hist(
            values,
            bins=100,
            density=True,
            histtype="stepfilled",
            alpha=0.4,
            color=PALETTE[(i + 1) % len(PALETTE)],
            label=str(name),
        )
    ax.axvline(0, color="black", lw=0.8, ls="--")
    ax.set_xlabel("relative lift over control (%)")
    ax.set_ylabel("posterior density")
    ax.legend(frameon=False)
    return ax


def power_curve(curve: pd.DataFrame, planned, ax=None):
    """Power against the control group's size, with the planned size marked."""
    ax = axes(ax)
    ax.plot(curve["n"], curve["power"], color=PALETTE[0])
    ax.axhline(planned["power"], color=PALETTE[5], lw=0.8, ls="--")
    ax.axvline(planned["n_control"], color=PALETTE[1], lw=0.8, ls="--")
    ax.annotate(
        f" n = {planned['n_control']:,} per control arm",
        (planned["n_control"], 0.05),
        color=PALETTE[1],
        fontsize=9,
    )
    ax.set_xscale("log")
    ax.set_ylim(0, 1)
    ax.set_xlabel("units in the control arm")
    ax.set_ylabel("power")
    return ax


def survival_curves(fitters, ax=None, *, at_risk: bool = True):
    """Kaplan-Meier curves (lifelines fitters) with confidence bands and numbers at risk."""
    ax = axes(ax)
    for i, kmf in enumerate(fitters):
        kmf.plot_survival_function(ax=ax, color=PALETTE[i % len(PALETTE)], ci_show=True)
    if at_risk and len(fitters) <= 6:
        from lifelines.plotting import add_at_risk_counts

        add_at_risk_counts(*fitters, ax=ax, rows_to_show=["At risk"])
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("days since start")
    ax.set_ylabel("share still active")
    return ax


def hazard_ratios(table: pd.DataFrame, ax=None):
    """Hazard ratios with their intervals on a log scale (1 = no effect)."""
    ax = axes(ax)
    y = list(range(len(table)))[::-1]
    ax.hlines(y, table["ci_low"], table["ci_high"], color=PALETTE[0], lw=2)
    ax.scatter(table["hazard_ratio"], y, color=PALETTE[0], zorder=3)
    ax.axvline(1, color="black", lw=0.8, ls="--")
    ax.set_xscale("log")
    ax.set_yticks(y, table["covariate"])
    ax.set_xlabel("hazard ratio (> 1: churns sooner)")
    return ax


def cohort_heatmap(matrix: pd.DataFrame, ax=None):
    """Cohort x age shares as an annotated heatmap."""
    import matplotlib.pyplot as plt

    if ax is None:
        height = min(2 + 0.3 * len(matrix), 12)
        _, ax = plt.subplots(figsize=(10, height), layout="constrained")
    values = matrix.to_numpy(dtype=float)
    image = ax.imshow(values, cmap="Blues", aspect="auto", vmin=0, vmax=max(1.0, np.nanmax(values)))
    small = values.shape[1] <= 24 and values.shape[0] <= 30
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
    ax.set_xticks(range(values.shape[1]), matrix.columns)
    labels = [f"{c:%Y-%m-%d}" if hasattr(c, "strftime") else str(c) for c in matrix.index]
    ax.set_yticks(range(values.shape[0]), labels)
    ax.set_xlabel("periods since acquisition")
    ax.set_ylabel("cohort")
    ax.figure.colorbar(image, ax=ax, label="share of period 0")
    return ax


def gap_histogram(gaps: pd.DataFrame, ax=None, *, by: str | None = None):
    """Histogram of the days between consecutive purchases (per group when ``by``)."""
    ax = axes(ax)
    groups = [(None, gaps)] if by is None else list(gaps.groupby(by, observed=True))
    upper = gaps["days_between"].quantile(0.99) if len(gaps) else 1
    for i, (name, part) in enumerate(groups):
        ax.hist(
            part["days_between"].clip(upper=upper),
            bins=50,
            density=True,
            alpha=0.45,
            color=PALETTE[i % len(PALETTE)],
            label=None if name is None else str(name),
        )
    if by is not None:
        ax.legend(frameon=False)
    ax.set_xlabel("days between purchases (top 1% clipped)")
    ax.set_ylabel("density")
    return ax


def funnel_bars(table: pd.DataFrame, ax=None, *, by=()):
    """Units reaching each step as bars with the conversion from step 1 (grouped by ``by``)."""
    from matplotlib.patches import Patch

    ax = axes(ax)
    steps = list(dict.fromkeys(table["step"]))
    if not by:
        x = np.arange(len(steps))
        ax.bar(x, table["n"], color=PALETTE[0])
        for i, row in enumerate(table.itertuples()):
            ax.text(i, row.n, f"{row.n:,}\n{row.conversion:.1%}", ha="center", va="bottom")
        ax.set_ylabel("units reaching the step")
    else:
        label = table[by].astype(str).agg(" / ".join, axis=1)
        wide = table.assign(group=label).pivot(index="step", columns="group", values="conversion")
        wide = wide.reindex(steps)
        k = wide.shape[1]
        colors = [PALETTE[j % len(PALETTE)] for j in range(k)]
        # every bar in one ax.bar call, step by step (not pandas' plot.bar, nor one call per
        # group: 50 ms less per figure, which funnel_explorer redraws on every change)
        x = np.arange(len(steps))[:, None] + (np.arange(k) - (k - 1) / 2) * (0.8 / k)
        ax.bar(x.ravel(), wide.to_numpy().ravel(), 0.8 / k, color=colors * len(steps))
        ax.yaxis.set_major_formatter("{x:.0%}")
        ax.set_ylabel("conversion from step 1")
        # upper right, where a funnel's bars are short ('best' searches and costs 10 ms)
        handles = [Patch(color=color) for color in colors]
        ax.legend(
            handles, list(wide.columns), frameon=False, title=" / ".join(by), loc="upper right"
        )
    ax.set_xticks(range(len(steps)), steps)
    ax.set_xlabel("")
    return ax


def conversion_time(times: pd.DataFrame, ax=None, *, by: str | None = None):
    """Cumulative share of converters against the hours they took (per group when ``by``)."""
    ax = axes(ax)
    groups = [(None, times)] if by is None else list(times.groupby(by, observed=True))
    for i, (name, part) in enumerate(groups):
        hours = np.sort(part["hours"].to_numpy())
        share = np.arange(1, len(hours) + 1) / len(hours)
        label = None if name is None else str(name)
        ax.step(hours, share, where="post", color=PALETTE[i % len(PALETTE)], label=label)
    if by is not None:
        ax.legend(frameon=False)
    ax.yaxis.set_major_formatter("{x:.0%}")
    ax.set_xlabel("hours to convert")
    ax.set_ylabel("share of converters")
    return ax


def path_bars(table: pd.DataFrame, ax=None):
    """Units per path as horizontal bars, labelled with the conversion rate."""
    ax = axes(ax)
    y = np.arange(len(table))
    ax.barh(y, table["units"], color=PALETTE[0])
    for i, row in enumerate(table.itertuples()):
        ax.text(row.units, i, f" {row.units:,}  ({row.conversion_rate:.0%} convert)", va="center")
    ax.set_yticks(y, table["path"], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("units")
    return ax


def mix_bars(table: pd.DataFrame, ax=None, *, by: str):
    """Stacked shares of the second column's values within each ``by`` group."""
    ax = axes(ax)
    other = [c for c in table.columns[:2] if c != by][0]
    wide = table.pivot(index=by, columns=other, values="share").fillna(0)
    colors = [PALETTE[i % len(PALETTE)] for i in range(wide.shape[1])]
    wide.plot.barh(stacked=True, ax=ax, color=colors, width=0.8)
    ax.xaxis.set_major_formatter("{x:.0%}")
    ax.set_xlabel(f"share of events with a {other}")
    ax.legend(frameon=False, bbox_to_anchor=(1, 1), loc="upper left")
    return ax


def sankey(nodes: pd.DataFrame, links: pd.DataFrame):
    """A plotly Sankey of nodes (id, step, state, units) and links (source, target, units)."""
    import plotly.graph_objects as go  # imported here: only this figure needs plotly

    labels = [f"{s} ({n:,})" for s, n in zip(nodes["state"], nodes["units"])]
    x = (nodes["step"] - 1) / max(int(nodes["step"].max()) - 1, 1)
    node = dict(label=labels, x=(x * 0.98 + 0.01).tolist(), pad=12, thickness=14)
    link = dict(source=links["source"], target=links["target"], value=links["units"])
    figure = go.Figure(go.Sankey(node=node, link=link, arrangement="snap"))
    figure.update_layout(title="Journey flow: the first steps", height=500)
    return figure


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
