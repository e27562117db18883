"""Dagster resources: the run's parameters, the warehouse and the CRM source."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb
from simple_salesforce import Salesforce

from connectors.errors import ConfigurationError
from pipelines import warehouse
from pipelines.project import DATA_DIR

DEMO_SIZES = ("tiny", "small", "medium", "large")
DEMO_TRUTH = DATA_DIR / "demo" / "truth.json"


class RunParams(dg.ConfigurableResource):
    """What this run computes: the as-of date (default: today in the configured zone)."""

    as_of: str = ""
    timezone: str = ""

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone or os.environ.get("TRUSTGAP_TIMEZONE", "UTC"))

    def as_of_date(self) -> dt.date:
        if not self.as_of:
            return dt.datetime.now(self.zone).date()
        try:
            return dt.date.fromisoformat(self.as_of)
        except ValueError:
            raise ConfigurationError(
                f"as_of must be a date like 2026-11-27, got {self.as_of!r}"
            ) from None


class Warehouse(dg.ConfigurableResource):
    """The published DuckDB file readers open, and the working file a run builds in."""

    path: str = ""

    @property
    def published(self) -> Path:
        return warehouse.published_path(self.path or None)

    @property
    def working(self) -> Path:
        return warehouse.working_path(self.published)

    @contextmanager
    def connect(self, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        with warehouse.connect(self.working, read_only=read_only) as con:
            yield con


class CrmSource(dg.ConfigurableResource):
    """Which CRM the run reads.

    `auto` uses Salesforce when SALESFORCE_INSTANCE_URL is set and the embedded
    demo organisation otherwise, so a fresh install runs without credentials.
    The demo serves a generated org through a local fake Salesforce API for the
    length of the extract, so the real connector and SDK do the work.
    """

    source: str = "auto"
    demo_size: str = "small"
    demo_seed: int = 7
    # Where the demo writes its truth file (who was planted doing what).
    demo_truth_path: str = ""

    def resolved_source(self) -> str:
        if self.source == "auto":
            return "salesforce" if os.environ.get("SALESFORCE_INSTANCE_URL") else "demo"
        if self.source not in ("demo", "salesforce"):
            raise ConfigurationError(
                f"Unknown CRM source {self.source!r}: choose demo or salesforce."
            )
        return self.source

    @contextmanager
    def salesforce(self, as_of: dt.date, log=None) -> Iterator[Salesforce]:
        """A simple-salesforce client for the configured org (or the demo org)."""
        from connectors.salesforce.client import SalesforceSettings, connect

        if self.resolved_source() == "salesforce":
            yield connect(SalesforceSettings.from_env())
            return
        with self._demo_salesforce(as_of, log) as settings:
            yield connect(settings)

    @contextmanager
    def _demo_salesforce(self, as_of: dt.date, log):
        from connectors.demo.generator import generate_org
        from connectors.errors import Secret
        from connectors.fake_salesforce import FakeSalesforce
        from connectors.salesforce.client import SalesforceSettings

        if self.demo_size not in DEMO_SIZES:
            raise ConfigurationError(
                f"Unknown demo size {self.demo_size!r}: choose one of {', '.join(DEMO_SIZES)}."
            )
        org = generate_org(size=self.demo_size, seed=self.demo_seed, as_of=as_of)
        truth = Path(self.demo_truth_path) if self.demo_truth_path else DEMO_TRUTH
        truth.parent.mkdir(parents=True, exist_ok=True)
        org.write_truth(truth)
        if log:
            counts = ", ".join(f"{k} {len(v):,}" for k, v in org.salesforce.items())
            log.info(f"Demo org ({self.demo_size}, seed {self.demo_seed}): {counts}")
        token = "demo-session-token"
        with FakeSalesforce(records=org.salesforce, access_token=token) as fake:
            yield SalesforceSettings(instance_url=fake.instance_url, access_token=Secret(token))
