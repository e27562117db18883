"""The organisation page (the CEO's): the five causes of mistrust, data quality, freshness."""

from __future__ import annotations

from pipelines.report import charts, governance, queries, sections, trends
from pipelines.report.content import Chart, Page, Section, Table
from pipelines.report.data import WEEKS_SHOWN, Reader, ReportDates
from pipelines.report.formatting import day, delta, number

WHO = "whole organisation"


def organisation_page(r: Reader, d: ReportDates, links: list[tuple[str, str]]) -> Page:
    """Every section of the CEO's page; `links` are the directors' pages (name, file)."""
    return Page(
        title="Trust report: the organisation",
        subtitle=f"Every team, as of {day(d.marts_as_of)}",
        dates=d,
        sections=[
            _autonomy(r, d),
            _short_term(r, d),
            _process(r, d),
            _skills(r, d),
            _hygiene(r, d),
            _quality(r),
            _freshness(r, d),
        ],
        links=links,
    )


def _autonomy(r: Reader, d: ReportDates) -> Section:
    weeks = queries.micromanagement_weeks(r, d)
    above = queries.interventions_above(r, d)
    return Section(
        "autonomy",
        "Autonomy",
        f"Where leaders act on their reports' deals instead of leaving them the work: the "
        f"micromanagement index counts the signals (edits, activities, directive tasks, "
        f"overrides, reassignments, breadth) a leader breached in a week, over the last "
        f"{WEEKS_SHOWN} weeks. Interventions above are what leaders above a Sales Director "
        f"(the CEO) did in the director's org; skip-level interventions are on deals of people "
        f"who do not report to the leader directly.",
        [
            sections.micromanagement_chart(weeks, WHO),
            sections.leader_table(queries.leader_summary(r, d), WHO),
            sections.interventions_chart(above, WHO, lambda row: row["top_intervener_name"] or ""),
        ],
    )


def _short_term(r: Reader, d: ReportDates) -> Section:
    late = queries.late_quarter_above(r, d)
    chart = charts.bars(
        late,
        category="director_name",
        value="late_quarter_interventions_above",
        title="Late-quarter interventions from above, per director's org",
        value_title="Interventions in the last weeks of a quarter",
        category_title=None,
    )
    table = Table(
        "Late-quarter interventions and takeovers from above, per director's org "
        "(quarters shown); most first",
        ["Director's org", "Late-quarter interventions", "Takeovers", "All interventions"],
        [
            [
                row["director_name"],
                number(row["late_quarter_interventions_above"]),
                number(row["takeovers_above"]),
                number(row["interventions_above"]),
            ]
            for row in late
        ],
    )
    top = late[0]["director_name"] if late else "none"
    return Section(
        "short-term-focus",
        "Short-term focus",
        "Everything bent toward the quarter's close: how much of a quarter's won value "
        "closed in its last two weeks, and how often leaders above a director stepped into "
        "the director's deals late in the quarter or took them over.",
        [
            Chart(
                "late-quarter",
                f"Bar chart of late-quarter interventions from above per director's org; "
                f"most: {top}.",
                charts.render(chart),
                table,
            ),
            sections.concentration_chart(queries.end_of_quarter_concentration(r, d), WHO),
        ],
    )


def _process(r: Reader, d: ReportDates) -> Section:
    funnel = queries.stage_funnel(r, d)
    several_pipelines = len({f["pipeline"] for f in funnel}) > 1
    for row in funnel:
        row["quarter"] = row["quarter_label"] + (
            f" ({row['pipeline']})" if several_pipelines else ""
        )
    chart = charts.bars(
        funnel,
        category="stage",
        value="conversion",
        series="quarter",
        title="Stage conversion by quarter",
        value_title="Share of deals entering the stage that advanced",
        category_title=None,
        value_format=".0%",
    )
    funnel_table = Table(
        "Stage funnel by quarter: conversion and velocity",
        ["Stage", "Pipeline", "Quarter", "Entered", "Advanced", "Conversion", "Median days"],
        [
            [
                f["stage"],
                f["pipeline"],
                f["quarter_label"],
                number(f["entered"]),
                number(f["advanced"]),
                number(f["conversion"], "share"),
                number(f["median_days_in_stage"], "days"),
            ]
            for f in funnel
        ],
    )
    teams = queries.process_by_team(r, d)
    team_table = Table(
        "This quarter's process by team: stage skips, regressions, completeness",
        [
            "Team",
            "Level",
            "Stage skip rate",
            "Open deals that skipped a stage",
            "Open deals with a regression",
            "Completeness",
            "Process score",
        ],
        [
            [
                t["team_leader_name"],
                t["team_leader_level"],
                number(t["stage_skip_rate"], "share"),
                number(t["stage_skip_deals"]),
                number(t["stage_regression_deals"]),
                number(t["completeness"], "share"),
                number(t["process_score"], "score"),
            ]
            for t in teams
        ],
    )
    return Section(
        "sales-process",
        "Sales process",
        "Whether the sales process is followed: how deals convert and how long they stay at "
        "each stage, how often stages are skipped or moved backwards, and how complete the "
        "deals' records are.",
        [
            Chart(
                "stage-funnel",
                f"Bar chart of stage conversion for {len({f['stage'] for f in funnel})} stages "
                f"over {len({f['quarter_label'] for f in funnel})} quarters.",
                charts.render(chart),
                funnel_table,
            ),
            team_table,
        ],
    )


def _skills(r: Reader, d: ReportDates) -> Section:
    gaps = queries.skill_gaps(r, d)
    return Section(
        "skills",
        "Skills",
        "Where a rep is clearly weaker than their own team: below the team's 25th percentile "
        "(above its 75th where lower is better), on enough deals to tell, over the trailing "
        "365 days.",
        [sections.skill_gap_chart(gaps, WHO)] if gaps else [],
        empty="No rep has a skill gap over the trailing 365 days.",
    )


def _hygiene(r: Reader, d: ReportDates) -> Section:
    by_director = queries.hygiene_by_director(r)
    flags = {
        "stale_value": "Stale",
        "past_due_value": "Past due",
        "slipping_value": "Slipping",
        "stuck_value": "Stuck",
    }
    points = [
        {"director": row["director_name"], "flag": label, "value": row[column] or 0}
        for row in by_director
        for column, label in flags.items()
    ]
    value_chart = Chart(
        "hygiene-value",
        "Bar chart of open pipeline value that is stale, past due, slipping or stuck, per "
        "Sales Director"
        + (f"; most stale value: {by_director[0]['director_name']}." if by_director else "."),
        charts.render(
            charts.bars(
                points,
                category="director",
                value="value",
                series="flag",
                title="Open pipeline value with a hygiene flag, per director's org",
                value_title="Open deal value",
                category_title=None,
            )
        ),
        Table(
            "Open pipeline value with a hygiene flag, per director's org",
            ["Director's org", "Open deals", "Open value", *flags.values(), "Stale deals"],
            [
                [
                    row["director_name"],
                    number(row["open_deals"]),
                    number(row["open_value"], "currency"),
                    *(number(row[c], "currency") for c in flags),
                    number(row["stale_deals"]),
                ]
                for row in by_director
            ],
        ),
    )
    history = trends.director_trends(r, d)
    first = d.previous_as_of is None
    return Section(
        "pipeline-hygiene",
        "Pipeline hygiene",
        "Open deals nobody works (stale), past their close date, slipping (close date pushed "
        "again and again) or stuck in a stage far longer than usual; the trend comes from the "
        "history, one point per report.",
        [
            value_chart,
            sections.trend_chart(history, "stale-trend", "stale_value", "Stale value", WHO),
            sections.since_last_report(
                trends.latest_and_previous(history, d, "director_id"), WHO, first
            ),
            sections.rep_hygiene_chart(queries.rep_hygiene(r, limit=15), WHO),
            *sections.orphaned_pipeline(
                queries.orphaned_pipeline(r), queries.orphaned_total(r), WHO
            ),
        ],
    )


def _quality(r: Reader) -> Section:
    counts = governance.quarantine_counts(r)
    checks = governance.check_summary(r)
    items = [
        Table(
            "Records kept out of the metrics (quarantine), by reason",
            ["Records", "Reason", "Rows"],
            [[c["records"], c["reason"], number(c["rows"])] for c in counts],
        ),
        Table(
            f"Checks of the published run: {number(checks['passed'])} passed, "
            f"{number(checks['failed'])} did not",
            ["Asset", "Check", "Severity", "What it found"],
            [
                [f["asset"], f["check_name"], f["severity"], f["description"] or ""]
                for f in checks["failures"]
            ],
        ),
    ]
    reconciliation = governance.reconciliation(r)
    if reconciliation:
        items.insert(0, sections.reconciliation_table(reconciliation))
    quarantined = sum(c["rows"] for c in counts)
    deals, held_back = governance.deal_totals(r)
    return Section(
        "data-quality",
        "Data quality",
        f"{number(deals)} deals are in the metrics and {number(held_back)} more the CRM sent "
        f"are held back. Rows that break a rule are kept out of the metrics and listed in the "
        f"quarantine ({number(quarantined)} in all); fix them in the CRM and they flow in on "
        f"the next run. The reconciliation shows how the marts' open pipeline adds up to the "
        f"CRM's own. A blocking check that fails stops the publish, so these figures are "
        f"from a run whose blocking checks all passed.",
        items,
    )


def _freshness(r: Reader, d: ReportDates) -> Section:
    rows = governance.catalog(r)
    values = {v["metric_id"]: v for v in trends.kpi_values(r, d)}
    first = d.previous_as_of is None
    table = Table(
        "Every metric: the organisation's value, its change since the last report, freshness",
        [
            "Metric",
            "Cause",
            "Org value",
            "Since last report",
            "Threshold",
            "Freshness",
            "Hours since the data was loaded",
        ],
        [
            [
                row["label"],
                row["trust_gap_cause"],
                number(row["org_value"], row["unit"]),
                "first report"
                if first
                else delta(
                    (values.get(row["metric_id"]) or {}).get("org_value"),
                    (values.get(row["metric_id"]) or {}).get("previous_value"),
                    row["unit"],
                ),
                row["threshold"] or "",
                row["freshness_status"] or "",
                number(row["source_freshness_hours"], "hours"),
            ]
            for row in rows
        ],
    )
    statuses = sorted({row["freshness_status"] for row in rows if row["freshness_status"]})
    return Section(
        "freshness",
        "Freshness",
        f"Published {day(d.published_at)}, as of {day(d.marts_as_of)}. Freshness is the age "
        f"of the CRM data each metric reads, now (statuses: {', '.join(statuses) or 'none'}).",
        [table],
    )
