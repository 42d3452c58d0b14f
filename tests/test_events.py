"""read_events, the canonical schema and journey stages."""

import datetime as dt
import warnings

import ibis
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import journeykit as jk
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


def test_canonical_output_in_input_order_and_typed():
    frame = raw(revenue=[None, None, "12.5"])
    frame.index = [10, 11, 12]
    ev = read_events(frame)
    assert list(ev.columns) == ["customer_id", "timestamp", "event", "revenue"]
    assert str(ev["timestamp"].dtype) == "datetime64[us, UTC]"
    assert ev["customer_id"].tolist() == ["b", "a", "a"]  # no sort: rows keep their order
    assert ev["revenue"].tolist()[2] == 12.5
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
    assert isinstance(ev, ibis.expr.types.Table)  # a file stays in the engine
    got = ev.to_pandas()
    assert sorted(got["customer_id"]) == ["001", "001", "007"]  # leading zeros kept
    assert len(got) == 3


def test_ibis_in_lazy_ibis_out_same_values():
    frame = raw(revenue=[None, None, 3.0])
    lazy = read_events(ibis.memtable(frame), tz="Europe/Amsterdam")
    assert isinstance(lazy, ibis.expr.types.Table)
    got = lazy.to_pandas().sort_values(["customer_id", "timestamp"]).reset_index(drop=True)
    expected = read_events(frame, tz="Europe/Amsterdam").sort_values(["customer_id", "timestamp"])
    expected = expected.reset_index(drop=True)
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
    assert len(read_events(ibis.memtable(frame), duplicates="drop").to_pyarrow()) == 1


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
    check_error("with a UTC offset", raw(timestamp=pd.Series(values, dtype=object)))


def test_bad_non_numeric_revenue():
    msg = check_error("1 non-numeric", raw(revenue=["1.0", "12,50", None]), revenue="revenue")
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
    check_error("could not be read as Parquet", path)


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
    msg = check_error(
        "3 of 3 values are not times when read as epoch numbers in 's'",
        raw(timestamp=[1e30] * 3),
        time_unit="s",
    )
    assert "beyond the year 9999" in msg
    # auto-detected, such magnitudes are nanoseconds, and still beyond 9999
    check_error("3 of 3 values are not timestamps", raw(timestamp=[1e30] * 3))


@pytest.mark.parametrize(
    ("frame", "match"),
    [
        (raw(customer_id=["a", None, "b"]), "must have a value in every row"),
        (raw(timestamp=["2024-01-01", "zz", "2024-01-02"]), "not timestamps"),
        (raw(timestamp=["2024-01-01T10:00Z", "2024-01-01", "2024-01-01"]), "reconciled"),
        (raw(revenue=[1.0, -2.0, 3.0]), "1 negative"),
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
    assert once["customer_id"].tolist() == frame["customer_id"].tolist()  # order kept


# ----------------------------------------------------------------------------- stages


def test_stages_and_dutch_labels():
    assert STAGES[0] == "awareness" and STAGES[-1] == "advocacy" and len(STAGES) == 6
    assert STAGE_LABELS_NL["purchase"] == "aankoop"


def test_map_stages_both_forms_and_dutch():
    ev = read_events(raw())
    a = map_stages(ev, {"page_view": "awareness", "purchase": "aankoop"})
    b = map_stages(ev, {"awareness": ["page_view"], "purchase": {"purchase"}})
    assert a["stage"].tolist() == b["stage"].tolist() == ["awareness", "awareness", "purchase"]
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


# ----------------------------------------------------------------------------- real exports
# Each of these was a silent misread or a raw error before (issue 16).


@pytest.mark.parametrize(
    ("values", "fmt"),
    [
        (["2024-01-01", "2024-03-31"], None),
        ([dt.date(2024, 1, 1), dt.date(2024, 3, 31)], None),
        (["01/01/2024", "31/03/2024"], "%d/%m/%Y"),
        ([20240101, 20240331], None),
    ],
)
def test_dates_stay_in_their_calendar_day_whatever_the_zone(values, fmt):
    ev = read_events(raw(timestamp=values[:1] * 2 + values[1:]), tz="Asia/Tokyo", time_format=fmt)
    assert ev["timestamp"].dt.strftime("%Y-%m-%d %H:%M").tolist() == [
        "2024-01-01 00:00",
        "2024-01-01 00:00",
        "2024-03-31 00:00",
    ]
    times = read_events(raw(timestamp=["2024-01-01 08:00"] * 3), tz="Asia/Tokyo")
    assert times["timestamp"].iloc[0] == pd.Timestamp("2023-12-31 23:00", tz="UTC")


def test_yyyymmdd_integers_are_dates_not_epoch_seconds():
    # CDNOW's dates: 19970101 read as epoch seconds would be 1970-08-20
    frame = raw(timestamp=[19970101, 19970102, 19980630])
    ev = read_events(frame, tz="Europe/Amsterdam")
    # dates are calendar days, 00:00 UTC whatever tz (in Amsterdam time 1 January would
    # be 31 December 23:00 UTC: the wrong day, month and year for every period)
    assert ev["timestamp"].dt.strftime("%Y-%m-%d %H:%M").tolist() == [
        "1997-01-01 00:00",
        "1997-01-02 00:00",
        "1998-06-30 00:00",
    ]
    # as float (a CSV column with a gap read by pandas) and as text of digits
    for values in ([19970101.0, 19970102.0, 19980630.0], ["19970101", "19970102", "19980630"]):
        got = read_events(raw(timestamp=values))["timestamp"]
        assert got.dt.strftime("%Y%m%d").tolist() == ["19970101", "19970102", "19980630"]
    # time_unit says otherwise: epoch seconds of 1970 as asked
    got = read_events(frame, time_unit="s")["timestamp"]
    assert got.iloc[0] == pd.Timestamp(19970101, unit="s", tz="UTC")


def test_time_format_applies_to_numbers():
    frame = raw(timestamp=[202403011405, 202403011406, 202403021200])
    ev = read_events(frame, time_format="%Y%m%d%H%M")
    assert ev["timestamp"].iloc[0] == pd.Timestamp("2024-03-01 14:05", tz="UTC")


def test_invalid_yyyymmdd_names_the_rows():
    msg = check_error(
        "1 of 3 values are not timestamps", raw(timestamp=[19970101, 19971345, 19970103])
    )
    assert "19971345" in msg


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([1_700_000_000, 1_700_000_001, 1_700_000_002], "2023-11-14 22:13:20"),
        ([1_700_000_000_000, 1_700_000_001_000, 1_700_000_002_000], "2023-11-14 22:13:20"),
        ([1_700_000_000_000_000] * 3, "2023-11-14 22:13:20"),
        ([1_700_000_000_000_000_000] * 3, "2023-11-14 22:13:20"),
        (["1700000000", "1700000001", "1700000002"], "2023-11-14 22:13:20"),
    ],
)
def test_epoch_unit_detected_per_column(values, expected):
    ev = read_events(raw(timestamp=values))
    assert ev["timestamp"].iloc[0] == pd.Timestamp(expected, tz="UTC")


def test_epoch_column_mixing_magnitudes_is_an_error_naming_rows():
    values = [1_700_000_000_000, 1_700_000_001, 1_700_000_002_000]  # ms, s, ms
    msg = check_error("different magnitudes .1 like s, 2 like ms", raw(timestamp=values))
    assert "1700000001" in msg and "time_unit" in msg


def test_event_none_reads_a_transaction_log():
    frame = pd.DataFrame({"id": ["1", "2"], "date": [19970101, 19970105], "amount": [10.0, 5.5]})
    ev = read_events(frame, customer="id", time="date", event=None, revenue="amount")
    assert ev["event"].tolist() == ["purchase", "purchase"]
    ev = read_events(frame, customer="id", time="date", event=None, event_name="order")
    assert set(ev["event"]) == {"order"}
    check_error("event=None", frame.assign(event="x"), customer="id", time="date", event=None)
    check_error("event_name=' '", frame, customer="id", time="date", event=None, event_name=" ")
    # without event=None the missing column says how to read a transaction log
    check_error("pass event=None", frame, customer="id", time="date")


def test_blank_ids_and_event_names_are_errors_naming_rows():
    msg = check_error("1 of 3 rows have an empty 'customer_id'", raw(customer_id=["a", " ", "b"]))
    assert "Example rows" in msg
    check_error("1 of 3 rows have an empty 'event'", raw(event=["page_view", "", "purchase"]))
    # an empty optional id is a missing one
    ev = read_events(raw(session_id=["s1", "", "s2"]))
    assert ev["session_id"].isna().tolist() == [False, True, False]


def test_duplicated_column_names_in_a_frame():
    frame = pd.concat([raw(), raw()[["event"]]], axis=1)
    check_error(r"\['event'\] occur more than once", frame)


def write_csv(path, text, compression=None):
    data = text.encode()
    if compression == "gz":
        import gzip

        data = gzip.compress(data)
    elif compression == "bz2":
        import bz2

        data = bz2.compress(data)
    elif compression == "xz":
        import lzma

        data = lzma.compress(data)
    elif compression == "zst":
        import pyarrow as pa

        with pa.output_stream(str(path), compression="zstd") as out:
            out.write(data)
        return path
    elif compression == "zip":
        import zipfile

        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("export.csv", text)
        return path
    path.write_bytes(data)
    return path


EXPORT = (
    "user_id;event_time;action;value\n"
    "007;2024-03-01 10:00;page_view;\n"
    "NA;2024-03-01 11:00;page_view;\n"
    "null;2024-03-01 12:00;purchase;12.5\n"
    "007;2024-03-02 09:00;purchase;3\n"
)
COLUMNS = {"customer": "user_id", "time": "event_time", "event": "action", "revenue": "value"}


@pytest.mark.parametrize("compression", [None, "gz", "bz2", "xz", "zst", "zip"])
def test_csv_export_semicolons_ids_as_text(tmp_path, compression):
    suffix = ".csv" + (f".{compression}" if compression else "")
    path = write_csv(tmp_path / f"export{suffix}", EXPORT, compression)
    got = read_events(path, **COLUMNS).to_pandas()
    # ';' detected; '007' keeps its zeros; 'NA' and 'null' are ids, not missing values
    assert sorted(got["customer_id"]) == ["007", "007", "NA", "null"]
    assert got["revenue"].sum() == 15.5
    assert not list(tmp_path.glob("journeykit-*"))  # no temporary file left beside it


def test_tab_and_pipe_delimited_text(tmp_path):
    for sep, name in (("\t", "export.tsv"), ("|", "export.txt"), ("\t", "export.csv")):
        path = write_csv(tmp_path / name, EXPORT.replace(";", sep))
        got = read_events(path, **COLUMNS).to_pandas()
        assert sorted(got["customer_id"]) == ["007", "007", "NA", "null"]


def test_csv_empty_id_cell_is_missing(tmp_path):
    path = write_csv(tmp_path / "e.csv", EXPORT.replace("NA;", ";"))
    msg = check_error("1 of 4 rows missing", path, **COLUMNS)
    assert "user_id" in msg


def test_csv_duplicated_header_names(tmp_path):
    path = write_csv(tmp_path / "e.csv", "user,event,event,ts\n1,a,b,2024-01-01\n")
    check_error(
        r"names the column\(s\) \['event'\] more than once", path, customer="user", time="ts"
    )


def test_csv_ragged_row_names_the_line(tmp_path):
    text = "user,event,ts\n1,a,2024-01-01\n2,b,2024-01-02,oops\n3,c,2024-01-03\n"
    path = write_csv(tmp_path / "e.csv", text)
    check_error("line 3 has 4 fields where the header has 3", path, customer="user", time="ts")


def test_csv_late_value_that_does_not_fit_the_sampled_type(tmp_path):
    # DuckDB types columns from a sample of rows: a text value far down must not fail the read
    lines = [f"c{i},page_view,2024-01-01,{i}" for i in range(30_000)] + [
        "cx,page_view,2024-01-01,n/a"
    ]
    path = write_csv(tmp_path / "e.csv", "customer_id,event,timestamp,score\n" + "\n".join(lines))
    got = read_events(path).to_pandas()
    assert len(got) == 30_001 and got["score"].iloc[-1] == "n/a"


def test_json_file_holding_json_lines_and_json_array(tmp_path):
    frame = raw(customer_id=["007", "1", "1"])
    frame.to_json(tmp_path / "lines.json", orient="records", lines=True)
    frame.to_json(tmp_path / "array.json", orient="records")
    for name in ("lines.json", "array.json"):
        got = read_events(tmp_path / name).to_pandas()
        assert sorted(got["customer_id"]) == ["007", "1", "1"]


def test_parquet_directory_hive_partitions_and_glob(tmp_path):
    frame = raw(customer_id=["007", "1", "1"]).assign(day=["d1", "d1", "d2"])
    frame.to_parquet(tmp_path / "parts", partition_cols=["day"])
    got = read_events(tmp_path / "parts").to_pandas()
    assert sorted(got["customer_id"]) == ["007", "1", "1"]
    assert sorted(got["day"]) == ["d1", "d1", "d2"]  # the partition column is kept
    for i, part in enumerate([frame.iloc[:2], frame.iloc[2:]]):
        part.to_parquet(tmp_path / f"events-{i}.parquet")
    assert len(read_events(str(tmp_path / "events-*.parquet")).to_pyarrow()) == 3
    check_error("no file matches", str(tmp_path / "nothing-*.parquet"))
    (tmp_path / "empty").mkdir()
    check_error("holds no .parquet files", tmp_path / "empty")


def test_arrow_naive_nanosecond_timestamps_with_tz():
    import pyarrow as pa

    times = pa.array([0, 3_600_000_000_000], type=pa.timestamp("ns"))
    table = pa.table({"customer_id": ["a", "b"], "timestamp": times, "event": ["x", "y"]})
    got = read_events(ibis.memtable(table), tz="Europe/Amsterdam").to_pandas()
    assert sorted(got["timestamp"]) == [
        pd.Timestamp("1969-12-31 23:00", tz="UTC"),
        pd.Timestamp("1970-01-01 00:00", tz="UTC"),
    ]


def test_dates_outside_pandas_nanosecond_range_are_read():
    ev = read_events(raw(timestamp=["1600-01-01", "2300-06-30 12:00", "2024-01-01"]))
    assert ev["timestamp"].dt.year.tolist() == [1600, 2300, 2024]


def test_a_file_stays_lazy_and_analyses_match_the_frame(tmp_path):
    import journeykit as jk

    frame = jk.load_webshop()
    frame.to_parquet(tmp_path / "shop.parquet")
    lazy = read_events(tmp_path / "shop.parquet")
    assert isinstance(lazy, ibis.expr.types.Table)
    assert jk._engine.on_connection(lazy)
    args = {"as_of": "2024-09-30"}
    pd.testing.assert_frame_equal(
        jk.lifecycle(lazy, **args).table, jk.lifecycle(frame, **args).table, check_dtype=False
    )
    steps = ["product_view", "add_to_cart", "purchase"]
    pd.testing.assert_frame_equal(
        jk.funnel(lazy, steps).table, jk.funnel(frame, steps).table, check_dtype=False
    )


@pytest.mark.parametrize("lazy", [False, True])
def test_optional_text_columns_blank_is_missing_only_where_blank(tmp_path, lazy):
    # the blank-to-missing rule is applied only to columns whose smallest value may be
    # blank; a column without blanks comes through unchanged, one with blanks loses them
    frame = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "b"],
            "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"]),
            "event": ["view", "buy", "view", "view"],
            "session_id": ["s1", "s1", "s2", "s3"],
            "channel": ["email", "  ", "", "search"],
        }
    )
    source = frame
    if lazy:
        source = tmp_path / "e.parquet"
        frame.to_parquet(source)
    got = read_events(source, tz="UTC")
    got = got.to_pandas() if lazy else got
    assert got["session_id"].tolist() == ["s1", "s1", "s2", "s3"]
    assert got["channel"].isna().tolist() == [False, True, True, False]
    assert got["channel"].dropna().tolist() == ["email", "search"]
    assert frame["channel"].tolist() == ["email", "  ", "", "search"]  # input untouched


def test_a_date_not_written_year_first_is_refused_wherever_a_date_is_passed():
    # '01-12-2024' is 12 January to pandas and 1 December to most of Europe
    ev = read_events(raw())
    for value in ("01-12-2024", "12/01/2024", "1.12.24"):
        with pytest.raises(JourneyDataError, match="year first") as info:
            jk.customer_summary(ev, as_of=value)
        assert "Fix:" in str(info.value)
    # unambiguous day-first text is refused too, without the two readings
    with pytest.raises(JourneyDataError, match="not written year first. Fix"):
        jk.customer_summary(ev, as_of="31.12.2024")
    for value in ("2024-03-03", "2024-03-02 12:00", "20240303"):
        assert jk.customer_summary(ev, as_of=value)["n_events"].sum() == 3


def test_small_numbers_are_not_read_as_times_of_1970_unless_asked():
    frame = raw(timestamp=[100234, 200345, 300456])
    msg = check_error("before any online journey", frame)
    assert "1970-01-02 to 1970-01-04" in msg and "time_unit='s'" in msg
    got = read_events(frame, time_unit="s")["timestamp"]
    assert got.tolist() == [pd.Timestamp(v, unit="s", tz="UTC") for v in (100234, 200345, 300456)]
    # epoch seconds from 1980 on are times, as before
    assert read_events(raw(timestamp=[3.2e8, 1.7e9, 1.71e9]))["timestamp"].dt.year.min() == 1980


def test_numbers_with_decimals_are_neither_ids_nor_event_names():
    amounts = raw(amount=[56.93, 12.5, 7.0])
    check_error(
        "event='amount': column 'amount' holds numbers with decimals",
        amounts.drop(columns="event"),
        event="amount",
    )
    check_error(
        "customer='amount'.*expected customer ids",
        amounts.drop(columns="customer_id"),
        customer="amount",
    )
    # whole floats (an integer column with a gap read by pandas) stay ids without '.0'
    ev = read_events(raw(customer_id=[7.0, 8.0, 7.0]))
    assert sorted(ev["customer_id"].unique()) == ["7", "8"]


def test_event_none_warns_about_a_column_named_like_event_names():
    frame = raw().rename(columns={"event": "event_name"})
    with pytest.warns(JourneyWarning, match="event='event_name'"):
        ev = read_events(frame, event=None)
    assert set(ev["event"]) == {"purchase"}
    quiet = raw().drop(columns="event").assign(event_date="2024-03-01", eventId=[1, 2, 3])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_events(quiet, event=None)


def test_wall_times_around_daylight_saving_changes_follow_the_documented_rule():
    # the read_events docstring: a skipped wall time takes the offset before the change, a
    # repeated one is its second occurrence (standard time); checked against zoneinfo
    frame = raw(timestamp=["2024-03-31 02:15", "2024-10-27 02:30", "2024-10-27 03:30"])
    got = read_events(frame, tz="Europe/Amsterdam").sort_values("timestamp")["timestamp"]
    want = pd.to_datetime(["2024-03-31 01:15", "2024-10-27 01:30", "2024-10-27 02:30"], utc=True)
    assert got.tolist() == list(want)
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("Europe/Amsterdam")
    second = pd.Timestamp("2024-10-27 02:30").to_pydatetime().replace(tzinfo=zone, fold=1)
    assert pd.Timestamp(second).tz_convert("UTC") == want[1]


def test_amounts_with_a_decimal_comma(tmp_path):
    # a European CRM export: ';' between fields, '12,50' amounts, ids with leading zeros
    path = tmp_path / "crm.csv"
    path.write_text(
        "klant;datum;wat;bedrag\n000123;31.12.2024 23:15;bestelling;12,50\n"
        "000456;01.01.2025 10:00;bezoek;\n000123;02.01.2025 09:00;bestelling;1,5\n"
    )
    names = {"customer": "klant", "time": "datum", "event": "wat", "revenue": "bedrag"}
    ev = read_events(path, **names, time_format="%d.%m.%Y %H:%M", decimal=",")
    got = ev.to_pandas() if hasattr(ev, "to_pandas") else ev
    assert got["customer_id"].tolist() == ["000123", "000456", "000123"]
    assert got["revenue"].tolist()[::2] == [12.5, 1.5] and pd.isna(got["revenue"].iloc[1])
    frame = raw(revenue=["12,50", None, "0,99"])
    assert read_events(frame, decimal=",")["revenue"].tolist()[::2] == [12.5, 0.99]
    # numbers are numbers whatever the mark; text with a '.' is refused with decimal=','
    assert read_events(raw(revenue=[12.5, None, 1.0]), decimal=",")["revenue"].iloc[0] == 12.5
    check_error("1 non-numeric", raw(revenue=["12.50", None, "1,5"]), decimal=",")
