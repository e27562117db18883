"""An accidental rename of an asset, check, job or schedule fails here, not in a BI tool.

After an intended change, record the graph again: `python -m tests.asset_graph`.
"""

import json

from tests.asset_graph import GOLDEN, snapshot


def test_the_asset_graph_matches_the_recorded_one():
    recorded = json.loads(GOLDEN.read_text(encoding="utf-8"))
    now = snapshot()
    for part in recorded:
        added = sorted(set(now[part]) - set(recorded[part]))
        removed = sorted(set(recorded[part]) - set(now[part]))
        assert not added and not removed, f"{part}: added {added}, removed {removed}"
    assert sorted(now) == sorted(recorded)


def test_the_demo_code_location_differs_only_in_its_crm_resource():
    from demo.definitions import defs as demo_defs
    from demo.resources import DemoCrm
    from pipelines.definitions import defs

    production, demo = defs(), demo_defs()
    keys = sorted(k.to_user_string() for k in production.resolve_asset_graph().get_all_asset_keys())
    demo_keys = sorted(k.to_user_string() for k in demo.resolve_asset_graph().get_all_asset_keys())
    assert demo_keys == keys
    assert isinstance(demo.resources["crm"], DemoCrm)
    assert not isinstance(production.resources["crm"], DemoCrm)
