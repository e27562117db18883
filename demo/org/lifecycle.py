"""Deal lifecycle: the stage pipeline, a deal's path through it, and the replay that
turns a deal's planned saves into OpportunityHistory and OpportunityFieldHistory rows.

A deal is planned as a list of saves (moment, who, which fields); planted behaviours
add saves or change who made them. Replay applies the saves in time order the way
Salesforce records them: an OpportunityHistory snapshot on creation and on every
save that changes stage, amount or close date; one field-history row per changed
tracked field; the forecast category following the stage unless a save sets it.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from operator import attrgetter

from demo.org.context import Context, RepProfile
from demo.org.wire import DAY, format_date, format_datetime, work_time


@dataclass(frozen=True)
class Stage:
    name: str
    order: int
    probability: float
    forecast_category_name: str  # Opportunity/OpportunityStage picklist label
    forecast_category: str  # OpportunityHistory.ForecastCategory API value
    is_closed: bool = False
    is_won: bool = False


STAGES = (
    Stage("Prospecting", 1, 10.0, "Pipeline", "Pipeline"),
    Stage("Qualification", 2, 20.0, "Pipeline", "Pipeline"),
    Stage("Needs Analysis", 3, 40.0, "Pipeline", "Pipeline"),
    Stage("Proposal", 4, 60.0, "Best Case", "BestCase"),
    Stage("Negotiation", 5, 80.0, "Commit", "Forecast"),
    Stage("Closed Won", 6, 100.0, "Closed", "Closed", is_closed=True, is_won=True),
    Stage("Closed Lost", 7, 0.0, "Omitted", "Omitted", is_closed=True),
)
PROPOSAL, NEGOTIATION, WON, LOST = 3, 4, 5, 6
# Salesforce's ForecastCategoryName label -> OpportunityHistory.ForecastCategory value.
FORECAST_CATEGORY = {s.forecast_category_name: s.forecast_category for s in STAGES}
_NEXT_FORECAST = {"Pipeline": "Best Case", "Best Case": "Commit", "Commit": "Best Case"}

STAGE_MEDIAN_DAYS = (14, 18, 21, 18, 14)
_STAGE_MU = tuple(math.log(days) for days in STAGE_MEDIAN_DAYS)
_STAGE_SIGMA = 0.55
MEDIAN_AMOUNT = 25_000
FOREVER = 1 << 62

NEXT_STEPS = (
    "Schedule discovery call",
    "Confirm budget with finance",
    "Book technical demo",
    "Map the buying committee",
    "Send mutual action plan",
    "Share security questionnaire",
    "Send proposal",
    "Walk CFO through pricing",
    "Agree on pilot success criteria",
    "Review redlines with legal",
    "Get procurement sign-off",
    "Confirm start date and onboarding",
    "Intro to executive sponsor",
    "Send customer references",
)


@dataclass(slots=True)
class Save:
    """One save of the Opportunity: moment, who (None = the owner then), changed fields.

    Values are final (stage index, amount, close day, text, user index) or relative
    and resolved at replay: Amount ("scale", f), CloseDate ("pull_in", day),
    ForecastCategoryName "override" (one category up).
    """

    t: int
    seq: int
    actor: int | None
    changes: dict


@dataclass(slots=True)
class Deal:
    index: int
    id: str
    owner: int
    account: int
    name: str
    created: int
    amount: float | None
    close_day: int
    next_step: str | None
    closing_time: int = FOREVER  # when its path closes it (may be after as_of)
    limit: int = 0  # nothing is recorded at or after this moment
    dynamic_pushes: bool = True
    contacts: list[str] = field(default_factory=list)
    saves: list[Save] = field(default_factory=list)

    def add_save(self, t: int, changes: dict, actor: int | None = None) -> Save:
        save = Save(t, len(self.saves), actor, changes)
        self.saves.append(save)
        return save

    @property
    def open_until(self) -> int:
        return min(self.closing_time, self.limit)


@dataclass(slots=True)
class DealState:
    """The Opportunity's fields as replay goes; at the end, its current state."""

    stage: int
    amount: float | None
    close_day: int
    forecast: str
    next_step: str | None
    owner: int
    modified: int
    modified_by: int
    clock: int
    owners: list[tuple[int, int]]

    @property
    def is_open(self) -> bool:
        return not STAGES[self.stage].is_closed

    def owner_at(self, t: int) -> int:
        owner = self.owners[0][1]
        for since, who in self.owners:
            if since > t:
                break
            owner = who
        return owner


def between(rng: random.Random, lo: int, hi: int) -> int:
    """A moment strictly inside (lo, hi), during working hours when possible."""
    t = lo + 1 + int(rng.random() * max(hi - lo - 2, 0))
    worked = work_time(t)
    return worked if lo < worked < hi else t


def random_amount(rng: random.Random) -> float:
    return float(max(1, round(rng.lognormvariate(math.log(MEDIAN_AMOUNT), 0.9) / 100)) * 100)


def simulate_path(
    rng: random.Random, created_raw: int, profile: RepProfile, force_open: bool = False
) -> tuple[list[tuple[int, int]], float]:
    """The stage moves of a new deal as (moment, stage) and its total planned stage time.

    Each open stage lasts a lognormal number of days; the deal then advances (by two
    stages when it skips) or is lost there. The path runs past as_of: the caller keeps
    what happened before its limit.
    """
    durations = [
        rng.lognormvariate(mu, _STAGE_SIGMA) * profile.duration_scale * DAY for mu in _STAGE_MU
    ]
    path = []
    t = float(created_raw)
    stage = 0
    while stage < WON:
        t += durations[stage]
        if rng.random() < profile.advance[stage]:
            skip = stage < PROPOSAL and rng.random() < profile.skip_prob
            new = WON if stage == NEGOTIATION else stage + (2 if skip else 1)
        else:
            new = LOST
        if force_open and new >= WON:
            break
        path.append((work_time(int(t)), new))
        stage = new
    return path, sum(durations)


def plan_baseline(rng: random.Random, deal: Deal, path: list[tuple[int, int]]) -> None:
    """The owner's own saves: stage moves with a new next step, occasional amount
    revisions, next-step updates mid-stage and a rare forecast upgrade at Proposal."""
    prev_t, prev_stage = deal.created, 0
    for t, stage in path:
        if t - prev_t > 2 * DAY and rng.random() < 0.3:
            deal.add_save(between(rng, prev_t, t), {"NextStep": rng.choice(NEXT_STEPS)})
        if prev_stage == PROPOSAL and t - prev_t > DAY and rng.random() < 0.05:
            deal.add_save(between(rng, prev_t, t), {"ForecastCategoryName": "Commit"})
        changes: dict = {"StageName": stage}
        if stage >= WON:
            changes["CloseDate"] = t // DAY
            if stage == WON and rng.random() < 0.15:
                changes["Amount"] = ("scale", rng.uniform(0.85, 1.1))
        else:
            changes["NextStep"] = rng.choice(NEXT_STEPS)
            if stage >= PROPOSAL and rng.random() < 0.2:
                changes["Amount"] = ("scale", rng.uniform(0.8, 1.25))
        deal.add_save(t, changes)
        prev_t, prev_stage = t, stage


def amount_text(amount: float | None) -> str | None:
    return None if amount is None else f"{amount:.2f}"


class _HistoryWriter:
    """Writes one deal's field-history rows as they happen and its snapshots at the end."""

    def __init__(self, ctx: Context, deal: Deal):
        self.ctx = ctx
        self.deal = deal
        self.field_history = ctx.tables["OpportunityFieldHistory"]
        self.field_history_id = ctx.ids["OpportunityFieldHistory"]
        self.snapshots: list[tuple] = []

    def field(self, t: int, actor: int, name: str, datatype: str, old, new) -> None:
        self.field_history.add(
            Id=self.field_history_id(),
            OpportunityId=self.deal.id,
            Field=name,
            DataType=datatype,
            OldValue=old,
            NewValue=new,
            CreatedById=self.ctx.user_ids[actor],
            CreatedDate=format_datetime(t),
            IsDeleted=False,
        )

    def owner_change(self, t: int, actor: int, old: int, new: int) -> None:
        # Salesforce writes two rows per owner change: the user ids and the names.
        people = self.ctx.org.people
        ids = self.ctx.user_ids
        self.field(t, actor, "Owner", "EntityId", ids[old], ids[new])
        self.field(t, actor, "Owner", "Text", people[old].name, people[new].name)

    def snapshot(self, state: DealState, prev_amount, prev_close, actor: int, t: int) -> None:
        self.snapshots.append(
            (
                t,
                state.stage,
                state.amount,
                prev_amount,
                state.close_day,
                prev_close,
                state.forecast,
                actor,
            )
        )

    def flush(self) -> None:
        history = self.ctx.tables["OpportunityHistory"]
        new_id = self.ctx.ids["OpportunityHistory"]
        user_ids = self.ctx.user_ids
        for i, (t, stage, amount, prev_amount, close, prev_close, forecast, actor) in enumerate(
            self.snapshots
        ):
            created = format_datetime(t)
            # A snapshot's SystemModstamp moves to the moment the next snapshot
            # supersedes it (observed Salesforce behaviour), so syncs must upsert.
            later = self.snapshots[i + 1][0] if i + 1 < len(self.snapshots) else None
            history.add(
                Id=new_id(),
                OpportunityId=self.deal.id,
                StageName=STAGES[stage].name,
                Amount=amount,
                PrevAmount=prev_amount,
                CloseDate=format_date(close),
                PrevCloseDate=None if prev_close is None else format_date(prev_close),
                ForecastCategory=FORECAST_CATEGORY[forecast],
                CreatedById=user_ids[actor],
                CreatedDate=created,
                SystemModstamp=created if later is None else format_datetime(later),
                IsDeleted=False,
            )


def replay(ctx: Context, deal: Deal) -> DealState:
    """Apply the deal's saves before its limit; write its history rows; return its state."""
    state = DealState(
        stage=0,
        amount=deal.amount,
        close_day=deal.close_day,
        forecast=STAGES[0].forecast_category_name,
        next_step=deal.next_step,
        owner=deal.owner,
        modified=deal.created,
        modified_by=deal.owner,
        clock=deal.created,
        owners=[(deal.created, deal.owner)],
    )
    writer = _HistoryWriter(ctx, deal)
    writer.snapshot(state, None, None, deal.owner, deal.created)
    saves = sorted((s for s in deal.saves if s.t < deal.limit), key=attrgetter("t", "seq"))
    for save in saves:
        if deal.dynamic_pushes:
            _push_close_date(ctx, deal, state, writer, save.t)
        _apply(deal, state, writer, save)
    if deal.dynamic_pushes:
        _push_close_date(ctx, deal, state, writer, deal.limit)
    writer.flush()
    return state


def _push_close_date(
    ctx: Context, deal: Deal, state: DealState, writer: _HistoryWriter, before: int
) -> None:
    """A healthy owner pushes an open deal's close date a few days before it passes,
    when the deal will still be open then; pushes falling before `before` are applied."""
    rng = ctx.rng
    while state.is_open:
        passes = (state.close_day + 1) * DAY
        if passes >= deal.closing_time:
            return
        t = max(work_time(passes - int(rng.uniform(0.5, 3.5) * DAY)), state.clock + 60)
        if t >= before:
            return
        if deal.closing_time < FOREVER:
            new_day = max(deal.closing_time // DAY, t // DAY + 7) + rng.randint(0, 10)
        else:
            new_day = t // DAY + rng.randint(14, 45)
        _apply(deal, state, writer, Save(t, -1, None, {"CloseDate": new_day}))


def _apply(deal: Deal, state: DealState, writer: _HistoryWriter, save: Save) -> None:
    t = save.t
    actor = state.owner if save.actor is None else save.actor
    prev_amount, prev_close = state.amount, state.close_day
    changed = snapshot = False
    for name, value in save.changes.items():
        if name == "StageName":
            if value == state.stage:
                continue
            writer.field(t, actor, name, "Picklist", STAGES[state.stage].name, STAGES[value].name)
            state.stage = value
            snapshot = True
            if "ForecastCategoryName" not in save.changes:
                _set_forecast(state, writer, t, actor, STAGES[value].forecast_category_name)
        elif name == "Amount":
            new = _resolve_amount(state.amount, value)
            if new == state.amount:
                continue
            writer.field(t, actor, name, "Currency", amount_text(state.amount), amount_text(new))
            state.amount = new
            snapshot = True
        elif name == "CloseDate":
            new = min(state.close_day, value[1]) if isinstance(value, tuple) else value
            if new == state.close_day:
                continue
            writer.field(t, actor, name, "Date", format_date(state.close_day), format_date(new))
            state.close_day = new
            snapshot = True
        elif name == "ForecastCategoryName":
            if not state.is_open:
                continue
            new = _NEXT_FORECAST[state.forecast] if value == "override" else value
            if not _set_forecast(state, writer, t, actor, new):
                continue
        elif name == "NextStep":
            if value == state.next_step:
                continue
            writer.field(t, actor, name, "Text", state.next_step, value)
            state.next_step = value
        elif name == "Owner":
            if value == state.owner:
                continue
            writer.owner_change(t, actor, state.owner, value)
            state.owner = value
            state.owners.append((t, value))
        else:
            raise KeyError(f"untracked Opportunity field {name}")
        changed = True
    if changed:
        state.modified, state.modified_by = t, actor
    if snapshot:
        writer.snapshot(state, prev_amount, prev_close, actor, t)
    state.clock = max(state.clock, t)


def _set_forecast(state: DealState, writer: _HistoryWriter, t: int, actor: int, new: str) -> bool:
    if new == state.forecast:
        return False
    writer.field(t, actor, "ForecastCategoryName", "Picklist", state.forecast, new)
    state.forecast = new
    return True


def _resolve_amount(current: float | None, value) -> float | None:
    if not isinstance(value, tuple):
        return value
    if current is None:
        return None
    return float(max(1, round(current * value[1] / 100)) * 100)
