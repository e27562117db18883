"""The Salesforce peer arms: Trustgap's connector (default, and REST only) against dlt.

The fake Salesforce runs in its own process (`fake_process`) with its clock set
to the benchmark's day; `trustgap_arm` is the child side of a Trustgap arm
(`python -m benchmarks.peers --arm SPEC`); the dlt arms are `peer/dlt_arm.py`.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.fake_process import TOKEN, FakeProcess
from benchmarks.harness import AS_OF
from benchmarks.peers_child import print_figures

TRUSTGAP_ARMS = ("trustgap-default", "trustgap-rest")
DLT_ARMS = ("dlt-arrow", "dlt-dict")
ARMS = TRUSTGAP_ARMS + DLT_ARMS
CHILD_FLAG = "--arm"
SCHEMA = "raw_salesforce"
# The median extract + land ratio reported (Trustgap arm ÷ dlt arm).
RATIO = ("rest_over_dlt_arrow", "trustgap-rest", "dlt-arrow")


def objects_spec() -> list[dict]:
    """The catalog's objects, as the dlt arm reads them."""
    from connectors.salesforce.objects import OBJECTS

    return [
        {
            "name": o.name,
            "table": o.table,
            "fields": [(name, str(kind)) for name, kind in o.fields],
            "watermark": o.watermark,
            "incremental": o.incremental,
        }
        for o in OBJECTS
    ]


def tables() -> list[str]:
    """Every raw_salesforce table of the catalog."""
    return [o["table"] for o in objects_spec()]


def start_fake(size: str, generator: str, seed: int, log: Callable[[str], None]) -> FakeProcess:
    """The fake org in its own process, its clock on the benchmark's day."""
    log(f"[{size}] generating the {generator} org in the fake's process ...")
    fake = FakeProcess(generator, seed, AS_OF)
    try:
        moment = dt.datetime.combine(AS_OF, dt.time(2), dt.UTC).isoformat()
        fake.call("set_clock", moment=moment)
    except BaseException:
        fake.stop()
        raise
    return fake


def arm_spec(arm: str, fake: FakeProcess) -> dict:
    """What one arm's child needs beyond the DuckDB file and the objects."""
    from connectors.salesforce.settings import DEFAULT_API_VERSION

    return {
        "instance_url": fake.instance_url,
        "token": TOKEN,
        "api_version": DEFAULT_API_VERSION,
        "bulk_threshold": 0 if arm == "trustgap-rest" else 10_000,
        "shape": arm.removeprefix("dlt-"),
    }


def trustgap_arm(spec_path: str) -> int:
    """Child side of a Trustgap arm: the real connector through its public API."""
    spec = json.loads(Path(spec_path).read_text())
    started = time.perf_counter()
    import duckdb

    from connectors.errors import Secret
    from connectors.salesforce.client import SalesforceConnection, connect
    from connectors.salesforce.settings import SalesforceSettings, SyncOptions
    from connectors.salesforce.sync import sync_salesforce

    imported = time.perf_counter()
    settings = SalesforceSettings(
        instance_url=spec["instance_url"], access_token=Secret(spec["token"])
    )
    options = SyncOptions(bulk_threshold=spec["bulk_threshold"])
    con = duckdb.connect(spec["db"])
    transports = {}
    connection = SalesforceConnection(connect(settings), options)
    for _ in sync_salesforce(
        connection,
        con,
        on_result=lambda r: transports.__setitem__(r.object_name, r.transport),
    ):
        pass
    con.close()
    print_figures(started, imported, transports=transports)
    return 0
