{#- A history amount (text, in the deal's own currency) in the corporate currency,
    written as the branches write amounts ('%.2f'); `rate` is units of the deal's
    currency per corporate unit. A deal without a currency code (single-currency
    org) keeps the value exactly as the CRM sent it. -#}
{% macro corporate_amount_text(value, currency_code, rate) -%}
    case
        when {{ currency_code }} is null then {{ value }}
        else {{ fixed_text('try_cast(' ~ value ~ ' as double) / ' ~ rate, 2) }}
    end
{%- endmacro %}


{#- A deal with an amount in a currency the CRM gave no rate for: its corporate
    amount is unknown, so the deal stays out of every roll-up (quarantined). -#}
{% macro unknown_currency_rule(deals) -%}
    {%- do return(quarantine_rule(
        deals ~ ".currency_code is not null and " ~ deals ~ ".amount is null and "
        ~ deals ~ ".amount_original is not null",
        'unknown_currency', 'currency_code', deals ~ '.currency_code'
    )) -%}
{%- endmacro %}
