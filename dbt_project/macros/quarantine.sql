{#- Quarantine rules shared by the screened canonical models (int_deals_screened,
    int_activities_screened). A model lists its rules and quarantine_problems()
    turns them into one column: an empty list for a valid row, else one
    {reason, field, value} struct per broken rule. A row with any problem stays out
    of the metrics and is listed, one row per problem, in the quarantine schema
    (models/quarantine). Reasons:

      unparseable_date  a date the CRM sent that is not a date ("2026-02-30")
      absurd_date       a date before var quarantine_min_date or more than
                        var quarantine_max_years_ahead years after as_of
      negative_amount   an amount below zero
      unknown_stage     a stage its pipeline does not list
      orphan_owner      an owner id that names no user
      orphan_deal       an activity on a deal id the CRM never returned
-#}

{#- The problems column. Only rows breaking some rule build a list: valid rows
    (nearly all of millions of activities) get an empty one without it. -#}
{% macro quarantine_problems(rules) -%}
    {{ return(adapter.dispatch('quarantine_problems', 'trustgap')(rules)) }}
{%- endmacro %}

{% macro default__quarantine_problems(rules) -%}
    case
        when {% for rule in rules %}({{ rule.condition }}){{ ' or ' if not loop.last }}{% endfor %}
            then list_filter(
                [
                    {%- for rule in rules %}
                    case when {{ rule.condition }} then {
                        'reason': '{{ rule.reason }}',
                        'field': '{{ rule.field }}',
                        'value': cast({{ rule.value }} as string)
                    } end{{ ',' if not loop.last }}
                    {%- endfor %}
                ],
                lambda problem: problem is not null
            )
        else []
    end
{%- endmacro %}


{#- Spark: an array of named structs, the rules that hold filtered out (an empty
    array of the same type for a valid row). -#}
{% macro spark__quarantine_problems(rules) -%}
    filter(
        array(
            {%- for rule in rules %}
            case when {{ rule.condition }} then named_struct(
                'reason', '{{ rule.reason }}',
                'field', '{{ rule.field }}',
                'value', cast({{ rule.value }} as string)
            ) end{{ ',' if not loop.last }}
            {%- endfor %}
        ),
        problem -> problem is not null
    )
{%- endmacro %}

{#- One rule: `condition` (SQL, true when broken), the reason, the canonical field
    and the offending value (SQL). -#}
{% macro quarantine_rule(condition, reason, field, value) -%}
    {%- do return({'condition': condition, 'reason': reason, 'field': field, 'value': value}) -%}
{%- endmacro %}


{#- The CRM sent text (`text_column`) that did not type into `typed_column`. -#}
{% macro unparseable_date_rule(typed_column, text_column, field) -%}
    {%- do return(quarantine_rule(
        typed_column ~ " is null and nullif(trim(" ~ text_column ~ "), '') is not null",
        'unparseable_date', field, text_column
    )) -%}
{%- endmacro %}


{% macro absurd_date_rule(date_column, field) -%}
    {%- do return(quarantine_rule(
        date_column ~ " < date '" ~ var('quarantine_min_date') ~ "' or " ~ date_column ~ " > "
            ~ as_of_date() ~ " + interval " ~ var('quarantine_max_years_ahead') ~ " year",
        'absurd_date', field, date_column
    )) -%}
{%- endmacro %}


{#- `id_column` names a row that a left join on it (`matched_column`) did not find. -#}
{% macro orphan_rule(id_column, matched_column, reason, field) -%}
    {%- do return(quarantine_rule(
        id_column ~ " is not null and " ~ matched_column ~ " is null", reason, field, id_column
    )) -%}
{%- endmacro %}
