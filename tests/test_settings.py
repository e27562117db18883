"""Settings are read once, typed and checked; a bad configuration fails at once, in one line."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from connectors.errors import ConfigurationError
from pipelines.settings import DATA_DIR, Settings, check_crm, configured_crm

CRM_VARIABLES = (
    "SALESFORCE_INSTANCE_URL",
    "SALESFORCE_ACCESS_TOKEN",
    "SALESFORCE_USERNAME",
    "SALESFORCE_PASSWORD",
    "SALESFORCE_CONSUMER_KEY",
    "HUBSPOT_ACCESS_TOKEN",
)


def test_defaults_are_the_documented_ones():
    settings = Settings.from_env({})
    assert settings.warehouse == DATA_DIR / "trustgap.duckdb"
    assert (settings.timezone, settings.schedule_cron) == ("UTC", "0 2 * * *")
    assert (settings.step_retries, settings.retry_wait_seconds) == (2, 60.0)
    assert settings.quarantine_max_share == 0.05
    assert settings.webhook_url is settings.parquet_dir is settings.org_chart is None


def test_values_are_typed(tmp_path):
    settings = Settings.from_env(
        {
            "TRUSTGAP_WAREHOUSE": str(tmp_path / "w.duckdb"),
            "TRUSTGAP_TIMEZONE": "America/Los_Angeles",
            "TRUSTGAP_STEP_RETRIES": "0",
            "TRUSTGAP_RETRY_WAIT_SECONDS": "2.5",
            "TRUSTGAP_QUARANTINE_MAX_SHARE": "0.01",
            "TRUSTGAP_PARQUET_DIR": str(tmp_path / "parquet"),
        }
    )
    assert settings.warehouse == tmp_path / "w.duckdb"
    assert settings.timezone == "America/Los_Angeles"
    assert (settings.step_retries, settings.retry_wait_seconds) == (0, 2.5)
    assert settings.quarantine_max_share == 0.01
    assert settings.parquet_dir == tmp_path / "parquet"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TRUSTGAP_TIMEZONE", "Mars/Olympus_Mons"),
        ("TRUSTGAP_STEP_RETRIES", "two"),
        ("TRUSTGAP_RETRY_WAIT_SECONDS", "-1"),
        ("TRUSTGAP_QUARANTINE_MAX_SHARE", "1.5"),
        ("TRUSTGAP_SCHEDULE_CRON", "nightly"),
        ("TRUSTGAP_WEBHOOK_URL", "ftp://alerts.internal"),
        # (#15 D3) An incoming webhook's path is its secret.
        ("TRUSTGAP_WEBHOOK_URL", "hooks.example.com/services/T000/B000/SECRET"),
        ("TRUSTGAP_WEBHOOK_URL", "https://hooks.example.com/services/T000/SECRET PASTED"),
        ("TRUSTGAP_WEBHOOK_URL", "https://:443/services/T000/SECRET"),
    ],
)
def test_a_malformed_setting_is_named_but_its_value_is_not_echoed(name, value):
    with pytest.raises(ConfigurationError, match=name) as caught:
        Settings.from_env({name: value})
    assert value not in str(caught.value)


def test_the_crm_is_chosen_by_which_credentials_are_set():
    assert configured_crm({"SALESFORCE_ACCESS_TOKEN": "x"}) == "salesforce"
    assert configured_crm({"HUBSPOT_ACCESS_TOKEN": "x"}) == "hubspot"
    with pytest.raises(ConfigurationError, match="trustgap demo"):
        configured_crm({})
    with pytest.raises(ConfigurationError, match="SALESFORCE_INSTANCE_URL"):
        check_crm("salesforce", {"SALESFORCE_ACCESS_TOKEN": "x"})
    with pytest.raises(ConfigurationError, match="HUBSPOT_API_TIER"):
        check_crm("hubspot", {"HUBSPOT_ACCESS_TOKEN": "x", "HUBSPOT_API_TIER": "gold"})


def _cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in CRM_VARIABLES}
    # Report whether the heavy stack was loaded: the check must come before it.
    code = (
        "import sys; from pipelines.cli import main; rc = main(sys.argv[1:]); "
        "print('loaded:', sorted({'dagster', 'dbt', 'great_expectations'} & set(sys.modules))); "
        "sys.exit(rc)"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env={**clean, **env},
        cwd=Path(__file__).resolve().parents[1],
        timeout=60,
    )


@pytest.mark.parametrize(
    ("source", "variables"),
    [
        ("salesforce", "SALESFORCE_INSTANCE_URL + SALESFORCE_ACCESS_TOKEN"),
        ("hubspot", "HUBSPOT_ACCESS_TOKEN"),
    ],
)
def test_run_without_credentials_exits_2_with_one_line_before_loading_dagster(source, variables):
    done = _cli("run", "--source", source)
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("error: ") and variables in line
    assert done.stdout.strip() == "loaded: []"


def test_run_with_a_bad_setting_exits_2_naming_it():
    done = _cli("run", "--source", "hubspot", HUBSPOT_ACCESS_TOKEN="x", TRUSTGAP_TIMEZONE="Nowhere")
    assert done.returncode == 2
    assert "TRUSTGAP_TIMEZONE" in done.stderr and "Nowhere" not in done.stderr


def test_a_missing_org_chart_file_exits_2(tmp_path):
    done = _cli(
        "run",
        "--source",
        "hubspot",
        "--org-chart",
        str(tmp_path / "no.csv"),
        HUBSPOT_ACCESS_TOKEN="x",
    )
    assert done.returncode == 2
    assert "org chart: no file at" in done.stderr


def test_a_run_config_without_a_time_zone_keeps_the_configured_one(monkeypatch):
    # Dagster replaces a resource's values with the run config's, so an empty field
    # must mean "the setting", not a hard-coded default.
    from pipelines.resources import RunParams

    monkeypatch.setenv("TRUSTGAP_TIMEZONE", "Asia/Tokyo")
    monkeypatch.setenv("TRUSTGAP_ORG_CHART", "/charts/org.csv")
    assert str(RunParams(as_of="").zone) == "Asia/Tokyo"
    assert RunParams().org_chart_path() == "/charts/org.csv"
    assert str(RunParams(timezone="UTC").zone) == "UTC"


@pytest.mark.parametrize("as_of", ["9999-12-31", "1999-12-31"])
def test_an_as_of_date_that_has_not_begun_or_is_absurd_exits_2_before_loading_dagster(as_of):
    """(#15 D10) `--as-of 9999-12-31` built 28 M rows and published them."""
    done = _cli("demo", "--size", "tiny", "--as-of", as_of)
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"error: as_of {as_of} is outside 2000-01-01 to today")
    assert done.stdout.strip() == "loaded: []"


def test_the_launchpad_refuses_a_future_as_of_too():
    from connectors.errors import ConfigurationError
    from pipelines.resources import RunParams

    with pytest.raises(ConfigurationError, match="9999-12-31 is outside"):
        RunParams(as_of="9999-12-31", timezone="UTC").as_of_date()
    assert RunParams(as_of="2026-11-27", timezone="UTC").as_of_date().isoformat() == "2026-11-27"


def test_status_on_a_damaged_file_says_so_in_one_line(tmp_path):
    """(#15 D13) A corrupt published file gave a traceback."""
    damaged = tmp_path / "trustgap.duckdb"
    damaged.write_bytes(b"not a warehouse" * 400)
    done = _cli("status", "--warehouse", str(damaged))
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"error: {damaged} cannot be read (")
    assert "Traceback" not in done.stdout + done.stderr


def test_status_piped_into_a_reader_that_left_prints_no_traceback(tiny_nightly):
    """(#15 D13) `trustgap status | head -1` ended in a BrokenPipeError traceback.

    The pipe's reading end is closed before the command starts, so its first write
    fails every time (no race with a reader that is still there)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    code = "import sys; from pipelines.cli import main; sys.exit(main(sys.argv[1:]))"
    try:
        done = subprocess.run(
            [sys.executable, "-c", code, "status", "--warehouse", str(tiny_nightly.published)],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parents[1],
            timeout=60,
        )
    finally:
        os.close(write_end)
    assert done.returncode == 141
    assert done.stderr == ""


@pytest.mark.parametrize(
    "cron",
    ["0 2 * * *", "*/15 * * * *", "0 2 * * mon-fri", "0 2 1,15 * *", "0-30/10 6 * jan 0"],
)
def test_a_cron_the_settings_accept_is_one_the_schedule_accepts(cron):
    from dagster._utils.schedules import is_valid_cron_string

    assert Settings.from_env({"TRUSTGAP_SCHEDULE_CRON": cron}).schedule_cron == cron
    assert is_valid_cron_string(cron)


@pytest.mark.parametrize(
    "cron", ["99 2 * * *", "0 25 * * *", "0 2 0 * *", "0 2 * 13 *", "0 2 * * 8", "*/0 * * * *"]
)
def test_a_cron_out_of_range_is_refused_before_the_schedule_sees_it(cron):
    from dagster._utils.schedules import is_valid_cron_string

    assert not is_valid_cron_string(cron)
    with pytest.raises(ConfigurationError, match="TRUSTGAP_SCHEDULE_CRON must be a five-field"):
        Settings.from_env({"TRUSTGAP_SCHEDULE_CRON": cron})


def test_an_org_chart_that_is_not_text_is_a_configuration_error(tmp_path):
    from pipelines.settings import check_org_chart

    chart = tmp_path / "chart.csv"
    chart.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(ConfigurationError, match=r"org chart: .* cannot be read"):
        check_org_chart(chart)


def test_the_org_chart_setting_is_checked_before_loading_dagster_too(tmp_path):
    done = _cli(
        "run",
        "--source",
        "hubspot",
        HUBSPOT_ACCESS_TOKEN="x",
        TRUSTGAP_ORG_CHART=str(tmp_path / "no.csv"),
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error: org chart: no file at")
    assert done.stdout.strip() == "loaded: []"


def test_a_warehouse_folder_is_created_or_refused_in_one_line(tmp_path):
    from pipelines.settings import check_warehouse_folder

    assert check_warehouse_folder(tmp_path / "new" / "w.duckdb") == tmp_path / "new"
    assert (tmp_path / "new").is_dir()
    (tmp_path / "file").write_text("")
    with pytest.raises(ConfigurationError, match=r"warehouse folder .*file cannot be created"):
        check_warehouse_folder(tmp_path / "file" / "w.duckdb")
