"""HubSpot associations: which records each landed record points to, via v4 batch reads.

Each landed deal or engagement gets its associations as one row per record
(`decode`), so an association removed in HubSpot is removed here when the
record is next synced. One call reads up to 1,000 records' associations; a
record with more pages of them is asked again from its `after`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence

from connectors.hubspot.client import HubSpotApi

ASSOCIATION_INPUTS = 1000


def read_links(
    api: HubSpotApi,
    from_type: str,
    to_type: str,
    ids: Sequence[str],
    check_stop: Callable[[], None],
) -> dict[str, list[tuple[str, str | None]]]:
    """Associated ids (with their label, if any) per record, via v4 batch reads."""
    links: dict[str, list[tuple[str, str | None]]] = defaultdict(list)
    pending = [{"id": i} for i in ids]
    while pending:
        check_stop()
        inputs, pending = pending[:ASSOCIATION_INPUTS], pending[ASSOCIATION_INPUTS:]
        page = api.associations(from_type, to_type, inputs)
        # 207 errors name ids with no associations: an empty list is the answer.
        for result in page.get("results") or []:
            from_id = str(result["from"]["id"])
            for target in result.get("to") or []:
                labels = [
                    t["label"] for t in target.get("associationTypes") or [] if t.get("label")
                ]
                links[from_id].append((str(target["toObjectId"]), labels[0] if labels else None))
            after = ((result.get("paging") or {}).get("next") or {}).get("after")
            if after:
                pending.append({"id": from_id, "after": after})
    return links
