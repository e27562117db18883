"""Planted behaviours: what the cast does to deals, and the dirty rows.

The functions here set reps' and leaders' behaviour knobs, add saves to a deal's
plan or change who made them, and patch written rows. The generator records what
was planted in the truth file, so tests can check that the marts recover it.
"""

from __future__ import annotations

import datetime
import random

from demo.org.context import BASE_ADVANCE, Context, LeaderStyle, RepProfile, Window
from demo.org.lifecycle import NEXT_STEPS, Deal, between
from demo.org.org_calendar import fiscal_quarter_end_day, fiscal_quarter_label, local_moment
from demo.org.wire import DAY, format_date, format_datetime, work_time

HOUR = 3600
QUARTERS_WATCHED = 4
# Strong on purpose: the CEO signal must stand out in every size, tiny included.
CEO_TOUCH_SHARE = 0.8  # open deals in the target org the CEO edits in a window
CEO_STAGE_SHARE = 0.7  # stage moves in a window the CEO makes instead of the owner
CEO_TAKEOVER_SHARE = 0.3
# Share of the always-on manager's weekly edits made on Sunday evening, local time.
SUNDAY_EVENING_SHARE = 0.2

NORMAL_MANAGER = LeaderStyle(edit_share=0.015, activity_share=0.01, directive_task_prob=0.04)
ALWAYS_ON_MANAGER = LeaderStyle(
    edit_share=0.35, activity_share=0.2, directive_gap_days=20.0, weekly_edit_chance=0.7
)
COACH_MANAGER = LeaderStyle()
DIRECTOR = LeaderStyle(edit_share=0.004)

UNICODE_OPPORTUNITY_NAME = "Société Générale – Ωmega 🚀"
UNICODE_ACCOUNT_NAME = "Zürich Ünïcode & Söhne 株式会社"
UNKNOWN_STAGE = "Verbal Commit"
_LONG_NEXT_STEP_LENGTH = 10_000


def rep_profiles(ctx: Context) -> dict[int, RepProfile]:
    """Behaviour knobs of every rep (defaults for everyone not planted)."""
    cast, people = ctx.cast, ctx.org.people
    profiles = {rep: RepProfile() for rep in ctx.org.reps}
    for rep in ctx.org.teams[cast.skipping]:
        profiles[rep] = RepProfile(skip_prob=0.45)
    profiles[cast.pusher] = RepProfile(
        duration_scale=1.6,
        deal_weight=1.5,
        close_factor=(0.5, 0.9),
        planned_pushes=True,
        forced_open_deals=4,
    )
    profiles[cast.stale] = RepProfile(
        duration_scale=1.5,
        deal_weight=1.5,
        pushes_close_dates=False,
        stop=cast.stale_since,
        forced_open_deals=4,
    )
    weak_advance = [min(0.88, p + 0.1) for p in BASE_ADVANCE]
    weak_advance[cast.weak_stage] = 0.06
    profiles[cast.weak] = RepProfile(advance=tuple(weak_advance), deal_weight=2.2)
    for rep in cast.dirty_owners:
        # Enough open deals to carry the dirty rows that only make sense on open deals.
        profiles[rep] = RepProfile(forced_open_deals=2)
    profiles[cast.deactivated] = RepProfile(
        duration_scale=1.5,
        deal_weight=1.5,
        stop=people[cast.deactivated].left,
        forced_open_deals=4,
    )
    return profiles


def leader_styles(ctx: Context) -> dict[int, LeaderStyle]:
    """Intervention knobs of every manager and director (the CEO acts only in windows)."""
    cast = ctx.cast
    styles = {director: DIRECTOR for director in ctx.org.directors}
    for manager in ctx.org.managers:
        styles[manager] = NORMAL_MANAGER
    styles[cast.always_on] = ALWAYS_ON_MANAGER
    styles[cast.coach] = COACH_MANAGER
    return styles


def quarter_windows(horizon: int, start_month: int, count: int = QUARTERS_WATCHED) -> list[Window]:
    """The last 14 days of the `count` latest fiscal quarters (years starting in
    `start_month`) that ended before as_of."""
    windows = []
    quarter_end = fiscal_quarter_end_day(horizon // DAY - 1, start_month)
    while len(windows) < count:
        end = (quarter_end + 1) * DAY
        if end <= horizon:
            label = fiscal_quarter_label(quarter_end, start_month)
            windows.append(Window((quarter_end - 13) * DAY, end, quarter_end, label))
        # Quarters last 89-92 days: 95 days back is always the previous quarter.
        quarter_end = fiscal_quarter_end_day(quarter_end - 95, start_month)
    return sorted(windows, key=lambda w: w.start)


def ceo_owners(ctx: Context) -> tuple[frozenset[int], tuple[int, ...]]:
    """Reps whose deals the CEO edits (the target director's active, unplanted reps)."""
    cast, people = ctx.cast, ctx.org.people
    reps = tuple(
        rep
        for rep in ctx.org.subtree_reps(cast.ceo_director)
        if people[rep].is_active and rep not in cast.planted_reps
    )
    return frozenset(reps), reps


def plan_leader_edits(ctx: Context, deal: Deal) -> None:
    """Managers and directors making some of the owner's saves; the always-on manager
    also edits next steps, forecasts and amounts of his team's open deals each week."""
    rng = ctx.rng
    people = ctx.org.people
    manager = people[deal.owner].manager
    director = people[manager].manager
    style = ctx.styles[manager]
    director_share = style.edit_share + ctx.styles[director].edit_share
    for save in deal.saves:
        if save.actor is None:
            roll = rng.random()
            if roll < style.edit_share:
                save.actor = manager
            elif roll < director_share:
                save.actor = director
    if style.weekly_edit_chance:
        _plan_weekly_edits(ctx, deal, manager, style.weekly_edit_chance)


def _plan_weekly_edits(ctx: Context, deal: Deal, manager: int, chance: float) -> None:
    """In each calendar week the deal is open, the manager edits it with `chance`."""
    rng = ctx.rng
    end = deal.open_until
    day = deal.created // DAY
    week_start = (day - (day + 3) % 7) * DAY  # day 0 (1970-01-01) was a Thursday
    while week_start < end:
        lo, hi = max(week_start, deal.created), min(week_start + 7 * DAY, end)
        if hi - lo > 2 * HOUR and rng.random() < chance:
            roll = rng.random()
            if roll < 0.5:
                changes: dict = {"NextStep": rng.choice(NEXT_STEPS)}
            elif roll < 0.75:
                changes = {"ForecastCategoryName": "override"}
            else:
                changes = {"Amount": ("scale", rng.uniform(0.9, 1.15))}
            deal.add_save(
                _weekly_edit_time(deal, week_start, lo, hi, between(rng, lo, hi)), changes, manager
            )
        week_start += 7 * DAY


def _weekly_edit_time(deal: Deal, week_start: int, lo: int, hi: int, usual: int) -> int:
    """Every fifth week's edit is made on Sunday evening in California (22:00-23:45
    local, Monday morning in UTC): it belongs to the Sunday's ISO week. Drawn from the
    deal and week, so the rest of the org stays as it was."""
    draw = random.Random(f"sunday-evening:{deal.id}:{week_start}")
    if draw.random() >= SUNDAY_EVENING_SHARE:
        return usual
    sunday = datetime.date(1970, 1, 1) + datetime.timedelta(days=week_start // DAY + 6)
    moment = local_moment(sunday, 22, draw.randrange(0, 46))
    return moment if lo < moment < min(deal.open_until, week_start + 8 * DAY) else usual


def plan_ceo(ctx: Context, deal: Deal) -> None:
    """Near each watched quarter end the CEO edits the deal's key fields, makes its
    stage moves and sometimes takes it over (to himself or someone else)."""
    if deal.owner not in ctx.ceo_owners:
        return
    rng, ceo = ctx.rng, ctx.org.ceo
    for window in ctx.windows:
        lo = max(window.start, deal.created + HOUR)
        hi = min(window.end, deal.open_until - HOUR)
        if hi - lo < 4 * HOUR or rng.random() >= CEO_TOUCH_SHARE:
            continue
        ctx.ceo_deals.add(deal.id)
        for save in deal.saves:
            in_window = save.actor is None and lo <= save.t < hi and "StageName" in save.changes
            if in_window and rng.random() < CEO_STAGE_SHARE:
                save.actor = ceo
        for _ in range(rng.randint(3, 4)):
            roll = rng.random()
            if roll < 0.4:
                changes: dict = {"ForecastCategoryName": "Commit"}
            elif roll < 0.7:
                changes = {"Amount": ("scale", rng.uniform(1.1, 1.35))}
            elif deal.closing_time <= (window.quarter_end_day + 30) * DAY:
                # Pulled into the quarter only when the deal is close anyway; pulling in
                # far-off deals would make their owners look like slippers later.
                changes = {"CloseDate": ("pull_in", window.quarter_end_day)}
            else:
                changes = {"ForecastCategoryName": "Commit"}
            deal.add_save(between(rng, lo, hi), changes, ceo)
        if rng.random() < CEO_TAKEOVER_SHARE:
            deal.add_save(between(rng, lo, hi), {"Owner": _takeover_owner(ctx, deal)}, ceo)
            ctx.ceo_takeovers.add(deal.id)
            return


def _takeover_owner(ctx: Context, deal: Deal) -> int:
    rng = ctx.rng
    roll = rng.random()
    others = [rep for rep in ctx.ceo_takeover_owners if rep != deal.owner]
    if roll < 0.5 or not others:
        return ctx.org.ceo
    if roll < 0.75:
        return ctx.cast.ceo_director
    return rng.choice(others)


def plan_pushes(ctx: Context, deal: Deal) -> None:
    """The close-date pusher's open deals: 3-6 pushes, each just before the date passes."""
    rng = ctx.rng
    if deal.closing_time < ctx.horizon or ctx.horizon - deal.created < 10 * DAY:
        return
    count = rng.randint(3, 6)
    moments = sorted(between(rng, deal.created + DAY, ctx.horizon - HOUR) for _ in range(count))
    close_day = moments[0] // DAY + rng.randint(1, 5)
    deal.close_day = close_day
    for i, t in enumerate(moments):
        if i + 1 < count:
            target = moments[i + 1] // DAY + rng.randint(1, 5)
        else:
            target = ctx.as_of_day + rng.randint(10, 60)
        close_day = max(target, close_day + 7)
        deal.add_save(t, {"CloseDate": close_day})
    deal.dynamic_pushes = False


def plan_reassignment(ctx: Context, deal: Deal) -> None:
    """A leaver's open deals go to a teammate, reassigned by the manager as he leaves."""
    person = ctx.org.people[deal.owner]
    if person.left is None or deal.owner == ctx.cast.deactivated:
        return
    if deal.closing_time <= person.left - 2 * DAY:
        return
    rng = ctx.rng
    manager = person.manager
    t = between(rng, max(person.left - 2 * DAY, deal.created + HOUR), person.left)
    people = ctx.org.people
    teammates = [
        rep
        for rep in ctx.org.teams[manager]
        if rep != deal.owner
        and people[rep].is_active
        and people[rep].hired < t
        and rep not in ctx.cast.planted_reps
    ]
    new_owner = rng.choice(teammates) if teammates else manager
    deal.add_save(t, {"Owner": new_owner}, manager)


def plant_dirty_fields(ctx: Context, deals_by_owner: dict[int, list[tuple[int, bool]]]) -> list:
    """Patch a handful of the dirty owners' rows (open deals first); return truth rows
    [{object, id, field, kind, value}]. History rows keep the values before the damage."""
    year = (datetime.date(1970, 1, 1) + datetime.timedelta(days=ctx.as_of_day)).year
    sentence = "Follow up with procurement on the revised MSA redlines. "
    long_text = (sentence * (_LONG_NEXT_STEP_LENGTH // len(sentence) + 1))[:_LONG_NEXT_STEP_LENGTH]
    kinds = (
        ("NextStep", "blank_next_step", None),
        ("NextStep", "long_next_step", long_text),
        ("StageName", "unknown_stage", UNKNOWN_STAGE),
        ("CloseDate", "malformed_date", f"{year}-02-30"),
        ("Amount", "null_amount", None),
        ("Amount", "negative_amount", -12_500.0),
        ("Amount", "zero_amount", 0.0),
        ("Name", "unicode_name", UNICODE_OPPORTUNITY_NAME),
    )
    opportunities = ctx.tables["Opportunity"]
    id_index = opportunities.fields.index("Id")
    owners = ctx.cast.dirty_owners
    used: set[int] = set()
    rows = []
    for n, (field, kind, value) in enumerate(kinds):
        deal_index = _pick_dirty_deal(deals_by_owner[owners[n % len(owners)]], used)
        used.add(deal_index)
        opportunities.update(deal_index, **{field: value})
        deal_id = opportunities.rows[deal_index][id_index]
        rows.append(_dirty_row("Opportunity", deal_id, field, kind, value))
    account = ctx.account_owner.index(owners[0])
    accounts = ctx.tables["Account"]
    accounts.update(account, Name=UNICODE_ACCOUNT_NAME)
    account_id = accounts.rows[account][accounts.fields.index("Id")]
    rows.append(_dirty_row("Account", account_id, "Name", "unicode_name", UNICODE_ACCOUNT_NAME))
    return rows


def _pick_dirty_deal(deals: list[tuple[int, bool]], used: set[int]) -> int:
    fresh = [(index, is_open) for index, is_open in deals if index not in used]
    return next((index for index, is_open in fresh if is_open), fresh[0][0])


def _dirty_row(sobject: str, record_id: str, field: str, kind: str, value) -> dict:
    shown = value if not isinstance(value, str) or len(value) <= 80 else f"<{len(value)} chars>"
    return {"object": sobject, "id": record_id, "field": field, "kind": kind, "value": shown}


def plant_orphan_task(ctx: Context) -> dict:
    """One completed call whose WhatId names an Opportunity the API never returns
    (deleted, or hidden from the integration user by sharing rules)."""
    owner = ctx.cast.dirty_owners[0]
    missing_deal = ctx.ids["Opportunity"]()
    t = work_time(ctx.horizon - 3 * DAY)
    task_id = ctx.ids["Task"]()
    ctx.tables["Task"].add(
        Id=task_id,
        WhatId=missing_deal,
        WhoId=None,
        OwnerId=ctx.user_ids[owner],
        CreatedById=ctx.user_ids[owner],
        Subject="Call about renewal",
        ActivityDate=format_date(t // DAY),
        Status="Completed",
        IsClosed=True,
        Type="Call",
        TaskSubtype="Call",
        CreatedDate=format_datetime(t),
        SystemModstamp=format_datetime(t),
        IsDeleted=False,
    )
    return {
        "object": "Task",
        "id": task_id,
        "field": "WhatId",
        "value": missing_deal,
        "kind": "orphan_reference",
    }
