{#- Standard error of a share `p` observed on `n` deals (Agresti-Coull: two successes
    and two failures added, so 0 of 12 is not known exactly). Shares of amounts are
    treated as shares of deals, an approximation good enough to tell noise from a gap. -#}
{% macro share_standard_error(p, n) -%}
    sqrt(
        ((least(greatest({{ p }}, 0), 1) * ({{ n }}) + 2) / (({{ n }}) + 4))
        * (1 - (least(greatest({{ p }}, 0), 1) * ({{ n }}) + 2) / (({{ n }}) + 4))
        / (({{ n }}) + 4)
    )
{%- endmacro %}


{#- The periods skills are measured over: every fiscal quarter up to as_of and the
    trailing var trailing_days window (a select, for a CTE). -#}
{% macro skill_periods() -%}
    select
        'quarter' as period_type,
        quarter_start as period_start,
        period_end,
        quarter_label as period_label
    from {{ ref('int_fiscal_quarters') }}

    union all

    select
        'trailing' as period_type,
        cast({{ as_of_date() }} - {{ var('trailing_days') | int }} + 1 as date) as period_start,
        {{ as_of_date() }} as period_end,
        'trailing {{ var("trailing_days") | int }}d' as period_label
{%- endmacro %}


{#- Closed deals in each skill period, with the rep who closed them (a select for a
    CTE; the model defines `periods` from skill_periods()). -#}
{% macro skill_period_closes() -%}
    select
        periods.period_type,
        periods.period_start,
        outcomes.*
    from {{ ref('int_deal_outcomes') }} as outcomes
    inner join periods
        on outcomes.closed_on between periods.period_start and periods.period_end
    where outcomes.is_closed and outcomes.close_owner_id is not null
{%- endmacro %}


{#- The published shape of a CTE of skill rows (rep_id, period_type, period_start,
    metric_id, metric_name, stage, value, deals, standard_error): with the period's
    end and label from `periods`, and the skill's name. -#}
{% macro rep_skill_rows(skills) -%}
    select
        {{ skills }}.rep_id,
        {{ skills }}.period_type,
        {{ skills }}.period_start,
        periods.period_end,
        periods.period_label,
        {{ skills }}.metric_id,
        {{ skills }}.metric_name,
        {{ skills }}.stage,
        {{ skills }}.metric_name || coalesce(':' || {{ skills }}.stage, '') as skill,
        cast({{ skills }}.value as double) as value,
        cast({{ skills }}.deals as integer) as deals,
        cast({{ skills }}.standard_error as double) as standard_error
    from {{ skills }}
    inner join periods
        on
            {{ skills }}.period_type = periods.period_type
            and {{ skills }}.period_start = periods.period_start
{%- endmacro %}
