{#- Every non-null value of column_name contains a match of the regular expression
    (anchor it with ^ and $ to match the whole value). Nulls pass. -#}

{% test matches_regex(model, column_name, regex) %}

select {{ column_name }} as value
from {{ model }}
where {{ column_name }} is not null
    and not {{ trustgap.regex_contains(column_name, regex) }}

{% endtest %}
