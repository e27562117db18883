"""Deterministic demo organisation: the data behind the fake Salesforce API.

`generate_org(size, seed, as_of)` builds a sales org (CEO -> Sales Directors ->
managers -> reps), two years of deals moving through the stage pipeline up to the
day before `as_of`, their history and activities, and the planted behaviours
(planted.py). Records are Salesforce REST-shaped with exactly the fields of
`connectors.salesforce.objects`; `org.truth` says what was planted, so tests can
check that the pipeline recovers it.

Same (size, seed, as_of) => identical output: one seeded `random.Random`, no clock.
Rows are kept as tuples in catalog field order (`org.tables`), which keeps the
large sizes in memory; `org.salesforce` materialises the record dicts on first use.

This module holds the sizes, the org's people and stages and the order of the
steps; each step has its own module: `schedule` (who creates which deal when),
`accounts`, `deals` (with `lifecycle`, `activities` and `planted`) and `truth`.
"""

from __future__ import annotations

import datetime
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pyarrow as pa

from connectors.salesforce.objects import CURRENCY_OBJECTS, OBJECTS, OBJECTS_BY_NAME
from demo.org import people as people_mod
from demo.org import planted
from demo.org.accounts import write_accounts
from demo.org.context import Context
from demo.org.currencies import Currencies, currency_truth, plan_currencies, write_currencies
from demo.org.deals import write_deals
from demo.org.lifecycle import STAGES
from demo.org.schedule import schedule_deals
from demo.org.truth import build_truth
from demo.org.wire import DAY, IdSequence, Table, day_number, format_datetime

HISTORY_DAYS = 730
DEFAULT_AS_OF = datetime.date(2026, 11, 27)


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
    # None: a single-currency org (no CurrencyIsoCode, no rate objects).
    currencies: Currencies | None = None

    @cached_property
    def salesforce(self) -> dict[str, list[dict]]:
        """Records per sObject API name, as the REST API returns them (built once)."""
        return {name: list(self.records(name)) for name in self.tables}

    def records(self, sobject: str) -> Iterator[dict]:
        """Stream one sObject's records without materialising them all."""
        table = self.tables[sobject]
        fields = table.fields
        if self.currencies is None and "CurrencyIsoCode" in fields:
            # A single-currency org's API has no such field at all.
            keep = [i for i, name in enumerate(fields) if name != "CurrencyIsoCode"]
            names = [fields[i] for i in keep]
            for row in table.rows:
                yield dict(zip(names, (row[i] for i in keep), strict=True))
            return
        for row in table.rows:
            yield dict(zip(fields, row, strict=True))

    def arrow(self, sobject: str) -> pa.Table:
        """One sObject as an Arrow table with the catalog's raw schema."""
        schema = OBJECTS_BY_NAME[sobject].arrow_schema
        table = self.tables.get(sobject)
        if table is None:  # an object this org does not have (single-currency: the rates)
            return schema.empty_table()
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
    size: str = "small",
    seed: int = 7,
    as_of: datetime.date = DEFAULT_AS_OF,
    *,
    multi_currency: bool = True,
) -> DemoOrg:
    """Generate the demo org of `size` (one of SIZES) for `seed`, as seen on `as_of`.

    `multi_currency` (the default) gives deals their account's currency, with rates
    (demo.org.currencies); off, the org is single-currency and amounts are plain.

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
    schedule = schedule_deals(ctx, SIZES[size].deals)
    deal_accounts = write_accounts(ctx, schedule)
    deals_by_owner = write_deals(ctx, schedule, deal_accounts)
    dirty_rows = planted.plant_dirty_fields(ctx, deals_by_owner)
    orphan = planted.plant_orphan_task(ctx)
    currencies = None
    if multi_currency:
        currencies = plan_currencies(size, seed, ctx.as_of_day, len(ctx.tables["Account"]))
        write_currencies(ctx, currencies, deal_accounts)
    else:
        for name in CURRENCY_OBJECTS:
            del ctx.tables[name]
    truth = build_truth(ctx, size, seed, as_of, deals_by_owner, dirty_rows, [orphan])
    truth["currencies"] = currency_truth(ctx, currencies)
    return DemoOrg(
        size=size, seed=seed, as_of=as_of, tables=ctx.tables, truth=truth, currencies=currencies
    )


def _new_context(spec: OrgSize, seed: int, size: str, as_of: datetime.date) -> Context:
    rng = random.Random(f"trustgap-demo:{size}:{seed}")
    horizon = day_number(as_of) * DAY
    window_start = horizon - HISTORY_DAYS * DAY
    org = people_mod.build_hierarchy(
        rng, spec.directors, spec.managers, spec.reps, spec.inactive_reps
    )
    cast, departed = people_mod.cast_planted_people(rng, org, spec.inactive_reps, horizon)
    people_mod.set_tenure(rng, org, cast, departed, window_start, horizon)
    # The rate objects get ids of their own (demo.org.currencies): drawing theirs
    # here would move every later draw, and with it the whole org.
    ids = {
        obj.name: IdSequence(obj.name, rng.randrange(62**6, 62**7))
        for obj in OBJECTS
        if obj.name not in CURRENCY_OBJECTS
    }
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
