"""The demo CRM as a Dagster resource: a generated org behind a local fake API.

`DemoCrm` is a `CrmSource` whose connections point at a fake Salesforce or
HubSpot API started for the length of the extract, serving an organisation that
`demo.org` generates (deterministic for a size, seed and as-of date). The
connector, the SDK and everything after them are the real ones.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from connectors.errors import ConfigurationError, Secret
from demo import ORG_SIZES
from pipelines.resources import CrmSource
from pipelines.settings import CRMS, DATA_DIR

DEFAULT_TRUTH = DATA_DIR / "demo" / "truth.json"


class DemoCrm(CrmSource):
    """The embedded demo organisation, served through a fake `crm` API.

    It writes its truth file (who was planted doing what) to `truth_path`; with
    the HubSpot API, an org chart beside it, since HubSpot has no manager field.
    """

    source: str = "demo"
    size: str = "small"
    seed: int = 7
    crm: str = "salesforce"
    truth_path: str = ""

    def platform(self) -> str:
        if self.crm not in CRMS:
            raise ConfigurationError(
                f"Unknown demo CRM {self.crm!r}: choose salesforce or hubspot."
            )
        return self.crm

    def label(self) -> str:
        return "demo"

    def org_chart(self) -> Path | None:
        return self._truth().with_name("hubspot_org_chart.csv") if self.crm == "hubspot" else None

    def fiscal_year_start_month(self) -> int | None:
        # The demo org's fiscal year: Salesforce's Organization states it, HubSpot cannot.
        from demo.org.org_calendar import FISCAL_YEAR_START_MONTH

        return FISCAL_YEAR_START_MONTH if self.crm == "hubspot" else None

    def _truth(self) -> Path:
        return Path(self.truth_path) if self.truth_path else DEFAULT_TRUTH

    def _generate(self, as_of: dt.date):
        from demo.org.generator import generate_org

        if self.size not in ORG_SIZES:
            raise ConfigurationError(
                f"Unknown demo size {self.size!r}: choose one of {', '.join(ORG_SIZES)}."
            )
        self._truth().parent.mkdir(parents=True, exist_ok=True)
        return generate_org(size=self.size, seed=self.seed, as_of=as_of)

    @contextmanager
    def salesforce(self, as_of: dt.date, *, full_refresh: bool, log) -> Iterator:
        from connectors.salesforce.client import SalesforceConnection, SalesforceSettings, connect
        from connectors.salesforce.settings import SyncOptions
        from demo.fake_salesforce import FakeSalesforce
        from demo.fake_salesforce.server import fake_organization_id
        from demo.org.org_calendar import organization_fields

        org = self._generate(as_of)
        org.write_truth(self._truth())
        counts = ", ".join(f"{k} {len(v):,}" for k, v in org.salesforce.items())
        log.info(f"Demo org ({self.size}, seed {self.seed}): {counts}")
        token = "demo-session-token"
        # The same (size, seed, as_of) regenerates the same org under the same Id, so
        # a repeated demo syncs incrementally; another org is rebuilt from scratch.
        org_id = fake_organization_id(self.size, self.seed, as_of.isoformat())
        with FakeSalesforce(
            records=org.salesforce,
            access_token=token,
            organization_id=org_id,
            organization=organization_fields(org.fiscal_year_start_month),
        ) as fake:
            settings = SalesforceSettings(
                instance_url=fake.instance_url, access_token=Secret(token)
            )
            # The fake completes Bulk jobs at once: poll it often.
            options = SyncOptions.from_env(full_refresh=full_refresh, bulk_poll_seconds=0.05)
            yield SalesforceConnection(connect(settings), options)

    @contextmanager
    def hubspot(self, as_of: dt.date, *, full_refresh: bool, log) -> Iterator:
        from connectors.hubspot.client import HubSpotApi, HubSpotConnection
        from connectors.hubspot.ratelimit import RateLimits
        from connectors.hubspot.settings import HubSpotSettings
        from demo.fake_hubspot import FakeHubSpot, RateLimitPolicy
        from demo.org.hubspot import render_hubspot

        org = self._generate(as_of)
        rendering = render_hubspot(org)
        truth = self._truth()
        # The truth names HubSpot ids, so tests read the HubSpot warehouse with it.
        truth.write_text(
            json.dumps(rendering.translate(org.truth), indent=2, ensure_ascii=False),
            encoding="utf-8",
        )
        rendering.write_org_chart(self.org_chart())
        rendering.write_team_managers(truth.with_name("hubspot_team_managers.csv"))
        counts = ", ".join(f"{k} {v:,}" for k, v in rendering.portal.counts().items())
        log.info(f"Demo org on fake HubSpot ({self.size}, seed {self.seed}): {counts}")
        token = "demo-private-app-token"
        # The fake is no real account: a generous limit, enforced, and the same
        # limiter a real account gets, so the demo exercises the pacing code.
        limits = RateLimits(requests=2000, interval_s=10.0, search_per_second=50)
        policy = RateLimitPolicy(max_requests=2000, interval_s=10.0, search_per_second=50)
        with FakeHubSpot(rendering.portal, token, rate_limits=policy) as fake:
            settings = HubSpotSettings(Secret(token), fake.base_url, limits)
            # The portal is generated anew each run: cursors from the last one would skip.
            yield HubSpotConnection(HubSpotApi(settings), full_refresh=True)
            log.info(f"Fake HubSpot saw at most {fake.peak_requests(10.0)} requests in any 10 s")
