-- K1: stale raw data is reported, not blocked: the catalog says so per metric.
{{ config(severity='warn') }}

select metric_id, source_freshness_hours
from {{ ref('kpi_catalog') }}
where not is_fresh
