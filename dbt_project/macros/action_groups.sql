{#- In a query over `action_groups` (actions counted per owner, week, actor and
    kind: int_leader_subtree_actions), the actions of the groups that meet
    `condition`: 0 when none, as count(*) filter (...) over the actions gives. -#}
{% macro sum_actions(condition) -%}
    cast(coalesce(sum(action_groups.n_actions) filter (where {{ condition }}), 0) as bigint)
{%- endmacro %}
