"""Shared state of one demo-org generation and the behaviour knobs of reps and leaders."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from demo.org.people import Cast, Hierarchy
from demo.org.wire import IdSequence, Table

# Share of deals advancing from each open stage (the rest are lost there). The
# product is ~0.29: the win rate of closed deals.
BASE_ADVANCE = (0.75, 0.80, 0.75, 0.80, 0.80)


@dataclass(slots=True)
class RepProfile:
    """How a rep's deals behave; planted reps differ from the defaults."""

    advance: tuple[float, ...] = BASE_ADVANCE
    skip_prob: float = 0.02
    duration_scale: float = 1.0
    deal_weight: float = 1.0
    # Planned close date = creation + factor x the path's total stage time.
    close_factor: tuple[float, float] = (0.9, 1.4)
    # Push an open deal's close date before it lapses (healthy reps do; the stale
    # rep lets dates lapse).
    pushes_close_dates: bool = True
    # Open deals get 3-6 planned pushes (the close-date pusher).
    planned_pushes: bool = False
    # Nothing is recorded on this rep's deals from this moment (stale rep, leaver
    # who kept his deals).
    stop: int | None = None
    # Extra deals that are still open at `stop` (or as_of), so even the tiny org
    # gives each planted rep enough open deals to measure.
    forced_open_deals: int = 0


@dataclass(slots=True)
class LeaderStyle:
    """How much a manager or director intervenes on deals below them."""

    edit_share: float = 0.0  # share of the owner's own saves made by this leader instead
    activity_share: float = 0.0  # share of activities on the deal logged by this leader
    directive_task_prob: float = 0.0  # chance of one directive task per deal
    directive_gap_days: float | None = None  # mean days between directive tasks per deal
    weekly_edit_chance: float = 0.0  # chance of an extra edit per open deal and week


@dataclass(slots=True)
class Window:
    """The last 14 days of a calendar quarter."""

    start: int
    end: int
    quarter_end_day: int
    label: str


@dataclass
class Context:
    """Everything the per-deal steps share; one per `generate_org` call."""

    rng: random.Random
    as_of_day: int
    horizon: int  # as_of 00:00 UTC; nothing happens at or after it
    window_start: int
    org: Hierarchy
    cast: Cast
    tables: dict[str, Table]
    ids: dict[str, IdSequence]
    user_ids: list[str] = field(default_factory=list)
    profiles: dict[int, RepProfile] = field(default_factory=dict)
    styles: dict[int, LeaderStyle] = field(default_factory=dict)
    windows: list[Window] = field(default_factory=list)
    ceo_owners: frozenset[int] = frozenset()
    ceo_takeover_owners: tuple[int, ...] = ()
    account_names: list[str] = field(default_factory=list)
    account_owner: list[int] = field(default_factory=list)
    account_contacts: list[list[str]] = field(default_factory=list)
    ceo_deals: set[str] = field(default_factory=set)
    ceo_takeovers: set[str] = field(default_factory=set)
    fiscal_year_start_month: int = 1
