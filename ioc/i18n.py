"""Vietnamese (default) and English texts, number and time formats, the local time zone."""

from __future__ import annotations

from datetime import datetime

from babel.numbers import format_decimal

from ioc.services.live import LOCAL_TZ

LANGS = ("vi", "en")
LOCALES = {"vi": "vi_VN", "en": "en_GB"}

TEXTS: dict[str, dict[str, str]] = {
    "app_title": {
        "vi": "Trung tâm điều hành thông minh Cần Thơ",
        "en": "Can Tho Intelligent Operations Centre",
    },
    "status_title": {"vi": "Tình trạng dữ liệu trực tiếp", "en": "Live data status"},
    "demo_label": {
        "vi": "DỮ LIỆU MÔ PHỎNG (demo)",
        "en": "SIMULATED DATA (demo)",
    },
    "district": {"vi": "Quận/huyện", "en": "District"},
    "district_ioc": {"vi": "IOC quận/huyện", "en": "District IOC"},
    "traffic": {"vi": "Giao thông", "en": "Traffic"},
    "wifi": {"vi": "Wifi công cộng", "en": "Public wifi"},
    "backlog": {"vi": "Hồ sơ tồn đọng", "en": "Service backlog"},
    "online": {"vi": "trực tuyến", "en": "online"},
    "offline": {"vi": "mất kết nối", "en": "offline"},
    "unknown": {"vi": "chưa rõ", "en": "unknown"},
    "stale": {"vi": "dữ liệu cũ", "en": "stale data"},
    "live": {"vi": "trực tiếp", "en": "live"},
    "no_data": {"vi": "chưa có dữ liệu", "en": "no data"},
    "as_of": {"vi": "lúc", "en": "as of"},
    "sources": {"vi": "nguồn", "en": "sources"},
    "vehicles_per_min": {"vi": "xe/phút", "en": "vehicles/min"},
    "aps_up": {"vi": "điểm phát đang hoạt động", "en": "access points up"},
    "pending": {"vi": "hồ sơ đang xử lý", "en": "applications pending"},
    "overdue": {"vi": "quá hạn", "en": "overdue"},
    "resolved_today": {"vi": "giải quyết hôm nay", "en": "resolved today"},
    "received": {"vi": "đã nhận", "en": "received"},
    "accepted": {"vi": "đã lưu", "en": "stored"},
    "duplicates": {"vi": "trùng lặp", "en": "duplicates"},
    "rejected": {"vi": "bị từ chối", "en": "rejected"},
    "broker": {"vi": "Kết nối MQTT", "en": "MQTT link"},
    "connected": {"vi": "đã kết nối", "en": "connected"},
    "updated": {"vi": "Cập nhật", "en": "Updated"},
    "language": {"vi": "English", "en": "Tiếng Việt"},
    "api_links": {"vi": "API JSON", "en": "JSON API"},
}


def normalise_lang(value: object, default: str = "vi") -> str:
    """Return a supported language code; anything else gives the default."""
    return value if isinstance(value, str) and value in LANGS else default


def t(key: str, lang: str) -> str:
    """Translate a text key; a missing key shows itself rather than failing."""
    entry = TEXTS.get(key)
    return entry.get(lang, entry["vi"]) if entry else key


def number(value: float | int | None, lang: str, digits: int = 0) -> str:
    """Format a number for a language (vi: 1.234,5; en: 1,234.5); None shows a dash."""
    if value is None:
        return "—"
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=LOCALES[lang])


def local_time(ts: datetime | str | None, *, seconds: bool = True) -> str:
    """Show a UTC time as Asia/Ho_Chi_Minh clock time."""
    if ts is None:
        return "—"
    if isinstance(ts, str):
        ts = datetime.fromisoformat(ts.replace("Z", "+00:00"))
    return ts.astimezone(LOCAL_TZ).strftime("%H:%M:%S" if seconds else "%H:%M")


def age_text(seconds: float, lang: str) -> str:
    """Say how old something is, briefly ("5 phút trước" / "5 min ago")."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        amount, unit = seconds, ("giây", "s")
    elif seconds < 3600:
        amount, unit = seconds // 60, ("phút", "min")
    elif seconds < 86400:
        amount, unit = seconds // 3600, ("giờ", "h")
    else:
        amount, unit = seconds // 86400, ("ngày", "d")
    return f"{amount} {unit[0]} trước" if lang == "vi" else f"{amount} {unit[1]} ago"
