"""Accessibility measured with a tool: axe-core (web/package.json devDependencies, so `npm ci`
brings it) injected into the real pages, its colour-contrast (WCAG 2 AA), label and name
rules run on the sign-in page, the process list, the editor (graph with live numbers, step
forms, a contacts list, the outline, the statistics), a contact page and the phone view
with its bottom sheet. Any violation fails the test with the elements and axe's own words.

axe leaves the text on the React Flow canvas "incomplete" for colour contrast (bgOverlap:
its stacking model does not follow the transformed viewport, though elementsFromPoint shows
nothing in front of the text), so for what axe could not decide the test applies the same
WCAG 2 measure itself: the text colour over the element's own and its ancestors'
backgrounds (alpha composited), at least 4.5:1, or 3:1 for large text."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.web.site import WEB, Site
from tests.web.ui import Editor, sign_in

pytestmark = pytest.mark.slow

AXE = WEB / "node_modules" / "axe-core" / "axe.min.js"
RULES = [
    "color-contrast",  # WCAG 2 AA: 4.5:1 for text, 3:1 for large text
    "label", "select-name", "aria-input-field-name", "aria-toggle-field-name",
    "button-name", "input-button-name", "link-name", "image-alt", "svg-img-alt",
    "aria-dialog-name", "document-title", "html-has-lang",
]
RUN = r"""async (rules) => {
  const r = await axe.run(document, {runOnly: {type: 'rule', values: rules},
                                     resultTypes: ['violations', 'incomplete']});
  const nodes = (v) => v.nodes.map((n) => ({
    target: n.target.join(' '), html: n.html.slice(0, 160), why: n.failureSummary,
    key: ((n.any[0] || {}).data || {}).messageKey}));
  return {violations: r.violations.map((v) => ({id: v.id, help: v.help, nodes: nodes(v)})),
          unsure: r.incomplete.filter((v) => v.id === 'color-contrast').flatMap(nodes)};
}"""
CONTRAST = r"""(targets) => {
  const parse = (c) => {
    const m = /rgba?\(([^)]+)\)/.exec(c);
    if (!m) return null;
    const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (t, b) => [0, 1, 2].map((i) => t[i] * t[3] + b[i] * (1 - t[3])).concat([1]);
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    return layers.reverse().reduce((bg, l) => over(l, bg), [255, 255, 255, 1]);
  };
  const lum = (c) => {
    const [r, g, b] = c.slice(0, 3).map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  return targets.map((t) => {
    const el = document.querySelector(t);
    if (!el || !el.textContent.trim()) return null;
    const st = getComputedStyle(el);
    let alpha = 1;
    for (let e = el; e; e = e.parentElement) alpha *= Number(getComputedStyle(e).opacity);
    const fg0 = parse(st.color);
    const bg = background(el);
    const fg = over([fg0[0], fg0[1], fg0[2], fg0[3] * alpha], bg);
    const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
    const size = parseFloat(st.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(st.fontWeight) >= 700);
    return {target: t, ratio: Math.round((hi + 0.05) / (lo + 0.05) * 100) / 100,
            need: large ? 3 : 4.5, fg: st.color,
            bg: `rgb(${bg.slice(0, 3).map(Math.round).join(', ')})`};
  });
}"""
UNDECIDABLE = {"nonBmp", "pseudoContent", "imgNode", "bgImage", "bgGradient"}


def violations(page: Page, where: str) -> list[str]:
    """axe's violations of RULES on the page as it is now, one line per element, and the
    text whose contrast axe could not decide that fails the same measure."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    page.wait_for_timeout(300)  # transitions (a sheet sliding in, a dialog fading) finish
    found: dict[str, Any] = page.evaluate(RUN, RULES)
    out = [f"{where}: {v['id']} ({v['help']}) at {n['target']}: {n['html']}\n  {n['why']}"
           for v in found["violations"] for n in v["nodes"]]
    unsure = [n["target"] for n in found["unsure"] if n["key"] not in UNDECIDABLE]
    for m in page.evaluate(CONTRAST, unsure):
        if m is not None and m["ratio"] < m["need"]:
            out.append(f"{where}: contrast {m['ratio']}:1 < {m['need']}:1 at {m['target']} "
                       f"({m['fg']} on {m['bg']})")
    return out


def busy_site(site: Site) -> int:
    """Two library processes, the personal offer on with contacts in it: numbers everywhere."""
    with site.api() as http:
        (pid,) = http.post("/api/library/personal-offer").json()["ids"]
        http.post("/api/library/lead-to-buyer")
        http.post(f"/api/processes/{pid}/enable")
    with site.api(site.write) as http:
        for who, amount in (("ann", 60000), ("bob", 1000)):
            http.post("/v1/track", json={"userId": who, "event": "order.created", "properties": {
                "order_id": who, "product": "Course A", "amount": amount}})
    site.work()
    site.clock.jump(site.clock.now() + timedelta(hours=1))
    with site.api(site.write) as http:
        http.post("/v1/track", json={"userId": "ann", "event": "order.paid",
                                     "properties": {"order_id": "ann"}})
    site.work()
    return int(pid)


def test_desktop_pages_pass_axe(site: Site, desktop: Page) -> None:
    page = desktop
    busy_site(site)
    page.goto(site.url)
    found = violations(page, "sign-in")
    sign_in(page, site.url, "ada")
    found += violations(page, "process list")

    page.get_by_role("link", name="Open: Personal offer").click()
    ed = Editor(page)
    expect(ed.node("outcome")).to_be_visible()
    ed.live_numbers()
    expect(ed.stat("outcome", "waiting")).to_have_text("1 waiting")
    found += violations(page, "editor, process settings")
    ed.pick("outcome")
    found += violations(page, "editor, a wait's form")
    ed.pick("by_total")
    found += violations(page, "editor, a condition's form")
    ed.stat("outcome", "waiting").click()
    expect(page.get_by_role("dialog").get_by_role("link", name="bob")).to_be_visible()
    found += violations(page, "contacts at a step")
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Outline", exact=True).click()
    expect(page.locator("#outline-outcome")).to_be_visible()
    found += violations(page, "outline")
    page.get_by_role("button", name="Statistics", exact=True).click()
    expect(page.locator(".stats-view")).to_be_visible()
    found += violations(page, "statistics")
    page.goto(f"{site.url}/#/contacts/ann")
    expect(page.get_by_role("heading", name="Contact ann")).to_be_visible()
    found += violations(page, "contact page")
    assert not found, "\n".join(found)


def test_phone_view_passes_axe(site: Site, phone: Page) -> None:
    pid = busy_site(site)
    sign_in(phone, site.url, "abe")
    found = violations(phone, "phone, process list")
    phone.goto(f"{site.url}/#/processes/{pid}")
    ed = Editor(phone, touch=True)
    expect(ed.node("outcome")).to_be_visible()
    found += violations(phone, "phone, editor")
    ed.pick("outcome")
    found += violations(phone, "phone, bottom sheet")
    ed.panel.get_by_role("button", name="Close", exact=True).tap()
    phone.get_by_role("button", name="Add a step").first.tap()
    expect(phone.get_by_role("dialog")).to_be_visible()
    found += violations(phone, "phone, add a step")
    assert not found, "\n".join(found)
