"""Which build of the pages a server runs: a digest of the code and assets it serves."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVED = ("ioc", "widgets", "pages", "assets")
SUFFIXES = frozenset({".py", ".js", ".css", ".toml", ".geojson", ".woff2", ".mo"})


@lru_cache(maxsize=1)
def build_id() -> str:
    """Digest of every file that shapes the pages, the same in every worker of one deploy.

    A wall that finds another build after a lost connection reloads itself, so
    it runs the new pages; a restart of the same build needs no reload. (A
    random id per process would differ between gunicorn workers and make walls
    reload on every other answer.)
    """
    digest = hashlib.sha256()
    for folder in SERVED:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix in SUFFIXES and path.is_file():
                digest.update(str(path.relative_to(ROOT)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:12]
