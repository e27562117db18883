"""The fake's login endpoints: SOAP username/password and the OAuth 2.0 JWT bearer flow.

simple-salesforce logs in with a username, password and security token by
POSTing a SOAP envelope to ``/services/Soap/u/{version}``, and with a JWT bearer
assertion by POSTing a form to ``/services/oauth2/token``. Both answer with a
fresh session token and where the org lives. Failures are worded and shaped as
Salesforce's: a SOAP fault with ``sf:exceptionCode`` (HTTP 500) and an OAuth
``{"error", "error_description"}`` (HTTP 400).
"""

from __future__ import annotations

import secrets
import threading
import xml.dom.minidom
from dataclasses import dataclass, field
from html import escape
from urllib.parse import parse_qs
from xml.parsers.expat import ExpatError

import jwt

from demo.fake_salesforce.messages import Request, Response

SOAP_CONTENT_TYPE = "text/xml;charset=UTF-8"
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
USER_ID = "005FAKE000000001AAA"


@dataclass
class Logins:
    """Who may log in, and the session tokens the org currently accepts."""

    passwords: dict[str, str] = field(default_factory=dict)  # username -> password+token
    jwt_apps: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # key -> user, PEM
    tokens: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def issue(self) -> str:
        token = f"00DFAKE!{secrets.token_urlsafe(24)}"
        with self.lock:
            self.tokens.add(token)
        return token

    def accepts(self, token: str) -> bool:
        with self.lock:
            return token in self.tokens

    def expire_all(self) -> None:
        with self.lock:
            self.tokens.clear()


class Sessions:
    """Mixin for ``FakeSalesforce``: who may log in, and the session a request carries.

    Needs ``logins``, ``instance_url`` and ``organization_id``.
    """

    logins: Logins
    instance_url: str
    organization_id: str

    def allow_password_login(self, username: str, password: str, security_token: str = "") -> None:
        """Accept a SOAP login with this username and password + security token."""
        self.logins.passwords[username] = password + security_token

    def allow_jwt_login(self, consumer_key: str, username: str, public_key_pem: bytes) -> None:
        """Accept JWT bearer assertions for ``username`` signed by the app's key."""
        self.logins.jwt_apps[consumer_key] = (username, public_key_pem)

    def expire_sessions(self) -> None:
        """Every session token stops working (timeout, logout, revoked OAuth token)."""
        self.logins.expire_all()

    def _soap_login(self, request: Request) -> Response:
        return soap_login(request, self.logins, self.instance_url, self.organization_id)

    def _oauth_token(self, request: Request) -> Response:
        return oauth_token(request, self.logins, self.instance_url, self.organization_id)

    def _authorized(self, request: Request) -> bool:
        scheme, _, token = (request.header("authorization") or "").partition(" ")
        return scheme.lower() in ("bearer", "oauth") and self.logins.accepts(token.strip())


def soap_login(request: Request, logins: Logins, instance_url: str, org_id: str) -> Response:
    """``POST /services/Soap/u/{version}``: a partner-API ``login`` call."""
    try:
        dom = xml.dom.minidom.parseString(request.body)
    except ExpatError:
        return _soap_fault("INVALID_LOGIN", "Invalid request body", status=500)
    username = _element_text(dom, "username")
    password = _element_text(dom, "password")
    expected = logins.passwords.get(username or "")
    if expected is None or password != expected:
        return _soap_fault(
            "INVALID_LOGIN", "Invalid username, password, security token; or user locked out."
        )
    version = request.path.rstrip("/").rsplit("/", 1)[-1]
    token = logins.issue()
    body = f"""<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
    xmlns="urn:partner.soap.sforce.com"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <soapenv:Body>
    <loginResponse>
      <result>
        <metadataServerUrl>{instance_url}/services/Soap/m/{version}/{org_id}</metadataServerUrl>
        <passwordExpired>false</passwordExpired>
        <sandbox>false</sandbox>
        <serverUrl>{instance_url}/services/Soap/u/{version}/{org_id}</serverUrl>
        <sessionId>{escape(token)}</sessionId>
        <userId>{USER_ID}</userId>
        <userInfo><organizationId>{org_id}</organizationId>
          <userName>{escape(username or "")}</userName></userInfo>
      </result>
    </loginResponse>
  </soapenv:Body>
</soapenv:Envelope>"""
    return Response(200, body.encode("utf-8"), content_type=SOAP_CONTENT_TYPE)


def oauth_token(request: Request, logins: Logins, instance_url: str, org_id: str) -> Response:
    """``POST /services/oauth2/token`` with the JWT bearer grant."""
    form = {k: v[0] for k, v in parse_qs(request.body.decode("utf-8")).items()}
    if form.get("grant_type") != JWT_GRANT:
        return _oauth_error("unsupported_grant_type", "grant type not supported")
    assertion = form.get("assertion", "")
    try:
        claims = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError:
        return _oauth_error("invalid_grant", "invalid assertion")
    app = logins.jwt_apps.get(str(claims.get("iss")))
    if app is None:
        return _oauth_error("invalid_client_id", "client identifier invalid")
    username, public_key = app
    try:
        jwt.decode(assertion, public_key, algorithms=["RS256"], options={"verify_aud": False})
    except jwt.ExpiredSignatureError:
        return _oauth_error("invalid_grant", "expired authorization code")
    except jwt.PyJWTError:
        return _oauth_error("invalid_grant", "invalid assertion")
    if claims.get("sub") != username:
        return _oauth_error("invalid_grant", "user hasn't approved this consumer")
    return Response.json(
        {
            "access_token": logins.issue(),
            "scope": "api",
            "instance_url": instance_url,
            "id": f"{instance_url}/id/{org_id}/{USER_ID}",
            "token_type": "Bearer",
        }
    )


def _element_text(dom: xml.dom.minidom.Document, local_name: str) -> str | None:
    for node in dom.getElementsByTagNameNS("*", local_name):
        return "".join(child.data for child in node.childNodes if child.nodeType == 3)
    return None


def _soap_fault(code: str, message: str, status: int = 500) -> Response:
    body = f"""<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
    xmlns:sf="urn:fault.partner.soap.sforce.com"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <soapenv:Body>
    <soapenv:Fault>
      <faultcode>sf:{code}</faultcode>
      <faultstring>{code}: {escape(message)}</faultstring>
      <detail>
        <sf:LoginFault xsi:type="sf:LoginFault">
          <sf:exceptionCode>{code}</sf:exceptionCode>
          <sf:exceptionMessage>{escape(message)}</sf:exceptionMessage>
        </sf:LoginFault>
      </detail>
    </soapenv:Fault>
  </soapenv:Body>
</soapenv:Envelope>"""
    return Response(status, body.encode("utf-8"), content_type=SOAP_CONTENT_TYPE)


def _oauth_error(error: str, description: str) -> Response:
    return Response.json({"error": error, "error_description": description}, status=400)
