"""A local fake Salesforce REST API for tests and the embedded demo org.

``FakeSalesforce(records={...})`` serves the records over HTTP in the real wire
format, so the real ``simple_salesforce.Salesforce`` client works against it
(through ``connectors.salesforce.session.build_session``, which keeps the
``http://`` scheme the SDK would otherwise rewrite to https).
"""

from connectors.fake_salesforce.errors import SalesforceApiError
from connectors.fake_salesforce.faults import FailNext, Fault
from connectors.fake_salesforce.messages import Request, Response
from connectors.fake_salesforce.server import FakeSalesforce

__all__ = ["FailNext", "FakeSalesforce", "Fault", "Request", "Response", "SalesforceApiError"]
