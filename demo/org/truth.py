"""What was planted in the demo org, written down so tests can check the pipeline finds it.

`build_truth` lists the org's people, stages, row counts, every planted behaviour
with the ids it touches, and the wire-format conventions a consumer must know.
"""

from __future__ import annotations

from demo.org.context import Context
from demo.org.lifecycle import STAGES
from demo.org.org_calendar import TIME_ZONE, local_date, local_time
from demo.org.wire import DAY, format_date, format_datetime

# Wire-format facts a consumer of the demo data must know; copied into the truth.
CONVENTIONS = {
    "owner_field_history": "two OpportunityFieldHistory rows per owner change: "
    "DataType EntityId (user ids) and DataType Text (user names)",
    "forecast_category": "Opportunity/OpportunityStage.ForecastCategoryName hold labels "
    "(Pipeline, Best Case, Commit, Closed, Omitted); OpportunityHistory.ForecastCategory "
    "holds API values (Pipeline, BestCase, Forecast, Closed, Omitted)",
    "forecast_category_history": "ForecastCategoryName field history includes the changes "
    "a stage change causes, not only manual overrides",
    "opportunity_history_system_modstamp": "a snapshot's SystemModstamp is the CreatedDate "
    "of the deal's next snapshot (the last one keeps its CreatedDate)",
    "future_dates": "nothing is created or modified on or after as_of; only open deals' "
    "CloseDate, open tasks' ActivityDate and planned meetings' ActivityDateTime may be later",
    "dirty_rows": "dirty values are patched on the current record only; history rows keep "
    "the values from before the damage",
}


def build_truth(ctx, size, seed, as_of, deals_by_owner, dirty_rows, orphans) -> dict:
    org, cast, ids = ctx.org, ctx.cast, ctx.user_ids
    opportunity_ids = [row[0] for row in ctx.tables["Opportunity"].rows]

    def open_deals(user: int) -> list[str]:
        return [opportunity_ids[i] for i, is_open in deals_by_owner[user] if is_open]

    def team(manager: int) -> list[str]:
        return [ids[r] for r in org.teams[manager]]

    unclean = cast.planted_reps | set(cast.dirty_owners) | set(org.teams[cast.skipping])
    leader_stats = _leader_stats(ctx)
    ceo_stats, always_on_stats = leader_stats[org.ceo], leader_stats[cast.always_on]
    ceo_weeks = sorted(ceo_stats["window_weeks"])
    return {
        "size": size,
        "seed": seed,
        "as_of": as_of.isoformat(),
        "history_start": format_date(ctx.window_start // DAY),
        # What the CRM states (Organization / account details) and the marts must follow.
        "org_calendar": {
            "fiscal_year_start_month": ctx.fiscal_year_start_month,
            "time_zone": TIME_ZONE,
        },
        "ceo_id": ids[org.ceo],
        "director_ids": [ids[d] for d in org.directors],
        "manager_ids": [ids[m] for m in org.managers],
        "rep_ids": [ids[r] for r in org.reps],
        "inactive_user_ids": [ids[p.index] for p in org.people if not p.is_active],
        "clean_rep_ids": [ids[r] for r in org.reps if org.people[r].is_active and r not in unclean],
        "teams": {ids[m]: team(m) for m in org.managers},
        "director_managers": {ids[d]: [ids[m] for m in org.managers_of(d)] for d in org.directors},
        "stages": [
            {
                "name": s.name,
                "sort_order": s.order,
                "is_closed": s.is_closed,
                "is_won": s.is_won,
                "probability": s.probability,
                "forecast_category_name": s.forecast_category_name,
                "forecast_category": s.forecast_category,
            }
            for s in STAGES
        ],
        "counts": {name: len(table) for name, table in ctx.tables.items()},
        "planted": {
            "ceo_quarter_end_intervention": {
                "leader_id": ids[org.ceo],
                "director_id": ids[cast.ceo_director],
                "quarters": [w.label for w in ctx.windows],
                "windows": [
                    {
                        "quarter": w.label,
                        "start": format_date(w.start // DAY),
                        "end": format_date(w.end // DAY - 1),
                    }
                    for w in ctx.windows
                ],
                "iso_weeks": ceo_weeks,
                "deal_ids": sorted(ctx.ceo_deals),
                "takeover_deal_ids": sorted(ctx.ceo_takeovers),
                "field_changes_in_windows": ceo_stats["window_field_changes"],
            },
            "always_on_manager": {
                "manager_id": ids[cast.always_on],
                "member_ids": team(cast.always_on),
                "field_changes": always_on_stats["field_changes"],
                "directive_tasks": always_on_stats["directive_tasks"],
                "activities_logged": always_on_stats["activities_logged"],
                # Edits saved on Sunday after 22:00 in the org's zone (Monday in UTC):
                # they count in the Sunday's ISO week.
                "sunday_evening_edits": always_on_stats["sunday_evening_edits"],
            },
            "coach_manager": {
                "manager_id": ids[cast.coach],
                "member_ids": team(cast.coach),
            },
            "stale_past_due_rep": {
                "user_id": ids[cast.stale],
                "quiet_since": format_date(cast.stale_since // DAY),
                "open_deal_ids": open_deals(cast.stale),
            },
            "close_date_pusher": {
                "user_id": ids[cast.pusher],
                "open_deal_ids": open_deals(cast.pusher),
            },
            "weak_stage_rep": {"user_id": ids[cast.weak], "stage": STAGES[cast.weak_stage].name},
            "stage_skipping_team": {
                "manager_id": ids[cast.skipping],
                "member_ids": team(cast.skipping),
            },
            "deactivated_owner": {
                "user_id": ids[cast.deactivated],
                "deactivated_on": format_date(org.people[cast.deactivated].left // DAY),
                "open_deal_ids": open_deals(cast.deactivated),
            },
            "dirty_fields": {
                "owner_ids": [ids[o] for o in cast.dirty_owners],
                "rows": dirty_rows,
            },
        },
        "orphans": orphans,
        "conventions": CONVENTIONS,
    }


def _leader_stats(ctx: Context) -> dict[int, dict]:
    """What the CEO and the always-on manager actually wrote, counted from the rows."""
    watched = (ctx.org.ceo, ctx.cast.always_on)
    by_id = {ctx.user_ids[user]: user for user in watched}
    stats = {
        user: {
            "field_changes": 0,
            "window_field_changes": 0,
            "window_weeks": set(),
            "sunday_evening_edits": [],
            "directive_tasks": 0,
            "activities_logged": 0,
        }
        for user in watched
    }
    windows = [(format_datetime(w.start), format_datetime(w.end)) for w in ctx.windows]
    history = ctx.tables["OpportunityFieldHistory"]
    by_index, at_index = history.fields.index("CreatedById"), history.fields.index("CreatedDate")
    deal_index = history.fields.index("OpportunityId")
    for row in history.rows:
        user = by_id.get(row[by_index])
        if user is None:
            continue
        stats[user]["field_changes"] += 1
        created = row[at_index]
        # Timestamps share one format, so string order is time order.
        if any(start <= created < end for start, end in windows):
            stats[user]["window_field_changes"] += 1
            year, week, _ = local_date(created).isocalendar()
            stats[user]["window_weeks"].add(f"{year}-W{week:02d}")
        local = local_time(created)
        if local.isoweekday() == 7 and local.hour >= 22:
            year, week, _ = local.isocalendar()
            stats[user]["sunday_evening_edits"].append(
                {
                    "deal_id": row[deal_index],
                    "changed_at": created,
                    "local_date": local.date().isoformat(),
                    "iso_week": f"{year}-W{week:02d}",
                }
            )
    for name in ("Task", "Event"):
        table = ctx.tables[name]
        owner_i, creator_i = table.fields.index("OwnerId"), table.fields.index("CreatedById")
        for row in table.rows:
            user = by_id.get(row[creator_i])
            if user is None:
                continue
            key = "activities_logged" if row[owner_i] == row[creator_i] else "directive_tasks"
            stats[user][key] += 1
    return stats
