"""docs/metrics.md from the metric registry: what each metric means, where it lives, its threshold.

The registry is ``config.meta.metrics`` of the ``kpi_catalog_as_of`` model (today
dbt_project/models/marts/kpi_catalog_as_of.yml); the same entries feed the published
``marts.kpi_catalog_as_of`` and the view over it BI reads, ``marts.kpi_catalog``.
docs/metrics.md keeps its hand-written introduction above ``MARKER`` and gets
everything below it from here:

    python -m pipelines.metric_docs          # rewrite docs/metrics.md
    python -m pipelines.metric_docs --check  # exit 1 if it is out of date

A test fails while the committed file is out of date.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from pipelines.project import DBT_PROJECT_DIR, PROJECT_ROOT

DOCS_PATH = PROJECT_ROOT / "docs" / "metrics.md"
MARKER = "<!-- Generated from the metric registry below this line: do not edit by hand. -->"
THEME_TITLES = {
    "pipeline_hygiene": "Pipeline hygiene",
    "micromanagement": "Micromanagement signals",
    "process_and_skills": "Process adherence and skills",
    "kpi_freshness_and_governance": "KPI freshness and governance",
}
_VAR = re.compile(r"\{(\w+)\}")
# The model whose YAML holds the registry: the one that builds a row per metric from it.
REGISTRY_MODEL = "kpi_catalog_as_of"


def load_registry(models_dir: Path | None = None) -> dict[str, Any]:
    """The ``kpi_catalog_as_of`` model's ``config.meta`` (``metrics``, ``trustgap_default_vars``).

    Found by model name in any properties file under ``models/``, so the YAML may move.
    """
    models_dir = models_dir or DBT_PROJECT_DIR / "models"
    for path in sorted(models_dir.rglob("*.yml")):
        properties = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for model in properties.get("models") or []:
            if model.get("name") == REGISTRY_MODEL:
                return (model.get("config") or {}).get("meta") or {}
    raise LookupError(f"no {REGISTRY_MODEL} model with a metric registry under {models_dir}")


def render(meta: Mapping[str, Any]) -> str:
    """The generated part of docs/metrics.md: one section per theme, one entry per metric."""
    metrics: Sequence[Mapping[str, Any]] = meta.get("metrics") or []
    own_defaults = set(meta.get("trustgap_default_vars") or [])
    themes: dict[str, list[Mapping[str, Any]]] = {}
    for metric in metrics:
        themes.setdefault(str(metric.get("theme") or "other"), []).append(metric)
    lines = [MARKER, ""]
    for theme, members in themes.items():
        ids = ", ".join(str(m.get("id")) for m in members)
        lines += [f"## {THEME_TITLES.get(theme, theme)}", "", f"Theme `{theme}`: {ids}.", ""]
        for metric in members:
            lines += _metric_lines(metric, own_defaults)
    return "\n".join(lines).rstrip() + "\n"


def _metric_lines(metric: Mapping[str, Any], own_defaults: set[str]) -> list[str]:
    defaults = metric.get("threshold_vars") or {}
    name = metric.get("label") or metric.get("name")
    lines = [f"### {metric.get('id')} {name}", ""]
    if metric.get("definition"):
        lines += [_fill(metric["definition"], defaults), ""]
    facts = [
        ("Unit", metric.get("unit")),
        ("Direction", _direction(metric.get("higher_is_better"))),
        ("Trust-gap cause", metric.get("trust_gap_cause")),
        ("Computed as", _fill(metric.get("formula"), defaults)),
        ("Grain", metric.get("grain")),
        ("Where", _where(metric)),
        ("Threshold", _fill(metric.get("threshold"), defaults)),
        ("Threshold source", _threshold_source(metric, own_defaults)),
        ("Org-wide value", metric.get("org_value")),
        ("Owner", metric.get("owner")),
        ("Reads", ", ".join(f"`{t}`" for t in metric.get("sources") or []) or None),
    ]
    lines += [f"- **{label}:** {value}" for label, value in facts if value not in (None, "")]
    return [*lines, ""]


def _direction(higher_is_better: Any) -> str | None:
    if higher_is_better is None:
        return None
    return "higher is better" if higher_is_better else "lower is better"


def _where(metric: Mapping[str, Any]) -> str | None:
    table, column = metric.get("table"), metric.get("column")
    if not table:
        return None
    if not column:
        return f"`marts.{table}`"
    return f"`marts.{table}`, column{'s' if ',' in str(column) else ''} {column}"


def _threshold_source(metric: Mapping[str, Any], own_defaults: set[str]) -> str:
    if metric.get("threshold_source"):
        return str(metric["threshold_source"])
    parts = []
    for var, default in (metric.get("threshold_vars") or {}).items():
        origin = "Trustgap's own default" if var in own_defaults else "default"
        parts.append(f"dbt var `{var}` ({origin} {_text(default)})")
    return "; ".join(parts) or "none: descriptive metric"


def _fill(text: Any, defaults: Mapping[str, Any]) -> str | None:
    """``{var}`` placeholders as the var's default value, as the catalog fills them."""
    if text is None:
        return None
    return _VAR.sub(
        lambda m: _text(defaults[m.group(1)]) if m.group(1) in defaults else m.group(0),
        str(text),
    )


def _text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    return str(value)


def document(current: str, meta: Mapping[str, Any]) -> str:
    """``current`` docs/metrics.md with everything from ``MARKER`` on regenerated."""
    intro, found, _ = current.partition(MARKER)
    if not found:
        raise ValueError(f"{DOCS_PATH} has no line {MARKER!r} to generate below.")
    return intro + render(meta)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.metric_docs", description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is out of date")
    args = parser.parse_args(argv)
    current = DOCS_PATH.read_text(encoding="utf-8")
    wanted = document(current, load_registry())
    if args.check:
        if current != wanted:
            print(f"{DOCS_PATH} is out of date: run {parser.prog}", file=sys.stderr)
            return 1
        return 0
    DOCS_PATH.write_text(wanted, encoding="utf-8")
    print(f"wrote {DOCS_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
