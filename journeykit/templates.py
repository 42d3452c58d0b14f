"""Notebooks as templates: run one on your own export, copy one, list its parameters.

Every notebook of journeykit is a template with one cell tagged ``parameters`` (papermill):
UPPER_CASE names with plain JSON/YAML values (text, numbers, true/false, null, lists,
dicts), each with a one-line comment. ``journeykit run`` executes a template with other
values and writes the executed notebook and an HTML report (every figure included);
``journeykit new`` copies one; ``journeykit params`` lists the parameters. The templates
ship inside the package, so a wheel install has them too. A parameter naming a file ends in
``_PATH``: a relative one is resolved where ``journeykit run`` runs (the kernel runs in the
template's folder).
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import os
import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .errors import JourneyDataError

#: The kernel environment of a run: matplotlib's inline backend (whatever the caller's
#: MPLBACKEND), explorers as snapshots, and plotly figures both as their own mimetype and
#: as HTML with plotly.js inlined (offline), which a static page can show.
REPORT_ENV = {
    "JOURNEYKIT_STATIC_WIDGETS": "1",
    "PLOTLY_RENDERER": "plotly_mimetype+notebook",
    "JOURNEYKIT_PROGRESS": "off",  # a saved report has no use for progress bars
}


#: The dict parameters unpacked into a reader's keywords, and the keywords they may hold:
#: read_events' column arguments (and the decimal mark of amounts written as text),
#: read_attributes' id column.
COLUMN_ARGUMENTS = {
    "COLUMNS": (
        *("customer", "time", "event", "revenue", "channel", "session", "order", "account"),
        "decimal",
    ),
    "CUSTOMER_COLUMNS": ("customer",),
}


class TemplateRunError(RuntimeError):
    """A cell of a template failed; the message names the cell and the error."""


@dataclass(frozen=True)
class Parameter:
    """One parameter of a template: its name, default value and comment."""

    name: str
    default: object
    comment: str


def _folder() -> Path:
    # a checkout or editable install reads notebooks/ directly; a wheel carries the same
    # files as the package data journeykit._templates (see pyproject.toml)
    source_tree = Path(__file__).resolve().parent.parent / "notebooks"
    if source_tree.is_dir():
        return source_tree
    return Path(str(resources.files("journeykit._templates")))


def names() -> list[str]:
    """The templates' names (``00_quickstart``, ``01_segmentation``, ...)."""
    return sorted(p.stem for p in _folder().glob("*.ipynb"))


def template_path(template) -> Path:
    """A template's notebook: a name (``'01_segmentation'``, or its number ``'01'``) or a
    path to any notebook."""
    path = Path(template)
    if path.suffix == ".ipynb" and path.is_file():
        return path
    known = names()
    matches = [n for n in known if n == str(template) or n.split("_", 1)[0] == str(template)]
    if len(matches) != 1:
        raise JourneyDataError(
            f"template={str(template)!r}: no such template or notebook. Expected one of "
            f"{known} or the path of a .ipynb file. Fix: pass one of those."
        )
    return _folder() / f"{matches[0]}.ipynb"


def _parameters_cell(path: Path) -> str:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    cells = [c for c in notebook["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise JourneyDataError(
            f"template={str(path)!r}: expected exactly one cell tagged 'parameters'; found "
            f"{len(cells)}. Fix: tag the cell holding the notebook's knobs 'parameters'."
        )
    return "".join(cells[0]["source"])


def parameters(template) -> list[Parameter]:
    """The parameters of a template, in the order of its parameters cell.

    Parameters
    ----------
    template : str or path
        A template name (``'01_segmentation'`` or ``'01'``) or a notebook path.

    Returns
    -------
    list of Parameter
        ``name``, ``default`` (the value in the cell) and ``comment`` (its explanation).

    Examples
    --------
    >>> [p.name for p in parameters("00_quickstart")][:2]
    ['DATA_PATH', 'COLUMNS']
    """
    path = template_path(template)
    source = _parameters_cell(path)
    lines = source.splitlines()
    out = []
    for node in ast.parse(source).body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1):
            raise JourneyDataError(
                f"template={str(path)!r}: the parameters cell may hold only NAME = value "
                f"lines; line {node.lineno} is not one. Fix: move other code to another cell."
            )
        target = node.targets[0]
        if not isinstance(target, ast.Name):
            raise JourneyDataError(
                f"template={str(path)!r}: line {node.lineno} assigns to several names. Fix: "
                "one NAME = value per line (papermill can only set those)."
            )
        try:
            default = ast.literal_eval(node.value)
        except ValueError:
            raise JourneyDataError(
                f"template={str(path)!r}: {target.id} is not a plain value. Fix: use text, "
                "numbers, True/False, None, lists or dicts."
            ) from None
        line = lines[node.end_lineno - 1]
        comment = line.split("#", 1)[1].strip() if "#" in line else ""
        out.append(Parameter(target.id, default, comment))
    return out


def parse_value(text: str):
    """A command-line parameter value: JSON when it parses (numbers, true/false, null,
    lists, dicts, quoted text), else the text itself."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _plain(value):
    """A YAML value as papermill can pass it: unquoted dates (``AS_OF: 2024-09-30``, which
    YAML reads as dates) become ISO text, inside lists and dicts too."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _values(template, data, params, params_file) -> dict:
    values = {}
    if params_file is not None:
        import yaml

        loaded = yaml.safe_load(Path(params_file).read_text(encoding="utf-8")) or {}
        if not isinstance(loaded, dict):
            raise JourneyDataError(
                f"params_file={str(params_file)!r}: expected a mapping NAME: value; got "
                f"{type(loaded).__name__}. Fix: write one 'NAME: value' per line."
            )
        values |= {name: _plain(value) for name, value in loaded.items()}
    values |= dict(params or {})
    if data is not None:
        values["DATA_PATH"] = os.fspath(data)
    for name, value in values.items():
        if name.endswith("_PATH") and isinstance(value, str):
            values[name] = os.fspath(Path(value).resolve())
        if name in COLUMN_ARGUMENTS:
            _check_columns(name, value)
    if not values:  # a notebook without a parameters cell runs as it is
        return values
    known = [p.name for p in parameters(template)]
    unknown = [n for n in values if n not in known]
    if unknown:
        raise JourneyDataError(
            f"param {unknown[0]}: not a parameter of {template_path(template).stem}; its "
            f"parameters are {known}. Fix: pass one of those (journeykit params "
            f"{template_path(template).stem} lists them with their comments)."
        )
    return values


def _check_columns(name: str, value) -> None:
    allowed = list(COLUMN_ARGUMENTS[name])
    example = f"""e.g. --param '{name}={json.dumps({"customer": "user_id"})}'."""
    if isinstance(value, str) and value.lstrip().startswith("{"):
        raise JourneyDataError(
            f"{name}: expected a JSON object; got {value!r}, which is not JSON (JSON needs "
            f"""double quotes: "customer", not 'customer'). Fix: write it with double quotes, """
            f"{example}"
        )
    if not isinstance(value, dict):
        raise JourneyDataError(
            f"{name}: expected a JSON object of column names with keys among {allowed}; got "
            f"{value!r}. Fix: pass one, {example}"
        )
    for key, column in value.items():
        if key not in allowed:
            raise JourneyDataError(
                f"{name}: expected keys among {allowed}; got {key!r}. Fix: name your columns "
                f"with those keys, {example}"
            )
        if not (column is None or isinstance(column, str)):
            raise JourneyDataError(
                f"{name}[{key!r}]: expected a column name (text) or null; got {column!r}. Fix: "
                f"pass the name of the column in your file, {example}"
            )


def _failing_cell(source: Path, error, injected: bool) -> str:
    """``cell N (its first line)``: the failing cell as numbered (from 1) in the template,
    where ``error.cell_index`` counts the cells of the run."""
    index = error.cell_index
    if injected:  # papermill put a cell of the passed values right after the parameters cell
        cells = json.loads(source.read_text(encoding="utf-8"))["cells"]
        tags = [c.get("metadata", {}).get("tags", []) for c in cells]
        parameters_index = next(i for i, t in enumerate(tags) if "parameters" in t)
        if index > parameters_index:
            index -= 1
    lines = [ln.strip() for ln in error.source.splitlines() if ln.strip()]
    return f"cell {index + 1} ({lines[0] if lines else 'an empty cell'})"


def run(
    template,
    *,
    data=None,
    params: dict | None = None,
    params_file=None,
    out="reports",
    no_code: bool = False,
    pseudonymize_key: str | None = None,
    progress: bool = False,
) -> dict:
    """Execute a template on your data and write the executed notebook and an HTML report.

    Parameters
    ----------
    template : str or path
        A template name or a notebook path.
    data : str or path, optional
        The main input (sets ``DATA_PATH``).
    params : dict, optional
        Parameter values by name (they override ``params_file``).
    params_file : str or path, optional
        A YAML file of ``NAME: value`` lines.
    out : str or path
        The folder to write ``<name>.ipynb`` and ``<name>.html`` to.
    no_code : bool
        Leave the code cells out of the HTML report.
    pseudonymize_key : str, optional
        Pseudonymize customer ids at the door with this key (keyed HMAC-SHA256, see
        :func:`journeykit.pseudonymize`): no raw id reaches the report.
    progress : bool
        Show a progress bar per cell.

    Returns
    -------
    dict
        ``notebook`` and ``html``: the paths written.

    Raises
    ------
    JourneyDataError
        An unknown template or parameter.
    TemplateRunError
        A cell failed: the message names the cell and the error (the executed notebook is
        written all the same, to look at).

    Examples
    --------
    >>> import tempfile
    >>> out = run("00_quickstart", params={"FREQ": "Q"}, out=tempfile.mkdtemp())
    >>> sorted(p.suffix for p in out.values())
    ['.html', '.ipynb']
    """
    import nbformat
    import papermill
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    source = template_path(template)
    values = _values(template, data, params, params_file)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    executed = out / source.name
    env = dict(REPORT_ENV)
    if pseudonymize_key:
        from .privacy import PSEUDONYMIZE_KEY

        env[PSEUDONYMIZE_KEY] = pseudonymize_key
    saved = {k: os.environ.get(k) for k in (*env, "MPLBACKEND")}
    os.environ.update(env)
    os.environ.pop("MPLBACKEND", None)
    try:
        papermill.execute_notebook(
            str(source),
            str(executed),
            parameters=values,
            cwd=str(source.parent),
            progress_bar=progress,
            # CurveZMQ keys for kernels that declare support (ipykernel does): an encrypted
            # channel, and no warning about plain-text TCP
            config=Config(KernelManager={"transport_encryption": "auto"}),
        )
    except papermill.PapermillExecutionError as error:
        message = str(error.evalue).strip().splitlines() or [""]
        raise TemplateRunError(
            f"{source.stem}: {_failing_cell(source, error, bool(values))} failed: "
            f"{error.ename}: {message[0]} (the executed notebook, with the whole error, is "
            f"{executed})"
        ) from None
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    html, _ = HTMLExporter(exclude_input=no_code).from_notebook_node(
        nbformat.read(executed, as_version=4)
    )
    report = executed.with_suffix(".html")
    report.write_text(html, encoding="utf-8")
    return {"notebook": executed, "html": report}


def skip(missing: str, enable: str) -> None:
    """Say, in a template, that a section is skipped: what the data lacks and which
    parameter enables the section (one sentence, shown in the notebook and the report).

    Examples
    --------
    >>> skip("a revenue column", "set COLUMNS['revenue'] to your order values")
    Skipped: this section needs a revenue column; set COLUMNS['revenue'] to your order values.
    """
    print(f"Skipped: this section needs {missing}; {enable}.")


def present(wanted, available, *, enable: str) -> list:
    """The names of ``wanted`` that are among ``available``; each missing one is reported
    with :func:`skip`, so a breakdown the data cannot give is skipped in one sentence.

    Examples
    --------
    >>> present(["persona", "tier"], ["customer_id", "tier"], enable="set BREAKDOWNS")
    Skipped: this section needs a column 'persona' (for the breakdown by persona); set BREAKDOWNS.
    ['tier']
    """
    wanted = [] if wanted is None else [wanted] if isinstance(wanted, str) else list(wanted)
    found = []
    for name in wanted:
        if name in list(available):
            found.append(name)
        else:
            skip(f"a column {name!r} (for the breakdown by {name})", enable)
    return found


def new(template, dest) -> Path:
    """Copy a template to ``dest`` (a file or a folder) to make it your own.

    Parameters
    ----------
    template : str or path
        A template name or a notebook path.
    dest : str or path
        Where to put the copy; an existing folder keeps the template's file name.

    Returns
    -------
    pathlib.Path
        The copy.

    Examples
    --------
    >>> import tempfile
    >>> new("01", tempfile.mkdtemp()).name
    '01_segmentation.ipynb'
    """
    source = template_path(template)
    dest = Path(dest)
    target = dest / source.name if dest.is_dir() else dest
    if target.exists():
        raise JourneyDataError(
            f"dest={str(target)!r}: the file exists already. Fix: pass another name, or "
            "remove it first."
        )
    shutil.copyfile(source, target)
    return target
