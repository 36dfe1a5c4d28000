"""A real OpenID Connect provider for tests: oidc-provider on loopback, driven over HTTP.

Not a conftest: import what you need.

    script = ensure_installed()            # npm ci in tests/oidc when needed
    if script is None:
        pytest.skip(missing_tools())        # node or npm is not on PATH
    with running_provider(["http://127.0.0.1:8050/auth/callback"]) as provider:
        ...                                 # point the app at provider.issuer
        response = login(requests.Session(), "http://127.0.0.1:8050/login", "district1")

`require_provider()` does the first three lines. The provider (tests/oidc/provider.mjs) has
the accounts leader1, district1 (["ninh-kieu"]), operator1, admin1 (each with the `ioc_role`
of its name) and nobody1 (no `ioc_role`); `running_provider(accounts=...)` adds, replaces
(a dict of claims) or removes (None) accounts. Scope `profile` carries name,
preferred_username, ioc_role and ioc_districts, in the ID token as well as from userinfo.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests

from feeds.mqtt import free_port

OIDC_DIR = Path(__file__).resolve().parent / "oidc"
SCRIPT = OIDC_DIR / "provider.mjs"
LOCK_FILE = OIDC_DIR / "package-lock.json"
INSTALLED_MARK = OIDC_DIR / "node_modules" / ".package-lock.json"  # written by npm ci
START_TIMEOUT = 30.0  # seconds to wait for the `ready` line
NPM_TIMEOUT = 300.0


@dataclass(frozen=True)
class Provider:
    """A running provider and the one client registered with it."""

    issuer: str
    client_id: str
    client_secret: str
    port: int

    @property
    def metadata_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"


class LoginError(AssertionError):
    """The provider's forms did not lead where a login should."""


def missing_tools() -> str | None:
    """Why the provider cannot run here (node or npm not on PATH), or None when it can."""
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    return f"{' and '.join(missing)} not on PATH: the OIDC provider cannot run" if missing else None


def _is_current() -> bool:
    return INSTALLED_MARK.exists() and INSTALLED_MARK.stat().st_mtime >= LOCK_FILE.stat().st_mtime


def ensure_installed() -> Path | None:
    """Install tests/oidc's pinned packages when missing or stale; the script, or None.

    None means node or npm is missing (`missing_tools()` says which). A failing `npm ci` raises
    with npm's output. Concurrent callers wait on a file lock instead of installing twice.
    """
    if missing_tools() is not None:
        return None
    if _is_current():
        return SCRIPT
    with (OIDC_DIR / ".install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _is_current():
            done = subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund"],
                cwd=OIDC_DIR,
                capture_output=True,
                text=True,
                timeout=NPM_TIMEOUT,
                check=False,
            )
            if done.returncode != 0:
                raise RuntimeError(f"npm ci in {OIDC_DIR} failed:\n{done.stdout}\n{done.stderr}")
    return SCRIPT


def require_provider() -> Path:
    """ensure_installed(), or skip the test with the reason."""
    script = ensure_installed()
    if script is None:
        pytest.skip(missing_tools() or "the OIDC provider is not installed")
    return script


@dataclass
class _Output:
    """The provider's merged stdout/stderr, read on a thread so its pipe never fills."""

    lines: list[str] = field(default_factory=list)
    issuer: str | None = None
    settled: threading.Event = field(default_factory=threading.Event)

    def read(self, stream) -> None:
        for line in stream:
            self.lines.append(line)
            if self.issuer is None and line.startswith("ready "):
                self.issuer = line.split(" ", 1)[1].strip()
                self.settled.set()
        self.settled.set()  # the process ended (before or after ready)

    def text(self) -> str:
        return "".join(self.lines)


@contextmanager
def running_provider(
    redirect_uris: list[str],
    accounts: dict | None = None,
    *,
    client_id: str = "ioc-dashboard",
    client_secret: str | None = None,
    token_auth_method: str = "client_secret_basic",
    post_logout_redirect_uris: list[str] | None = None,
) -> Iterator[Provider]:
    """Start the provider on a free loopback port for the duration of the block."""
    script = require_provider()
    secret = client_secret or secrets.token_urlsafe(24)
    port = free_port()
    # --name=value throughout: a value may start with "-" (token_urlsafe secrets do).
    command = ["node", str(script), f"--port={port}", f"--client-id={client_id}"]
    command += [f"--client-secret={secret}", f"--token-auth-method={token_auth_method}"]
    command += [f"--redirect-uri={uri}" for uri in redirect_uris]
    command += [f"--post-logout-redirect-uri={uri}" for uri in post_logout_redirect_uris or []]
    if accounts is not None:
        command.append(f"--accounts={json.dumps(accounts)}")
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "NODE_ENV": "test"},
    )
    output = _Output()
    reader = threading.Thread(target=output.read, args=(process.stdout,), daemon=True)
    reader.start()
    try:
        ended = output.settled.wait(START_TIMEOUT)
        if output.issuer is None:
            why = "ended before it was ready" if ended else f"not ready in {START_TIMEOUT:.0f} s"
            raise RuntimeError(f"the OIDC provider {why}; its output:\n{output.text()}")
        yield Provider(output.issuer, client_id, secret, port)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        reader.join(timeout=5)


@dataclass
class _Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)


class _Forms(HTMLParser):
    """Every <form> in a page with its action, method and named inputs' values."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[_Form] = []
        self._open: _Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            method = attributes.get("method", "get").lower()
            self._open = _Form(attributes.get("action", ""), method)
            self.forms.append(self._open)
        elif tag == "input" and self._open is not None and attributes.get("name"):
            self._open.fields[attributes["name"]] = attributes.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = None


def _provider_form(response: requests.Response) -> _Form | None:
    """The provider's interaction form on this page (one with a `prompt` field), if any."""
    if "html" not in response.headers.get("content-type", ""):
        return None
    parser = _Forms()
    parser.feed(response.text)
    return next((form for form in parser.forms if "prompt" in form.fields), None)


def login(
    session: requests.Session, start_url: str, account: str, password: str = "any"
) -> requests.Response:
    """Log `account` in through the provider's own forms, starting at an app URL.

    GETs start_url (the app redirects to the provider's authorization endpoint, which
    redirects to its login page), submits the login form with `account`, then the consent
    form, following every redirect; returns the response the app's redirect URI gave.
    An account the provider does not know is refused the way a real one refuses a login: it
    redirects to the app's redirect URI with error=access_denied, and that response is returned.
    A session already logged in at the provider is not asked again (`account` is then moot):
    use a fresh session per user. Raises LoginError when the forms do not end in a redirect.
    """
    response = session.get(start_url)
    logins = 0
    for _ in range(5):
        form = _provider_form(response)
        if form is None:
            return response
        data = dict(form.fields)
        if data["prompt"] == "login":
            if logins:
                raise LoginError(f"the provider asked to log {account!r} in twice")
            logins += 1
            data.update(login=account, password=password)
        url = urljoin(response.url, form.action)
        if form.method == "post":
            response = session.post(url, data=data)
        else:
            response = session.get(url, params=data)
    raise LoginError(f"the provider kept showing forms; last page {response.url}")
