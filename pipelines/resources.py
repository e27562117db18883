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

from connectors.errors import ConfigurationError
from pipelines import warehouse
from pipelines.project import DATA_DIR

DEMO_SIZES = ("tiny", "small", "medium", "large")
DEMO_TRUTH = DATA_DIR / "demo" / "truth.json"


class RunParams(dg.ConfigurableResource):
    """What this run computes: the as-of date (default: today in the configured zone).

    `full_refresh` re-reads every CRM object from scratch instead of syncing what
    changed since the last run (`--full-refresh`).
    """

    as_of: str = ""
    timezone: str = ""
    full_refresh: bool = False

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

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext):
        # Held for the whole run (all steps share one process): a second run on
        # the same warehouse fails fast instead of corrupting the working file.
        with warehouse.run_lock(self.published):
            yield self


class CrmSource(dg.ConfigurableResource):
    """Which CRM the run reads.

    `auto` uses Salesforce when SALESFORCE_* credentials are set and the embedded
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
            from connectors.salesforce.settings import salesforce_configured

            return "salesforce" if salesforce_configured() else "demo"
        if self.source not in ("demo", "salesforce"):
            raise ConfigurationError(
                f"Unknown CRM source {self.source!r}: choose demo or salesforce."
            )
        return self.source

    @contextmanager
    def salesforce(self, as_of: dt.date, *, full_refresh: bool = False, log=None) -> Iterator:
        """``(SalesforceApi, SyncOptions)`` for the configured org (or the demo org).

        Credentials and sync settings come from SALESFORCE_* variables; the demo
        org is served by the local fake, which completes Bulk jobs at once.
        """
        from connectors.salesforce.client import connect
        from connectors.salesforce.settings import SalesforceSettings, SyncOptions

        if self.resolved_source() == "salesforce":
            options = SyncOptions.from_env(full_refresh=full_refresh)
            yield connect(SalesforceSettings.from_env()), options
            return
        options = SyncOptions.from_env(full_refresh=full_refresh, bulk_poll_seconds=0.05)
        with self._demo_salesforce(as_of, log) as settings:
            yield connect(settings), options

    @contextmanager
    def _demo_salesforce(self, as_of: dt.date, log):
        from connectors.demo.generator import generate_org
        from connectors.errors import Secret
        from connectors.fake_salesforce import FakeSalesforce
        from connectors.fake_salesforce.server import fake_organization_id
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
        # The same (size, seed, as_of) regenerates the same org under the same Id, so
        # a repeated demo syncs incrementally; another org is rebuilt from scratch.
        org_id = fake_organization_id(self.demo_size, self.demo_seed, as_of.isoformat())
        with FakeSalesforce(
            records=org.salesforce, access_token=token, organization_id=org_id
        ) as fake:
            yield SalesforceSettings(instance_url=fake.instance_url, access_token=Secret(token))
