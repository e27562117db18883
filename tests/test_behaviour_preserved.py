"""Refactors keep every published number: the tiny demo's marts match their recorded hashes.

The fingerprints in tests/golden/ were recorded from the tiny demo org (seed 7, as of
2026-11-27) before the architecture rework. A change that is meant to alter a mart
(a new column, a fixed metric) records them again, on purpose, with
`python -m tests.mart_fingerprints WAREHOUSE tests/golden/mart_fingerprints_tiny.json`.
"""

import json
from pathlib import Path

import pytest

from tests.mart_fingerprints import fingerprints

GOLDEN = Path(__file__).parent / "golden" / "mart_fingerprints_tiny.json"


@pytest.mark.slow
def test_every_mart_row_matches_the_recorded_tiny_demo(tiny_nightly):
    recorded = json.loads(GOLDEN.read_text(encoding="utf-8"))
    now = fingerprints(tiny_nightly.published)
    assert sorted(now) == sorted(recorded)
    changed = {
        table: (recorded[table], now[table]) for table in recorded if now[table] != recorded[table]
    }
    assert not changed, f"marts differ from the recorded tiny demo: {changed}"
