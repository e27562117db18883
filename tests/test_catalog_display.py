"""Every registry metric carries what a display needs: label, unit, direction, order
and the trust-gap cause, and the published catalog holds them."""

import re

from pipelines.metric_docs import load_registry

UNITS = {"share", "days", "count", "currency", "score", "hours"}
CAUSES = {"autonomy", "short-term focus", "process", "skills", "transparency", "hygiene"}


def _metrics() -> list[dict]:
    return load_registry()["metrics"]


def _natural(metric_id: str) -> tuple:
    family, number = re.fullmatch(r"([A-Z])(\d*|I)", metric_id).groups()
    return ("HMPK".index(family), int(number) if number.isdigit() else 1_000)


def test_every_metric_has_a_label_unit_direction_order_and_cause():
    for metric in _metrics():
        assert isinstance(metric.get("label"), str) and metric["label"].strip(), metric["id"]
        assert metric.get("unit") in UNITS, metric["id"]
        assert isinstance(metric.get("higher_is_better"), bool), metric["id"]
        assert isinstance(metric.get("display_order"), int), metric["id"]
        assert metric.get("trust_gap_cause") in CAUSES, metric["id"]


def test_only_the_data_freshness_metric_counts_in_hours():
    assert [m["id"] for m in _metrics() if m["unit"] == "hours"] == ["K1"]


def test_display_order_is_unique_and_natural_h_m_p_k():
    metrics = _metrics()
    orders = [m["display_order"] for m in metrics]
    assert len(set(orders)) == len(orders)
    by_order = [m["id"] for m in sorted(metrics, key=lambda m: m["display_order"])]
    assert by_order == sorted(by_order, key=_natural)
    assert by_order[:3] == ["H1", "H2", "H3"] and by_order[10] == "H11"


def test_the_published_catalog_holds_the_display_fields(tiny_nightly):
    rows = tiny_nightly.query(
        "select metric_id, label, unit, higher_is_better, display_order, trust_gap_cause "
        "from marts.kpi_catalog order by display_order"
    )
    registry = {m["id"]: m for m in _metrics()}
    assert [r[0] for r in rows] == sorted(registry, key=_natural)
    for metric_id, label, unit, higher_is_better, display_order, cause in rows:
        metric = registry[metric_id]
        assert (label, unit, higher_is_better, display_order, cause) == (
            metric["label"],
            metric["unit"],
            metric["higher_is_better"],
            metric["display_order"],
            metric["trust_gap_cause"],
        )
