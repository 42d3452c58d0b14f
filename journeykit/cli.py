"""The ``journeykit`` command: regenerate the bundled data, render reports, show versions."""

from __future__ import annotations

import argparse
import importlib.metadata
import platform
import sys
from pathlib import Path

PACKAGES = (
    "journeykit",
    "pandas",
    "numpy",
    "scipy",
    "statsmodels",
    "lifelines",
    "matplotlib",
    "ibis-framework",
    "duckdb",
    "pyarrow",
    "ipywidgets",
    "papermill",
    "pyspark",
)


def show_versions() -> None:
    """Print the versions of Python, journeykit and its main dependencies (for reports).

    Returns
    -------
    None
        The versions are printed, one package per line.

    Examples
    --------
    >>> show_versions()  # doctest: +ELLIPSIS
    python ...
    journeykit ...
    """
    print(f"python       {platform.python_version()} ({platform.platform()})")
    for name in PACKAGES:
        try:
            version = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            version = "not installed"
        print(f"{name:<12} {version}")


def _datasets(args) -> None:
    from .datasets import convert_cdnow, write_webshop

    out = Path(args.out)
    for path in write_webshop(out):
        print(f"wrote {path}")
    if args.cdnow:
        print(f"wrote {convert_cdnow(Path(args.cdnow), out)}")


#: The kernel environment of a report run: matplotlib's inline backend (whatever the
#: caller's MPLBACKEND), explorers as snapshots, and plotly figures both as their own
#: mimetype and as HTML with plotly.js inlined (offline), which static pages can show.
REPORT_ENV = {"JOURNEYKIT_STATIC_WIDGETS": "1", "PLOTLY_RENDERER": "plotly_mimetype+notebook"}


def report(notebook, out, *, parameters=None, no_code: bool = False) -> Path:
    """Execute ``notebook`` (with papermill ``parameters``) and write it to ``out`` as HTML
    with every figure: static plots as images, the Sankey as an interactive figure, each
    explorer as an image of its starting state. Returns the HTML path."""
    import os

    import nbformat
    import papermill
    from nbconvert import HTMLExporter

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    source = Path(notebook)
    executed = out / source.name
    saved = {k: os.environ.get(k) for k in (*REPORT_ENV, "MPLBACKEND")}
    os.environ.update(REPORT_ENV)
    os.environ.pop("MPLBACKEND", None)
    try:
        papermill.execute_notebook(
            str(source),
            str(executed),
            parameters=parameters or {},
            cwd=str(source.parent),
            progress_bar=False,
        )
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    exporter = HTMLExporter(exclude_input=no_code)
    html, _ = exporter.from_notebook_node(nbformat.read(executed, as_version=4))
    target = executed.with_suffix(".html")
    target.write_text(html, encoding="utf-8")
    executed.unlink()
    return target


def _report(args) -> None:
    for notebook in args.notebooks:
        print(f"wrote {report(notebook, args.out)}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="journeykit", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("datasets", help="regenerate the simulated web shop (and convert CDNOW)")
    p.add_argument("--out", default="datasets", help="folder to write (default: datasets)")
    p.add_argument("--cdnow", help="path of CDNOW_master.txt to convert as well")
    p.set_defaults(run=_datasets)
    p = sub.add_parser("report", help="execute notebooks and save them as HTML")
    p.add_argument("notebooks", nargs="+")
    p.add_argument("--out", default="reports")
    p.set_defaults(run=_report)
    p = sub.add_parser("versions", help="print the versions of journeykit and its dependencies")
    p.set_defaults(run=lambda args: show_versions())
    args = parser.parse_args(argv)
    args.run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
