"""Browser tests of the editor: Debian's Chromium driven by Playwright against a real server
(tests/web/site.py: uvicorn on a free loopback port serving the production build of web/ at
`/`, over a fresh SQLite store on a simulated clock). The build is made when missing or out
of date and Chromium is installed with apt when missing, so a fresh clone works."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, ViewportSize, sync_playwright

from tests.web.browser import LAUNCH_ARGS, NoBrowser, chromium
from tests.web.site import Site, ensure_build, running_site

DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 375, "height": 667}


@pytest.fixture(scope="session")
def static_build() -> Path:
    return ensure_build()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    try:
        path = chromium()
    except NoBrowser as e:
        pytest.skip(f"no Chromium for the browser tests: {e}")
    b = playwright.chromium.launch(executable_path=path, args=LAUNCH_ARGS)
    yield b
    b.close()


@pytest.fixture
def site(tmp_path: Path, static_build: Path) -> Iterator[Site]:
    with running_site(tmp_path, static_build) as s:
        yield s


@pytest.fixture
def desktop(browser: Browser) -> Iterator[Page]:
    ctx = browser.new_context(viewport=DESKTOP, locale="en-US", timezone_id="UTC",
                              accept_downloads=True)
    page = ctx.new_page()
    page.set_default_timeout(10_000)
    yield page
    ctx.close()


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    ctx = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True,
                              device_scale_factor=2, locale="en-US", timezone_id="UTC")
    page = ctx.new_page()
    page.set_default_timeout(10_000)
    yield page
    ctx.close()
