"""Deterministic demo organisation: the data behind the fake Salesforce API.

`generate_org(size, seed, as_of)` builds a sales org (CEO -> Sales Directors ->
managers -> reps), two years of deals moving through the stage pipeline up to the
day before `as_of`, their history and activities, and the planted behaviours of
SPEC §8. Records are Salesforce REST-shaped with exactly the fields of
`connectors.salesforce.objects`; `org.truth` says what was planted, so tests can
check that the pipeline recovers it.

Same (size, seed, as_of) => identical output: one seeded `random.Random`, no clock.
Rows are kept as tuples in catalog field order (`org.tables`), which keeps the
large sizes in memory; `org.salesforce` materialises the record dicts on first use.
"""

from __future__ import annotations

import datetime
import json
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pyarrow as pa

from connectors.salesforce.objects import OBJECTS, OBJECTS_BY_NAME
from demo.org import people as people_mod
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
from demo.org.wire import (
    DAY,
    IdSequence,
    Table,
    day_number,
    format_date,
    format_datetime,
    work_time,
)

HISTORY_DAYS = 730
DEFAULT_AS_OF = datetime.date(2026, 11, 27)
CONTACT_ROLES = (
    "Decision Maker",
    "Economic Buyer",
    "Technical Buyer",
    "Evaluator",
    "Influencer",
    "Business User",
    "Executive Sponsor",
)
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
_ACCOUNT_WORDS = (
    ("Blue", "North", "Silver", "Bright", "Iron", "Green", "Red", "Stone", "Swift", "Golden",
     "Clear", "Open", "Prime", "Urban", "Polar", "Cedar", "Lumen", "Nova", "Atlas", "Vertex"),
    ("Harbor", "Ridge", "Field", "River", "Peak", "Bridge", "Forge", "Grove", "Point", "Wave",
     "Gate", "Crest", "Valley", "Summit", "Haven", "Port", "Works", "Line", "Path", "Labs"),
    ("Logistics", "Health", "Robotics", "Energy", "Foods", "Capital", "Media", "Software",
     "Retail", "Pharma", "Mobility", "Insurance", "Telecom", "Materials", "Analytics",
     "Aerospace", "Textiles", "Construction", "Hospitality", "Biotech"),
    ("Inc", "GmbH", "Ltd", "SA", "AB", "BV", "Group", "Holdings"),
)  # fmt: skip


@dataclass(frozen=True)
class OrgSize:
    """Headcount and deal volume of one size (~10 activities and ~4 snapshots per deal)."""

    directors: int
    managers: int
    reps: int  # active reps; about one in twelve more have left
    deals: int

    @property
    def inactive_reps(self) -> int:
        return max(2, self.reps // 12)


SIZES: dict[str, OrgSize] = {
    "tiny": OrgSize(directors=2, managers=4, reps=16, deals=400),
    "small": OrgSize(directors=3, managers=10, reps=50, deals=20_000),
    "medium": OrgSize(directors=5, managers=25, reps=200, deals=100_000),
    "large": OrgSize(directors=10, managers=100, reps=1_000, deals=500_000),
}


@dataclass(eq=False)
class DemoOrg:
    """A generated org: rows per sObject (catalog field order) and the planted truth."""

    size: str
    seed: int
    as_of: datetime.date
    tables: dict[str, Table]
    truth: dict

    @cached_property
    def salesforce(self) -> dict[str, list[dict]]:
        """Records per sObject API name, as the REST API returns them (built once)."""
        return {name: list(self.records(name)) for name in self.tables}

    def records(self, sobject: str) -> Iterator[dict]:
        """Stream one sObject's records without materialising them all."""
        table = self.tables[sobject]
        fields = table.fields
        for row in table.rows:
            yield dict(zip(fields, row, strict=True))

    def arrow(self, sobject: str) -> pa.Table:
        """One sObject as an Arrow table with the catalog's raw schema."""
        table = self.tables[sobject]
        schema = OBJECTS_BY_NAME[sobject].arrow_schema
        columns = list(zip(*table.rows, strict=True)) or [()] * len(table.fields)
        arrays = [pa.array(col, type=f.type) for col, f in zip(columns, schema, strict=True)]
        return pa.Table.from_arrays(arrays, schema=schema)

    def write_truth(self, path: str | Path) -> Path:
        """Write `truth` as UTF-8 JSON; returns the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.truth, indent=2, ensure_ascii=False), encoding="utf-8")
        return path


def generate_org(
    size: str = "small", seed: int = 7, as_of: datetime.date = DEFAULT_AS_OF
) -> DemoOrg:
    """Generate the demo org of `size` (one of SIZES) for `seed`, as seen on `as_of`.

    History covers the two years before `as_of`; nothing is created or modified on or
    after `as_of` (only planned dates - open deals' close dates, open tasks' due dates,
    scheduled meetings - may lie later).
    """
    if size not in SIZES:
        raise ValueError(f"unknown demo org size {size!r}; choose one of {', '.join(SIZES)}")
    if isinstance(as_of, datetime.datetime):
        as_of = as_of.date()
    ctx = _new_context(SIZES[size], seed, size, as_of)
    _write_users_and_roles(ctx)
    _write_stages(ctx)
    schedule = _schedule_deals(ctx, SIZES[size].deals)
    deal_accounts = _write_accounts(ctx, schedule)
    deals_by_owner = _write_deals(ctx, schedule, deal_accounts)
    dirty_rows = planted.plant_dirty_fields(ctx, deals_by_owner)
    orphan = planted.plant_orphan_task(ctx)
    truth = _truth(ctx, size, seed, as_of, deals_by_owner, dirty_rows, [orphan])
    return DemoOrg(size=size, seed=seed, as_of=as_of, tables=ctx.tables, truth=truth)


def _new_context(spec: OrgSize, seed: int, size: str, as_of: datetime.date) -> Context:
    rng = random.Random(f"trustgap-demo:{size}:{seed}")
    horizon = day_number(as_of) * DAY
    window_start = horizon - HISTORY_DAYS * DAY
    org = people_mod.build_hierarchy(
        rng, spec.directors, spec.managers, spec.reps, spec.inactive_reps
    )
    cast, departed = people_mod.cast_planted_people(rng, org, spec.inactive_reps, horizon)
    people_mod.set_tenure(rng, org, cast, departed, window_start, horizon)
    ids = {obj.name: IdSequence(obj.name, rng.randrange(62**6, 62**7)) for obj in OBJECTS}
    ids["Contact"] = IdSequence("Contact", rng.randrange(62**6, 62**7))
    ctx = Context(
        rng=rng,
        as_of_day=day_number(as_of),
        horizon=horizon,
        window_start=window_start,
        org=org,
        cast=cast,
        tables={obj.name: Table(obj.name) for obj in OBJECTS},
        ids=ids,
    )
    ctx.user_ids = [ids["User"]() for _ in org.people]
    ctx.profiles = planted.rep_profiles(ctx)
    ctx.styles = planted.leader_styles(ctx)
    ctx.windows = planted.quarter_windows(horizon)
    ctx.ceo_owners, ctx.ceo_takeover_owners = planted.ceo_owners(ctx)
    return ctx


def _write_users_and_roles(ctx: Context) -> None:
    org = ctx.org
    role_ids = [ctx.ids["UserRole"]() for _ in org.roles]
    setup = format_datetime(org.people[org.ceo].hired)
    for role, role_id in zip(org.roles, role_ids, strict=True):
        ctx.tables["UserRole"].add(
            Id=role_id,
            Name=role.name,
            ParentRoleId=None if role.parent is None else role_ids[role.parent],
            SystemModstamp=setup,
        )
    for person in org.people:
        ctx.tables["User"].add(
            Id=ctx.user_ids[person.index],
            Name=person.name,
            Email=person.email,
            Title=person.title,
            IsActive=person.is_active,
            ManagerId=None if person.manager is None else ctx.user_ids[person.manager],
            UserRoleId=role_ids[person.role],
            CreatedDate=format_datetime(person.hired),
            SystemModstamp=format_datetime(person.left or person.hired),
        )


def _write_stages(ctx: Context) -> None:
    setup = format_datetime(ctx.org.people[ctx.org.ceo].hired)
    for stage in STAGES:
        ctx.tables["OpportunityStage"].add(
            Id=ctx.ids["OpportunityStage"](),
            ApiName=stage.name,
            MasterLabel=stage.name,
            SortOrder=stage.order,
            IsActive=True,
            IsClosed=stage.is_closed,
            IsWon=stage.is_won,
            DefaultProbability=stage.probability,
            ForecastCategoryName=stage.forecast_category_name,
            SystemModstamp=setup,
        )


def _selling_span(ctx: Context, rep: int) -> tuple[int, int]:
    """When a rep creates deals: from hire (or history start) until leaving or going quiet."""
    person, profile = ctx.org.people[rep], ctx.profiles[rep]
    end = ctx.horizon - DAY
    if person.left is not None:
        end = min(end, person.left - 3 * DAY)
    if profile.stop is not None:
        end = min(end, profile.stop - DAY)
    return max(ctx.window_start, person.hired), end


def _schedule_deals(ctx: Context, total: int) -> list[tuple[int, int, bool]]:
    """(creation moment, owner, forced open) of every deal, in creation order.

    The org grows: deal creation quadruples from the start of history to as_of, which
    also gives the current pipeline more open deals than a flat rate would.
    """
    rng = ctx.rng
    reps = ctx.org.reps
    spans = {rep: _selling_span(ctx, rep) for rep in reps}
    forced = sum(ctx.profiles[rep].forced_open_deals for rep in reps)
    weights = [
        _growth_integral(ctx, start, end) * ctx.profiles[rep].deal_weight
        for rep, (start, end) in spans.items()
    ]
    counts = _largest_remainder(total - forced, weights)
    schedule = []
    for rep, count in zip(reps, counts, strict=True):
        start, end = spans[rep]
        ramped = ctx.org.people[rep].hired + 90 * DAY
        for _ in range(count):
            while True:
                t = rng.randint(start, end)
                # New hires ramp up over their first three months.
                keep = _growth(ctx, t) / _GROWTH_PEAK * min(1.0, 1 - (ramped - t) / (90 * DAY))
                if rng.random() < keep:
                    break
            schedule.append((t, rep, False))
        for _ in range(ctx.profiles[rep].forced_open_deals):
            schedule.append((rng.randint(end - 120 * DAY, end - 35 * DAY), rep, True))
    schedule.sort()
    return schedule


_GROWTH_PEAK = 1.6


def _growth(ctx: Context, t: int) -> float:
    """Relative deal-creation rate at `t`: 0.4 at the start of history, 1.6 at as_of."""
    return 0.4 + 1.2 * (t - ctx.window_start) / (ctx.horizon - ctx.window_start)


def _growth_integral(ctx: Context, start: int, end: int) -> float:
    if end <= start:
        return 0.0
    return (end - start) * (_growth(ctx, start) + _growth(ctx, end)) / 2


def _largest_remainder(total: int, weights: list[float]) -> list[int]:
    whole = sum(weights)
    shares = [total * w / whole for w in weights]
    counts = [int(s) for s in shares]
    by_remainder = sorted(range(len(shares)), key=lambda i: (counts[i] - shares[i], i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _account_name(number: int) -> str:
    sizes = [len(words) for words in _ACCOUNT_WORDS]
    # A fixed stride coprime with the name space spreads consecutive accounts over it.
    code = (number * 7919 + 4001) % math.prod(sizes)
    parts = []
    for words, width in zip(_ACCOUNT_WORDS, sizes, strict=True):
        code, pick = divmod(code, width)
        parts.append(words[pick])
    return f"{parts[0]} {parts[1]} {parts[2]} {parts[3]}"


def _write_accounts(ctx: Context, schedule: list[tuple[int, int, bool]]) -> list[int]:
    """Each rep's book of accounts (about one per 2.5 deals) with their contacts;
    returns the account of each scheduled deal."""
    rng = ctx.rng
    deals_per_rep: dict[int, int] = {}
    for _, rep, _ in schedule:
        deals_per_rep[rep] = deals_per_rep.get(rep, 0) + 1
    books: dict[int, range] = {}
    for rep in ctx.org.reps:
        size = max(3, math.ceil(deals_per_rep.get(rep, 0) / 2.5))
        books[rep] = range(len(ctx.account_owner), len(ctx.account_owner) + size)
        ctx.account_owner.extend([rep] * size)
    first_deal = [FOREVER] * len(ctx.account_owner)
    deal_accounts = []
    for created, rep, _ in schedule:
        account = rng.choice(books[rep])
        deal_accounts.append(account)
        first_deal[account] = min(first_deal[account], created)
    for account, owner in enumerate(ctx.account_owner):
        if first_deal[account] < FOREVER:
            created = work_time(first_deal[account] - rng.randint(1, 60) * DAY)
        else:
            created = work_time(rng.randint(ctx.window_start - 365 * DAY, ctx.horizon - 30 * DAY))
        name = _account_name(account)
        ctx.account_names.append(name)
        contact_id = ctx.ids["Contact"]
        ctx.account_contacts.append([contact_id() for _ in range(rng.randint(4, 6))])
        ctx.tables["Account"].add(
            Id=ctx.ids["Account"](),
            Name=name,
            OwnerId=ctx.user_ids[owner],
            CreatedDate=format_datetime(created),
            SystemModstamp=format_datetime(created),
            IsDeleted=False,
        )
    return deal_accounts


def _write_deals(
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


def _truth(ctx, size, seed, as_of, deals_by_owner, dirty_rows, orphans) -> dict:
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
            "directive_tasks": 0,
            "activities_logged": 0,
        }
        for user in watched
    }
    windows = [(format_datetime(w.start), format_datetime(w.end)) for w in ctx.windows]
    history = ctx.tables["OpportunityFieldHistory"]
    by_index, at_index = history.fields.index("CreatedById"), history.fields.index("CreatedDate")
    for row in history.rows:
        user = by_id.get(row[by_index])
        if user is None:
            continue
        stats[user]["field_changes"] += 1
        created = row[at_index]
        # Timestamps share one format, so string order is time order.
        if any(start <= created < end for start, end in windows):
            stats[user]["window_field_changes"] += 1
            year, week, _ = datetime.date.fromisoformat(created[:10]).isocalendar()
            stats[user]["window_weeks"].add(f"{year}-W{week:02d}")
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
