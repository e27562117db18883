"""HTML pages from the page content, with Jinja2 (autoescaped) and the shared stylesheet."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2

from pipelines.report.content import Page
from pipelines.report.formatting import day

TEMPLATES = Path(__file__).parent / "templates"


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(page: Page) -> str:
    """The page as one self-contained HTML document (styles inline, charts inline SVG)."""
    css = (TEMPLATES / "report.css").read_text(encoding="utf-8")
    return (
        _environment()
        .get_template("page.html")
        .render(page=page, css=css, published=day(page.dates.published_at))
    )
