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


def _report(args) -> None:
    import nbformat
    import papermill
    from nbconvert import HTMLExporter

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for notebook in args.notebooks:
        source = Path(notebook)
        executed = out / source.name
        papermill.execute_notebook(
            str(source), str(executed), cwd=str(source.parent), progress_bar=False
        )
        html, _ = HTMLExporter().from_notebook_node(nbformat.read(executed, as_version=4))
        target = executed.with_suffix(".html")
        target.write_text(html, encoding="utf-8")
        executed.unlink()
        print(f"wrote {target}")


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
