{#- Standard error of a share `p` observed on `n` deals (Agresti-Coull: two successes
    and two failures added, so 0 of 12 is not known exactly). Shares of amounts are
    treated as shares of deals, an approximation good enough to tell noise from a gap. -#}
{% macro share_standard_error(p, n) -%}
    sqrt(
        ((least(greatest({{ p }}, 0), 1) * ({{ n }}) + 2) / (({{ n }}) + 4))
        * (1 - (least(greatest({{ p }}, 0), 1) * ({{ n }}) + 2) / (({{ n }}) + 4))
        / (({{ n }}) + 4)
    )
{%- endmacro %}
