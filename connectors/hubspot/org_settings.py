"""The HubSpot account's calendar: its time zone, from the account's details.

HubSpot has no fiscal year setting: quarters follow var fiscal_year_start_month (or
January). `timeZone` is an IANA id or one of its legacy aliases (US/Eastern), both of
which DuckDB and zoneinfo know. A token that may not read the details gets a warning
and the configured or default zone, never a failed run.
"""

from __future__ import annotations

from connectors.errors import CrmAuthError, CrmRequestError
from connectors.hubspot.client import HubSpotApi
from connectors.org_settings import OrgSettings, time_zone


def read_account_settings(api: HubSpotApi) -> OrgSettings:
    """The account's time zone (one request), or a warning saying why there is none."""
    try:
        details = api.account_details()
    except (CrmAuthError, CrmRequestError) as exc:
        return OrgSettings(
            "hubspot",
            warning=(
                f"The HubSpot account's time zone could not be read ({exc}); the run uses "
                "TRUSTGAP_TIMEZONE or UTC."
            ),
        )
    zone = time_zone(details.get("timeZone"))
    warning = None
    if zone is None:
        warning = (
            f"HubSpot sent an unusable account time zone {str(details.get('timeZone'))[:40]!r}; "
            "the run uses TRUSTGAP_TIMEZONE or UTC."
        )
    return OrgSettings("hubspot", timezone=zone, warning=warning)
