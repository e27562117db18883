"""What a page is made of: sections holding charts (with the table behind each) and tables."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipelines.report.data import ReportDates


@dataclass
class Table:
    """A table of formatted cells; the first column names the row."""

    caption: str
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)


@dataclass
class Chart:
    """A rendered chart: its inline SVG, its alt text, and the table of its data."""

    key: str
    alt: str
    svg: str
    table: Table


@dataclass
class Section:
    """One part of a page: a heading, what it means, and its charts and tables."""

    key: str
    title: str
    intro: str
    items: list[Chart | Table] = field(default_factory=list)
    empty: str = ""


@dataclass
class Page:
    """A whole page: who it is for, the dates its figures are as of, and its sections."""

    title: str
    subtitle: str
    dates: ReportDates
    sections: list[Section]
    links: list[tuple[str, str]] = field(default_factory=list)
    home: str | None = None
