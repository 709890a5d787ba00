"""Signed links: tokens verify only unchanged and only for their purpose; HTML rewriting
wraps http(s) links, leaves the rest, and adds the pixel."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from nurtura.channels.email import message_id
from nurtura.channels.links import CLICK, OPEN, Links, Signer

S = Signer("secret")


@given(st.text(max_size=40), st.text(max_size=80))
def test_a_token_round_trips_and_any_change_breaks_it(key: str, url: str) -> None:
    token = S.sign(CLICK, {"k": key, "u": url})
    assert S.verify(CLICK, token) == {"k": key, "u": url}
    assert S.verify(OPEN, token) is None
    assert Signer("other").verify(CLICK, token) is None
    for i in range(len(token)):
        changed = token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1:]
        assert S.verify(CLICK, changed) is None


@given(st.text(max_size=200))
def test_garbage_never_verifies_and_never_raises(text: str) -> None:
    assert S.verify(CLICK, text) is None


def test_links_are_wrapped_except_unsubscribe_mailto_and_notrack() -> None:
    links = Links("https://n.example.com/", S)
    html = ('<html><body><a href="https://shop.example.com/a?x=1&amp;y=2">A</a>'
            "<a class=b href='http://b.example.com'>B</a><a href=https://c.example.com>C</a>"
            '<a href="mailto:x@y.z">M</a><a href="#top">T</a>'
            '<a data-notrack href="https://d.example.com">D</a>'
            '<a href="https://n.example.com/u/tok">U</a></body></html>')
    out = links.track(html, "run:node:1")
    wrapped = [S.verify(CLICK, part.split('"')[0].split("'")[0].split(">")[0])
               for part in out.split("https://n.example.com/t/c/")[1:]]
    assert [w["u"] for w in wrapped if w] == [
        "https://shop.example.com/a?x=1&y=2", "http://b.example.com", "https://c.example.com"]
    for kept in ("mailto:x@y.z", "#top", "https://d.example.com", "https://n.example.com/u/tok"):
        assert kept in out
    assert out.endswith('style="display:block;border:0;width:1px;height:1px"></body></html>')
    assert links.track("<p>x</p>", "k", opens=False, clicks=False) == "<p>x</p>"


def test_message_id_is_stable_per_row() -> None:
    assert message_id("r:n:1", "shop.test") == message_id("r:n:1", "shop.test")
    assert message_id("r:n:1", "shop.test") != message_id("r:n:2", "shop.test")
    assert message_id("r:n:1", "shop.test").endswith("@shop.test>")
