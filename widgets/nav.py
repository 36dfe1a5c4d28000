"""The way between pages: where each page lives, and the switch to the other language.

Every page's navigation takes its addresses and its language switch from here, the
Dash pages (status, district) as components and the briefing pages as HTML, so a
page that moves or a third language is changed once. Each page keeps its own look.
"""

from __future__ import annotations

from urllib.parse import urlencode

from ioc.i18n import t

PLACES = {"home": "/", "wall": "/wall", "briefing": "/briefing"}


def other_lang(lang: str) -> str:
    """The language the switch on a page leads to."""
    return "en" if lang == "vi" else "vi"


def switch_label(lang: str) -> str:
    """The switch's text: the other language's own name ("English" on a Vietnamese page)."""
    return t("language", lang)


def switch_href(path: str, lang: str, query: dict[str, str] | None = None) -> str:
    """The same page, with the same query, in the other language."""
    return f"{path}?{urlencode({**(query or {}), 'lang': other_lang(lang)})}"


def place_href(place: str, lang: str) -> str:
    """A page's address in a language: ``place_href("wall", "en")`` is ``/wall?lang=en``."""
    return f"{PLACES[place]}?lang={lang}"
