"""Who answers for each asset, what it is for, and how fresh BI may expect it.

One table keyed by asset group: `pipelines/definitions.py` applies it to every
asset (the dbt ones included), so the catalog can be filtered by owner, layer
and audience. Owners are Dagster owner strings (`team:` or an e-mail).
"""

from __future__ import annotations

import datetime as dt

import dagster as dg

DATA_ENGINEERING = "team:data-engineering"
REVOPS = "team:revops"

# group -> (owners, layer tag). Raw to intermediate is the data team's plumbing; the
# marts, the quarantine (rows RevOps fixes in the CRM) and what is published are read
# by RevOps and BI tools too.
GROUPS: dict[str, tuple[tuple[str, ...], str]] = {
    "raw_salesforce": ((DATA_ENGINEERING,), "raw"),
    "raw_hubspot": ((DATA_ENGINEERING,), "raw"),
    "seeds": ((DATA_ENGINEERING,), "seed"),
    "staging": ((DATA_ENGINEERING,), "staging"),
    "intermediate": ((DATA_ENGINEERING,), "intermediate"),
    "history_run": ((DATA_ENGINEERING,), "history"),
    "quarantine": ((DATA_ENGINEERING, REVOPS), "quarantine"),
    "marts": ((DATA_ENGINEERING, REVOPS), "marts"),
    "publish": ((DATA_ENGINEERING, REVOPS), "publish"),
}
# What BI tools and the trust report read (all in the published warehouse).
BI_FACING = {"marts", "quarantine", "publish"}
# Published once a night: a day and a bit late warns, two days fails (a missed night
# plus the retry window), so one failed run does not page anyone.
BI_FRESHNESS = dg.FreshnessPolicy.time_window(
    fail_window=dt.timedelta(hours=48), warn_window=dt.timedelta(hours=26)
)


def annotated(spec: dg.AssetSpec) -> dg.AssetSpec:
    """`spec` with its group's owners and tags, and a freshness policy when BI reads it."""
    owners, layer = GROUPS[spec.group_name]
    tags = {**spec.tags, "layer": layer}
    if spec.group_name in BI_FACING:
        tags["audience"] = "bi"
    extra = {"freshness_policy": BI_FRESHNESS} if spec.group_name in BI_FACING else {}
    return spec.replace_attributes(owners=[*owners], tags=tags, **extra)
