{{ config(alias='rep_hygiene') }}

{#- This run's rows for history.rep_hygiene: every rep's hygiene on as_of. -#}

select * from {{ ref('rep_hygiene') }}
