"""The trust report renders in a real browser, offline (issue 13's acceptance).

The report of the tiny demo run is built once through `trustgap report`; its organisation
page and one director page are opened in headless Chromium with every request that is
not a local file aborted. Screenshots of both land in the test's temporary folder.
"""

import pytest

pytest.importorskip("pipelines.report", reason="the report package has not landed yet")

from pipelines.cli import main
from tests.browser import open_page

PAGES = ("organisation", "director")


@pytest.fixture(scope="module")
def report_dir(chromium, tiny_nightly, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    assert main(["report", "--warehouse", str(tiny_nightly.published), "--out", str(out)]) == 0
    return out


def report_page(report_dir, page: str):
    if page == "organisation":
        return report_dir / "index.html"
    directors = sorted((report_dir / "directors").glob("*.html"))
    assert directors, f"no director page in {report_dir / 'directors'}"
    return directors[0]


@pytest.fixture(scope="module")
def visits(chromium, report_dir, tmp_path_factory):
    shots = tmp_path_factory.mktemp("report_screenshots")
    return {
        page: open_page(chromium, report_page(report_dir, page), screenshot=shots / f"{page}.png")
        for page in PAGES
    }


@pytest.mark.parametrize("page", PAGES)
def test_no_request_leaves_the_report_page(visits, page):
    assert visits[page].blocked == []


@pytest.mark.parametrize("page", PAGES)
def test_the_report_page_loads_only_files_from_the_report_folder(visits, report_dir, page):
    folder = report_dir.resolve().as_uri() + "/"
    files = [url for url in visits[page].requests if url.startswith("file:")]
    assert [url for url in files if not url.startswith(folder)] == []


@pytest.mark.parametrize("page", PAGES)
def test_the_report_page_has_no_console_or_script_error(visits, page):
    assert visits[page].console_errors == []
    assert visits[page].page_errors == []


@pytest.mark.parametrize("page", PAGES)
def test_the_report_page_draws_its_charts_as_inline_svg(visits, page):
    visit = visits[page]
    assert visit.drawn_svgs, f"no drawn chart among {len(visit.svgs)} <svg> on {visit.url}"


@pytest.mark.parametrize("page", PAGES)
def test_a_screenshot_is_taken_of_the_report_page(visits, page):
    shot = visits[page].screenshot
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
