"""The browser harness (tests/browser.py) sees what a reader's browser does, offline.

Each test writes a small page into tmp_path: one that is clean, one that reaches for the
internet, one whose script fails, one whose charts are empty. The network tests run a
server on the loopback address and check that the page's requests never reach it.
"""

import asyncio
import http.server
import threading
import urllib.request
from contextlib import contextmanager

from playwright.sync_api import Error as PlaywrightError

from tests.browser import open_page, png_size

CHART = """<svg width="120" height="80" role="img" aria-label="Won value by quarter">
  <title>Won value by quarter</title><rect x="10" y="20" width="30" height="60"/>
</svg>"""


def page(tmp_path, body: str, name: str = "page.html"):
    path = tmp_path / name
    path.write_text(f'<!doctype html><html lang="en"><meta charset="utf-8"><body>{body}</body>')
    return path


@contextmanager
def loopback_server():
    """An HTTP server on 127.0.0.1 that counts the requests it receives."""
    received = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            received.append(self.path)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", received
    finally:
        server.shutdown()
        server.server_close()


def test_a_clean_page_with_an_inline_chart_has_nothing_to_report(chromium, tmp_path):
    (tmp_path / "report.css").write_text("body { font-family: sans-serif; }")
    path = page(tmp_path, f'<link rel="stylesheet" href="report.css"><h1>Trust</h1>{CHART}')

    visit = open_page(chromium, path)

    assert visit.problems == []
    assert visit.requests == [path.as_uri(), (tmp_path / "report.css").as_uri()]
    assert len(visit.svgs) == 1
    chart = visit.svgs[0]
    assert (chart.width, chart.height, chart.children) == (120, 80, 2)
    assert chart.label == "Won value by quarter"
    assert chart.drawn


def test_an_image_from_the_internet_is_blocked_and_reported(chromium, tmp_path):
    path = page(tmp_path, f'<img src="https://example.com/x.png" alt="logo">{CHART}')

    visit = open_page(chromium, path)

    assert visit.blocked == ["https://example.com/x.png"]
    assert visit.problems[0] == "blocked request: https://example.com/x.png"
    assert visit.page_errors == []


def test_a_blocked_request_never_reaches_the_network(chromium, tmp_path):
    with loopback_server() as (origin, received):
        path = page(tmp_path, f'<script src="{origin}/vega.js"></script><img src="{origin}/x.png">')

        visit = open_page(chromium, path)

        assert visit.blocked == [f"{origin}/vega.js", f"{origin}/x.png"]
        assert received == []
        # The server was listening all along: a request that is let through arrives.
        urllib.request.urlopen(f"{origin}/control", timeout=5).close()
        assert received == ["/control"]


def test_requests_made_by_script_are_blocked_too(chromium, tmp_path):
    script = """<script>
      fetch("https://api.example.net/metrics").catch(() => {});
      navigator.sendBeacon("https://beacon.example.net/b", "seen");
      new WebSocket("wss://live.example.net/feed");
    </script>"""

    visit = open_page(chromium, page(tmp_path, script))

    assert sorted(visit.blocked) == [
        "https://api.example.net/metrics",
        "https://beacon.example.net/b",
        "wss://live.example.net/feed",
    ]


def test_data_and_blob_urls_stay_on_the_page(chromium, tmp_path):
    pixel = "R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"
    script = '<script>fetch(URL.createObjectURL(new Blob(["x"]))).then((r) => r.text());</script>'
    path = page(tmp_path, f'<img src="data:image/gif;base64,{pixel}" alt="">{script}')

    visit = open_page(chromium, path)

    assert visit.problems == []


def test_a_script_error_is_reported(chromium, tmp_path):
    path = page(tmp_path, f"{CHART}<script>drawChart();</script>")

    visit = open_page(chromium, path)

    assert len(visit.page_errors) == 1
    assert "drawChart is not defined" in visit.page_errors[0]
    assert visit.problems == [f"script error: {visit.page_errors[0]}"]


def test_a_console_error_is_reported_with_where_it_came_from(chromium, tmp_path):
    path = page(tmp_path, '<script>console.error("no data for Q3");</script>')

    visit = open_page(chromium, path)

    assert len(visit.console_errors) == 1
    assert visit.console_errors[0].startswith(f"no data for Q3 ({path.as_uri()}:")


def test_a_missing_local_file_is_a_console_error(chromium, tmp_path):
    visit = open_page(chromium, page(tmp_path, '<img src="charts/missing.png" alt="chart">'))

    assert visit.blocked == []
    assert len(visit.console_errors) == 1
    assert "ERR_FILE_NOT_FOUND" in visit.console_errors[0]


def test_empty_or_hidden_svgs_are_counted_but_not_drawn(chromium, tmp_path):
    body = """
      <svg width="100" height="100"></svg>
      <svg width="0" height="0"><rect width="5" height="5"/></svg>
      <svg style="display: none"><rect width="5" height="5"/></svg>
      <svg width="50" height="50"><svg><circle r="4"/></svg></svg>
    """

    visit = open_page(chromium, page(tmp_path, body))

    assert len(visit.svgs) == 4  # the nested <svg> belongs to the last chart
    assert [svg.drawn for svg in visit.svgs] == [False, False, False, True]


def test_the_screenshot_is_a_full_page_png(chromium, tmp_path):
    tall = f'<div style="height: 2000px">{CHART}</div><p>end</p>'
    shot = tmp_path / "shots" / "page.png"

    visit = open_page(chromium, page(tmp_path, tall), screenshot=shot)

    assert visit.screenshot == shot
    width, height = png_size(shot)
    assert width == 1280
    assert height > 2000


def test_the_screenshot_can_be_cut_to_a_height(chromium, tmp_path):
    tall = f'<div style="height: 3000px">{CHART}</div>'
    shot = tmp_path / "page.png"

    open_page(chromium, page(tmp_path, tall), screenshot=shot, max_height=1200)

    assert png_size(shot) == (1280, 1200)


def test_no_host_name_resolves_even_for_a_request_let_through(chromium):
    def visit_without_interception(browser, url):
        page = browser.new_page()
        try:
            page.goto(url)
        except PlaywrightError as error:
            return str(error)
        finally:
            page.close()
        return "loaded"

    with loopback_server() as (origin, received):
        by_name = origin.replace("127.0.0.1", "localhost")

        outcome = chromium.run(visit_without_interception, f"{by_name}/lookup")

        assert "ERR_NAME_NOT_RESOLVED" in outcome
        assert received == []


def test_the_live_browser_leaves_asyncio_free_for_the_other_tests(chromium):
    async def answer():
        return 42

    assert asyncio.run(answer()) == 42
