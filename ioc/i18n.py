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
    # The wall
    "wall_link": {"vi": "Màn hình tường", "en": "Wall display"},
    "wall_title": {"vi": "IOC Cần Thơ", "en": "Can Tho IOC"},
    "scene_overview": {"vi": "Tổng quan thành phố", "en": "City overview"},
    "scene_traffic": {"vi": "Giao thông", "en": "Traffic"},
    "scene_wifi": {"vi": "Wifi công cộng", "en": "Public wifi"},
    "scene_backlog": {"vi": "Dịch vụ công – hồ sơ", "en": "Public services backlog"},
    "scene_district": {"vi": "Quận/huyện", "en": "District"},
    "scene_dx": {
        "vi": "Chuyển đổi số và dịch vụ công",
        "en": "Digital transformation and services",
    },
    "metric_error": {"vi": "lỗi truy vấn", "en": "query error"},
    "target": {"vi": "mục tiêu", "en": "target"},
    "demo_short": {"vi": "demo", "en": "demo"},
    "kpi_traffic_flow": {"vi": "Lưu lượng giao thông", "en": "Traffic flow"},
    "kpi_traffic_speed": {"vi": "Tốc độ trung bình", "en": "Mean speed"},
    "kpi_wifi_up": {"vi": "Điểm wifi đang hoạt động", "en": "Wifi access points up"},
    "kpi_wifi_uptime": {"vi": "Thời gian hoạt động wifi 24 giờ", "en": "Wifi uptime, 24 h"},
    "kpi_backlog_pending": {"vi": "Hồ sơ đang xử lý", "en": "Applications pending"},
    "kpi_backlog_overdue": {"vi": "Hồ sơ quá hạn", "en": "Applications overdue"},
    "kpi_backlog_on_time": {"vi": "Giải quyết hôm nay", "en": "Resolved today"},
    "kpi_ioc_online": {"vi": "IOC quận/huyện trực tuyến", "en": "District IOCs online"},
    "since": {"vi": "từ", "en": "since"},
    "unit_traffic_flow": {"vi": "xe/phút", "en": "vehicles/min"},
    "unit_traffic_speed": {"vi": "km/h", "en": "km/h"},
    "unit_wifi_up": {"vi": "điểm", "en": "APs"},
    "unit_wifi_uptime": {"vi": "%", "en": "%"},
    "unit_backlog_pending": {"vi": "hồ sơ", "en": "applications"},
    "unit_backlog_overdue": {"vi": "hồ sơ", "en": "applications"},
    "unit_backlog_on_time": {"vi": "hồ sơ", "en": "applications"},
    "unit_ioc_online": {"vi": "IOC", "en": "IOCs"},
    "share_wifi_up": {"vi": "{pct} % đang hoạt động", "en": "{pct} % up"},
    "share_backlog_overdue": {"vi": "{pct} % số hồ sơ đang xử lý", "en": "{pct} % of pending"},
    "share_backlog_on_time": {"vi": "{pct} % đúng hạn", "en": "{pct} % on time"},
    "sub_wifi_uptime": {"vi": "trong 24 giờ qua", "en": "over the last 24 h"},
    "sub_traffic_flow": {"vi": "thường lệ giờ này: {usual}", "en": "usual at this hour: {usual}"},
    "sub_traffic_speed": {"vi": "có trọng số theo lượng xe", "en": "weighted by vehicles"},
    "sub_backlog_pending": {
        "vi": "tiếp nhận hôm nay: {received}",
        "en": "received today: {received}",
    },
    "sub_ioc_offline": {"vi": "mất kết nối: {names}", "en": "offline: {names}"},
    "sub_ioc_all_online": {"vi": "tất cả đang kết nối", "en": "all connected"},
    "status_ok": {"vi": "bình thường", "en": "normal"},
    "status_warn": {"vi": "cần chú ý", "en": "warning"},
    "status_alarm": {"vi": "báo động", "en": "alarm"},
    "status_stale": {"vi": "dữ liệu cũ", "en": "stale data"},
    "status_no_data": {"vi": "chưa có dữ liệu", "en": "no data"},
    "status_offline": {"vi": "mất kết nối", "en": "offline"},
    "alarms_title": {"vi": "Cảnh báo hiện tại", "en": "Current alarms"},
    "no_alarms": {"vi": "Không có cảnh báo", "en": "No alarms"},
    "ticker_offline": {"vi": "IOC mất kết nối từ {time}", "en": "IOC offline since {time}"},
    "ticker_stale": {"vi": "{feed}: dữ liệu cũ ({age})", "en": "{feed}: stale data ({age})"},
    "map_title": {"vi": "Bản đồ quận/huyện theo trạng thái", "en": "Districts by status"},
    "flow_by_district": {
        "vi": "Lưu lượng theo quận/huyện (xe/phút)",
        "en": "Flow by district (vehicles/min)",
    },
    "usual_marker": {"vi": "◆ mức thường lệ giờ này", "en": "◆ usual at this hour"},
    "speed_by_district": {"vi": "Tốc độ trung bình (km/h)", "en": "Mean speed (km/h)"},
    "today_vs_usual": {
        "vi": "Hôm nay so với thường lệ (xe/phút, theo giờ)",
        "en": "Today vs usual (vehicles/min, by hour)",
    },
    "today": {"vi": "hôm nay", "en": "today"},
    "usual": {"vi": "thường lệ 4 tuần", "en": "usual, 4 weeks"},
    "congested": {"vi": "Điểm ùn tắc nhất", "en": "Most congested"},
    "occupancy": {"vi": "lấp đầy", "en": "occupancy"},
    "uptime_by_district": {
        "vi": "Thời gian hoạt động wifi 24 giờ (%)",
        "en": "Wifi uptime, 24 h (%)",
    },
    "down_by_hour": {
        "vi": "Điểm wifi mất kết nối theo giờ (24 giờ qua)",
        "en": "Access points down by hour (last 24 h)",
    },
    "aps_down_now": {"vi": "Điểm wifi đang mất kết nối", "en": "Access points down now"},
    "none_down": {"vi": "Tất cả điểm wifi đang hoạt động", "en": "Every access point is up"},
    "down_since": {"vi": "từ {time} ({age})", "en": "since {time} ({age})"},
    "pending_overdue_by_district": {
        "vi": "Hồ sơ đang xử lý và quá hạn",
        "en": "Pending and overdue applications",
    },
    "intake_vs_resolved": {
        "vi": "Tiếp nhận và giải quyết hôm nay",
        "en": "Received and resolved today",
    },
    "received_today": {"vi": "tiếp nhận hôm nay", "en": "received today"},
    "resolved": {"vi": "giải quyết hôm nay", "en": "resolved today"},
    "within_deadline": {"vi": "đang xử lý, trong hạn", "en": "pending, within deadline"},
    "hotline": {
        "vi": "Đường dây nóng 1022 – phản ánh, kiến nghị",
        "en": "Hotline 1022 – citizens' reports",
    },
    "on_time_by_district": {
        "vi": "Giải quyết đúng hạn hôm nay (%)",
        "en": "Resolved on time today (%)",
    },
    "district_sources": {"vi": "Nguồn cần chú ý", "en": "Sources to watch"},
    "connection_lost": {
        "vi": "Mất kết nối tới máy chủ – đang thử lại",
        "en": "Connection to the server lost – retrying",
    },
    "no_updates": {
        "vi": "Màn hình không nhận được số liệu mới – đang thử lại",
        "en": "No new data reaching this screen – retrying",
    },
    "last_update": {"vi": "cập nhật lần cuối {time}", "en": "last update {time}"},
    "paused": {"vi": "TẠM DỪNG", "en": "PAUSED"},
    "bad_param": {
        "vi": "Tham số không hợp lệ, dùng mặc định: {detail}",
        "en": "Bad parameter, default used: {detail}",
    },
    "keys_hint": {
        "vi": "← → chuyển cảnh · Space tạm dừng · F toàn màn hình",
        "en": "← → scene · Space pause · F full screen",
    },
}


def normalise_lang(value: object, default: str = "vi") -> str:
    """Return a supported language code; anything else gives the default."""
    return value if isinstance(value, str) and value in LANGS else default


def t(key: str, lang: str, **values: object) -> str:
    """Translate a text key, filling ``{name}`` fields; a missing key shows itself."""
    entry = TEXTS.get(key)
    text = entry.get(lang, entry["vi"]) if entry else key
    return text.format(**values) if values else text


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
