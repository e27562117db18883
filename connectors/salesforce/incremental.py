"""Incremental sync state: watermarks, windows, the org's identity, forgetting.

Each incremental object keeps two cursors in ``sync_state.cursors``:

- ``salesforce/<Object>``: the highest watermark (SystemModstamp, or CreatedDate
  for OpportunityFieldHistory) among rows landed, committed with each page in the
  same DuckDB transaction as those rows. The next window reads
  ``watermark >= cursor - overlap`` ordered by watermark then Id: a strict ``>``
  would lose rows sharing the last timestamp, the overlap catches rows whose
  stamp predates their commit.
- ``salesforce/<Object>.deleted``: how far the deleted-records log has been read
  (server time), so hard deletes are found even for objects that rarely change.

``salesforce/_organization`` holds the Id of the org the warehouse was built
from: pointing Trustgap at another org (or the demo at another generated org)
rebuilds every object instead of mixing two orgs' rows.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from connectors.errors import SchemaDriftError
from connectors.landing import CursorKey, forget_cursor, quote_ident, read_cursor, reset_cursors
from connectors.landing import save_cursor as _save
from connectors.salesforce.objects import RAW_SCHEMA, SalesforceObject

SOURCE = "salesforce"
ORGANIZATION = CursorKey(SOURCE, "_organization")


def watermark_key(obj: SalesforceObject) -> CursorKey:
    return CursorKey(SOURCE, obj.name)


def deletes_key(obj: SalesforceObject) -> CursorKey:
    return CursorKey(SOURCE, f"{obj.name}.deleted")


def parse_datetime(value: str) -> dt.datetime:
    """A Salesforce datetime (``...000+0000`` or ``...Z``) as an aware UTC datetime."""
    try:
        moment = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise SchemaDriftError(
            f"Salesforce sent {value!r} where a watermark datetime was expected; the sync "
            "stopped without moving its watermark."
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def soql_datetime(moment: dt.datetime) -> str:
    """A SOQL datetime literal (unquoted, UTC)."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sf_datetime(moment: dt.datetime) -> str:
    """The REST API's datetime text, as cursors store it."""
    moment = moment.astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def later(a: str | None, b: str | None) -> str | None:
    """The later of two datetime texts (None counts as earliest)."""
    if a is None or b is None:
        return a or b
    return a if parse_datetime(a) >= parse_datetime(b) else b


def read_watermark(con: duckdb.DuckDBPyConnection, obj: SalesforceObject) -> str | None:
    """The object's committed watermark; None when it must be synced in full.

    A cursor without its table (dropped by hand) counts as none.
    """
    value = read_cursor(con, watermark_key(obj))
    if value is None or not table_exists(con, obj):
        return None
    return value


def read_deletes_checkpoint(con: duckdb.DuckDBPyConnection, obj: SalesforceObject) -> str | None:
    return read_cursor(con, deletes_key(obj))


def save_deletes_checkpoint(
    con: duckdb.DuckDBPyConnection, obj: SalesforceObject, value: str, at: dt.datetime
) -> None:
    _save(con, deletes_key(obj), value, at)


def table_exists(con: duckdb.DuckDBPyConnection, obj: SalesforceObject) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_schema = ? "
            "and table_name = ?",
            [RAW_SCHEMA, obj.table],
        ).fetchone()[0]
    )


def forget_object(
    con: duckdb.DuckDBPyConnection,
    obj: SalesforceObject,
    *,
    deletes_from: dt.datetime | None,
    at: dt.datetime,
) -> None:
    """Start an object from scratch: drop its table and cursors in one transaction.

    ``deletes_from`` (server time, taken before the full read starts) becomes the
    deleted-records checkpoint, so a full read that is killed and resumed still
    finds rows hard-deleted while it ran.
    """
    con.execute("begin transaction")
    try:
        con.execute(f"drop table if exists {quote_ident(RAW_SCHEMA)}.{quote_ident(obj.table)}")
        restart_cursors(con, obj, deletes_from=deletes_from, at=at)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def restart_cursors(
    con: duckdb.DuckDBPyConnection,
    obj: SalesforceObject,
    *,
    deletes_from: dt.datetime | None,
    at: dt.datetime,
) -> None:
    """Forget the object's cursors (inside the caller's transaction, if any)."""
    forget_cursor(con, watermark_key(obj))
    forget_cursor(con, deletes_key(obj))
    if deletes_from is not None:
        _save(con, deletes_key(obj), sf_datetime(deletes_from), at)


def check_organization(
    con: duckdb.DuckDBPyConnection, org_id: str, *, full_refresh: bool, at: dt.datetime
) -> str | None:
    """Record which org the warehouse holds; forget every cursor when it changed.

    Returns why everything is re-read in full, or None when syncs may be incremental.
    """
    previous = read_cursor(con, ORGANIZATION)
    reason = None
    if full_refresh:
        reason = "full refresh requested: every Salesforce object is re-read from scratch"
    elif previous is not None and previous != org_id:
        reason = (
            "the warehouse was built from another Salesforce org; every object is re-read "
            "from scratch"
        )
    if reason:
        reset_cursors(con, SOURCE)
    _save(con, ORGANIZATION, org_id, at)
    return reason
