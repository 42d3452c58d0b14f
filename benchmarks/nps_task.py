"""Benchmark of the NPS issue: nps() with 50 groups on 10M answers against a bare numpy
computation of the same figures (counts, shares, NPS, standard error, Wald interval), in
the same process and run. The answers are generated in memory (seeded), not read from disk.
"""

from __future__ import annotations

import time

N_ANSWERS, N_GROUPS = 10_000_000, 50
TITLE = "nps with 50 groups on 10M answers"


def answers():
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


def bare_numpy(frame):
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


def run(repeat: int = 3) -> dict:
    """Best of ``repeat`` interleaved runs of both; checks identical numbers."""
    import numpy as np

    from journeykit import nps

    frame = answers()
    best = {"baseline": np.inf, "journeykit": np.inf}
    for _ in range(repeat):
        start = time.perf_counter()
        ref = bare_numpy(frame)
        best["baseline"] = min(best["baseline"], time.perf_counter() - start)
        start = time.perf_counter()
        table = nps(frame, by="segment").table
        best["journeykit"] = min(best["journeykit"], time.perf_counter() - start)
    for got, expected in zip((table["nps"], table["ci_low"], table["ci_high"]), ref):
        np.testing.assert_allclose(got.to_numpy(), expected)
    return best


def describe(best: dict, repeat: int) -> str:
    ratio = best["journeykit"] / best["baseline"]
    return (
        f"`journeykit.nps(answers, by='segment')`: {best['journeykit']:.3f} s; a bare numpy "
        f"computation of the same figures (bincount, shares, NPS, Wald interval): "
        f"{best['baseline']:.3f} s; ratio {ratio:.2f}x (same process, best of {repeat}; "
        "identical numbers checked). journeykit also validates every answer. Floor (issue "
        "8): at most 2x."
    )
