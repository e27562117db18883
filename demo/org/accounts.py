"""The demo org's accounts: each rep's book, named deterministically, with contacts."""

from __future__ import annotations

import math

from demo.org.context import Context
from demo.org.lifecycle import FOREVER
from demo.org.wire import DAY, format_datetime, work_time

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


def _account_name(number: int) -> str:
    sizes = [len(words) for words in _ACCOUNT_WORDS]
    # A fixed stride coprime with the name space spreads consecutive accounts over it.
    code = (number * 7919 + 4001) % math.prod(sizes)
    parts = []
    for words, width in zip(_ACCOUNT_WORDS, sizes, strict=True):
        code, pick = divmod(code, width)
        parts.append(words[pick])
    return f"{parts[0]} {parts[1]} {parts[2]} {parts[3]}"


def write_accounts(ctx: Context, schedule: list[tuple[int, int, bool]]) -> list[int]:
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
