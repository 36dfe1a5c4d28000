"""The /briefing pages' HTML: the frame and navigation bar they share, the list page's
forms (take a snapshot, compare two, filter) and its table of snapshots."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from urllib.parse import urlencode

from ioc.i18n import t
from ioc.i18n.format import local_stamp
from ioc.model.snapshot import CITY_SCOPE, TRIGGERS, StoredSnapshot
from widgets.briefing_pieces import status_word
from widgets.nav import other_lang, place_href, switch_href, switch_label


def frame(body: str, lang: str, title: str) -> str:
    """A whole briefing page around ``body`` (HTML already escaped)."""
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{escape(title)} — IOC Cần Thơ</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="stylesheet" href="/assets/briefing/fonts.css">'
        '<link rel="stylesheet" href="/assets/marks.css">'
        '<link rel="stylesheet" href="/assets/briefing/briefing.css"></head>'
        f'<body class="briefing-list"><main class="sheet">{body}</main></body></html>'
    )


def top(lang: str, path: str = "/briefing", query: dict | None = None, demo: bool = False) -> str:
    """The navigation bar: home, wall, briefing, the demo label when the data is simulated,
    the other language."""
    label = (
        f'<span class="demo-label" role="note">{escape(t("demo_label", lang))}</span>'
        if demo
        else ""
    )
    return (
        '<header class="top-head"><nav class="top">'
        f'<a class="brand" href="{place_href("home", lang)}">IOC Cần Thơ</a>'
        f'<a href="{place_href("wall", lang)}">{escape(t("wall_link", lang))}</a>'
        f'<a href="{place_href("briefing", lang)}"><b>{escape(t("brief_nav", lang))}</b></a>'
        f'<span class="spacer"></span>{label}'
        f'<a href="{escape(switch_href(path, lang, query))}" hreflang="{other_lang(lang)}">'
        f"{escape(switch_label(lang))}</a>"
        "</nav></header>"
    )


def message_body(message: str, lang: str, detail: str = "") -> str:
    """A page that says one thing (an error, a refusal), with the way back to the list."""
    back = f'<a href="/briefing?lang={lang}">{escape(t("brief_back", lang))}</a>'
    more = f"<p>{escape(detail)}</p>" if detail else ""
    return f"{top(lang)}<h1>{escape(message)}</h1>{more}<p>{back}</p>"


def list_body(lang: str, *, nav: str, notes: str, forms: str, filters: str, table: str) -> str:
    """The list page's body: its parts (HTML already escaped) under the page's headings."""
    return (
        f"{nav}<h1>{escape(t('brief_page_title', lang))}</h1>{notes}"
        f'<div class="forms">{forms}</div>'
        f'<h2 style="margin-top:1.4rem">{escape(t("brief_list", lang))}</h2>'
        f"{filters}{table}"
    )


def flashes(lang: str, flash_text: str, error: str, notices: Sequence[str]) -> str:
    """A message, an error, and a notice for each URL parameter not understood."""
    parts = []
    if flash_text:
        parts.append(f'<div class="flash">{escape(flash_text)}</div>')
    if error:
        parts.append(f'<div class="flash flash--error" role="alert">{escape(error)}</div>')
    for notice in notices:
        parts.append(
            f'<div class="flash flash--error">{escape(t("bad_param", lang, detail=notice))}</div>'
        )
    return "".join(parts)


def take_form(
    lang: str,
    scopes: Sequence[str],
    names: Mapping[str, str],
    form: Mapping,
    csrf: tuple[str, str],
    signed_as: str | None = None,
) -> str:
    """The form that takes a snapshot: scope, title, note, who; ``csrf``: (field, token).

    ``signed_as``: the account taking it, shown, not asked (no one else can be named).
    """
    options = "".join(
        f'<option value="{s}"{" selected" if form.get("district", CITY_SCOPE) == s else ""}>'
        f"{escape(names[s])}</option>"
        for s in scopes
    )
    default_by = form.get("taken_by", "")
    who_field = (
        f'<label for="taken_by">{escape(t("brief_taken_by", lang))}</label>'
        f'<input id="taken_by" name="taken_by" maxlength="120" value="{escape(default_by)}">'
    )
    if signed_as is not None:
        shown = f"{escape(t('brief_taken_by', lang))}: <b>{escape(signed_as)}</b>"
        who_field = f'<p class="taken-by">{shown}</p>'
    return (
        f'<form method="post" action="/briefing?lang={lang}"><fieldset>'
        f'<input type="hidden" name="{csrf[0]}" value="{csrf[1]}">'
        f'<legend>{escape(t("brief_take_head", lang))}</legend>'
        f'<label for="district">{escape(t("brief_scope", lang))}</label>'
        f'<select id="district" name="district">{options}</select>'
        f'<label for="title">{escape(t("brief_title", lang))}</label>'
        f'<input id="title" name="title" maxlength="200" value="{escape(form.get("title", ""))}">'
        f'<label for="note">{escape(t("brief_note", lang))}</label>'
        '<textarea id="note" name="note" rows="2" maxlength="2000">'
        f'{escape(form.get("note", ""))}</textarea>'
        + who_field
        + '<p><button class="btn btn-primary" type="submit" id="take">'
        f'{escape(t("brief_take", lang))}</button></p>'
        "</fieldset></form>"
    )  # fmt: skip


def compare_form(lang: str, schedule_note: str) -> str:
    """The form that compares two snapshots by id, with the schedule in words below it."""
    return (
        f'<form method="get" action="/briefing/compare"><fieldset>'
        f"<legend>{escape(t('brief_compare_two', lang))}</legend>"
        f'<input type="hidden" name="lang" value="{lang}">'
        f'<label for="a">{escape(t("brief_newer", lang))}</label>'
        '<input id="a" name="a" inputmode="numeric" pattern="[0-9]+" required>'
        f'<label for="b">{escape(t("brief_older", lang))}</label>'
        '<input id="b" name="b" inputmode="numeric" pattern="[0-9]+" required>'
        f'<p><button class="btn" type="submit">{escape(t("brief_compare", lang))}</button></p>'
        f'<p class="schedule-note">{escape(schedule_note)}</p>'
        "</fieldset></form>"
    )


def filters_form(
    lang: str, scopes: Sequence[str], names: Mapping[str, str], chosen: Mapping[str, str]
) -> str:
    """The list's filters; ``chosen``: scope, trigger, from, to and q as the URL has them."""
    scope_options = f'<option value="">{escape(t("brief_all", lang))}</option>' + "".join(
        f'<option value="{s}"{" selected" if chosen["scope"] == s else ""}>'
        f"{escape(names[s])}</option>"
        for s in scopes
    )  # fmt: skip
    trigger_options = f'<option value="">{escape(t("brief_all", lang))}</option>' + "".join(
        f'<option value="{k}"{" selected" if chosen["trigger"] == k else ""}>'
        f"{escape(t('brief_trigger_' + k, lang))}</option>"
        for k in TRIGGERS
    )
    return (
        '<form class="filters" method="get" action="/briefing">'
        f'<input type="hidden" name="lang" value="{lang}">'
        f"<label>{escape(t('brief_scope', lang))}<br>"
        f'<select name="scope">{scope_options}</select></label>'
        f"<label>{escape(t('brief_trigger', lang))}<br>"
        f'<select name="trigger">{trigger_options}</select></label>'
        f"<label>{escape(t('brief_from', lang))}<br>"
        f'<input type="date" name="from" value="{chosen["from"]}"></label>'
        f"<label>{escape(t('brief_to', lang))}<br>"
        f'<input type="date" name="to" value="{chosen["to"]}"></label>'
        f"<label>{escape(t('brief_words', lang))}<br>"
        f'<input name="q" value="{escape(chosen["q"])}"></label>'
        f'<button class="btn" type="submit">{escape(t("brief_filter", lang))}</button>'
        "</form>"
    )


def _row(s: StoredSnapshot, names: Mapping[str, str], lang: str) -> str:
    """One snapshot of the list, with open / compare / export links."""
    when = local_stamp(s.taken_at)
    by = s.taken_by or (t("brief_by_schedule", lang) if s.trigger == "schedule" else "—")
    links = (
        f'<a href="/briefing/{s.id}?lang={lang}">{escape(t("brief_open", lang))}</a> · '
        f'<a href="/briefing/{s.id}?compare=previous&amp;lang={lang}">'
        f"{escape(t('brief_vs_previous', lang))}</a> · "
        f'<a href="/briefing/{s.id}/export.html?lang={lang}">HTML</a> · '
        f'<a href="/briefing/{s.id}/export.pdf?lang={lang}">PDF</a>'
    )
    return (
        f"<tr><td>{s.id}</td><td>{escape(when)}</td>"
        f"<td>{escape(names.get(s.scope, s.scope))}</td>"
        f"<td>{escape(s.title)} "
        f"<small>({escape(t('brief_trigger_' + s.trigger, lang))})</small></td>"
        f"<td>{status_word(s.status, lang)}</td>"
        f"<td>{escape(by)}</td><td>{links}</td></tr>"
    )


def snapshot_table(
    found: Sequence[StoredSnapshot],
    total: int,
    *,
    page: int,
    page_size: int,
    names: Mapping[str, str],
    args: Mapping[str, str],
    lang: str,
) -> str:
    """The list of snapshots, newest first, and links to its pages (``args``: the URL's)."""
    if not found:
        return f"<p>{escape(t('brief_empty', lang))}</p>"
    head = ["#", t("brief_time", lang), t("brief_scope", lang), t("brief_title", lang),
            t("brief_status", lang), t("brief_taken_by", lang), ""]  # fmt: skip
    rows = [_row(s, names, lang) for s in found]
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    pager = ""
    pages = (total + page_size - 1) // page_size
    if pages > 1:
        base = {k: v for k, v in args.items() if k != "page"}
        links = [
            f'<a href="/briefing?{escape(urlencode({**base, "page": p}))}">{p}</a>'
            if p != page
            else f"<b>{p}</b>"
            for p in range(1, pages + 1)
        ][:40]
        pager = '<p class="pager">' + " ".join(links) + "</p>"
    count = t("brief_count", lang, shown=len(found), total=total)
    return (
        f'<p class="small">{escape(count)}</p>'
        f'<table class="grid" id="snapshots"><thead><tr>{th}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>{pager}"
    )
