"""The metric marts recover every planted behaviour of the tiny demo org
(demo/org/planted.py), and leave the people nobody planted anything on mostly unflagged.

All tests read the warehouse the real nightly job published (`tiny_nightly`) and the
generator's truth file. The tiny org has 16 reps and 4 managers: statistics that need
volume (skill gaps need >= 10 deals behind a value) are judged over the trailing
365-day window, where each rep has enough deals; single quarters hold too few.
"""

from __future__ import annotations

from collections import defaultdict

import pytest


def _planted(run, name: str) -> dict:
    return run.truth["planted"][name]


def _rows(run, sql: str, params=None, *, working: bool = False) -> list[dict]:
    import duckdb

    from pipelines.warehouse import working_path

    path = working_path(run.published) if working else run.published
    con = duckdb.connect(str(path), read_only=True)
    try:
        cursor = con.execute(sql, params or [])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()


# -- the CEO intervening in one director's org at quarter end ---------------------


def test_ceo_is_the_top_skip_level_intervener_in_the_planted_weeks(tiny_nightly):
    ceo = _planted(tiny_nightly, "ceo_quarter_end_intervention")
    weeks = _rows(
        tiny_nightly,
        "select leader_id, iso_week, skip_level_interventions, most_intervened_report_id "
        "from marts.leader_signals_weekly where list_contains(?, iso_week)",
        [ceo["iso_weeks"]],
    )
    by_week = defaultdict(list)
    for row in weeks:
        by_week[row["iso_week"]].append(row)
    ceo_weeks = [
        w
        for w, rows in by_week.items()
        if any(r["leader_id"] == ceo["leader_id"] and r["skip_level_interventions"] for r in rows)
    ]
    # The CEO acts in (nearly) every planted week; a week may hold only a stray save.
    assert len(ceo_weeks) >= 0.75 * len(ceo["iso_weeks"])
    for week in ceo_weeks:
        top = max(by_week[week], key=lambda r: r["skip_level_interventions"])
        assert top["leader_id"] == ceo["leader_id"], week
        assert top["most_intervened_report_id"] == ceo["director_id"], week


def test_ceo_interventions_concentrate_in_quarter_end_weeks(tiny_nightly):
    ceo = _planted(tiny_nightly, "ceo_quarter_end_intervention")
    (in_windows, total, late_takeovers) = tiny_nightly.query(
        "select sum(interventions) filter (where list_contains(?, iso_week)), "
        "sum(interventions), sum(late_quarter_takeovers) "
        "from marts.leader_signals_weekly where leader_id = ?",
        [ceo["iso_weeks"], ceo["leader_id"]],
    )[0]
    assert total > 0
    assert in_windows / total >= 0.9
    assert late_takeovers >= 1
    (flagged_weeks,) = tiny_nightly.query(
        "select count(*) from marts.leader_signals_weekly "
        "where leader_id = ? and micromanagement_index > 0 and list_contains(?, iso_week)",
        [ceo["leader_id"], ceo["iso_weeks"]],
    )[0]
    assert flagged_weeks >= len(ceo["iso_weeks"]) // 2


def test_ceo_tops_the_interveners_above_the_planted_directors_teams(tiny_nightly):
    ceo = _planted(tiny_nightly, "ceo_quarter_end_intervention")
    teams = [ceo["director_id"], *tiny_nightly.truth["director_managers"][ceo["director_id"]]]
    rows = _rows(
        tiny_nightly,
        "select team_leader_id, quarter_label, top_intervener_id, autonomy_score "
        "from marts.team_scorecard "
        "where list_contains(?, team_leader_id) and list_contains(?, quarter_label)",
        [teams, ceo["quarters"]],
    )
    assert len(rows) == len(teams) * len(ceo["quarters"])
    for row in rows:
        assert row["top_intervener_id"] == ceo["leader_id"], row
        assert row["autonomy_score"] < 1.0, row


def test_the_other_directors_org_keeps_its_autonomy(tiny_nightly):
    ceo = _planted(tiny_nightly, "ceo_quarter_end_intervention")
    others = [d for d in tiny_nightly.truth["director_ids"] if d != ceo["director_id"]]
    rows = _rows(
        tiny_nightly,
        "select team_leader_id, quarter_label, top_intervener_id, interventions_above "
        "from marts.team_scorecard "
        "where list_contains(?, team_leader_id) and list_contains(?, quarter_label)",
        [others, ceo["quarters"]],
    )
    assert rows
    for row in rows:
        assert row["top_intervener_id"] != ceo["leader_id"] or row["interventions_above"] <= 2


def test_ceo_takeovers_credit_the_won_deal_to_the_owner_at_close(tiny_nightly):
    ceo = _planted(tiny_nightly, "ceo_quarter_end_intervention")
    rows = _rows(
        tiny_nightly,
        "select d.deal_id, d.close_owner_id, o.creation_owner_id "
        "from marts.fct_deals d join intermediate.int_deal_outcomes o using (deal_id) "
        "where d.is_won and list_contains(?, d.deal_id)",
        [ceo["takeover_deal_ids"]],
        working=True,  # intermediate models are the data team's, in the working file
    )
    assert rows, "no planted takeover deal was won"
    for row in rows:
        assert row["close_owner_id"] != row["creation_owner_id"], row


# -- the always-on manager and the coach --------------------------------------------


def _manager_indexes(run) -> dict[str, float]:
    managers = run.truth["manager_ids"]
    rows = run.query(
        "select leader_id, avg(micromanagement_index) from marts.leader_signals_weekly "
        "where list_contains(?, leader_id) group by leader_id",
        [managers],
    )
    return dict(rows)


def test_always_on_manager_has_the_highest_micromanagement_index(tiny_nightly):
    always_on = _planted(tiny_nightly, "always_on_manager")["manager_id"]
    indexes = _manager_indexes(tiny_nightly)
    assert max(indexes, key=indexes.get) == always_on
    assert indexes[always_on] >= 2
    # ... in every quarter of the scorecard, not only on average.
    rows = tiny_nightly.query(
        "select quarter_label, team_leader_id, own_micromanagement_index "
        "from marts.team_scorecard where team_leader_level = 'manager' "
        "and own_micromanagement_index is not null"
    )
    by_quarter = defaultdict(dict)
    for quarter, leader, index in rows:
        by_quarter[quarter][leader] = index
    for quarter, indexes in by_quarter.items():
        if always_on in indexes:
            assert max(indexes, key=indexes.get) == always_on, quarter


def test_always_on_manager_breaches_edits_and_directive_tasks(tiny_nightly):
    always_on = _planted(tiny_nightly, "always_on_manager")["manager_id"]
    (weeks, edit_breaches, task_breaches) = tiny_nightly.query(
        "select count(*), "
        "count(*) filter (where breached_signals like '%leader_edit_share%'), "
        "count(*) filter (where breached_signals like '%directive_tasks%') "
        "from marts.leader_signals_weekly where leader_id = ?",
        [always_on],
    )[0]
    assert edit_breaches >= 0.5 * weeks
    assert task_breaches >= 1


def test_coach_micromanagement_index_is_zero_or_one(tiny_nightly):
    coach = _planted(tiny_nightly, "coach_manager")["manager_id"]
    (weeks, worst) = tiny_nightly.query(
        "select count(*), max(micromanagement_index) from marts.leader_signals_weekly "
        "where leader_id = ?",
        [coach],
    )[0]
    assert weeks > 0
    assert worst <= 1


# -- reps: pushing, going stale, a weak stage, skipping stages, leaving ----------------


def test_pusher_has_the_most_slipping_deals(tiny_nightly):
    pusher = _planted(tiny_nightly, "close_date_pusher")["user_id"]
    rows = tiny_nightly.query(
        "select rep_id, slipping_deals, slipped_rate from marts.rep_hygiene "
        "order by slipping_deals desc, rep_id"
    )
    assert rows[0][0] == pusher
    assert rows[0][1] > max(slipping for rep, slipping, _ in rows[1:])
    (push_count,) = tiny_nightly.query(
        "select max(push_count) from marts.fct_deals where owner_id = ? and not is_closed",
        [pusher],
    )[0]
    assert push_count >= 3


def test_weak_rep_has_a_skill_gap_on_the_planted_stage(tiny_nightly):
    weak = _planted(tiny_nightly, "weak_stage_rep")
    rows = _rows(
        tiny_nightly,
        "select skill, value, deals, team_p25, is_skill_gap from marts.rep_skills "
        "where rep_id = ? and period_type = 'trailing' and skill = ?",
        [weak["user_id"], f"stage_conversion:{weak['stage']}"],
    )
    assert len(rows) == 1
    (row,) = rows
    assert row["deals"] >= 10
    assert row["is_skill_gap"], row
    assert row["value"] < row["team_p25"]
    # The gap is on that stage only, not on the other stages' conversion.
    (other_gaps,) = tiny_nightly.query(
        "select count(*) from marts.rep_skills where rep_id = ? and period_type = 'trailing' "
        "and metric_id = 'P1' and is_skill_gap and stage != ?",
        [weak["user_id"], weak["stage"]],
    )[0]
    assert other_gaps == 0


def test_stage_skipping_team_has_the_highest_stage_skip_rate(tiny_nightly):
    skipping = _planted(tiny_nightly, "stage_skipping_team")["manager_id"]
    managers = tiny_nightly.truth["manager_ids"]
    trailing = dict(
        tiny_nightly.query(
            "select manager_id, sum(skipped_moves) / sum(forward_moves) from marts.rep_hygiene "
            "where list_contains(?, manager_id) group by manager_id",
            [managers],
        )
    )
    assert max(trailing, key=trailing.get) == skipping
    quarters = tiny_nightly.query(
        "select quarter_label, team_leader_id, stage_skip_rate from marts.team_scorecard "
        "where team_leader_level = 'manager' and forward_moves >= 5"
    )
    by_quarter = defaultdict(dict)
    for quarter, leader, rate in quarters:
        by_quarter[quarter][leader] = rate
    won = [q for q, rates in by_quarter.items() if max(rates, key=rates.get) == skipping]
    assert len(won) >= 0.75 * len(by_quarter)


def test_deactivated_owner_keeps_a_row_and_its_stale_deals(tiny_nightly):
    gone = _planted(tiny_nightly, "deactivated_owner")
    (is_active, open_deals, stale) = tiny_nightly.query(
        "select is_active, open_deals, stale_deals from marts.rep_hygiene where rep_id = ?",
        [gone["user_id"]],
    )[0]
    assert is_active is False
    assert open_deals == len(gone["open_deal_ids"])
    assert stale >= 0.5 * open_deals


# -- nobody else: fewer than 10 % of non-planted people flagged ----------------------


def test_few_non_planted_leaders_are_flagged(tiny_nightly):
    truth = tiny_nightly.truth
    planted = {
        truth["ceo_id"],
        _planted(tiny_nightly, "always_on_manager")["manager_id"],
    }
    leaders = [u for u in truth["manager_ids"] + truth["director_ids"] if u not in planted]
    rows = tiny_nightly.query(
        "select leader_id, count(*), count(*) filter (where micromanagement_index > 0) "
        "from marts.leader_signals_weekly where list_contains(?, leader_id) "
        "group by leader_id",
        [leaders],
    )
    assert len(rows) == len(leaders)
    weeks = sum(total for _, total, _ in rows)
    flagged_weeks = sum(flagged for _, _, flagged in rows)
    assert flagged_weeks / weeks < 0.1
    # A leader is flagged when breaching in 10 % or more of their weeks.
    flagged_leaders = [leader for leader, total, flagged in rows if flagged >= 0.1 * total]
    assert flagged_leaders == []


def test_few_non_planted_reps_are_flagged(tiny_nightly):
    """A rep is flagged on a skill gap (trailing window), on a rep-level target
    (completeness < 0.9, slipped_rate > 0.2, stale_value_share > 0.25) or when most
    of their open deals carry one hygiene flag."""
    clean = tiny_nightly.truth["clean_rep_ids"]
    gaps = {
        rep
        for (rep,) in tiny_nightly.query(
            "select distinct rep_id from marts.rep_skills "
            "where period_type = 'trailing' and is_skill_gap and list_contains(?, rep_id)",
            [clean],
        )
    }
    hygiene = {
        rep
        for (rep,) in tiny_nightly.query(
            """
            select rep_id from marts.rep_hygiene
            where list_contains(?, rep_id) and (
                completeness < 0.9 or slipped_rate > 0.2 or stale_value_share > 0.25
                or (open_deals >= 2 and greatest(
                    stale_deals, past_due_deals, slipping_deals, stuck_deals,
                    missing_next_step_deals, single_threaded_deals, stage_regression_deals
                ) > 0.5 * open_deals)
            )
            """,
            [clean],
        )
    }
    flagged = gaps | hygiene
    assert len(flagged) < 0.1 * len(clean), sorted(flagged)


@pytest.mark.parametrize(
    "table", ["leader_signals_weekly", "rep_skills", "team_scorecard", "stage_funnel"]
)
def test_metric_marts_are_filled_on_the_demo_org(tiny_nightly, table):
    (rows,) = tiny_nightly.query(f"select count(*) from marts.{table}")[0]
    assert rows > 0
