{#- Aggregates that give the same double on every run. DuckDB adds doubles in
    parallel, in whatever order its threads finish, so a sum of amounts with cents
    or a standard deviation can differ in the last bit between two runs on the same
    data; summed as decimals they cannot (same data, same numbers: see as_of.sql). -#}

{% macro exact_sum(expression, where=none) -%}
    cast(
        sum(cast({{ expression }} as decimal(38, 6)))
        {%- if where %} filter (where {{ where }}){% endif %}
        as double
    )
{%- endmacro %}


{% macro exact_sum_of_squares(expression, where=none) -%}
    cast(
        sum(cast({{ expression }} as decimal(38, 4)) * cast({{ expression }} as decimal(38, 4)))
        {%- if where %} filter (where {{ where }}){% endif %}
        as double
    )
{%- endmacro %}


{% macro exact_avg(expression, where=none) -%}
    (
        {{ exact_sum(expression, where) }}
        / nullif(count({{ expression }}){% if where %} filter (where {{ where }}){% endif %}, 0)
    )
{%- endmacro %}


{#- Sample standard deviation from exact sums; null below two values. -#}
{% macro exact_stddev(expression) -%}
    case
        when count({{ expression }}) > 1 then sqrt(greatest(
            cast(
                count({{ expression }})
                * sum(cast({{ expression }} as decimal(38, 4)) * cast({{ expression }} as decimal(38, 4)))
                - sum(cast({{ expression }} as decimal(38, 4)))
                * sum(cast({{ expression }} as decimal(38, 4)))
                as double
            ) / (count({{ expression }}) * (count({{ expression }}) - 1)),
            0
        ))
    end
{%- endmacro %}
