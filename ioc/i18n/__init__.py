"""Vietnamese (default) and English texts from gettext catalogues. Formats: ioc.i18n.format."""

from __future__ import annotations

import os
from gettext import GNUTranslations

LANGS = ("vi", "en")
LOCALES = {"vi": "vi_VN", "en": "en_GB"}
# Key-based catalogues (msgid = key, msgstr = text): ioc/locale/<lang>/LC_MESSAGES/messages.po,
# compiled to the .mo files read here. The .mo files are committed, so a fresh clone runs
# without make; `make translations` compiles them again (docs/translations.md).
# os.path, not pathlib: pathlib would double the import time of this leaf.
LOCALE_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "locale")
DOMAIN = "messages"


def _load(locale_dir: str | os.PathLike[str], lang: str) -> GNUTranslations:
    """Read one language's compiled catalogue."""
    path = os.path.join(locale_dir, lang, "LC_MESSAGES", f"{DOMAIN}.mo")
    try:
        with open(path, "rb") as compiled:
            return GNUTranslations(compiled)
    except FileNotFoundError:
        raise RuntimeError(f"{path} is missing: run `make translations`") from None


def load_catalogues(locale_dir: str | os.PathLike[str]) -> dict[str, GNUTranslations]:
    """Load every language; English falls back to Vietnamese for a key it lacks."""
    catalogues = {lang: _load(locale_dir, lang) for lang in LANGS}
    for lang in LANGS[1:]:
        catalogues[lang].add_fallback(catalogues["vi"])
    return catalogues


CATALOGUES = load_catalogues(LOCALE_DIR)


def normalise_lang(value: object, default: str = "vi") -> str:
    """Return a supported language code; anything else gives the default."""
    return value if isinstance(value, str) and value in LANGS else default


def t(key: str, lang: str, **values: object) -> str:
    """Translate a text key, filling ``{name}`` fields; a missing key shows itself."""
    # gettext("") is the catalogue's header, not a text: the empty key shows itself too.
    text = CATALOGUES.get(lang, CATALOGUES["vi"]).gettext(key) if key else key
    return text.format(**values) if values else text


def tn(key: str, n: int, lang: str, **values: object) -> str:
    """Translate a text key whose words follow the count ``n``, filled as ``{n}`` unless given.

    The catalogue entry has plural forms (msgid and msgid_plural both the key; vi has one
    form, en two); a key without them reads as with ``t``.
    """
    text = CATALOGUES.get(lang, CATALOGUES["vi"]).ngettext(key, key, n)
    if text == key:
        text = t(key, lang)
    return text.format(**{"n": n, **values})
