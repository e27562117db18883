"""great-expectations itself: one process-wide pandas context, and GX's verdicts on frames.

GX is imported on first use only (it takes seconds); ``warm_up`` lets an idle caller pay
that cost early. It is imported without PySpark and with scipy.stats deferred (``import_gx``).
"""

import os

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

import functools
import importlib
import sys
import threading
import types
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
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
# GX validations run in this process (``validation_count``): each has a fixed cost.
_validations = 0


# Submodules GX imports at its own import but uses only inside expectations Trustgap's
# suites do not use (KL divergence, KS tests): ~0.6 CPU s of scipy.stats (#17).
DEFERRED_MODULES = ("scipy.stats",)


class _DeferredModule(types.ModuleType):
    """Stands in for a submodule GX imports as ``from package import submodule``; on
    first attribute use, it imports the real module and answers from it."""

    def __getattr__(self, attribute: str) -> Any:
        return getattr(importlib.import_module(self.__name__), attribute)


@functools.cache
def import_gx() -> Any:
    """great-expectations, imported as on a machine without PySpark, scipy.stats deferred.

    GX's ``compatibility.pyspark`` module imports PySpark whenever it is installed
    (~0.3 CPU s, and PySpark's own import-time checks) and falls back to "not
    installed" on an ImportError. PySpark is installed for the Spark engine, which
    runs in processes of its own (``pipelines.engine.spark_job``); the checks hand GX
    pandas frames only. So while GX is imported, PySpark is made unimportable the way
    Python documents it (``sys.modules[name] = None`` makes ``import name`` raise
    ModuleNotFoundError), then made importable again: only GX's view of it changes.

    Three of GX's modules run ``from scipy import stats`` when imported and use it only
    when their expectation runs. ``from package import name`` takes the package's
    attribute when it has one, so while GX is imported scipy's ``stats`` attribute is a
    ``_DeferredModule``, which imports scipy.stats the first time one of them uses it;
    the attribute is removed afterwards (``sys.modules`` is not touched), and the rest of
    the process imports scipy.stats as usual. Nothing of GX is patched; a module already
    imported is left as it is.
    """
    with _GX_LOCK:
        hidden = "pyspark" not in sys.modules
        if hidden:
            sys.modules["pyspark"] = None  # type: ignore[assignment]
        deferred = [_defer(name) for name in DEFERRED_MODULES if name not in sys.modules]
        try:
            import great_expectations
        finally:
            if hidden and sys.modules.get("pyspark", 0) is None:
                del sys.modules["pyspark"]
            for package, attribute, stand_in in filter(None, deferred):
                # Unless the real module was imported meanwhile (it then set the attribute).
                if vars(package).get(attribute) is stand_in:
                    delattr(package, attribute)
    return great_expectations


def _defer(name: str) -> tuple[types.ModuleType, str, _DeferredModule] | None:
    """Set a stand-in as package ``name``'s attribute: (package, attribute, stand-in), or
    None when the package is not installed."""
    package_name, _, attribute = name.rpartition(".")
    try:
        package = importlib.import_module(package_name)
    except ImportError:
        return None
    stand_in = _DeferredModule(name)
    setattr(package, attribute, stand_in)
    return package, attribute, stand_in


def build_gx_expectation(spec: ExpectationSpec, **overrides: Any) -> Any:
    """Instantiate the GX expectation for ``spec``; raise SuiteError if GX rejects its kwargs."""
    import_gx()
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
    gx = import_gx()
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
    global _validations
    gx = import_gx()
    result_format = {"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_SIZE}
    with _GX_LOCK:
        _validations += 1
        batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
        gx_suite = gx.ExpectationSuite(name="trustgap", expectations=list(expectations))
        return batch.validate(gx_suite, result_format=result_format).results


def validation_count() -> int:
    """How many GX validations this process has run (each costs ~20-40 ms whatever it
    holds): what the benchmark and the tests read to see that figures are batched."""
    return _validations


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


@dataclass(frozen=True)
class Judgement:
    """A figure computed in DuckDB, waiting for GX's verdict (``judge_all``).

    ``bounds`` are ``expect_column_values_to_be_between``'s kwargs (None: no bound);
    ``finish`` turns ``(success, error message or None)`` into the outcome.
    """

    spec: ExpectationSpec
    value: Any
    bounds: Mapping[str, Any]
    finish: Callable[[bool, str | None], ExpectationOutcome]

    def __post_init__(self) -> None:
        # GX's refusal of the bounds is the suite's error, raised where the figure is
        # computed (as when each figure was judged at once), not in a later batch.
        build_gx_expectation(_between(self.spec, "value", self.bounds))


def _between(spec: ExpectationSpec, column: str, bounds: Mapping[str, Any]) -> ExpectationSpec:
    kept = {k: v for k, v in bounds.items() if v is not None}
    return ExpectationSpec(
        "expect_column_values_to_be_between", {"column": column, **kept}, spec.severity
    )


def judge_all(judgements: Sequence[Judgement]) -> list[ExpectationOutcome]:
    """GX's verdict on every figure, in one validation: each figure is a column of a
    one-row frame, judged by its own ``expect_column_values_to_be_between``.

    One validation costs ~20-40 ms whatever it holds, and a run has dozens of figures
    (row-count ratios, freshness ages): judged together they pay it once.
    """
    if not judgements:
        return []
    columns = [f"value_{i}" for i in range(len(judgements))]
    frame = pd.DataFrame({c: [j.value] for c, j in zip(columns, judgements, strict=True)})
    expectations = [
        tagged(_between(j.spec, column, j.bounds), i)
        for i, (column, j) in enumerate(zip(columns, judgements, strict=True))
    ]
    verdicts = {}
    for er in gx_validate(frame, expectations):
        error = exception_message(er)
        verdicts[result_index(er)] = (bool(er.success) and not error, error)
    return [j.finish(*verdicts[i]) for i, j in enumerate(judgements)]


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
