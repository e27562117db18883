"""great-expectations itself: one process-wide pandas context, and GX's verdicts on frames.

GX is imported on first use only (it takes seconds); ``warm_up`` lets an idle caller pay
that cost early.
"""

import os

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

import functools
import threading
from collections.abc import Sequence
from typing import Any

import pandas as pd

from expectations.errors import SuiteError
from expectations.outcomes import SAMPLE_SIZE, outcome
from expectations.results import ExpectationOutcome
from expectations.strategies import CONTEXT_TYPES
from expectations.suites import ExpectationSpec

# Where each GX result says which expectation of the batch it answers.
META_KEY = "trustgap_index"
# GX objects are shared by every validation in the process; GX is not documented as
# thread-safe, and Dagster may run checks in threads.
_GX_LOCK = threading.RLock()


def build_gx_expectation(spec: ExpectationSpec, **overrides: Any) -> Any:
    """Instantiate the GX expectation for ``spec``; raise SuiteError if GX rejects its kwargs."""
    import great_expectations.exceptions as gx_exceptions
    from great_expectations.expectations.registry import get_expectation_impl

    if spec.type in CONTEXT_TYPES:
        raise SuiteError(
            f"{spec.label}: a Trustgap expectation judged by the runner; GX has no class for it."
        )
    try:
        cls = get_expectation_impl(spec.type)
    except gx_exceptions.ExpectationNotFoundError as exc:
        raise SuiteError(f"{spec.label}: great-expectations has no such expectation.") from exc
    kwargs = {**spec.kwargs, **overrides}
    try:
        return cls(**kwargs)
    except Exception as exc:  # pydantic's ValidationError, or GX's own config errors
        raise SuiteError(
            f"{spec.label}: great-expectations rejects kwargs {kwargs}: {exc}"
        ) from exc


@functools.cache
def warm_up() -> threading.Thread:
    """Import great-expectations and build its context in a background thread, once.

    Both take ~5 s of CPU that the first check would otherwise wait for; a caller
    with idle time (the nightly run while the extract waits on the CRM) starts this
    first. Validation takes the same lock, so it waits for a warm-up under way
    instead of building a second context.
    """

    def load() -> None:
        with _GX_LOCK:
            _batch_definition()

    thread = threading.Thread(target=load, name="gx-warm-up", daemon=True)
    thread.start()
    return thread


@functools.cache
def _batch_definition() -> Any:
    """The process-wide ephemeral GX context, reduced to the one batch definition we use."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.execution_engine import pandas_execution_engine

    # GX fingerprints every frame it gets (an md5 over a full pandas hash, twice per
    # validation) only to label the batch: 40% of validation time on 250k-row chunks.
    pandas_execution_engine.HASH_THRESHOLD = 0
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    asset = context.data_sources.add_pandas("trustgap").add_dataframe_asset("frame")
    return asset.add_batch_definition_whole_dataframe("whole frame")


def gx_validate(frame: pd.DataFrame, expectations: Sequence[Any]) -> list[Any]:
    """Validate ``frame`` with GX, returning one ExpectationValidationResult per expectation.

    Offending rows come back as index labels of ``frame``. GX's own
    ``unexpected_index_column_names`` is not used: it reads every unexpected row one
    ``df.at`` at a time, which took 10 of 15 s on a 1M-row table with 8% bad rows.
    """
    import great_expectations as gx

    result_format = {"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_SIZE}
    with _GX_LOCK:
        batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
        gx_suite = gx.ExpectationSuite(name="trustgap", expectations=list(expectations))
        return batch.validate(gx_suite, result_format=result_format).results


def tagged(spec: ExpectationSpec, index: int, **overrides: Any) -> Any:
    """The GX expectation for ``spec``, tagged with ``index`` (see ``result_index``)."""
    meta = {**(spec.kwargs.get("meta") or {}), META_KEY: index}
    severity = "critical" if spec.severity == "error" else "warning"
    return build_gx_expectation(
        spec, meta=meta, catch_exceptions=True, severity=severity, **overrides
    )


def result_index(er: Any) -> int:
    """The index a GX result's expectation was ``tagged`` with."""
    return er.expectation_config.meta[META_KEY]


def judge_value(spec: ExpectationSpec, value: float, **bounds: Any) -> tuple[bool, str | None]:
    """GX's verdict on one computed figure: ``expect_column_values_to_be_between`` on it."""
    bounds = {k: v for k, v in bounds.items() if v is not None}
    between = ExpectationSpec(
        "expect_column_values_to_be_between", {"column": "value", **bounds}, spec.severity
    )
    (er,) = gx_validate(pd.DataFrame({"value": [float(value)]}), [tagged(between, 0)])
    error = exception_message(er)
    return bool(er.success) and not error, error


def exception_message(er: Any) -> str | None:
    """The message of an exception GX caught while evaluating, or None."""
    info = er.exception_info or {}
    candidates = [info, *(v for v in info.values() if isinstance(v, dict))]
    for candidate in candidates:
        if candidate.get("raised_exception"):
            return str(candidate.get("exception_message") or "great-expectations raised an error")
    return None


def outcome_from_gx(spec: ExpectationSpec, er: Any, drop: Sequence[str] = ()) -> ExpectationOutcome:
    """GX's own result for ``spec`` as an outcome, without the ``drop`` keys."""
    error = exception_message(er)
    if error:
        return outcome(spec, success=False, observed={"error": error})
    observed = {k: v for k, v in er.result.items() if k not in drop}
    return outcome(spec, success=bool(er.success), observed=observed)
