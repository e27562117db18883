"""Data quality and transparency: the quarantine, the run's checks, the metric registry."""

from __future__ import annotations

from pipelines.report.data import Reader
from pipelines.warehouse import has_table


def quarantine_counts(r: Reader) -> list[dict]:
    """Records held out of the metrics, per table and reason."""
    return r.rows(
        """
        select 'deals' as records, reason, count(*) as rows from quarantine.deals group by reason
        union all
        select 'activities', reason, count(*) from quarantine.activities group by reason
        order by records desc, rows desc, reason
        """
    )


def deal_totals(r: Reader) -> tuple[int, int]:
    """Deals in the metrics, and deals the CRM sent that the quarantine holds back."""
    return r.con.execute(
        "select (select count(*) from marts.fct_deals), "
        "(select count(distinct deal_id) from quarantine.deals)"
    ).fetchone()


def reconciliation(r: Reader) -> dict | None:
    """marts.pipeline_reconciliation's row: the CRM's open pipeline, the marts', and what
    explains the difference (None for a warehouse published before the mart existed)."""
    if not has_table(r.con, "marts", "pipeline_reconciliation"):
        return None
    rows = r.rows("select * from marts.pipeline_reconciliation")
    return rows[0] if rows else None


def check_summary(r: Reader) -> dict:
    """The published run's checks: how many passed, and the ones that did not."""
    (passed, failed) = r.con.execute(
        "select count(*) filter (where passed), count(*) filter (where not passed) "
        "from trustgap_meta.check_results"
    ).fetchone()
    failures = r.rows(
        "select asset, check_name, severity, description from trustgap_meta.check_results "
        "where not passed order by severity, asset, check_name"
    )
    return {"passed": passed, "failed": failed, "failures": failures}


def catalog(r: Reader) -> list[dict]:
    """Every metric as the registry publishes it, with its freshness now."""
    return r.rows(
        """
        select metric_id, label, trust_gap_cause, definition, formula, threshold,
               threshold_source, unit, higher_is_better, org_value, grain,
               source_freshness_hours, freshness_status, published_at
        from marts.kpi_catalog
        order by display_order
        """
    )
