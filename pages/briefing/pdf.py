"""PDF of a briefing snapshot, printed by headless Chromium from its self-contained HTML.

The HTML file is written to a private temporary folder and printed from there
(``file://``): nothing is fetched from any network. Page size (A4 landscape) and
the page numbers in the footer come from the document's own ``@page`` rules.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

TIMEOUT_S = 60
# Headless, no sandbox when root (containers), no GPU, no first-run chores.
FLAGS = (
    "--headless",
    "--disable-gpu",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-extensions",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--no-pdf-header-footer",
    "--run-all-compositor-stages-before-draw",
    "--virtual-time-budget=15000",  # let plotly draw before printing
)


class PdfUnavailable(RuntimeError):
    """No Chromium to print with; the message says how to get one."""


class PdfFailed(RuntimeError):
    """Chromium ran but made no PDF; the message holds what it said."""


def find_chromium(configured: Path | None = None) -> str | None:
    """The Chromium to print with: the configured one, else chromium on PATH."""
    if configured is not None:
        return str(configured) if os.access(configured, os.X_OK) else None
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def html_to_pdf(html: str, chromium: str | None) -> bytes:
    """Print an HTML document (self-contained) to PDF bytes."""
    if chromium is None:
        raise PdfUnavailable(
            "no Chromium found for PDF export: install Debian's chromium package "
            "(apt-get install chromium) or set IOC_CHROMIUM to its path"
        )
    with tempfile.TemporaryDirectory(prefix="ioc-pdf-") as folder:
        page = Path(folder) / "snapshot.html"
        out = Path(folder) / "snapshot.pdf"
        page.write_text(html, encoding="utf-8")
        command = [chromium, *FLAGS, f"--user-data-dir={folder}/profile",
                   f"--print-to-pdf={out}", page.as_uri()]  # fmt: skip
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.insert(1, "--no-sandbox")
        try:
            done = subprocess.run(command, capture_output=True, timeout=TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            raise PdfFailed(f"Chromium did not finish printing within {TIMEOUT_S} s") from None
        except OSError as err:
            raise PdfUnavailable(f"cannot run {chromium}: {err}") from None
        if not out.is_file() or out.stat().st_size == 0:
            said = done.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
            raise PdfFailed(f"Chromium made no PDF (exit {done.returncode}): {' | '.join(said)}")
        return out.read_bytes()
