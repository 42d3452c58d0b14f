"""The ``journeykit`` command: regenerate the bundled data, render reports, show versions."""

from __future__ import annotations

import argparse
import importlib.metadata
import os
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
    from .templates import run

    for notebook in args.notebooks:
        print(f"wrote {run(notebook, out=args.out)['html']}")


def _run(args) -> int:
    from .errors import JourneyDataError
    from .templates import TemplateRunError, parse_value, run

    params = {}
    for item in args.param:
        name, sep, value = item.partition("=")
        if not sep:
            print(f"--param {item!r}: expected NAME=VALUE (e.g. --param FREQ=Q).", file=sys.stderr)
            return 2
        params[name] = parse_value(value)
    key = None
    if args.pseudonymize_key_env:
        key = os.environ.get(args.pseudonymize_key_env)
        if not key:
            print(
                f"--pseudonymize-key-env {args.pseudonymize_key_env}: that environment "
                "variable is not set (or empty). Fix: export it with your secret key first.",
                file=sys.stderr,
            )
            return 2
    try:
        paths = run(
            args.template,
            data=args.data,
            params=params,
            params_file=args.params,
            out=args.out,
            no_code=args.no_code,
            pseudonymize_key=key,
            progress=True,
        )
    except (JourneyDataError, TemplateRunError) as error:
        print(f"journeykit run: {error}", file=sys.stderr)
        return 1
    print(f"wrote {paths['notebook']}\nwrote {paths['html']}")
    return 0


def _new(args) -> int:
    from .templates import new

    print(f"wrote {new(args.template, args.dest)}")
    return 0


def _params(args) -> int:
    from .templates import parameters

    for p in parameters(args.template):
        print(f"{p.name} = {p.default!r}  # {p.comment}")
    return 0


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
    p = sub.add_parser("run", help="run a template on your data: executed notebook + HTML")
    p.add_argument("template", help="a template name (e.g. 01_segmentation) or a notebook")
    p.add_argument("--data", help="the main input (sets DATA_PATH)")
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a parameter value, JSON when it parses, else text (repeatable)",
    )
    p.add_argument("--params", metavar="FILE.yaml", help="parameter values, NAME: value lines")
    p.add_argument("--out", default="reports", help="folder to write to (default: reports)")
    p.add_argument("--no-code", action="store_true", help="leave the code out of the HTML")
    p.add_argument(
        "--pseudonymize-key-env",
        metavar="VAR",
        help="pseudonymize customer ids with the key held in this variable",
    )
    p.set_defaults(run=_run)
    p = sub.add_parser("new", help="copy a template to make it your own")
    p.add_argument("template")
    p.add_argument("dest")
    p.set_defaults(run=_new)
    p = sub.add_parser("params", help="list a template's parameters")
    p.add_argument("template")
    p.set_defaults(run=_params)
    p = sub.add_parser("versions", help="print the versions of journeykit and its dependencies")
    p.set_defaults(run=lambda args: show_versions())
    args = parser.parse_args(argv)
    return args.run(args) or 0


if __name__ == "__main__":
    sys.exit(main())
