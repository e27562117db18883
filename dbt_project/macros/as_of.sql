{#- The date every metric is computed as of, as a SQL date literal.

    Models never read now()/current_date: with var `as_of` set, the same data
    gives the same numbers on any day. The nightly run sets TRUSTGAP_AS_OF
    instead, read only when executing: a value dbt sees while parsing (a --vars
    flag, an env var) makes it re-parse the project every day (~5 s), as parsing
    depends on it. Unset, it is the run's start date in org_timezone(). -#}
{% macro as_of_date() -%}
    {%- set as_of = var('as_of', none) -%}
    {%- if (as_of is none or (as_of | string | trim) == '') and execute -%}
        {%- set as_of = env_var('TRUSTGAP_AS_OF', '') -%}
    {%- endif -%}
    {%- if as_of is none or (as_of | string | trim) == '' -%}
        {%- set zone = modules.pytz.timezone(org_timezone()) -%}
        {%- set as_of = run_started_at.astimezone(zone).strftime('%Y-%m-%d') -%}
    {%- endif -%}
    {%- set as_of = as_of | string | trim -%}
    {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', as_of) -%}
        {{ exceptions.raise_compiler_error(
            "var as_of must be a date 'YYYY-MM-DD', got '" ~ as_of ~ "'"
        ) }}
    {%- endif -%}
    date '{{ as_of }}'
{%- endmacro %}


{#- The zone day and ISO-week boundaries are taken in. Where it comes from, first
    that is set: var `timezone` set explicitly (dbt_project.yml or --vars); what the
    run resolved (pipelines/calendar.py: TRUSTGAP_TIMEZONE, else the CRM org's zone),
    passed as the environment variable TRUSTGAP_TIMEZONE and read only when
    executing (see as_of_date); UTC. -#}
{% macro org_timezone() -%}
    {%- set zone = var('timezone', none) -%}
    {%- if (zone is none or (zone | string | trim) == '') and execute -%}
        {%- set zone = env_var('TRUSTGAP_TIMEZONE', '') -%}
    {%- endif -%}
    {%- set zone = (zone or 'UTC') | string | trim -%}
    {%- if not modules.re.fullmatch('[A-Za-z][A-Za-z0-9_+/-]{0,63}', zone) -%}
        {{ exceptions.raise_compiler_error(
            "timezone must be an IANA time zone such as America/Los_Angeles, got '" ~ zone ~ "'"
        ) }}
    {%- endif -%}
    {{ return(zone) }}
{%- endmacro %}


{#- The calendar date of a timestamptz in org_timezone(). -#}
{% macro local_date(timestamp_tz) -%}
    cast({{ wall_clock(org_timezone(), timestamp_tz) }} as date)
{%- endmacro %}


{#- Midnight of a date in org_timezone(), as a timestamptz. -#}
{% macro local_midnight(date_value) -%}
    {{ instant_of(org_timezone(), 'cast(' ~ date_value ~ ' as timestamp)') }}
{%- endmacro %}


{#- The calendar date a CRM sent as a timestamp (HubSpot's closedate): exactly midnight
    UTC is HubSpot's way of writing a bare date, which is that day wherever the org is
    (in org_timezone() it would be the day before west of Greenwich); any other instant
    is a moment, taken on its day in org_timezone(). -#}
{% macro crm_date(timestamp_tz) -%}
    case
        when {{ wall_clock('UTC', timestamp_tz) }}
            = cast(cast({{ wall_clock('UTC', timestamp_tz) }} as date) as timestamp)
            then cast({{ wall_clock('UTC', timestamp_tz) }} as date)
        else {{ local_date(timestamp_tz) }}
    end
{%- endmacro %}
