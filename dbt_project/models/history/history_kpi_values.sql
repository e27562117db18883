{{ config(alias='kpi_values') }}

{#- This run's rows for history.kpi_values: each metric's org value and threshold
    on as_of, with what a chart needs to label it (from the catalog as built: the
    kpi_catalog view's freshness is the reader's clock, not history). -#}

with catalog as (
    select * from {{ ref('kpi_catalog_as_of') }}
),

final as (
    select
        computed_as_of as as_of,
        metric_id,
        label,
        unit,
        theme,
        higher_is_better,
        display_order,
        org_value,
        threshold_value
    from catalog
)

select * from final
