"""CSV files of a district page's tables, and the HTTP status of district pages.

``/district/<slug>/export/<table>.csv`` takes the page's own query parameters,
so a file holds exactly the rows the page showed: the same columns (headed in
the page's language) and local times (GMT+7). UTF-8 with a byte order mark,
so spreadsheet programs read the Vietnamese letters right.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

import flask
from flask import Blueprint

from ioc.clock import LOCAL_TZ
from ioc.district_view import TABS, parse_view
from ioc.i18n import t
from ioc.model.district import Table
from ioc.scope import viewer_scope
from ioc.services.container import get_services

export = Blueprint("district_export", __name__)
PAGE = re.compile(r"^/district/([^/]+)/?$")
TABLE_KEY = re.compile(r"^[a-z_]{1,40}$")
SOURCE_TABLES = ("source_history", "source_rejections")


def _text(message: str, status: int):
    response = flask.make_response(message + "\n", status)
    response.headers["Content-Type"] = "text/plain; charset=utf-8"
    return response


# A text cell starting with one of these is read as a formula by spreadsheet
# programs (=HYPERLINK(…), +cmd|…, @SUM(…), -2+3…; tab and CR too): OWASP's
# advice is to prefix it with a single quote, which shows it as plain text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(text: str) -> str:
    """Text as a spreadsheet shows it, never run as a formula."""
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_value(value, kind: str, lang: str):
    """One cell as the CSV holds it: plain numbers, local times, words in the page's language.

    Numbers stay numbers (-3.5 is written as -3.5); every text, names and
    rejected payloads from the feeds included, goes through spreadsheet_text.
    """
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S")
    if kind == "status":
        value = t(f"status_{value}", lang)
    elif kind == "state":
        value = t(f"state_{value}", lang)
    elif kind == "i18n" and isinstance(value, dict):
        value = value.get(lang) or value.get("vi", "")
    if isinstance(value, bool | int):
        return value
    if isinstance(value, float | Decimal):  # PostgreSQL's numeric sums arrive as Decimal
        value = float(value)
        return f"{value:.3f}".rstrip("0").rstrip(".") if value == value else ""
    return spreadsheet_text(value if isinstance(value, str) else str(value))


def table_csv(table: Table, lang: str) -> str:
    """A table as CSV text (header row of column headings)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([t(c.label, lang) for c in table.columns])
    for row in table.rows:
        writer.writerow([csv_value(row.get(c.key), c.kind, lang) for c in table.columns])
    return out.getvalue()


@export.get("/district/<slug>/export/<key>.csv")
def district_csv(slug: str, key: str):
    """One table of a district page as CSV, for the page's range and language."""
    services = get_services()
    query = flask.request.args.to_dict(flat=True)
    view = parse_view(slug, query, default_lang=services.settings.lang)
    lang = view.lang
    if slug not in services.areas:
        return _text(t("not_found_district", lang, slug=slug[:64]).rstrip(":"), 404)
    if not viewer_scope().allows(slug):
        return _text(t("forbidden_title", lang), 403)
    tab = key.split("_")[0] if TABLE_KEY.match(key) else None
    if tab not in TABS and key not in SOURCE_TABLES:
        return _text(f"no such table: {key[:40]}", 404)
    if tab in TABS:
        view = replace(view, tab=tab, tab_asked=True)
    report = services.district.report(view)
    if key in SOURCE_TABLES:
        if report.source is None:
            return _text(t("source_missing", lang, source=view.source or ""), 404)
        table = report.source.history if key == "source_history" else report.source.rejections
        name = f"{slug}-{view.source}-{key}"
    else:
        table = report.tables.get(key)
        if table is None:
            return _text(f"no such table: {key[:40]}", 404)
        name = f"{slug}-{key}-{view.range}"
    response = flask.make_response("\ufeff" + table_csv(table, lang))
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


def page_status(response: flask.Response) -> flask.Response:
    """Give a district page the status it shows: 404 for no such district, 403 out of scope.

    Dash answers every page path with the same document and renders the page
    in the browser; the status code is set here so that crawlers, monitors and
    proxies see what the viewer sees.
    """
    request = flask.request
    if request.method != "GET" or response.status_code != 200:
        return response
    match = PAGE.match(request.path)
    if match is None or response.mimetype != "text/html":
        return response
    slug = match.group(1)
    services = get_services()
    if slug not in services.areas:
        response.status_code = 404
    elif not viewer_scope().allows(slug):
        response.status_code = 403
    return response
