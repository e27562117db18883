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

    `auto` uses Salesforce when SALESFORCE_* credentials are set, HubSpot when
    HUBSPOT_ACCESS_TOKEN is, and the embedded demo organisation otherwise, so a
    fresh install runs without credentials. The demo serves a generated org
    through a local fake Salesforce API (or, with `demo_crm: hubspot`, a fake
    HubSpot API) for the length of the extract, so the real connector and SDK do
    the work.
    """

    source: str = "auto"
    demo_size: str = "small"
    demo_seed: int = 7
    # Which fake CRM serves the demo org: salesforce or hubspot.
    demo_crm: str = "salesforce"
    # Where the demo writes its truth file (who was planted doing what).
    demo_truth_path: str = ""

    def resolved_source(self) -> str:
        if self.source == "auto":
            from connectors.salesforce.settings import salesforce_configured

            if salesforce_configured():
                return "salesforce"
            return "hubspot" if os.environ.get("HUBSPOT_ACCESS_TOKEN", "").strip() else "demo"
        if self.source not in ("demo", "salesforce", "hubspot"):
            raise ConfigurationError(
                f"Unknown CRM source {self.source!r}: choose demo, salesforce or hubspot."
            )
        return self.source

    def platform(self) -> str:
        """The CRM API this run reads, real or demo: salesforce or hubspot."""
        source = self.resolved_source()
        if source != "demo":
            return source
        if self.demo_crm not in ("salesforce", "hubspot"):
            raise ConfigurationError(
                f"Unknown demo CRM {self.demo_crm!r}: choose salesforce or hubspot."
            )
        return self.demo_crm

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

    @contextmanager
    def hubspot(self, as_of: dt.date, log=None) -> Iterator[HubSpotConnection]:
        """The HubSpot API client for the configured account (or the demo org).

        Credentials and rate limits come from HUBSPOT_* variables. The demo org is
        served by the local fake HubSpot, rendered from the same generated org as
        the Salesforce demo; its org chart becomes the run's (TRUSTGAP_ORG_CHART).
        """
        from connectors.hubspot.client import HubSpotApi, HubSpotSettings

        if self.resolved_source() == "hubspot":
            yield HubSpotConnection(HubSpotApi(HubSpotSettings.from_env()))
            return
        with self._demo_hubspot(as_of, log) as connection:
            yield connection

    @contextmanager
    def _demo_hubspot(self, as_of: dt.date, log) -> Iterator[HubSpotConnection]:
        import json

        from connectors.demo.generator import generate_org
        from connectors.demo.hubspot import render_hubspot
        from connectors.errors import Secret
        from connectors.fake_hubspot import FakeHubSpot, RateLimitPolicy
        from connectors.hubspot.client import HubSpotApi, HubSpotSettings
        from connectors.hubspot.ratelimit import RateLimits

        if self.demo_size not in DEMO_SIZES:
            raise ConfigurationError(
                f"Unknown demo size {self.demo_size!r}: choose one of {', '.join(DEMO_SIZES)}."
            )
        org = generate_org(size=self.demo_size, seed=self.demo_seed, as_of=as_of)
        rendering = render_hubspot(org)
        truth = Path(self.demo_truth_path) if self.demo_truth_path else DEMO_TRUTH
        truth.parent.mkdir(parents=True, exist_ok=True)
        # The truth names HubSpot ids, so tests read the HubSpot warehouse with it.
        truth.write_text(
            json.dumps(rendering.translate(org.truth), indent=2, ensure_ascii=False),
            encoding="utf-8",
        )
        org_chart = rendering.write_org_chart(truth.with_name("hubspot_org_chart.csv"))
        rendering.write_team_managers(truth.with_name("hubspot_team_managers.csv"))
        # dbt reads the hierarchy from here (stg_org_chart); HubSpot has no manager field.
        os.environ["TRUSTGAP_ORG_CHART"] = str(org_chart)
        if log:
            counts = ", ".join(f"{k} {v:,}" for k, v in rendering.portal.counts().items())
            log.info(
                f"Demo org on fake HubSpot ({self.demo_size}, seed {self.demo_seed}): {counts}"
            )
        token = "demo-private-app-token"
        # The fake is no real account: a generous limit, enforced, and the same
        # limiter a real account gets, so the demo exercises the pacing code.
        limits = RateLimits(requests=2000, interval_s=10.0, search_per_second=50)
        policy = RateLimitPolicy(max_requests=2000, interval_s=10.0, search_per_second=50)
        with FakeHubSpot(rendering.portal, token, rate_limits=policy) as fake:
            settings = HubSpotSettings(Secret(token), fake.base_url, limits)
            yield HubSpotConnection(HubSpotApi(settings), fake=fake)


class HubSpotConnection:
    """A HubSpot API client, and the fake serving it when the run is a demo."""

    def __init__(self, api, fake=None) -> None:
        self.api = api
        self.fake = fake

    @property
    def is_demo(self) -> bool:
        return self.fake is not None
