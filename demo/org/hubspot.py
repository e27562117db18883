"""The demo organisation as a HubSpot portal, for the fake HubSpot API.

`render_hubspot(org)` maps the generated (Salesforce-shaped) org onto HubSpot
objects without changing the generator: users become owners (deactivated ones
archived) in one team per leader, the stage picklist becomes the `default` deal
pipeline, opportunities become deals whose tracked field history becomes
`propertiesWithHistory` entries, tasks become calls, emails or tasks and events
become meetings, each associated with its deal, and contact roles become labelled
deal-contact associations. HubSpot has no manager field, so the rendering also
carries the org chart (`user_email,manager_email,team`) and the team -> manager
mapping the hierarchy is read from (README, "Connecting a HubSpot account").

The same org through both fakes must give the same canonical rows, so values
keep their meaning: a stage keeps its label, a close date its day (midnight UTC),
history the moments and authors of the Salesforce rows. Ids are numeric, as
HubSpot's are, and allocated in generation order, so the rendering is as
deterministic as the org. Dirty values stay patched on the current record only,
as in the Salesforce rendering. Value conversions live in `hubspot_values`, the
activities-to-engagements mapping in `hubspot_engagements`.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from demo.fake_hubspot.portal import Portal, owner, pipeline
from demo.fake_hubspot.records import parse_time
from demo.org.generator import DemoOrg
from demo.org.hubspot_engagements import EngagementRenderer
from demo.org.hubspot_values import (
    FORECAST_CATEGORIES,
    history_entry,
    hubspot_date,
    hubspot_datetime,
    hubspot_flag,
    hubspot_id,
    hubspot_number,
    stage_id,
)

PIPELINE_ID = "default"
PIPELINE_LABEL = "Sales Pipeline"
# First ids of each kind: HubSpot ids are plain numbers of varying width.
OWNER_ID_BASE = 60_000_000
USER_ID_BASE = 9_000_000
TEAM_ID_BASE = 40_000
DEAL_ID_BASE = 20_000_000_000
CONTACT_ID_BASE = 30_000_000_000
ENGAGEMENT_ID_BASE = 40_000_000_000
ORG_CHART_HEADER = ("user_email", "manager_email", "team")
TEAM_MANAGERS_HEADER = ("team", "manager_email")
# Salesforce OpportunityFieldHistory.Field -> the deal property HubSpot tracks.
HISTORY_PROPERTIES = {
    "StageName": "dealstage",
    "Amount": "amount",
    "CloseDate": "closedate",
    "ForecastCategoryName": "hs_manual_forecast_category",
    "NextStep": "hs_next_step",
    "Owner": "hubspot_owner_id",
}


@dataclass
class HubSpotRendering:
    """The demo org as a HubSpot portal plus its hierarchy files."""

    portal: Portal
    # (user_email, manager_email or "", team or "") per user.
    org_chart: list[tuple[str, str, str]]
    # (team name, manager_email) per team.
    team_managers: list[tuple[str, str]]
    # Salesforce id -> HubSpot id (users map to owner ids).
    ids: dict[str, str] = field(default_factory=dict)

    def write_org_chart(self, path: str | Path) -> Path:
        return _write_csv(path, ORG_CHART_HEADER, self.org_chart)

    def write_team_managers(self, path: str | Path) -> Path:
        return _write_csv(path, TEAM_MANAGERS_HEADER, self.team_managers)

    def translate(self, value):
        """`value` (e.g. the demo truth) with every Salesforce id replaced by its HubSpot id."""
        if isinstance(value, str):
            return self.ids.get(value, value)
        if isinstance(value, list):
            return [self.translate(v) for v in value]
        if isinstance(value, dict):
            return {self.translate(k): self.translate(v) for k, v in value.items()}
        return value


def render_hubspot(org: DemoOrg) -> HubSpotRendering:
    """Render `org` as a HubSpot portal (see the module docstring)."""
    renderer = _Renderer(org)
    renderer.owners()
    renderer.pipeline()
    renderer.deals()
    renderer.contacts()
    renderer.engagements()
    return renderer.rendering


class _Renderer(EngagementRenderer):
    def __init__(self, org: DemoOrg) -> None:
        self.org = org
        self.portal = Portal()
        self.rendering = HubSpotRendering(self.portal, [], [])
        self.ids = self.rendering.ids
        self.user_ids: dict[str, int] = {}  # Salesforce user id -> HubSpot user id
        self.deal_ids: dict[str, int] = {}
        self.next_deal = DEAL_ID_BASE + len(org.tables["Opportunity"])
        self.next_engagement = ENGAGEMENT_ID_BASE

    # -- people ----------------------------------------------------------------

    def owners(self) -> None:
        users = list(self.org.records("User"))
        roles = {r["Id"]: r["Name"] for r in self.org.records("UserRole")}
        by_id = {u["Id"]: u for u in users}
        leaders = {u["ManagerId"] for u in users if u["ManagerId"] in by_id}
        teams: dict[str, tuple[str, str]] = {}
        for index, user in enumerate(users):
            self.ids[user["Id"]] = str(OWNER_ID_BASE + index)
            self.user_ids[user["Id"]] = USER_ID_BASE + index
        for user in users:
            if user["Id"] in leaders:
                team_id = str(TEAM_ID_BASE + len(teams))
                teams[user["Id"]] = (team_id, f"{roles.get(user['UserRoleId'], 'Sales')} team")
                self.rendering.team_managers.append((teams[user["Id"]][1], user["Email"]))
        for user in users:
            memberships = []
            manager = by_id.get(user["ManagerId"])
            if manager is not None:
                memberships.append((*teams[manager["Id"]], True))
            if user["Id"] in teams:
                memberships.append((*teams[user["Id"]], manager is None))
            first, _, last = user["Name"].partition(" ")
            self.portal.owners.append(
                owner(
                    int(self.ids[user["Id"]]),
                    email=user["Email"],
                    first_name=first,
                    last_name=last,
                    user_id=self.user_ids[user["Id"]],
                    created_at=hubspot_datetime(user["CreatedDate"]),
                    updated_at=hubspot_datetime(user["SystemModstamp"]),
                    archived=not user["IsActive"],
                    teams=memberships,
                )
            )
            self.rendering.org_chart.append(
                (
                    user["Email"],
                    "" if manager is None else manager["Email"],
                    "" if manager is None else teams[manager["Id"]][1],
                )
            )

    def pipeline(self) -> None:
        stages = sorted(self.org.records("OpportunityStage"), key=lambda s: s["SortOrder"])
        created = min(hubspot_datetime(s["SystemModstamp"]) for s in stages)
        self.portal.pipelines["deals"] = [
            pipeline(
                PIPELINE_ID,
                PIPELINE_LABEL,
                [
                    (
                        stage_id(s["ApiName"]),
                        s["MasterLabel"],
                        bool(s["IsClosed"]),
                        (s["DefaultProbability"] or 0.0) / 100,
                    )
                    for s in stages
                ],
                created_at=created,
            )
        ]

    # -- deals -----------------------------------------------------------------

    def deals(self) -> None:
        history_by_deal: dict[str, list[dict]] = defaultdict(list)
        for row in self.org.records("OpportunityFieldHistory"):
            if row["Field"] == "Owner" and row["DataType"] != "EntityId":
                continue  # Salesforce logs owner changes twice: ids and names
            if row["Field"] in HISTORY_PROPERTIES:
                history_by_deal[row["OpportunityId"]].append(row)
        for index, deal in enumerate(self.org.records("Opportunity")):
            deal_id = DEAL_ID_BASE + index
            self.ids[deal["Id"]] = str(deal_id)
            self.deal_ids[deal["Id"]] = deal_id
            properties = {
                "dealname": deal["Name"],
                "pipeline": PIPELINE_ID,
                "dealstage": stage_id(deal["StageName"]),
                "amount": hubspot_number(deal["Amount"]),
                "deal_currency_code": deal.get("CurrencyIsoCode"),
                "amount_in_home_currency": hubspot_number(self._home_amount(deal)),
                "closedate": hubspot_date(deal["CloseDate"]),
                "hubspot_owner_id": self.ids.get(deal["OwnerId"]),
                "hs_next_step": deal["NextStep"],
                "hs_manual_forecast_category": FORECAST_CATEGORIES.get(
                    deal["ForecastCategoryName"]
                ),
                "hs_deal_stage_probability": hubspot_number(
                    None if deal["Probability"] is None else deal["Probability"] / 100
                ),
                "hs_is_closed": hubspot_flag(deal["IsClosed"]),
                "hs_is_closed_won": hubspot_flag(deal["IsWon"]),
                "hs_created_by_user_id": hubspot_id(self.user_ids.get(deal["CreatedById"])),
                "notes_last_updated": hubspot_date(deal["LastActivityDate"]),
                "createdate": hubspot_datetime(deal["CreatedDate"]),
                "hs_lastmodifieddate": hubspot_datetime(deal["SystemModstamp"]),
            }
            self.portal.add(
                "deals",
                deal_id,
                properties,
                created_at=properties["createdate"],
                updated_at=properties["hs_lastmodifieddate"],
                history=self._history(deal, properties, history_by_deal.get(deal["Id"], [])),
                archived=bool(deal["IsDeleted"]),
            )

    def _home_amount(self, deal: dict) -> float | None:
        """The portal's amount in its home currency: the demo's one conversion, so
        HubSpot gives what Salesforce's rates give (single-currency: the amount)."""
        currencies = self.org.currencies
        if currencies is None:
            return deal["Amount"]
        return currencies.corporate_amount(
            deal["CurrencyIsoCode"], deal["Amount"], deal["CloseDate"]
        )

    def _history(self, deal: dict, current: dict, changes: list[dict]) -> dict:
        """Each tracked property's entries: its value at creation, then every change."""
        created_ms = parse_time(current["createdate"])
        creator = self.user_ids.get(deal["CreatedById"])
        by_field: dict[str, list[dict]] = defaultdict(list)
        for row in sorted(changes, key=lambda r: (r["CreatedDate"], r["Id"])):
            by_field[row["Field"]].append(row)
        history = {}
        for sf_field, prop in HISTORY_PROPERTIES.items():
            rows = by_field.get(sf_field, [])
            initial = self._value(prop, rows[0]["OldValue"]) if rows else current[prop]
            entries = []
            if initial is not None and created_ms is not None:
                entries.append(history_entry(initial, created_ms, creator))
            for row in rows:
                value = self._value(prop, row["NewValue"])
                at = parse_time(hubspot_datetime(row["CreatedDate"]))
                entries.append(history_entry(value, at, self.user_ids.get(row["CreatedById"])))
            if entries:
                history[prop] = entries
        return history

    def _value(self, prop: str, value: str | None) -> str | None:
        """A Salesforce field-history value as the HubSpot property holds it."""
        if value is None:
            return None
        if prop == "dealstage":
            return stage_id(value)
        if prop == "amount":
            return hubspot_number(value)
        if prop == "closedate":
            return hubspot_date(value)
        if prop == "hs_manual_forecast_category":
            return FORECAST_CATEGORIES.get(value, value)
        if prop == "hubspot_owner_id":
            return self.ids.get(value, value)
        return value

    def contacts(self) -> None:
        contact_ids: dict[str, int] = {}
        for role in self.org.records("OpportunityContactRole"):
            if role["IsDeleted"]:
                continue
            contact = contact_ids.setdefault(role["ContactId"], CONTACT_ID_BASE + len(contact_ids))
            self.ids[role["ContactId"]] = str(contact)
            self.portal.associate(
                "deals", self.deal_ids[role["OpportunityId"]], "contacts", contact,
                label=role["Role"],
            )  # fmt: skip


def _write_csv(path: str | Path, header: tuple[str, ...], rows: Iterable[tuple]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path
