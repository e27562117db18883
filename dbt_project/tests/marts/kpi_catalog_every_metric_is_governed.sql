-- K3: every metric is published with a definition, an owner, a threshold and an as-of.
-- (kpi_catalog_as_of's own YAML holds the registry; its checks live here.)
select metric_id, definition, owner, threshold, computed_as_of
from {{ ref('kpi_catalog_as_of') }}
where definition is null
    or owner is null
    or threshold is null
    or computed_as_of is null
