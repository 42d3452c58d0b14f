"""Exports shaped unlike the bundled shop, generated with fixed seeds, for running the
notebooks as templates (tests/test_templates.py). Each writer puts its files in ``folder``
and returns the template parameters that point a notebook at them.

Ids are zero-padded integers of nine digits (``004711093``), so a raw id in a report can
be found by searching its text.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def _ids(rng, n: int) -> list[str]:
    return [f"{i:09d}" for i in rng.choice(np.arange(1_000_000, 9_999_999), n, replace=False)]


def clickstream(folder: Path, *, n: int = 400, seed: int = 1) -> dict:
    """CSV with ``user_id`` (zero-padded), ``action`` and ``ts`` (naive local time), the
    purchase called ``payment_done``; no revenue, channel, session or stage. Also a
    customers file (CSV, id column ``uid``, zero-padded like the events) with ``tier``."""
    rng = np.random.default_rng(seed)
    rows = []
    start = pd.Timestamp("2025-01-06 08:00")
    for user in _ids(rng, n):
        t = start + pd.Timedelta(days=float(rng.uniform(0, 200)))
        for _visit in range(int(rng.integers(1, 6))):
            rows.append((user, "landing", t))
            steps = ["view_item", "basket", "payment_done"]
            for step in steps:
                if rng.random() > 0.55:
                    break
                t += pd.Timedelta(minutes=float(rng.uniform(1, 30)))
                rows.append((user, step, t))
            t += pd.Timedelta(days=float(rng.exponential(25)))
    frame = pd.DataFrame(rows, columns=["user_id", "action", "ts"])
    frame["ts"] = frame["ts"].dt.strftime("%Y-%m-%d %H:%M:%S")
    frame.to_csv(folder / "clicks.csv", index=False)
    users = frame["user_id"].drop_duplicates()
    tiers = rng.choice(["free", "plus", "pro"], len(users), p=[0.6, 0.3, 0.1])
    pd.DataFrame({"uid": users, "tier": tiers}).to_csv(folder / "users.csv", index=False)
    return {
        "DATA_PATH": str(folder / "clicks.csv"),
        "COLUMNS": {"customer": "user_id", "event": "action", "time": "ts"},
        "TZ": "America/New_York",
        "TIME_FORMAT": None,
        "PURCHASE": "payment_done",
        "CUSTOMERS_PATH": str(folder / "users.csv"),
        "CUSTOMER_COLUMNS": {"customer": "uid"},
        "BREAKDOWNS": ["tier"],
    }


def transactions(folder: Path, *, n: int = 300, seed: int = 2) -> dict:
    """A transaction log as CDNOW's (whitespace-free CSV): ``cust`` zero-padded, ``date`` as
    YYYYMMDD integers, ``units`` and ``dollars``; no event column, no attributes."""
    rng = np.random.default_rng(seed)
    rows = []
    for cust in _ids(rng, n):
        day = pd.Timestamp("2019-01-01") + pd.Timedelta(days=int(rng.integers(0, 90)))
        for _order in range(1 + int(rng.poisson(1.5))):
            rows.append(
                (
                    cust,
                    int(day.strftime("%Y%m%d")),
                    int(rng.integers(1, 4)),
                    round(float(rng.gamma(2, 15)), 2),
                )
            )
            day += pd.Timedelta(days=int(rng.exponential(60)) + 1)
            if day > pd.Timestamp("2020-06-30"):
                break
    frame = pd.DataFrame(rows, columns=["cust", "date", "units", "dollars"])
    frame.to_csv(folder / "orders.csv", index=False)
    return {
        "DATA_PATH": str(folder / "orders.csv"),
        "COLUMNS": {"customer": "cust", "time": "date", "event": None, "revenue": "dollars"},
        "TZ": "UTC",
        "TIME_FORMAT": None,
        "PURCHASE": "purchase",
        "CUSTOMERS_PATH": None,
        "CUSTOMER_COLUMNS": {"customer": "customer_id"},
        "BREAKDOWNS": [],
    }


def crm_european(folder: Path, *, n: int = 300, seed: int = 9) -> dict:
    """A Dutch CRM export: ';' between fields, ``klantnummer`` zero-padded, ``datum`` as
    'dd.mm.yyyy hh:mm' local (Amsterdam) time, ``gebeurtenis`` in Dutch (orders are
    ``bestelling``) and ``bedrag`` with a decimal comma on orders."""
    rng = np.random.default_rng(seed)
    rows = []
    for klant in _ids(rng, n):
        t = pd.Timestamp("2024-01-01") + pd.Timedelta(hours=float(rng.uniform(0, 6000)))
        for _ in range(1 + int(rng.poisson(4))):
            what = str(rng.choice(["bezoek", "productpagina", "bestelling"], p=[0.5, 0.3, 0.2]))
            amount = f"{rng.gamma(2, 20):.2f}".replace(".", ",") if what == "bestelling" else ""
            rows.append((klant, t.strftime("%d.%m.%Y %H:%M"), what, amount))
            t += pd.Timedelta(hours=float(rng.exponential(300)) + 1)
    frame = pd.DataFrame(rows, columns=["klantnummer", "datum", "gebeurtenis", "bedrag"])
    frame.to_csv(folder / "crm.csv", sep=";", index=False)
    columns = {"customer": "klantnummer", "time": "datum", "event": "gebeurtenis"}
    return {
        "DATA_PATH": str(folder / "crm.csv"),
        "COLUMNS": columns | {"revenue": "bedrag", "decimal": ","},
        "TZ": "Europe/Amsterdam",
        "TIME_FORMAT": "%d.%m.%Y %H:%M",
        "PURCHASE": "bestelling",
        "CUSTOMERS_PATH": None,
        "CUSTOMER_COLUMNS": {"customer": "customer_id"},
        "BREAKDOWNS": [],
    }


def app_log(folder: Path, *, n: int = 400, seed: int = 3) -> dict:
    """Parquet with ``member``, ``evt``, ``epoch_ms`` (epoch milliseconds), ``sess``,
    ``src`` (channel) and ``amount`` on orders; orders are ``order_placed``, members may
    ``unsubscribe``; attributes in Parquet keyed by ``member`` with ``region``."""
    rng = np.random.default_rng(seed)
    rows = []
    for member in _ids(rng, n):
        t = pd.Timestamp("2024-03-01", tz="UTC") + pd.Timedelta(hours=float(rng.uniform(0, 4000)))
        src = str(rng.choice(["search", "mail", "social"]))
        for visit in range(int(rng.integers(1, 7))):
            sess = f"{member}-{visit}"
            rows.append((member, "open", t, sess, src, None))
            for step in ["browse", "cart", "order_placed"]:
                if rng.random() > 0.6:
                    break
                t += pd.Timedelta(minutes=float(rng.uniform(1, 20)))
                amount = round(float(rng.gamma(3, 12)), 2) if step == "order_placed" else None
                rows.append((member, step, t, sess, src, amount))
            if rng.random() < 0.08:
                rows.append((member, "unsubscribe", t + pd.Timedelta(hours=1), sess, src, None))
                break
            t += pd.Timedelta(days=float(rng.exponential(20)))
    frame = pd.DataFrame(rows, columns=["member", "evt", "t", "sess", "src", "amount"])
    frame["epoch_ms"] = frame.pop("t").astype("int64") // 1_000_000
    frame.to_parquet(folder / "app.parquet", index=False)
    members = frame["member"].drop_duplicates()
    regions = rng.choice(["north", "south"], len(members))
    pd.DataFrame({"member": members, "region": regions}).to_parquet(
        folder / "members.parquet", index=False
    )
    return {
        "DATA_PATH": str(folder / "app.parquet"),
        "COLUMNS": {
            "customer": "member",
            "event": "evt",
            "time": "epoch_ms",
            "session": "sess",
            "channel": "src",
            "revenue": "amount",
        },
        "TZ": "UTC",
        "TIME_FORMAT": None,
        "PURCHASE": "order_placed",
        "CUSTOMERS_PATH": str(folder / "members.parquet"),
        "CUSTOMER_COLUMNS": {"customer": "member"},
        "BREAKDOWNS": ["region"],
    }


def experiment_table(folder: Path, *, n: int = 2000, seed: int = 4) -> dict:
    """One row per player (CSV): ``player`` zero-padded, ``arm`` A/B, boolean
    ``retained_d7``, ``spend`` and ``sessions_before`` (a pre-period covariate)."""
    rng = np.random.default_rng(seed)
    arm = rng.choice(["A", "B"], n)
    pre = rng.poisson(4, n)
    retained = rng.random(n) < np.where(arm == "B", 0.34, 0.30)
    spend = np.round(rng.gamma(2, 3, n) * (1 + 0.1 * pre), 2)
    pd.DataFrame(
        {
            "player": _ids(rng, n),
            "arm": arm,
            "retained_d7": retained,
            "spend": spend,
            "sessions_before": pre,
        }
    ).to_csv(folder / "players.csv", index=False)
    return {
        "DATA_PATH": str(folder / "players.csv"),
        "UNIT_ID": "player",
        "VARIANT": "arm",
        "CONTROL": "A",
        "METRIC": "retained_d7",
        "COVARIATE": "sessions_before",
    }


def experiment_events(folder: Path, *, seed: int = 5) -> dict:
    """Events (the clickstream) plus an assignments CSV (``user_id``, ``group``,
    ``assigned`` as YYYYMMDD): the outcome is read from the events."""
    params = clickstream(folder, seed=seed)
    rng = np.random.default_rng(seed)
    clicks = pd.read_csv(folder / "clicks.csv", dtype={"user_id": str})
    first = clicks.groupby("user_id")["ts"].min()
    assigned = pd.to_datetime(first).dt.strftime("%Y%m%d").astype(int)
    pd.DataFrame(
        {
            "user_id": first.index,
            "group": rng.choice(["old", "new"], len(first)),
            "assigned": assigned.to_numpy(),
        }
    ).to_csv(folder / "assignments.csv", index=False)
    return {
        "DATA_PATH": params["DATA_PATH"],
        "ASSIGNMENTS_PATH": str(folder / "assignments.csv"),
        "COLUMNS": params["COLUMNS"],
        "TZ": params["TZ"],
        "PURCHASE": "payment_done",
        "UNIT_ID": "user_id",
        "VARIANT": "group",
        "CONTROL": "old",
        "METRIC": "converted",
        "COVARIATE": None,
    }


def survey_anonymous(folder: Path, *, n: int = 500, seed: int = 6) -> dict:
    """0-10 answers (CSV) with no ids and no dates: ``rating``, ``team`` and two driver
    scores ``ease`` and ``support`` (1-5)."""
    rng = np.random.default_rng(seed)
    ease = rng.integers(1, 6, n)
    support = rng.integers(1, 6, n)
    rating = np.clip(np.round(2 + 0.8 * ease + 0.5 * support + rng.normal(0, 1.5, n)), 0, 10)
    pd.DataFrame(
        {
            "rating": rating.astype(int),
            "team": rng.choice(["ops", "sales", "it"], n),
            "ease": ease,
            "support": support,
        }
    ).to_csv(folder / "answers.csv", index=False)
    return {
        "DATA_PATH": str(folder / "answers.csv"),
        "SCORE": "rating",
        "DATE": None,
        "RESPONDENT": None,
        "SEGMENT": "team",
        "DRIVERS": ["ease", "support"],
    }


def survey_with_journeys(folder: Path, *, seed: int = 7) -> dict:
    """Answers of clickstream users (``who`` zero-padded ids, ``answered`` YYYYMMDD, ``nps``
    0-10), with the clickstream as events for the journey join."""
    params = clickstream(folder, seed=seed)
    rng = np.random.default_rng(seed)
    clicks = pd.read_csv(folder / "clicks.csv", dtype={"user_id": str})
    who = clicks["user_id"].drop_duplicates().sample(frac=0.7, random_state=seed)
    days = pd.Timestamp("2025-02-01") + pd.to_timedelta(rng.integers(0, 180, len(who)), "D")
    pd.DataFrame(
        {
            "who": who.to_numpy(),
            "answered": days.strftime("%Y%m%d").astype(int),
            "nps": rng.integers(0, 11, len(who)),
        }
    ).to_csv(folder / "nps.csv", index=False)
    return {
        "DATA_PATH": str(folder / "nps.csv"),
        "EVENTS_PATH": params["DATA_PATH"],
        "COLUMNS": params["COLUMNS"],
        "TZ": params["TZ"],
        "PURCHASE": "payment_done",
        "SCORE": "nps",
        "DATE": "answered",
        "RESPONDENT": "who",
        "SEGMENT": None,
        "DRIVERS": [],
    }


def survey_parquet(folder: Path, *, n: int = 400, seed: int = 8) -> dict:
    """Parquet answers with ``score`` as text, a ``when`` date column (ISO text) and a
    ``country`` segment with a few missing values; anonymous."""
    rng = np.random.default_rng(seed)
    country = rng.choice(["nl", "be", "de", None], n, p=[0.5, 0.3, 0.15, 0.05])
    when = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, n), "D")
    pd.DataFrame(
        {
            "score": rng.integers(0, 11, n).astype(str),
            "when": when.strftime("%Y-%m-%d"),
            "country": country,
        }
    ).to_parquet(folder / "survey.parquet", index=False)
    return {
        "DATA_PATH": str(folder / "survey.parquet"),
        "SCORE": "score",
        "DATE": "when",
        "RESPONDENT": None,
        "SEGMENT": "country",
        "DRIVERS": [],
    }
