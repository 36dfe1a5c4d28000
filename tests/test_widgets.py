"""Pure builders: data in, components out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ioc.i18n import normalise_lang
from ioc.i18n.format import age_text, local_time, number
from widgets.status_table import status_table

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


def feed(age_s=None, sources=0, stale_sources=0, stale=True):
    as_of = None if age_s is None else (NOW - timedelta(seconds=age_s)).isoformat()
    return {"as_of": as_of, "stale": stale, "sources": sources, "stale_sources": stale_sources}


def district(online, traffic, wifi, backlog):
    return {
        "district": "co-do",
        "name": {"vi": "Cờ Đỏ", "en": "Co Do"},
        "online": online,
        "feeds": {"traffic": traffic, "wifi": wifi, "backlog": backlog},
    }


def cells(component):
    """Flatten a Dash component tree into (className, text) pairs."""
    found = []

    def walk(node):
        if isinstance(node, str):
            return
        children = getattr(node, "children", None)
        text = []

        def collect(n):
            if isinstance(n, str):
                text.append(n)
            elif isinstance(n, list):
                for item in n:
                    collect(item)
            elif n is not None:
                collect(getattr(n, "children", None))

        collect(children)
        found.append((getattr(node, "className", None) or "", " ".join(text)))
        for child in children if isinstance(children, list) else [children]:
            if child is not None:
                walk(child)

    walk(component)
    return found


@pytest.mark.parametrize(
    ("lang", "stale_text", "age"),
    [("vi", "dữ liệu cũ", "10 phút trước"), ("en", "stale data", "10 min ago")],
)
def test_stale_feed_is_grey_with_its_age(lang, stale_text, age):
    row = district(
        True,
        feed(600, sources=4, stale_sources=4, stale=True),
        feed(20, sources=2, stale=False),
        feed(),
    )
    found = cells(status_table([row], lang=lang, now=NOW))
    stale = [text for cls, text in found if cls == "feed stale"]
    assert len(stale) == 1 and stale_text in stale[0] and age in stale[0]
    assert "0/4" in stale[0]
    assert any(cls == "feed ok" and "2/2" in text for cls, text in found)
    assert any(cls == "feed no_data" for cls, _ in found)


@pytest.mark.parametrize(
    ("online", "css", "shape", "word"),
    [(True, "ok", "ok", "trực tuyến"), (False, "offline", "offline", "mất kết nối"),
     (None, "unknown", "no_data", "chưa rõ")],
)  # fmt: skip
def test_presence_has_a_shape_not_only_a_colour(online, css, shape, word):
    # The one mark (widgets/mark.py): its shape (circle, cross, dash) and its word.
    found = cells(status_table([district(online, feed(), feed(), feed())], lang="vi", now=NOW))
    assert any(cls == f"presence {css}" for cls, _text in found)
    assert any(cls == f"mark mark--{shape}" and word in text.lower() for cls, text in found)


@pytest.mark.parametrize(
    ("value", "lang", "digits", "expected"),
    [
        (1234567, "vi", 0, "1.234.567"),
        (1234567, "en", 0, "1,234,567"),
        (98.26, "vi", 1, "98,3"),
        (98.25, "en", 2, "98.25"),
        (None, "vi", 0, "—"),
    ],
)
def test_numbers_follow_the_language(value, lang, digits, expected):
    assert number(value, lang, digits) == expected


def test_times_are_shown_in_can_tho():
    assert local_time(NOW) == "10:00:00"
    assert local_time("2026-11-22T17:30:00Z", seconds=False) == "00:30"


@pytest.mark.parametrize(
    ("seconds", "lang", "text"),
    [(5, "vi", "5 giây trước"), (7200, "en", "2 h ago"), (90000, "vi", "1 ngày trước")],
)
def test_age_text(seconds, lang, text):
    assert age_text(seconds, lang) == text


@pytest.mark.parametrize(
    ("given", "expected"), [("en", "en"), ("vi", "vi"), ("EN", "vi"), (None, "vi"), (["en"], "vi")]
)
def test_language_parameter_falls_back(given, expected):
    assert normalise_lang(given) == expected
