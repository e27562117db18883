"""The README's screenshots of the trust report: its organisation page and one director page.

    python -m tests.report_screenshots REPORT_DIR [--out docs/images] [--director SLUG]

`make screenshots` builds the demo's report and runs this. The pages are opened with
tests/browser.py, offline; a page that reaches for the network, logs an error or draws
no chart is not photographed, since the README would then show a broken report.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from tests.browser import NO_BROWSER, Chromium, find_chromium, launch, open_page

# Tall enough for a page's first sections, short enough to read in a README.
MAX_HEIGHT = 2400


def report_pages(report_dir: Path, director: str | None) -> dict[str, Path]:
    """{image name: page}: index.html, and the director page `director` (a slug) or the
    first one in name order."""
    directors = sorted((report_dir / "directors").glob("*.html"))
    if director is not None:
        directors = [page for page in directors if page.stem == director]
    pages = {"report-organisation.png": report_dir / "index.html"}
    if directors:
        pages["report-director.png"] = directors[0]
    missing = [str(page) for page in pages.values() if not page.is_file()]
    if missing or not directors:
        wanted = f"directors/{director}.html" if director else "directors/*.html"
        raise SystemExit(f"not a report folder: {report_dir} needs index.html and {wanted}")
    return pages


def take_screenshots(
    browser: Chromium, report_dir: Path, out: Path, director: str | None = None
) -> list[Path]:
    """Photograph the report's pages into `out`; SystemExit with what is wrong, if anything."""
    pages = report_pages(report_dir, director)
    with tempfile.TemporaryDirectory() as scratch:
        shots = {}
        for image, page in pages.items():
            visit = open_page(browser, page, screenshot=Path(scratch, image), max_height=MAX_HEIGHT)
            problems = visit.problems + ([] if visit.drawn_svgs else ["no chart drawn"])
            if problems:
                raise SystemExit(f"{page}: " + "; ".join(problems))
            shots[image] = visit.screenshot
        # Only once every page passed: a broken report leaves the committed images alone.
        out.mkdir(parents=True, exist_ok=True)
        return [Path(shutil.move(shot, out / image)) for image, shot in shots.items()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report_dir", type=Path, help="a built report (index.html, directors/)")
    parser.add_argument("--out", type=Path, default=Path("docs/images"))
    parser.add_argument("--director", help="the director page's slug (default the first)")
    args = parser.parse_args(argv)
    executable = find_chromium()
    if executable is None:
        raise SystemExit(NO_BROWSER)
    with launch(executable) as browser:
        for path in take_screenshots(browser, args.report_dir, args.out, args.director):
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
