"""Logging in from the environment: access token, username/password (SOAP), JWT bearer."""

import duckdb
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from connectors.errors import ConfigurationError, CrmAuthError, CrmRequestError
from connectors.salesforce.auth import login_domain
from connectors.salesforce.client import connect
from connectors.salesforce.object_sync import SalesforceSync
from connectors.salesforce.objects import OBJECTS_BY_NAME
from connectors.salesforce.settings import SalesforceSettings
from tests.salesforce_org import LOADED_AT, fake_org, org

USER = "integration@acme.example"
PASSWORD = "s3cret&<pass>"
SECURITY_TOKEN = "Tok3nXYZ"
CONSUMER_KEY = "3MVG9-fake-consumer-key"


def sync_opportunities(api) -> int:
    result = SalesforceSync(api).sync_object(
        duckdb.connect(), OBJECTS_BY_NAME["Opportunity"], loaded_at=LOADED_AT
    )
    return result.rows


def password_env(fake, password=PASSWORD, **extra) -> dict:
    return {
        "SALESFORCE_USERNAME": USER,
        "SALESFORCE_PASSWORD": password,
        "SALESFORCE_SECURITY_TOKEN": SECURITY_TOKEN,
        "SALESFORCE_DOMAIN": fake.instance_url,
        "SALESFORCE_MAX_RETRIES": "0",
        **extra,
    }


def rsa_key_pem() -> tuple[bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public


@pytest.fixture(scope="module")
def keys():
    return rsa_key_pem(), rsa_key_pem()


def jwt_env(fake, key_file) -> dict:
    return {
        "SALESFORCE_USERNAME": USER,
        "SALESFORCE_CONSUMER_KEY": CONSUMER_KEY,
        "SALESFORCE_PRIVATE_KEY_FILE": str(key_file),
        "SALESFORCE_DOMAIN": fake.instance_url,
    }


def test_username_password_and_security_token_log_in_over_soap():
    with fake_org(org(7)) as fake:
        fake.allow_password_login(USER, PASSWORD, SECURITY_TOKEN)
        api = connect(SalesforceSettings.from_env(password_env(fake)))
        assert sync_opportunities(api) == 7
        assert fake.request_counts["login"] == 1


def test_a_password_session_that_expires_mid_run_logs_in_again():
    with fake_org(org(7)) as fake:
        fake.allow_password_login(USER, PASSWORD, SECURITY_TOKEN)
        api = connect(SalesforceSettings.from_env(password_env(fake)))
        sync_opportunities(api)
        fake.expire_sessions()
        assert sync_opportunities(api) == 7
        assert fake.request_counts["login"] == 2


def test_a_wrong_password_names_the_settings_and_hides_the_secrets():
    with fake_org(org(1)) as fake:
        fake.allow_password_login(USER, PASSWORD, SECURITY_TOKEN)
        env = password_env(fake, password="wrong-Pa55", SALESFORCE_MAX_RETRIES="5")
        with pytest.raises(CrmAuthError) as caught:
            connect(SalesforceSettings.from_env(env))
        # A refused login is never retried: repeating it only risks locking the user out.
        assert fake.request_counts["login"] == 1
    message = str(caught.value)
    assert "INVALID_LOGIN" in message
    assert "SALESFORCE_PASSWORD" in message and "SALESFORCE_SECURITY_TOKEN" in message
    for secret in ("wrong-Pa55", SECURITY_TOKEN, PASSWORD):
        assert secret not in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_jwt_bearer_logs_in_with_the_connected_apps_key(tmp_path, keys):
    (private, public), _ = keys
    key_file = tmp_path / "server.key"
    key_file.write_bytes(private)
    with fake_org(org(3)) as fake:
        fake.allow_jwt_login(CONSUMER_KEY, USER, public)
        api = connect(SalesforceSettings.from_env(jwt_env(fake, key_file)))
        assert sync_opportunities(api) == 3
        assert fake.request_counts["oauth_token"] == 1


def test_jwt_signed_with_a_key_the_app_does_not_hold_is_refused_without_key_material(
    tmp_path, keys
):
    (_, public), (other_private, _) = keys
    key_file = tmp_path / "other.key"
    key_file.write_bytes(other_private)
    with fake_org(org(3)) as fake:
        fake.allow_jwt_login(CONSUMER_KEY, USER, public)
        with pytest.raises(CrmAuthError) as caught:
            connect(SalesforceSettings.from_env(jwt_env(fake, key_file)))
    message = str(caught.value)
    assert "invalid_grant" in message and "SALESFORCE_PRIVATE_KEY_FILE" in message
    assert "PRIVATE KEY" not in message


def test_a_key_file_that_is_not_a_pem_key_is_a_configuration_error(tmp_path):
    key_file = tmp_path / "not-a-key.txt"
    key_file.write_text("hello")
    with fake_org(org(0)) as fake, pytest.raises(ConfigurationError, match="PRIVATE_KEY_FILE"):
        connect(SalesforceSettings.from_env(jwt_env(fake, key_file)))


def test_an_unreachable_login_host_names_salesforce_domain():
    env = {
        "SALESFORCE_USERNAME": USER,
        "SALESFORCE_PASSWORD": PASSWORD,
        "SALESFORCE_SECURITY_TOKEN": "",
        "SALESFORCE_DOMAIN": "http://127.0.0.1:9",
        "SALESFORCE_MAX_RETRIES": "0",
    }
    with pytest.raises(CrmRequestError, match=r"SALESFORCE_DOMAIN=http://127\.0\.0\.1:9"):
        connect(SalesforceSettings.from_env(env))


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ("login", ("login", None)),
        ("test", ("test", None)),
        ("acme.my", ("acme.my", None)),
        ("acme.my.salesforce.com", ("acme.my", None)),
        ("http://127.0.0.1:8123", ("127.0.0.1", ("http", "127.0.0.1:8123"))),
        ("proxy.corp.example:8443", ("proxy.corp.example", ("https", "proxy.corp.example:8443"))),
    ],
)
def test_salesforce_domain_takes_salesforce_names_or_a_url(domain, expected):
    assert login_domain(domain) == expected
