{#- Quarantine rules shared by the screened canonical models (int_deals_screened,
    int_activities_screened). Each macro is a SQL expression that is a problem
    struct {reason, field, value} when the rule is broken, else null; a model
    collects them with list_filter(..., lambda problem: problem is not null).
    A row with any problem stays out of the metrics and is listed, one row per
    problem, in the quarantine schema (models/quarantine). Reasons:

      unparseable_date  a date the CRM sent that is not a date ("2026-02-30")
      absurd_date       a date before var quarantine_min_date or more than
                        var quarantine_max_years_ahead years after as_of
      negative_amount   an amount below zero
      unknown_stage     a stage its pipeline does not list
      orphan_owner      an owner id that names no user
      orphan_deal       an activity on a deal id the CRM never returned
-#}

{% macro quarantine_if(condition, reason, field, value) -%}
    case when {{ condition }} then {
        'reason': '{{ reason }}', 'field': '{{ field }}', 'value': cast({{ value }} as varchar)
    } end
{%- endmacro %}


{#- The CRM sent text (`text_column`) that did not type into `typed_column`. -#}
{% macro quarantine_unparseable_date(typed_column, text_column, field) -%}
    {{ quarantine_if(
        typed_column ~ " is null and nullif(trim(" ~ text_column ~ "), '') is not null",
        'unparseable_date', field, text_column
    ) }}
{%- endmacro %}


{% macro quarantine_absurd_date(date_column, field) -%}
    {{ quarantine_if(
        date_column ~ " < date '" ~ var('quarantine_min_date') ~ "' or " ~ date_column ~ " > "
            ~ as_of_date() ~ " + interval " ~ var('quarantine_max_years_ahead') ~ " year",
        'absurd_date', field, date_column
    ) }}
{%- endmacro %}


{#- `id_column` names a row that a left join on it (`matched_column`) did not find. -#}
{% macro quarantine_orphan(id_column, matched_column, reason, field) -%}
    {{ quarantine_if(
        id_column ~ " is not null and " ~ matched_column ~ " is null", reason, field, id_column
    ) }}
{%- endmacro %}
