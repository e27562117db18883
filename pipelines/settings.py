"""Every Trustgap setting, read from the environment in one place, typed and validated.

`Settings.from_env()` reads the TRUSTGAP_* variables; the CRM credentials
(SALESFORCE_*, HUBSPOT_*) belong to their connector's own settings module and are
checked here by `check_crm`, so that `trustgap run` can refuse a bad configuration
in well under a second, before Dagster, dbt or great-expectations load. This
module imports nothing heavy on purpose: keep it that way.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connectors import env as read
from connectors.errors import ConfigurationError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
CRMS = ("salesforce", "hubspot")
ENGINES = ("duckdb", "spark")
# Where a lake may live: a local folder, or an object store pyarrow.fs reaches.
LAKE_SCHEMES = ("file", "s3", "gs", "abfss")


@dataclass(frozen=True)
class Settings:
    """The TRUSTGAP_* settings (the README's Settings table, with the same defaults)."""

    warehouse: Path = DATA_DIR / "trustgap.duckdb"
    timezone: str = "UTC"
    # Whether TRUSTGAP_TIMEZONE was set: unset, the marts take the CRM org's zone
    # (pipelines/calendar.py) and `timezone` is only the schedule's.
    timezone_set: bool = False
    schedule_cron: str = "0 2 * * *"
    webhook_url: str | None = None
    step_retries: int = 2
    retry_wait_seconds: float = 60.0
    parquet_dir: Path | None = None
    expectations_dir: Path | None = None
    quarantine_max_share: float = 0.05
    org_chart: Path | None = None
    # The first as-of date history can be computed for (Dagster's daily partitions).
    history_start: str = "2025-01-01"
    # Where the trust report is written; unset: `report/` beside the published warehouse.
    report_dir: Path | None = None
    # The engine dbt builds the marts on (pipelines/engine/): DuckDB, or Spark
    # reading the raw tables from the lake and publishing into its own catalog.
    engine: str = "duckdb"
    lake_url: str | None = None
    dbt_target: str = "dev"
    # The incremental dbt models (README "Incremental models") are rebuilt in full
    # when their last full build is this many days old; 0: every run.
    full_rebuild_days: int = 7
    # Most keys an incremental build filters by as a list of values, more by a
    # subquery (dbt_project/macros/incremental.sql, incremental_key_list).
    incremental_key_limit: int = 20_000
    # Start the dbt process when a run starts, so that dbt is imported before the dbt
    # step (pipelines/dbt_standby.py); off: the dbt step starts it.
    dbt_start_ahead: bool = True

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read and check every TRUSTGAP_* variable; ConfigurationError names a bad one."""
        env = os.environ if env is None else env
        timezone = read.text(env, "TRUSTGAP_TIMEZONE", cls.timezone)
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigurationError(
                "TRUSTGAP_TIMEZONE must be an IANA time zone such as Europe/Paris or UTC"
            ) from None
        cron = read.text(env, "TRUSTGAP_SCHEDULE_CRON", cls.schedule_cron)
        if not is_cron(cron):
            raise ConfigurationError(
                "TRUSTGAP_SCHEDULE_CRON must be a five-field cron expression such as "
                "0 2 * * * (minute 0-59, hour 0-23, day 1-31, month 1-12, weekday 0-7)"
            )
        webhook = read.text(env, "TRUSTGAP_WEBHOOK_URL")
        if webhook:
            read.url(env, "TRUSTGAP_WEBHOOK_URL", "", example="https://hooks.example.com/...")
        history_start = read.text(env, "TRUSTGAP_HISTORY_START", cls.history_start)
        try:
            dt.date.fromisoformat(history_start)
        except ValueError:
            raise ConfigurationError(
                "TRUSTGAP_HISTORY_START must be a date like 2025-01-01"
            ) from None
        engine = read.choice(env, "TRUSTGAP_ENGINE", cls.engine, ENGINES)
        return cls(
            engine=engine,
            lake_url=lake_url(read.text(env, "TRUSTGAP_LAKE_URL")),
            dbt_target=read.text(
                env, "TRUSTGAP_DBT_TARGET", "spark" if engine == "spark" else cls.dbt_target
            ),
            warehouse=_path(read.text(env, "TRUSTGAP_WAREHOUSE")) or cls.warehouse,
            timezone=timezone,
            timezone_set=bool(read.text(env, "TRUSTGAP_TIMEZONE", "")),
            schedule_cron=cron,
            webhook_url=webhook or None,
            step_retries=read.whole_number(env, "TRUSTGAP_STEP_RETRIES", 2, high=20),
            retry_wait_seconds=read.number(env, "TRUSTGAP_RETRY_WAIT_SECONDS", 60.0, high=86400),
            parquet_dir=_path(read.text(env, "TRUSTGAP_PARQUET_DIR")),
            expectations_dir=_path(read.text(env, "TRUSTGAP_EXPECTATIONS_DIR")),
            quarantine_max_share=read.number(
                env, "TRUSTGAP_QUARANTINE_MAX_SHARE", 0.05, low=0.0, high=1.0
            ),
            org_chart=_path(read.text(env, "TRUSTGAP_ORG_CHART")),
            history_start=history_start,
            report_dir=_path(read.text(env, "TRUSTGAP_REPORT_DIR")),
            full_rebuild_days=read.whole_number(
                env, "TRUSTGAP_FULL_REBUILD_DAYS", cls.full_rebuild_days, high=366
            ),
            incremental_key_limit=read.whole_number(
                env,
                "TRUSTGAP_INCREMENTAL_KEY_LIMIT",
                cls.incremental_key_limit,
                high=1_000_000,
            ),
            dbt_start_ahead=read.choice(env, "TRUSTGAP_DBT_START_AHEAD", "on", ("on", "off"))
            == "on",
        )

    def lake(self, published: Path) -> str:
        """The lake's location: TRUSTGAP_LAKE_URL, else `lake/` beside the published warehouse."""
        return self.lake_url or str(Path(published).parent / "lake")

    def spark_dir(self, published: Path) -> Path:
        """The local Spark's warehouse folder and metastore: `spark/` beside the warehouse."""
        return Path(published).parent / "spark"

    def report_path(self, published: Path) -> Path:
        """The trust report's folder for the published warehouse file `published`."""
        return self.report_dir or Path(published).parent / "report"


# The earliest as-of date a run accepts (the quarantine's quarantine_min_date).
EARLIEST_AS_OF = dt.date(2000, 1, 1)


def check_as_of(value: str, timezone: str) -> dt.date:
    """The as-of date `value`, refused unless it is a real day that has begun.

    A date in the future would compute every deal's aging up to it (`9999-12-31`
    built 28 M rows for a 400-deal org) and publish it with every check passing.
    """
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise ConfigurationError(f"as_of must be a date like 2026-11-27, got {value!r}") from None
    today = dt.datetime.now(ZoneInfo(timezone)).date()
    if not EARLIEST_AS_OF <= day <= today:
        raise ConfigurationError(
            f"as_of {day} is outside {EARLIEST_AS_OF} to today ({today} in {timezone}): "
            "metrics are computed as of a day that has begun"
        )
    return day


def check_crm(crm: str, env: Mapping[str, str] | None = None) -> None:
    """Raise ConfigurationError unless `crm`'s credentials and sync settings are complete."""
    if crm == "salesforce":
        from connectors.salesforce.settings import SalesforceSettings, SyncOptions

        SalesforceSettings.from_env(env)
        SyncOptions.from_env(env)
    elif crm == "hubspot":
        from connectors.hubspot.settings import HubSpotSettings

        HubSpotSettings.from_env(env)
    else:
        raise ConfigurationError(f"Unknown CRM {crm!r}: choose {' or '.join(CRMS)}.")


def configured_crm(env: Mapping[str, str] | None = None) -> str:
    """The CRM whose credentials the environment holds: Salesforce first, then HubSpot."""
    from connectors.hubspot.settings import hubspot_configured
    from connectors.salesforce.settings import salesforce_configured

    if salesforce_configured(env):
        return "salesforce"
    if hubspot_configured(env):
        return "hubspot"
    raise ConfigurationError(
        "No CRM is configured: set SALESFORCE_INSTANCE_URL + SALESFORCE_ACCESS_TOKEN (or another "
        "Salesforce login, see the README) or HUBSPOT_ACCESS_TOKEN; `trustgap demo` runs on the "
        "embedded demo CRM without credentials."
    )


def check_org_chart(path: str | os.PathLike) -> Path:
    """`path` as an absolute path, once it is a CSV starting `user_email,manager_email`."""
    chart = Path(path).expanduser().resolve()
    if not chart.is_file():
        raise ConfigurationError(f"org chart: no file at {chart}")
    try:
        with chart.open(encoding="utf-8-sig") as file:
            header = file.readline().strip().lower()
    except (OSError, UnicodeDecodeError) as exc:
        why = getattr(exc, "strerror", None) or exc
        raise ConfigurationError(f"org chart: {chart} cannot be read ({why})") from None
    if [c.strip() for c in header.split(",")][:2] != ["user_email", "manager_email"]:
        raise ConfigurationError(
            f"org chart: {chart.name} must start with the header user_email,manager_email[,team]"
        )
    return chart


# Each cron field's range, as Dagster's schedule checks it (tests/test_settings.py compares).
_CRON_FIELDS = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_CRON_NAMES = (
    {},
    {},
    {},
    {month: number for number, month in enumerate(_MONTHS, start=1)},
    {day: number for number, day in enumerate(_WEEKDAYS)},
)


def is_cron(expression: str) -> bool:
    """Whether `expression` is a five-field cron schedule Dagster accepts.

    Checked here so a typo costs one line, not the schedule's traceback when the
    code location loads (dagster is too slow to import for this check).
    """
    fields = expression.split()
    return len(fields) == 5 and all(
        _cron_field(field, low, high, names)
        for field, (low, high), names in zip(fields, _CRON_FIELDS, _CRON_NAMES, strict=True)
    )


def _cron_field(field: str, low: int, high: int, names: dict[str, int]) -> bool:
    def value(text: str) -> int | None:
        number = names.get(text.lower()) if not text.isdigit() else int(text)
        return number if number is not None and low <= number <= high else None

    for item in field.split(","):
        span, _, step = item.partition("/")
        if step and not (step.isdigit() and int(step) > 0):
            return False
        if span == "*":
            continue
        start, _, end = span.partition("-")
        first = value(start)
        if first is None or (end and (value(end) is None or value(end) < first)):
            return False
    return True


def check_warehouse_folder(warehouse: str | os.PathLike) -> Path:
    """The published warehouse's folder, created if missing, once this user can write to it."""
    folder = Path(warehouse).expanduser().resolve().parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigurationError(
            f"warehouse folder {folder} cannot be created ({exc.strerror}): "
            "choose another with --warehouse or TRUSTGAP_WAREHOUSE"
        ) from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigurationError(
            f"warehouse folder {folder} is not writable by this user: "
            "choose another with --warehouse or TRUSTGAP_WAREHOUSE"
        )
    return folder


def lake_url(value: str) -> str | None:
    """`value` as a lake location: an absolute local path, or an s3/gs/abfss URL.

    Checked without importing pyarrow (it is opened with pyarrow.fs in pipelines/engine/lake.py).
    """
    if not value:
        return None
    scheme, sep, rest = value.partition("://")
    if not sep:
        return str(Path(value).expanduser().resolve())
    if scheme.lower() not in LAKE_SCHEMES or not rest.strip("/") or any(c.isspace() for c in value):
        raise ConfigurationError(
            "TRUSTGAP_LAKE_URL must be a folder or an object-store URL such as "
            "s3://bucket/trustgap, gs://bucket/trustgap or "
            "abfss://container@account.dfs.core.windows.net/trustgap"
        )
    userinfo, at, _host = rest.partition("/")[0].rpartition("@")
    if at and ":" in userinfo:
        # s3://KEY:SECRET@bucket would put a secret in every log line naming the lake.
        raise ConfigurationError(
            "TRUSTGAP_LAKE_URL must not carry credentials: give them to the object store "
            "through its own environment (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
            "GOOGLE_APPLICATION_CREDENTIALS, AZURE_STORAGE_ACCOUNT_KEY)"
        )
    return value.rstrip("/")


def _path(value: str) -> Path | None:
    return Path(value).expanduser().resolve() if value else None
