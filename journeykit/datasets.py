"""The bundled data: a simulated Dutch web shop with its ground truth, and the real CDNOW log.

Files live in the top-level ``datasets/`` folder of the repository, which is installed as
the package data ``journeykit._bundled`` (so the loaders work from a wheel too).
Provenance, licences and columns: ``datasets/README.md``.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pandas as pd

from .events import read_events

WEBSHOP = {
    "events": "webshop_events.parquet",
    "customers": "webshop_customers.parquet",
    "survey": "webshop_survey.parquet",
    "assignments": "webshop_experiment.parquet",
}
TRUTH = "webshop_truth.json"
CDNOW = "cdnow.parquet"
#: The arguments the bundled web shop was simulated with (``make datasets``).
WEBSHOP_ARGS = {"n_customers": 20_000, "seed": 2024}


def _file(name: str):
    # A checkout or editable install reads datasets/ directly; a wheel carries the same
    # files as the package data journeykit._bundled (see pyproject.toml).
    source_tree = Path(__file__).resolve().parent.parent / "datasets"
    if (source_tree / TRUTH).is_file():
        return source_tree / name
    return resources.files("journeykit._bundled").joinpath(name)


def _parquet(name: str) -> pd.DataFrame:
    with _file(name).open("rb") as fh:
        return pd.read_parquet(fh)


def load_webshop() -> pd.DataFrame:
    """Events of the simulated web shop (about 20,000 customers, 2023-2024), canonical.

    Returns
    -------
    pandas.DataFrame
        ``customer_id``, ``timestamp``, ``event`` (page_view, product_view, add_to_cart,
        checkout_start, purchase, review, referral), ``revenue`` (on purchases, EUR),
        ``channel``, ``session_id``, ``order_id``, ``account_id`` (B2B), the true journey
        ``stage`` and ``payment_method``; simulated by :func:`journeykit.simulate.webshop`
        with :data:`WEBSHOP_ARGS` (``make datasets`` regenerates it identically).

    Examples
    --------
    >>> ev = load_webshop()
    >>> list(ev.columns[:3])
    ['customer_id', 'timestamp', 'event']
    """
    return read_events(_parquet(WEBSHOP["events"]))


def load_customers() -> pd.DataFrame:
    """Customers of the simulated shop, one row each.

    Returns
    -------
    pandas.DataFrame
        ``customer_id``, ``persona`` (price-conscious or quality seeker), ``segment``
        (B2C/B2B), ``account_id``, ``acquisition_channel``, ``first_visit`` and the true
        lifetime in days after the first order.

    Examples
    --------
    >>> sorted(load_customers()["segment"].unique())
    ['B2B', 'B2C']
    """
    return _parquet(WEBSHOP["customers"])


def load_survey() -> pd.DataFrame:
    """Quarterly NPS survey answers of the simulated shop, one row per answer.

    Returns
    -------
    pandas.DataFrame
        ``customer_id``, ``date``, ``wave``, ``score`` (0-10), ``persona`` and the driver
        ratings ``delivery``, ``service``, ``price``, ``site_speed`` (1-5).

    Examples
    --------
    >>> int(load_survey()["score"].max())
    10
    """
    return _parquet(WEBSHOP["survey"])


def load_experiment() -> pd.DataFrame:
    """The checkout A/B test of the simulated shop, one row per customer.

    Returns
    -------
    pandas.DataFrame
        ``customer_id``, ``experiment``, ``variant`` (control or treatment),
        ``assigned_at``, ``persona`` and ``converted`` (a purchase in the session of the
        first checkout).

    Examples
    --------
    >>> sorted(load_experiment()["variant"].unique())
    ['control', 'treatment']
    """
    return _parquet(WEBSHOP["assignments"])


def ground_truth() -> dict:
    """Every true rate the simulated shop was made with (see :mod:`journeykit.simulate`).

    Returns
    -------
    dict
        Stage conversion per persona, the A/B test's true lift, churn hazards and median
        lifetimes, promotion response and the true NPS per persona: what an analysis of
        the bundled data should recover.

    Examples
    --------
    >>> truth = ground_truth()
    >>> round(truth["ab_test"]["absolute_lift"], 2) > 0
    True
    """
    return json.loads(_file(TRUTH).read_text())


def load_cdnow() -> pd.DataFrame:
    """The CDNOW transaction log as canonical events (real data).

    Returns
    -------
    pandas.DataFrame
        69,659 purchases by 23,570 customers who made their first purchase in the first
        quarter of 1997, observed 1997-01-01 to 1998-06-30. ``event`` is ``purchase``,
        ``timestamp`` the purchase date (midnight UTC), ``revenue`` the dollar value,
        ``order_id`` the row of the original file, ``number_of_cds`` kept.

    Notes
    -----
    Source: Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way: An
    Alternative to the Pareto/NBD Model", Marketing Science 24(2), 275-284; redistributed
    under the MIT licence by the ``lifetimes`` package.

    Examples
    --------
    >>> cd = load_cdnow()
    >>> len(cd), cd["customer_id"].nunique()
    (69659, 23570)
    """
    raw = _parquet(CDNOW)
    return read_events(raw, time="date", event=None, revenue="dollar_value")


def write_webshop(out: Path) -> list[Path]:
    """Simulate the bundled web shop with :data:`WEBSHOP_ARGS` and write it to ``out``."""
    from .simulate import webshop

    sim = webshop(**WEBSHOP_ARGS)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for attr, name in WEBSHOP.items():
        getattr(sim, attr).to_parquet(out / name, index=False, compression="zstd")
        written.append(out / name)
    (out / TRUTH).write_text(json.dumps(sim.truth, indent=2, default=float) + "\n")
    return [*written, out / TRUTH]


def convert_cdnow(source: Path, out: Path) -> Path:
    """Convert ``CDNOW_master.txt`` (whitespace separated: id, YYYYMMDD, cds, dollars)."""
    has_header = any(ch.isalpha() for ch in Path(source).open().readline())
    raw = pd.read_csv(
        source,
        sep=r"\s+",
        header=None,
        skiprows=int(has_header),
        names=["customer_id", "date", "number_of_cds", "dollar_value"],
        dtype={"customer_id": str, "date": str},
    )
    raw["date"] = pd.to_datetime(raw["date"], format="%Y%m%d").dt.tz_localize("UTC")
    raw.insert(1, "order_id", [f"t{i:05d}" for i in range(1, len(raw) + 1)])
    out.mkdir(parents=True, exist_ok=True)
    raw.to_parquet(out / CDNOW, index=False, compression="zstd")
    return out / CDNOW
