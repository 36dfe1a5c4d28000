"""``/admin``: accounts, wall screens and API tokens, and the audit trail (admins only).

One page, server-written, no script: it lists the accounts, the tokens with
where and when each screen was last seen (which walls are alive), and the newest
audit rows; its forms add and disable accounts, set passwords, make and revoke
tokens. A new token is shown once, on the page that made it. Every action is in
the audit trail (ioc/services/accounts.py). ``python -m ioc.users`` does the same
from a shell.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import Any

import flask
from flask import Blueprint

from ioc.i18n import normalise_lang, t
from ioc.i18n.format import local_stamp
from ioc.identity import address
from ioc.notice import page
from ioc.scope import viewer
from ioc.services.accounts import AccountError, wall_url
from ioc.services.container import get_services
from ioc.wall_view import SCENES
from pages.briefing.guard import CSRF_FIELD, cross_site, csrf_token, set_csrf_cookie

admin = Blueprint("admin", __name__)
ROLES = ("leader", "district", "operator", "admin")
AUDIT_SHOWN = 100


def _lang() -> str:
    given = flask.request.args.get("lang") or flask.request.form.get("lang")
    return normalise_lang(given, get_services().settings.lang)


admin.after_request(set_csrf_cookie)


def _hidden(lang: str, action: str) -> str:
    return (f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(csrf_token())}">'
            f'<input type="hidden" name="lang" value="{lang}">'
            f'<input type="hidden" name="action" value="{action}">')  # fmt: skip


def _cell(value: object) -> str:
    return f"<td>{escape('' if value is None else str(value))}</td>"


def _when(value: Any) -> str:
    return local_stamp(value) if value is not None else "–"


def _table(caption: str, heads: Iterable[str], rows: list[str]) -> str:
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in heads)
    return (f'<table class="grid"><caption>{escape(caption)}</caption><thead><tr>{head}</tr>'
            f'</thead><tbody>{"".join(rows)}</tbody></table>')  # fmt: skip


def _button(lang: str, action: str, name: str, label: str) -> str:
    return (f'<form method="post" action="/admin" class="inline">{_hidden(lang, action)}'
            f'<input type="hidden" name="name" value="{escape(name)}">'
            f'<button type="submit">{escape(label)}</button></form>')  # fmt: skip


def _accounts(lang: str) -> str:
    rows = []
    for row in get_services().accounts.accounts():
        state = t("admin_disabled", lang) if row["disabled"] else t("admin_active", lang)
        toggle = ("enable", "admin_enable") if row["disabled"] else ("disable", "admin_disable")
        rows.append(
            "<tr>" + _cell(row["name"]) + _cell(t(f"role_{row['role']}", lang))
            + _cell(_places(row["districts"], lang)) + _cell(state)
            + _cell(_when(row["last_login_at"]))
            + f"<td>{_button(lang, toggle[0], row['name'], t(toggle[1], lang))}</td></tr>"
        )  # fmt: skip
    heads = [t(k, lang) for k in ("login_name", "admin_role", "admin_districts", "admin_state",
                                  "admin_last_login", "admin_actions")]  # fmt: skip
    return _table(t("admin_accounts", lang), heads, rows)


def _tokens(lang: str) -> str:
    rows = []
    for row in get_services().accounts.tokens():
        revoked = row["revoked_at"] is not None
        state = (t("admin_revoked", lang) + " " + _when(row["revoked_at"])) if revoked else \
            t("admin_active", lang)  # fmt: skip
        what = t(f"role_{row['role']}", lang) if row["role"] else (row["scenes"] or "–")
        action = "" if revoked else _button(lang, "revoke", row["name"], t("admin_revoke", lang))
        rows.append(
            "<tr>" + _cell(row["name"]) + _cell(t(f"admin_kind_{row['kind']}", lang))
            + _cell(what) + _cell(_places(row["districts"], lang))
            + _cell(f"{row['created_by']} · {_when(row['created_at'])}")
            + _cell(f"{_when(row['last_seen_at'])} · {row['last_seen_from'] or '–'}")
            + _cell(state) + f"<td>{action}</td></tr>"
        )  # fmt: skip
    heads = [t(k, lang) for k in ("admin_name", "admin_kind", "admin_role", "admin_districts",
                                  "admin_created", "admin_last_seen", "admin_state",
                                  "admin_actions")]  # fmt: skip
    return _table(t("admin_tokens", lang), heads, rows)


def _audit(lang: str) -> str:
    rows = [
        "<tr>" + _cell(_when(r["at"])) + _cell(r["actor"]) + _cell(_action(r["action"], lang))
        + _cell(r["target"]) + _cell(r["detail"]) + _cell(r["address"]) + "</tr>"
        for r in get_services().accounts.audit_trail(AUDIT_SHOWN)
    ]  # fmt: skip
    heads = [t(k, lang) for k in ("admin_at", "admin_actor", "admin_action", "admin_target",
                                  "admin_detail", "admin_address")]  # fmt: skip
    return _table(t("admin_audit", lang), heads, rows)


def _places(listed: str | None, lang: str) -> str:
    """A row's districts by their names ("Ninh Kiều, Cái Răng"), or "all"."""
    if not listed:
        return t("admin_all_districts", lang)
    areas = get_services().areas
    found = [(slug, areas.get(slug)) for slug in listed.split(",")]
    return ", ".join(area.name(lang) if area else slug for slug, area in found)


def _action(action: str, lang: str) -> str:
    """An audit action in words; an action without words yet shows its code."""
    key = f"audit_{action}"
    said = t(key, lang)
    return action if said == key else said


def _select(name: str, options: list[tuple[str, str]], label: str, field_id: str) -> str:
    items = "".join(f'<option value="{escape(v)}">{escape(text)}</option>' for v, text in options)
    return (
        f'<label for="{field_id}">{escape(label)}</label>'
        f'<select id="{field_id}" name="{name}">{items}</select>'
    )


def _field(name: str, label: str, field_id: str, kind: str = "text", extra: str = "") -> str:
    return (
        f'<label for="{field_id}">{escape(label)}</label>'
        f'<input id="{field_id}" name="{name}" type="{kind}" maxlength="256" {extra}>'
    )


def _form(lang: str, action: str, title_key: str, fields: list[str]) -> str:
    title = escape(t(title_key, lang))
    button = f'<button type="submit" class="button">{escape(t("admin_add", lang))}</button>'
    return (
        f'<form method="post" action="/admin" class="form"><h2>{title}</h2>'
        f"{_hidden(lang, action)}{''.join(fields)}{button}</form>"
    )


def _forms(lang: str) -> str:
    roles = [(r, t(f"role_{r}", lang)) for r in ROLES]
    everywhere = [("", t("admin_all_districts", lang))]
    districts = everywhere + [(a.slug, a.name(lang)) for a in get_services().areas.areas]
    where = f"{t('admin_districts', lang)} ({t('admin_districts_hint', lang)})"
    name = t("admin_name", lang)
    account = _form(lang, "add_account", "admin_new_account", [
        _field("name", t("login_name", lang), "acc-name", extra="required"),
        _select("role", roles, t("admin_role", lang), "acc-role"),
        _field("districts", where, "acc-districts"),
        _field("password", t("login_password", lang), "acc-password", "password",
               'autocomplete="new-password" minlength="10" required'),
    ])  # fmt: skip
    wall = _form(lang, "add_wall", "admin_new_wall", [
        _field("name", name, "wall-name", extra="required"),
        _select("district", districts, t("admin_district", lang), "wall-district"),
        _field("scenes", f"{t('admin_scenes', lang)} ({', '.join(SCENES)})", "wall-scenes"),
    ])  # fmt: skip
    api = _form(lang, "add_api", "admin_new_api", [
        _field("name", name, "api-name", extra="required"),
        _select("role", roles, t("admin_role", lang), "api-role"),
        _field("districts", where, "api-districts"),
    ])  # fmt: skip
    return f'<div class="forms">{account}{wall}{api}</div>'


def render(lang: str, notice: str = "", error: str = "", status: int = 200) -> flask.Response:
    """The whole admin page, with the outcome of the last action on top."""
    who = viewer()
    other = "en" if lang == "vi" else "vi"
    signed = escape(t("admin_signed_in_as", lang, name=who.name if who else "-"))
    switch = escape(t("language", lang))
    top = (
        f'<div class="notice__who"><span>{signed} · <a href="/?lang={lang}">'
        f'{escape(t("home", lang))}</a> · <a lang="{other}" '
        f'href="/admin?lang={other}">{switch}</a></span>'
        f'<form method="post" action="/logout?lang={lang}" class="inline">'
        f'<button type="submit">{escape(t("sign_out", lang))}</button></form></div>'
    )
    said = ""
    if notice:
        said = f'<div class="notice__ok" role="status">{notice}</div>'
    if error:
        said = f'<p class="notice__error" role="alert">{escape(error)}</p>'
    body = top + said + _tokens(lang) + _forms(lang) + _accounts(lang) + _audit(lang)
    response = flask.make_response(page(lang, t("admin_title", lang), body, wide=True), status)
    response.headers["Cache-Control"] = "no-store"
    return response


def public_base() -> str:
    """The app's address as its users reach it: IOC_PUBLIC_URL, else this request's."""
    return get_services().settings.public_url or flask.request.host_url


@admin.get("/admin")
def admin_page():
    """The admin page."""
    return render(_lang())


def _listed(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()][:64]


@admin.post("/admin")
def admin_post():
    """One action from the page's forms, then the page again with its outcome."""
    lang = _lang()
    if cross_site(flask.request) is not None:
        return render(lang, error=t("auth_cross_site", lang), status=403)
    form = {k: (v or "")[:1000] for k, v in flask.request.form.items()}
    accounts = get_services().accounts
    who = viewer()
    by, where = (who.name if who and who.name else "admin"), address()
    name = form.get("name", "").strip()
    action = form.get("action", "")
    try:
        if action == "add_account":
            accounts.add_account(name, form.get("role", ""), _listed(form.get("districts", "")),
                                 form.get("password", ""), by=by, address=where)  # fmt: skip
            return render(lang, escape(t("admin_done_account", lang, name=name)))
        if action == "disable" and who is not None and name == who.name:
            raise AccountError(t("admin_not_yourself", lang))
        if action in ("disable", "enable"):
            accounts.set_disabled(name, action == "disable", by=by, address=where)
            return render(lang, escape(t(f"admin_done_{action}", lang, name=name)))
        if action == "revoke":
            accounts.revoke(name, by=by, address=where)
            return render(lang, escape(t("admin_done_revoke", lang, name=name)))
        if action in ("add_wall", "add_api"):
            kind = "wall" if action == "add_wall" else "api"
            district = form.get("district", "").strip()
            token = accounts.add_token(
                kind, name, by=by, address=where, role=form.get("role") or None,
                districts=[district] if district else _listed(form.get("districts", "")),
                scenes=_listed(form.get("scenes", "")),
            )  # fmt: skip
            shown = wall_url(public_base(), token, district) if kind == "wall" else token
            return render(lang, escape(t(f"admin_done_{kind}", lang, name=name))
                          + f'<p><code class="secret">{escape(shown)}</code></p>')  # fmt: skip
    except AccountError as err:
        return render(lang, error=str(err), status=400)
    return render(lang, error=t("admin_unknown_action", lang), status=400)
