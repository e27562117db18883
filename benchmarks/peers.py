"""Trustgap against its peer, side by side: `python -m benchmarks.peers --sizes S,M --rounds 3`.

Extract + land of the same Salesforce objects from the same fake org into a
fresh DuckDB file, by four arms (`peers_salesforce`):

- `trustgap-default`: the real connector with its defaults (Bulk 2.0 above
  the threshold, REST below);
- `trustgap-rest`: the same with `bulk_threshold=0`: REST query pages only;
- `dlt-arrow`: a dlt 1.31 pipeline over simple-salesforce fed pyarrow tables
  built from the same REST pages (`peer/dlt_arm.py`);
- `dlt-dict`: the same pipeline on dlt's default dict path (slow and memory
  hungry: by default only on T and S, once).

One fake Salesforce per size (its own process, `fake_process`), then the arms
alternated round by round, each in its own process so its CPU and peak RSS are
its own (`os.wait4`), the fake's request counter reset before each. The dlt arms
run in their own virtualenv (`peers_dlt`: `.bench/dlt-venv`, created once from
`peer/requirements.txt` with the project's uv; its creation is not timed). Every
arm's DuckDB file is then read back: the live (not deleted) rows per table must
be the same in every arm, or the run is marked incorrect.

The same for HubSpot (`--crm hubspot`, or `both`, the default), on the demo org
rendered as a portal and served by the fake HubSpot in its own process, two arms
(`peers_hubspot`): `trustgap-hubspot` and `dlt-hubspot-arrow`. Rows per table
(all, and live: not archived) must be the same in both.

Writes benchmarks/results/peers-<size>.json (Salesforce) and
peers-hubspot-<size>.json, and rebuilds RESULTS.md (`report`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from benchmarks import machine, peers_hubspot, peers_salesforce, report
from benchmarks.harness import SIZES
from benchmarks.peers_child import child_env, run_child
from benchmarks.peers_dlt import DLT_SCRIPTS, DLT_VENV, dlt_command, dlt_python
from benchmarks.probe import cpu_seconds, memory_mb

ARMS = peers_salesforce.ARMS
HUBSPOT_ARMS = peers_hubspot.HUBSPOT_ARMS
# Each CRM's arms, fake, spec and ratio.
CRM_ARMS = {"salesforce": peers_salesforce, "hubspot": peers_hubspot}
CRMS = {crm: module.ARMS for crm, module in CRM_ARMS.items()}


def live_rows(
    db: Path, tables: list[str], schema: str = "raw_salesforce"
) -> dict[str, dict[str, int]]:
    """Rows per catalog table in `db`: all of them, and those not flagged deleted
    (Salesforce's IsDeleted, HubSpot's archived)."""
    import duckdb

    counts = {}
    with duckdb.connect(str(db), read_only=True) as con:
        present = {
            name: {c.lower() for c in cols}
            for name, cols in con.execute(
                "select table_name, list(column_name) from duckdb_columns() "
                "where schema_name = ? group by 1",
                [schema],
            ).fetchall()
        }
        for table in tables:
            if table not in present:
                continue
            # Trustgap keeps the API's names (IsDeleted), dlt snake-cases them.
            flag = next(
                (c for c in ("isdeleted", "is_deleted", "archived") if c in present[table]), None
            )
            live = f"count(*) filter (where not coalesce({flag}, false))" if flag else "count(*)"
            total, alive = con.execute(f"select count(*), {live} from {schema}.{table}").fetchone()
            counts[table] = {"rows": total, "live": alive}
    return counts


# -- a size: one fake, the arms alternated -------------------------------------------


def plan(rounds: int, arms: list[str], dict_rounds: int) -> list[tuple[int, str]]:
    """(round, arm) in run order: every round runs the arms in turn; dlt-dict only
    in the first `dict_rounds` rounds."""
    order = []
    for i in range(1, rounds + 1):
        for arm in arms:
            if arm == "dlt-dict" and i > dict_rounds:
                continue
            order.append((i, arm))
    return order


def run_size(
    size: str,
    *,
    rounds: int,
    workdir: Path,
    arms: list[str],
    dict_rounds: int = 1,
    python_dlt: Path | None = None,
    seed: int = 7,
    crm: str = "salesforce",
    log: Callable[[str], None] = print,
) -> dict:
    generator = SIZES[size]
    arms = [a for a in arms if a in CRMS[crm]]
    skipped = []
    if python_dlt is None and any(a in DLT_SCRIPTS for a in arms):
        skipped = [a for a in arms if a in DLT_SCRIPTS]
        log(
            f"dlt arms skipped ({', '.join(skipped)}): no dlt venv at {DLT_VENV}; "
            "`python -m benchmarks.peers` (without --no-install) creates it"
        )
        arms = [a for a in arms if a not in DLT_SCRIPTS]
    workdir = Path(workdir) / report.peers_name(crm, size)
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    arms_of = CRM_ARMS[crm]
    objects = arms_of.objects_spec()
    tables = arms_of.tables()
    fake = arms_of.start_fake(size, generator, seed, log)

    runs = []
    try:
        fake_after_generation = memory_mb(fake.pid)
        for n, (round_no, arm) in enumerate(plan(rounds, arms, dict_rounds)):
            db = workdir / f"{arm}-{round_no}.duckdb"
            spec = {
                "db": str(db),
                "objects": objects,
                "pipelines_dir": str(workdir / f"dlt-{n}"),
            }
            spec.update(arms_of.arm_spec(arm, fake))
            spec_path = workdir / f"spec-{n}.json"
            spec_path.write_text(json.dumps(spec))
            if arm in DLT_SCRIPTS:
                command = dlt_command(python_dlt, arm, spec_path)
            else:
                child = arms_of.CHILD_FLAG
                command = [sys.executable, "-m", "benchmarks.peers", child, str(spec_path)]
            fake.call("counts", reset=True)
            fake_cpu = cpu_seconds(fake.pid)
            load_before = machine.load_average()
            log(f"[{size}] round {round_no}: {arm} ...")
            figures = run_child(command, env=child_env())
            by_kind = fake.call("counts")
            figures.update(
                arm=arm,
                round=round_no,
                load_average_before=load_before,
                load_average_after=machine.load_average(),
                requests=sum(by_kind.values()),
                requests_by_kind=by_kind,
                fake_cpu_s=round(cpu_seconds(fake.pid) - fake_cpu, 2),
            )
            if figures["exit_code"] == 0:
                figures["tables"] = live_rows(db, tables, arms_of.SCHEMA)
                figures["rows_landed"] = sum(t["rows"] for t in figures["tables"].values())
                figures["rows_per_s"] = round(figures["rows_landed"] / figures["work_s"])
            db.unlink(missing_ok=True)
            shutil.rmtree(workdir / f"dlt-{n}", ignore_errors=True)
            log(
                f"[{size}]   {arm}: wall {figures['wall_s']:.1f} s, extract+land "
                f"{figures.get('work_s', 0):.1f} s, CPU {figures['cpu_s']:.1f} s, peak "
                f"{figures['peak_rss_mb']} MB, {figures['requests']} requests, load "
                f"{load_before[0]:.2f}"
            )
            runs.append(figures)
        fake_memory = memory_mb(fake.pid)
    finally:
        fake.stop()
    result = {
        "kind": "peers",
        "crm": crm,
        "size": size,
        "generator_size": generator,
        "rounds": rounds,
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine.describe(),
        "object_counts": fake.object_counts,
        "fake": {"after_generation": fake_after_generation, "end": fake_memory},
        "skipped_arms": skipped,
        "runs": runs,
    }
    result["summary"] = summarise(runs, crm)
    result["correctness"] = correctness(runs)
    return result


def summarise(runs: list[dict], crm: str = "salesforce") -> dict:
    """Per arm: min and median of each figure over its successful rounds, and the
    Trustgap ÷ dlt-arrow ratio of median extract + land time (REST-only for
    Salesforce)."""
    arms: dict[str, dict] = {}
    for arm in CRMS[crm]:
        done = [r for r in runs if r["arm"] == arm and r["exit_code"] == 0]
        if not done:
            continue
        entry = {"rounds": len(done)}
        for figure in ("wall_s", "work_s", "cpu_s", "peak_rss_mb", "requests", "rows_per_s"):
            values = [r[figure] for r in done]
            entry[figure] = {"min": min(values), "median": statistics.median(values)}
        entry["rows_landed"] = done[0]["rows_landed"]
        arms[arm] = entry
    name, ours, theirs = CRM_ARMS[crm].RATIO
    ratio = None
    if ours in arms and theirs in arms:
        ratio = round(arms[ours]["work_s"]["median"] / arms[theirs]["work_s"]["median"], 2)
    return {"arms": arms, name: ratio}


def correctness(runs: list[dict]) -> dict:
    """Rows and live rows per table in every successful arm; `same` when all arms
    (and every round of each) agree on both."""
    live: dict[str, dict[str, int]] = {}
    landed: dict[str, dict[str, int]] = {}
    for r in runs:
        if r["exit_code"] != 0:
            continue
        for key, counts in (("live", live), ("rows", landed)):
            these = {t: c[key] for t, c in r["tables"].items()}
            counts.setdefault(r["arm"], these)
            if these != counts[r["arm"]]:
                counts[f"{r['arm']} (round {r['round']})"] = these

    def agree(counts: dict[str, dict[str, int]]) -> bool:
        tables = sorted({t for per_table in counts.values() for t in per_table})
        first = next(iter(counts.values()), {})
        return all(all(c.get(t, 0) == first.get(t, 0) for t in tables) for c in counts.values())

    failed = [f"{r['arm']} (round {r['round']})" for r in runs if r["exit_code"] != 0]
    same = agree(live) and agree(landed) and not failed
    return {"live_rows": live, "rows": landed, "same": same, "failed": failed}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="benchmarks.peers", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="S,M", help="comma-separated: T, S, M, L")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of alternated arms")
    parser.add_argument(
        "--crm", default="both", choices=["salesforce", "hubspot", "both"], help="which CRM"
    )
    parser.add_argument(
        "--arms",
        default=",".join(ARMS + HUBSPOT_ARMS),
        help="comma-separated arms to run (each CRM runs its own among them)",
    )
    parser.add_argument(
        "--dict-sizes", default="T,S", help="sizes on which dlt-dict runs (it takes minutes)"
    )
    parser.add_argument("--dict-rounds", type=int, default=1, help="rounds dlt-dict runs in")
    parser.add_argument(
        "--no-install", action="store_true", help="never create the dlt venv: skip dlt if absent"
    )
    parser.add_argument("--workdir", help="where the DuckDB files go (default: a temp dir)")
    parser.add_argument("--results", default=str(report.RESULTS_DIR), help="JSON output folder")
    parser.add_argument("--no-markdown", action="store_true", help="do not rebuild RESULTS.md")
    parser.add_argument("--arm", help=argparse.SUPPRESS)  # child mode: one Trustgap arm
    parser.add_argument("--hubspot-arm", help=argparse.SUPPRESS)  # child: Trustgap HubSpot
    args = parser.parse_args(argv)
    if args.arm:
        return peers_salesforce.trustgap_arm(args.arm)
    if args.hubspot_arm:
        return peers_hubspot.trustgap_hubspot_arm(args.hubspot_arm)
    crms = ["salesforce", "hubspot"] if args.crm == "both" else [args.crm]
    sizes = [s.strip().upper() for s in args.sizes.split(",") if s.strip()]
    arms = [a.strip() for a in args.arms.split(",") if a.strip()]
    if bad := [s for s in sizes if s not in SIZES] + [
        a for a in arms if a not in ARMS + HUBSPOT_ARMS
    ]:
        parser.error(f"unknown size(s) or arm(s): {bad}")
    dict_sizes = {s.strip().upper() for s in args.dict_sizes.split(",") if s.strip()}

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    python_dlt = None
    if any(a in DLT_SCRIPTS and any(a in CRMS[c] for c in crms) for a in arms):
        python_dlt = dlt_python(install=not args.no_install, log=log)
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="trustgap-peers-"))
    results_dir = Path(args.results)
    incorrect = False
    for crm in crms:
        for size in sizes:
            size_arms = [a for a in arms if a != "dlt-dict" or size in dict_sizes]
            result = run_size(
                size,
                rounds=args.rounds,
                workdir=workdir,
                arms=size_arms,
                dict_rounds=args.dict_rounds,
                python_dlt=python_dlt,
                crm=crm,
                log=log,
            )
            path = report.save_peers(result, results_dir)
            print(report.peers_section(result))
            log(f"wrote {path}")
            incorrect |= not result["correctness"]["same"]
    if not args.no_markdown and results_dir == report.RESULTS_DIR:
        log(f"wrote {report.write_markdown(report.load(results_dir))}")
    return 1 if incorrect else 0


if __name__ == "__main__":
    raise SystemExit(main())
