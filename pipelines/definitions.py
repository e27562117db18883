"""The Dagster code location: everything under pipelines/defs, with owners and tags."""

from pathlib import Path

import dagster as dg

from pipelines.ownership import annotated


@dg.definitions
def defs() -> dg.Definitions:
    loaded = dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
    # A definition imported by another module is found in both: mapping would copy it twice.
    assets = list({id(asset): asset for asset in loaded.assets or []}.values())
    return dg.Definitions(
        assets=dg.map_asset_specs(annotated, assets),
        asset_checks=loaded.asset_checks,
        jobs=loaded.jobs,
        schedules=loaded.schedules,
        sensors=loaded.sensors,
        resources=loaded.resources,
        loggers=loaded.loggers,
        executor=loaded.executor,
    )
