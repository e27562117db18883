"""A compact console logger: one short line per step event or asset message.

Dagster's default console logger prints run ids and every engine event; a data
team watching `trustgap demo` or a nightly run wants to see what is moving.
Quiet (what the CLI asks for unless --verbose): one line per finished asset
step, failed checks with why when a warning is expected, warnings and failures;
on a terminal, a line that updates while a long step builds. `log_file` gets
every line the verbose console would show. The full event log stays in the
Dagster instance either way.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
import time

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
# What a quiet console shows besides failed checks and warnings. A skipped step
# (an upstream yielded no output) is shown: in a run that succeeds nothing else says so.
_QUIET_EVENTS = {
    "STEP_SUCCESS",
    "STEP_FAILURE",
    "STEP_UP_FOR_RETRY",
    "STEP_RESTARTED",
    "STEP_SKIPPED",
}
# Events a long step emits as it goes: the terminal's progress line counts them.
_PROGRESS_EVENTS = {"ASSET_MATERIALIZATION", "ASSET_CHECK_EVALUATION"}
_ERROR_CLASS = re.compile(r"^[\w.]*(Error|Exception)\w*: ")
_NOT_RUN = re.compile(r"Dependencies for step \S+ (failed|were not executed)")
_LIST = re.compile(r"\[('[^'\]]*'(?:, '[^'\]]*')*)\]")


def is_check_step(step_key: str | None) -> bool:
    """Asset-check steps are keyed `<asset path>__..._<check>`; asset steps have no `__`."""
    return bool(step_key) and "__" in step_key


def deduplicated(text: str) -> str:
    """Dagster's "Dependencies ... failed: ['a', 'a', 'a']" with each key once."""

    def unique(match: re.Match) -> str:
        keys = list(dict.fromkeys(k.strip().strip("'") for k in match.group(1).split(",")))
        return "[" + ", ".join(keys) + "]"

    return _LIST.sub(unique, text)


def innermost_message(error) -> str:
    """The error a step raised, in its own words: not Dagster's "Error occurred while
    executing op" wrapper, nor the `connectors.errors.CrmAuthError: ` before them."""
    while error.cause is not None:
        error = error.cause
    return _ERROR_CLASS.sub("", error.message.strip())


class ProgressFormatter(logging.Formatter):
    """Formats Dagster log records as `hh:mm:ss step: message`."""

    def __init__(self, expected_warnings: dict[str, str] | None = None) -> None:
        super().__init__()
        self.expected = expected_warnings or {}

    def format(self, record: logging.LogRecord) -> str:
        meta = getattr(record, "dagster_meta", None)
        stamp = self.formatTime(record, "%H:%M:%S")
        if not meta:
            return f"{stamp} {record.getMessage()}"
        where = meta.get("step_key") or "run"
        event = meta.get("dagster_event")
        if event is None:
            return f"{stamp} {where}: {deduplicated(meta.get('orig_message', ''))}"
        kind = event.event_type_value
        text = _SHOWN_EVENTS.get(kind, "")
        if kind == "STEP_SUCCESS" and hasattr(record, "step_seconds"):
            text += f" in {record.step_seconds:.1f} s"
        if kind == "ASSET_CHECK_EVALUATION":
            data = event.event_specific_data
            verdict = "passed" if data.passed else f"FAILED ({data.severity.value})"
            where = data.asset_key.to_user_string()
            text = f"check {data.check_name} {verdict}"
            if not data.passed and data.check_name in self.expected:
                text += f", as expected: {self.expected[data.check_name]}"
        error = getattr(event.event_specific_data, "error", None)
        if kind == "STEP_UP_FOR_RETRY":
            # The step logged why just before; the error here is Dagster's RetryRequested.
            error = None
        if error is not None:
            text += f": {innermost_message(error)}"
        return f"{stamp} {where}: {text}"


class _ShownOnly(logging.Filter):
    def __init__(self, level: str, *, quiet: bool = False) -> None:
        super().__init__()
        self.level = logging.getLevelName(level)
        self.quiet = quiet
        self.started: dict[str, float] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        meta = getattr(record, "dagster_meta", None)
        event = meta.get("dagster_event") if meta else None
        if event is None:
            if self.quiet and meta and _NOT_RUN.match(meta.get("orig_message", "")):
                return False  # one per skipped step; the failure summary says why
            return record.levelno >= (logging.WARNING if self.quiet else self.level)
        kind = event.event_type_value
        step = meta.get("step_key")
        if kind == "STEP_START":
            self.started[step] = record.created
        elif kind == "STEP_SUCCESS" and step in self.started:
            record.step_seconds = record.created - self.started[step]
        if kind == "ASSET_CHECK_EVALUATION":
            # dbt tests arrive as dozens of checks: show failures and (verbose) our suites.
            data = event.event_specific_data
            return not data.passed or (not self.quiet and data.check_name.startswith("gx_"))
        if self.quiet and kind in ("STEP_SUCCESS", "STEP_SKIPPED"):
            return self.level <= logging.INFO and not is_check_step(step)
        if self.quiet:
            return kind in _QUIET_EVENTS
        return kind in _SHOWN_EVENTS


class _TerminalProgress:
    """On a terminal, one line rewritten in place, every second, while an asset step runs."""

    def __init__(self, stream) -> None:
        self.stream = stream
        self.lock = threading.RLock()
        self.step: str | None = None
        self.since = 0.0
        self.events = 0
        self.ticker: threading.Thread | None = None

    def handle(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        kind = event.event_type_value if event is not None else None
        step = meta.get("step_key")
        with self.lock:
            if kind == "STEP_START" and not is_check_step(step):
                self.step, self.since, self.events = step, time.monotonic(), 0
                if self.ticker is None:
                    self.ticker = threading.Thread(target=self._tick, daemon=True)
                    self.ticker.start()
            elif kind in _PROGRESS_EVENTS and step == self.step:
                self.events += 1
            elif kind in ("STEP_SUCCESS", "STEP_FAILURE") and step == self.step:
                self.step = None
                self.clear()
            self.draw()

    def draw(self) -> None:
        if self.step is None:
            return
        line = f"  {self.step}: running, {time.monotonic() - self.since:.0f} s"
        if self.events:
            line += f", {self.events} tables and tests done"
        self.stream.write(f"\r\x1b[K{line}")
        self.stream.flush()

    def clear(self) -> None:
        self.stream.write("\r\x1b[K")

    def _tick(self) -> None:
        while True:
            time.sleep(1)
            with self.lock:
                self.draw()


class _ConsoleHandler(logging.StreamHandler):
    def __init__(self, stream, progress: _TerminalProgress | None) -> None:
        super().__init__(stream)
        self.progress = progress

    def emit(self, record: logging.LogRecord) -> None:
        if self.progress is None:
            super().emit(record)
            return
        with self.progress.lock:
            self.progress.clear()
            super().emit(record)
            self.progress.handle(record)


_OWN_DESCRIPTORS: dict[tuple[int, int, int], object] = {}


def own_descriptor(stream):
    """`stream` through a file descriptor of its own, opened once per process and target.

    While a run executes, Dagster's compute-log capture points descriptors 1 and 2 at
    a file and copies that file back with `tail -F`, which polls once a second and is
    stopped without a last look: the lines written in a run's final second could
    vanish from the terminal (CI once lost the trust report's "done" line). The
    progress lines bypass the capture; the UI keeps every event in its own log.
    """
    try:
        fd = stream.fileno()
        target = os.fstat(fd)
    except (AttributeError, OSError, ValueError):
        return stream  # no descriptor to be redirected (an io.StringIO, pytest's capsys)
    key = (fd, target.st_dev, target.st_ino)
    if key not in _OWN_DESCRIPTORS:
        _OWN_DESCRIPTORS[key] = os.fdopen(
            os.dup(fd), "w", buffering=1, encoding=stream.encoding, errors="backslashreplace"
        )
    return _OWN_DESCRIPTORS[key]


@dg.logger(
    dg.Field(
        {
            "log_level": dg.Field(str, is_required=False, default_value="INFO"),
            "quiet": dg.Field(bool, is_required=False, default_value=False),
            "log_file": dg.Field(str, is_required=False, default_value=""),
            "expected_warnings": dg.Field(
                dg.Permissive(), is_required=False, default_value={}, description="check -> why"
            ),
        },
        is_required=False,
    ),
    description="Compact progress lines on stderr (and every line in log_file).",
)
def progress_console(init_context: dg.InitLoggerContext) -> logging.Logger:
    config = init_context.logger_config or {}
    level = config.get("log_level", "INFO").upper()
    quiet = config.get("quiet", False)
    expected = config.get("expected_warnings") or {}
    # Step events arrive at DEBUG; the filter keeps the few worth a line.
    logger = logging.Logger("trustgap", level=logging.DEBUG)
    stream = own_descriptor(sys.stderr)
    progress = _TerminalProgress(stream) if quiet and stream.isatty() else None
    console = _ConsoleHandler(stream, progress)
    console.setFormatter(ProgressFormatter(expected))
    console.addFilter(_ShownOnly(level, quiet=quiet))
    logger.addHandler(console)
    if progress is not None:
        # Every event reaches the progress line, shown or not.
        logger.addHandler(_ProgressOnly(progress))
    if config.get("log_file"):
        file = logging.FileHandler(config["log_file"], encoding="utf-8")
        file.setFormatter(ProgressFormatter(expected))
        file.addFilter(_ShownOnly(level))
        logger.addHandler(file)
    return logger


class _ProgressOnly(logging.Handler):
    """Feeds the records the console filters out to the terminal's progress line."""

    def __init__(self, progress: _TerminalProgress) -> None:
        super().__init__()
        self.progress = progress
        self.shown = _ShownOnly("INFO", quiet=True)

    def emit(self, record: logging.LogRecord) -> None:
        if not self.shown.filter(record):
            self.progress.handle(record)
