"""A briefing snapshot as one HTML document: the page, the downloadable file and the PDF.

Data in (the stored record, plain JSON, and optionally a comparison), text out.
Nothing here reads the store or the clock: the same record gives the same bytes.
``Assets`` decides how styles, fonts and plotly.js reach the document: linked
(the page in the app) or inlined (a file that opens with no network at all).
The blocks are in ``briefing_blocks``, the charts in ``briefing_charts``, the
comparison in ``briefing_compare``.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from html import escape
from pathlib import Path
from urllib.parse import urlencode

import plotly

from ioc.i18n import t
from ioc.i18n.format import local_stamp
from widgets.briefing_alarms import alarm_log_block
from widgets.briefing_blocks import (
    alarms_block,
    district_detail,
    district_table,
    kpi_cards,
    lists_block,
    metrics_block,
    official_header,
    title_block,
)
from widgets.briefing_charts import traffic_chart, wifi_chart
from widgets.briefing_compare import compare_block
from widgets.briefing_pieces import section
from widgets.nav import switch_href, switch_label

ROOT = Path(__file__).resolve().parent.parent
CSS_FILE = ROOT / "assets" / "briefing" / "briefing.css"
MARKS_CSS_FILE = ROOT / "assets" / "marks.css"
# The whole typeface, one file per weight: the per-script subsets of /assets/fonts.css
# split a word's glyphs between files, and a PDF's text then reads "Cầ n Th ơ".
FONTS_CSS_FILE = ROOT / "assets" / "briefing" / "fonts.css"
FONT_URL = re.compile(r'url\("(fonts/[^"]+\.ttf)"\)')
PLOTLY_JS = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
_plotly_text: dict[str, str] = {}


def plotly_js() -> str:
    """plotly.min.js as text (read once), for files that must open with no server."""
    if "js" not in _plotly_text:
        _plotly_text["js"] = PLOTLY_JS.read_text(encoding="utf-8")
    return _plotly_text["js"]


@dataclass(frozen=True)
class Assets:
    """How a document gets its styles and plotly.js: linked URLs or inlined text."""

    inline: bool
    css_url: str = "/assets/briefing/briefing.css"
    fonts_url: str = "/assets/briefing/fonts.css"
    marks_url: str = "/assets/marks.css"
    plotly_url: str = "/briefing/plotly.min.js"
    plotly_js: str = ""

    def head(self) -> str:
        """The <head> lines that bring styles and scripts."""
        if not self.inline:
            return (
                f'<link rel="stylesheet" href="{escape(self.fonts_url)}">'
                f'<link rel="stylesheet" href="{escape(self.marks_url)}">'
                f'<link rel="stylesheet" href="{escape(self.css_url)}">'
                f'<script src="{escape(self.plotly_url)}"></script>'
            )
        script = self.plotly_js.replace("</script", "<\\/script")
        styles = "\n".join(
            (inline_fonts(), MARKS_CSS_FILE.read_text(encoding="utf-8"),
             CSS_FILE.read_text(encoding="utf-8"))
        )  # fmt: skip
        return f"<style>{styles}</style><script>{script}</script>"


def inline_fonts() -> str:
    """The briefing's @font-face rules with the font files as data: URLs (no server needed)."""

    def data_url(found: re.Match[str]) -> str:
        data = base64.b64encode((FONTS_CSS_FILE.parent / found.group(1)).read_bytes())
        return f"url(data:font/ttf;base64,{data.decode('ascii')})"

    return FONT_URL.sub(data_url, FONTS_CSS_FILE.read_text(encoding="utf-8"))


def snapshot_toolbar(snapshot_id: int, lang: str, query: dict[str, str], *, has_pdf: bool) -> str:
    """Back, language, compare and export links: the page's, never printed or exported.

    ``query``: the page's URL parameters but ``lang``; ``has_pdf``: a Chromium can print.
    """
    base = f"/briefing/{snapshot_id}"
    keep = urlencode({**query, "lang": lang})
    pdf = (
        f'<a class="btn" id="export-pdf" href="{base}/export.pdf?{escape(keep)}">'
        f"{escape(t('brief_export_pdf', lang))}</a>"
        if has_pdf
        else f'<span class="no-pdf" id="export-pdf">{escape(t("brief_no_pdf", lang))}</span>'
    )
    compare_value = escape(query.get("compare", ""))
    return (
        '<nav class="toolbar">'
        f'<a href="/briefing?lang={lang}">← {escape(t("brief_back", lang))}</a>'
        f'<a href="{escape(switch_href(base, lang, query))}">{escape(switch_label(lang))}</a>'
        f'<form method="get" action="{base}">'
        f'<input type="hidden" name="lang" value="{lang}">'
        '<label for="compare" style="margin:0;color:#fff">'
        f"{escape(t('brief_compare', lang))}</label>"
        f'<input id="compare" name="compare" value="{compare_value}" '
        f'placeholder="{escape(t("brief_compare_hint", lang))}">'
        f'<button class="btn" type="submit">OK</button></form>'
        f'<a href="{base}?compare=previous&amp;lang={lang}">'
        f"{escape(t('brief_vs_previous', lang))}</a>"
        '<span class="spacer"></span>'
        f'<a class="btn" id="export-html" href="{base}/export.html?{escape(keep)}">'
        f"{escape(t('brief_export_html', lang))}</a>"
        f"{pdf}</nav>"
    )


def _body(record: dict, lang: str) -> str:
    """The record's blocks: a city's KPIs, charts and districts, or a district's 24 hours."""
    thresholds = record.get("thresholds") or {}
    if record["scope"] == "city":
        body = (
            section(t("brief_city_kpis", lang), kpi_cards(record["city"], thresholds, lang))
            + '<div class="charts">'
            + section(t("brief_traffic_chart", lang), traffic_chart(record["series"], lang))
            + section(t("brief_wifi_chart", lang), wifi_chart(record["series"], lang))
            + "</div>"
            + district_table(record, lang)
        )
    else:
        area = record["districts"][0]
        medians = {
            k["key"]: k.get("median") for k in (record.get("district") or {}).get("kpis", [])
        }
        body = section(t("brief_district_kpis", lang), kpi_cards(area, thresholds, lang, medians))
        body += district_table(record, lang) + district_detail(record, lang)
    body += alarms_block(record, lang) + alarm_log_block(record, lang) + lists_block(record, lang)
    return body + metrics_block(record, lang)


def is_demo(record: dict) -> bool:
    """The record's figures were simulated: taken while the simulator ran (``simulated``,
    kept since issue 17), or, in older records, shown with a demo database metric."""
    return bool(record.get("simulated")) or any(m.get("demo") for m in record.get("metrics", []))


def demo_banner(lang: str) -> str:
    """The demo label at the head of a page: what the data is, before any figure."""
    return (
        f'<p class="demo-banner" role="note"><b>{escape(t("demo_label", lang))}</b> '
        f"{escape(t('brief_demo', lang))}</p>"
    )


def _page_boxes(lang: str, demo: bool) -> str:
    """The printed pages' margin boxes (CSS, in the page's language): the page number
    at the bottom right, and on a simulated record the demo label at the top of each page."""
    label = t("brief_page", lang).replace('"', "")
    rules = f'@bottom-right{{content:"{label} " counter(page) " / " counter(pages);}}'
    if demo:
        said = t("demo_label", lang).replace('"', "")
        rules += f'@top-right{{content:"{said}";}}'
    return f"<style>@page{{{rules}}}</style>"


def _footer(record: dict, meta: dict, lang: str) -> str:
    """The id, the digest and whether the stored record still matches it."""
    integrity = t("brief_intact", lang) if meta.get("intact", True) else t("brief_tampered", lang)
    return (
        '<footer class="doc-foot">'
        f"<span>#{meta['id']} · {escape(t('brief_integrity', lang))}: "
        f"<code>{escape(meta['sha256'])}</code>"
        f' — <b class="{"ok" if meta.get("intact", True) else "bad"}">'
        f"{escape(integrity)}</b></span></footer>"
    )


def document(
    record: dict,
    *,
    meta: dict,
    lang: str,
    assets: Assets,
    comparison: dict | None = None,
    other: dict | None = None,
    toolbar: str = "",
    compare_missing: bool = False,
) -> str:
    """The whole HTML document of a snapshot (and its comparison, when given).

    ``meta``: the stored row's id, sha256 and whether the record still matches it.
    """
    # The state at the time first, then what changed since the other snapshot.
    body = _body(record, lang)
    if comparison is not None and other is not None:
        body += compare_block(comparison, other, record, lang)
    elif compare_missing:
        body = f'<p class="compare-none">{escape(t("brief_compare_none", lang))}</p>' + body
    title = f"{t('brief_doc_title', lang)} #{meta['id']} — {local_stamp(record['taken_at'])}"
    demo = is_demo(record)
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"{assets.head()}{_page_boxes(lang, demo)}</head>"
        f'<body class="briefing-doc">{toolbar}<main class="sheet">'
        + (demo_banner(lang) if demo else "")
        + f"{official_header(record, lang)}{title_block(record, meta, lang)}{body}"
        f"{_footer(record, meta, lang)}</main></body></html>"
    )
