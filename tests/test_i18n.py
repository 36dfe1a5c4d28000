"""The texts: gettext catalogues that read as the dict did, compiled as committed, loaded light."""

import json
import subprocess
import sys
from io import BytesIO
from pathlib import Path
from string import Formatter

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

import ioc.i18n
from ioc.i18n import LANGS, LOCALE_DIR, load_catalogues, normalise_lang, t, tn

ROOT = Path(__file__).resolve().parent.parent
# Every key and text as the Python dict held them just before the move to gettext.
BEFORE = json.loads((Path(__file__).parent / "data" / "texts_before.json").read_text("utf-8"))
PLURAL_FORMS = {"vi": "nplurals=1; plural=0;", "en": "nplurals=2; plural=(n != 1);"}


def catalogue(lang: str, suffix: str = "po") -> Catalog:
    path = Path(LOCALE_DIR) / lang / "LC_MESSAGES" / f"messages.{suffix}"
    with path.open("rb") as source:
        return read_po(source) if suffix == "po" else read_mo(source)


def texts(lang: str, suffix: str = "po") -> dict[str, object]:
    return {m.id: m.string for m in catalogue(lang, suffix) if m.id}


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name is not None}


@pytest.mark.parametrize("lang", LANGS)
def test_every_text_reads_byte_for_byte_as_before(lang):
    changed = {key: t(key, lang) for key in BEFORE if t(key, lang) != BEFORE[key][lang]}
    assert changed == {}


def test_every_text_is_in_both_languages():
    vi, en = texts("vi"), texts("en")
    assert set(vi) == set(en) and set(BEFORE) <= set(vi)
    empty = [(lang, key) for lang, got in (("vi", vi), ("en", en)) for key, text in got.items()
             if not text or (isinstance(text, tuple) and not all(text))]  # fmt: skip
    assert empty == []
    assert [m.id for lang in LANGS for m in catalogue(lang) if m.fuzzy and m.id] == []


def test_both_languages_fill_the_same_fields():
    vi, en = texts("vi"), texts("en")
    differ = {key: (vi[key], en[key]) for key in vi if fields(str(vi[key])) != fields(str(en[key]))}
    assert differ == {}


@pytest.mark.parametrize("lang", LANGS)
def test_each_catalogue_says_its_language_and_plural_forms(lang):
    po = catalogue(lang)
    assert str(po.locale) == lang and po.plural_forms == PLURAL_FORMS[lang]


@pytest.mark.parametrize("lang", LANGS)
def test_the_committed_mo_is_the_po_compiled(lang, tmp_path):
    """`make translations` would change nothing: the shipped .mo cannot drift from its .po."""
    po = Path(LOCALE_DIR) / lang / "LC_MESSAGES" / "messages.po"
    (tmp_path / lang / "LC_MESSAGES").mkdir(parents=True)
    (tmp_path / lang / "LC_MESSAGES" / "messages.po").write_bytes(po.read_bytes())
    pybabel = [sys.executable, "-m", "babel.messages.frontend", "-q", "compile", "-d", tmp_path]
    subprocess.run([*pybabel, "-D", "messages", "-l", lang], check=True)
    with (tmp_path / lang / "LC_MESSAGES" / "messages.mo").open("rb") as fresh:
        compiled = read_mo(fresh)
    assert texts(lang, "mo") == {m.id: m.string for m in compiled if m.id}, "run make translations"
    assert catalogue(lang, "mo").plural_forms == compiled.plural_forms


def test_every_literal_key_in_the_code_is_in_the_catalogue():
    """The extraction `make messages` runs finds no key the catalogues lack (a typo, a new key)."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = {
        message if isinstance(message, str) else message[0]
        for _, _, message, _, _ in extract_from_dir(
            ROOT, method_map, options_map, keywords={"t": None, "tn": (1, 1)}
        )
    }
    assert found - set(texts("vi")) == set()
    assert {"app_title", "brief_alarm_n", "col_status", "status_ok"} <= found


@pytest.mark.parametrize(
    ("key", "lang", "values", "expected"),
    [
        ("no_such_key", "vi", {}, "no_such_key"),
        ("no_such_key", "en", {}, "no_such_key"),
        ("", "en", {}, ""),
        ("status_ok", "fr", {}, "bình thường"),
        ("brief_alarm_n", "en", {"n": 3}, "3 alarms"),
        ("rank_of", "vi", {"rank": 2, "of": 9}, "2/9"),
        ("app_title", "en", {"unused": 1}, "Can Tho Intelligent Operations Centre"),
    ],
)
def test_a_missing_key_shows_itself_and_fields_fill(key, lang, values, expected):
    assert t(key, lang, **values) == expected


@pytest.mark.parametrize(
    ("value", "lang"), [("en", "en"), ("vi", "vi"), ("fr", "vi"), (None, "vi")]
)
def test_normalise_lang(value, lang):
    assert normalise_lang(value) == lang


def write_catalogue(root: Path, lang: str, entries: dict) -> None:
    po = Catalog(locale=lang, domain="messages")
    for key, text in entries.items():
        po.add((key, key) if isinstance(text, tuple) else key, text)
    (root / lang / "LC_MESSAGES").mkdir(parents=True)
    buffer = BytesIO()
    write_mo(buffer, po)
    (root / lang / "LC_MESSAGES" / "messages.mo").write_bytes(buffer.getvalue())


@pytest.fixture
def small_catalogues(tmp_path, monkeypatch):
    """Catalogues with a plural key and a key only Vietnamese has, loaded by the real loader."""
    write_catalogue(tmp_path, "vi", {"only_vi": "chỉ tiếng Việt", "items": ("{n} mục",)})
    write_catalogue(tmp_path, "en", {"items": ("{n} item", "{n} items")})
    monkeypatch.setattr(ioc.i18n, "CATALOGUES", load_catalogues(tmp_path))


def test_a_key_english_lacks_reads_in_vietnamese(small_catalogues):
    assert t("only_vi", "en") == "chỉ tiếng Việt"
    assert t("nowhere", "en") == "nowhere"


@pytest.mark.parametrize(
    ("key", "n", "lang", "expected"),
    [
        ("items", 1, "en", "1 item"),
        ("items", 2, "en", "2 items"),
        ("items", 0, "en", "0 items"),
        ("items", 1, "vi", "1 mục"),
        ("items", 5, "vi", "5 mục"),
        ("only_vi", 2, "en", "chỉ tiếng Việt"),
        ("nowhere", 2, "vi", "nowhere"),
    ],
)
def test_tn_picks_the_plural_form(small_catalogues, key, n, lang, expected):
    assert tn(key, n, lang) == expected


def test_a_missing_compiled_catalogue_says_what_to_run(tmp_path):
    with pytest.raises(RuntimeError, match="make translations"):
        load_catalogues(tmp_path)


def test_importing_the_texts_pulls_in_no_web_database_broker_or_babel():
    heavy = ("flask", "dash", "sqlalchemy", "paho", "babel")
    code = (
        f"import sys, ioc.i18n; print(sorted(m for m in sys.modules if m.split('.')[0] in {heavy}))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "[]", out.stderr
