"""The district page's tables: how a cell reads, sortable grids, plain tables, CSV headings."""

from __future__ import annotations

from datetime import datetime

import dash_ag_grid as dag
from dash import dcc, html

from ioc.district_view import DistrictView
from ioc.i18n import t
from ioc.i18n.format import duration_text, local_stamp, number
from ioc.model.district import Column, Table
from widgets.mark import mark

DIGITS = {"num1": 1, "num2": 2, "int": 0}


def cell_text(value, kind: str, lang: str) -> str:
    """How a table cell reads on the page."""
    if value is None:
        return "—"
    if kind in DIGITS:
        return number(value, lang, DIGITS[kind])
    if kind == "time":
        return local_stamp(value)
    if kind == "duration":
        return duration_text(value, lang)
    if kind == "status":
        return t(f"status_{value}", lang)
    if kind == "state":
        return t(f"state_{value}", lang)
    if kind == "i18n":
        return value.get(lang) or value.get("vi", "")
    if kind == "hour":
        return f"{int(value):02d}"
    return str(value)


def _epoch_ms(value: datetime | None):
    return None if value is None else int(value.timestamp() * 1000)


def grid(table: Table, view: DistrictView, lang: str, *, height: int = 520) -> html.Div:
    """A sortable, filterable grid; a source's name links to its detail (in the URL)."""
    defs = []
    for column in table.columns:
        spec = {
            "field": column.key,
            "headerName": t(column.label, lang),
            "sortable": True,
            "filter": True,
            "resizable": True,
        }
        if column.kind in DIGITS or column.kind == "duration":
            spec["filter"] = "agNumberColumnFilter"
            spec["type"] = "rightAligned"
            spec["valueFormatter"] = {
                "function": f"iocNumber(params.value, {DIGITS.get(column.kind, 0)}, '{lang}')"
            }
            if column.kind == "duration":
                spec["valueFormatter"] = {"function": f"iocDuration(params.value, '{lang}')"}
        elif column.kind == "time":
            spec["filter"] = "agNumberColumnFilter"
            spec["valueFormatter"] = {"function": "iocTime(params.value)"}
            spec["minWidth"] = 150
        elif column.kind in ("status", "state"):
            spec["cellRenderer"] = "IocStatus"
            spec["valueFormatter"] = {"function": "params.data." + column.key + "_text"}
            spec["filterValueGetter"] = {"function": "params.data." + column.key + "_text"}
            spec["minWidth"] = 140
        elif column.kind == "link":
            spec["cellRenderer"] = "IocLink"
            spec["pinned"] = "left"
            spec["minWidth"] = 240
        defs.append(spec)
    rows = []
    for row in table.rows:
        shown = {}
        for column in table.columns:
            value = row.get(column.key)
            if column.kind == "time":
                value = _epoch_ms(value)
            elif column.kind in ("status", "state"):
                shown[column.key + "_text"] = cell_text(value, column.kind, lang)
                shown[column.key + "_status"] = row.get("status", value)
            shown[column.key] = value
        if "source" in row:
            shown["href"] = view.href(source=row["source"])
            shown["selected"] = row["source"] == view.source
        rows.append(shown)
    keys = html.P(t("grid_keys", lang), className="grid-keys", id=f"grid-{table.key}-keys")
    return html.Div([keys, _ag_grid(table, rows, defs, lang, height)], className="grid-box")


def _ag_grid(table: Table, rows: list[dict], defs: list[dict], lang: str, height: int):
    return dag.AgGrid(
        id=f"grid-{table.key}",
        rowData=rows,
        columnDefs=defs,
        defaultColDef={"flex": 1, "minWidth": 110, "wrapHeaderText": True,
                       "autoHeaderHeight": True},
        dashGridOptions={
            "animateRows": False,
            # Keyboard: Tab enters the grid and Tab leaves it (one stop, as a table is);
            # arrows move between cells, Enter on a name opens its source
            # (assets/dashAgGridFunctions.js). Cells keep their focus for that.
            "tabToNextCell": {"function": "iocLeaveGrid(params)"},
            "tabToNextHeader": {"function": "iocLeaveGrid(params)"},
            "enableCellTextSelection": True,
            "domLayout": "normal" if len(rows) > 12 else "autoHeight",
            "localeText": {"noRowsToShow": t("no_data", lang)},
        },
        rowClassRules={
            "row--alarm": "params.data.status === 'alarm'",
            "row--warn": "params.data.status === 'warn'",
            "row--stale": "params.data.status === 'stale'",
            "row--selected": "params.data.selected === true",
        },
        className="grid",
        style={"height": f"{height}px", "width": "100%"} if len(rows) > 12 else {"width": "100%"},
    )  # fmt: skip


def html_table(table: Table, view: DistrictView, lang: str, *, limit: int | None = None):
    """A plain table (small lists); links where a row names a source of this tab."""
    head = html.Tr([html.Th(t(c.label, lang), className=f"k-{c.kind}") for c in table.columns])
    body = []
    for row in table.rows[:limit]:
        cells = []
        for column in table.columns:
            text = cell_text(row.get(column.key), column.kind, lang)
            if column.kind == "link" and "source" in row:
                content = dcc.Link(text, href=view.href(source=row["source"]))
            elif column.kind in ("status", "state"):
                status = row.get("status", row.get(column.key))
                content = mark(str(status), lang, text=text)
            elif column.kind == "rank" and row.get("rank") is not None:
                content = t("rank_of", lang, rank=row["rank"], of=row["of"])
            else:
                content = text
            cells.append(html.Td(content, className=f"k-{column.kind}"))
        body.append(html.Tr(cells, className=f"row--{row.get('status', '')}"))
    return html.Table([html.Thead(head), html.Tbody(body)], className="plain-table",
                      id=f"table-{table.key}")  # fmt: skip


def column_labels(columns: tuple[Column, ...], lang: str) -> list[str]:
    """The headings of a table's columns in a language (CSV header row)."""
    return [t(column.label, lang) for column in columns]
