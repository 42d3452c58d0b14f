"""Privacy helpers: keyed pseudonyms, small-cell suppression, retention limits."""

import hashlib
import hmac

import pandas as pd
import pytest

import journeykit as jk
from journeykit.errors import JourneyDataError


def _events():
    return jk.read_events(
        pd.DataFrame(
            {
                "customer_id": ["007", "008", "007", "009"],
                "event": ["visit", "visit", "purchase", "visit"],
                "timestamp": ["2022-01-10", "2023-06-01", "2024-05-01", "2024-06-01"],
            }
        ),
        tz="UTC",
    )


def test_rfc_2104_hmac_sha256_vector_is_what_pseudonyms_are_built_on():
    # RFC 4231 test case 2 (HMAC-SHA256 of RFC 2104): key "Jefe", data
    # "what do ya want for nothing?"
    mac = hmac.new(b"Jefe", b"what do ya want for nothing?", hashlib.sha256).hexdigest()
    assert mac == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    out = jk.pseudonymize(
        pd.DataFrame({"customer_id": ["what do ya want for nothing?"]}), key="Jefe"
    )
    assert out["customer_id"].iloc[0] == mac[:16]


def test_pseudonyms_are_stable_per_key_and_differ_between_keys():
    ev = _events()
    a = jk.pseudonymize(ev, key="k1")
    b = jk.pseudonymize(ev, key="k1")
    c = jk.pseudonymize(ev, key="k2")
    assert a["customer_id"].tolist() == b["customer_id"].tolist()
    assert set(a["customer_id"]).isdisjoint(c["customer_id"])
    assert a["customer_id"].iloc[0] == a["customer_id"].iloc[2]  # same customer, same id
    assert not set(a["customer_id"]) & {"007", "008", "009"}
    plain = hashlib.sha256(b"007").hexdigest()[:16]  # never a plain hash
    assert plain not in set(a["customer_id"])


def test_pseudonymize_does_not_change_its_input_and_keeps_missing():
    frame = pd.DataFrame({"customer_id": ["1", None], "x": [1, 2]})
    before = frame.copy()
    out = jk.pseudonymize(frame, key="k")
    pd.testing.assert_frame_equal(frame, before)
    assert out["customer_id"].isna().tolist() == [False, True]


def test_pseudonymize_on_ibis_equals_pandas():
    ev = _events()
    table = jk.pseudonymize(_ibis(ev), key="k")
    got = table.to_pandas().sort_values(["timestamp"]).reset_index(drop=True)
    want = jk.pseudonymize(ev, key="k").sort_values(["timestamp"]).reset_index(drop=True)
    assert got["customer_id"].tolist() == want["customer_id"].tolist()


def _ibis(frame):
    import ibis

    return ibis.memtable(frame)


@pytest.mark.parametrize("key", [None, "", 12])
def test_pseudonymize_without_a_key_is_a_clear_error(key):
    with pytest.raises(JourneyDataError, match="key: expected a secret"):
        jk.pseudonymize(_events(), key=key)


def test_pseudonymize_unknown_column_names_it():
    with pytest.raises(JourneyDataError, match="no column 'user'"):
        jk.pseudonymize(_events(), key="k", columns=["user"])


def test_suppress_small_blanks_small_rows_and_keeps_labels():
    table = pd.DataFrame({"group": ["a", "b", "c"], "n": [120, 9, 10], "rate": [0.5, 0.2, 0.1]})
    out = jk.suppress_small(table, min_n=10)
    assert out["suppressed"].tolist() == [False, True, False]
    assert out.loc[1, "group"] == "b"
    assert pd.isna(out.loc[1, "n"]) and pd.isna(out.loc[1, "rate"])
    assert out.loc[2, "n"] == 10
    assert table["n"].tolist() == [120, 9, 10]  # input unchanged


def test_suppress_small_uses_every_count_column():
    table = pd.DataFrame({"variant": ["a", "b"], "n_control": [50, 50], "n_treatment": [50, 3]})
    assert jk.suppress_small(table)["suppressed"].tolist() == [False, True]


def test_suppress_small_without_counts_says_so():
    with pytest.raises(JourneyDataError, match="no count column"):
        jk.suppress_small(pd.DataFrame({"rate": [0.1]}))


def test_limit_retention_keeps_the_last_months():
    ev = _events()
    assert jk.limit_retention(ev, keep="24M")["timestamp"].min() == pd.Timestamp(
        "2023-06-01", tz="UTC"
    )
    assert len(jk.limit_retention(ev, keep="1Y")) == 2  # after 2023-06-01
    assert len(jk.limit_retention(ev, keep="12M", as_of="2023-12-31")) == 3


@pytest.mark.parametrize("keep", ["24", "2 weeks", 24, "0M", "-3M"])
def test_limit_retention_needs_months_or_years(keep):
    with pytest.raises(JourneyDataError, match="keep: expected a number of months or years"):
        jk.limit_retention(_events(), keep=keep)


def test_read_events_pseudonymizes_at_the_door_when_a_template_runs_with_a_key(monkeypatch):
    monkeypatch.setenv(jk.privacy.PSEUDONYMIZE_KEY, "k")
    ev = _events()
    assert not set(ev["customer_id"]) & {"007", "008", "009"}
    attrs = jk.read_attributes(pd.DataFrame({"customer_id": ["007"], "persona": ["x"]}))
    assert attrs["customer_id"].iloc[0] in set(ev["customer_id"])  # still joins
