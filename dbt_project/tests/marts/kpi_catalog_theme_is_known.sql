-- Every metric belongs to one of the four metric families.
select metric_id, theme
from {{ ref('kpi_catalog_as_of') }}
where theme not in (
    'pipeline_hygiene',
    'micromanagement',
    'process_and_skills',
    'kpi_freshness_and_governance'
)
