"""The one status mark: a shape, a colour and a word that mean the same on every page.

ok ● circle, warn ▲ triangle, alarm ■ square, stale ◌ dotted ring, no data – dash,
neutral ◆ diamond (a metric judged against a target only). The shapes are drawn by
``assets/marks.css`` (served at ``/assets/marks.css``), so the shape alone tells the
status to someone who cannot tell the colours apart. The word is the accessible text;
the shape is hidden from screen readers. ``mark`` is for Dash pages, ``mark_html`` for
the server-written pages (briefing documents), both giving the same markup.
"""

from __future__ import annotations

from html import escape

from dash import html

from ioc.i18n import t

# Every status a mark draws: ioc/status.py's, plus "offline" (a district IOC's Last Will).
MARK_STATUSES = ("ok", "warn", "alarm", "stale", "no_data", "neutral", "offline")


def _status(status: str) -> str:
    return status if status in MARK_STATUSES else "no_data"


def _style(size: str | int | None) -> str:
    if size is None:
        return ""
    return f"--mark-size:{size}px" if isinstance(size, int) else f"--mark-size:{size}"


def mark_word(status: str, lang: str) -> str:
    """The status in words ("bình thường", "normal"), from the catalogue key status_<status>."""
    return t(f"status_{_status(status)}", lang)


def mark(
    status: str,
    lang: str,
    *,
    word: bool = True,
    size: str | int | None = None,
    text: str | None = None,
    id: str | None = None,  # noqa: A002 (Dash's own name for it)
) -> html.Span:
    """The mark of a status: its shape, and its word unless ``word=False``.

    ``size`` sets the shape's size (an int is pixels, a str any CSS length, e.g.
    "1em"); by default the page's ``--mark-size`` applies. ``text`` replaces the
    word shown (e.g. "online"). Without the word shown, the word is still the
    mark's accessible name (role img, aria-label) and its tooltip.
    """
    status = _status(status)
    said = text if text is not None else mark_word(status, lang)
    shape = html.Span(className="mark__shape", **{"aria-hidden": "true"})
    extra: dict = {"id": id} if id is not None else {}
    style = _style(size)
    if style:
        extra["style"] = {"--mark-size": style.split(":", 1)[1]}
    if word:
        return html.Span(
            [shape, html.Span(said, className="mark__word")],
            className=f"mark mark--{status}",
            **extra,
        )
    return html.Span(
        shape,
        className=f"mark mark--{status} mark--bare",
        role="img",
        title=said,
        **{"aria-label": said},
        **extra,
    )


def mark_html(
    status: str,
    lang: str,
    word: bool = True,
    *,
    size: str | int | None = None,
    text: str | None = None,
) -> str:
    """The same mark as an escaped HTML string, for pages the server writes itself."""
    status = _status(status)
    said = escape(text if text is not None else mark_word(status, lang))
    style = _style(size)
    style_attr = f' style="{escape(style)}"' if style else ""
    shape = '<span class="mark__shape" aria-hidden="true"></span>'
    if word:
        return (
            f'<span class="mark mark--{status}"{style_attr}>{shape}'
            f'<span class="mark__word">{said}</span></span>'
        )
    return (
        f'<span class="mark mark--{status} mark--bare" role="img" aria-label="{said}"'
        f' title="{said}"{style_attr}>{shape}</span>'
    )
