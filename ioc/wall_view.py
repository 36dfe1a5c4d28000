"""The wall's URL: which scenes, how fast they rotate, which districts, which language.

``/wall?scenes=overview,traffic,wifi&rotate=20&lang=vi&district=rotate&jump=1``. A bad
value never breaks the wall: it falls back to the default and the wall says
which parameter it ignored, in a line at the bottom.

A viewer limited to some districts (ioc/scope.py) gets the scenes of their
districts (and the city-wide database metrics), never the city scenes, which
sum and list every district; asking for those gives a notice instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ioc.areas import AreaCatalogue
from ioc.i18n import LANGS, t

# kpis: the city's eight tiles, large (the overview shows the map and four)
SCENES = ("overview", "kpis", "traffic", "wifi", "backlog", "dx")  # dx: database metrics
SCOPED_SCENES = ("dx",)  # what a viewer limited to some districts may see of the city
DEFAULT_ROTATE_S = 20
MIN_ROTATE_S, MAX_ROTATE_S = 5, 3600


@dataclass(frozen=True)
class WallView:
    """What one wall screen was asked to show."""

    scenes: tuple[str, ...]
    rotate_s: int  # 0: no rotation
    lang: str
    district: str | None  # None, "rotate", or a district slug
    jump: bool = True  # show a district that turns "alarm" once, out of turn
    notices: tuple[str, ...] = field(default=())
    allows: Callable[[str], bool] | None = None  # the viewer's districts (None: all)

    def sequence(self, areas: AreaCatalogue) -> list[dict[str, str]]:
        """The rotation: city scenes, then a district scene per district (carousel)."""
        views = [{"scene": name} for name in self.scenes]
        if self.district == "rotate":
            views += [
                {"scene": "district", "district": area.slug}
                for area in areas.areas
                if self.allows is None or self.allows(area.slug)
            ]
        elif self.district is not None:
            views.append({"scene": "district", "district": self.district})
        return views


def _text(value: object) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def parse_view(
    query: Mapping[str, object],
    areas: AreaCatalogue,
    default_lang: str,
    *,
    metrics: bool = True,
    allows: Callable[[str], bool] | None = None,
) -> WallView:
    """Read the wall's query parameters; bad values give the default and a notice.

    Without database metrics (``metrics`` false) the dx scene is left out.
    ``allows`` limits the wall to a viewer's districts (None: the whole city).
    """
    available = SCENES if metrics else tuple(s for s in SCENES if s != "dx")
    hidden: tuple[str, ...] = ()
    if allows is not None:
        hidden = tuple(s for s in available if s not in SCOPED_SCENES)
        available = tuple(s for s in available if s in SCOPED_SCENES)
    notices: list[str] = []
    outside: list[str] = []
    raw_lang = _text(query.get("lang"))
    lang = raw_lang if raw_lang in LANGS else default_lang
    if raw_lang is not None and raw_lang not in LANGS:
        notices.append(f"lang={raw_lang[:20]!r} (vi, en)")

    raw_district = _text(query.get("district"))
    district = None
    if raw_district in (None, ""):
        pass
    elif raw_district in areas and allows is not None and not allows(raw_district):
        outside.append("district")
    elif raw_district == "rotate" or raw_district in areas:
        district = raw_district
    else:
        choices = sorted(s for s in areas.slugs if allows is None or allows(s))
        notices.append(f"district={raw_district[:40]!r} (rotate, {', '.join(choices)})")

    raw_scenes = _text(query.get("scenes"))
    if raw_scenes is None:
        # A district carousel alone shows districts only; otherwise every city scene.
        scenes: tuple[str, ...] = () if district == "rotate" else available
        if allows is not None and district is None:
            district = "rotate"  # a district viewer's wall: their districts in turn
    else:
        asked = [name.strip() for name in raw_scenes.split(",") if name.strip()]
        outside += [f"scenes={name!r}" for name in dict.fromkeys(asked) if name in hidden]
        unknown = [name for name in asked if name not in available and name not in hidden]
        scenes = tuple(dict.fromkeys(name for name in asked if name in available))
        if unknown:
            shown = ", ".join(repr(name[:20]) for name in unknown[:3])
            notices.append(f"scenes: {shown} ({', '.join(available)})")
        if not scenes and district is None:
            if allows is None:
                scenes = available
            else:
                district = "rotate"

    raw_rotate = _text(query.get("rotate"))
    rotate = DEFAULT_ROTATE_S
    if raw_rotate not in (None, ""):
        try:
            rotate = int(raw_rotate)
            if rotate != 0 and not MIN_ROTATE_S <= rotate <= MAX_ROTATE_S:
                raise ValueError
        except ValueError:
            rotate = DEFAULT_ROTATE_S
            notices.append(
                f"rotate={raw_rotate[:20]!r} (0, {MIN_ROTATE_S}–{MAX_ROTATE_S} s; {rotate} s used)"
            )
    raw_jump = _text(query.get("jump"))
    jump = True
    if raw_jump in ("0", "off", "no", "false"):
        jump = False
    elif raw_jump not in (None, "", "1", "on", "yes", "true"):
        notices.append(f"jump={raw_jump[:20]!r} (1, 0)")
    shown_notices = tuple(t("bad_param", lang, detail=notice) for notice in notices)
    if outside:
        shown_notices += (t("out_of_scope_param", lang, detail=", ".join(outside)),)
    return WallView(scenes, rotate, lang, district, jump, shown_notices, allows)
