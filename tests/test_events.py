"""read_events, the canonical schema and journey stages."""

import datetime as dt
import warnings

import ibis
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journeykit import (
    STAGE_LABELS_NL,
    STAGES,
    JourneyDataError,
    JourneyWarning,
    map_stages,
    read_events,
)
from journeykit.checks import as_timedelta, as_utc


def raw(**overrides):
    data = {
        "customer_id": ["b", "a", "a"],
        "timestamp": ["2024-03-01 10:00", "2024-03-01 09:00", "2024-03-02 09:30"],
        "event": ["page_view", "page_view", "purchase"],
    }
    data.update(overrides)
    return pd.DataFrame(data)


# ----------------------------------------------------------------------------- happy paths


def test_canonical_output_sorted_and_typed():
    ev = read_events(raw(revenue=[None, None, "12.5"]))
    assert list(ev.columns) == ["customer_id", "timestamp", "event", "revenue"]
    assert str(ev["timestamp"].dtype) == "datetime64[us, UTC]"
    assert ev["customer_id"].tolist() == ["a", "a", "b"]
    assert ev["revenue"].tolist()[1] == 12.5
    assert ev.index.tolist() == [0, 1, 2]


def test_renames_user_columns_and_keeps_others():
    frame = pd.DataFrame(
        {
            "user": [7, 8],
            "ts": ["2024-01-01 00:00", "2024-01-01 00:01"],
            "name": ["x", "y"],
            "amount": [1.0, 2.0],
            "utm": ["cpc", "seo"],
            "sid": [1.0, 2.0],
        }
    )
    ev = read_events(
        frame, customer="user", time="ts", event="name", revenue="amount", session="sid"
    )
    assert list(ev.columns) == ["customer_id", "timestamp", "event", "revenue", "session_id", "utm"]
    # integer-valued float ids lose their '.0'
    assert ev["customer_id"].tolist() == ["7", "8"]
    assert ev["session_id"].tolist() == ["1", "2"]


def test_naive_times_read_in_tz_across_dst():
    # Amsterdam is UTC+1 in winter (CET) and UTC+2 in summer (CEST).
    ev = read_events(
        raw(timestamp=["2024-01-15 10:00", "2024-07-15 10:00", "2024-07-15 11:00"]),
        tz="Europe/Amsterdam",
    )
    got = sorted(ev["timestamp"].dt.strftime("%m-%d %H:%M"))
    assert got == ["01-15 09:00", "07-15 08:00", "07-15 09:00"]


def test_offsets_and_aware_values_ignore_tz():
    offsets = ["2024-03-01T10:00:00+01:00", "2024-03-01T09:00:00Z", "2024-03-01T04:00:00-05:00"]
    ev = read_events(raw(timestamp=offsets), tz="Asia/Tokyo")
    assert set(ev["timestamp"].dt.hour) == {9}
    aware = pd.to_datetime(["2024-03-01 10:00"] * 3).tz_localize("Europe/Amsterdam")
    ev = read_events(raw(timestamp=aware), tz="Asia/Tokyo")
    assert set(ev["timestamp"].dt.hour) == {9}


@pytest.mark.parametrize(
    ("values", "unit"),
    [
        ([1_700_000_000, 1_700_000_000, 1_700_000_000], None),  # seconds, detected
        ([1_700_000_000_000] * 3, None),  # milliseconds, detected
        ([1_700_000_000_000_000] * 3, None),  # GA4 microseconds, detected
        ([1_700_000_000_000_000] * 3, "us"),
        ([1_700_000_000.0] * 3, "s"),
    ],
)
def test_epoch_numbers(values, unit):
    # 1_700_000_000 s after 1970-01-01 is 2023-11-14 22:13:20 UTC.
    ev = read_events(raw(timestamp=values), time_unit=unit)
    assert (ev["timestamp"] == pd.Timestamp("2023-11-14 22:13:20", tz="UTC")).all()


def test_dates_and_naive_datetimes():
    dates = [dt.date(2024, 1, 1), dt.date(2024, 1, 2), dt.date(2024, 1, 3)]
    ev = read_events(raw(timestamp=dates))
    assert ev["timestamp"].min() == pd.Timestamp("2024-01-01", tz="UTC")
    naive = pd.to_datetime(["2024-01-01 12:00"] * 3)
    ev = read_events(raw(timestamp=naive), tz="Europe/Amsterdam")
    assert set(ev["timestamp"].dt.hour) == {11}


def test_time_format_for_dutch_dates():
    ev = read_events(raw(timestamp=["01-03-2024 10:00"] * 3), time_format="%d-%m-%Y %H:%M")
    assert set(ev["timestamp"].dt.month) == {3}


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz", ".tsv", ".parquet", ".jsonl", ".ndjson.gz"])
def test_files_by_suffix(tmp_path, suffix):
    frame = raw(customer_id=["007", "001", "001"])
    path = tmp_path / f"events{suffix}"
    if ".parquet" in suffix:
        frame.to_parquet(path)
    elif ".tsv" in suffix:
        frame.to_csv(path, sep="\t", index=False)
    elif ".csv" in suffix:
        frame.to_csv(path, index=False)
    else:
        frame.to_json(path, orient="records", lines=True)
    ev = read_events(path)
    assert ev["customer_id"].tolist() == ["001", "001", "007"]  # leading zeros kept
    assert len(ev) == 3


def test_ibis_in_lazy_ibis_out_same_values():
    frame = raw(revenue=[None, None, 3.0])
    lazy = read_events(ibis.memtable(frame), tz="Europe/Amsterdam")
    assert isinstance(lazy, ibis.expr.types.Table)
    got = lazy.to_pandas().sort_values(["customer_id", "timestamp"]).reset_index(drop=True)
    expected = read_events(frame, tz="Europe/Amsterdam")
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert str(got["timestamp"].dt.tz) == "UTC"


@pytest.mark.parametrize("values", [[1_700_000_000] * 3, ["2024-03-01T10:00:00+01:00"] * 3])
def test_ibis_epochs_and_offsets(values):
    got = read_events(ibis.memtable(raw(timestamp=values))).to_pandas()
    expected = read_events(raw(timestamp=values))
    assert sorted(got["timestamp"]) == sorted(expected["timestamp"])


def test_duplicates_warn_drop_keep():
    frame = raw(customer_id=["a", "a", "a"], timestamp=["2024-01-01 00:00"] * 3)
    frame["event"] = "page_view"
    with pytest.warns(JourneyWarning, match="2 exact duplicate rows"):
        assert len(read_events(frame)) == 3
    assert len(read_events(frame, duplicates="drop")) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(read_events(frame, duplicates="keep")) == 3
    with pytest.warns(JourneyWarning, match="2 exact duplicate"):
        read_events(ibis.memtable(frame))
    assert read_events(ibis.memtable(frame), duplicates="drop").count().to_pandas() == 1


# ----------------------------------------------------------------------------- bad input
# Each error must name the parameter/column, what was expected, what was found and a fix.


def check_error(match, *args, **kwargs):
    with pytest.raises(JourneyDataError, match=match) as info:
        read_events(*args, **kwargs)
    assert "Fix:" in str(info.value)
    return str(info.value)


def test_bad_missing_column_suggests_closest():
    msg = check_error(r"customer='user_id': no such column", raw(), customer="user_id")
    assert "Available:" in msg


def test_bad_missing_default_column_suggests_typo():
    frame = raw().rename(columns={"customer_id": "customerid"})
    msg = check_error("no such column", frame)
    assert "Did you mean 'customerid'" in msg


def test_bad_empty_input():
    check_error("empty", raw().iloc[:0])


def test_bad_null_customer_ids_show_examples():
    msg = check_error(r"found 1 of 3 rows missing", raw(customer_id=["a", None, "b"]))
    assert "Example rows" in msg


def test_bad_null_events():
    check_error("event='event'", raw(event=["x", None, "y"]))


def test_bad_null_timestamps():
    check_error("time='timestamp'.*missing", raw(timestamp=["2024-01-01", None, "2024-01-02"]))


def test_bad_unparseable_timestamps():
    msg = check_error("not timestamps", raw(timestamp=["2024-01-01", "yesterday", "2024-01-02"]))
    assert "yesterday" in msg and "time_format" in msg


def test_bad_mixed_offsets():
    mixed = ["2024-01-01T10:00:00+01:00", "2024-01-01 10:00", "2024-01-01 11:00"]
    check_error("cannot be reconciled", raw(timestamp=mixed))


def test_bad_mixed_aware_and_naive_objects():
    values = [
        pd.Timestamp("2024-01-01", tz="UTC"),
        pd.Timestamp("2024-01-01"),
        pd.Timestamp("2024-01-02"),
    ]
    check_error("aware and naive", raw(timestamp=pd.Series(values, dtype=object)))


def test_bad_non_numeric_revenue():
    msg = check_error("must be numeric", raw(revenue=["1.0", "12,50", None]), revenue="revenue")
    assert "12,50" in msg


def test_bad_negative_revenue():
    check_error("negative", raw(revenue=[1.0, -5.0, None]))


def test_bad_infinite_revenue():
    check_error("infinite", raw(revenue=[1.0, np.inf, None]))


def test_bad_unsupported_file_type(tmp_path):
    path = tmp_path / "events.xlsx"
    path.write_text("x")
    check_error("not supported", path)


def test_bad_missing_file(tmp_path):
    check_error("no such file", tmp_path / "nope.csv")


def test_bad_unreadable_file(tmp_path):
    path = tmp_path / "events.parquet"
    path.write_text("this is not parquet")
    check_error("could not be read as parquet", path)


def test_bad_source_type():
    check_error("expected a pandas DataFrame", [1, 2, 3])


def test_bad_options():
    check_error("duplicates='sometimes'", raw(), duplicates="sometimes")
    check_error("time_unit='minutes'", raw(), time_unit="minutes")
    check_error("not a known IANA time zone", raw(), tz="Amsterdam")


def test_bad_conflicting_column_names():
    frame = raw()
    frame["user"] = frame["customer_id"]
    check_error("already have a different column", frame, customer="user")


def test_bad_duplicates_raise():
    frame = pd.concat([raw(), raw()])
    check_error("duplicates='raise': found 3", frame, duplicates="raise")


def test_bad_epoch_out_of_range():
    check_error("not epoch times", raw(timestamp=[1e30, 1e30, 1e30]), time_unit="s")


@pytest.mark.parametrize(
    ("frame", "match"),
    [
        (raw(customer_id=["a", None, "b"]), "must have a value in every row"),
        (raw(timestamp=["2024-01-01", "zz", "2024-01-02"]), "not timestamps"),
        (raw(timestamp=["2024-01-01T10:00Z", "2024-01-01", "2024-01-01"]), "reconciled"),
        (raw(revenue=[1.0, -2.0, 3.0]), "must be a number >= 0"),
        (raw().iloc[:0], "empty"),
    ],
)
def test_bad_input_on_ibis_too(frame, match):
    with pytest.raises(JourneyDataError, match=match):
        read_events(ibis.memtable(frame))


# ----------------------------------------------------------------------------- properties

ids = st.text(alphabet="abc", min_size=1, max_size=3)
rows = st.tuples(
    ids,
    st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2030, 1, 1)),
    st.sampled_from(["page_view", "purchase", "add_to_cart"]),
    st.one_of(st.none(), st.floats(min_value=0, max_value=1e6)),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(rows, min_size=1, max_size=30), st.sampled_from(["UTC", "Europe/Amsterdam"]))
def test_never_mutates_and_is_idempotent(data, tz):
    frame = pd.DataFrame(data, columns=["customer_id", "timestamp", "event", "revenue"])
    before = frame.copy(deep=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", JourneyWarning)
        once = read_events(frame, tz=tz)
        twice = read_events(once, tz=tz)
    pd.testing.assert_frame_equal(frame, before)
    pd.testing.assert_frame_equal(once, twice)
    assert once["timestamp"].is_monotonic_increasing or once["customer_id"].nunique() > 1


# ----------------------------------------------------------------------------- stages


def test_stages_and_dutch_labels():
    assert STAGES[0] == "awareness" and STAGES[-1] == "advocacy" and len(STAGES) == 6
    assert STAGE_LABELS_NL["purchase"] == "aankoop"


def test_map_stages_both_forms_and_dutch():
    ev = read_events(raw())
    a = map_stages(ev, {"page_view": "awareness", "purchase": "aankoop"})
    b = map_stages(ev, {"awareness": ["page_view"], "purchase": {"purchase"}})
    assert a["stage"].tolist() == b["stage"].tolist() == ["awareness", "purchase", "awareness"]
    assert "stage" not in ev.columns  # not mutated


def test_map_stages_unmapped_choices():
    ev = read_events(raw())
    with pytest.raises(JourneyDataError, match=r"1 events have no stage: \['purchase'\]"):
        map_stages(ev, {"page_view": "awareness"})
    assert len(map_stages(ev, {"page_view": "awareness"}, unmapped="drop")) == 2
    kept = map_stages(ev, {"page_view": "awareness"}, unmapped="keep")
    assert kept["stage"].isna().sum() == 1
    lazy = map_stages(ibis.memtable(ev), {"page_view": "awareness"}, unmapped="drop")
    assert lazy.count().to_pandas() == 2


def test_map_stages_bad_mappings():
    ev = read_events(raw())
    with pytest.raises(JourneyDataError, match="not a journey stage.*Did you mean 'awareness'"):
        map_stages(ev, {"page_view": "awarenes", "purchase": "purchase"})
    with pytest.raises(JourneyDataError, match="mapped to both"):
        map_stages(ev, {"awareness": ["page_view"], "purchase": ["page_view"]})
    with pytest.raises(JourneyDataError, match="non-empty dict"):
        map_stages(ev, [])


def test_parameter_parsers():
    assert as_utc("2024-01-01", param="as_of") == pd.Timestamp("2024-01-01", tz="UTC")
    assert as_timedelta("7D", param="window") == pd.Timedelta(days=7)
    assert as_timedelta("12h", param="window") == pd.Timedelta(hours=12)
    assert as_timedelta(pd.Timedelta("30min"), param="gap") == pd.Timedelta(minutes=30)
    with pytest.raises(JourneyDataError, match="as_of='soon'"):
        as_utc("soon", param="as_of")
    with pytest.raises(JourneyDataError, match="as_of=123: expected a date"):
        as_utc(123, param="as_of")
    for bad in ("-3D", "0D", "forever", [7], None):
        with pytest.raises(JourneyDataError, match="expected a positive duration with a unit"):
            as_timedelta(bad, param="window")
    # pandas reads '30' as 30 nanoseconds: a number without a unit is refused with a hint
    for bad, hint in (
        (30, "'30D'"),
        ("30", "'30D'"),
        (1.5, "'1.5D'"),
        (float("inf"), "a finite, positive duration"),
        (float("nan"), "a finite, positive duration"),
    ):
        with pytest.raises(JourneyDataError, match=f"window=.*{hint}"):
            as_timedelta(bad, param="window")
