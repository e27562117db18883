"""Errors a suite author or pipeline operator can hit, worded for them.

Both are `TrustgapError`s, so the CLI prints them as one line without a traceback.
"""

from connectors.errors import TrustgapError


class SuiteError(TrustgapError, ValueError):
    """A suite file is malformed or asks for something the runner cannot check."""


class ExpectationTableMissing(TrustgapError, LookupError):
    """The table a suite describes does not exist in the warehouse being validated."""

    def __init__(self, table: str) -> None:
        self.table = table
        super().__init__(
            f"Cannot validate {table}: the table does not exist in this warehouse. "
            f"Build it first (the nightly job runs connectors, then `dbt build`), "
            f"or delete expectations/suites/{table}.yml if the table is gone for good."
        )
