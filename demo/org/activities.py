"""Activities on deals: calls, emails and to-dos (Task) and meetings (Event).

Owners log them at a steady cadence while a deal is open, and never leave an open deal
untouched for longer than MAX_ACTIVITY_GAP_DAYS: a deal goes stale only where a planted
owner stops working, at every as-of date alike (so the history is as clean as the
generation date, not only the generation date). Healthy owners have touched every open
deal within the last week and often have a follow-up planned after as_of.
Leaders log some activities themselves and assign directive tasks per their style.
"""

from __future__ import annotations

import itertools
import random

from demo.org.context import Context, LeaderStyle
from demo.org.lifecycle import Deal, DealState, between
from demo.org.wire import DAY, format_date, format_datetime, work_time

# Mean days between logged activities on an open deal; gives ~10 per deal overall.
ACTIVITY_GAP_DAYS = 5.5
# The longest an owner leaves an open deal untouched (below the stale_days var, 14): longer
# gaps in the random cadence get evenly spaced extra activities.
MAX_ACTIVITY_GAP_DAYS = 9
_NO_STYLE = LeaderStyle()

# (TaskSubtype or "Meeting", Type, subjects), drawn with _KIND_CUM_WEIGHTS.
_KINDS = (
    ("Call", "Call", ("Discovery call", "Follow-up call", "Pricing call", "Check-in call")),
    ("Email", "Email", ("Email: recap", "Email: proposal", "Email: follow-up", "Email: intro")),
    ("Task", "Other", ("Prepare proposal", "Update deal notes", "Send contract draft")),
    ("Meeting", "Meeting", ("Product demo", "On-site workshop", "Negotiation meeting")),
)
_KIND_CUM_WEIGHTS = (0.35, 0.68, 0.80, 1.0)
DIRECTIVE_SUBJECTS = (
    "Update the next step today",
    "Explain the close date change",
    "Send me the latest forecast for this deal",
    "Book a call with the economic buyer this week",
    "Fix the amount before the forecast call",
    "Add the decision maker as a contact",
)


class _ActivityWriter:
    """Writes one deal's Task and Event rows and tracks its LastActivityDate."""

    def __init__(self, ctx: Context, deal: Deal):
        self.ctx = ctx
        self.deal = deal
        self.tasks = ctx.tables["Task"]
        self.events = ctx.tables["Event"]
        self.last_day: int | None = None

    def _who(self, rng: random.Random) -> str | None:
        contacts = self.deal.contacts
        return rng.choice(contacts) if contacts and rng.random() < 0.85 else None

    def _seen(self, day: int) -> None:
        if self.last_day is None or day > self.last_day:
            self.last_day = day

    def task(
        self,
        t: int,
        owner: int,
        creator: int,
        subtype: str,
        kind: str,
        subject: str,
        due_day: int,
        done_at: int | None,
        rng: random.Random | None = None,
    ) -> None:
        """A task due on `due_day`; completed at `done_at` (None = still open)."""
        if done_at is not None:
            self._seen(due_day)
        created = format_datetime(t)
        self.tasks.add(
            Id=self.ctx.ids["Task"](),
            WhatId=self.deal.id,
            WhoId=self._who(rng or self.ctx.rng),
            OwnerId=self.ctx.user_ids[owner],
            CreatedById=self.ctx.user_ids[creator],
            Subject=subject,
            ActivityDate=format_date(due_day),
            Status="Not Started" if done_at is None else "Completed",
            IsClosed=done_at is not None,
            Type=kind,
            TaskSubtype=subtype,
            CreatedDate=created,
            SystemModstamp=created if done_at in (None, t) else format_datetime(done_at),
            IsDeleted=False,
        )

    def meeting(
        self, start: int, created: int, owner: int, subject: str, rng: random.Random | None = None
    ) -> None:
        if start < self.ctx.horizon:
            self._seen(start // DAY)
        self.events.add(
            Id=self.ctx.ids["Event"](),
            WhatId=self.deal.id,
            WhoId=self._who(rng or self.ctx.rng),
            OwnerId=self.ctx.user_ids[owner],
            CreatedById=self.ctx.user_ids[owner],
            Subject=subject,
            ActivityDateTime=format_datetime(start),
            Type="Meeting",
            EventSubtype="Event",
            CreatedDate=format_datetime(created),
            SystemModstamp=format_datetime(created),
            IsDeleted=False,
        )

    def logged(self, t: int, owner: int, rng: random.Random | None = None) -> None:
        """A call, email or to-do done at `t`, or a meeting held at `t`."""
        rng = rng or self.ctx.rng
        subtype, kind, subjects = rng.choices(_KINDS, cum_weights=_KIND_CUM_WEIGHTS)[0]
        if subtype == "Meeting":
            start = t - t % 1800
            created = max(self.deal.created, start - int(rng.uniform(0, 5) * DAY))
            self.meeting(start, created, owner, rng.choice(subjects), rng)
        else:
            self.task(t, owner, owner, subtype, kind, rng.choice(subjects), t // DAY, t, rng)


def log_activities(ctx: Context, deal: Deal, state: DealState) -> int | None:
    """Write the deal's activities; return its LastActivityDate as a day number."""
    rng = ctx.rng
    writer = _ActivityWriter(ctx, deal)
    leader = ctx.org.people[deal.owner].manager
    style = ctx.styles.get(leader, _NO_STYLE)
    end = deal.open_until
    last = _log_cadence(ctx, deal, state, writer, leader, style, end)
    if _is_healthy_open(ctx, deal, state):
        if last is None or last < ctx.horizon - 6 * DAY:
            t = max(work_time(ctx.horizon - int(rng.uniform(0.5, 5.5) * DAY)), deal.created + 60)
            writer.logged(t, state.owner)
        _plan_follow_up(ctx, deal, state, writer)
    _assign_directives(ctx, deal, state, writer, leader, style, end)
    return writer.last_day


def _log_cadence(ctx, deal, state, writer, leader, style, end) -> int | None:
    """Activities at a steady random cadence while the deal is open; returns the last."""
    rng = ctx.rng
    gap = ACTIVITY_GAP_DAYS * DAY
    t_raw = float(deal.created)
    last = None
    moments = [deal.created]
    while True:
        t_raw += rng.expovariate(1.0) * gap
        t = max(work_time(int(t_raw)), deal.created + 60)
        if t_raw >= end or t >= end:
            _fill_long_gaps(deal, state, writer, [*moments, end])
            return last
        owner = state.owner_at(t)
        if style.activity_share and rng.random() < style.activity_share:
            owner = leader if ctx.org.people[owner].manager == leader else owner
        writer.logged(t, owner)
        moments.append(t)
        last = t


def _fill_long_gaps(deal: Deal, state: DealState, writer: _ActivityWriter, moments) -> None:
    """Evenly spaced extra activities wherever the cadence left the deal untouched too long.

    They draw from the deal's own random stream, not the org's, so adding them leaves
    every other generated row as it was.
    """
    max_gap = MAX_ACTIVITY_GAP_DAYS * DAY
    rng = None
    for start, stop in itertools.pairwise(moments):
        extra = -(-(stop - start) // max_gap) - 1
        for k in range(1, extra + 1):
            t = work_time(start + (stop - start) * k // (extra + 1))
            if deal.created + 60 <= t < stop:
                rng = rng or random.Random(f"activity-gaps:{deal.id}")
                writer.logged(t, state.owner_at(t), rng)


def _is_healthy_open(ctx: Context, deal: Deal, state: DealState) -> bool:
    return state.is_open and deal.limit == ctx.horizon and deal.closing_time >= ctx.horizon


def _plan_follow_up(ctx: Context, deal: Deal, state: DealState, writer: _ActivityWriter) -> None:
    rng = ctx.rng
    roll = rng.random()
    created = max(deal.created + 60, ctx.horizon - int(rng.uniform(0.1, 6.0) * DAY))
    if created >= ctx.horizon:
        return
    if roll < 0.5:
        due_day = ctx.as_of_day + rng.randint(0, 14)
        writer.task(
            created,
            state.owner,
            state.owner,
            "Task",
            "Other",
            "Follow up: " + (state.next_step or "next step"),
            due_day,
            None,
        )
    elif roll < 0.65:
        start = work_time((ctx.as_of_day + rng.randint(1, 14)) * DAY + rng.randint(0, DAY - 1))
        writer.meeting(start - start % 1800, created, state.owner, "Planned meeting")


def _assign_directives(ctx, deal, state, writer, leader, style: LeaderStyle, end) -> None:
    """Tasks the owner's leader creates for the owner ("directive tasks")."""
    rng = ctx.rng
    last_start = end - 5 * DAY  # due dates stay before the deal's end
    if last_start <= deal.created:
        return
    moments = []
    if style.directive_gap_days:
        t = float(deal.created)
        while (t := t + rng.expovariate(1.0) * style.directive_gap_days * DAY) < last_start:
            moments.append(int(t))
    elif style.directive_task_prob and rng.random() < style.directive_task_prob:
        moments.append(between(rng, deal.created, last_start))
    for t in moments:
        owner = state.owner_at(t)
        if ctx.org.people[owner].manager != leader:
            continue  # taken over or reassigned out of the leader's team
        due_day = t // DAY + rng.randint(1, 4)
        done = work_time(due_day * DAY + rng.randint(0, DAY - 1))
        done_at = max(done, t + 60) if done < deal.limit and rng.random() < 0.8 else None
        subject = rng.choice(DIRECTIVE_SUBJECTS)
        writer.task(t, owner, leader, "Task", "Other", subject, due_day, done_at)
