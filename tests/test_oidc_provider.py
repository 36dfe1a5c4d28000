"""The OIDC test provider works end to end with an Authlib Flask client.

A minimal Flask app (the way the dashboard signs in with IOC_AUTH=oidc) runs on loopback
beside tests/oidc/provider.mjs: authorization code with PKCE S256, the provider's own login
and consent forms, the token exchange, the ID token's claims. Skipped without node/npm.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Flask, jsonify
from werkzeug.serving import make_server

from feeds.mqtt import free_port
from tests.oidc_provider import Provider, login, require_provider, running_provider

pytestmark = pytest.mark.slow


def make_app(provider: Provider, base_url: str, client_secret: str) -> Flask:
    """The smallest Authlib OIDC client: /start signs in, /callback shows what came back."""
    app = Flask(__name__)
    app.secret_key = secrets.token_hex(16)
    oauth = OAuth(app)
    oauth.register(
        "ioc",
        client_id=provider.client_id,
        client_secret=client_secret,
        server_metadata_url=provider.metadata_url,
        client_kwargs={"scope": "openid profile", "code_challenge_method": "S256"},
    )

    @app.get("/start")
    def start():
        return oauth.ioc.authorize_redirect(f"{base_url}/callback")

    @app.get("/callback")
    def callback():
        try:
            token = oauth.ioc.authorize_access_token()
        except OAuthError as error:
            return jsonify(error=error.error, description=error.description), 401
        return jsonify(userinfo=dict(token["userinfo"]), access_token=token["access_token"])

    return app


@dataclass(frozen=True)
class App:
    base_url: str

    @property
    def start_url(self) -> str:
        return f"{self.base_url}/start"


@contextmanager
def serving(app: Flask, port: int) -> Iterator[App]:
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield App(f"http://127.0.0.1:{port}")
    finally:
        server.shutdown()
        thread.join()


@dataclass(frozen=True)
class Setup:
    provider: Provider
    app: App  # registered with the right client secret
    wrong_secret_app: App  # same client id, wrong secret


@pytest.fixture(scope="module")
def setup() -> Iterator[Setup]:
    require_provider()
    good_port, bad_port = free_port(), free_port()
    redirects = [f"http://127.0.0.1:{port}/callback" for port in (good_port, bad_port)]
    with running_provider(redirects) as provider:
        good = make_app(provider, f"http://127.0.0.1:{good_port}", provider.client_secret)
        bad = make_app(provider, f"http://127.0.0.1:{bad_port}", "not-the-secret")
        with serving(good, good_port) as app, serving(bad, bad_port) as wrong_secret_app:
            yield Setup(provider, app, wrong_secret_app)


def test_district_user_signs_in_with_code_and_pkce(setup: Setup) -> None:
    session = requests.Session()
    seen: list[requests.Response] = []
    session.hooks["response"].append(lambda r, *args, **kwargs: seen.append(r))
    response = login(session, setup.app.start_url, "district1")

    assert response.status_code == 200, response.text
    assert response.url.startswith(f"{setup.app.base_url}/callback?")
    # The app sent the provider an S256 code challenge and got a code back.
    to_provider = next(r for r in seen if r.url == setup.app.start_url)
    assert to_provider.headers["Location"].startswith(f"{setup.provider.issuer}/auth?")
    query = parse_qs(urlsplit(to_provider.headers["Location"]).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["code_challenge"][0]
    assert query["response_type"] == ["code"]
    assert "code" in parse_qs(urlsplit(response.url).query)

    claims = response.json()["userinfo"]  # Authlib's parsed, verified ID token
    assert claims["iss"] == setup.provider.issuer
    assert claims["aud"] == setup.provider.client_id
    assert claims["sub"] == "district1"
    assert claims["preferred_username"] == "district1"
    assert claims["name"]
    assert claims["ioc_role"] == "district"
    assert claims["ioc_districts"] == ["ninh-kieu"]

    # The same claims come from the userinfo endpoint with the access token.
    userinfo = requests.get(
        f"{setup.provider.issuer}/me",
        headers={"Authorization": f"Bearer {response.json()['access_token']}"},
    )
    assert userinfo.status_code == 200
    assert userinfo.json()["ioc_districts"] == ["ninh-kieu"]


@pytest.mark.parametrize(
    ("account", "role"),
    [("leader1", "leader"), ("operator1", "operator"), ("admin1", "admin")],
)
def test_each_role_account_carries_its_role(setup: Setup, account: str, role: str) -> None:
    response = login(requests.Session(), setup.app.start_url, account)

    assert response.status_code == 200, response.text
    claims = response.json()["userinfo"]
    assert claims["preferred_username"] == account
    assert claims["ioc_role"] == role


def test_nobody_has_no_role_claim(setup: Setup) -> None:
    response = login(requests.Session(), setup.app.start_url, "nobody1")

    assert response.status_code == 200, response.text
    claims = response.json()["userinfo"]
    assert claims["sub"] == "nobody1"
    assert "ioc_role" not in claims
    assert "ioc_districts" not in claims


def test_wrong_client_secret_fails_the_token_exchange(setup: Setup) -> None:
    response = login(requests.Session(), setup.wrong_secret_app.start_url, "admin1")

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_authorization_without_pkce_is_refused(setup: Setup) -> None:
    redirect_uri = f"{setup.app.base_url}/callback"
    response = requests.get(
        f"{setup.provider.issuer}/auth",
        params={
            "client_id": setup.provider.client_id,
            "response_type": "code",
            "scope": "openid profile",
            "redirect_uri": redirect_uri,
            "state": "s",
        },
        allow_redirects=False,
    )

    assert response.is_redirect
    back = urlsplit(response.headers["Location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == redirect_uri
    query = parse_qs(back.query)
    assert query["error"] == ["invalid_request"]
    assert "PKCE" in query["error_description"][0]


def test_unknown_account_is_refused(setup: Setup) -> None:
    response = login(requests.Session(), setup.app.start_url, "ghost")

    assert response.status_code == 401
    assert response.json()["error"] == "access_denied"


def test_accounts_can_be_added_and_removed() -> None:
    require_provider()
    port = free_port()
    extra = {"district2": {"preferred_username": "district2", "ioc_role": "district",
                           "ioc_districts": ["cai-rang", "binh-thuy"]},
             "leader1": None}  # fmt: skip
    with running_provider([f"http://127.0.0.1:{port}/callback"], accounts=extra) as provider:
        app = make_app(provider, f"http://127.0.0.1:{port}", provider.client_secret)
        with serving(app, port) as served:
            response = login(requests.Session(), served.start_url, "district2")
            assert response.status_code == 200, response.text
            assert response.json()["userinfo"]["ioc_districts"] == ["cai-rang", "binh-thuy"]
            refused = login(requests.Session(), served.start_url, "leader1")
            assert refused.json()["error"] == "access_denied"
