"""A compact console logger: one short line per step event or asset message.

Dagster's default console logger prints run ids and every engine event; a data
team watching `trustgap demo` or a nightly run wants to see what is moving.
The full event log stays in the Dagster instance either way.
"""

from __future__ import annotations

import logging
import sys

import dagster as dg

_SHOWN_EVENTS = {
    "STEP_START": "started",
    "STEP_SUCCESS": "done",
    "STEP_FAILURE": "FAILED",
    "STEP_UP_FOR_RETRY": "failed, will retry",
    "STEP_RESTARTED": "retrying",
    "STEP_SKIPPED": "skipped",
    "RUN_START": "run started",
    "RUN_SUCCESS": "run succeeded",
    "RUN_FAILURE": "run FAILED",
}


class ProgressFormatter(logging.Formatter):
    """Formats Dagster log records as `hh:mm:ss step: message`."""

    def format(self, record: logging.LogRecord) -> str:
        meta = getattr(record, "dagster_meta", None)
        stamp = self.formatTime(record, "%H:%M:%S")
        if not meta:
            return f"{stamp} {record.getMessage()}"
        where = meta.get("step_key") or "run"
        event = meta.get("dagster_event")
        if event is None:
            text = meta.get("orig_message", "")
        else:
            text = _SHOWN_EVENTS.get(event.event_type_value, "")
            if event.event_type_value == "ASSET_CHECK_EVALUATION":
                data = event.event_specific_data
                verdict = "passed" if data.passed else f"FAILED ({data.severity.value})"
                text = f"check {data.check_name} on {data.asset_key.to_user_string()} {verdict}"
            error = getattr(event.event_specific_data, "error", None)
            if event.event_type_value == "STEP_UP_FOR_RETRY":
                # The step logged why just before; the error here is Dagster's RetryRequested.
                error = None
            if error is not None:
                text += f": {error.message.strip()}"
        return f"{stamp} {where}: {text}"


class _ShownOnly(logging.Filter):
    def __init__(self, level: str) -> None:
        super().__init__()
        self.level = logging.getLevelName(level)

    def filter(self, record: logging.LogRecord) -> bool:
        meta = getattr(record, "dagster_meta", None)
        event = meta.get("dagster_event") if meta else None
        if event is None:
            return record.levelno >= self.level
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            # dbt tests arrive as dozens of checks: show failures and our suites.
            data = event.event_specific_data
            return not data.passed or data.check_name.startswith("gx_")
        return event.event_type_value in _SHOWN_EVENTS


@dg.logger(
    dg.Field(
        {"log_level": dg.Field(str, is_required=False, default_value="INFO")},
        is_required=False,
    ),
    description="Compact progress lines on stderr.",
)
def progress_console(init_context: dg.InitLoggerContext) -> logging.Logger:
    level = (init_context.logger_config or {}).get("log_level", "INFO")
    # Step events arrive at DEBUG; the filter keeps the few worth a line.
    logger = logging.Logger("trustgap", level=logging.DEBUG)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(ProgressFormatter())
    handler.addFilter(_ShownOnly(level.upper()))
    logger.addHandler(handler)
    return logger
