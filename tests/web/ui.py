"""What a person does in the editor, as Playwright steps: sign in, pick a step, insert one on
a link, fill its form. Selectors are by role and label (so they also check the labels are
there); only a step on the canvas is found by its React Flow `data-id`."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from playwright.sync_api import FloatRect, Locator, Page, expect

from tests.web.site import PASSWORD, ROOT

SHOTS = ROOT / "docs" / "screenshots"


def sign_in(page: Page, url: str, user: str) -> None:
    page.goto(url)
    page.get_by_label("User name").fill(user)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Processes", level=1)).to_be_visible()


def screenshot(page: Page, name: str, tmp: Path) -> Path:
    """A screenshot in the test's folder; copied to docs/screenshots/ when the environment
    says NURTURA_SCREENSHOTS=1 (so a plain test run leaves the work tree alone)."""
    page.wait_for_timeout(300)  # transitions and the last paint
    path = tmp / name
    page.screenshot(path=path)
    if os.environ.get("NURTURA_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, SHOTS / name)
    return path


# A point of the graph's background (no step, link or panel on it), for dragging the view.
_EMPTY_SPOT = """() => {
  const r = document.querySelector('.react-flow').getBoundingClientRect();
  for (let fy = 0.5; fy < 1; fy += 0.1) for (const fx of [0.5, 0.3, 0.7, 0.1, 0.9]) {
    for (const s of [1, -1]) {
      const x = r.left + r.width * (s > 0 ? fx : 1 - fx);
      const y = r.top + r.height * (s > 0 ? fy : 1 - fy);
      const el = document.elementFromPoint(x, y);
      if (el && el.classList.contains('react-flow__pane')) return [x, y];
    }
  }
  throw new Error('no empty spot on the graph to drag it by');
}"""


def _overlap(a: FloatRect, b: FloatRect) -> bool:
    return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


class Editor:
    """The editor page of one process."""

    def __init__(self, page: Page, *, touch: bool = False) -> None:
        self.page = page
        self.touch = touch

    def _press(self, target: Locator) -> None:
        self.reveal(target)
        if self.touch:
            target.tap()
        else:
            target.click()

    def reveal(self, target: Locator) -> None:
        """Pan the graph (drag on an empty spot, as a person would) when `target` is on it
        but off screen or under the minimap or the zoom buttons."""
        canvas = self.page.locator(".react-flow")
        if canvas.count() == 0 or target.locator("xpath=ancestor::*[contains(@class,"
                                                 "'react-flow__viewport')]").count() == 0:
            return
        box, area = target.bounding_box(), canvas.bounding_box()
        assert box is not None and area is not None
        covers = [b for b in (self.page.locator(".react-flow__minimap").bounding_box()
                              if self.page.locator(".react-flow__minimap").count() else None,
                              self.page.locator(".react-flow__controls").bounding_box())
                  if b is not None]
        inside = (box["x"] >= area["x"] and box["y"] >= area["y"]
                  and box["x"] + box["width"] <= area["x"] + area["width"]
                  and box["y"] + box["height"] <= area["y"] + area["height"])
        if inside and not any(_overlap(box, c) for c in covers):
            return
        dx = area["x"] + area["width"] / 2 - (box["x"] + box["width"] / 2)
        dy = area["y"] + area["height"] / 3 - (box["y"] + box["height"] / 2)
        x, y = self.page.evaluate(_EMPTY_SPOT)
        self.page.mouse.move(x, y)
        self.page.mouse.down()
        self.page.mouse.move(x + dx, y + dy, steps=8)
        self.page.mouse.up()

    @property
    def panel(self) -> Locator:
        """The side panel (a bottom sheet on a phone): the selected step's form."""
        return self.page.get_by_role("complementary", name="Step", exact=True)

    def node(self, nid: str) -> Locator:
        return self.page.locator(f'.react-flow__node[data-id="{nid}"]')

    def card(self, nid: str) -> Locator:
        """The drawing of a step (red outline and messages when it has problems)."""
        return self.node(nid).locator(".pn")

    def pick(self, nid: str) -> Locator:
        """Select a step on the canvas; returns the form of it."""
        self._press(self.node(nid))
        expect(self.panel.get_by_label("Step id")).to_have_value(nid)
        return self.panel

    def insert(self, source: str, target: str, kind: str, label: str | None = None) -> None:
        """The "+" on the link source → target (`label`: its branch label), then a kind."""
        name = (f"Insert a step on the link {label} from {source} to {target}" if label
                else f"Insert a step between {source} and {target}")
        self._press(self.page.get_by_role("button", name=name, exact=True))
        dialog = self.page.get_by_role("dialog", name="Insert a step here")
        self._press(dialog.get_by_role("button", name=kind, exact=True))
        expect(dialog).to_be_hidden()

    def add(self, kind: str) -> None:
        """A step from the palette (desktop)."""
        palette = self.page.get_by_role("complementary", name="Steps", exact=True)
        palette.get_by_role("button", name=kind, exact=True).click()

    def rename(self, new_id: str) -> None:
        field = self.panel.get_by_label("Step id")
        field.fill(new_id)
        field.press("Enter")
        expect(self.panel.get_by_label("Step id")).to_have_value(new_id)

    def link(self, label: str, target: str, within: Locator | None = None) -> None:
        """Set a "go to" chooser of the open form to the step `target`."""
        scope = within if within is not None else self.panel
        box = scope.get_by_label(label, exact=True)
        box.select_option(value=target)

    def settings(self) -> Locator:
        """Nothing selected: the panel shows the process settings."""
        self.page.keyboard.press("Escape")
        pane = self.page.locator(".react-flow__pane")
        pane.click(position={"x": 12, "y": 12})
        expect(self.panel.get_by_role("heading", name="Process settings")).to_be_visible()
        return self.panel

    def save(self) -> int:
        """Save; returns the version the server published."""
        self._press(self.page.get_by_role("button", name="Save", exact=True))
        saved = self.page.get_by_text(re.compile(r"^Saved: version \d+ is live\.$")).last
        expect(saved).to_be_visible()
        expect(self.page.get_by_role("status").filter(
            has_text="All changes saved")).to_be_visible()
        found = re.search(r"\d+", saved.inner_text())
        assert found
        return int(found.group())

    def live_numbers(self) -> None:
        switch = self.page.get_by_role("switch", name="Live numbers")
        if switch.get_attribute("aria-checked") != "true":
            switch.click()

    def stat(self, nid: str, what: str) -> Locator:
        """The live number `what` (reached, sent, waiting…) on the step `nid`."""
        return self.node(nid).locator(".stat").filter(
            has_text=re.compile(rf"^\s*\d+\s+{re.escape(what)}\s*$"))
