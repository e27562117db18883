{#- Incremental models whose rows depend on as_of (macros/incremental.sql's, plus
    the date): int_deal_actions.

    A deal's rows change between two builds when its inputs landed since the last
    one (incremental.sql's watermark), or when the as-of date crossed one of its
    dated events: a change or an activity dated after the last build's as_of and by
    this one's, a deal created then, a date a rule compares with as_of (an activity
    more than quarantine_max_years_ahead ahead of it). `as_of_events` lists those:
    (relation, deal id column, date column, years added to both ends of the window).
    The last build's as_of is kept in trustgap_build.incremental_models; an earlier
    as_of than it (a backfill, a re-run of the past) rebuilds in full, as does
    anything that rebuilds an incremental model in full. -#}

{#- `scope` (incremental.sql's, not full) with the as-of window since the last build. -#}
{% macro as_of_window_scope(scope) -%}
    {%- set recorded = run_query(
        "select cast(as_of as string) from " ~ incremental_state_relation()
        ~ " where model = '" ~ model.name ~ "'"
    ).rows[0][0] -%}
    {%- set as_of = as_of_text() -%}
    {%- if recorded is none -%}
        {{ return({'full': true, 'watermark': none, 'reason': 'no recorded as_of'}) }}
    {%- endif -%}
    {%- if as_of < recorded -%}
        {{ return({'full': true, 'watermark': none,
            'reason': 'as_of ' ~ as_of ~ ' is before the last build\'s ' ~ recorded}) }}
    {%- endif -%}
    {%- do scope.update({'window': (recorded, as_of) if as_of > recorded else none}) -%}
    {%- if as_of > recorded -%}
        {%- do scope.update({'reason': 'incremental, as_of ' ~ recorded ~ ' -> ' ~ as_of}) -%}
    {%- endif -%}
    {{ return(scope) }}
{%- endmacro %}


{#- The as-of date as 'YYYY-MM-DD' (as_of_date() renders a SQL literal). -#}
{% macro as_of_text() -%}
    {{ return(modules.re.search('[0-9]{4}-[0-9]{2}-[0-9]{2}', as_of_date()).group(0)) }}
{%- endmacro %}


{#- The deal ids whose rows the as-of window (last as_of, this one] changes. -#}
{% macro as_of_window_deal_ids(as_of_events, window) -%}
    {%- for relation, deal_column, date_column, years in as_of_events %}
    select {{ deal_column }} as deal_id from {{ relation }}
    where
        {{ date_column }} > date '{{ window[0] }}' + interval {{ years }} year
        and {{ date_column }} <= date '{{ window[1] }}' + interval {{ years }} year
    {% if not loop.last %}union{% endif %}
    {%- endfor %}
{%- endmacro %}


{#- Deals to rebuild on an incremental build: keyed inputs landed since the watermark
    (`deal_inputs`: deal id columns), and the as-of window's. -#}
{% macro as_of_changed_deal_ids(deal_inputs, as_of_events, scope) -%}
    {{ incremental_changed_deal_ids(deal_inputs, scope.watermark) }}
    {%- if scope.window %}
    union
    {{ as_of_window_deal_ids(as_of_events, scope.window) }}
    {%- endif %}
{%- endmacro %}


{#- Rows keyed by something other than their deal (an activity can move to another
    deal) landed since the watermark: `keyed_inputs` are (relation, key column). -#}
{% macro incremental_changed_keys(keyed_inputs, watermark) -%}
    {{ incremental_changed_deal_ids(keyed_inputs, watermark) }}
{%- endmacro %}
