"""A local HTML page opened in headless Chromium as a reader would, with no network.

`launch()` starts Debian's chromium (`make browser`) through Playwright's Python API (its
own browser builds are never downloaded); `open_page()` loads one file with every request
intercepted: `file:`, `data:` and `blob:` URLs load, anything else is aborted before it
reaches the network and reported. What a test asserts on comes back in a `PageVisit`: the
requests, the blocked ones, console and script errors, the page's inline SVGs with their
drawn size, and a screenshot.
"""

from __future__ import annotations

import shutil
import struct
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from playwright.sync_api import Browser, sync_playwright

T = TypeVar("T")

NO_BROWSER = "no browser: install chromium with `make browser`"
LOCAL_SCHEMES = ("file", "data", "blob")
VIEWPORT = {"width": 1280, "height": 900}

# A second fence behind the interception: no host name resolves, so even a lookup that
# is not a request (a dns-prefetch hint) cannot leave the machine.
CHROMIUM_ARGS = ["--host-resolver-rules=MAP * ~NOTFOUND"]

# Outermost inline <svg> elements only: a chart's nested <svg> is part of that chart.
SVGS_JS = """() => Array.from(document.querySelectorAll("svg"))
  .filter((svg) => !svg.parentElement?.closest("svg"))
  .map((svg) => {
    const box = svg.getBoundingClientRect();
    const title = svg.querySelector("title")?.textContent ?? "";
    return {width: box.width, height: box.height, children: svg.childElementCount,
            label: svg.getAttribute("aria-label") ?? title};
  })"""


@dataclass(frozen=True)
class Svg:
    """One inline chart as laid out: its box in CSS pixels and its child elements."""

    width: float
    height: float
    children: int
    label: str = ""

    @property
    def drawn(self) -> bool:
        """True when the chart takes space on the page and has something in it."""
        return self.width > 0 and self.height > 0 and self.children > 0


@dataclass
class PageVisit:
    """What a reader's browser did with one page."""

    url: str
    requests: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    svgs: list[Svg] = field(default_factory=list)
    screenshot: Path | None = None

    @property
    def drawn_svgs(self) -> list[Svg]:
        return [svg for svg in self.svgs if svg.drawn]

    @property
    def problems(self) -> list[str]:
        """Every blocked request and error, worded for a failing assertion."""
        return (
            [f"blocked request: {url}" for url in self.blocked]
            + [f"console error: {text}" for text in self.console_errors]
            + [f"script error: {text}" for text in self.page_errors]
        )


def find_chromium() -> str | None:
    """The system chromium's path, or None where it is not installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Chromium:
    """A headless chromium driven from a thread of its own.

    Playwright's sync API keeps its thread's asyncio loop marked as running while the
    browser lives; in a thread of its own that loop cannot break a later test (or a
    second browser) that runs asyncio in the main thread.
    """

    def __init__(self, executable: str) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chromium")
        self._playwright = self._thread.submit(lambda: sync_playwright().start()).result()
        self._browser = self._thread.submit(
            self._playwright.chromium.launch, executable_path=executable, args=CHROMIUM_ARGS
        ).result()

    def run(self, work: Callable[..., T], *args) -> T:
        """`work(browser, *args)` in the browser's thread, and its result."""
        return self._thread.submit(work, self._browser, *args).result()

    def close(self) -> None:
        try:
            self._thread.submit(self._browser.close).result()
            self._thread.submit(self._playwright.stop).result()
        finally:
            self._thread.shutdown()


@contextmanager
def launch(executable: str) -> Iterator[Chromium]:
    """Headless `executable` (a chromium) for as long as the `with` block lasts."""
    chromium = Chromium(executable)
    try:
        yield chromium
    finally:
        chromium.close()


def is_local(url: str) -> bool:
    return url.split(":", 1)[0].lower() in LOCAL_SCHEMES


def open_page(
    chromium: Chromium,
    path: Path,
    *,
    screenshot: Path | None = None,
    max_height: int | None = None,
) -> PageVisit:
    """Load `path` in a fresh browser context, wait until the page is quiet, and report.

    With `screenshot`, a full-page PNG is written there (cut at `max_height` pixels).
    """
    return chromium.run(_visit, Path(path), screenshot, max_height)


def _visit(
    browser: Browser, path: Path, screenshot: Path | None, max_height: int | None
) -> PageVisit:
    visit = PageVisit(url=path.resolve().as_uri())
    context = browser.new_context(
        viewport=VIEWPORT,
        locale="en-GB",
        timezone_id="UTC",
        color_scheme="light",
        reduced_motion="reduce",
        service_workers="block",
    )
    try:

        def route(route) -> None:
            url = route.request.url
            if is_local(url):
                route.continue_()
            else:
                visit.blocked.append(url)
                route.abort("blockedbyclient")

        def route_web_socket(socket) -> None:
            # Never connected to the server: the socket is closed on the page's side only.
            visit.blocked.append(socket.url)
            socket.close()

        context.route("**/*", route)
        context.route_web_socket("**/*", route_web_socket)
        page = context.new_page()
        page.on("request", lambda request: visit.requests.append(request.url))
        page.on("console", lambda message: _record_console(visit, message))
        page.on("pageerror", lambda error: visit.page_errors.append(str(error)))
        page.goto(visit.url, wait_until="load")
        page.wait_for_load_state("networkidle")
        page.evaluate("document.fonts.ready.then(() => true)")
        visit.svgs = [Svg(**svg) for svg in page.evaluate(SVGS_JS)]
        if screenshot is not None:
            _screenshot(page, Path(screenshot), max_height)
            visit.screenshot = Path(screenshot)
    finally:
        context.close()
    return visit


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) of a PNG file, read from its header."""
    data = Path(path).read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"not a PNG: {path}")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _record_console(visit: PageVisit, message) -> None:
    if message.type != "error":
        return
    where = message.location
    source = f" ({where['url']}:{where['lineNumber']})" if where.get("url") else ""
    visit.console_errors.append(message.text + source)


def _screenshot(page, path: Path, max_height: int | None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    clip = None
    if max_height is not None:
        height = page.evaluate("document.documentElement.scrollHeight")
        if height > max_height:
            clip = {"x": 0, "y": 0, "width": VIEWPORT["width"], "height": max_height}
    page.screenshot(path=str(path), full_page=True, clip=clip, animations="disabled")
