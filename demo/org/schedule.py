"""When each demo deal is created and by whom: the org's deal-creation schedule.

Deals are spread over the reps by their selling span and profile weight, with
creation growing over the two years of history and new hires ramping up.
"""

from __future__ import annotations

from demo.org.context import Context
from demo.org.wire import DAY


def _selling_span(ctx: Context, rep: int) -> tuple[int, int]:
    """When a rep creates deals: from hire (or history start) until leaving or going quiet."""
    person, profile = ctx.org.people[rep], ctx.profiles[rep]
    end = ctx.horizon - DAY
    if person.left is not None:
        end = min(end, person.left - 3 * DAY)
    if profile.stop is not None:
        end = min(end, profile.stop - DAY)
    return max(ctx.window_start, person.hired), end


def schedule_deals(ctx: Context, total: int) -> list[tuple[int, int, bool]]:
    """(creation moment, owner, forced open) of every deal, in creation order.

    The org grows: deal creation quadruples from the start of history to as_of, which
    also gives the current pipeline more open deals than a flat rate would.
    """
    rng = ctx.rng
    reps = ctx.org.reps
    spans = {rep: _selling_span(ctx, rep) for rep in reps}
    forced = sum(ctx.profiles[rep].forced_open_deals for rep in reps)
    weights = [
        _growth_integral(ctx, start, end) * ctx.profiles[rep].deal_weight
        for rep, (start, end) in spans.items()
    ]
    counts = _largest_remainder(total - forced, weights)
    schedule = []
    for rep, count in zip(reps, counts, strict=True):
        start, end = spans[rep]
        ramped = ctx.org.people[rep].hired + 90 * DAY
        for _ in range(count):
            while True:
                t = rng.randint(start, end)
                # New hires ramp up over their first three months.
                keep = _growth(ctx, t) / _GROWTH_PEAK * min(1.0, 1 - (ramped - t) / (90 * DAY))
                if rng.random() < keep:
                    break
            schedule.append((t, rep, False))
        for _ in range(ctx.profiles[rep].forced_open_deals):
            schedule.append((rng.randint(end - 120 * DAY, end - 35 * DAY), rep, True))
    schedule.sort()
    return schedule


_GROWTH_PEAK = 1.6


def _growth(ctx: Context, t: int) -> float:
    """Relative deal-creation rate at `t`: 0.4 at the start of history, 1.6 at as_of."""
    return 0.4 + 1.2 * (t - ctx.window_start) / (ctx.horizon - ctx.window_start)


def _growth_integral(ctx: Context, start: int, end: int) -> float:
    if end <= start:
        return 0.0
    return (end - start) * (_growth(ctx, start) + _growth(ctx, end)) / 2


def _largest_remainder(total: int, weights: list[float]) -> list[int]:
    whole = sum(weights)
    shares = [total * w / whole for w in weights]
    counts = [int(s) for s in shares]
    by_remainder = sorted(range(len(shares)), key=lambda i: (counts[i] - shares[i], i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts
