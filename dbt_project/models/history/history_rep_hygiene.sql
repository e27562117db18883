{{ config(alias='rep_hygiene') }}

{#- This run's rows for history.rep_hygiene: every rep's hygiene on as_of, with
    every column the mart has (a column it gains is history from then on). -#}

select * from {{ ref('rep_hygiene') }}  -- noqa: AM04
