{{ config(alias='team_scorecard') }}

{#- This run's rows for history.team_scorecard: the current fiscal quarter's row of
    every team, as it stood on as_of (past quarters are in the mart itself). -#}

select * from {{ ref('team_scorecard') }}
where is_current_quarter
