"""The demo org's opportunities: plan each deal, replay it, write it and its contact roles.

Planting (leader edits, CEO interventions, pushes, reassignments) happens while a
deal is planned, so the written rows already carry the planted behaviours.
"""

from __future__ import annotations

import math

from demo.org import planted
from demo.org.activities import log_activities
from demo.org.context import Context, RepProfile
from demo.org.lifecycle import (
    FOREVER,
    NEXT_STEPS,
    STAGES,
    WON,
    Deal,
    DealState,
    plan_baseline,
    random_amount,
    replay,
    simulate_path,
)
from demo.org.wire import DAY, format_date, format_datetime, work_time

CONTACT_ROLES = (
    "Decision Maker",
    "Economic Buyer",
    "Technical Buyer",
    "Evaluator",
    "Influencer",
    "Business User",
    "Executive Sponsor",
)

# Most deals have 2-4 contacts, some one.
_CONTACT_COUNTS = (1, 2, 3, 4)

_CONTACT_COUNT_CUM_WEIGHTS = (0.1, 0.45, 0.8, 1.0)

PRODUCTS = (
    "New Business",
    "Platform Expansion",
    "Analytics Add-on",
    "Enterprise Upgrade",
    "Multi-year Renewal",
    "Pilot",
    "Seat Expansion",
    "Services Package",
)


def write_deals(
    ctx: Context, schedule: list[tuple[int, int, bool]], deal_accounts: list[int]
) -> dict[int, list[tuple[int, bool]]]:
    """Plan, replay and write every deal; returns (deal index, is open) per current owner."""
    deals_by_owner: dict[int, list[tuple[int, bool]]] = {p.index: [] for p in ctx.org.people}
    for index, (created_raw, owner, force_open) in enumerate(schedule):
        deal = _plan_deal(ctx, index, created_raw, owner, deal_accounts[index], force_open)
        state = replay(ctx, deal)
        last_activity_day = log_activities(ctx, deal, state)
        _write_opportunity(ctx, deal, state, last_activity_day)
        _write_contact_roles(ctx, deal)
        deals_by_owner[state.owner].append((index, state.is_open))
    return deals_by_owner


def _plan_deal(
    ctx: Context, index: int, created_raw: int, owner: int, account: int, force_open: bool
) -> Deal:
    rng = ctx.rng
    profile = ctx.profiles[owner]
    path, planned_time = simulate_path(rng, created_raw, profile, force_open)
    created = work_time(created_raw)
    contact_count = rng.choices(_CONTACT_COUNTS, cum_weights=_CONTACT_COUNT_CUM_WEIGHTS)[0]
    deal = Deal(
        index=index,
        id=ctx.ids["Opportunity"](),
        owner=owner,
        account=account,
        name=f"{ctx.account_names[account]} - {rng.choice(PRODUCTS)}",
        created=created,
        amount=random_amount(rng),
        close_day=_planned_close_day(ctx, profile, created, planned_time),
        next_step=rng.choice(NEXT_STEPS),
        closing_time=path[-1][0] if path and path[-1][1] >= WON else FOREVER,
        limit=ctx.horizon if profile.stop is None else min(ctx.horizon, profile.stop),
        dynamic_pushes=profile.pushes_close_dates,
        contacts=rng.sample(ctx.account_contacts[account], contact_count),
    )
    plan_baseline(rng, deal, path)
    planted.plan_leader_edits(ctx, deal)
    planted.plan_ceo(ctx, deal)
    if profile.planned_pushes:
        planted.plan_pushes(ctx, deal)
    planted.plan_reassignment(ctx, deal)
    return deal


def _planned_close_day(ctx: Context, profile: RepProfile, created: int, planned_time: float) -> int:
    """The close date a rep enters on a new deal: his guess of the whole path's length."""
    rng = ctx.rng
    guess = math.ceil(planned_time / DAY * rng.uniform(*profile.close_factor))
    close_day = created // DAY + max(7, guess)
    if profile.stop is not None and not profile.pushes_close_dates:
        # A rep about to go quiet: close dates lapse soon after he stops updating.
        lapse = profile.stop // DAY + rng.randint(0, 25)
        close_day = max(created // DAY + 7, min(close_day, lapse))
    return close_day


def _write_opportunity(ctx: Context, deal: Deal, state: DealState, last_activity_day) -> None:
    stage = STAGES[state.stage]
    user_ids = ctx.user_ids
    ctx.tables["Opportunity"].add(
        Id=deal.id,
        Name=deal.name,
        AccountId=ctx.tables["Account"].rows[deal.account][0],
        OwnerId=user_ids[state.owner],
        StageName=stage.name,
        Amount=state.amount,
        CloseDate=format_date(state.close_day),
        Probability=stage.probability,
        ForecastCategoryName=state.forecast,
        NextStep=state.next_step,
        IsClosed=stage.is_closed,
        IsWon=stage.is_won,
        LastActivityDate=None if last_activity_day is None else format_date(last_activity_day),
        CreatedDate=format_datetime(deal.created),
        CreatedById=user_ids[deal.owner],
        LastModifiedById=user_ids[state.modified_by],
        SystemModstamp=format_datetime(state.modified),
        IsDeleted=False,
    )


def _write_contact_roles(ctx: Context, deal: Deal) -> None:
    rng = ctx.rng
    span = max(0, deal.open_until - deal.created)
    for position, contact in enumerate(deal.contacts):
        created = deal.created + (0 if position == 0 else int(rng.random() * span / 2))
        ctx.tables["OpportunityContactRole"].add(
            Id=ctx.ids["OpportunityContactRole"](),
            OpportunityId=deal.id,
            ContactId=contact,
            Role=rng.choice(CONTACT_ROLES),
            IsPrimary=position == 0,
            CreatedDate=format_datetime(created),
            SystemModstamp=format_datetime(created),
            IsDeleted=False,
        )
