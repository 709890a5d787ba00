"""The editor in a real browser (issue 6): the seed "personal offer" built from an empty
process by clicking, saved, enabled, run by events sent through the API, its counters seen
changing; the same kind of editing on a 375×667 touch screen; the server's validation
problems shown on the right step; import/export round trip; a viewer's read-only view.

Screenshots go to each test's tmp folder, and to docs/screenshots/ with NURTURA_SCREENSHOTS=1.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.web.site import ROOT, Site
from tests.web.ui import Editor, screenshot, sign_in

pytestmark = pytest.mark.slow

SEED = json.loads((ROOT / "nurtura" / "library" / "personal-offer.json").read_text())


def process_id(page: Page) -> int:
    expect(page).to_have_url(re.compile(r"#/processes/\d+"))
    found = re.search(r"#/processes/(\d+)", page.url)
    assert found
    return int(found.group(1))


def row(page: Page, name: str) -> Locator:
    """The process list's row of `name`."""
    return page.get_by_role("row").filter(has=page.get_by_role("link", name=name, exact=True))


def cell(page: Page, name: str, column: str) -> Locator:
    return row(page, name).locator(f'[data-label="{column}"]')


def build_personal_offer(ed: Editor) -> None:
    """The seed process, from the new process's `start → end`, with the palette, the "+"
    on links and the forms."""
    page = ed.page
    settings = ed.panel
    settings.get_by_label("Name", exact=True).fill("Personal offer")
    settings.get_by_label("Timezone", exact=True).fill("Europe/Moscow")
    settings.get_by_role("button", name="Add a goal event").click()
    settings.get_by_label("Event 1", exact=True).fill("order.refunded")

    form = ed.pick("start")
    form.get_by_label("Event", exact=True).fill("order.created")
    form.get_by_role("checkbox", name="Only when").check()
    expect(form.get_by_label("Check", exact=True)).to_have_value("prop")
    form.get_by_label("Property name").fill("product")
    form.get_by_label("Value", exact=True).fill("Course A")
    ed.rename("new_order")
    ed.pick("end")
    ed.rename("done")

    ed.insert("new_order", "done", "Add to a list")
    ed.panel.get_by_label("List", exact=True).fill("Made the order")
    ed.rename("made_order")

    ed.insert("made_order", "done", "Wait for an event")
    events = ed.panel.get_by_role("group", name="Wait for the first of").get_by_role("listitem")
    events.nth(0).get_by_label("Event 1").fill("order.cancelled")
    ed.panel.get_by_role("button", name="Add an event").click()
    events.nth(1).get_by_label("Event 2").fill("order.paid")
    ed.panel.get_by_role("group", name="After").get_by_label("Amount 1").fill("30")
    expect(ed.panel.get_by_label("Unit 1")).to_have_value("d")
    ed.rename("outcome")

    ed.insert("outcome", "done", "Send an email", label="order.cancelled")
    ed.panel.get_by_label("Template").select_option("cheaper-offer")
    ed.rename("cheaper")
    ed.insert("cheaper", "done", "End of process")
    ed.panel.get_by_label("Outcome").fill("lost")
    ed.rename("lost")

    ed.add("Condition")
    ed.panel.get_by_label("Check", exact=True).select_option(label="Total paid")
    ed.panel.get_by_label("Operator").select_option(label="greater or equal")
    ed.panel.get_by_label("Value", exact=True).fill("50000")
    ed.rename("by_total")
    for nid, template in (("d50", "discount-50"), ("d30", "discount-30")):
        ed.add("Send an email")
        ed.panel.get_by_label("Template").select_option(template)
        ed.rename(nid)
    ed.add("End of process")
    ed.panel.get_by_label("Outcome").fill("converted")
    ed.rename("converted")
    page.get_by_role("button", name="Arrange").click()

    # the links the palette's steps still need, chosen in the forms ("go to" choosers)
    for nid in ("d50", "d30"):
        ed.pick(nid)
        ed.link("Then go to", "converted")
    ed.pick("by_total")
    ed.link("yes →", "d50")
    ed.link("no →", "d30")
    ed.pick("outcome")
    ed.link("Then go to", "by_total", within=events.nth(1))
    expect(page.get_by_role("button", name=re.compile("problem"))).to_have_count(0)
    page.get_by_role("button", name="Arrange").click()  # now that every step is linked


def test_personal_offer_built_by_clicking_then_run(site: Site, desktop: Page,
                                                    tmp_path: Path) -> None:
    page = desktop
    with site.api() as http:  # other processes, so the list looks like one in use
        for slug in ("lead-to-buyer", "unpaid-invoice"):
            assert http.post(f"/api/library/{slug}").status_code == 201
    sign_in(page, site.url, "ada")
    page.get_by_role("button", name="New process").click()
    pid = process_id(page)
    ed = Editor(page)
    expect(ed.node("start")).to_be_visible()
    build_personal_offer(ed)
    assert ed.save() == 2
    expect(page.get_by_text("Version 2", exact=True)).to_be_visible()

    with site.api() as http:
        doc = http.get(f"/api/processes/{pid}/export").json()
    assert doc["nodes"] == SEED["nodes"]
    for key in ("name", "timezone", "exit_on"):
        assert doc[key] == SEED[key]
    assert set(doc["ui"]) == set(SEED["nodes"])  # every step placed by the editor

    page.get_by_role("button", name="Processes").click()
    switch = page.get_by_role("switch", name="Turn “Personal offer” on")
    switch.click()
    expect(page.get_by_role("switch", name="Turn “Personal offer” off")).to_have_attribute(
        "aria-checked", "true")
    expect(cell(page, "Personal offer", "Entered")).to_have_text("0")

    def order(user: str, event: str, **props: Any) -> dict[str, Any]:
        return {"type": "track", "userId": user, "event": event, "properties": props}

    with site.api(site.write) as http:
        answer = http.post("/v1/batch", json={"batch": [
            *({"type": "identify", "userId": u, "traits": {"email": f"{u}@example.com"}}
              for u in ("ann", "bob", "cat")),
            order("ann", "order.created", order_id="a1", product="Course A", amount=60000),
            order("bob", "order.created", order_id="b1", product="Course A", amount=1000),
            order("cat", "order.created", order_id="c1", product="Course B", amount=500),
        ]})
        assert answer.json() == {"success": True}
    site.work()
    page.reload()
    expect(cell(page, "Personal offer", "Entered")).to_have_text("2")
    expect(cell(page, "Personal offer", "In process")).to_have_text("2")

    page.get_by_role("link", name="Open: Personal offer").click()
    ed.live_numbers()
    expect(ed.stat("made_order", "reached")).to_have_text("2 reached")
    expect(ed.stat("outcome", "waiting")).to_have_text("2 waiting")
    expect(ed.stat("by_total", "reached")).to_have_text("0 reached")

    site.clock.jump(site.clock.now() + timedelta(hours=2))
    with site.api(site.write) as http:
        http.post("/v1/track", json=order("ann", "order.paid", order_id="a1"))
        http.post("/v1/track", json=order("bob", "order.cancelled", order_id="b1"))
    site.work()
    page.reload()
    ed.live_numbers()
    expect(ed.stat("outcome", "waiting")).to_have_text("0 waiting")
    expect(ed.stat("by_total", "reached")).to_have_text("1 reached")
    expect(ed.stat("d50", "sent")).to_have_text("1 sent")
    expect(ed.stat("d30", "sent")).to_have_text("0 sent")
    expect(ed.stat("cheaper", "sent")).to_have_text("1 sent")
    expect(ed.stat("converted", "reached")).to_have_text("1 reached")
    expect(ed.stat("lost", "reached")).to_have_text("1 reached")

    # a number lists its contacts: who reached a step (from each run's history)
    ed.stat("made_order", "reached").click()
    expect(page.get_by_role("dialog", name="Contacts at “made_order”: reached it")
           ).to_be_visible()
    dialog = page.get_by_role("dialog")  # its name follows the choice below
    rows = dialog.get_by_role("listitem")
    expect(rows).to_have_count(2)
    expect(rows.filter(has=page.get_by_role("link", name="bob"))).to_contain_text("completed")
    dialog.get_by_role("radio", name="waiting").check()
    expect(dialog.get_by_text("No contacts.")).to_be_visible()
    dialog.get_by_role("radio", name="reached it").check()
    dialog.get_by_role("link", name="ann").click()
    expect(page.get_by_role("heading", name="Contact ann")).to_be_visible()
    page.go_back()
    ed.live_numbers()
    expect(ed.stat("converted", "reached")).to_have_text("1 reached")
    page.set_viewport_size({"width": 1440, "height": 1000})  # room for the whole graph
    page.get_by_role("button", name="Fit the whole process").click()
    screenshot(page, "editor.png", tmp_path)

    page.get_by_role("button", name="Processes").click()
    expect(cell(page, "Personal offer", "In process")).to_have_text("0")
    completed = cell(page, "Personal offer", "Completed")
    expect(completed).to_contain_text("2")
    expect(completed.get_by_role("list", name="Completed by outcome")).to_have_text(
        re.compile(r"converted: 1\s*lost: 1"))
    screenshot(page, "list.png", tmp_path)


def test_phone_insert_on_a_link_and_edit_in_the_sheet(site: Site, phone: Page,
                                                      tmp_path: Path) -> None:
    with site.api() as http:
        (offer,) = http.post("/api/library/personal-offer").json()["ids"]
    sign_in(phone, site.url, "abe")
    phone.get_by_role("button", name="New process").tap()
    pid = process_id(phone)
    ed = Editor(phone, touch=True)
    expect(phone.get_by_role("complementary", name="Steps", exact=True)).to_have_count(0)
    expect(ed.panel).to_be_hidden()  # the sheet opens when a step is tapped

    ed.insert("start", "end", "Add a tag")
    sheet = ed.panel
    expect(sheet.get_by_label("Step id")).to_have_value("add_tag")
    sheet.get_by_label("Tag", exact=True).fill("buyer")
    sheet.get_by_role("button", name="Close", exact=True).tap()
    expect(sheet).to_be_hidden()

    form = ed.pick("start")
    form.get_by_label("Event", exact=True).fill("order.paid")
    form.get_by_role("button", name="Close", exact=True).tap()
    ed.save()
    with site.api() as http:
        doc = http.get(f"/api/processes/{pid}/export").json()
        assert http.get(f"/api/processes/{pid}").json()["version"] == 2
    assert doc["nodes"] == {
        "start": {"type": "trigger", "event": "order.paid", "next": "add_tag"},
        "end": {"type": "end"},
        "add_tag": {"type": "action", "do": "add_tag", "tag": "buyer", "next": "end"},
    }

    phone.goto(f"{site.url}/#/processes/{offer}")
    ed.pick("outcome")
    expect(ed.panel.get_by_label("Event 2")).to_have_value("order.paid")
    ed.panel.get_by_role("button", name="Close", exact=True).tap()
    for notice in phone.get_by_role("status").get_by_role("button", name="Close").all():
        notice.tap()
    screenshot(phone, "phone.png", tmp_path)


def test_server_problem_shown_on_its_step_and_save_blocked(site: Site, desktop: Page) -> None:
    page = desktop
    sign_in(page, site.url, "abe")
    page.get_by_role("button", name="New process").click()
    pid = process_id(page)
    ed = Editor(page)
    ed.insert("start", "end", "Delay")
    form = ed.panel
    form.get_by_role("radio", name="until a time of day").check()
    form.get_by_label("Timezone", exact=True).select_option(label="Another timezone")
    form.get_by_label("Another timezone").fill("Mars/Olympus_Mons")
    save = page.get_by_role("button", name="Save", exact=True)
    expect(save).to_be_enabled()  # the browser does not know the timezone names
    save.click()

    message = "unknown timezone 'Mars/Olympus_Mons'"
    expect(page.get_by_text(re.compile("^The server did not save"))).to_be_visible()
    expect(ed.card("delay")).to_have_class(re.compile("has-problems"))
    expect(ed.node("delay").get_by_role("listitem")).to_contain_text(message)
    for other in ("start", "end"):
        expect(ed.card(other)).not_to_have_class(re.compile("has-problems"))
    expect(save).to_be_disabled()  # the same document is not sent again
    field = form.get_by_label("Another timezone")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(form.locator(f"#{field.get_attribute('aria-describedby')}")).to_contain_text(message)
    page.get_by_role("button", name=re.compile("1 problem")).click()
    problems = page.get_by_role("region", name="Problems")
    expect(problems).to_contain_text(message)
    with site.api() as http:
        assert http.get(f"/api/processes/{pid}").json()["version"] == 1

    field.fill("Europe/Amsterdam")
    expect(ed.card("delay")).not_to_have_class(re.compile("has-problems"))
    ed.save()
    with site.api() as http:
        assert http.get(f"/api/processes/{pid}/export").json()["nodes"]["delay"] == {
            "type": "delay", "until_time": "10:00", "timezone": "Europe/Amsterdam",
            "next": "end"}

    # a problem the browser finds itself: shown on the step, Save disabled
    form = ed.pick("start")
    form.get_by_label("Event", exact=True).fill("")
    expect(ed.card("start")).to_have_class(re.compile("has-problems"))
    expect(save).to_be_disabled()
    expect(form.get_by_label("Event", exact=True)).to_have_attribute("aria-invalid", "true")


def test_import_then_export_round_trip(site: Site, desktop: Page, tmp_path: Path) -> None:
    page = desktop
    original = {**SEED, "name": "Imported offer", "description": "Imported from a file"}
    path = tmp_path / "imported-offer.json"
    path.write_text(json.dumps(original, ensure_ascii=False, indent=2))
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"nurtura": 1, "name": "Broken", "nodes": {
        "start": {"type": "trigger", "event": "order.paid", "next": "nowhere"}}}))
    sign_in(page, site.url, "abe")

    page.get_by_label("Import a file").set_input_files(broken)
    alert = page.get_by_role("alert").filter(has_text="could not be imported")
    expect(alert).to_contain_text("$.nodes.start.next")
    expect(row(page, "Broken")).to_have_count(0)

    page.get_by_label("Import a file").set_input_files(path)
    expect(page.get_by_role("status").filter(has_text="Imported “Imported offer”.")).to_be_visible()
    with page.expect_download() as done:
        page.get_by_role("button", name="Export: Imported offer").click()
    download = done.value
    assert download.suggested_filename == "imported-offer.json"
    exported = json.loads(Path(download.path()).read_text())
    assert exported == original
    # the order of the steps and of the top-level keys is kept (the server writes a step's
    # own keys in its model's order: `do, next, list` for `do, list, next`)
    assert list(exported) == list(original)
    assert list(exported["nodes"]) == list(original["nodes"])

    # opened and saved without an edit, the file comes back as it was
    page.get_by_role("link", name="Open: Imported offer").click()
    ed = Editor(page)
    expect(ed.node("new_order")).to_be_visible()
    assert ed.save() == 1  # the same file: no new version
    expect(page.get_by_text("Version 1", exact=True)).to_be_visible()
    with page.expect_download() as done:
        page.get_by_role("toolbar").get_by_role("button", name="Export").click()
    again = json.loads(Path(done.value.path()).read_text())
    assert again == original
    assert json.dumps(again) == json.dumps(exported)


def test_viewer_sees_no_edit_controls_and_cannot_change(site: Site, desktop: Page) -> None:
    page = desktop
    with site.api() as http:
        (pid,) = http.post("/api/library/personal-offer").json()["ids"]
    sign_in(page, site.url, "vic")
    for name in ("New process", "From a template"):
        expect(page.get_by_role("button", name=name)).to_have_count(0)
    expect(page.get_by_label("Import a file")).to_have_count(0)
    expect(page.get_by_role("switch", name="Turn “Personal offer” on")).to_be_disabled()
    for name in ("Rename: Personal offer", "Reset statistics: Personal offer",
                 "Delete: Personal offer"):
        expect(page.get_by_role("button", name=name)).to_have_count(0)
    expect(page.get_by_role("combobox", name="Runs per contact: Personal offer")).to_have_count(0)
    expect(page.get_by_role("button", name="Export: Personal offer")).to_be_visible()

    page.get_by_role("link", name="Open: Personal offer").click()
    ed = Editor(page)
    expect(page.get_by_text("Read-only: your role lets you view, not edit.")).to_be_visible()
    expect(ed.node("outcome")).to_be_visible()
    expect(page.get_by_role("button", name="Save", exact=True)).to_have_count(0)
    expect(page.get_by_role("complementary", name="Steps", exact=True)).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("^Insert a step"))).to_have_count(0)
    for name in ("Undo", "Paste", "Arrange", "Add a step"):
        expect(page.get_by_role("button", name=name, exact=True)).to_have_count(0)
    form = ed.pick("outcome")
    expect(form.get_by_label("Step id")).to_be_disabled()
    expect(form.get_by_label("Event 1")).to_be_disabled()
    expect(form.get_by_role("button", name="Delete this step")).to_have_count(0)

    csrf = page.request.get(f"{site.url}/api/session").json()["csrf"]
    headers = {"X-CSRF-Token": csrf}
    with site.api() as http:
        doc = http.get(f"/api/processes/{pid}/export").json()
    refused = [
        page.request.post(f"{site.url}/api/processes/{pid}/enable", headers=headers),
        page.request.put(f"{site.url}/api/processes/{pid}", headers=headers,
                         data={**doc, "description": "changed"}),
        page.request.post(f"{site.url}/api/processes", headers=headers, data={}),
        page.request.delete(f"{site.url}/api/processes/{pid}", headers=headers),
    ]
    assert [r.status for r in refused] == [403] * 4
    assert "viewer" in refused[0].json()["detail"]
    with site.api() as http:
        after = http.get(f"/api/processes/{pid}").json()
        assert (after["version"], after["enabled"], after["doc"]) == (1, False, doc)
        assert len(http.get("/api/processes").json()) == 1
