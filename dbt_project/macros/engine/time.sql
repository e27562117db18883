{#- Time zones and date arithmetic that the engines spell differently. -#}

{#- The wall-clock time in `zone` of an instant, as a zone-less timestamp. -#}
{% macro wall_clock(zone, instant) -%}
    {{ return(adapter.dispatch('wall_clock', 'trustgap')(zone, instant)) }}
{%- endmacro %}
{% macro default__wall_clock(zone, instant) -%}
    timezone('{{ zone }}', {{ instant }})
{%- endmacro %}
{#- The session zone is UTC (profiles.yml), so Spark's from_utc_timestamp gives the
    zone's wall clock as a timestamp. -#}
{% macro spark__wall_clock(zone, instant) -%}
    from_utc_timestamp({{ instant }}, '{{ zone }}')
{%- endmacro %}

{#- The instant at which the clocks of `zone` show a zone-less timestamp. -#}
{% macro instant_of(zone, wall_clock) -%}
    {{ return(adapter.dispatch('instant_of', 'trustgap')(zone, wall_clock)) }}
{%- endmacro %}
{% macro default__instant_of(zone, wall_clock) -%}
    timezone('{{ zone }}', {{ wall_clock }})
{%- endmacro %}
{% macro spark__instant_of(zone, wall_clock) -%}
    to_utc_timestamp({{ wall_clock }}, '{{ zone }}')
{%- endmacro %}

{#- An instant from epoch milliseconds. -#}
{% macro from_epoch_ms(milliseconds) -%}
    {{ return(adapter.dispatch('from_epoch_ms', 'trustgap')(milliseconds)) }}
{%- endmacro %}
{% macro default__from_epoch_ms(milliseconds) -%}
    to_timestamp({{ milliseconds }} / 1000)
{%- endmacro %}
{% macro spark__from_epoch_ms(milliseconds) -%}
    timestamp_millis({{ milliseconds }})
{%- endmacro %}

{#- Text in one of `formats` (strftime patterns, tried in order) as an instant;
    null when none fits, never an error. -#}
{% macro try_parse_timestamp(text, formats) -%}
    {%- set formats = [formats] if formats is string else formats -%}
    {{ return(adapter.dispatch('try_parse_timestamp', 'trustgap')(text, formats)) }}
{%- endmacro %}
{% macro default__try_parse_timestamp(text, formats) -%}
    {%- if formats | length == 1 -%}
        try_strptime({{ text }}, '{{ formats[0] }}')
    {%- else -%}
        try_strptime({{ text }}, [{% for f in formats %}'{{ f }}'{{ ', ' if not loop.last }}{% endfor %}])
    {%- endif -%}
{%- endmacro %}
{% macro spark__try_parse_timestamp(text, formats) -%}
    coalesce(
        {%- for f in formats %}
        try_to_timestamp({{ text }}, '{{ spark_datetime_pattern(f) }}')
        {{- ',' if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}

{#- A strftime pattern as Spark's (Java DateTimeFormatter) pattern: the directives
    the CRM formats use. -#}
{% macro spark_datetime_pattern(strftime) -%}
    {%- set java = strftime
        | replace("T", "\\'T\\'")
        | replace('%Y', 'yyyy') | replace('%m', 'MM') | replace('%d', 'dd')
        | replace('%H', 'HH') | replace('%M', 'mm') | replace('%S', 'ss')
        | replace('.%g', '.SSS') | replace('%z', 'Z') -%}
    {{- java -}}
{%- endmacro %}

{#- Seconds from instant `start` to instant `stop`, as a double. -#}
{% macro seconds_between(start, stop) -%}
    {{ return(adapter.dispatch('seconds_between', 'trustgap')(start, stop)) }}
{%- endmacro %}
{% macro default__seconds_between(start, stop) -%}
    epoch({{ stop }} - {{ start }})
{%- endmacro %}
{% macro spark__seconds_between(start, stop) -%}
    cast(unix_micros({{ stop }}) - unix_micros({{ start }}) as double) / 1000000
{%- endmacro %}

{#- The ISO week of a date as text, e.g. 2026-W48 (ISO year, two-digit week). -#}
{% macro iso_week(date_value) -%}
    {{ return(adapter.dispatch('iso_week', 'trustgap')(date_value)) }}
{%- endmacro %}
{% macro default__iso_week(date_value) -%}
    strftime({{ date_value }}, '%G-W%V')
{%- endmacro %}
{% macro spark__iso_week(date_value) -%}
    concat(
        cast(extract(yearofweek from {{ date_value }}) as string), '-W',
        lpad(cast(extract(week from {{ date_value }}) as string), 2, '0')
    )
{%- endmacro %}

{#- One row per date from `start` to `stop` (inclusive) every `step_days` days: a
    select-list item named `alias` (the row multiplies, as unnest does). -#}
{% macro date_series_item(start, stop, step_days, alias) -%}
    {{ return(adapter.dispatch('date_series_item', 'trustgap')(start, stop, step_days, alias)) }}
{%- endmacro %}
{% macro default__date_series_item(start, stop, step_days, alias) -%}
    cast(unnest(generate_series({{ start }}, {{ stop }}, interval {{ step_days }} day)) as date)
        as {{ alias }}
{%- endmacro %}
{% macro spark__date_series_item(start, stop, step_days, alias) -%}
    explode(sequence(
        cast({{ start }} as date), cast({{ stop }} as date), interval {{ step_days }} day
    )) as {{ alias }}
{%- endmacro %}

{#- Month boundaries crossed from date `start` to date `stop` (DuckDB's
    date_diff('month', ...)), in SQL every engine speaks. -#}
{% macro month_boundaries(start, stop) -%}
    ((year({{ stop }}) - year({{ start }})) * 12 + month({{ stop }}) - month({{ start }}))
{%- endmacro %}

{#- Whole days from date `start` to date `stop` (DuckDB: date - date is an integer;
    Spark: an interval). -#}
{% macro days_between(start, stop) -%}
    {{ return(adapter.dispatch('days_between', 'trustgap')(start, stop)) }}
{%- endmacro %}
{% macro default__days_between(start, stop) -%}({{ stop }} - {{ start }}){%- endmacro %}
{% macro spark__days_between(start, stop) -%}datediff({{ stop }}, {{ start }}){%- endmacro %}
