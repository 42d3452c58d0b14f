"""The bundled data: loaders, regeneration and the CDNOW conversion."""

import json
from pathlib import Path

import pandas as pd
import pytest
import tomllib

from journeykit import cli, datasets, read_events

ROOT = Path(__file__).resolve().parent.parent
CDNOW_SOURCE = ROOT.parent / "shared" / "data" / "cdnow" / "CDNOW_master.txt"


def test_make_datasets_regenerates_identical_files(tmp_path):
    cli.main(["datasets", "--out", str(tmp_path)])
    for name in datasets.WEBSHOP.values():
        pd.testing.assert_frame_equal(
            pd.read_parquet(tmp_path / name), pd.read_parquet(ROOT / "datasets" / name)
        )
    fresh = json.loads((tmp_path / datasets.TRUTH).read_text())
    assert fresh == datasets.ground_truth()


def test_loaders_return_canonical_frames():
    ev = datasets.load_webshop()
    pd.testing.assert_frame_equal(read_events(ev, duplicates="raise"), ev)
    assert 15_000 < ev["customer_id"].nunique() <= 20_000
    assert {"persona", "segment"} <= set(datasets.load_customers().columns)
    assert datasets.load_survey()["score"].between(0, 10).all()
    assert set(datasets.load_experiment()["variant"]) == {"control", "treatment"}
    assert datasets.ground_truth()["ab_test"]["absolute_lift"] > 0


def test_cdnow_matches_the_published_description():
    # Fader, Hardie & Lee (2005): 23,570 customers, first purchase in 1997Q1, observed to
    # the end of June 1998; 69,659 transactions in CDNOW_master.txt.
    cd = datasets.load_cdnow()
    assert len(cd) == 69_659
    assert cd["customer_id"].nunique() == 23_570
    assert cd["timestamp"].min() == pd.Timestamp("1997-01-01", tz="UTC")
    assert cd["timestamp"].max() == pd.Timestamp("1998-06-30", tz="UTC")
    first = cd.groupby("customer_id")["timestamp"].min()
    assert first.max() < pd.Timestamp("1997-04-01", tz="UTC")


@pytest.mark.skipif(not CDNOW_SOURCE.is_file(), reason="needs ../shared/data/cdnow")
def test_cdnow_conversion_matches_source(tmp_path):
    datasets.convert_cdnow(CDNOW_SOURCE, tmp_path)
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / datasets.CDNOW),
        pd.read_parquet(ROOT / "datasets" / datasets.CDNOW),
    )
    raw = pd.read_csv(CDNOW_SOURCE, sep=r"\s+")
    assert datasets.load_cdnow()["revenue"].sum() == pytest.approx(raw["dollar_value"].sum())


def test_every_bundled_file_ships_in_the_wheel():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert config["package-dir"]["journeykit._bundled"] == "datasets"
    patterns = config["package-data"]["journeykit._bundled"]
    for path in (ROOT / "datasets").iterdir():
        assert any(path.match(p) for p in patterns), path.name
    documented = (ROOT / "datasets" / "README.md").read_text()
    for name in [*datasets.WEBSHOP.values(), datasets.TRUTH, datasets.CDNOW]:
        assert name in documented
