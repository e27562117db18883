"""A Sales Director's page: their org only, against the org median, and how they are measured.

Every query here is given the director's id and filters to their subtree in SQL;
the only figures from outside it are the org medians (aggregates over every team).
A top intervener's name is shown only when that person is in the director's own
line of management or org; anyone else is "another leader".
"""

from __future__ import annotations

from pipelines.report import charts, governance, queries, sections, trends
from pipelines.report.content import Chart, Page, Section, Table
from pipelines.report.data import WEEKS_SHOWN, Reader, ReportDates
from pipelines.report.formatting import day, number

WHO = "your org"


def director_page(r: Reader, d: ReportDates, director: dict, home: str) -> Page:
    """The page of `director` (a row of `Reader.directors`); `home` links the report's index."""
    director_id = director["director_id"]
    people = r.subtree(director_id)
    visible = {p["user_id"] for p in people} | set(r.line_above(director_id))
    return Page(
        title=f"Trust report: {director['director_name']}'s org",
        subtitle=f"{len(people)} people, as of {day(d.marts_as_of)}",
        dates=d,
        sections=[
            _scores(r, d, director_id),
            _autonomy(r, d, director_id, visible),
            _short_term(r, d, director_id),
            _hygiene(r, d, director_id),
            _skills(r, d, director_id),
            _measured(r),
        ],
        home=home,
    )


def _scores(r: Reader, d: ReportDates, director_id: str) -> Section:
    rows = trends.scores_by_quarter(r, d, director_id)
    current = max((row["quarter_start"] for row in rows), default=None)
    now = [row for row in rows if row["quarter_start"] == current]
    points = [
        {"team": row["team"], "score": label, "value": row[column]}
        for row in now
        for column, label in sections.SCORE_LABELS.items()
        if row[column] is not None
    ]
    now_chart = Chart(
        "scores-now",
        "Dot chart of this quarter's autonomy, process and hygiene scores of each of your "
        "teams and of the org median over every team.",
        charts.render(
            charts.dots(
                points,
                category="score",
                value="value",
                series="team",
                title="This quarter's scores: your teams and the org median",
                value_title="Score (0 to 1, higher is better)",
            )
        ),
        _scores_table(now, "This quarter's scores by team, and the org median over every team"),
    )
    trend = [
        {**row, "kind": "median" if row["is_median"] else "team"}
        for row in rows
        if row["autonomy_score"] is not None
    ]
    autonomy_chart = Chart(
        "autonomy-by-quarter",
        "Line chart of your teams' autonomy score by quarter, the org median dashed; every "
        "score is in the table.",
        charts.render(
            charts.lines(
                trend,
                x="quarter_label",
                value="autonomy_score",
                series="team",
                dash="kind",
                title="Autonomy score by quarter: your teams and the org median (dashed)",
                x_title="Quarter",
                value_title="Autonomy score",
            )
        ),
        _scores_table(rows, "Scores by team and quarter, and the org median over every team"),
    )
    history = trends.director_trends(r, d, director_id)
    return Section(
        "scores",
        "Your scores",
        "Autonomy, process and hygiene scores (0 to 1, higher is better) of your org and each "
        "of its teams, beside the median of every team in the organisation (shown only where "
        f"at least {trends.MIN_TEAMS_FOR_MEDIAN} teams make it); hygiene is scored "
        "on the current quarter only. Then your org's trend and what changed since the last "
        "report.",
        [
            now_chart,
            autonomy_chart,
            sections.trend_chart(history, "stale-trend", "stale_value", "Stale value", WHO),
            sections.since_last_report(
                trends.latest_and_previous(history, d, "director_id"),
                WHO,
                d.previous_as_of is None,
            ),
        ],
    )


def _scores_table(rows: list[dict], caption: str) -> Table:
    return Table(
        caption,
        ["Team", "Quarter", *sections.SCORE_LABELS.values()],
        [
            [
                row["team"],
                row["quarter_label"],
                *(number(row[c], "score") for c in sections.SCORE_LABELS),
            ]
            for row in rows
        ],
    )


def _autonomy(r: Reader, d: ReportDates, director_id: str, visible: set[str]) -> Section:
    def top_intervener(row: dict) -> str:
        if not row["top_intervener_id"]:
            return ""
        return (
            row["top_intervener_name"] if row["top_intervener_id"] in visible else "another leader"
        )

    weeks = queries.micromanagement_weeks(r, d, director_id)
    items = [
        sections.interventions_chart(
            queries.interventions_above(r, d, director_id), WHO, top_intervener
        )
    ]
    if weeks:
        items.append(sections.micromanagement_chart(weeks, WHO))
        items.append(sections.leader_table(queries.leader_summary(r, d, director_id), WHO))
    return Section(
        "autonomy",
        "Autonomy",
        f"Where leaders above you or your teams' leaders acted on deals of your org: "
        f"interventions from above by quarter, and your org's leaders' micromanagement index "
        f"over the last {WEEKS_SHOWN} weeks.",
        items,
    )


def _short_term(r: Reader, d: ReportDates, director_id: str) -> Section:
    rows = queries.end_of_quarter_concentration(r, d, director_id)
    return Section(
        "short-term-focus",
        "Short-term focus",
        "How much of each team's won value closed in the last two weeks of the quarter.",
        [sections.concentration_chart(rows, WHO)] if rows else [],
        empty="No quarter in the report's range.",
    )


def _hygiene(r: Reader, d: ReportDates, director_id: str) -> Section:
    reps = queries.rep_hygiene(r, director_id)
    orphaned = sections.orphaned_pipeline(
        queries.orphaned_pipeline(r, director_id), queries.orphaned_total(r, director_id), WHO
    )
    return Section(
        "pipeline-hygiene",
        "Your reps' pipeline hygiene",
        "Each rep's open deals that nobody worked for two weeks (stale), that are past their "
        "close date, slipping, stuck or without a next step"
        + ("; and the open deals still held by people who have left." if orphaned else "."),
        ([sections.rep_hygiene_chart(reps, WHO)] if reps else []) + orphaned,
        empty="No rep in your org has an open deal.",
    )


def _skills(r: Reader, d: ReportDates, director_id: str) -> Section:
    gaps = queries.skill_gaps(r, d, director_id)
    return Section(
        "skills",
        "Skill gaps in your org",
        "Where a rep is clearly weaker than their own team over the trailing 365 days: a "
        "coaching conversation, not a ranking.",
        [sections.skill_gap_chart(gaps, WHO)] if gaps else [],
        empty="No rep in your org has a skill gap over the trailing 365 days.",
    )


def _measured(r: Reader) -> Section:
    rows = governance.catalog(r)
    return Section(
        "how-you-are-measured",
        "How you are measured",
        "Every metric in this report, as the metric registry defines it: what it means, how "
        "it is computed, the threshold and where it comes from, and how fresh its data is.",
        [
            Table(
                "The metric registry",
                [
                    "Metric",
                    "Definition",
                    "Formula",
                    "Threshold",
                    "Why this threshold",
                    "Unit",
                    "Freshness",
                ],
                [
                    [
                        row["label"],
                        row["definition"] or "",
                        row["formula"] or "",
                        row["threshold"] or "",
                        row["threshold_source"] or "",
                        row["unit"] or "",
                        f"{row['freshness_status'] or ''} "
                        f"({number(row['source_freshness_hours'], 'hours')})",
                    ]
                    for row in rows
                ],
            )
        ],
    )
