"""Every journeykit drawing, in one consistent style (matplotlib imported lazily)."""

from __future__ import annotations

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
