"""What the fake org says about itself: API versions, describe calls and limits."""

from __future__ import annotations

import threading
from typing import Any

from demo.fake_salesforce.messages import Request, Response


class MetadataEndpoints:
    """Mixin for ``FakeSalesforce``: needs ``_lock``, ``_schemas``, ``_schema``,
    ``versions``, ``api_usage`` and ``api_limit``."""

    _lock: threading.RLock
    _schemas: dict
    versions: list[str]
    api_usage: int
    api_limit: int
    _schema: Any

    def _versions(self, request: Request) -> Response:
        return Response.json(
            [
                {"label": _release_label(v), "url": f"/services/data/v{v}", "version": v}
                for v in self.versions
            ]
        )

    def _describe_global(self, request: Request) -> Response:
        with self._lock:
            schemas = list(self._schemas.values())
        return Response.json(
            {
                "encoding": "UTF-8",
                "maxBatchSize": 200,
                "sobjects": [s.global_entry(request.version) for s in schemas],
            }
        )

    def _describe(self, request: Request) -> Response:
        return Response.json(self.describe(request.args["object"], request.version))

    def describe(self, object_name: str, version: str | None = None) -> dict:
        """The object's describe, as ``GET /sobjects/{name}/describe/`` answers it
        (``version``: the request's, else the fake's ``api_version``)."""
        schema, rows = self._schema(object_name)
        return schema.describe(version or self.api_version, rows)

    def _sobject(self, request: Request) -> Response:
        schema, _ = self._schema(request.args["object"])
        return Response.json(
            {"objectDescribe": schema.global_entry(request.version), "recentItems": []}
        )

    def _limits(self, request: Request) -> Response:
        with self._lock:
            used = self.api_usage

        def limit(maximum: int, used: int = 0) -> dict[str, int]:
            return {"Max": maximum, "Remaining": max(maximum - used, 0)}

        return Response.json(
            {
                "DailyApiRequests": limit(self.api_limit, used),
                "DailyBulkApiBatches": limit(15000),
                "DailyBulkV2QueryFileStorageMB": limit(1_000_000),
                "DailyBulkV2QueryJobs": limit(10000),
                "DataStorageMB": limit(5),
                "FileStorageMB": limit(20),
            }
        )


def _release_label(version: str) -> str:
    # v59.0 is Winter '24; three releases a year.
    offset = int(float(version)) - 59
    season = ("Winter", "Spring", "Summer")[offset % 3]
    return f"{season} '{24 + offset // 3}"
