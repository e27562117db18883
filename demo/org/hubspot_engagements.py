"""Demo tasks and events as HubSpot engagements: calls, emails, tasks and meetings.

Each engagement is associated with its deal; an activity on a deal the API never
returns (a planted orphan) still gets a deal id, so the association dangles as
it would in a real portal.
"""

from __future__ import annotations

from demo.fake_hubspot.portal import Portal
from demo.org.generator import DemoOrg
from demo.org.hubspot_values import hubspot_date, hubspot_datetime, hubspot_id


class EngagementRenderer:
    """Mixin for the HubSpot renderer: needs ``org``, ``portal``, ``ids``, ``user_ids``,
    ``deal_ids``, ``next_deal`` and ``next_engagement``."""

    org: DemoOrg
    portal: Portal
    ids: dict[str, str]
    user_ids: dict[str, int]
    deal_ids: dict[str, int]
    next_deal: int
    next_engagement: int

    def engagements(self) -> None:
        for task in self.org.records("Task"):
            subtype = (task["TaskSubtype"] or "").lower()
            common = self._engagement_common(task, hubspot_date(task["ActivityDate"]))
            if subtype == "call":
                object_type = "calls"
                properties = {
                    "hs_call_title": task["Subject"],
                    "hs_call_status": "COMPLETED" if task["IsClosed"] else "SCHEDULED",
                    "hs_call_direction": "OUTBOUND",
                    "hs_call_disposition": None,
                    "hs_call_duration": None,
                }
            elif subtype == "email":
                object_type = "emails"
                properties = {
                    "hs_email_subject": task["Subject"],
                    "hs_email_direction": "EMAIL",
                    "hs_email_status": "SENT",
                }
            else:
                object_type = "tasks"
                closed = bool(task["IsClosed"])
                properties = {
                    "hs_task_subject": task["Subject"],
                    "hs_task_status": "COMPLETED" if closed else "NOT_STARTED",
                    "hs_task_type": "TODO",
                    "hs_task_priority": "NONE",
                    "hs_task_completion_date": (
                        hubspot_datetime(task["SystemModstamp"]) if closed else None
                    ),
                }
            self._add_engagement(object_type, task, {**properties, **common})
        horizon = f"{self.org.as_of.isoformat()}T00:00:00.000Z"
        for event in self.org.records("Event"):
            start = hubspot_datetime(event["ActivityDateTime"])
            properties = {
                "hs_meeting_title": event["Subject"],
                "hs_meeting_start_time": start,
                "hs_meeting_end_time": None,
                # Meetings that already took place are logged as held.
                "hs_meeting_outcome": "COMPLETED" if start and start < horizon else "SCHEDULED",
            }
            self._add_engagement(
                "meetings", event, {**properties, **self._engagement_common(event, start)}
            )

    def _engagement_common(self, row: dict, timestamp: str | None) -> dict:
        return {
            "hs_timestamp": timestamp,
            "hubspot_owner_id": self.ids.get(row["OwnerId"]),
            "hs_created_by_user_id": hubspot_id(self.user_ids.get(row["CreatedById"])),
            "hs_createdate": hubspot_datetime(row["CreatedDate"]),
            "hs_lastmodifieddate": hubspot_datetime(row["SystemModstamp"]),
        }

    def _add_engagement(self, object_type: str, row: dict, properties: dict) -> None:
        engagement_id = self.next_engagement
        self.next_engagement += 1
        self.ids[row["Id"]] = str(engagement_id)
        self.portal.add(
            object_type,
            engagement_id,
            properties,
            created_at=properties["hs_createdate"],
            updated_at=properties["hs_lastmodifieddate"],
            archived=bool(row["IsDeleted"]),
        )
        what = row["WhatId"]
        if what and what.startswith("006"):
            self.portal.associate(object_type, engagement_id, "deals", self._deal_id(what))

    def _deal_id(self, salesforce_id: str) -> int:
        """The deal's HubSpot id; a deal the API never returns (an orphan) gets one too."""
        if salesforce_id not in self.deal_ids:
            self.deal_ids[salesforce_id] = self.next_deal
            self.ids[salesforce_id] = str(self.next_deal)
            self.next_deal += 1
        return self.deal_ids[salesforce_id]
