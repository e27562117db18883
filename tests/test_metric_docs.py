"""docs/metrics.md is generated from the metric registry and kept up to date with it."""

from pipelines import metric_docs


def test_the_committed_docs_match_the_registry():
    current = metric_docs.DOCS_PATH.read_text(encoding="utf-8")

    assert metric_docs.document(current, metric_docs.load_registry()) == current, (
        "docs/metrics.md is out of date: run `python -m pipelines.metric_docs`"
    )


def test_every_registry_metric_has_an_entry_under_its_family():
    meta = metric_docs.load_registry()
    text = metric_docs.DOCS_PATH.read_text(encoding="utf-8")
    generated = text.split(metric_docs.MARKER)[1]

    for metric in meta["metrics"]:
        assert f"\n### {metric['id']} {metric['label']}\n" in generated
    for title in metric_docs.THEME_TITLES.values():
        assert f"\n## {title}\n" in generated


def test_an_entry_renders_what_the_registry_says():
    meta = {
        "trustgap_default_vars": ["floor"],
        "metrics": [
            {
                "id": "X1",
                "name": "widget_share",
                "label": "Widget share",
                "theme": "widgets",
                "definition": "Share of widgets.",
                "formula": "widgets / all, flagged above {floor} or {multiple}x.",
                "grain": "rep",
                "table": "rep_widgets",
                "column": "widget_share",
                "threshold": "above {floor}",
                "threshold_vars": {"floor": 0.5, "multiple": 2},
                "owner": "RevOps",
            },
            {
                "id": "X2",
                "name": "widget_count",
                "theme": "widgets",
                "threshold": "any",
                "threshold_source": "none: every widget counts",
            },
        ],
    }

    assert metric_docs.render(meta).splitlines() == [
        metric_docs.MARKER,
        "",
        "## widgets",
        "",
        "Theme `widgets`: X1, X2.",
        "",
        "### X1 Widget share",
        "",
        "Share of widgets.",
        "",
        "- **Computed as:** widgets / all, flagged above 0.5 or 2x.",
        "- **Grain:** rep",
        "- **Where:** `marts.rep_widgets`, column widget_share",
        "- **Threshold:** above 0.5",
        "- **Threshold source:** dbt var `floor` (Trustgap's own default 0.5); "
        "dbt var `multiple` (default 2)",
        "- **Owner:** RevOps",
        "",
        "### X2 widget_count",
        "",
        "- **Threshold:** any",
        "- **Threshold source:** none: every widget counts",
    ]


def test_an_entry_shows_its_unit_direction_and_cause():
    metric = {
        "id": "X1",
        "name": "stale_share",
        "label": "Stale deals",
        "unit": "share",
        "higher_is_better": False,
        "trust_gap_cause": "hygiene",
        "theme": "widgets",
    }

    lines = metric_docs.render({"metrics": [metric]}).splitlines()

    assert lines[6:11] == [
        "### X1 Stale deals",
        "",
        "- **Unit:** share",
        "- **Direction:** lower is better",
        "- **Trust-gap cause:** hygiene",
    ]
