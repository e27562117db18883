"""The peer benchmark's sections of RESULTS.md: per CRM and size, Trustgap's arms
against dlt's (`benchmarks.peers`), then each CRM's correctness notes."""

from __future__ import annotations

from benchmarks.report_format import min_median, num

SALESFORCE_NOTES = """\
Correctness notes (the same for every size):

- *Same data*: every arm reads the catalog's fields of the same objects; the table
  above compares the live (not deleted) rows each arm's DuckDB file holds, per table.
- *Cursor semantics*: Trustgap commits each object's watermark in the same transaction
  as the rows it covers, and its next window starts at `watermark - overlap (10 min)`
  ordered by `(watermark, Id)` and upserted by Id, so rows committed late with an
  older SystemModstamp, or sharing the cursor's timestamp, are read again rather than
  lost. dlt's `incremental` keeps the highest SystemModstamp seen in its pipeline
  state and the next SOQL asks `> last_value` (as the verified source does): rows
  that share that exact timestamp but were committed after the read, and rows whose
  SystemModstamp lands behind the cursor, are never read again. dlt's state is saved
  with the load package, after the whole resource has been extracted: a run killed
  mid-object re-reads that object from the previous cursor (no loss, no duplicates
  thanks to the merge on Id); Trustgap resumes from the last landed page.
- *Deletes*: Trustgap reads incremental objects with `queryAll` (soft-deleted rows
  land flagged IsDeleted) and, on incremental runs, the deleted-records log
  (`/sobjects/X/deleted`), which also catches rows purged from the recycle bin. The
  dlt arms use `queryAll` here too, so full reads agree, but the verified source
  uses `query` (soft deletes never arrive) and neither calls the deleted log: a hard
  delete stays in dlt's table for good.
- *Requests*: Trustgap also spends one describe and one `SELECT COUNT()` per object
  (the count picks the transport); dlt spends a describe per object to intersect the
  field list with the org's.
"""


HUBSPOT_NOTES = """\
HubSpot correctness notes (the same for every size):

- *Same data*: both arms list the catalog's objects with the same properties and page
  sizes (deals 50 with property history, engagements 100), live then archived, and read
  associations 1,000 ids per v4 batch call; the table above compares rows and live (not
  archived) rows per table, and the run fails if any differ.
- *Not the same requests*: Trustgap also reads the account's details and runs one
  `search` per object after its full pass (the window that catches changes made
  while it listed); the dlt arm does neither.
- *Cursor semantics*: Trustgap commits each object's cursor (the next page's `after`
  during a full pass, then a modified-since window read through search in id order)
  with the rows it covers; the dlt arm, like the verified source, has no cursor for
  CRM objects (the list endpoint has no modified-since filter): each run re-lists
  everything and merges, and a killed run starts over.
- *Deletes*: both read the archived pass, so archived records land flagged; records
  purged for good (GDPR delete) disappear from both lists and stay in both tables.
"""


def crm(r: dict) -> str:
    return r.get("crm", "salesforce")


def peers_section(r: dict) -> str:
    """One CRM and size of the side-by-side peer benchmark (`benchmarks.peers`)."""
    arms = r["summary"]["arms"]
    hubspot = crm(r) == "hubspot"
    lines = [
        f"## Peer arms{', HubSpot' if hubspot else ''}, {r['size']} ({r['generator_size']}): "
        "extract + land into DuckDB\n",
        f"{len(r['object_counts'])} {'objects (live/archived)' if hubspot else 'objects'}, "
        f"{sum(r['object_counts'].values()):,} "
        f"{'records' if hubspot else 'rows'} served; {r['rounds']} rounds, arms "
        f"alternated; measured {r['measured_at']}.\n",
        "| arm | rounds | process wall s (min / median) | extract + land s (min / median) "
        "| CPU s (min / median) | rows landed | rows/s (min / median) | peak RSS MB "
        "(min / median) | API requests |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for name, arm in arms.items():
        lines.append(
            f"| {name} | {arm['rounds']} | {min_median(arm, 'wall_s')} "
            f"| {min_median(arm, 'work_s')} | {min_median(arm, 'cpu_s')} "
            f"| {num(arm['rows_landed'])} | "
            f"{min_median(arm, 'rows_per_s')} | {min_median(arm, 'peak_rss_mb', 0)} | "
            f"{num(arm['requests']['median'], 0)} |"
        )
    if hubspot:
        ratio = r["summary"].get("hubspot_over_dlt_arrow")
        head, goal = "Trustgap HubSpot ÷ dlt-hubspot-arrow", "(#18: report it)"
    else:
        ratio = r["summary"].get("rest_over_dlt_arrow")
        head, goal = "Trustgap REST-only ÷ dlt-arrow", "(#18's goal: ≤ 0.80)"
    notes = [
        "",
        f"{head}, median extract + land: "
        + (f"**{ratio:.2f}** {goal}." if ratio else "not measured."),
    ]
    if r.get("skipped_arms"):
        notes.append(f"Skipped (no dlt venv): {', '.join(r['skipped_arms'])}.")
    fake = r["fake"]
    notes.append(
        f"The fake {'HubSpot' if hubspot else 'Salesforce'} (its own process, not in any "
        "arm's figures): "
        f"{fake['after_generation']['rss_mb']:,} MB resident after generating the org, "
        f"peak {fake['end']['peak_rss_mb']:,} MB over the whole run."
    )
    lines += notes
    lines += [
        "",
        "| round | arm | wall s | extract + land s | CPU s | peak RSS MB | requests "
        "| fake CPU s | load avg (1 min) before → after |",
        "|--:|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for run in r["runs"]:
        if run["exit_code"] != 0:
            lines.append(f"| {run['round']} | {run['arm']} | FAILED (exit {run['exit_code']}) |")
            continue
        lines.append(
            f"| {run['round']} | {run['arm']} | {num(run['wall_s'])} | {num(run['work_s'])} "
            f"| {num(run['cpu_s'])} | {num(run['peak_rss_mb'], 0)} | {num(run['requests'])} "
            f"| {num(run['fake_cpu_s'])} | {run['load_average_before'][0]:.2f} → "
            f"{run['load_average_after'][0]:.2f} |"
        )
    live = r["correctness"]["live_rows"]
    landed = r["correctness"].get("rows")
    if live:
        names = list(live)
        tables = sorted({t for counts in live.values() for t in counts})
        what = "Rows (and live rows) landed" if landed else "Live rows landed"
        lines += [
            "",
            f"{what} per table: "
            + ("**the same in every arm**." if r["correctness"]["same"] else "**DIFFERENT**."),
            "",
            "| table | " + " | ".join(names) + " |",
            "|---|" + "--:|" * len(names),
        ]
        for t in tables:
            cells = []
            for n in names:
                cell = num(live[n].get(t))
                if landed and n in landed and landed[n].get(t) != live[n].get(t):
                    cell = f"{num(landed[n].get(t))} ({cell})"
                cells.append(cell)
            lines.append(f"| {t} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def peer_sections(peers: list[dict]) -> list[str]:
    """Every Salesforce size, its notes, then every HubSpot size and its notes."""
    parts = []
    for name, notes in (("salesforce", SALESFORCE_NOTES), ("hubspot", HUBSPOT_NOTES)):
        these = [r for r in peers if crm(r) == name]
        parts += [peers_section(r) for r in these]
        if these:
            parts.append(notes)
    return parts
