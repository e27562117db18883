"""Dagster resources: the run's parameters, the warehouse and the CRM it reads.

Their defaults come from `pipelines.settings` when the code location loads, so
the launchpad shows the configuration a run will use.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb

from connectors.errors import ConfigurationError
from pipelines import abandoned_runs, alerts, warehouse, working_file
from pipelines.settings import CRMS, Settings, check_as_of, configured_crm


class RunParams(dg.ConfigurableResource):
    """What this run computes: the as-of date (default: today in the configured zone).

    `full_refresh` re-reads every CRM object from scratch instead of syncing what
    changed since the last run (`--full-refresh`). `org_chart` is the hierarchy CSV
    (`user_email,manager_email[,team]`). Empty fields mean the setting
    (TRUSTGAP_TIMEZONE, TRUSTGAP_ORG_CHART; no org chart: the `org_chart` dbt seed;
    no time zone: the CRM org's, as the last publish recorded it, else UTC):
    a run config replaces the resource's values instead of merging with them.
    """

    as_of: str = ""
    timezone: str = ""
    full_refresh: bool = False
    org_chart: str = ""

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone or Settings.from_env().timezone)

    def configured_timezone(self) -> str:
        """The zone this run was given (its config, else TRUSTGAP_TIMEZONE), or "" when
        none was: then the CRM org's applies. A run config replaces the resource's values,
        so the setting is read here rather than trusted to be in `timezone`."""
        settings = Settings.from_env()
        return self.timezone or (settings.timezone if settings.timezone_set else "")

    def org_chart_path(self) -> str:
        """The hierarchy CSV of this run, or "" for the `org_chart` seed."""
        return self.org_chart or str(Settings.from_env().org_chart or "")

    def as_of_date(self, published: Path | None = None) -> dt.date:
        """The configured as-of date, else today where the org is (`default_zone`)."""
        if not self.as_of:
            return dt.datetime.now(self.default_zone(published)).date()
        return check_as_of(self.as_of, self.zone.key)

    def default_zone(self, published: Path | None = None) -> ZoneInfo:
        """Where "today" is: the configured zone (TRUSTGAP_TIMEZONE); unset, the org's,
        as `published` (the last publish) recorded it from the CRM; else UTC.

        A Los Angeles org's nightly at 02:00 UTC is then as of its own day, not one that
        has not begun there.
        """
        if self.configured_timezone() or published is None:
            return self.zone
        from pipelines.calendar import published_timezone

        recorded = published_timezone(published)
        return ZoneInfo(recorded) if recorded else self.zone


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
        if not self.published.parent.exists():
            # Created below, with the lock file; a mistyped --warehouse must not go unseen.
            alerts.notice(
                context,
                f"Created the warehouse folder {self.published.parent} (it did not exist; "
                "if the path is mistyped, remove it and run again with the right one).",
            )
        # Outside the lock: a run that cannot take it is reported too, once.
        with alerts.failures_reported(context, self.published), warehouse.run_lock(self.published):
            # A damaged working file fails every step: say so once, before any runs.
            working_file.check_working_file(self.published)
            abandoned_runs.fail_abandoned_runs(context, self.published)
            yield self


class CrmSource(dg.ConfigurableResource):
    """The CRM a run reads, and a connection to it for the length of the extract.

    `source` is `salesforce`, `hubspot` or `auto` (whichever the environment holds
    credentials for, Salesforce first). Credentials and sync settings come from the
    SALESFORCE_* / HUBSPOT_* variables (connectors/*/settings.py). The embedded demo
    is a subclass of this resource in the `demo` package; production never sees it.
    """

    source: str = "auto"

    def platform(self) -> str:
        """The CRM API this run reads: salesforce or hubspot."""
        if self.source == "auto":
            return configured_crm()
        if self.source not in CRMS:
            raise ConfigurationError(
                f"Unknown CRM source {self.source!r}: choose auto, salesforce or hubspot."
            )
        return self.source

    def label(self) -> str:
        """What runs record as their source (the demo says `demo`)."""
        return self.platform()

    def org_chart(self) -> Path | None:
        """A hierarchy file the CRM itself provides (none: the run's or the seed's)."""
        return None

    def fiscal_year_start_month(self) -> int | None:
        """A fiscal year this CRM is configured with where its API states none (HubSpot
        has no fiscal year); None: the CRM's own, the dbt var or January."""
        return None

    @contextmanager
    def salesforce(self, as_of: dt.date, *, full_refresh: bool, log) -> Iterator:
        """A `SalesforceConnection` to the org named by the SALESFORCE_* variables."""
        from connectors.salesforce.client import SalesforceConnection, connect
        from connectors.salesforce.settings import SalesforceSettings, SyncOptions

        options = SyncOptions.from_env(full_refresh=full_refresh)
        yield SalesforceConnection(connect(SalesforceSettings.from_env()), options)

    @contextmanager
    def connect(self, as_of: dt.date, *, full_refresh: bool, log) -> Iterator:
        """A connection to `platform()` for the length of the extract."""
        opener = self.salesforce if self.platform() == "salesforce" else self.hubspot
        with opener(as_of, full_refresh=full_refresh, log=log) as connection:
            yield connection

    @contextmanager
    def hubspot(self, as_of: dt.date, *, full_refresh: bool, log) -> Iterator:
        """A `HubSpotConnection` to the account named by the HUBSPOT_* variables."""
        from connectors.hubspot.client import HubSpotApi, HubSpotConnection
        from connectors.hubspot.settings import HubSpotSettings

        yield HubSpotConnection(HubSpotApi(HubSpotSettings.from_env()), full_refresh)


def default_resources(settings: Settings) -> dict[str, dg.ConfigurableResource]:
    """The resources every run starts from, their defaults taken from `settings`."""
    return {
        # No TRUSTGAP_TIMEZONE: "" lets the CRM org's zone apply (pipelines/calendar.py).
        "run_params": RunParams(
            timezone=settings.timezone if settings.timezone_set else "",
            org_chart=str(settings.org_chart or ""),
        ),
        "warehouse": Warehouse(path=str(settings.warehouse)),
        "crm": CrmSource(),
    }
