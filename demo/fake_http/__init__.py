"""Plumbing shared by the local fake CRM servers (``fake_salesforce``, ``fake_hubspot``).

``server`` serves a fake over HTTP on a daemon thread, ``messages`` holds the
``Request`` / ``Response`` the fakes' endpoints and fault rules exchange, and
``faults`` the error-injecting ``FailNext`` rule the fakes specialise.
"""
