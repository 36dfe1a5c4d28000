"""A small server-written HTML page in the viewer's language: refusals, sign-in, admin.

These pages need no Dash: they are plain HTML with the app's own stylesheet
(``assets/auth/auth.css``, kept out of the Dash pages), no script, so they show
even when the app's scripts cannot run.
"""

from __future__ import annotations

from html import escape

from ioc.i18n import t

STYLESHEET = "/assets/auth/auth.css"
MARKS = "/assets/marks.css"  # the one mark's shapes (widgets/mark.py), as on every page


def page(lang: str, title: str, body: str, *, wide: bool = False, top: str = "") -> str:
    """A whole HTML document: ``body`` (and ``top``, links beside the brand line) is
    trusted HTML the caller built with ``escape``."""
    size = " notice--wide" if wide else ""
    return (
        f'<!DOCTYPE html><html lang="{escape(lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · {escape(t('app_title', lang))}</title>"
        f'<link rel="stylesheet" href="{STYLESHEET}">'
        f'<link rel="stylesheet" href="{MARKS}"></head>'
        f'<body><main class="notice{size}"><div class="notice__top"><p class="notice__brand">'
        f"{escape(t('app_title', lang))}</p>{top}</div><h1>{escape(title)}</h1>{body}</main>"
        "</body></html>"
    )


def message(lang: str, title_key: str, text_key: str, links: list[tuple[str, str]]) -> str:
    """A page that says one thing and offers some links (href, text key)."""
    items = "".join(f'<a href="{escape(href)}">{escape(t(key, lang))}</a>' for href, key in links)
    nav = f'<nav class="notice__links">{items}</nav>' if items else ""
    return page(lang, t(title_key, lang), f"<p>{escape(t(text_key, lang))}</p>{nav}")
