"""Trustgap against its peer, side by side: `python -m benchmarks.peers --sizes S,M --rounds 3`.

Extract + land of the same Salesforce objects from the same fake org into a
fresh DuckDB file, by four arms:

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
run in their own virtualenv (`.bench/dlt-venv`, created once from
`peer/requirements.txt` with the project's uv; its creation is not timed). Every
arm's DuckDB file is then read back: the live (not deleted) rows per table must
be the same in every arm, or the run is marked incorrect.

The same for HubSpot (`--crm hubspot`, or `both`, the default), on the demo org
rendered as a portal and served by the fake HubSpot in its own process with rate
limits and latency off (CPU-bound, as the Salesforce arms; the API-bound run is
`benchmarks.hubspot_api`), two arms:

- `trustgap-hubspot`: the real connector through its public entry point
  (`sync_hubspot`, full refresh), its client's limiter opened wide;
- `dlt-hubspot-arrow`: a dlt pipeline fed pyarrow tables built from the same pages
  (`peer/dlt_hubspot_arm.py`): the same objects, properties, page sizes, archived
  pass and association reads, merged on the same keys.

Rows per table (all, and live: not archived) must be the same in both.

Writes benchmarks/results/peers-<size>.json (Salesforce) and
peers-hubspot-<size>.json, and rebuilds RESULTS.md (`report`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks import machine, report
from benchmarks.fake_process import TOKEN, FakeProcess
from benchmarks.harness import AS_OF, SIZES
from benchmarks.probe import cpu_seconds, memory_mb

ROOT = Path(__file__).resolve().parents[1]
PEER_DIR = Path(__file__).parent / "peer"
REQUIREMENTS = PEER_DIR / "requirements.txt"
DLT_VENV = ROOT / ".bench" / "dlt-venv"
UV = ROOT / ".tools" / "bin" / "uv"
# Bytecode compiled once, as `make install` does for the product's .venv: Python here
# runs with PYTHONDONTWRITEBYTECODE, and dlt compiled ~800 modules (~3.4 s CPU) per run.
INSTALL_OPTIONS = "--compile-bytecode"

TRUSTGAP_ARMS = ("trustgap-default", "trustgap-rest")
DLT_ARMS = ("dlt-arrow", "dlt-dict")
ARMS = TRUSTGAP_ARMS + DLT_ARMS
HUBSPOT_ARMS = ("trustgap-hubspot", "dlt-hubspot-arrow")
CRMS = {"salesforce": ARMS, "hubspot": HUBSPOT_ARMS}
# Arms that run in the dlt venv, and the script each one runs there.
DLT_SCRIPTS = {
    "dlt-arrow": "dlt_arm.py",
    "dlt-dict": "dlt_arm.py",
    "dlt-hubspot-arrow": "dlt_hubspot_arm.py",
}
# The median extract + land ratio each CRM reports (Trustgap arm ÷ dlt arm).
RATIOS = {
    "salesforce": ("rest_over_dlt_arrow", "trustgap-rest", "dlt-arrow"),
    "hubspot": ("hubspot_over_dlt_arrow", "trustgap-hubspot", "dlt-hubspot-arrow"),
}


# -- the dlt environment -------------------------------------------------------------


def dlt_python(venv: Path = DLT_VENV, *, install: bool, log=print) -> Path | None:
    """The dlt venv's python, created from the pinned requirements when `install`.

    Reused while its requirements are unchanged (a stamp holds their hash). None when
    it is absent and `install` is off (CI never downloads dlt).
    """
    python = venv / "bin" / "python"
    stamp = venv / ".requirements.sha256"
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes() + INSTALL_OPTIONS.encode()).hexdigest()
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    if not install:
        return None
    log(f"creating the dlt venv {venv} from {REQUIREMENTS.name} (not timed)")
    shutil.rmtree(venv, ignore_errors=True)
    # The product's interpreter version, but none of its packages.
    base = sys.base_prefix + "/bin/python3"
    subprocess.run([str(UV), "venv", "-q", "--python", base, str(venv)], check=True)
    install = [str(UV), "pip", "install", "-q", INSTALL_OPTIONS, "--python", str(python)]
    subprocess.run([*install, "-r", str(REQUIREMENTS)], check=True)
    stamp.write_text(wanted)
    return python


# -- one arm, in its own process -----------------------------------------------------


def _objects_spec() -> list[dict]:
    from connectors.salesforce.objects import OBJECTS

    return [
        {
            "name": o.name,
            "table": o.table,
            "fields": [(name, str(kind)) for name, kind in o.fields],
            "watermark": o.watermark,
            "incremental": o.incremental,
        }
        for o in OBJECTS
    ]


def _run_child(command: list[str], env: dict | None = None) -> dict:
    """Run one arm; wall, CPU (user+sys) and peak RSS of that process alone."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, env=env, cwd=ROOT)
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    figures = {
        "wall_s": round(time.perf_counter() - started, 3),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
        "peak_rss_mb": round(usage.ru_maxrss / 1024),  # kB on Linux
        "exit_code": process.returncode,
    }
    lines = out.decode().strip().splitlines()
    if process.returncode == 0 and lines:
        figures.update(json.loads(lines[-1]))
    return figures


def trustgap_arm(spec_path: str) -> int:
    """Child side of a Trustgap arm: the real connector through its public API."""
    spec = json.loads(Path(spec_path).read_text())
    started = time.perf_counter()
    import duckdb

    from connectors.errors import Secret
    from connectors.salesforce.client import SalesforceConnection, connect
    from connectors.salesforce.settings import SalesforceSettings, SyncOptions
    from connectors.salesforce.sync import sync_salesforce

    imported = time.perf_counter()
    settings = SalesforceSettings(
        instance_url=spec["instance_url"], access_token=Secret(spec["token"])
    )
    options = SyncOptions(bulk_threshold=spec["bulk_threshold"])
    con = duckdb.connect(spec["db"])
    transports = {}
    connection = SalesforceConnection(connect(settings), options)
    for _ in sync_salesforce(
        connection,
        con,
        on_result=lambda r: transports.__setitem__(r.object_name, r.transport),
    ):
        pass
    con.close()
    print(
        json.dumps(
            {
                "work_s": round(time.perf_counter() - imported, 3),
                "import_s": round(imported - started, 3),
                "transports": transports,
            }
        )
    )
    return 0


def trustgap_hubspot_arm(spec_path: str) -> int:
    """Child side of the Trustgap HubSpot arm: the connector's public entry point,
    full refresh, its limiter opened wide (the fake enforces no limit either)."""
    spec = json.loads(Path(spec_path).read_text())
    started = time.perf_counter()
    import duckdb

    from connectors.errors import Secret
    from connectors.hubspot.client import HubSpotApi, HubSpotConnection
    from connectors.hubspot.ratelimit import RateLimits
    from connectors.hubspot.settings import HubSpotSettings
    from connectors.hubspot.sync import sync_hubspot

    imported = time.perf_counter()
    limits = RateLimits(requests=10**9, search_per_second=10**6)
    api = HubSpotApi(HubSpotSettings(Secret(spec["token"]), spec["url"], limits))
    con = duckdb.connect(spec["db"])
    for _ in sync_hubspot(HubSpotConnection(api, full_refresh=True), con):
        pass
    con.close()
    print(
        json.dumps(
            {
                "work_s": round(time.perf_counter() - imported, 3),
                "import_s": round(imported - started, 3),
                "client_requests": dict(api.requests),
            }
        )
    )
    return 0


def _hubspot_objects_spec() -> list[dict]:
    from connectors.hubspot.object_sync import HISTORY_LIST_LIMIT, LIST_LIMIT
    from connectors.hubspot.objects import CRM_OBJECTS

    return [
        {
            "name": o.name,
            "table": o.table.name,
            "properties": list(o.properties),
            "history": list(o.history),
            "history_table": o.history_table.name if o.history_table else None,
            "associations": {to: t.name for to, t in o.associations.items()},
            "engagement_type": o.engagement_type,
            "limit": HISTORY_LIST_LIMIT if o.history else LIST_LIMIT,
        }
        for o in CRM_OBJECTS
    ]


HUBSPOT_TOKEN = "bench-hubspot-token"


def _serve_hubspot(conn, size: str, seed: int) -> None:
    """The fake HubSpot in its own process, no rate limits, no latency."""
    from demo.fake_hubspot import FakeHubSpot
    from demo.fake_hubspot.ratelimit import UNLIMITED
    from demo.org.generator import generate_org
    from demo.org.hubspot import render_hubspot

    portal = render_hubspot(generate_org(size=size, seed=seed, as_of=AS_OF)).portal
    # Without a policy the fake enforces Professional limits (190 per 10 s): off here.
    fake = FakeHubSpot(portal, HUBSPOT_TOKEN, rate_limits=UNLIMITED)
    fake.start()
    with portal.lock:
        stored = {
            f"{name} ({state})": sum(1 for r in store.records.values() if r.archived == archived)
            for name, store in portal.objects.items()
            for state, archived in (("live", False), ("archived", True))
        }
    conn.send({"url": fake.base_url, "counts": stored})
    while True:
        command, args = conn.recv()
        if command == "stop":
            fake.stop()
            conn.send(None)
            return
        with fake._lock:
            counts = dict(fake.request_counts)
        if args.get("reset"):
            fake.reset_counts()
        conn.send(("ok", counts))


class HubSpotFakeProcess:
    """The fake HubSpot's process, driven like `FakeProcess` (only `counts`)."""

    def __init__(self, size: str, seed: int) -> None:
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve_hubspot, args=(child, size, seed), daemon=True)
        self.process.start()
        hello = self._conn.recv()
        self.instance_url: str = hello["url"]
        self.object_counts: dict[str, int] = hello["counts"]

    @property
    def pid(self) -> int:
        return self.process.pid

    def call(self, command: str, **args) -> dict:
        self._conn.send((command, args))
        return self._conn.recv()[1]

    def stop(self) -> None:
        if self.process.is_alive():
            self._conn.send(("stop", {}))
            self._conn.recv()
        self.process.join(timeout=30)


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
    prefix = "peers" if crm == "salesforce" else f"peers-{crm}"
    workdir = Path(workdir) / f"{prefix}-{size}"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    if crm == "salesforce":
        objects = _objects_spec()
        tables, schema = [o["table"] for o in objects], "raw_salesforce"
        log(f"[{size}] generating the {generator} org in the fake's process ...")
        fake = FakeProcess(generator, seed, AS_OF)
    else:
        from connectors.hubspot.object_sync import ASSOCIATION_INPUTS
        from connectors.hubspot.objects import TABLES

        objects = _hubspot_objects_spec()
        tables, schema = [t.name for t in TABLES], "raw_hubspot"
        log(f"[{size}] rendering the {generator} org as a HubSpot portal in the fake's process")
        fake = HubSpotFakeProcess(generator, seed)
    from connectors.salesforce.settings import DEFAULT_API_VERSION

    runs = []
    try:
        if crm == "salesforce":
            moment = dt.datetime.combine(AS_OF, dt.time(2), dt.UTC).isoformat()
            fake.call("set_clock", moment=moment)
        fake_after_generation = memory_mb(fake.pid)
        for n, (round_no, arm) in enumerate(plan(rounds, arms, dict_rounds)):
            db = workdir / f"{arm}-{round_no}.duckdb"
            spec = {
                "db": str(db),
                "objects": objects,
                "pipelines_dir": str(workdir / f"dlt-{n}"),
            }
            if crm == "salesforce":
                spec.update(
                    instance_url=fake.instance_url,
                    token=TOKEN,
                    api_version=DEFAULT_API_VERSION,
                    bulk_threshold=0 if arm == "trustgap-rest" else 10_000,
                    shape=arm.removeprefix("dlt-"),
                )
            else:
                spec.update(
                    url=fake.instance_url,
                    token=HUBSPOT_TOKEN,
                    association_inputs=ASSOCIATION_INPUTS,
                )
            spec_path = workdir / f"spec-{n}.json"
            spec_path.write_text(json.dumps(spec))
            if arm in DLT_SCRIPTS:
                command = [str(python_dlt), str(PEER_DIR / DLT_SCRIPTS[arm]), str(spec_path)]
            else:
                child = "--arm" if crm == "salesforce" else "--hubspot-arm"
                command = [sys.executable, "-m", "benchmarks.peers", child, str(spec_path)]
            fake.call("counts", reset=True)
            fake_cpu = cpu_seconds(fake.pid)
            load_before = machine.load_average()
            log(f"[{size}] round {round_no}: {arm} ...")
            figures = _run_child(command, env=_child_env())
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
                figures["tables"] = live_rows(db, tables, schema)
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


def _child_env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SALESFORCE_", "HUBSPOT_"))}
    env.update(RUNTIME__DLTHUB_TELEMETRY="false", RUNTIME__LOG_LEVEL="ERROR", DO_NOT_TRACK="1")
    return env


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
    name, ours, theirs = RATIOS[crm]
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
        return trustgap_arm(args.arm)
    if args.hubspot_arm:
        return trustgap_hubspot_arm(args.hubspot_arm)
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
