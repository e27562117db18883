"""The demo organisation's people: CEO -> Sales Directors -> managers -> reps.

Also casts the planted behaviours (planted.py): which director's org the CEO
intervenes in, which managers are always-on / coach / stage-skipping, and which
reps push close dates, go stale, are weak at a stage, own dirty rows or left the
company with open deals. Planted people are distinct, and planted reps never sit
in the always-on or stage-skipping teams, so each signal stays attributable.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from demo.org.wire import DAY

FIRST_NAMES = (
    "Ava", "Ben", "Chloe", "Daniel", "Elena", "Felix", "Grace", "Hugo", "Isla", "Jonas",
    "Kira", "Liam", "Maya", "Noah", "Olivia", "Paul", "Quinn", "Rosa", "Samir", "Tara",
    "Umar", "Vera", "Wei", "Ximena", "Yusuf", "Zoe", "Aria", "Bruno", "Carmen", "Dev",
    "Emil", "Fatima", "Gustav", "Hana", "Ivan", "Julia", "Kenji", "Lea", "Marco", "Nina",
    "Oscar", "Priya", "Rafael", "Sofia", "Theo", "Ulla", "Victor", "Wanda", "Yara", "Zane",
)  # fmt: skip
LAST_NAMES = (
    "Adams", "Berg", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Hansen", "Ito",
    "Jensen", "Kowalski", "Larsen", "Moreau", "Nakamura", "Okafor", "Petrov", "Quist",
    "Rossi", "Schmidt", "Tanaka", "Ulrich", "Varga", "Weber", "Xu", "Yilmaz", "Zimmer",
    "Alvarez", "Brandt", "Chen", "Dahl", "Evans", "Ferreira", "Gupta", "Holm", "Iversen",
    "Jovanovic", "Keller", "Lindqvist", "Meyer", "Novak", "Olsen", "Park", "Richter",
    "Silva", "Torres", "Usman", "Vogel", "Walsh", "Young", "Zhang",
)  # fmt: skip
REGIONS = (
    "EMEA", "North America", "APAC", "LATAM", "DACH",
    "Nordics", "UK&I", "France", "Benelux", "Iberia",
)  # fmt: skip
EMAIL_DOMAIN = "trustgap-demo.example"


@dataclass(slots=True)
class Person:
    """One user. Times are epoch seconds; `left` is set for deactivated users."""

    index: int
    level: str  # ceo | director | manager | rep
    manager: int | None
    role: int
    name: str
    title: str
    hired: int = 0
    left: int | None = None
    director: int | None = None

    @property
    def email(self) -> str:
        return f"{self.name.lower().replace(' ', '.')}@{EMAIL_DOMAIN}"

    @property
    def is_active(self) -> bool:
        return self.left is None


@dataclass(slots=True)
class Role:
    name: str
    parent: int | None


@dataclass
class Hierarchy:
    """Everyone, the role tree, and who reports to whom."""

    people: list[Person] = field(default_factory=list)
    roles: list[Role] = field(default_factory=list)
    directors: list[int] = field(default_factory=list)
    managers: list[int] = field(default_factory=list)
    reps: list[int] = field(default_factory=list)
    teams: dict[int, list[int]] = field(default_factory=dict)

    ceo: int = 0

    def managers_of(self, director: int) -> list[int]:
        return [m for m in self.managers if self.people[m].manager == director]

    def subtree_reps(self, director: int) -> list[int]:
        return [r for m in self.managers_of(director) for r in self.teams[m]]

    def active_reps(self) -> list[int]:
        return [r for r in self.reps if self.people[r].is_active]


@dataclass
class Cast:
    """Who carries each planted behaviour (user indices)."""

    ceo_director: int
    always_on: int
    coach: int
    skipping: int
    pusher: int
    stale: int
    weak: int
    weak_stage: int
    deactivated: int
    dirty_owners: list[int]
    stale_since: int

    @property
    def planted_reps(self) -> set[int]:
        return {self.pusher, self.stale, self.weak, self.deactivated}


def _names(rng: random.Random, count: int) -> list[str]:
    picks = rng.sample(range(len(FIRST_NAMES) * len(LAST_NAMES)), count)
    return [f"{FIRST_NAMES[p // len(LAST_NAMES)]} {LAST_NAMES[p % len(LAST_NAMES)]}" for p in picks]


def build_hierarchy(
    rng: random.Random, directors: int, managers: int, reps: int, inactive_reps: int
) -> Hierarchy:
    """CEO, directors, managers (round-robin over directors) and reps (round-robin over
    managers). `inactive_reps` extra reps are created; the cast decides who leaves.
    Hire and leave times are set by `set_tenure`.
    """
    org = Hierarchy()
    names = iter(_names(rng, 1 + directors + managers + reps + inactive_reps))

    def add(level: str, manager: int | None, role: int, title: str) -> int:
        person = Person(len(org.people), level, manager, role, next(names), title)
        org.people.append(person)
        return person.index

    org.roles.append(Role("CEO", None))
    org.ceo = add("ceo", None, 0, "Chief Executive Officer")
    for d in range(directors):
        org.roles.append(Role(f"Sales Director {REGIONS[d % len(REGIONS)]}", 0))
        org.directors.append(add("director", org.ceo, len(org.roles) - 1, "Sales Director"))
    rep_roles = {}
    for m in range(managers):
        director = org.directors[m % directors]
        region = REGIONS[(m % directors) % len(REGIONS)]
        team_no = m // directors + 1
        org.roles.append(Role(f"Sales Manager {region} {team_no}", org.people[director].role))
        manager = add("manager", director, len(org.roles) - 1, "Sales Manager")
        org.people[manager].director = director
        org.roles.append(Role(f"Account Executive {region} {team_no}", len(org.roles) - 1))
        rep_roles[manager] = len(org.roles) - 1
        org.managers.append(manager)
        org.teams[manager] = []
    for r in range(reps + inactive_reps):
        manager = org.managers[r % managers]
        rep = add("rep", manager, rep_roles[manager], "Account Executive")
        org.people[rep].director = org.people[manager].manager
        org.reps.append(rep)
        org.teams[manager].append(rep)
    return org


def cast_planted_people(
    rng: random.Random, org: Hierarchy, inactive_reps: int, horizon: int
) -> tuple[Cast, list[int]]:
    """Choose the planted cast and which reps have left; returns (cast, departed reps).

    The CEO's target director keeps the coach and the normal teams where possible;
    the always-on and stage-skipping teams sit under other directors.
    """
    target = rng.choice(org.directors)
    inside = [m for m in org.managers if org.people[m].manager == target]
    outside = [m for m in org.managers if org.people[m].manager != target]
    rng.shuffle(inside)
    rng.shuffle(outside)
    preference = outside + inside
    always_on, skipping = preference[0], preference[1]
    coach = next(m for m in inside + outside if m not in (always_on, skipping))

    eligible_teams = [m for m in org.managers if m not in (always_on, skipping)]
    eligible_reps = [r for m in eligible_teams for r in org.teams[m]]
    rng.shuffle(eligible_reps)
    deactivated = eligible_reps.pop()
    # Normal leavers' deals are reassigned by their manager, which the coach never does.
    leaver_pool = [r for r in org.reps if org.people[r].manager != coach and r != deactivated]
    rng.shuffle(leaver_pool)
    leavers = leaver_pool[: inactive_reps - 1]
    gone = {deactivated, *leavers}

    remaining = [r for r in eligible_reps if r not in gone]
    pusher, stale, weak = remaining[:3]
    dirty_owners = _spread_over_teams(org, remaining[3:], 2)
    cast = Cast(
        ceo_director=target,
        always_on=always_on,
        coach=coach,
        skipping=skipping,
        pusher=pusher,
        stale=stale,
        weak=weak,
        weak_stage=rng.choice((2, 3)),  # Needs Analysis or Proposal
        deactivated=deactivated,
        dirty_owners=dirty_owners,
        stale_since=horizon - rng.randint(32, 55) * DAY,
    )
    return cast, [deactivated, *leavers]


def _spread_over_teams(org: Hierarchy, candidates: list[int], count: int) -> list[int]:
    chosen: list[int] = []
    for rep in candidates:
        if all(org.people[rep].manager != org.people[c].manager for c in chosen):
            chosen.append(rep)
        if len(chosen) == count:
            return chosen
    return (chosen + [c for c in candidates if c not in chosen])[:count]


def set_tenure(
    rng: random.Random,
    org: Hierarchy,
    cast: Cast,
    departed: list[int],
    window_start: int,
    horizon: int,
) -> None:
    """Hire dates for everyone, leave dates for departed reps, a few new hires."""
    years = 365 * DAY
    for person in org.people:
        earliest = {"ceo": 8, "director": 6, "manager": 5, "rep": 4}[person.level]
        person.hired = horizon - rng.randint(int(2.1 * years), earliest * years)
    protected = cast.planted_reps | set(cast.dirty_owners) | set(departed)
    hire_pool = [r for r in org.reps if r not in protected]
    for rep in rng.sample(hire_pool, max(1, len(org.reps) // 8)):
        org.people[rep].hired = rng.randint(window_start + 60 * DAY, horizon - 150 * DAY)
    for rep in departed:
        if rep == cast.deactivated:
            org.people[rep].left = horizon - rng.randint(45, 110) * DAY
        else:
            org.people[rep].left = rng.randint(window_start + 120 * DAY, horizon - 60 * DAY)
