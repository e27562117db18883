"""A small ledger of nightly runs kept beside the published warehouse.

`trustgap status` must say when the last run failed even though a failed run
never touches the published file, so outcomes are recorded outside it: one JSON
line per finished run in `<warehouse>.runs.jsonl`. Messages are already scrubbed
of secrets by the typed errors that produce them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class RunRecord:
    run_id: str
    status: str  # "published" or "failed"
    finished_at: str
    as_of: str | None = None
    source: str | None = None
    failed_steps: list[str] = field(default_factory=list)
    message: str | None = None
    # A failed run that replaced the published file anyway (a step after the publish failed).
    published: bool = False


def ledger_path(published: Path) -> Path:
    return published.with_name(f"{published.stem}.runs.jsonl")


def record(published: Path, entry: RunRecord) -> None:
    """Append one run outcome (append + fsync: concurrent readers see whole lines)."""
    path = ledger_path(published)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(asdict(entry), sort_keys=True) + "\n"
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(line)
        fh.flush()
        os.fsync(fh.fileno())


def history(published: Path, limit: int = 20) -> list[RunRecord]:
    """The most recent run outcomes, newest first."""
    path = ledger_path(published)
    if not path.exists():
        return []
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines()[-limit:]:
        try:
            entries.append(RunRecord(**json.loads(line)))
        except (json.JSONDecodeError, TypeError):
            continue  # a torn line from a crash is skipped, not fatal
    return entries[::-1]


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
