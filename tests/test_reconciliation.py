"""The top of the hierarchy, orphaned pipeline and the pipeline reconciliation (issue #14)
on the tiny demo: the organisation row adds up its directors and the CEO's own deals,
the deactivated rep's open deals are orphaned pipeline, and the marts' open pipeline
reconciles with what the CRM sent, to the deal and the cent."""

from __future__ import annotations

import pytest

from pipelines.status import show_status


def test_the_organisation_row_is_its_directors_plus_the_ceos_own_deals(tiny_nightly):
    ceo = tiny_nightly.truth["ceo_id"]
    ((leader, members, open_deals, orphaned, orphaned_value),) = tiny_nightly.query(
        "select team_leader_id, team_members, open_deals, orphaned_open_deals, "
        "orphaned_open_value from marts.team_scorecard "
        "where team_leader_level = 'organisation' and is_current_quarter"
    )
    assert leader == ceo
    ((directors_open, directors_orphaned, directors_orphaned_value),) = tiny_nightly.query(
        "select sum(open_deals), sum(orphaned_open_deals), sum(orphaned_open_value) "
        "from marts.team_scorecard where team_leader_level = 'director' and is_current_quarter"
    )
    ((ceo_open, all_open, users),) = tiny_nightly.query(
        "select count(*) filter (where owner_id = ?), count(*), "
        "(select count(*) from marts.dim_users) from marts.fct_deals where not is_closed",
        [ceo],
    )
    assert ceo_open > 0
    assert open_deals == directors_open + ceo_open == all_open
    assert members == users - 1
    assert (orphaned, orphaned_value) == (directors_orphaned, directors_orphaned_value)


def test_the_organisation_row_is_one_per_quarter_and_no_team_leaders_row(tiny_nightly):
    quarters = tiny_nightly.query("select count(distinct quarter_start) from marts.team_scorecard")
    organisation = tiny_nightly.query(
        "select count(*), count(distinct quarter_start), count(autonomy_score), "
        "count(director_id) from marts.team_scorecard where team_leader_level = 'organisation'"
    )
    assert organisation == [(quarters[0][0], quarters[0][0], 0, 0)]


def test_the_deactivated_owners_open_deals_are_orphaned_pipeline(tiny_nightly):
    planted = tiny_nightly.truth["planted"]["deactivated_owner"]
    flagged = tiny_nightly.query(
        "select deal_id, owner_id from marts.fct_deals where is_owner_inactive order by deal_id"
    )
    assert flagged == [(deal, planted["user_id"]) for deal in sorted(planted["open_deal_ids"])]
    ((deals, value, mart_value),) = tiny_nightly.query(
        "select orphaned_open_deals, orphaned_open_value, open_value "
        "from marts.rep_hygiene where rep_id = ?",
        [planted["user_id"]],
    )
    assert deals == len(planted["open_deal_ids"])
    assert value == mart_value > 0
    ((active_reps_orphaned,),) = tiny_nightly.query(
        "select sum(orphaned_open_deals) from marts.rep_hygiene where is_active"
    )
    assert active_reps_orphaned == 0


def test_the_orphaned_pipeline_metric_is_its_share_of_open_value(tiny_nightly):
    ((org_value, threshold),) = tiny_nightly.query(
        "select org_value, threshold_value from marts.kpi_catalog where metric_id = 'H12'"
    )
    ((orphaned, open_value),) = tiny_nightly.query(
        "select sum(amount) filter (where is_owner_inactive), sum(amount) "
        "from marts.fct_deals where not is_closed"
    )
    assert org_value == pytest.approx(orphaned / open_value)
    assert threshold == 0.05


def test_the_crm_open_pipeline_is_every_landed_live_deal(tiny_nightly):
    ((crm_deals,),) = tiny_nightly.query(
        'select count(*) from raw_salesforce.opportunity where not "IsClosed" and not "IsDeleted"',
        working=True,
    )
    # the same deals, their amounts in the corporate currency as the canonical layer has them
    ((crm_value,),) = tiny_nightly.query(
        "select sum(amount) from intermediate.int_deals_screened "
        "where not is_closed and not is_deleted",
        working=True,
    )
    ((row),) = tiny_nightly.query(
        "select crm_open_deals, crm_open_value, quarantined_open_deals, quarantined_open_value, "
        "mart_open_deals, mart_open_value, changed_since_as_of_open_deals, "
        "unexplained_open_deals, unexplained_difference from marts.pipeline_reconciliation"
    )
    # values are summed as exact decimals to the millionth: equal to the cent
    cents = pytest.approx
    assert row[:2] == (crm_deals, cents(crm_value, abs=0.01))
    ((quarantined, quarantined_value),) = tiny_nightly.query(
        "select count(*), sum(amount) from (select distinct deal_id, amount "
        "from quarantine.deals where not is_closed)"
    )
    ((mart_deals, mart_value),) = tiny_nightly.query(
        "select count(*), sum(amount) from marts.fct_deals where not is_closed"
    )
    assert quarantined > 0
    assert row[2:] == (
        quarantined,
        cents(quarantined_value, abs=0.01),
        mart_deals,
        cents(mart_value, abs=0.01),
        0,
        0,
        0.0,
    )
    assert crm_value == cents(quarantined_value + mart_value, abs=0.01)


def test_status_shows_the_reconciliation_beside_the_quarantine(tiny_nightly, capsys):
    show_status(str(tiny_nightly.published))
    out = capsys.readouterr().out
    ((crm, quarantined, marts),) = tiny_nightly.query(
        "select crm_open_value, quarantined_open_value, mart_open_value "
        "from marts.pipeline_reconciliation"
    )
    block = out[out.index("Open pipeline as of 2026-11-27:") :].splitlines()
    assert block[1].split()[-1] == f"{crm:,.2f}"
    assert block[2].split()[:2] == ["quarantined", "3"]
    assert block[2].split()[-1] == f"{quarantined:,.2f}"
    assert block[3].split()[:2] == ["marts", "67"]
    assert block[3].split()[-1] == f"{marts:,.2f}"
    assert block[4].split() == ["unexplained", "0", "deals", "0.00"]
