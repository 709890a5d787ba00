"""Liquid templates: variables, missing ones (empty, reported, covered by `default`), the
timezone-aware `date` filter, HTML escaping, CSS inlining, checks, and the shipped library."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from nurtura import library
from nurtura.channels import context
from nurtura.channels.templates import (
    Template,
    check,
    from_json,
    html_to_text,
    render,
    render_json,
)
from nurtura.engine.state import Contact, Order
from nurtura.errors import BadInput

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def data(**kw: object) -> dict[str, object]:
    base: dict[str, object] = {"contact": {"fields": {}}, "event": {}, "order": {},
                               "vars": {}, "unsubscribe_url": "https://x/u/t"}
    base.update(kw)
    return base


def test_missing_variables_render_empty_and_are_reported_unless_defaulted() -> None:
    t = Template("t", subject="Hi {{ contact.fields.name }}",
                 text="{{ contact.fields.name | default: 'friend' }} {{ order.pay_url }} "
                      "{{ nope.deep.er }}")
    r = render(t, data(), now=NOW)
    assert r.subject == "Hi"
    assert r.text == "friend  "
    assert r.missing == ["contact.fields.name", "order.pay_url", "nope"]


def test_date_filter_takes_a_timezone_else_the_default_chain() -> None:
    t = Template("t", subject="s", text=(
        "{{ vars.at | date: '%d.%m %H:%M', 'Europe/Moscow' }}|{{ vars.at | date: '%H:%M' }}|"
        "{{ 'now' | date: '%Y-%m-%d %H:%M' }}|{{ vars.at | date: '%H:%M', 'Nowhere/X' }}"))
    r = render(t, data(vars={"at": "2026-11-24T08:00:00Z"}), tz="Europe/Amsterdam", now=NOW)
    assert r.text == "24.11 11:00|09:00|2026-11-23 11:00|08:00"


def test_html_is_escaped_but_text_and_subject_are_not() -> None:
    t = Template("t", subject="{{ contact.fields.name }}", html="<b>{{ contact.fields.name }}</b>",
                 text="{{ contact.fields.name }}")
    r = render(t, data(contact={"fields": {"name": "<Tom & Jerry>"}}), now=NOW)
    assert "<b>&lt;Tom &amp; Jerry&gt;</b>" in (r.html or "")
    assert r.subject == r.text == "<Tom & Jerry>"


def test_style_blocks_are_inlined_and_fragments_become_documents() -> None:
    t = Template("t", subject="s", html="<style>p.x { color: #123456 }</style><p class=x>Hi</p>")
    html = render(t, data(), now=NOW).html or ""
    assert html.lower().startswith("<!doctype html>")
    assert 'name="viewport"' in html
    assert "color: #123456" in html.split("<body")[1]


def test_text_is_made_from_html_when_missing() -> None:
    text = html_to_text('<p>Hello <b>Ann</b>,</p><p><a href="https://e.com/x">Pay now</a></p>')
    assert text == "Hello Ann,\n\nPay now (https://e.com/x)\n"


def test_checks_name_each_field_at_fault() -> None:
    with pytest.raises(BadInput) as bad:
        from_json("t", {"subject": "s", "html": "{% if x %}"})
    assert bad.value.field == "html"
    for doc, field in (({"subject": "", "text": "x"}, "subject"),
                       ({"channel": "fax", "text": "x"}, "channel"),
                       ({"channel": "sms"}, "text"),
                       ({"channel": "sms", "text": "x", "subject": "s"}, "subject"),
                       ({"subject": "s"}, "html"),
                       ({"subject": "s", "text": "x", "colour": "red"}, "colour"),
                       ({"subject": "s", "text": "x", "category": "spam"}, "category")):
        with pytest.raises(BadInput) as bad:
            from_json("t", doc)
        assert bad.value.field == field, doc
    with pytest.raises(BadInput):
        check(Template("bad name", subject="s", text="x"))


def test_order_is_the_events_else_the_latest_and_contact_fields_are_at_hand() -> None:
    c = Contact("ann", NOW, email="ann@x.io", fields={"first_name": "Ann", "email": "shadow"})
    c.orders["o1"] = Order("o1", "paid", 10, "A", "https://pay/o1", NOW)
    c.orders["o2"] = Order("o2", "new", 20, "B", "https://pay/o2",
                           datetime(2026, 11, 24, tzinfo=UTC))
    v = context.build(c, {"event": {"name": "order.created", "properties": {
        "order_id": "o1", "coupon": "X"}}}, "u")
    assert v["order"]["pay_url"] == "https://pay/o1" and v["order"]["coupon"] == "X"
    assert context.build(c, {}, "u")["order"]["product"] == "B"
    contact = v["contact"]
    assert contact["first_name"] == "Ann" and contact["email"] == "ann@x.io"
    assert context.contact_zone(c, "Europe/Moscow") == "Europe/Moscow"
    c.timezone = "Asia/Tokyo"
    assert context.contact_zone(c, "Europe/Moscow") == "Asia/Tokyo"


def test_webhook_bodies_render_strings_and_keep_structure() -> None:
    doc = {"id": "{{ contact.id }}", "n": 2, "list": ["{{ vars.x }}", True], "{{ vars.k }}": 1}
    assert render_json(doc, data(contact={"id": "c1"}, vars={"x": "y", "k": "key"})) == {
        "id": "c1", "n": 2, "list": ["y", True], "key": 1}


@pytest.mark.parametrize("name", sorted(library.template_names()))
def test_every_shipped_template_renders_without_missing_variables(name: str) -> None:
    t = from_json(name, library.templates()[name])
    c = Contact("ann", NOW, email="ann@x.io", phone="+31600000000",
                fields={"first_name": "Ann"})
    c.orders["o1"] = Order("o1", "new", 19900, "Course A", "https://pay/o1", NOW)
    v = context.build(c, {"vars": {"webinar_at": "2026-11-24T08:00:00Z"}}, "https://x/u/t")
    r = render(t, v, now=NOW)
    assert r.missing == [], name
    if t.channel == "email":
        assert "https://x/u/t" in (r.html or "") and "https://x/u/t" in r.text
