"""Benchmark of the NPS issue: nps() with 50 groups on 10M answers against a bare numpy
computation of the same figures (counts, shares, NPS, standard error, Wald interval), in
the same process and run. The answers are generated in memory (seeded), not read from disk.
"""

from __future__ import annotations

N_ANSWERS, N_GROUPS = 10_000_000, 50
TITLE = "nps with 50 groups on 10M answers"


def data():
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(8)
    return pd.DataFrame(
        {
            "score": rng.integers(0, 11, N_ANSWERS),
            "segment": pd.Categorical.from_codes(
                rng.integers(0, N_GROUPS, N_ANSWERS), [f"g{i:02d}" for i in range(N_GROUPS)]
            ),
        }
    )


def baseline(frame):
    import numpy as np
    from scipy.stats import norm

    codes = frame["segment"].cat.codes.to_numpy()
    s = frame["score"].to_numpy()
    n = np.bincount(codes, minlength=N_GROUPS)
    p = np.bincount(codes, weights=s >= 9, minlength=N_GROUPS) / n
    d = np.bincount(codes, weights=s <= 6, minlength=N_GROUPS) / n
    se = 100 * np.sqrt((p + d - (p - d) ** 2) / n)
    z = norm.ppf(0.975)
    return 100 * (p - d), 100 * (p - d) - z * se, 100 * (p - d) + z * se


def journeykit(frame):
    from journeykit import nps

    return nps(frame, by="segment", interval="wald").table


def check(table, reference) -> None:
    import numpy as np

    for got, expected in zip((table["nps"], table["nps_ci_low"], table["nps_ci_high"]), reference):
        np.testing.assert_allclose(got.to_numpy(), expected)


def describe(best: dict, repeat: int) -> str:
    ratio = best["journeykit"] / best["baseline"]
    return (
        f"`journeykit.nps(answers, by='segment', interval='wald')`: {best['journeykit']:.3f} s; "
        "a bare numpy "
        f"computation of the same figures (bincount, shares, NPS, Wald interval): "
        f"{best['baseline']:.3f} s; ratio {ratio:.2f}x (same process, best of {repeat}; "
        "identical numbers checked). journeykit also validates every answer. Floor (issue "
        "8): at most 2x."
    )
