{#- The org's fiscal calendar. Where it comes from, first that is set:
    1. var `fiscal_year_start_month` (and var `fiscal_quarters`) set explicitly
       (dbt_project.yml or --vars);
    2. what the run resolved from the CRM (pipelines/calendar.py): the
       environment variables TRUSTGAP_FISCAL_YEAR_START_MONTH and
       TRUSTGAP_FISCAL_QUARTERS, read only when executing, like TRUSTGAP_AS_OF
       (a value dbt sees while parsing makes it re-parse the project);
    3. January. -#}
{% macro fiscal_year_start_month() -%}
    {%- set month = var('fiscal_year_start_month', none) -%}
    {%- if (month is none or (month | string | trim) == '') and execute -%}
        {%- set month = env_var('TRUSTGAP_FISCAL_YEAR_START_MONTH', '') -%}
    {%- endif -%}
    {%- if month is none or (month | string | trim) == '' -%}
        {%- set month = 1 -%}
    {%- endif -%}
    {%- if not modules.re.fullmatch('[1-9]|1[0-2]', month | string | trim) -%}
        {{ exceptions.raise_compiler_error(
            "fiscal_year_start_month must be a month number 1-12, got '" ~ month ~ "'"
        ) }}
    {%- endif -%}
    {{ return(month | int) }}
{%- endmacro %}


{#- Custom fiscal quarters (Salesforce `Period` rows of Type Quarter in custom fiscal
    years), as a list of {start, end, label}; empty when the org has none. The
    var is a list of 'start/end/label' strings, the environment variable the same
    joined by ';', e.g. '2026-02-01/2026-05-02/2026-Q1'. Dates outside every
    custom quarter follow fiscal_year_start_month. -#}
{% macro fiscal_quarters() -%}
    {%- set spec = var('fiscal_quarters', none) -%}
    {%- if (spec is none or spec == '') and execute -%}
        {%- set spec = env_var('TRUSTGAP_FISCAL_QUARTERS', '') -%}
    {%- endif -%}
    {%- if spec is none or spec == '' -%}
        {{ return([]) }}
    {%- endif -%}
    {%- if spec is string -%}
        {%- set spec = spec.split(';') -%}
    {%- endif -%}
    {%- set quarters = [] -%}
    {%- for item in spec -%}
        {%- set parts = (item | string | trim).split('/') -%}
        {%- if parts | length != 3
            or not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', parts[0])
            or not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', parts[1])
            or not modules.re.fullmatch('[0-9A-Za-z_ -]{1,20}', parts[2]) -%}
            {{ exceptions.raise_compiler_error(
                "fiscal_quarters entries must be 'YYYY-MM-DD/YYYY-MM-DD/label', got '"
                ~ item ~ "'"
            ) }}
        {%- endif -%}
        {%- do quarters.append({'start': parts[0], 'end': parts[1], 'label': parts[2]}) -%}
    {%- endfor -%}
    {{ return(quarters) }}
{%- endmacro %}


{#- First day of the standard fiscal quarter (three months, the year starting in
    fiscal_year_start_month) containing a date. -#}
{% macro standard_quarter_start(date_value) -%}
    {%- set offset = fiscal_year_start_month() - 1 -%}
    cast(
        date_trunc('quarter', {{ date_value }} - interval {{ offset }} month)
        + interval {{ offset }} month
        as date
    )
{%- endmacro %}


{#- First day of the fiscal quarter containing a date. Around custom quarters the
    standard ones are cut short, so that no day is in two quarters. -#}
{% macro fiscal_quarter_start(date_value) -%}
    {%- set custom = fiscal_quarters() | sort(attribute='start') -%}
    {%- if custom -%}
        case
            {%- for q in custom %}
            when {{ date_value }} between date '{{ q.start }}' and date '{{ q.end }}'
                then date '{{ q.start }}'
            {%- endfor %}
            else greatest(
                {{ standard_quarter_start(date_value) }},
                case
                    {%- for q in custom | reverse %}
                    when {{ date_value }} > date '{{ q.end }}' then date '{{ q.end }}' + 1
                    {%- endfor %}
                end
            )
        end
    {%- else -%}
        {{ standard_quarter_start(date_value) }}
    {%- endif -%}
{%- endmacro %}


{#- First day of the fiscal quarter after the one containing a date: a custom
    quarter need not last three months (a 4-4-5 calendar's 13 weeks). -#}
{% macro fiscal_quarter_next_start(date_value) -%}
    {%- set custom = fiscal_quarters() | sort(attribute='start') -%}
    {%- set standard -%}
        cast({{ standard_quarter_start(date_value) }} + interval 3 month as date)
    {%- endset -%}
    {%- if custom -%}
        case
            {%- for q in custom %}
            when {{ date_value }} between date '{{ q.start }}' and date '{{ q.end }}'
                then date '{{ q.end }}' + 1
            {%- endfor %}
            else least(
                {{ standard }},
                case
                    {%- for q in custom %}
                    when {{ date_value }} < date '{{ q.start }}' then date '{{ q.start }}'
                    {%- endfor %}
                end
            )
        end
    {%- else -%}
        {{ standard }}
    {%- endif -%}
{%- endmacro %}


{#- A fiscal quarter's name, e.g. 2026-Q1, from its first day: the custom quarter's
    own, else fiscal years are named after the calendar year they start in. -#}
{% macro fiscal_quarter_label(quarter_start) -%}
    {%- set month = fiscal_year_start_month() -%}
    {%- set standard -%}
        cast(year({{ quarter_start }} - interval {{ month - 1 }} month) as string)
        || '-Q'
        || cast({{ int_div('(month(' ~ quarter_start ~ ') - ' ~ month ~ ' + 12) % 12', 3) }} + 1 as string)
    {%- endset -%}
    {%- set custom = fiscal_quarters() -%}
    {%- if custom -%}
        case {{ quarter_start }}
            {%- for q in custom %}
            when date '{{ q.start }}' then '{{ q.label }}'
            {%- endfor %}
            else {{ standard }}
        end
    {%- else -%}
        {{ standard }}
    {%- endif -%}
{%- endmacro %}
