{{ config(alias='team_scorecard') }}

{#- This run's rows for history.team_scorecard: the current fiscal quarter's row of
    every team as it stood on as_of (past quarters are in the mart itself), with
    every column the mart has. -#}

select * from {{ ref('team_scorecard') }}  -- noqa: AM04
where is_current_quarter
