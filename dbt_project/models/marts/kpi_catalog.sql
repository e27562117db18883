{#- The metric catalog BI reads: kpi_catalog_as_of as the run built it, with K1
    freshness computed when the view is read (hours from each metric's
    source_last_loaded_at to now()), not frozen at publish, and the publish time of
    the file being read. A view so that a published warehouse ages by itself: it
    reads only marts and trustgap_meta, the schemas a published warehouse keeps.
    The thresholds are the dbt vars freshness_warn_hours / freshness_error_hours,
    compiled in. -#}

{{ config(materialized='view') }}

with catalog as (
    select * from {{ ref('kpi_catalog_as_of') }}
),

-- null until the first publish writes the run log
published as (
    select max(published_at) as published_at
    from {{ source('trustgap_meta', 'runs') }}
),

aged as (
    select
        catalog.*,
        published.published_at,
        -- K1 at read time: the clock is the point of this view
        {{ seconds_between('catalog.source_last_loaded_at', 'now()') }} / 3600.0
            as source_freshness_hours
    from catalog
    cross join published
),

graded as (
    select
        *,
        case
            when source_last_loaded_at is null then 'empty'
            when source_freshness_hours >= {{ var('freshness_error_hours') }} then 'error'
            when source_freshness_hours >= {{ var('freshness_warn_hours') }} then 'warn'
            else 'pass'
        end as freshness_status
    from aged
),

final as (
    select
        *,
        freshness_status in ('pass', 'empty') as is_fresh
    from graded
)

-- every column of kpi_catalog_as_of passes through; the contract names them all
select * from final  -- noqa: AM04
