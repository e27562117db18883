"""Building an expectation's outcome: GX's rules for `mostly` and percentages, in one place."""

from collections.abc import Sequence
from typing import Any

from expectations.results import ExpectationOutcome, to_jsonable
from expectations.suites import ExpectationSpec

# Offending values and row keys kept per failed expectation.
SAMPLE_SIZE = 5


def outcome(
    spec: ExpectationSpec,
    *,
    success: bool,
    observed: dict[str, Any],
    sample_keys: Sequence[str] = (),
) -> ExpectationOutcome:
    """The outcome of ``spec`` with JSON-able observed values."""
    return ExpectationOutcome(
        type=spec.type,
        kwargs=dict(spec.kwargs),
        severity=spec.severity,
        success=success,
        observed=to_jsonable(observed),
        sample_keys=list(sample_keys),
        strategy=spec.strategy,
    )


def error_field(message: str | None) -> dict[str, str]:
    """``{"error": message}`` for observed values, or nothing when there is no error."""
    return {"error": message} if message else {}


def mostly_success(considered: int, unexpected: int, mostly: float | None) -> bool:
    """GX's rule: vacuously true on no rows, else the share of expected rows >= mostly."""
    if considered == 0:
        return True
    return (considered - unexpected) / considered >= (1.0 if mostly is None else mostly)


def percent(part: int, whole: int) -> float | None:
    return part / whole * 100 if whole else None
