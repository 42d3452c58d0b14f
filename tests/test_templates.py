"""Notebooks as templates on an analyst's own data: one parameter contract (read off every
parameters cell), ``journeykit run/new/params``, every notebook run on exports shaped unlike
the bundled shop (tests/foreign.py), and reports that carry no raw id when pseudonymized."""

from __future__ import annotations

import ast
import inspect
import json
import re
import sys
from pathlib import Path

import pandas as pd
import pytest

import journeykit as jk
from journeykit import cli, templates
from journeykit.errors import JourneyDataError

sys.path.insert(0, str(Path(__file__).parent))
import foreign  # noqa: E402

COMMON = [
    "DATA_PATH",
    "COLUMNS",
    "TZ",
    "TIME_FORMAT",
    "PURCHASE",
    "CUSTOMERS_PATH",
    "CUSTOMER_COLUMNS",
    "BREAKDOWNS",
    "AS_OF",
]
SURVEY_COMMON = ["DATA_PATH", "COLUMNS", "TZ", "TIME_FORMAT", "PURCHASE"]
OWN = {
    "00_quickstart": ["STAGES", "CART", "FREQ"],
    "01_segmentation": [
        "PERIOD",
        "CHURN_AFTER",
        "ACTIVITY",
        "FREQ",
        "TRANSITION_START",
        "TRANSITION_END",
        "PROMOTIONS",
    ],
    "02_funnels_and_paths": ["STEPS", "WINDOW", "EXCLUDE", "STAGES", "UNIT"],
    "03_ab_testing": [
        "ASSIGNMENTS_PATH",
        "ASSIGNMENT_TIME",
        "UNIT_ID",
        "VARIANT",
        "METRIC",
        "CONTROL",
        "COVARIATE",
        "EXPECTED",
        "ALPHA",
        "POWER",
        "MIN_EFFECT",
        "WINDOW",
        "SEQUENTIAL_ORDER",
    ],
    "04_retention_survival": [
        "START",
        "END_EVENT",
        "CHURN_AFTER",
        "CHURN_WINDOWS",
        "COVARIATES",
        "COHORT_FREQ",
    ],
    "06_clv": [
        "CALIBRATION_END",
        "HORIZON",
        "DISCOUNT_RATE",
        "FREQ",
        "PENALTY",
        "N_BOOT",
        "LEVEL",
        "TOP",
    ],
    "07_attribution": ["CONVERSION", "LOOKBACK", "UNIT", "MODELS", "MARKOV_ORDER", "DIRECT"],
    "05_nps": [
        "SCORE",
        "DATE",
        "RESPONDENT",
        "SEGMENT",
        "DRIVERS",
        "METHOD",
        "MIN_N",
        "FREQ",
        "EVENTS_PATH",
    ],
}


def test_every_template_is_listed():
    assert templates.names() == sorted(OWN)


def _cell(name: str) -> str:
    nb = json.loads(templates.template_path(name).read_text())
    (cell,) = [c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", [])]
    return "".join(cell["source"])


@pytest.mark.parametrize("name", sorted(OWN))
def test_parameters_follow_the_contract(name):
    source = _cell(name)
    for line in source.splitlines():  # papermill skips a line with a second '='
        assert line.count("=") <= 1, f"{name}: no '=' in a parameter's comment: {line}"
    for node in ast.parse(source).body:
        assert isinstance(node, ast.Assign) and len(node.targets) == 1, (
            f"{name}: line {node.lineno}: one NAME = value per line"
        )
        assert isinstance(node.targets[0], ast.Name)
        target = node.targets[0].id
        assert target == target.upper(), f"{name}: {target} is not UPPER_CASE"
        value = ast.literal_eval(node.value)
        # plain JSON/YAML values only: a tuple cannot be given on the command line or in YAML
        assert json.loads(json.dumps(value)) == value, f"{name}: {target}={value!r} is not JSON"
    params = templates.parameters(name)
    assert all(p.comment for p in params), [p.name for p in params if not p.comment]
    have = [p.name for p in params]
    common = SURVEY_COMMON if name == "05_nps" else COMMON
    missing = [n for n in [*common, *OWN[name]] if n not in have]
    assert not missing, f"{name}: parameters missing from the contract: {missing}"
    assert have[: len(common)] == common or name == "05_nps", f"{name}: common ones first"
    assert dict((p.name, p.default) for p in params)["DATA_PATH"] is None


@pytest.mark.parametrize("name", sorted(OWN))
def test_no_bundled_event_or_column_name_outside_parameters(name):
    """Code cells name the bundled shop's events and attributes only under a bundled-data
    gate (``if DATA_PATH is None``); the rest comes from the parameters."""
    nb = json.loads(templates.template_path(name).read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] != "code" or "parameters" in cell["metadata"].get("tags", []):
            continue
        source = "".join(cell["source"])
        ungated = source.split("if DATA_PATH is None")[0]
        for word in ["'add_to_cart'", '"add_to_cart"', '"persona"', "'persona'", '"segment"']:
            assert word not in ungated, f"{name}: {word} in a code cell:\n{source}"


def test_parse_value_is_json_else_text():
    assert templates.parse_value("3") == 3
    assert templates.parse_value('["a", ["b", "c"]]') == ["a", ["b", "c"]]
    assert templates.parse_value("null") is None
    assert templates.parse_value("Q") == "Q"
    assert templates.parse_value("2024-01-31") == "2024-01-31"


def test_cli_params_lists_names_defaults_and_comments(capsys):
    assert cli.main(["params", "00_quickstart"]) == 0
    out = capsys.readouterr().out
    assert "DATA_PATH = None  # " in out and "FREQ = " in out


def test_cli_run_rejects_an_unknown_parameter_listing_the_known_ones(capsys):
    assert cli.main(["run", "00", "--param", "FRQ=Q", "--out", "unused"]) == 1
    err = capsys.readouterr().err
    assert "FRQ" in err and "'FREQ'" in err and "journeykit params" in err


def test_unknown_template_lists_the_templates():
    with pytest.raises(JourneyDataError, match="00_quickstart"):
        templates.template_path("99_nothing")


def test_params_file_must_be_a_mapping(tmp_path):
    bad = tmp_path / "p.yaml"
    bad.write_text("- FREQ\n")
    with pytest.raises(JourneyDataError, match="expected a mapping"):
        templates.run("00", params_file=bad, out=tmp_path)


def test_new_copies_a_template_and_refuses_to_overwrite(tmp_path, capsys):
    assert cli.main(["new", "01_segmentation", str(tmp_path)]) == 0
    copy = tmp_path / "01_segmentation.ipynb"
    assert copy.read_bytes() == templates.template_path("01").read_bytes()
    with pytest.raises(JourneyDataError, match="exists already"):
        templates.new("01", tmp_path)


def test_templates_ship_with_the_package():
    text = (Path(__file__).parent.parent / "pyproject.toml").read_text()
    assert '"journeykit._templates" = "notebooks"' in text
    assert '"journeykit._templates" = ["*.ipynb"]' in text


# ------------------------------------------------------------- runs on foreign exports

CLICK_STAGES = {
    "landing": "awareness",
    "view_item": "consideration",
    "basket": "decision",
    "payment_done": "purchase",
}
APP_STAGES = {"open": "awareness", "browse": "consideration", "cart": "decision"}
APP_STAGES["order_placed"] = "purchase"

RUNS = {
    "00_quickstart": [
        ("clickstream", {"STAGES": CLICK_STAGES, "CART": "basket", "FREQ": "W"}),
        ("transactions", {"STAGES": None, "CART": None, "FREQ": "Q"}),
        ("app_log", {"STAGES": APP_STAGES, "CART": "cart"}),
        ("crm_european", {"STAGES": None, "CART": None}),  # decimal commas via COLUMNS
    ],
    "01_segmentation": [
        ("clickstream", {}),
        ("transactions", {"PERIOD": "90D", "CHURN_AFTER": "180D", "FREQ": "Q"}),
        ("app_log", {"FREQ": "W"}),
        ("crm_european", {}),
    ],
    "02_funnels_and_paths": [
        ("clickstream", {"STEPS": ["landing", "view_item", "basket", "payment_done"]}),
        (
            "clickstream",
            {"STEPS": [["landing", "view_item"], "basket", "payment_done"], "STAGES": CLICK_STAGES},
        ),
        ("app_log", {"STEPS": ["open", "browse", "cart", "order_placed"], "UNIT": "session"}),
    ],
    "03_ab_testing": [
        ("experiment_table", {}),
        ("experiment_table", {"METRIC": "spend"}),
        ("experiment_events", {"ASSIGNMENT_TIME": "assigned", "SEQUENTIAL_ORDER": "assigned"}),
    ],
    "04_retention_survival": [
        ("clickstream", {"START": "payment_done"}),
        ("transactions", {"START": "purchase", "CHURN_AFTER": "180D"}),
        ("app_log", {"START": None, "END_EVENT": "unsubscribe", "COVARIATES": ["region"]}),
    ],
    "05_nps": [
        ("survey_anonymous", {}),
        ("survey_with_journeys", {}),
        ("survey_parquet", {}),
    ],
}
RUNS["06_clv"] = [
    ("transactions", {}),
    ("app_log", {"PENALTY": 0.001, "FREQ": "W"}),
    ("clickstream", {}),
]
RUNS["07_attribution"] = [
    ("app_log", {}),
    ("app_log", {"MARKOV_ORDER": 2, "LOOKBACK": "14D", "MODELS": ["first_touch", "markov"]}),
    ("clickstream", {}),
]
CASES = [(name, writer, extra) for name, runs in RUNS.items() for writer, extra in runs]


@pytest.fixture(scope="module")
def bundled_numbers():
    """Counts only the bundled data has (events, customers, answers, experiment units), as a
    report would print them: none may appear in a report on someone else's data."""
    shop, survey, experiment = jk.load_webshop(), jk.load_survey(), jk.load_experiment()
    counts = {len(shop), shop["customer_id"].nunique(), len(survey), len(experiment)}
    return {f"{n:,}" for n in counts} | {str(n) for n in counts}


def _outputs(notebook: Path) -> str:
    """The text and HTML of every output of an executed notebook (not its code/markdown)."""
    cells = json.loads(notebook.read_text())["cells"]
    parts = []
    for cell in cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                raise AssertionError(f"error output: {output['ename']}: {output['evalue']}")
            parts.append("".join(output.get("text", "")))
            for kind in ("text/plain", "text/html", "text/markdown"):
                parts.append("".join(output.get("data", {}).get(kind, "")))
    return "\n".join(parts)


@pytest.mark.parametrize(
    ("name", "writer", "extra"),
    CASES,
    ids=[f"{n[:2]}-{w}-{i}" for i, (n, w, _) in enumerate(CASES)],
)
def test_every_notebook_runs_on_foreign_exports(name, writer, extra, tmp_path, bundled_numbers):
    params = getattr(foreign, writer)(tmp_path) | extra
    known = {p.name for p in templates.parameters(name)}
    params = {k: v for k, v in params.items() if k in known}
    paths = templates.run(name, params=params, out=tmp_path / "out")
    text = _outputs(paths["notebook"])
    tokens = set(re.findall(r"\d[\d,]*\d", text))
    assert not tokens & bundled_numbers, (
        f"bundled-data numbers in the report: {tokens & bundled_numbers}"
    )
    assert "Traceback" not in paths["html"].read_text()


@pytest.mark.parametrize(
    ("change", "failing_code"),
    [
        ({"PURCHASE": "checkout"}, None),  # not an event there: some later code cell fails
        ({"DATA_PATH": "no_such_export.csv"}, "jk.read_events(DATA_PATH"),
    ],
    ids=["unknown-purchase-event", "missing-export"],
)
def test_a_failing_cell_is_one_line_naming_the_template_cell(change, failing_code, tmp_path):
    """The cell is named by its number in the template (counted from 1) and its first line,
    not by its place in the executed notebook, which holds papermill's extra cells."""
    params = foreign.clickstream(tmp_path) | change
    with pytest.raises(templates.TemplateRunError) as caught:
        templates.run("00_quickstart", params=params, out=tmp_path / "out")
    message = str(caught.value)
    assert "\n" not in message and str(next(iter(change.values()))) in message
    number, first_line = re.search(r"cell (\d+) \((.*?)\) failed", message).groups()
    cells = json.loads(templates.template_path("00").read_text())["cells"]
    cell = cells[int(number) - 1]
    source = "".join(cell["source"])
    assert cell["cell_type"] == "code", message
    assert first_line == next(ln.strip() for ln in source.splitlines() if ln.strip())
    assert failing_code is None or failing_code in source, message


def test_relative_paths_start_where_journeykit_runs(tmp_path, monkeypatch):
    """The kernel runs in the template's folder; a relative path in --param, --params (and
    the --params file itself) means the directory journeykit was run from, as --data does."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    foreign.clickstream(tmp_path / "data")
    (tmp_path / "p.yaml").write_text("DATA_PATH: data/clicks.csv\n")
    values = templates._values(
        "00", None, {"CUSTOMERS_PATH": "data/users.csv", "BREAKDOWNS": ["tier"]}, "p.yaml"
    )
    assert values == {
        "DATA_PATH": str(tmp_path / "data" / "clicks.csv"),
        "CUSTOMERS_PATH": str(tmp_path / "data" / "users.csv"),
        "BREAKDOWNS": ["tier"],
    }
    assert templates._values("05", None, {"EVENTS_PATH": "e.csv"}, None) == {
        "EVENTS_PATH": str(tmp_path / "e.csv")
    }
    assert templates._values("03", None, {"ASSIGNMENTS_PATH": "a.csv"}, None) == {
        "ASSIGNMENTS_PATH": str(tmp_path / "a.csv")
    }


@pytest.mark.parametrize("name", sorted(OWN))
def test_every_file_a_template_reads_is_a_path_parameter(name):
    """Path parameters are resolved where journeykit runs by their names (``*_PATH``): every
    parameter a template reads a file from must be named so."""
    nb = json.loads(templates.template_path(name).read_text())
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    read = set(re.findall(r"jk\.read_\w+\(\s*([A-Z][A-Z_]*)\b", code))
    assert read and all(n.endswith("_PATH") for n in read), read


def test_cli_run_reads_relative_paths_and_prints_no_kernel_warning(tmp_path, monkeypatch, capfd):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    foreign.clickstream(tmp_path / "data")
    (tmp_path / "p.yaml").write_text(
        'DATA_PATH: data/clicks.csv\nCOLUMNS: {"customer": "user_id", "event": "action", '
        '"time": "ts"}\nPURCHASE: payment_done\nCART: basket\nSTAGES: null\n'
        'CUSTOMER_COLUMNS: {"customer": "uid"}\n'
    )
    argv = ["run", "00", "--params", "p.yaml", "--param", "CUSTOMERS_PATH=data/users.csv"]
    assert cli.main([*argv, "--param", 'BREAKDOWNS=["tier"]', "--out", "out"]) == 0
    err = capfd.readouterr().err
    assert "without encryption" not in err and "WARNING" not in err, err
    assert "tier" in _outputs(tmp_path / "out" / "00_quickstart.ipynb")


def test_column_arguments_are_read_events_keywords():
    keywords = inspect.signature(jk.read_events).parameters
    assert all(k in keywords for k in templates.COLUMN_ARGUMENTS["COLUMNS"])
    assert all(
        k in inspect.signature(jk.read_attributes).parameters
        for k in templates.COLUMN_ARGUMENTS["CUSTOMER_COLUMNS"]
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('{"user": "contact"}', ["COLUMNS", "'user'", "'customer'", "'account'", "Fix:"]),
        ("{'customer': 'contact'}", ["COLUMNS", "not JSON", "double quotes", "Fix:"]),
        ("contact", ["COLUMNS", "a JSON object", "'contact'", "Fix:"]),
        ('{"customer": 3}', ["COLUMNS", "'customer'", "column name", "3", "Fix:"]),
    ],
    ids=["unknown-key", "single-quotes", "text", "not-a-name"],
)
def test_cli_run_checks_columns_before_running(value, expected, tmp_path, capsys):
    argv = ["run", "00", "--data", "unused.csv", "--param", f"COLUMNS={value}"]
    assert cli.main([*argv, "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert all(word in err for word in expected), err
    assert "\n" not in err.strip() and not list(tmp_path.iterdir()), "it ran the notebook"


def test_customer_columns_are_checked_too(tmp_path):
    with pytest.raises(JourneyDataError, match=r"CUSTOMER_COLUMNS.*\['customer'\]; got 'id'"):
        templates.run("00", params={"CUSTOMER_COLUMNS": {"id": "uid"}}, out=tmp_path)


def test_pseudonymized_reports_hold_no_raw_id(tmp_path):
    params = foreign.app_log(tmp_path) | {"START": None}
    raw = set(pd.read_parquet(params["DATA_PATH"])["member"])
    for name in ["00_quickstart", "01_segmentation", "04_retention_survival"]:
        known = {p.name for p in templates.parameters(name)}
        paths = templates.run(
            name,
            params={k: v for k, v in params.items() if k in known},
            out=tmp_path / "out",
            pseudonymize_key="a secret of the analyst",
        )
        for path in paths.values():
            found = set(re.findall(r"\d{9}", path.read_text())) & raw
            assert not found, f"{name}: raw ids in {path.name}: {sorted(found)[:3]}"


def test_yaml_dates_reach_the_notebook_as_text(tmp_path):
    params = tmp_path / "p.yaml"
    params.write_text("FREQ: Q\nSTAGES:\n  landing: awareness\n")
    assert templates._values("00", None, None, params) == {
        "FREQ": "Q",
        "STAGES": {"landing": "awareness"},
    }
    dated = tmp_path / "d.yaml"
    dated.write_text("AS_OF: 2024-09-30\nPROMOTIONS: [[spring, 2024-03-01, 2024-03-15]]\n")
    values = templates._values("01", None, None, dated)
    assert values == {"AS_OF": "2024-09-30", "PROMOTIONS": [["spring", "2024-03-01", "2024-03-15"]]}
