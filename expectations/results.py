"""Outcomes of validating a suite, in plain JSON-able values for Dagster check metadata."""

import datetime as dt
import decimal
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from expectations.strategies import Strategy
from expectations.suites import Severity, expectation_label


@dataclass(frozen=True)
class ExpectationOutcome:
    """How one expectation fared over the whole table.

    ``observed`` holds GX's summary (``element_count``, ``unexpected_count``,
    ``unexpected_percent``, ``partial_unexpected_list``, ``observed_value``, ...) or an
    ``error`` message when the expectation could not be evaluated. ``sample_keys`` names
    up to five offending rows by their key column (for uniqueness: the duplicated keys).
    """

    type: str
    kwargs: Mapping[str, Any]
    severity: Severity
    success: bool
    observed: dict[str, Any]
    sample_keys: list[str] = field(default_factory=list)
    strategy: Strategy = "chunked"

    @property
    def label(self) -> str:
        """Short human name, e.g. ``expect_column_values_to_be_unique(deal_id)``."""
        return expectation_label(self.type, self.kwargs)

    def to_dict(self) -> dict[str, Any]:
        return {
            "expectation": self.label,
            "severity": self.severity,
            "success": self.success,
            "kwargs": to_jsonable(dict(self.kwargs)),
            "observed": to_jsonable(self.observed),
            "sample_keys": list(self.sample_keys),
        }


@dataclass(frozen=True)
class SuiteResult:
    """All outcomes for one table. ``success`` is False only when an error-severity check fails."""

    table: str
    expectations: list[ExpectationOutcome]
    row_count: int
    chunks: int
    seconds: float

    @property
    def blocking_failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.expectations if not o.success and o.severity == "error"]

    @property
    def warnings(self) -> list[ExpectationOutcome]:
        return [o for o in self.expectations if not o.success and o.severity == "warn"]

    @property
    def success(self) -> bool:
        return not self.blocking_failures

    def describe(self) -> str:
        """One line a person can act on, e.g. for `trustgap status`.

        ``2 of 9 failed: expect_column_values_to_be_between(amount) [warn] 1 row(s): D2;
        ...``, or ``9 expectations passed``.
        """
        failed = self.blocking_failures + self.warnings
        if not failed:
            return f"{len(self.expectations)} expectations passed"
        parts = []
        for outcome in failed:
            observed = outcome.observed
            if "error" in observed:
                detail = f"error: {observed['error']}"
            elif "unexpected_count" in observed:
                detail = f"{observed['unexpected_count']:,} row(s)"
            elif "ratio" in observed:
                detail = f"ratio {observed['ratio']}"
            elif "age_hours" in observed:
                detail = f"{observed['age_hours']} h old"
            elif "observed_value" in observed:
                detail = f"observed {observed['observed_value']}"
            else:
                detail = "failed"
            if outcome.sample_keys:
                detail += ": " + ", ".join(map(str, outcome.sample_keys[:3]))
            parts.append(f"{outcome.label} [{outcome.severity}] {detail}")
        return f"{len(failed)} of {len(self.expectations)} failed: " + "; ".join(parts)

    def to_metadata(self) -> dict[str, Any]:
        """Summary for Dagster asset-check metadata: every value is JSON-able."""
        failed = self.blocking_failures + self.warnings
        return {
            "table": self.table,
            "rows": self.row_count,
            "chunks": self.chunks,
            "seconds": round(self.seconds, 3),
            "expectations_evaluated": len(self.expectations),
            "blocking_failures": len(self.blocking_failures),
            "warnings": len(self.warnings),
            "failed_expectations": [f"{o.label} [{o.severity}]" for o in failed],
            "failures": [o.to_dict() for o in failed],
        }


def to_jsonable(value: Any) -> Any:
    """Turn GX/numpy/pandas values into plain JSON values (NaN and NA become None)."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else float(value)
    if isinstance(value, decimal.Decimal):
        return to_jsonable(float(value))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted((to_jsonable(v) for v in value), key=str)
    if hasattr(value, "item"):  # numpy and pandas scalars
        try:
            return to_jsonable(value.item())
        except (TypeError, ValueError):
            pass
    import pandas as pd

    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
