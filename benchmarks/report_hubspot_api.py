"""The API-bound HubSpot section of RESULTS.md (`benchmarks.hubspot_api`): the
connector against the floor its rate limits set."""

from __future__ import annotations

from benchmarks.report_format import num


def hubspot_section(r: dict) -> str:
    """The API-bound HubSpot arm (`benchmarks.hubspot_api`)."""
    run, needed, allowed = r["run"], r["needed"], r["allowed"]
    head = (
        f"## HubSpot, API-bound: {r['size']} ({r['generator_size']}), {r['tier']} limits, "
        f"{r['latency_ms']:g} ms latency\n"
    )
    if run.get("exit_code") != 0:
        return head + f"FAILED (exit {run.get('exit_code')}).\n"
    pages = ", ".join(f"{k} {v:,}" for k, v in needed["pages"].items())
    refused = sum(r["refused_429"].values())
    lines = [
        head,
        "| wall s (sync) | process wall s | floor s | x floor | requests | needed "
        "| 429s | peak in any 10 s | allowed per 10 s | CPU s | peak RSS MB "
        "| load avg (1 min) before → after |",
        "|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
        f"| {num(run['work_s'])} | {num(run['wall_s'])} | {num(r['floor_s'])} | "
        f"**{r['ratio']:.2f}** | {num(r['requests'])} | {num(needed['total'])} | "
        f"{refused} | {r['peak_requests_10s']} | {allowed['requests_per_10s']} | "
        f"{num(run['cpu_s'])} | {num(run['peak_rss_mb'], 0)} | "
        f"{run['load_average_before'][0]:.2f} → {run['load_average_after'][0]:.2f} |",
        "",
        f"Floor = {needed['total']:,} requests needed ÷ {allowed['rate_per_s']:g} requests/s "
        f"allowed. Needed: list pages {pages}, plus {needed['other']} other calls "
        f"(associations, watermark searches, account, pipelines: as counted)"
        + (
            f"; not needed: {counts} counts (a one-result search per object whose total "
            "puts the object with the most pages left first when the limit makes them wait)"
            if (counts := (run.get("client_requests") or {}).get("count"))
            else ""
        )
        + ". Requests by kind: "
        + ", ".join(f"{k} {v:,}" for k, v in sorted(r["requests_by_kind"].items()))
        + f". One request after another, the latency alone would cost "
        f"{r['latency_bound_s']:.1f} s ({r['requests']:,} x {r['latency_ms']:g} ms); "
        + (
            f"the connector kept up to {run['concurrency']} objects in flight, mean "
            f"send-to-answer {run['mean_answer_s']:.3f} s; "
            if run.get("concurrency")
            else ""
        )
        + f"the client's own limiter waited {run.get('limiter_waited_s', 0):.1f} s "
        "(summed over its threads). "
        f"Rows landed: {run['rows_landed']:,}.",
    ]
    return "\n".join(lines) + "\n"
