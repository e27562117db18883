"""The demo code location: Trustgap's definitions with the demo CRM as `crm`.

`dagster dev -m demo.definitions` (`make dev-demo`) shows the same assets, checks,
job and schedule as production; only the CRM resource differs.
"""

import dagster as dg

from demo.resources import DemoCrm
from pipelines import definitions as production


@dg.definitions
def defs() -> dg.Definitions:
    base = production.defs()
    return dg.Definitions(
        assets=base.assets,
        asset_checks=base.asset_checks,
        jobs=base.jobs,
        schedules=base.schedules,
        sensors=base.sensors,
        resources={**(base.resources or {}), "crm": DemoCrm()},
        loggers=base.loggers,
        executor=base.executor,
    )
