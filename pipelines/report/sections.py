"""Charts and tables both pages share, each built from the rows of one query."""

from __future__ import annotations

from pipelines.report import charts
from pipelines.report.content import Chart, Table
from pipelines.report.formatting import MISSING, delta, number
from pipelines.report.trends import DIRECTOR_MEASURES

SCORE_LABELS = {
    "autonomy_score": "Autonomy",
    "process_score": "Process",
    "hygiene_score": "Hygiene",
}


def micromanagement_chart(weeks: list[dict], who: str) -> Chart:
    """Heatmap of the micromanagement index by leader and week; its table, one row a leader."""
    leaders = list(dict.fromkeys((row["leader_name"], row["mean_index"]) for row in weeks))
    iso_weeks = sorted({row["iso_week"] for row in weeks})
    cell = {(row["leader_name"], row["iso_week"]): row["micromanagement_index"] for row in weeks}
    table = Table(
        caption=f"Micromanagement index by leader and ISO week ({who}); highest mean first",
        headers=["Leader", "Mean index", *iso_weeks],
        rows=[
            [name, number(mean, "score"), *(number(cell.get((name, w))) for w in iso_weeks)]
            for name, mean in leaders
        ],
    )
    top = leaders[0] if leaders else None
    alt_text = (
        f"Heatmap of the micromanagement index of {len(leaders)} leaders over "
        f"{len(iso_weeks)} weeks"
        + (f"; highest mean: {top[0]} ({number(top[1], 'score')})." if top else ".")
    )
    chart = charts.heatmap(
        weeks,
        x="iso_week",
        y="leader_name",
        value="micromanagement_index",
        title="Micromanagement index (signals breached) by leader and week",
        x_title="ISO week",
        y_title=None,
        value_title="Index",
    )
    return Chart("micromanagement", alt_text, charts.render(chart), table)


def leader_table(summary: list[dict], who: str) -> Table:
    """Per leader: mean index, flagged weeks, interventions, skip-level share, takeovers."""
    return Table(
        caption=f"Leaders' interventions over the weeks shown ({who})",
        headers=[
            "Leader",
            "Mean index",
            "Flagged weeks",
            "Interventions",
            "Skip-level",
            "Skip-level share",
            "Late-quarter takeovers",
        ],
        rows=[
            [
                row["leader_name"],
                number(row["mean_index"], "score"),
                number(row["flagged_weeks"]),
                number(row["interventions"]),
                number(row["skip_level_interventions"]),
                number(row["skip_level_share"], "share"),
                number(row["late_quarter_takeovers"]),
            ]
            for row in summary
        ],
    )


def interventions_chart(rows: list[dict], who: str, name_of) -> Chart:
    """Interventions from above by team and quarter; `name_of` names the top intervener."""
    table = Table(
        caption=f"Interventions by leaders above, by quarter ({who})",
        headers=[
            "Team",
            "Quarter",
            "Interventions above",
            "Late-quarter",
            "Takeovers",
            "Share of team actions",
            "Top intervener",
        ],
        rows=[
            [
                row["team_leader_name"],
                row["quarter_label"],
                number(row["interventions_above"]),
                number(row["late_quarter_interventions_above"]),
                number(row["takeovers_above"]),
                number(row["intervention_share_above"], "share"),
                name_of(row),
            ]
            for row in rows
        ],
    )
    chart = charts.bars(
        rows,
        category="team_leader_name",
        value="interventions_above",
        series="quarter_label",
        title="Interventions by leaders above, by quarter",
        value_title="Interventions",
        category_title=None,
    )
    most = max(rows, key=lambda r: r["interventions_above"] or 0, default=None)
    alt_text = "Bar chart of interventions from above per team and quarter" + (
        f"; most: {most['team_leader_name']} in {most['quarter_label']} "
        f"({number(most['interventions_above'])})."
        if most
        else "."
    )
    return Chart("interventions-above", alt_text, charts.render(chart), table)


def concentration_chart(rows: list[dict], who: str) -> Chart:
    """End-of-quarter concentration by team and quarter, most concentrated team first."""
    quarters = sorted({row["quarter_label"] for row in rows})
    teams = list(dict.fromkeys((row["team_leader_name"], row["mean_value"]) for row in rows))
    cell = {
        (r["team_leader_name"], r["quarter_label"]): r["end_of_quarter_concentration"] for r in rows
    }
    table = Table(
        caption=f"End-of-quarter concentration by team and quarter ({who}); highest mean first",
        headers=["Team", "Mean", *quarters],
        rows=[
            [t, number(mean, "share"), *(number(cell.get((t, q)), "share") for q in quarters)]
            for t, mean in teams
        ],
    )
    chart = charts.heatmap(
        rows,
        x="quarter_label",
        y="team_leader_name",
        value="end_of_quarter_concentration",
        title="Share of a quarter's won value closed in its last two weeks",
        x_title="Quarter",
        y_title=None,
        value_title="Share",
        value_format=".0%",
    )
    alt_text = f"Heatmap of end-of-quarter concentration for {len(teams)} teams" + (
        f"; highest mean: {teams[0][0]} ({number(teams[0][1], 'share')})." if teams else "."
    )
    return Chart("end-of-quarter", alt_text, charts.render(chart), table)


def skill_gap_chart(gaps: list[dict], who: str) -> Chart:
    """Skill gaps counted by team and skill, and the list of gaps with the reps' names."""
    counts: dict[tuple[str, str], int] = {}
    for gap in gaps:
        key = (gap["team_leader_name"], gap["skill"])
        counts[key] = counts.get(key, 0) + 1
    bars = [{"team": t, "skill": s, "gaps": n} for (t, s), n in counts.items()]
    table = Table(
        caption=f"Skill gaps over the trailing 365 days ({who})",
        headers=["Rep", "Team", "Skill", "Value", "Team 25th pct", "Team median", "Deals"],
        rows=[
            [
                g["rep_name"],
                g["team_leader_name"],
                g["skill"],
                number(g["value"], "score"),
                number(g["team_p25"], "score"),
                number(g["team_median"], "score"),
                number(g["deals"]),
            ]
            for g in gaps
        ],
    )
    chart = charts.heatmap(
        bars,
        x="skill",
        y="team",
        value="gaps",
        title="Reps with a skill gap, by team and skill (trailing 365 days)",
        x_title="Skill",
        y_title=None,
        value_title="Reps",
    )
    alt_text = (
        f"Heatmap of {len(gaps)} skill gaps by team and skill; reps with a gap: "
        + (", ".join(dict.fromkeys(g["rep_name"] for g in gaps)) or "none")
        + "."
    )
    return Chart("skill-gaps", alt_text, charts.render(chart), table)


def rep_hygiene_chart(reps: list[dict], who: str) -> Chart:
    """Each rep's open deals by hygiene flag, the most stale first."""
    flags = {
        "stale_deals": "Stale",
        "past_due_deals": "Past due",
        "slipping_deals": "Slipping",
        "stuck_deals": "Stuck",
        "missing_next_step_deals": "No next step",
    }
    points = [
        {"rep": r["rep_name"], "flag": label, "deals": r[column]}
        for r in reps
        for column, label in flags.items()
        if r[column]
    ]
    table = Table(
        caption=f"Reps' open-deal hygiene ({who}); most stale first",
        headers=["Rep", "Team", "Open deals", "Open value", *flags.values(), "Complete"],
        rows=[
            [
                r["rep_name"] + ("" if r["is_active"] else " (inactive)"),
                r["manager_name"] or "",
                number(r["open_deals"]),
                number(r["open_value"], "currency"),
                *(number(r[c]) for c in flags),
                number(r["completeness"], "share"),
            ]
            for r in reps
        ],
    )
    chart = charts.bars(
        points or [{"rep": "", "flag": "Stale", "deals": 0}],
        category="rep",
        value="deals",
        series="flag",
        title="Open deals with a hygiene flag, by rep",
        value_title="Open deals",
        category_title=None,
    )
    top = reps[0] if reps else None
    alt_text = f"Bar chart of open deals by hygiene flag for {len(reps)} reps" + (
        f"; most stale: {top['rep_name']} ({number(top['stale_deals'])} stale)." if top else "."
    )
    return Chart("rep-hygiene", alt_text, charts.render(chart), table)


def trend_chart(rows: list[dict], key: str, measure: str, title: str, who: str) -> Chart:
    """A history measure per director over the as-of dates, as a line chart and a table."""
    unit = DIRECTOR_MEASURES[measure]
    table = Table(
        caption=f"{title} by as-of date ({who})",
        headers=["Director", "As of", title],
        rows=[[r["director_name"], r["as_of"].isoformat(), number(r[measure], unit)] for r in rows],
    )
    fmt = ".0%" if unit == "share" else ",.2f" if unit == "score" else ",.0f"
    chart = charts.lines(
        rows,
        x="as_of",
        value=measure,
        series="director_name",
        title=f"{title} by as-of date (history)",
        x_title="As of",
        value_title=title,
        value_format=fmt,
    )
    dates = sorted({r["as_of"] for r in rows})
    alt_text = f"Line chart of {title.lower()} per director over {len(dates)} as-of date(s)."
    return Chart(key, alt_text, charts.render(chart), table)


def since_last_report(pairs: list[tuple[dict, dict | None]], who: str, first: bool) -> Table:
    """Each director's history measures now and their change since the previous report."""
    measures = ["open_deals", "stale_deals", "stale_value", "past_due_deals", "hygiene_score"]
    headers = ["Director"]
    for m in measures:
        headers += [m.replace("_", " ").capitalize(), "change"]
    rows = []
    for latest, previous in pairs:
        cells = [latest["director_name"]]
        for m in measures:
            unit = DIRECTOR_MEASURES[m]
            cells.append(number(latest[m], unit))
            cells.append(
                "first report" if first else delta(latest[m], (previous or {}).get(m), unit)
            )
        rows.append(cells)
    return Table(f"Since the last report ({who})", headers, rows)


def orphaned_pipeline(reps: list[dict], total: dict, who: str) -> list[Table]:
    """Open deals held by deactivated reps (H12), with the total and its share of the open
    deals; nothing when there are none."""
    if not reps:
        return []
    share = (
        number(total["orphaned_open_deals"] / total["open_deals"], "share")
        if total["open_deals"]
        else MISSING
    )
    return [
        Table(
            f"Orphaned pipeline ({who}): {number(total['orphaned_open_deals'])} open deals "
            f"worth {number(total['orphaned_open_value'], 'currency')} ({share} of the open "
            f"deals) held by people who have left; reassign them",
            ["Rep (deactivated)", "Manager", "Open deals", "Open value"],
            [
                [
                    row["rep_name"] or "",
                    row["manager_name"] or "",
                    number(row["orphaned_open_deals"]),
                    number(row["orphaned_open_value"], "currency"),
                ]
                for row in reps
            ],
        )
    ]


def reconciliation_table(row: dict) -> Table:
    """How the marts' open pipeline reconciles with the CRM's own (pipeline_reconciliation)."""
    lines = [
        ("The CRM's open pipeline (every deal landed)", "crm_open_deals", "crm_open_value"),
        ("less: held back by the quarantine", "quarantined_open_deals", "quarantined_open_value"),
        (
            "less: changed in the CRM since the as-of date",
            "changed_since_as_of_open_deals",
            "changed_since_as_of_open_value",
        ),
        ("The marts' open pipeline", "mart_open_deals", "mart_open_value"),
    ]
    return Table(
        f"How the marts reconcile with the CRM's own totals, as of {row['as_of']}: "
        f"unexplained difference {number(row['unexplained_difference'], 'currency')}",
        ["Open pipeline", "Deals", "Value"],
        [
            [label, number(row[deals]), number(row[value], "currency")]
            for label, deals, value in lines
        ]
        + [
            [
                "Unexplained",
                number(row["unexplained_open_deals"]),
                number(row["unexplained_difference"], "currency"),
            ]
        ],
    )
