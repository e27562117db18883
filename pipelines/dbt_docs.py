"""`make docs`: dbt's documentation site with a full catalog, built beside the nightly's.

`dbt docs generate` with the default profile reads target/dev.duckdb, an empty
file, so the catalog (columns, types, row counts) comes out empty. Here dbt
reads a copy of the published warehouse (never the file BI tools have open, and
never the working file a nightly run may be writing) and writes into its own
target folder, leaving dbt_project/target (the nightly's manifest and parse
state) as it was.

    python -m pipelines.dbt_docs OUT_DIR [--warehouse PATH]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from connectors.errors import ConfigurationError
from pipelines.settings import PROJECT_ROOT, Settings

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"


def generate(out: Path, warehouse: Path) -> Path:
    """Build the docs site into `out`/target from a copy of `warehouse`; its folder."""
    if not warehouse.exists():
        raise ConfigurationError(
            f"No published warehouse at {warehouse}: run `make demo` (or `trustgap run`) first."
        )
    out.mkdir(parents=True, exist_ok=True)
    copy = out / "catalog.duckdb"
    shutil.copyfile(warehouse, copy)
    target = out / "target"
    from dbt.cli.main import dbtRunner

    os.environ["TRUSTGAP_WORKING_DB"] = str(copy)
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
    result = dbtRunner().invoke(
        [
            "docs",
            "generate",
            "--quiet",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(target),
        ]
    )
    if not result.success:
        raise ConfigurationError(f"dbt docs generate failed: {result.exception}")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--warehouse", type=Path, help="default TRUSTGAP_WAREHOUSE or data/")
    args = parser.parse_args(argv)
    try:
        warehouse = (args.warehouse or Settings.from_env().warehouse).expanduser().resolve()
        target = generate(args.out.resolve(), warehouse)
    except ConfigurationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"dbt docs of {warehouse} in {target}; serving on http://localhost:8080")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
