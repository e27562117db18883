"""A realistic day in the org between two nightly runs, and dumps of what the fake serves.

`apply_day_of_changes` edits the fake through its org-change API the way a sales
team's day does: about 2 % of open deals move (a stage step, a new amount or a
pushed close date, each writing OpportunityHistory and OpportunityFieldHistory
rows) and one day's share of the org's tasks and events is logged.

`dump_payloads` writes each object's rows as the Bulk API 2.0 CSV the fake serves
(same quoting, nulls and datetime form), one file per object, optionally only the
rows an incremental window would read: the floor arm loads these with DuckDB alone.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import random
from collections import defaultdict
from pathlib import Path
from typing import Any

from connectors.salesforce.objects import OBJECTS_BY_NAME
from demo.fake_salesforce.bulk_csv import csv_value
from demo.fake_salesforce.schema import DATETIME_TYPES

DEAL_CHANGE_SHARE = 0.02
HISTORY_DAYS = 730  # the generator's two years


def apply_day_of_changes(fake: Any, day: dt.date, *, seed: int = 1) -> dict[str, int]:
    """Change the org as one working day on `day` does; returns rows touched per object."""
    rng = random.Random(seed)
    fake.clock = dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC)
    stages = sorted(fake.records("OpportunityStage"), key=lambda s: s["SortOrder"])
    open_stages = [s for s in stages if not s["IsClosed"]]
    next_stage = {a["MasterLabel"]: b for a, b in itertools.pairwise(open_stages)}
    deals = [d for d in fake.records("Opportunity") if not d.get("IsDeleted")]
    open_deals = [d for d in deals if not d.get("IsClosed")] or deals
    picked = rng.sample(open_deals, k=min(len(open_deals), max(1, round(len(deals) * 0.02))))

    # Mass updates share a stamp, as a data load would; grouping keeps the fake's
    # update_many at one pass over the deals per group.
    groups: dict[tuple, list[dict]] = defaultdict(list)
    history: list[tuple[dict, str, Any, Any]] = []
    close = (day + dt.timedelta(days=30)).isoformat()
    for deal in picked:
        kind = rng.choice(("stage", "amount", "close"))
        stage = next_stage.get(deal.get("StageName"))
        if kind == "stage" and stage is not None:
            change = (
                ("StageName", stage["MasterLabel"]),
                ("Probability", stage["DefaultProbability"]),
                ("ForecastCategoryName", stage["ForecastCategoryName"]),
            )
            history.append((deal, "StageName", deal.get("StageName"), stage["MasterLabel"]))
        elif kind == "amount":
            amount = float(rng.choice((5, 10, 20, 40, 80, 150)) * 1000)
            change = (("Amount", amount),)
            history.append((deal, "Amount", deal.get("Amount"), amount))
        else:
            change = (("CloseDate", close),)
            history.append((deal, "CloseDate", deal.get("CloseDate"), close))
        groups[change].append(deal)
    for change, members in groups.items():
        fake.advance(rng.randint(30, 600))
        fake.update_many("Opportunity", [d["Id"] for d in members], **dict(change))

    data_types = {"StageName": "Text", "Amount": "Currency", "CloseDate": "Date"}
    for deal, field, old, new in history:
        fake.advance(1)
        fake.insert(
            "OpportunityFieldHistory",
            {
                "OpportunityId": deal["Id"],
                "Field": field,
                "DataType": data_types[field],
                "OldValue": old,
                "NewValue": new,
                "CreatedById": deal.get("OwnerId"),
                "IsDeleted": False,
            },
        )
        current = {**deal, field: new}
        fake.insert(
            "OpportunityHistory",
            {
                "OpportunityId": deal["Id"],
                "StageName": current.get("StageName"),
                "Amount": current.get("Amount"),
                "PrevAmount": deal.get("Amount"),
                "CloseDate": current.get("CloseDate"),
                "PrevCloseDate": deal.get("CloseDate"),
                "ForecastCategory": "Pipeline",
                "CreatedById": deal.get("OwnerId"),
                "IsDeleted": False,
            },
        )

    touched = {"Opportunity": len(picked), "OpportunityHistory": len(history)}
    touched["OpportunityFieldHistory"] = len(history)
    for name, date_field in (("Task", "ActivityDate"), ("Event", "ActivityDateTime")):
        existing = fake.records(name)
        if not existing:
            continue
        new_rows = max(1, round(len(existing) / HISTORY_DAYS))
        for _ in range(new_rows):
            fake.advance(rng.randint(1, 20))
            deal = rng.choice(open_deals)
            template = rng.choice(existing)
            row = {k: v for k, v in template.items() if k not in ("Id", "CreatedDate")}
            row.pop("SystemModstamp", None)
            when = fake.now()
            row.update(
                WhatId=deal["Id"],
                OwnerId=deal.get("OwnerId"),
                CreatedById=deal.get("OwnerId"),
                IsDeleted=False,
                **{
                    date_field: day.isoformat()
                    if date_field == "ActivityDate"
                    else when.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
                },
            )
            fake.insert(name, row)
        touched[name] = new_rows
    return touched


def dump_payloads(fake: Any, directory: str | Path, *, since: str | None = None) -> dict:
    """Write every catalog object as Bulk-style CSV into `directory`; rows and bytes per object.

    With `since` (REST datetime text), incremental objects keep only rows whose
    watermark is at or after it: what one incremental window reads.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = {}
    for name in fake.object_names:
        obj = OBJECTS_BY_NAME.get(name)
        if obj is None:
            continue
        schema = fake._schemas[name]
        fields = [f for f in obj.field_names if schema.has(f)]
        datetimes = frozenset(f.name for f in schema.fields if f.type in DATETIME_TYPES)
        rows = fake.records(name)
        if since is not None and obj.incremental:
            rows = [r for r in rows if (r.get(obj.watermark) or "") >= since]
        path = directory / f"{obj.table}.csv"
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh, lineterminator="\n", quoting=csv.QUOTE_ALL)
            writer.writerow(fields)
            for row in rows:
                writer.writerow([csv_value(f, row.get(f), datetimes) for f in fields])
        written[obj.table] = {
            "object": name,
            "rows": len(rows),
            "bytes": path.stat().st_size,
            "fields": fields,
            "datetimes": sorted(datetimes & set(fields)),
        }
    return written
