"""Every notebook in a real JupyterLab, in headless Chromium: run all cells, no error output and no
widget error, one slider per notebook moves and its plot changes; a screenshot per notebook and per
figure; no plot's text overflows its plot area and no two text labels of a scatter overlap.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
# HBKIT_E2E_NOTEBOOKS=00,01 runs only the notebooks whose names start with one of these prefixes
_ONLY = [x.strip() for x in os.environ.get("HBKIT_E2E_NOTEBOOKS", "").split(",") if x.strip()]
if _ONLY:
    NOTEBOOKS = [n for n in NOTEBOOKS if n.startswith(tuple(_ONLY))]

# JavaScript run in the page (JupyterLab exposes its app as window.jupyterapp).
_STATE = """() => {
  const app = window.jupyterapp;
  const panel = app && app.shell.currentWidget;
  if (!panel || !panel.content || !panel.sessionContext) return {ready: false};
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  const cells = panel.content.widgets.filter(c => c.model.type === 'code');
  const errors = [];
  for (const c of cells) {
    for (const o of c.model.outputs.toJSON()) {
      if (o.output_type === 'error') errors.push(o.ename + ': ' + o.evalue);
    }
  }
  return {
    ready: true,
    status: kernel ? kernel.status : 'none',
    pending: cells.filter(c => c.promptNode && c.promptNode.textContent.includes('*')).length,
    unrun: cells.filter(c => c.model.executionCount === null).length,
    errors,
  };
}"""

_PLOT_OF_SLIDER = """(slider) => {
  let node = slider;
  while (node && !(node.querySelector && node.querySelector('.js-plotly-plot'))) node = node.parentElement;
  const plot = node && node.querySelector('.js-plotly-plot');
  if (!plot || !plot.data) return null;
  // the data and the title: a control may change only what the title says (e.g. in fast mode a
  // barely trained policy can act the same under two budgets, while the title names the budget)
  const title = plot.layout && plot.layout.title && plot.layout.title.text;
  return JSON.stringify([title, plot.data.map(t => [t.x, t.y, t.z, t.values, t.cells && t.cells.values])]);
}"""


# Layout problems of every drawn plotly figure: text (titles, tick labels, annotations, point labels)
# reaching outside the figure's own area, and scatter point labels that overlap each other.
_LAYOUT_PROBLEMS = """() => {
  const problems = [];
  const plots = Array.from(document.querySelectorAll('.js-plotly-plot'));
  plots.forEach((plot, i) => {
    const box = plot.getBoundingClientRect();
    if (box.width < 10 || box.height < 10) return;          // not shown (e.g. a folded output)
    const title = (plot.querySelector('.gtitle') || {}).textContent || `figure ${i}`;
    for (const t of plot.querySelectorAll('svg text')) {
      const r = t.getBoundingClientRect();
      if (!t.textContent.trim() || r.width === 0) continue;
      if (t.closest('.legend') && t.closest('.scrollbox')) continue;  // legends scroll inside their box
      const out = r.left < box.left - 2 || r.right > box.right + 2 || r.top < box.top - 2
        || r.bottom > box.bottom + 2;
      if (out) {
        problems.push(`${title}: text "${t.textContent.slice(0, 40)}" overflows its plot`);
      }
    }
    const labels = Array.from(plot.querySelectorAll('.scatterlayer .textpoint text'))
      .map(t => [t.textContent.trim(), t.getBoundingClientRect()]).filter(([s, r]) => s && r.width > 0);
    for (let a = 0; a < labels.length; a++) {
      for (let b = a + 1; b < labels.length; b++) {
        const [ra, rb] = [labels[a][1], labels[b][1]];
        const w = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
        const h = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
        if (w > 2 && h > 2) problems.push(`${title}: labels "${labels[a][0]}" and "${labels[b][0]}" overlap`);
      }
    }
  });
  return problems;
}"""


def _wait(page, predicate, timeout, what):
    deadline = time.time() + timeout
    state = None
    while time.time() < deadline:
        # a "Select Kernel" (or similar) dialog would block the run: accept its default
        accept = page.query_selector(".jp-Dialog .jp-mod-accept")
        if accept is not None:
            accept.click()
        state = page.evaluate(_STATE)
        if predicate(state):
            return state
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}; last state {state}")


@pytest.mark.timeout(900)
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_in_jupyterlab(lab_server, browser, artifacts, name):
    base, token, root = lab_server
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    console_errors: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    try:
        # a workspace of its own, reset: no tabs restored from the notebooks opened before
        workspace = f"e2e-{Path(name).stem}"
        page.goto(
            f"{base}/lab/workspaces/{workspace}/tree/{name}?token={token}&reset",
            wait_until="domcontentloaded",
            timeout=90_000,
        )
        _wait(page, lambda s: s.get("ready") and s["status"] == "idle", 120, "the kernel to be idle")
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        # done when every cell ran, or when one failed (run-all stops there)
        state = _wait(
            page,
            lambda s: s["status"] == "idle" and s["pending"] == 0 and (s["unrun"] == 0 or s["errors"]),
            600,
            "all cells to run",
        )
        assert not state["errors"], f"{name}: error outputs {state['errors']}"
        page.wait_for_timeout(1500)  # let widget views render
        body = page.inner_text("body")
        for bad in ("Error displaying widget", "Failed to load model class", "Model not found"):
            assert bad not in body, f"{name}: the page shows '{bad}'"
        # move the first slider that drives a plot, and check that the plot changed
        moved = False
        for slider in page.query_selector_all(".widget-slider"):
            before = page.evaluate(_PLOT_OF_SLIDER, slider)
            if before is None:
                continue
            slider.scroll_into_view_if_needed()
            # a loaded machine may draw the figure late: wait until it holds data before moving
            deadline = time.time() + 60
            while json.loads(before)[1] == [] and time.time() < deadline:
                page.wait_for_timeout(500)
                before = page.evaluate(_PLOT_OF_SLIDER, slider)
            assert json.loads(before)[1] != [], f"{name}: the figure of the first slider was never drawn"
            handle = slider.query_selector(".noUi-handle")
            assert handle is not None, f"{name}: slider without a handle"
            handle.focus()
            for _ in range(3):
                page.keyboard.press("ArrowRight")
            # the redraw is a round trip through the kernel: on a cold JupyterLab (the first
            # notebook of a run) or a loaded machine it can take well over 15 s
            deadline = time.time() + 60
            after = before
            while time.time() < deadline and after == before:
                page.wait_for_timeout(250)
                after = page.evaluate(_PLOT_OF_SLIDER, slider)
            assert after != before, f"{name}: moving the slider did not change its plot"
            moved = True
            break
        assert moved, f"{name}: no slider driving a plot was found"
        page.screenshot(path=str(artifacts / f"{Path(name).stem}.png"), full_page=False)
        page.wait_for_timeout(500)
        for i, plot in enumerate(page.query_selector_all(".js-plotly-plot")):
            box = plot.bounding_box()
            if not box or box["width"] < 10 or box["height"] < 10:
                continue
            plot.scroll_into_view_if_needed()
            plot.screenshot(path=str(artifacts / f"{Path(name).stem}-figure{i:02d}.png"))
        problems = page.evaluate(_LAYOUT_PROBLEMS)
        assert not problems, f"{name}: " + "; ".join(problems[:8])
    except BaseException:
        page.screenshot(path=str(artifacts / f"{Path(name).stem}-failed.png"))
        (artifacts / f"{Path(name).stem}-console.json").write_text(json.dumps(console_errors, indent=1))
        raise
    finally:
        try:  # free the CPU for the next notebook
            page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.shutdown()")
        except Exception:  # noqa: BLE001 - best effort
            pass
        page.close()
