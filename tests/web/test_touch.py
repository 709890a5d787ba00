"""Gestures on a 375×667 touch screen, sent as real touch input through the Chrome DevTools
Protocol (`Input.dispatchTouchEvent`, what a finger on the glass produces): two fingers
spread apart zoom the graph in, one finger drags it, and a finger drawn from a step's
outgoing handle to another step links them (React Flow's touch connecting; dropped on the
step's card, not only on its small top handle); a tap on a handle and then on another (tap
to connect) links them too, the bottom sheet staying down in between."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import CDPSession, Locator, Page, expect

from tests.web.site import Site
from tests.web.ui import Editor, sign_in

pytestmark = pytest.mark.slow

Point = tuple[float, float]
_VIEW = """() => {
  const m = new DOMMatrix(getComputedStyle(document.querySelector('.react-flow__viewport'))
                          .transform);
  return [m.a, m.e, m.f];
}"""
# An empty spot of the graph's background around its middle: nothing but the pane along
# the pinch's line (±130 px across) and the pan's path (up to 90 px down and right), so
# every finger lands on the background, not on a step, a link or a handle.
_EMPTY = """() => {
  const r = document.querySelector('.react-flow').getBoundingClientRect();
  const pane = (x, y) => {
    const el = document.elementFromPoint(x, y);
    return el && el.classList.contains('react-flow__pane');
  };
  for (let fy = 0.3; fy < 0.95; fy += 0.025) for (let fx = 0.5; fx > 0.2; fx -= 0.05) {
    for (const x of [r.left + r.width * fx, r.left + r.width * (1 - fx)]) {
      const y = r.top + r.height * fy;
      let ok = true;
      for (let d = -130; d <= 130 && ok; d += 5) ok = pane(x + d, y);
      for (let d = 0; d <= 90 && ok; d += 5) ok = pane(x + d * 0.75, y + d);
      if (ok) return [x, y];
    }
  }
  throw new Error('no empty spot on the graph');
}"""


def view(page: Page) -> tuple[float, float, float]:
    """React Flow's viewport: (zoom, x, y)."""
    zoom, x, y = page.evaluate(_VIEW)
    return float(zoom), float(x), float(y)


def touch(cdp: CDPSession, kind: str, *points: Point) -> None:
    cdp.send("Input.dispatchTouchEvent", {
        "type": kind,
        "touchPoints": [{"x": x, "y": y, "id": i, "radiusX": 4, "radiusY": 4, "force": 1}
                        for i, (x, y) in enumerate(points)]})


def gesture(cdp: CDPSession, page: Page, start: list[Point], end: list[Point],
            steps: int = 12) -> None:
    """Fingers put down at `start`, moved in steps to `end`, lifted."""
    touch(cdp, "touchStart", *start)
    for i in range(1, steps + 1):
        f = i / steps
        touch(cdp, "touchMove", *((sx + (ex - sx) * f, sy + (ey - sy) * f)
                                  for (sx, sy), (ex, ey) in zip(start, end, strict=True)))
        page.wait_for_timeout(16)  # one frame between moves, as a finger does
    touch(cdp, "touchEnd")


def centre(target: Locator) -> Point:
    box = target.bounding_box()
    assert box is not None
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def new_process_with_a_loose_step(site: Site, phone: Page) -> Editor:
    """A new process `start → end` and a tag step added from the "+ Add a step" dialog,
    linked to nothing yet; the whole graph in view."""
    sign_in(phone, site.url, "abe")
    phone.get_by_role("button", name="New process").tap()
    expect(phone).to_have_url(re.compile(r"#/processes/\d+"))
    ed = Editor(phone, touch=True)
    expect(ed.node("end")).to_be_visible()
    phone.get_by_role("button", name="Add a step", exact=True).first.tap()
    phone.get_by_role("dialog").get_by_role("button", name="Add a tag", exact=True).tap()
    ed.panel.get_by_label("Tag", exact=True).fill("touched")
    ed.panel.get_by_role("button", name="Close", exact=True).tap()
    phone.get_by_role("button", name="Fit the whole process").tap()
    expect(ed.node("add_tag")).to_be_visible()
    phone.wait_for_timeout(400)  # the fit's animation
    return ed


def test_pinch_zooms_and_one_finger_pans(site: Site, phone: Page) -> None:
    with site.api() as http:
        (pid,) = http.post("/api/library/personal-offer").json()["ids"]
    sign_in(phone, site.url, "abe")
    phone.goto(f"{site.url}/#/processes/{pid}")
    ed = Editor(phone, touch=True)
    expect(ed.node("outcome")).to_be_visible()
    phone.wait_for_timeout(400)
    cdp = phone.context.new_cdp_session(phone)

    zoom0, x0, y0 = view(phone)
    cx, cy = phone.evaluate(_EMPTY)
    gesture(cdp, phone, [(cx - 30, cy), (cx + 30, cy)], [(cx - 120, cy), (cx + 120, cy)])
    zoom1, _, _ = view(phone)
    assert zoom1 > zoom0 * 1.5, (zoom0, zoom1)  # fingers 4× further apart: zoomed in

    gesture(cdp, phone, [(cx - 120, cy), (cx + 120, cy)], [(cx - 40, cy), (cx + 40, cy)])
    zoom2, x2, y2 = view(phone)
    assert zoom2 < zoom1 / 1.5, (zoom1, zoom2)  # and pinched back out

    cx, cy = phone.evaluate(_EMPTY)
    gesture(cdp, phone, [(cx, cy)], [(cx + 60, cy + 80)])
    zoom3, x3, y3 = view(phone)
    assert zoom3 == pytest.approx(zoom2)
    assert (x3 - x2, y3 - y2) == (pytest.approx(60, abs=15), pytest.approx(80, abs=15))
    expect(ed.panel).to_be_hidden()  # a pan is not a tap on a step
    assert (zoom0, x0, y0) != (zoom3, x3, y3)


def test_a_finger_drawn_from_a_handle_to_a_step_links_them(site: Site, phone: Page) -> None:
    ed = new_process_with_a_loose_step(site, phone)
    cdp = phone.context.new_cdp_session(phone)
    source = ed.node("start").locator(".react-flow__handle.source")
    target = ed.node("add_tag").locator(".react-flow__handle.target")
    gesture(cdp, phone, [centre(source)], [centre(target)], steps=16)
    expect(phone.get_by_role("button", name="Insert a step between start and add_tag",
                             exact=True)).to_be_attached()

    source = ed.node("add_tag").locator(".react-flow__handle.source")
    gesture(cdp, phone, [centre(source)], [centre(ed.node("end").locator(".pn"))], steps=16)
    expect(phone.get_by_role("button", name="Insert a step between add_tag and end",
                             exact=True)).to_be_attached()
    # a person lifts the finger and then taps: a tap sent in the same instant as the end of
    # a synthetic drag was sometimes taken by the browser as part of that gesture
    phone.wait_for_timeout(400)
    form = ed.pick("add_tag")
    expect(form.get_by_label("Then go to")).to_have_value("end")
    ed.panel.get_by_role("button", name="Close", exact=True).tap()
    ed.save()
    pid = int(re.findall(r"#/processes/(\d+)", phone.url)[0])
    with site.api() as http:
        nodes = http.get(f"/api/processes/{pid}/export").json()["nodes"]
    assert nodes["start"]["next"] == "add_tag"
    assert nodes["add_tag"] == {"type": "action", "do": "add_tag", "tag": "touched",
                                "next": "end"}


def test_tap_a_handle_then_another_links_them(site: Site, phone: Page) -> None:
    ed = new_process_with_a_loose_step(site, phone)
    ed.node("add_tag").locator(".react-flow__handle.source").tap()
    expect(ed.panel).to_be_hidden()  # the sheet stays down: the step to tap next is in view
    ed.node("end").locator(".react-flow__handle.target").tap()
    expect(phone.get_by_role("button", name="Insert a step between add_tag and end",
                             exact=True)).to_be_attached()
