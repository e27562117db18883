"""The code dbt generates at run time is compiled once per project, not once per run (#17).

The cache replaces a function of Jinja in the whole process, so each case runs in
its own Python process, as `trustgap-dbt` does.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from pipelines.dbt_code_cache import CACHE_NAME
from tests.dbt_runner import DBT_PROJECT_DIR

RENDER = """
import json, sys
from pathlib import Path
from dbt_common.clients.jinja import get_template, render_template
from pipelines.dbt_code_cache import keep_generated_code

cache = keep_generated_code(Path(sys.argv[1]))
template = get_template(sys.argv[2], {"where": "marts"})
print(json.dumps({"compiled": cache.compiled, "sql": render_template(template, {"n": 3})}))
"""


def in_a_new_process(script: str, *args: str) -> dict:
    """Run `script` in a Python process of its own; what it printed last, as JSON."""
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout.splitlines()[-1])


def render(project: Path, source: str) -> dict:
    return in_a_new_process(RENDER, str(project), source)


def a_project(tmp_path: Path) -> Path:
    (tmp_path / "dbt_project.yml").write_text("name: scratch\n")
    return tmp_path


SOURCE = (
    "select {% for i in range(n) %}{{ i }}{{ ',' if not loop.last }}{% endfor %} from {{ where }}.t"
)


def test_a_template_compiled_in_one_run_is_not_compiled_again_in_the_next(tmp_path):
    project = a_project(tmp_path)

    first = render(project, SOURCE)
    second = render(project, SOURCE)

    assert first == {"compiled": 1, "sql": "select 0,1,2 from marts.t"}
    assert second == {"compiled": 0, "sql": "select 0,1,2 from marts.t"}
    assert (project / "target" / CACHE_NAME).exists()


def test_a_changed_template_is_compiled_afresh(tmp_path):
    project = a_project(tmp_path)
    render(project, SOURCE)

    changed = render(project, SOURCE.replace("{{ where }}.t", "{{ where }}.u"))

    assert changed == {"compiled": 1, "sql": "select 0,1,2 from marts.u"}


def test_an_unreadable_cache_file_is_an_empty_cache_and_is_replaced(tmp_path):
    project = a_project(tmp_path)
    cache_file = project / "target" / CACHE_NAME
    cache_file.parent.mkdir()
    cache_file.write_bytes(b"not marshal data")

    first = render(project, SOURCE)
    second = render(project, SOURCE)

    assert first["compiled"] == 1 and second["compiled"] == 0
    assert second["sql"] == "select 0,1,2 from marts.t"


SERIALISE = """
import json, sys
from dataclasses import dataclass
from pathlib import Path
from pipelines.dbt_code_cache import keep_generated_code

cache = keep_generated_code(Path(sys.argv[1]))
from mashumaro import DataClassDictMixin

@dataclass
class Deal(DataClassDictMixin):
    deal_id: str
    amount: float | None = None

deal = Deal.from_dict({"deal_id": "d1", "amount": "12.5"})
print(json.dumps({"compiled": cache.compiled, "deal": deal.to_dict()}))
"""


def test_a_dataclass_serialiser_compiled_in_one_run_comes_from_the_file_in_the_next(tmp_path):
    project = a_project(tmp_path)

    first = in_a_new_process(SERIALISE, str(project))
    second = in_a_new_process(SERIALISE, str(project))

    assert first["compiled"] > 0
    assert second == {"compiled": 0, "deal": {"deal_id": "d1", "amount": 12.5}}


VALIDATE = """
import json, sys
from dataclasses import dataclass
from pathlib import Path
from pipelines.dbt_code_cache import keep_generated_code, keep_json_schemas

cache = keep_generated_code(Path(sys.argv[1]))
import dbt_common.dataclass_schema as schemas
from dbt_common.dataclass_schema import ValidationError, dbtClassMixin
keep_json_schemas(cache)
built = []
build_json_schema = schemas.build_json_schema
schemas.build_json_schema = lambda cls: built.append(cls) or build_json_schema(cls)

@dataclass
class Settings(dbtClassMixin):
    threads: int
    schema: str = "main"

Settings.validate({"threads": 2})
try:
    Settings.validate({"threads": "two"})
    rejected = None
except ValidationError as error:
    rejected = error.message
print(json.dumps({"built": len(built), "rejected": rejected}))
"""


def test_a_settings_schema_built_in_one_run_validates_from_the_file_in_the_next(tmp_path):
    project = a_project(tmp_path)

    first = in_a_new_process(VALIDATE, str(project))
    second = in_a_new_process(VALIDATE, str(project))

    assert first == {"built": 1, "rejected": "'two' is not of type 'integer'"}
    assert second == {"built": 0, "rejected": "'two' is not of type 'integer'"}


def test_the_dbt_entry_point_reuses_the_code_of_an_earlier_run(tmp_path):
    project = tmp_path / "dbt_project"
    shutil.copytree(
        DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages")
    )
    cache_file = project / "target" / CACHE_NAME
    trustgap_dbt = Path(sys.executable).with_name("trustgap-dbt")
    env = os.environ | {
        "TRUSTGAP_WORKING_DB": str(tmp_path / "trustgap.working.duckdb"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    }

    def dbt_debug() -> None:
        # Renders the project's and the profile's settings (Jinja) and connects: no parse.
        subprocess.run(
            [str(trustgap_dbt), "debug", "--log-path", str(tmp_path)],
            cwd=project,
            env=env,
            capture_output=True,
            timeout=300,
            check=True,
        )

    dbt_debug()
    written = cache_file.stat().st_mtime_ns
    dbt_debug()

    # Nothing new to compile the second time: the file is not rewritten.
    assert written and cache_file.stat().st_mtime_ns == written
