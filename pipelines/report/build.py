"""Write the trust report: `index.html` (the organisation) and `directors/<slug>.html`.

The pages are written into a fresh folder beside the output and swapped in at the
end, so a reader never opens a half-written report and a director who left the
org does not keep a stale page.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.report import charts, pages
from pipelines.report.data import open_warehouse
from pipelines.report.director import director_page
from pipelines.report.organisation import organisation_page

INDEX = "index.html"
DIRECTORS = "directors"


@dataclass(frozen=True)
class ReportResult:
    """Where the report is, what it holds, and how long it took."""

    path: Path
    as_of: dt.date
    pages: dict[str, int] = field(default_factory=dict)  # relative path -> bytes
    seconds: float = 0.0

    @property
    def index(self) -> Path:
        return self.path / INDEX


def slug(name: str) -> str:
    """A file name from a person's name: ASCII, lowercase, dashes."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or "director"


def director_files(directors: list[dict]) -> dict[str, str]:
    """Each director's page, relative to the report folder; namesakes get their id added."""
    files, taken = {}, set()
    for director in directors:
        name = slug(director["director_name"] or director["director_id"])
        if name in taken:
            name = f"{name}-{slug(director['director_id'])}"
        taken.add(name)
        files[director["director_id"]] = f"{DIRECTORS}/{name}.html"
    return files


def build_report(warehouse: Path, out: Path, as_of: dt.date | None = None) -> ReportResult:
    """Build every page from the published warehouse at `warehouse` into the folder `out`."""
    started = time.perf_counter()
    out = Path(out)
    staging = out.with_name(f".{out.name}.building")
    shutil.rmtree(staging, ignore_errors=True)
    (staging / DIRECTORS).mkdir(parents=True)
    written: dict[str, int] = {}

    def write(relative: str, html: str) -> None:
        data = html.encode("utf-8")
        (staging / relative).write_bytes(data)
        written[relative] = len(data)

    with open_warehouse(Path(warehouse)) as reader, charts.unvalidated():
        dates = reader.dates(as_of)
        directors = reader.directors()
        files = director_files(directors)
        links = [(d["director_name"], files[d["director_id"]]) for d in directors]
        write(INDEX, pages.render(organisation_page(reader, dates, links)))
        for director in directors:
            page = director_page(reader, dates, director, home=f"../{INDEX}")
            write(files[director["director_id"]], pages.render(page))
    old = out.with_name(f".{out.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        out.rename(old)
    staging.rename(out)
    shutil.rmtree(old, ignore_errors=True)
    return ReportResult(out, dates.as_of, written, time.perf_counter() - started)
