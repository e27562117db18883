"""Number formatting shared by the RESULTS.md sections (`benchmarks.report`)."""

from __future__ import annotations


def num(value, digits: int = 1) -> str:
    """A figure as RESULTS.md shows it: thousands separated, "-" when missing."""
    if value is None:
        return "-"
    if isinstance(value, int) or (isinstance(value, float) and value >= 1000):
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def min_median(arm: dict, figure: str, digits: int = 1) -> str:
    """An arm's "min / median" cell for one figure, "-" when it has none."""
    value = arm.get(figure)
    if not value:
        return "-"
    return f"{num(value['min'], digits)} / {num(value['median'], digits)}"
