"""`trustgap status`: what the published warehouse holds, and how the last run went."""

from __future__ import annotations

from pathlib import Path

from connectors.errors import TrustgapError


class UnreadableWarehouseError(TrustgapError):
    """The published file exists but DuckDB cannot open or read it."""


def show_status(warehouse_path: str | None) -> int:
    """Print the last publish, the last run's outcome, checks, freshness and quarantine."""
    from pipelines import quarantine, run_ledger
    from pipelines.warehouse import published_path

    published = published_path(warehouse_path)
    runs = run_ledger.history(published, limit=50)
    print(f"Warehouse: {published}")
    if runs and runs[0].status == "failed":
        last = runs[0]
        print(
            f"LAST RUN FAILED at {last.finished_at} (run {last.run_id[:8]}, as of {last.as_of}), "
            f"step {', '.join(last.failed_steps)}: {last.message}"
        )
        if last.published:
            print("That run replaced the published copy below; a step after the publish failed.")
        else:
            print("The published copy below is the last good run; it was left unchanged.")
    spark_dir = _spark_dir(published)
    if spark_dir is not None:
        status = read_spark_status(spark_dir)
        if status is None:
            print(
                f"Nothing published on Spark yet in {spark_dir}: run `trustgap demo` or "
                "`trustgap run` with TRUSTGAP_ENGINE=spark."
            )
            return 1
        print(f"Published on Spark: views marts.*, quarantine.*, history.* in {spark_dir}")
    elif not published.exists():
        print("No published warehouse yet: run `trustgap demo` or `trustgap run`.")
        return 1
    else:
        status = _read_duckdb_status(published)
    print(
        f"Last publish: {status['published_at']:%Y-%m-%d %H:%M:%S %Z} "
        f"(run {status['run_id'][:8]}), as of {status['as_of']}, source {status['source']}"
    )
    passed, failed = status["checks_passed"], status["checks_failed"]
    print(f"Checks in that run: {passed} passed, {len(failed)} failed")
    for asset, name, severity, description in failed[:20]:
        why = f" - {description[:160]}" if description else ""
        print(f"  {severity:<5} {asset}: {name}{why}")
    if spark_dir is not None:
        print("\n".join(status["calendar"]))
    else:
        from pipelines import calendar

        print("\n".join(calendar.status_lines(published)))
    from pipelines.freshness import status_lines

    print("\n".join(status_lines(status["freshness"])))
    if status["quarantine"]:
        print(quarantine.summary_line(status["quarantine"]))
    if status["reconciliation"]:
        print("\n".join(reconciliation_lines(status["reconciliation"])))
    dates, first, last = status["history"]
    if dates:
        print(f"History: {dates} as-of date(s), {first} to {last} (schema history)")
    else:
        print("History: none yet (each publish adds its date; `trustgap backfill` adds past ones)")
    return 1 if runs and runs[0].status == "failed" else 0


def _read_duckdb_status(published: Path) -> dict:
    import duckdb

    try:
        return read_published_status(published)
    except duckdb.Error as exc:
        raise UnreadableWarehouseError(
            f"{published} cannot be read ({str(exc).splitlines()[0]}). If the file is "
            "damaged, the next successful run publishes a new one; until then restore "
            "it from a backup."
        ) from None


def _spark_dir(published: Path) -> Path | None:
    """The Spark catalog's folder when TRUSTGAP_ENGINE=spark, else None (DuckDB)."""
    from pipelines.settings import Settings

    settings = Settings.from_env()
    return settings.spark_dir(published) if settings.engine == "spark" else None


def read_spark_status(spark_dir: Path) -> dict | None:
    """The same facts as read_published_status, for a Spark publish: what its publish
    step kept beside the catalog (spark_steps.publish: the publish job's counts of
    the history and the run log, the run's checks, quarantine, reconciliation,
    calendar and landings), so no JVM starts. None before the first Spark publish."""
    import datetime as dt
    import json

    from pipelines import quarantine
    from pipelines.engine.spark_steps import LAST_PUBLISH

    last = spark_dir / LAST_PUBLISH
    if not last.exists():
        return None
    kept = json.loads(last.read_text())
    if "checks" not in kept:
        raise UnreadableWarehouseError(
            f"{last} was written by an older Spark publish that did not keep its status; "
            "the next run's publish writes it."
        )
    now = dt.datetime.now(dt.UTC)
    freshness = [
        (table, (now - dt.datetime.fromisoformat(landed)).total_seconds() / 3600)
        for table, landed in sorted(kept["landings"].items())
    ]
    calendar = ["Calendar: not recorded by this publish (January fiscal year, UTC)"]
    if kept["calendar"]:
        described, warning = kept["calendar"]
        calendar = [f"Calendar: {described}"] + ([f"WARNING: {warning}"] if warning else [])
    dates, first, last_date = kept["history_dates"]
    return {
        "run_id": kept["run_id"],
        "as_of": dt.date.fromisoformat(kept["as_of"]),
        "source": kept["source"],
        "published_at": dt.datetime.fromisoformat(kept["published_at"]).replace(tzinfo=dt.UTC),
        "checks_passed": sum(1 for *_, ok, _ in kept["checks"] if ok),
        "checks_failed": [(a, n, s, d) for a, n, s, ok, d in kept["checks"] if not ok],
        "freshness": freshness,
        "quarantine": [quarantine.QuarantineCount(**q) for q in kept["quarantine"]],
        "reconciliation": kept["reconciliation"],
        "history": (dates or 0, first, last_date),
        "calendar": calendar,
    }


def read_published_status(published: Path) -> dict:
    """What `trustgap status` reports from inside the published warehouse."""
    import datetime as dt

    import duckdb

    from pipelines import quarantine
    from pipelines.freshness import raw_table_ages
    from pipelines.warehouse import has_table

    con = duckdb.connect(str(published), read_only=True)
    try:
        run_id, as_of, source, published_at = con.execute(
            "select run_id, as_of, source, published_at from trustgap_meta.runs "
            "order by published_at desc limit 1"
        ).fetchone()
        checks = con.execute(
            "select asset, check_name, severity, passed, description "
            "from trustgap_meta.check_results"
        ).fetchall()
        freshness = raw_table_ages(con, dt.datetime.now(dt.UTC))
        quarantined = quarantine.counts(con)
        reconciliation = None
        if has_table(con, "marts", "pipeline_reconciliation"):
            cursor = con.execute("select * from marts.pipeline_reconciliation")
            names = [column[0] for column in cursor.description]
            row = cursor.fetchone()
            reconciliation = dict(zip(names, row, strict=True)) if row else None
        history = (0, None, None)
        if has_table(con, "history", "rep_hygiene"):
            history = con.execute(
                "select count(distinct as_of), min(as_of), max(as_of) from history.rep_hygiene"
            ).fetchone()
    finally:
        con.close()
    return {
        "run_id": run_id,
        "as_of": as_of,
        "source": source,
        "published_at": published_at,
        "checks_passed": sum(1 for *_, ok, _ in checks if ok),
        "checks_failed": [(a, n, s, d) for a, n, s, ok, d in checks if not ok],
        "freshness": freshness,
        "quarantine": quarantined,
        "reconciliation": reconciliation,
        "history": history,
    }


def status_json(warehouse_path: str | None) -> int:
    """`trustgap status --json`: the same facts as one JSON object on stdout."""
    import json
    from dataclasses import asdict

    import duckdb

    from pipelines import run_ledger
    from pipelines.warehouse import published_path

    published = published_path(warehouse_path)
    runs = run_ledger.history(published, limit=1)
    facts: dict = {"warehouse": str(published), "published": None, "last_run": None}
    if runs:
        last = runs[0]
        facts["last_run"] = {
            "status": last.status,
            "run_id": last.run_id,
            "finished_at": last.finished_at,
            "as_of": last.as_of,
            "failed_steps": list(last.failed_steps),
            "message": last.message,
        }
    spark_dir = _spark_dir(published)
    status = None
    if spark_dir is not None:
        status = read_spark_status(spark_dir)
    elif published.exists():
        try:
            status = read_published_status(published)
        except duckdb.Error as exc:
            raise UnreadableWarehouseError(
                f"{published} cannot be read ({str(exc).splitlines()[0]})"
            ) from None
    if status is not None:
        dates, first, last_date = status["history"]
        facts["published"] = {
            "published_at": status["published_at"],
            "run_id": status["run_id"],
            "as_of": status["as_of"],
            "source": status["source"],
            "checks_passed": status["checks_passed"],
            "checks_failed": [
                {"asset": a, "check": n, "severity": s, "description": d}
                for a, n, s, d in status["checks_failed"]
            ],
            "quarantine": [asdict(q) for q in status["quarantine"]],
            "history": {"dates": dates, "first": first, "last": last_date},
            "reconciliation": status["reconciliation"],
        }
    print(json.dumps(facts, default=_iso, indent=2))
    failed = runs and runs[0].status == "failed"
    return 1 if failed or status is None else 0


def _iso(value) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def reconciliation_lines(row: dict) -> list[str]:
    """The open pipeline, the CRM's beside the marts' and what explains the difference
    (marts.pipeline_reconciliation); the change since as_of only when there is one."""
    parts = [
        ("CRM (every landed deal)", "crm_open_deals", "crm_open_value"),
        ("quarantined", "quarantined_open_deals", "quarantined_open_value"),
        (
            "changed since as-of date",
            "changed_since_as_of_open_deals",
            "changed_since_as_of_open_value",
        ),
        ("marts", "mart_open_deals", "mart_open_value"),
        ("unexplained", "unexplained_open_deals", "unexplained_difference"),
    ]
    return [f"Open pipeline as of {row['as_of']}:"] + [
        f"  {label:<25} {row[deals]:>6,} deals {row[value]:>16,.2f}"
        for label, deals, value in parts
        if label != "changed since as-of date" or row[deals] or row[value]
    ]
