"""The trust report built from the tiny demo warehouse: need-to-know, the marts' numbers,
the planted behaviours where a reader looks, charts with their data, nothing fetched.

Assertions read the rendered HTML (tables are parsed from it), never the report's
own data structures.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pipelines.report.formatting import number


class _Tables(HTMLParser):
    """Every <table> of a page: its caption and its rows of cell texts."""

    def __init__(self):
        super().__init__()
        self.tables: list[dict] = []
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._caption: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append({"caption": "", "rows": []})
        elif tag == "caption":
            self._caption = []
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "caption" and self._caption is not None:
            self.tables[-1]["caption"] = "".join(self._caption).strip()
            self._caption = None
        elif tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1]["rows"].append(self._row)
            self._row = None

    def handle_data(self, data):
        for part in (self._cell, self._caption):
            if part is not None:
                part.append(data)


def tables(page: str, caption_start: str) -> list[list[list[str]]]:
    """The body rows (header row dropped) of each table whose caption starts so."""
    parser = _Tables()
    parser.feed(page)
    return [t["rows"][1:] for t in parser.tables if t["caption"].startswith(caption_start)]


def section(page: str, key: str) -> str:
    """The HTML of one section of a page."""
    match = re.search(rf'<section id="{key}".*?</section>', page, re.S)
    assert match, f"no section {key}"
    return match.group(0)


def row_of(rows: list[list[str]], name: str) -> list[str]:
    found = [row for row in rows if row[0] == name]
    assert found, f"{name} not in {[row[0] for row in rows]}"
    return found[0]


@pytest.fixture(scope="module")
def report(tiny_nightly, tmp_path_factory):
    """The report `trustgap report` writes for the tiny demo warehouse."""
    from pipelines.cli import main

    out = tmp_path_factory.mktemp("report") / "report"
    assert main(["report", "--warehouse", str(tiny_nightly.published), "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def directors(tiny_nightly, report) -> dict[str, dict]:
    """Each director by id: name, page text and the names and deals of their subtree."""
    index = (report / "index.html").read_text(encoding="utf-8")
    links = dict(re.findall(r'<a href="(directors/[^"]+)">([^<]+)</a>', index))
    by_name = {html.unescape(name): href for href, name in links.items()}
    result = {}
    for director_id, name in tiny_nightly.query(
        "select user_id, name from marts.dim_users where user_id = director_id"
    ):
        people = tiny_nightly.query(
            "select name from marts.dim_users where director_id = ?", [director_id]
        )
        deals = tiny_nightly.query(
            "select deal_id, deal_name from marts.fct_deals "
            "where owner_id in (select user_id from marts.dim_users where director_id = ?)",
            [director_id],
        )
        result[director_id] = {
            "name": name,
            "page": (report / by_name[name]).read_text(encoding="utf-8"),
            "people": {p for (p,) in people},
            "deals": {d for deal in deals for d in deal if d},
        }
    return result


def test_the_report_has_the_organisation_page_and_one_page_per_director(
    tiny_nightly, report, directors
):
    assert (report / "index.html").stat().st_size > 10_000
    assert len(list((report / "directors").glob("*.html"))) == len(directors) >= 2
    assert set(tiny_nightly.truth["director_ids"]) == set(directors)


def test_the_nightly_job_built_the_report_beside_the_warehouse(tiny_nightly):
    index = tiny_nightly.published.parent / "report" / "index.html"
    assert index.exists()
    assert "Trust report: the organisation" in index.read_text(encoding="utf-8")


# -- need-to-know ----------------------------------------------------------------------


def test_a_director_page_names_nobody_and_no_deal_of_another_directors_org(directors):
    for director_id, mine in directors.items():
        text = html.unescape(mine["page"])
        for other_id, other in directors.items():
            if other_id == director_id:
                continue
            for name in other["people"] - mine["people"]:
                assert name not in text, f"{name} on {mine['name']}'s page"
            for deal in other["deals"] - mine["deals"]:
                assert deal not in text, f"deal {deal} on {mine['name']}'s page"


def test_the_organisation_page_links_every_director_page(report, directors):
    index = html.unescape((report / "index.html").read_text(encoding="utf-8"))
    for director in directors.values():
        assert director["name"] in index


# -- the numbers are the marts' numbers ------------------------------------------------


def test_a_reps_stale_deals_on_the_directors_page_equal_the_mart(tiny_nightly, directors):
    stale = tiny_nightly.truth["planted"]["stale_past_due_rep"]["user_id"]
    (name, stale_deals, director_id) = tiny_nightly.query(
        "select r.rep_name, r.stale_deals, u.director_id from marts.rep_hygiene r "
        "join marts.dim_users u on u.user_id = r.rep_id where r.rep_id = ?",
        [stale],
    )[0]
    (rows,) = tables(directors[director_id]["page"], "Reps' open-deal hygiene")
    assert row_of(rows, name)[4] == number(stale_deals)


def test_a_directors_stale_deals_since_the_last_report_equal_the_history(tiny_nightly, directors):
    for director_id, director in directors.items():
        (stale,) = tiny_nightly.query(
            "select stale_deals from history.director_trends where director_id = ? "
            "and as_of = (select max(as_of) from history.director_trends)",
            [director_id],
        )[0]
        (rows,) = tables(director["page"], "Since the last report")
        assert row_of(rows, director["name"])[3] == number(stale)
        assert row_of(rows, director["name"])[4] == "first report"


def test_the_quarantine_counts_equal_the_quarantine_tables(tiny_nightly, report):
    page = (report / "index.html").read_text(encoding="utf-8")
    expected = tiny_nightly.query(
        "select 'deals', reason, count(*) from quarantine.deals group by all "
        "union all select 'activities', reason, count(*) from quarantine.activities group by all"
    )
    (rows,) = tables(section(page, "data-quality"), "Records kept out of the metrics")
    assert sorted(map(tuple, rows)) == sorted((t, r, number(n)) for t, r, n in expected)
    total = sum(n for *_, n in expected)
    assert f"({number(total)} in all)" in page
    (deals, held_back) = tiny_nightly.query(
        "select (select count(*) from marts.fct_deals), "
        "(select count(distinct deal_id) from quarantine.deals)"
    )[0]
    assert f"{number(deals)} deals are in the metrics and {number(held_back)} more" in page


def test_the_reconciliation_under_data_quality_equals_the_mart(tiny_nightly, report):
    page = (report / "index.html").read_text(encoding="utf-8")
    (rows,) = tables(section(page, "data-quality"), "How the marts reconcile with the CRM")
    ((crm, crm_value, held, held_value, marts, marts_value, gap, gap_value),) = tiny_nightly.query(
        "select crm_open_deals, crm_open_value, quarantined_open_deals, quarantined_open_value, "
        "mart_open_deals, mart_open_value, unexplained_open_deals, unexplained_difference "
        "from marts.pipeline_reconciliation"
    )
    assert [row[1:] for row in rows] == [
        [number(crm), number(crm_value, "currency")],
        [number(held), number(held_value, "currency")],
        ["0", "0"],
        [number(marts), number(marts_value, "currency")],
        [number(gap), number(gap_value, "currency")],
    ]
    assert held > 0 and crm == held + marts


def test_the_deactivated_reps_orphaned_pipeline_is_under_hygiene_on_both_pages(
    tiny_nightly, report, directors
):
    gone = tiny_nightly.truth["planted"]["deactivated_owner"]["user_id"]
    ((name, deals, value, director_id),) = tiny_nightly.query(
        "select r.rep_name, r.orphaned_open_deals, r.orphaned_open_value, u.director_id "
        "from marts.rep_hygiene r join marts.dim_users u on u.user_id = r.rep_id "
        "where r.rep_id = ?",
        [gone],
    )
    ((org_deals, org_value),) = tiny_nightly.query(
        "select orphaned_open_deals, orphaned_open_value from marts.team_scorecard "
        "where team_leader_level = 'organisation' and is_current_quarter"
    )
    for page, caption in (
        ((report / "index.html").read_text(encoding="utf-8"), "Orphaned pipeline (whole org"),
        (directors[director_id]["page"], "Orphaned pipeline (your org)"),
    ):
        (rows,) = tables(section(page, "pipeline-hygiene"), caption)
        assert row_of(rows, name)[2:] == [number(deals), number(value, "currency")]
    index = html.unescape((report / "index.html").read_text(encoding="utf-8"))
    assert f"{number(org_deals)} open deals worth {number(org_value, 'currency')}" in index
    for other_id, other in directors.items():
        if other_id != director_id:
            assert tables(section(other["page"], "pipeline-hygiene"), "Orphaned pipeline") == []


def test_the_org_median_on_a_director_page_is_over_teams_not_the_organisation(
    tiny_nightly, directors
):
    director = next(iter(directors.values()))
    medians = tiny_nightly.query(
        "select quarter_label, median(hygiene_score) from marts.team_scorecard "
        "where team_leader_level != 'organisation' and is_current_quarter group by all"
    )
    with_organisation = tiny_nightly.query(
        "select median(hygiene_score) from marts.team_scorecard where is_current_quarter"
    )
    assert medians[0][1] != with_organisation[0][0]
    (rows,) = tables(director["page"], "This quarter's scores")
    assert row_of(rows, "Org median (all teams)")[4] == number(medians[0][1], "score")


def test_a_director_page_shows_no_org_median_of_fewer_teams_than_the_minimum(
    tiny_nightly, tmp_path, monkeypatch
):
    """A median of a handful of teams is one of them: below the minimum it is not shown."""
    from pipelines.report import trends
    from pipelines.report.build import build_report

    ((teams,),) = tiny_nightly.query(
        "select count(*) from marts.team_scorecard "
        "where is_current_quarter and team_leader_level != 'organisation'"
    )
    assert teams >= trends.MIN_TEAMS_FOR_MEDIAN  # so the page above shows it
    monkeypatch.setattr(trends, "MIN_TEAMS_FOR_MEDIAN", teams + 1)
    out = build_report(tiny_nightly.published, tmp_path / "report")
    pages = list((tmp_path / "report" / "directors").glob("*.html"))
    assert out and pages
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "Your scores" in text
        assert "Org median" not in text, page.name


def test_a_kpis_org_value_equals_the_catalog(tiny_nightly, report):
    page = (report / "index.html").read_text(encoding="utf-8")
    (rows,) = tables(section(page, "freshness"), "Every metric")
    for label, value, unit in tiny_nightly.query(
        "select label, org_value, unit from marts.kpi_catalog"
    ):
        assert row_of(rows, label)[2] == number(value, unit), label


# -- the planted behaviours, where a reader looks ---------------------------------------


def test_the_always_on_manager_tops_the_autonomy_chart(tiny_nightly, report):
    manager = tiny_nightly.truth["planted"]["always_on_manager"]["manager_id"]
    (name,) = tiny_nightly.query("select name from marts.dim_users where user_id = ?", [manager])[0]
    page = (report / "index.html").read_text(encoding="utf-8")
    (rows,) = tables(section(page, "autonomy"), "Micromanagement index by leader")
    assert html.unescape(rows[0][0]) == name


def test_the_ceos_target_org_tops_short_term_focus(tiny_nightly, report):
    director = tiny_nightly.truth["planted"]["ceo_quarter_end_intervention"]["director_id"]
    (name,) = tiny_nightly.query("select name from marts.dim_users where user_id = ?", [director])[
        0
    ]
    page = (report / "index.html").read_text(encoding="utf-8")
    (rows,) = tables(section(page, "short-term-focus"), "Late-quarter interventions")
    assert html.unescape(rows[0][0]) == name
    assert int(rows[0][1]) > 0


def test_the_weak_rep_is_under_skill_gaps_on_both_pages(tiny_nightly, report, directors):
    weak = tiny_nightly.truth["planted"]["weak_stage_rep"]
    (name, director_id) = tiny_nightly.query(
        "select name, director_id from marts.dim_users where user_id = ?", [weak["user_id"]]
    )[0]
    for page in (
        (report / "index.html").read_text(encoding="utf-8"),
        directors[director_id]["page"],
    ):
        (rows,) = tables(section(page, "skills"), "Skill gaps")
        gaps = [row for row in rows if html.unescape(row[0]) == name]
        assert any(row[2] == f"stage_conversion:{weak['stage']}" for row in gaps), gaps


def test_the_stale_rep_is_under_hygiene_on_both_pages(tiny_nightly, report, directors):
    stale = tiny_nightly.truth["planted"]["stale_past_due_rep"]["user_id"]
    (name, director_id) = tiny_nightly.query(
        "select name, director_id from marts.dim_users where user_id = ?", [stale]
    )[0]
    for page in (
        (report / "index.html").read_text(encoding="utf-8"),
        directors[director_id]["page"],
    ):
        (rows,) = tables(section(page, "pipeline-hygiene"), "Reps' open-deal hygiene")
        assert name in [html.unescape(row[0]) for row in rows[:3]]


# -- charts, accessibility, no network --------------------------------------------------


def _pages(report: Path) -> list[tuple[str, str]]:
    return [
        (str(p.relative_to(report)), p.read_text(encoding="utf-8"))
        for p in sorted(report.rglob("*.html"))
    ]


def test_every_chart_has_a_drawn_svg_alt_text_and_a_data_table(report):
    for name, page in _pages(report):
        figures = re.findall(r'<figure class="chart".*?</figure>', page, re.S)
        assert len(figures) >= 4, name
        for figure in figures:
            svg = re.search(r"<svg.*?</svg>", figure, re.S)
            assert svg and re.search(r"<(path|rect|line|text)\b", svg.group(0)), name
            assert re.search(r'role="img" aria-label="[^"]{20,}"', figure), name
            assert re.search(r"<details>.*<table>.*<tbody>\s*<tr>", figure, re.S), name


def test_no_page_refers_to_anything_on_the_network(report):
    for name, page in _pages(report):
        assert "http://" not in page and "https://" not in page, name
        assert not re.search(r"""(src|href)\s*=\s*["']?//""", page), name
        assert "@import" not in page and "<script" not in page, name
        assert not re.search(r"""<link\b|<img\b|url\((?!#)""", page), name


def test_an_as_of_date_without_history_is_refused(tiny_nightly, tmp_path, capsys):
    from pipelines.cli import main

    args = ["report", "--warehouse", str(tiny_nightly.published), "--out", str(tmp_path / "r")]
    assert main([*args, "--as-of", "2020-01-01"]) == 2
    assert "--as-of 2020-01-01" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_ids_are_unique_on_every_page_so_each_chart_keeps_its_own_gradients(report):
    for name, page in _pages(report):
        ids = re.findall(r'\bid="([^"]+)"', page)
        assert len(ids) == len(set(ids)), name


@pytest.fixture(scope="module")
def two_reports(tiny_nightly, tmp_path_factory):
    """The tiny warehouse with an earlier history date (2 fewer stale deals per director,
    H1 0.05 lower), and the report built from it."""
    import shutil

    import duckdb

    from pipelines.report.build import build_report

    folder = tmp_path_factory.mktemp("two_reports")
    published = folder / "trustgap.duckdb"
    shutil.copy(tiny_nightly.published, published)
    with duckdb.connect(str(published)) as con:
        con.execute(
            "insert into history.director_trends select * replace "
            "(as_of - 7 as as_of, stale_deals - 2 as stale_deals) from history.director_trends"
        )
        con.execute(
            "insert into history.kpi_values select * replace (as_of - 7 as as_of, "
            "org_value - 0.05 as org_value) from history.kpi_values"
        )
    return published, build_report(published, folder / "report")


def test_since_last_report_shows_the_change_from_the_previous_history_date(two_reports):
    _, result = two_reports
    previous = result.as_of.fromordinal(result.as_of.toordinal() - 7)
    for page in result.pages:
        text = (result.path / page).read_text(encoding="utf-8")
        assert f"Changes are since the report of {previous}" in text, page
        (rows,) = tables(text, "Since the last report")
        assert rows and all(row[4] == "+2" for row in rows), page
    index = (result.path / "index.html").read_text(encoding="utf-8")
    (rows,) = tables(section(index, "freshness"), "Every metric")
    assert row_of(rows, "Stale deals")[3] == "+5.0 pts"


def test_an_earlier_as_of_reads_the_history_up_to_that_date(two_reports, tmp_path):
    from pipelines.report.build import build_report

    published, latest = two_reports
    earlier = latest.as_of.fromordinal(latest.as_of.toordinal() - 7)
    result = build_report(published, tmp_path / "report", earlier)
    index = (result.path / "index.html").read_text(encoding="utf-8")
    assert f"trends as of {earlier}" in index
    assert "First report" in index


def test_chart_legends_keep_whole_names():
    """A legend names people and the org median: a cut label ("Org median (all team…")
    reads as another name."""
    from pipelines.report import charts

    name = "Org median over every team in the organisation"
    svg = charts.render(
        charts.dots(
            [{"team": name, "score": "Autonomy", "value": 0.5}],
            category="score",
            value="value",
            series="team",
            title="Scores",
            value_title="Score",
        )
    )
    assert name in svg
    assert "…" not in svg


CHART_ROWS = [
    {"team": "Ada", "week": "2026-W47", "score": "Autonomy", "value": 0.5, "kind": "actual"},
    {"team": "Org median", "week": "2026-W48", "score": "Autonomy", "value": 0.4, "kind": "median"},
]


def _every_chart_kind():
    from pipelines.report import charts

    common = {"title": "T", "value_title": "V"}
    return [
        charts.heatmap(
            CHART_ROWS, x="week", y="team", value="value", x_title="W", y_title="T", **common
        ),
        charts.bars(CHART_ROWS, category="team", value="value", category_title="C", **common),
        charts.bars(
            CHART_ROWS, category="team", value="value", series="kind", category_title="C", **common
        ),
        charts.lines(
            CHART_ROWS, x="week", value="value", series="team", dash="kind", x_title="W", **common
        ),
        charts.dots(CHART_ROWS, category="score", value="value", series="team", **common),
    ]


def test_every_chart_kind_is_valid_vega_lite():
    """The nightly renders without schema validation; the builders' specs are checked here."""
    from pipelines.report import charts

    for chart in _every_chart_kind():
        chart.configure(font=charts.FONT).to_dict(validate=True)  # raises on an invalid spec
        assert charts.render(chart).startswith("<svg")


def test_rendering_a_chart_does_not_validate_its_spec_again(monkeypatch):
    from altair.utils import schemapi

    from pipelines.report import charts

    chart = _every_chart_kind()[0]
    validated = []
    real = schemapi.validate_jsonschema
    monkeypatch.setattr(
        schemapi, "validate_jsonschema", lambda *a, **k: validated.append(1) or real(*a, **k)
    )
    assert charts.render(chart).startswith("<svg")
    assert validated == []


def test_building_the_report_validates_no_chart_data_as_it_is_made(
    tiny_nightly, tmp_path, monkeypatch
):
    """altair validates every object it constructs by default (its debug mode), the rows
    of a chart's data included; the report builds its charts without that (only a
    chart's small properties, title and size, are still checked as they are set), and
    altair validates as before outside it."""
    import altair as alt
    from altair.utils import schemapi

    from pipelines.report.build import build_report

    validated = []
    real = schemapi.validate_jsonschema
    monkeypatch.setattr(
        schemapi, "validate_jsonschema", lambda *a, **k: validated.append(a[0]) or real(*a, **k)
    )

    def with_data() -> list:
        return [s for s in validated if isinstance(s, dict) and ("values" in s or "data" in s)]

    result = build_report(tiny_nightly.published, tmp_path / "report")
    assert len(result.pages) == 3
    assert with_data() == []
    alt.Chart(alt.Data(values=[{"x": 1}])).mark_point()
    assert with_data()
