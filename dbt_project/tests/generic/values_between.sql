{#- Every non-null value of column_name (a column or an expression) is within
    [min_value, max_value], bounds inclusive; leave a bound out for no limit. Nulls pass:
    a missing value is not_null's business. -#}

{% test values_between(model, column_name, min_value=none, max_value=none) %}

select {{ column_name }} as value
from {{ model }}
where {{ column_name }} is not null
    and (
        false
        {% if min_value is not none %} or {{ column_name }} < {{ min_value }} {% endif %}
        {% if max_value is not none %} or {{ column_name }} > {{ max_value }} {% endif %}
    )

{% endtest %}
