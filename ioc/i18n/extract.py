"""Babel extractors for `make messages`: the keys the code names, the keys the catalogue holds."""

from __future__ import annotations

import ast
from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

from babel.messages.pofile import read_po

# What a Babel extraction method yields: line, keyword (its spec picks the msgids), key, comments.
Extracted = tuple[int, str | None, str, list[str]]


def literal_keys(
    fileobj: IO[bytes],
    keywords: Mapping[str, Any],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[Extracted]:
    """Yield the key of every ``t("key", …)`` or ``tn("key", …)`` call whose key is a literal.

    Babel's own Python extractor also picks string pieces out of built keys
    (``t("kpi_" + key, lang)`` gives ``kpi_``); the syntax tree sees only whole literals.
    """
    for node in ast.walk(ast.parse(fileobj.read())):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in keywords
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.lineno, node.func.id, node.args[0].value, []


def catalogue_keys(
    fileobj: IO[bytes],
    keywords: Mapping[str, Any],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[Extracted]:
    """Yield every key of a key-based PO catalogue, with its translator comments.

    A key that some call builds (``t(f"status_{s}", lang)``) is in no literal call, so
    without this ``pybabel update`` would mark it obsolete and its text would stop showing.
    """
    for message in read_po(fileobj):
        if not message.id:
            continue  # the header
        key = message.id if isinstance(message.id, str) else message.id[0]
        # A plural entry comes back through tn's keyword spec (tn:1,1: msgid_plural = key).
        keyword = "tn" if message.pluralizable and "tn" in keywords else None
        yield message.lineno or 0, keyword, key, list(message.auto_comments)
