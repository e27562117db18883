-- K1: raw data stale at the run is reported, not blocked: the catalog says so per metric.
{{ config(severity='warn') }}

select metric_id, source_freshness_hours_at_as_of
from {{ ref('kpi_catalog_as_of') }}
where not is_fresh_at_as_of
