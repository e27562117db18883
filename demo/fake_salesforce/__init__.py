"""A local fake Salesforce API for tests and the embedded demo org.

``FakeSalesforce(records={...})`` serves the records over HTTP in the real wire
format (REST queries, describe, the deleted-records log, Bulk API 2.0 jobs, SOAP
and JWT logins), so the real ``simple_salesforce.Salesforce`` client works
against it (through ``connectors.salesforce.session.build_session``, which keeps
the ``http://`` scheme the SDK would otherwise rewrite to https). The org can
change between runs (``update``, ``delete``, ``purge``, ``advance`` the clock)
and fault rules (``fail_next``, ``Slow``, ``Truncate``) sit in front of it.
"""

from demo.fake_salesforce.errors import SalesforceApiError
from demo.fake_salesforce.faults import FailNext, Fault, Slow, Truncate
from demo.fake_salesforce.messages import Request, Response
from demo.fake_salesforce.server import FakeSalesforce

__all__ = [
    "FailNext",
    "FakeSalesforce",
    "Fault",
    "Request",
    "Response",
    "SalesforceApiError",
    "Slow",
    "Truncate",
]
