"""The notebooks as a user sees them: JupyterLab in headless Chromium (``make e2e``).

JupyterLab is started on a free loopback port with a token, on a copy of the notebooks, in
a plain environment (no MPLBACKEND: kernels get matplotlib's inline backend, as under
``make lab``). Chromium (Debian's package, driven by Playwright with ``executable_path``;
Playwright cannot download browsers here) opens every notebook and runs all cells. Per
notebook: no error output, every ``.plot(`` cell shows an image that is not blank, every
explorer renders as a widget (not its text fallback). Then every control of every explorer
is moved: its figure must be redrawn (a new image), not blank, with axes, and with no error.
Screenshots go to ``reports/e2e/``; the update latency seen in the browser (from the
control's change to the new image) to ``reports/e2e/latency.json``.

Skipped unless ``JOURNEYKIT_CHROMIUM`` names the browser (``make e2e`` sets it).
"""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
OUT = ROOT / "reports" / "e2e"
CHROMIUM = os.environ.get("JOURNEYKIT_CHROMIUM")
#: the closed network refuses Chromium's background connections, so none are made
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
RUN_TIMEOUT = 240  # seconds for one notebook's Run All
UPDATE_TIMEOUT = 20  # seconds for one explorer update
MOVES = 10  # control changes per explorer whose latency is recorded

pytestmark = pytest.mark.skipif(not CHROMIUM, reason="set JOURNEYKIT_CHROMIUM (make e2e)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on a copy of the notebooks: (base url, token)."""
    work = tmp_path_factory.mktemp("lab")
    for path in NOTEBOOKS:
        shutil.copy(path, work / path.name)
    # no "get notified about Jupyter news?" toast over the notebooks (and no request for it)
    news = work / "settings" / "@jupyterlab" / "apputils-extension"
    news.mkdir(parents=True)
    (news / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    port, token = free_port(), "journeykit-e2e"
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    cmd = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={work}",
        "--LabApp.expose_app_in_browser=True",
        f"--LabApp.workspaces_dir={work / 'workspaces'}",  # no tabs restored from elsewhere
        f"--LabApp.user_settings_dir={work / 'settings'}",
        "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--allow-root",
    ]
    log = open(work / "lab.log", "w")  # noqa: SIM115 - closed below
    server = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=1)
            break
        except OSError:
            time.sleep(0.5)
    else:
        server.terminate()
        raise RuntimeError((work / "lab.log").read_text())
    yield base, token
    server.terminate()
    server.wait(timeout=30)
    log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def latency():
    """Explorer -> update latencies (seconds), written when the module ends."""
    found: dict[str, list[float]] = {}
    yield found
    OUT.mkdir(parents=True, exist_ok=True)
    summary = {
        name: {
            "moves": len(times),
            "median_s": statistics.median(times),
            "worst_s": max(times),
            "times_s": times,
        }
        for name, times in found.items()
        if times
    }
    (OUT / "latency.json").write_text(json.dumps(summary, indent=2) + "\n")


# --------------------------------------------------------------------------- helpers

CELLS_JS = """
() => {
  const panel = window.jupyterapp.shell.currentWidget;
  return panel.content.widgets.map((cell, i) => {
    const outputs = [];
    if (cell.model.type === 'code') {
      const area = cell.model.outputs;
      for (let k = 0; k < area.length; k++) {
        const o = area.get(k);
        const json = o.toJSON();
        const stream = json.output_type === 'stream' && json.name === 'stderr'
                       ? [].concat(json.text).join('') : '';
        outputs.push({type: o.type, mimes: Object.keys(o.data || {}), stderr: stream,
                      text: o.type === 'error' ? (json.ename + ': ' + json.evalue) : ''});
      }
    }
    return {index: i, type: cell.model.type, source: cell.model.sharedModel.getSource(),
            count: cell.model.type === 'code' ? cell.model.executionCount : null,
            outputs: outputs,
            images: Array.from(cell.node.querySelectorAll('.jp-OutputArea-output img'))
                         .map(img => img.src),
            widget: cell.node.querySelector('.jupyter-widgets') !== null,
            text: cell.type === 'code' ? cell.node.innerText : ''};
  });
}
"""


def open_notebook(page, base, token, name):
    page.goto(f"{base}/lab/tree/{name}?reset&token={token}")
    page.wait_for_function(
        "() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
        " && window.jupyterapp.shell.currentWidget.sessionContext"
        " && window.jupyterapp.shell.currentWidget.sessionContext.session"
        " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel"
        " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status"
        " === 'idle'",
        timeout=120_000,
    )


def run_all(page):
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(
        """() => {
          const panel = window.jupyterapp.shell.currentWidget;
          const kernel = panel.sessionContext.session.kernel;
          const cells = panel.content.widgets.filter(c => c.model.type === 'code');
          const busy = cells.some(c => c.promptNode.textContent.includes('*'));
          const failed = cells.some(c => {
            for (let k = 0; k < c.model.outputs.length; k++) {
              if (c.model.outputs.get(k).type === 'error') return true;
            }
            return false;
          });
          // Run All stops at an error: done when every cell ran, or one failed
          return kernel.status === 'idle' && !busy
                 && (failed || cells.every(c => c.model.executionCount !== null));
        }""",
        timeout=RUN_TIMEOUT * 1000,
        polling=500,
    )


def png_stats(src: str) -> tuple[float, float]:
    """(pixel variance, share of dark pixels) of an image given as a data URL."""
    import matplotlib.image as mpimg

    data = base64.b64decode(src.split(",", 1)[1])
    pixels = mpimg.imread(io.BytesIO(data), format="png")[..., :3]
    gray = pixels.mean(axis=2)
    return float(gray.var()), float((gray < 0.35).mean())


def assert_drawn(src: str, where: str) -> None:
    variance, dark = png_stats(src)
    assert variance > 1e-3, f"{where}: the image is blank (pixel variance {variance:.2g})"
    assert dark > 0.002, f"{where}: the image has no axes or text (dark share {dark:.2%})"


def explorer_image(cell):
    imgs = cell.locator(".widget-output img")
    return imgs.last.get_attribute("src") if imgs.count() else None


#: Armed on an explorer's cell before a control is moved: the browser's own clock at the
#: first input event on the cell (key, pointer, change) and when a new figure (an img whose
#: source differs from the one shown before) is in the page. Their difference is the
#: latency a reader sees, from the control's change to the redrawn figure, without the
#: test's polling in it.
ARM_JS = """([cell, before]) => {
    const clock = {start: null, end: null, error: null};
    const first = () => { if (clock.start === null) clock.start = performance.now(); };
    for (const kind of ["keydown", "pointerdown", "input", "change"]) {
        cell.addEventListener(kind, first, {capture: true});
    }
    const seen = () => {
        const imgs = cell.querySelectorAll(".widget-output img");
        const last = imgs[imgs.length - 1];
        if (clock.end === null && last && last.src && last.src !== before) {
            clock.end = performance.now();
        }
        const output = cell.querySelector(".widget-output");
        const text = output ? output.innerText : "";
        if (clock.error === null && (text.includes("Fix:") || text.includes("Error"))) {
            clock.error = text;
        }
    };
    new MutationObserver(seen).observe(cell, {subtree: true, childList: true, attributes: true});
    window.__journeykitClock = clock;
}"""


def arm(cell, before: str | None) -> None:
    cell.evaluate("(cell, before) => (" + ARM_JS + ")([cell, before])", before)


#: Resolves when the armed clock has its end (a new figure) or the explorer printed an
#: error; the browser watches its own page, so the test's waiting costs it nothing.
DONE_JS = """() => {
    const clock = window.__journeykitClock;
    return clock.end !== null || clock.error !== null;
}"""


def wait_for_new_image(cell, before: str | None, where: str) -> float:
    """Seconds from the first input event on the cell to the new figure, by the browser's
    clock (see ARM_JS); raises when the explorer prints an error or shows nothing new."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    start = time.perf_counter()
    try:
        cell.page.wait_for_function(DONE_JS, polling="raf", timeout=UPDATE_TIMEOUT * 1000)
    except PlaywrightTimeout:
        raise AssertionError(f"{where}: no new figure within {UPDATE_TIMEOUT} s") from None
    clock = cell.page.evaluate("() => window.__journeykitClock")
    if clock["error"] is not None:
        raise AssertionError(f"{where}: the explorer printed an error: {clock['error'][:300]}")
    if clock["start"] is None:  # no input event seen on the cell: the test's own clock
        return time.perf_counter() - start
    return (clock["end"] - clock["start"]) / 1000


def controls(cell):
    """(kind, locator) for every control of an explorer, in page order."""
    found = []
    for kind, selector in (
        ("select", ".widget-dropdown select"),
        ("slider", ".widget-slider .noUi-handle"),
        ("date", ".widget-datepicker input"),
        ("toggle", ".widget-toggle-buttons"),
        ("tags", ".jupyter-widget-tagsinput"),
    ):
        items = cell.locator(selector)
        found += [(kind, items.nth(i)) for i in range(items.count())]
    return found


def move(kind: str, control, step: int) -> bool:
    """Change one control to another value (a different one on every step); False when
    there is nothing to change (a dropdown of one option, a steps list too short to lose
    one)."""
    if kind == "select":
        options = control.locator("option")
        values = [options.nth(i).get_attribute("value") for i in range(options.count())]
        current = control.input_value()
        others = [v for v in values if v != current]
        if not others:  # a dropdown of one option: nothing to change
            return False
        control.select_option(others[step % len(others)])
    elif kind == "slider":
        control.focus()
        control.press("ArrowRight" if step % 2 == 0 else "ArrowLeft")
    elif kind == "date":
        value = control.input_value() or "2024-06-30"
        day = 10 + step % 15
        control.fill(f"{value[:8]}{day:02d}")
        control.press("Enter")
    elif kind == "toggle":
        buttons = control.locator("button")
        classes = [buttons.nth(i).get_attribute("class") or "" for i in range(buttons.count())]
        target = next(i for i, c in enumerate(classes) if "mod-active" not in c)
        buttons.nth(target).click()
    elif kind == "tags":
        tags = control.locator("div.jupyter-widget-tag")  # (the text input is one too)
        if tags.count() <= 2:
            return False
        tags.last.hover()
        tags.last.locator(".jupyter-widget-tag-close").click()
    return True


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_in_the_browser(lab, browser, latency, path):
    base, token = lab
    OUT.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        open_notebook(page, base, token, path.name)
        run_all(page)
        cells = page.evaluate(CELLS_JS)
        page.screenshot(path=OUT / f"{path.stem}.png", full_page=True)
        errors = [
            (c["index"], o["text"]) for c in cells for o in c["outputs"] if o["type"] == "error"
        ]
        assert not errors, f"{path.name}: error outputs {errors}"
        # a reader sees JourneyWarnings as one sentence, and no library's warning noise
        noise = [
            (c["index"], o["stderr"][:200])
            for c in cells
            for o in c["outputs"]
            if o.get("stderr")
            and (
                "ipykernel_" in o["stderr"]
                or "Warning: " in o["stderr"]
                and not o["stderr"].startswith("JourneyWarning: ")
            )
        ]
        assert not noise, f"{path.name}: warning noise {noise}"
        for c in cells:
            where = f"{path.stem} cell {c['index']}"
            assert "<Figure size" not in c["text"], f"{where}: a stray empty figure is shown"
            if c["type"] == "code" and ".plot(" in c["source"]:
                assert c["images"], f"{where}: a plot cell shows no image"
                assert_drawn(c["images"][-1], where)
            if c["type"] == "code" and "jk.widgets." in c["source"]:
                assert c["widget"], f"{where}: the explorer shows its text fallback, no widget"
        for c in cells:
            if c["type"] == "code" and "jk.widgets." in c["source"]:
                drive_explorer(page, c, path.stem, latency)
    finally:
        page.close()


def drive_explorer(page, c, stem: str, latency) -> None:
    cell = page.locator(".jp-Notebook .jp-Cell").nth(c["index"])
    cell.scroll_into_view_if_needed()
    name = c["source"].split("jk.widgets.", 1)[1].split("(", 1)[0]
    where = f"{stem} {name}"
    found = controls(cell)
    assert found, f"{where}: no controls found"
    first = explorer_image(cell)
    assert first, f"{where}: no figure shown"
    assert_drawn(first, f"{where} as first shown")
    times = latency.setdefault(name, [])
    for number, (kind, control) in enumerate(found):
        before = explorer_image(cell)
        arm(cell, before)
        if not move(kind, control, number):
            continue
        seconds = wait_for_new_image(cell, before, f"{where} ({kind} #{number})")
        times.append(seconds)
        assert_drawn(explorer_image(cell), f"{where} after moving a {kind}")
        assert "<Figure size" not in cell.inner_text(), f"{where}: a stray empty figure"
        cell.screenshot(path=OUT / f"{stem}-{name}-{number}-{kind}.png")
    # then the first slider (the first dropdown where there is none) until MOVES moves
    repeated = next(
        (item for kind in ("slider", "select") for item in found if item[0] == kind), None
    )
    step = 0
    while repeated is not None and len(times) < MOVES:
        kind, control = repeated
        before = explorer_image(cell)
        arm(cell, before)
        if not move(kind, control, step):
            break
        times.append(wait_for_new_image(cell, before, f"{where} ({kind}, move {step})"))
        assert_drawn(explorer_image(cell), f"{where} after {kind} move {step}")
        step += 1
