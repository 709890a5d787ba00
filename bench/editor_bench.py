"""Editor benchmark: how fast a 300-step process opens in the browser editor and how smoothly
it pans (issue 6: first render < 1 s, no frame over 50 ms while panning).

    .venv/bin/python bench/editor_bench.py [--runs 3] [--warmup 1] [--nodes 300]
        [--pan-seconds 2] [--zoom-outs N] [--trace DIR] [--json FILE] [--static DIR]

Setup, once: the production build of web/ (made when missing or out of date, as the browser
tests do), then a real `nurtura serve` in its own process on a free loopback port over a
fresh SQLite file, with a user and an API token made by `nurtura user create` and
`nurtura token create`. A valid process file of `--nodes` steps (a long chain of tags,
delays, conditions whose "no" ends the run, and waits for an event with a timeout; no `ui`
positions, so the editor lays it out itself) is checked and imported through the API.

After `--warmup` runs that are not counted (the first page a freshly started Chromium shows
pays for its own start-up: fonts, caches), each run, in a fresh browser context of Debian's
Chromium (1280×800, so a cold HTTP cache): sign in (`POST /api/session` from the context, so
the page has loaded nothing yet), then

* **first render (load)**: `page.goto(…/#/processes/ID)`, the first page load; the time from
  navigation start to the first animation frame after the editor shows its steps (at least
  one `.react-flow__node`, every one of them measured and visible, and the links drawn). A
  MutationObserver installed before any script of the page records it, in the page, with
  `performance.now()`. The view must be the one the editor settles on (it fits the process
  into the canvas once React Flow is ready; React Flow's initial view, translate(0, 0) at
  zoom 1, does not count). With `onlyRenderVisibleElements` only the steps in view are in the
  DOM; the count is reported;
* **first render (from the list)**: the same, from the click on "Open" in the process list
  (the editor's code is cached by then);
* **panning**: the mouse drags the graph by its background, 20 px per 16 ms step (about
  1200 px/s), in strokes of 20 steps (up along the chain, so new steps keep coming into
  view), for `--pan-seconds`; a requestAnimationFrame loop in the page records every
  frame's start, and a PerformanceObserver the long tasks (> 50 ms) of the main thread.
  Reported: frames, median / p95 / max frame time (the interval between consecutive
  frames), frames over 50 ms, how far the view moved and how many steps were shown.

`--zoom-outs N` presses "Zoom out" N times before the pan (a harder case: more steps in
view, each one mounted as it scrolls in).

`--static DIR` serves another build of web/ (say, one made from an older commit with
`npx vite build --outDir DIR`) from the browser tests' in-process server instead of
`nurtura serve`, to compare builds on the same machine.

`--trace DIR` also records a Chromium performance trace of the pan of each run
(`browser.start_tracing`, categories devtools.timeline; open it in chrome://tracing or the
Performance panel) and reports the longest main-thread task in it.

Each run prints the machine's 1-minute load average when it started: the figures are only
as good as the machine is quiet (on a shared 2-CPU machine, a busy neighbour doubles them).

The browser is /usr/bin/chromium (installed with apt when missing); Playwright's own browser
download is not used.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, Page, ViewportSize, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.waiting import wait_http  # noqa: E402
from tests.web.browser import LAUNCH_ARGS, chromium  # noqa: E402
from tests.web.site import ensure_build  # noqa: E402

PASSWORD = "benchmark password"
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}
NURTURA = [str(Path(sys.executable).with_name("nurtura"))]

# Installed before the page's own scripts: first render, frame starts, long tasks.
PROBE = """(() => {
  const b = (window.__bench = { firstRender: null, rendered: 0, start: 0, frames: [],
                                recording: false, longtasks: [], seen: new Set() });
  const ready = () => {
    // the view the editor settles on (it fits the process once React Flow is ready)
    const view = document.querySelector('.react-flow__viewport');
    if (!view || view.style.transform === 'translate(0px, 0px) scale(1)') return false;
    const nodes = document.querySelectorAll('.react-flow__node');
    if (nodes.length === 0) return false;
    if (document.querySelectorAll('.react-flow__edge').length === 0) return false;
    for (const n of nodes) if (n.style.visibility === 'hidden') return false;
    return true;
  };
  let waiting = false;
  const check = () => {
    if (b.firstRender !== null || waiting || !ready()) return;
    waiting = true;
    requestAnimationFrame(() => {
      b.firstRender = performance.now() - b.start;
      b.rendered = document.querySelectorAll('.react-flow__node').length;
      waiting = false;
    });
  };
  b.arm = () => { b.firstRender = null; b.start = performance.now(); check(); };
  const start = () => new MutationObserver(check).observe(document.documentElement, {
    subtree: true, childList: true, attributes: true, attributeFilter: ['style', 'class'] });
  if (document.documentElement) start(); else document.addEventListener('readystatechange', start);
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) b.longtasks.push([e.startTime, e.duration]);
    }).observe({ type: 'longtask', buffered: true });
  } catch (e) { /* no long task API */ }
  const loop = (t) => {
    if (b.recording) {
      b.frames.push(t);
      for (const n of document.querySelectorAll('.react-flow__node')) b.seen.add(n.dataset.id);
    }
    requestAnimationFrame(loop);
  };
  requestAnimationFrame(loop);
})();"""

# A point of the graph's background, to drag the view by.
EMPTY_SPOT = """() => {
  const r = document.querySelector('.react-flow').getBoundingClientRect();
  for (let fy = 0.9; fy > 0.1; fy -= 0.05) for (const fx of [0.12, 0.88, 0.25, 0.75, 0.5]) {
    const x = r.left + r.width * fx, y = r.top + r.height * fy;
    const el = document.elementFromPoint(x, y);
    if (el && el.classList.contains('react-flow__pane')) return [x, y];
  }
  throw new Error('no empty spot on the graph');
}"""


def big_process(n: int = 300) -> dict[str, Any]:
    """A valid process file of exactly `n` steps: a trigger, then segments of
    tag → delay → condition (no → an end) → wait for a click (or a 3-day timeout), chained;
    the last steps are a tag and the final end."""
    nodes: dict[str, dict[str, Any]] = {}
    nodes["start"] = {"type": "trigger", "event": "order.created", "next": "s0_tag"}
    i = 0
    while len(nodes) + 5 + 2 <= n:
        nxt = f"s{i + 1}_tag"
        nodes[f"s{i}_tag"] = {"type": "action", "do": "add_tag", "tag": f"step-{i}",
                              "next": f"s{i}_delay"}
        nodes[f"s{i}_delay"] = {"type": "delay", "for": "1d", "next": f"s{i}_check"}
        nodes[f"s{i}_check"] = {"type": "condition", "if": {"tag": "unsubscribed-by-hand"},
                                "yes": f"s{i}_end", "no": f"s{i}_wait"}
        nodes[f"s{i}_end"] = {"type": "end", "outcome": "left"}
        nodes[f"s{i}_wait"] = {"type": "wait", "for": [{"event": "email.clicked", "next": nxt}],
                               "timeout": "3d", "on_timeout": nxt}
        i += 1
    last = f"s{i}_tag"
    while len(nodes) < n - 1:
        k = len(nodes)
        nodes[last] = {"type": "action", "do": "add_tag", "tag": f"tail-{k}",
                       "next": f"tail_{k + 1}" if len(nodes) < n - 2 else "done"}
        last = f"tail_{k + 1}"
    nodes["done"] = {"type": "end", "outcome": "finished"}
    assert len(nodes) == n, len(nodes)
    return {"nurtura": 1, "name": f"Benchmark: {n} steps", "reentry": "always", "nodes": nodes}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    url: str
    process: int
    user: str = "bench"
    password: str = PASSWORD


@contextmanager
def nurtura_serve(folder: Path, doc: dict[str, Any]) -> Iterator[Served]:
    """`nurtura serve` on a free port over a fresh database, a user `bench` (admin) and an
    API token; the process `doc` imported. Stopped (SIGTERM, then SIGKILL) on exit."""
    db = f"sqlite:///{folder / 'bench.db'}"
    env = {**os.environ, "NURTURA_DB": db}
    subprocess.run([*NURTURA, "user", "create", "bench", "--role", "admin",
                    "--password", PASSWORD], env=env, check=True, capture_output=True)
    token = subprocess.run([*NURTURA, "token", "create", "bench", "--scope", "admin"],
                           env=env, check=True, capture_output=True, text=True).stdout.strip()
    port = free_port()
    log = open(folder / "serve.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([*NURTURA, "serve", "--port", str(port)], env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_http(f"{url}/health", 30, proc)
        except AssertionError:
            log.flush()
            raise RuntimeError("nurtura serve did not start:\n"
                               + (folder / "serve.log").read_text()) from None
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"},
                          timeout=30) as http:
            http.post("/api/processes/validate", json=doc).raise_for_status()
            pid = http.post("/api/processes/import", json=doc).raise_for_status().json()["id"]
        yield Served(url, int(pid))
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        log.close()


@contextmanager
def in_process_server(folder: Path, static: Path, doc: dict[str, Any]) -> Iterator[Served]:
    """`--static DIR`: the browser tests' server (uvicorn in a thread) serving another build,
    to compare builds; the process `doc` imported."""
    from tests.web.site import PASSWORD as TEST_PASSWORD
    from tests.web.site import running_site

    with running_site(folder, static) as site, site.api() as http:
        pid = http.post("/api/processes/import", json=doc).raise_for_status().json()["id"]
        yield Served(site.url, int(pid), "ada", TEST_PASSWORD)


@dataclass
class Run:
    first_render_load_ms: float
    first_render_list_ms: float
    rendered_nodes: int
    panned_px: int
    steps_shown: int
    in_view: int
    frames: int
    median_ms: float
    p95_ms: float
    max_ms: float
    over_50ms: int
    long_tasks: int
    longest_task_ms: float
    trace_longest_task_ms: float | None = None
    load_average: float = 0.0
    frame_times: list[float] = field(default_factory=list, repr=False)


def wait_first_render(page: Page) -> tuple[float, int]:
    page.wait_for_function("() => window.__bench && window.__bench.firstRender !== null",
                           timeout=30_000, polling=50)
    got = page.evaluate("() => [window.__bench.firstRender, window.__bench.rendered]")
    return float(got[0]), int(got[1])


def pan(page: Page, seconds: float) -> None:
    """Drag the view upwards by its background in strokes of 20 steps of 20 px, 16 ms
    apart (about 1200 px/s), until `seconds` have passed."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        x, y = page.evaluate(EMPTY_SPOT)
        page.mouse.move(x, y)
        page.mouse.down()
        for step in range(1, 21):
            t = time.monotonic()
            page.mouse.move(x, y - 20 * step)
            time.sleep(max(0.0, 0.016 - (time.monotonic() - t)))
        page.mouse.up()


def trace_longest_task(path: Path) -> float:
    """The longest task (ms) of the renderer's main thread in a Chromium trace file."""
    data = json.loads(path.read_text())
    events = data["traceEvents"] if isinstance(data, dict) else data
    main = {(e["pid"], e["tid"]) for e in events
            if e.get("name") == "thread_name" and e.get("args", {}).get("name") == "CrRendererMain"}
    longest = 0.0
    for e in events:
        if e.get("ph") == "X" and e.get("name") in ("RunTask", "ThreadControllerImpl::RunTask") \
                and (e.get("pid"), e.get("tid")) in main:
            longest = max(longest, e.get("dur", 0) / 1000)
    return longest


def one_run(browser: Browser, served: Served, seconds: float, trace: Path | None,
            n: int, zoom_outs: int = 0) -> Run:
    context = browser.new_context(viewport=VIEWPORT, locale="en-US", timezone_id="UTC")
    context.add_init_script(PROBE)
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        # the session cookie lands in the context; the page has loaded nothing yet
        signed_in = context.request.post(
            f"{served.url}/api/session",
            data={"username": served.user, "password": served.password})
        if not signed_in.ok:
            raise RuntimeError(f"could not sign in: {signed_in.status}")
        page.goto(f"{served.url}/#/processes/{served.process}")
        load_ms, rendered = wait_first_render(page)

        # from the list (code cached)
        page.get_by_role("button", name="Processes").click()
        link = page.get_by_role("link", name=f"Open: Benchmark: {n} steps")
        link.wait_for()
        page.evaluate("() => window.__bench.arm()")
        link.click()
        list_ms, _ = wait_first_render(page)
        for _ in range(zoom_outs):  # --zoom-outs: more of the process in view
            page.get_by_role("button", name="Zoom out").click()
        page.wait_for_timeout(500)  # let it settle (fonts, the minimap)

        if trace is not None:
            browser.start_tracing(page=page, path=str(trace), screenshots=False,
                                  categories=["devtools.timeline", "toplevel",
                                              "disabled-by-default-devtools.timeline.frame"])
        view = "() => new DOMMatrix(getComputedStyle(document.querySelector(" \
               "'.react-flow__viewport')).transform).f"
        y0 = float(page.evaluate(view))
        page.evaluate("() => { const b = window.__bench; b.longtasks = []; b.frames = [];"
                      " b.seen = new Set(); b.recording = true; }")
        pan(page, seconds)
        page.wait_for_timeout(100)
        data = page.evaluate("() => { const b = window.__bench; b.recording = false;"
                             " return [b.frames, b.longtasks, b.seen.size]; }")
        moved = y0 - float(page.evaluate(view))
        in_view = int(page.evaluate("() => document.querySelectorAll('.react-flow__node').length"))
        if trace is not None:
            browser.stop_tracing()
    finally:
        context.close()
    starts: list[float] = data[0]
    deltas = [b - a for a, b in itertools.pairwise(starts)]
    longtasks: list[list[float]] = data[1]
    ordered = sorted(deltas)
    return Run(
        first_render_load_ms=round(load_ms, 1), first_render_list_ms=round(list_ms, 1),
        rendered_nodes=rendered, panned_px=round(moved), steps_shown=int(data[2]),
        in_view=in_view,
        frames=len(deltas),
        median_ms=round(statistics.median(deltas), 1),
        p95_ms=round(ordered[max(0, int(len(ordered) * 0.95) - 1)], 1),
        max_ms=round(max(deltas), 1), over_50ms=sum(1 for d in deltas if d > 50),
        long_tasks=len(longtasks),
        longest_task_ms=round(max((t[1] for t in longtasks), default=0.0), 1),
        trace_longest_task_ms=round(trace_longest_task(trace), 1) if trace else None,
        frame_times=[round(d, 2) for d in deltas],
    )


def machine() -> dict[str, Any]:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    version = subprocess.run([chromium(), "--version"], capture_output=True, text=True,
                             check=False).stdout.strip()
    return {"nproc": os.cpu_count(), "cpu": cpu, "chromium": version,
            "python": platform.python_version(), "platform": platform.platform()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1, help="runs made first and not counted "
                    "(the browser's own start-up: fonts, caches); printed all the same")
    ap.add_argument("--nodes", type=int, default=300)
    ap.add_argument("--pan-seconds", type=float, default=2.0)
    ap.add_argument("--zoom-outs", type=int, default=0, help="press Zoom out this many "
                    "times before panning (0.45 → 0.45/1.2^N; more steps in view)")
    ap.add_argument("--trace", type=Path, help="save a Chromium trace of each pan here")
    ap.add_argument("--json", type=Path, help="write the results (all frame times too) here")
    ap.add_argument("--static", type=Path, help="serve this build of web/ instead, from an "
                    "in-process server (the browser tests' one), to compare builds")
    args = ap.parse_args(argv)

    if args.static is None:
        ensure_build()
    info = machine()
    print(f"machine: {info['nproc']} CPUs, {info['cpu']}; {info['chromium']}")
    doc = big_process(args.nodes)
    runs: list[Run] = []
    folder = Path(tempfile.mkdtemp(prefix="nurtura-editor-bench-"))
    try:
        server = (nurtura_serve(folder, doc) if args.static is None
                  else in_process_server(folder, args.static, doc))
        with server as served, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium(), args=LAUNCH_ARGS)
            try:
                for i in range(-args.warmup, args.runs):
                    trace = None
                    if args.trace and i >= 0:
                        args.trace.mkdir(parents=True, exist_ok=True)
                        trace = args.trace / f"editor-pan-{i + 1}.json"
                    load = os.getloadavg()[0]
                    run = one_run(browser, served, args.pan_seconds, trace, args.nodes,
                                  args.zoom_outs)
                    run.load_average = round(load, 2)
                    if i >= 0:
                        runs.append(run)
                    name = f"run {i + 1}" if i >= 0 else "warm-up (not counted)"
                    print(f"{name} (load average {load:.2f}): first render"
                          f" {run.first_render_load_ms} ms (page load),"
                          f" {run.first_render_list_ms} ms (from the list), "
                          f"{run.rendered_nodes} steps in the DOM; pan of {run.panned_px} px"
                          f" ({run.steps_shown} steps shown, {run.in_view} in view at the"
                          f" end): {run.frames} frames,"
                          f" median {run.median_ms} ms, p95 {run.p95_ms} ms, max {run.max_ms} ms,"
                          f" {run.over_50ms} over 50 ms; long tasks {run.long_tasks}"
                          f" (longest {run.longest_task_ms} ms)"
                          + (f"; trace: longest main-thread task {run.trace_longest_task_ms} ms"
                             if run.trace_longest_task_ms is not None else ""))
            finally:
                browser.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    worst_render = max(max(r.first_render_load_ms, r.first_render_list_ms) for r in runs)
    worst_frame = max(r.max_ms for r in runs)
    print(f"targets: first render < 1000 ms: {'met' if worst_render < 1000 else 'MISSED'}"
          f" (worst {worst_render} ms); no frame over 50 ms while panning: "
          f"{'met' if worst_frame <= 50 else 'MISSED'} (worst {worst_frame} ms)")
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "nodes": args.nodes,
                                         "runs": [asdict(r) for r in runs]}, indent=1))
    return 0 if worst_render < 1000 and worst_frame <= 50 else 1


if __name__ == "__main__":
    sys.exit(main())
