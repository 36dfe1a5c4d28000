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
    "out_of_scope_param": {
        "vi": "Ngoài phạm vi được xem, không hiển thị: {detail}",
        "en": "Outside your scope, not shown: {detail}",
    },
    "keys_hint": {
        "vi": "← → chuyển cảnh · Space tạm dừng · F toàn màn hình",
        "en": "← → scene · Space pause · F full screen",
    },
    # The district page
    "district_page": {"vi": "Chi tiết quận/huyện", "en": "District detail"},
    "tab_traffic": {"vi": "Giao thông", "en": "Traffic"},
    "tab_wifi": {"vi": "Wifi công cộng", "en": "Public wifi"},
    "tab_services": {"vi": "Dịch vụ công", "en": "Public services"},
    "range_1h": {"vi": "1 giờ", "en": "1 hour"},
    "range_24h": {"vi": "24 giờ", "en": "24 hours"},
    "range_7d": {"vi": "7 ngày", "en": "7 days"},
    "range_30d": {"vi": "30 ngày", "en": "30 days"},
    "range_custom": {"vi": "Tùy chọn", "en": "Custom"},
    "range_from": {"vi": "Từ ngày", "en": "From"},
    "range_to": {"vi": "Đến ngày", "en": "To"},
    "range_apply": {"vi": "Xem", "en": "Show"},
    "range_label": {"vi": "Khoảng thời gian", "en": "Time range"},
    "range_shown": {
        "vi": "Từ {since} đến {until} (GMT+7)",
        "en": "From {since} to {until} (GMT+7)",
    },
    "range_backwards": {
        "vi": "Khoảng thời gian không hợp lệ (ngày kết thúc trước ngày bắt đầu), dùng 24 giờ qua",
        "en": "Bad time range (it ends before it starts): the last 24 hours are shown",
    },
    "range_future": {
        "vi": "Khoảng thời gian nằm trong tương lai, dùng 24 giờ qua",
        "en": "The time range is in the future: the last 24 hours are shown",
    },
    "range_too_long": {
        "vi": "Khoảng thời gian dài quá {days} ngày, dùng 24 giờ qua",
        "en": "The time range is longer than {days} days: the last 24 hours are shown",
    },
    "source_missing": {
        "vi": "Không có nguồn «{source}» trong mục này",
        "en": "No source “{source}” under this tab",
    },
    "ioc_online_since": {"vi": "IOC trực tuyến từ {time}", "en": "IOC online since {time}"},
    "ioc_offline_since": {"vi": "IOC mất kết nối từ {time}", "en": "IOC offline since {time}"},
    "ioc_unknown": {"vi": "IOC chưa báo trạng thái", "en": "IOC has not reported its state"},
    "city_median": {"vi": "trung vị thành phố {value}", "en": "city median {value}"},
    "vs_median_above": {"vi": "cao hơn {pct} %", "en": "{pct} % above"},
    "vs_median_below": {"vi": "thấp hơn {pct} %", "en": "{pct} % below"},
    "vs_median_same": {"vi": "bằng trung vị", "en": "at the median"},
    "back_to_wall": {"vi": "Màn hình tường", "en": "Wall display"},
    "home": {"vi": "Trang chủ", "en": "Home"},
    "csv": {"vi": "Tải CSV", "en": "Download CSV"},
    "json": {"vi": "JSON", "en": "JSON"},
    "data_as_of": {"vi": "Số liệu lúc {time}", "en": "Figures as of {time}"},
    "refresh": {"vi": "Làm mới", "en": "Refresh"},
    "flow_speed_over_time": {
        "vi": "Lưu lượng và tốc độ theo thời gian",
        "en": "Flow and speed over time",
    },
    "heatmap_title": {
        "vi": "Tốc độ trung bình theo ngày và giờ (km/h) – ô càng đỏ càng ùn tắc",
        "en": "Mean speed by day and hour (km/h) – the redder, the more congested",
    },
    "heatmap_period": {"vi": "{days} ngày, từ {since}", "en": "{days} days from {since}"},
    "worst_sources": {"vi": "Camera chậm nhất trong khoảng", "en": "Slowest cameras in the range"},
    "all_cameras": {"vi": "Tất cả camera và bộ đếm", "en": "Every camera and counter"},
    "all_aps": {"vi": "Tất cả điểm phát wifi", "en": "Every access point"},
    "down_now": {"vi": "Đang mất kết nối", "en": "Down now"},
    "outage_timeline": {"vi": "Dòng thời gian mất kết nối", "en": "Outage timeline"},
    "outage_count": {
        "vi": "{count} lần mất kết nối của {aps} điểm phát",
        "en": "{count} outages of {aps} access points",
    },
    "no_outages": {"vi": "Không có lần mất kết nối nào", "en": "No outages in the range"},
    "uptime_over_time": {
        "vi": "Tỷ lệ báo cáo «hoạt động» theo thời gian (%)",
        "en": "Share of “up” reports over time (%)",
    },
    "all_desks": {"vi": "Bộ phận một cửa và kênh tiếp nhận", "en": "Desks and channels"},
    "pending_over_time": {
        "vi": "Hồ sơ đang xử lý và quá hạn theo giờ",
        "en": "Pending and overdue by hour",
    },
    "intake_over_time": {
        "vi": "Tiếp nhận và giải quyết",
        "en": "Received and resolved",
    },
    "district_metrics": {
        "vi": "Chỉ số từ cơ sở dữ liệu – {name}",
        "en": "Database metrics – {name}",
    },
    "no_metrics": {
        "vi": "Chưa có chỉ số cơ sở dữ liệu theo quận/huyện",
        "en": "No database metrics broken down by district",
    },
    "source_detail": {"vi": "Chi tiết nguồn", "en": "Source detail"},
    "close": {"vi": "Đóng", "en": "Close"},
    "last_payload": {"vi": "Bản tin gần nhất", "en": "Last message"},
    "history": {"vi": "Lịch sử trong khoảng", "en": "History in the range"},
    "rejections": {"vi": "Bản tin bị từ chối", "en": "Rejected messages"},
    "rejected_count": {
        "vi": "{count} bản tin bị từ chối trên chủ đề {topic}",
        "en": "{count} messages rejected on topic {topic}",
    },
    "no_rejections": {"vi": "Không có bản tin nào bị từ chối", "en": "No message was rejected"},
    "rank_of": {"vi": "{rank}/{of}", "en": "{rank} of {of}"},
    "not_found_title": {"vi": "Không tìm thấy trang", "en": "Page not found"},
    "server_error_title": {"vi": "Có lỗi trên máy chủ", "en": "Something went wrong"},
    "server_error_text": {
        "vi": "Máy chủ gặp lỗi khi trả lời yêu cầu này. Lỗi đã được ghi lại; hãy thử lại sau.",
        "en": "The server hit an error answering this request. It is logged; try again later.",
    },
    "request_too_large": {
        "vi": "Yêu cầu quá lớn: tối đa {kib} KiB",
        "en": "Request too large: at most {kib} KiB",
    },
    "not_found_district": {
        "vi": "Không có quận/huyện «{slug}». Chọn một quận/huyện:",
        "en": "There is no district “{slug}”. Choose one:",
    },
    "forbidden_title": {"vi": "Không có quyền truy cập", "en": "Access denied"},
    "forbidden_district": {
        "vi": "Tài khoản của bạn chỉ được xem: {allowed}",
        "en": "Your account may only see: {allowed}",
    },
    "forbidden_none": {
        "vi": "Tài khoản của bạn chưa được gán quận/huyện nào",
        "en": "Your account has no district assigned",
    },
    "state_up": {"vi": "hoạt động", "en": "up"},
    "state_down": {"vi": "mất kết nối", "en": "down"},
    "state_stale": {"vi": "dữ liệu cũ", "en": "stale"},
    "minutes_short": {"vi": "{n} phút", "en": "{n} min"},
    "hours_short": {"vi": "{h} giờ {m} phút", "en": "{h} h {m} min"},
    "days_short": {"vi": "{d} ngày {h} giờ", "en": "{d} d {h} h"},
    "districts_title": {"vi": "Quận/huyện", "en": "Districts"},
    "col_camera": {"vi": "Camera / bộ đếm", "en": "Camera / counter"},
    "col_source": {"vi": "Mã nguồn", "en": "Source id"},
    "col_flow_now": {"vi": "Lưu lượng hiện tại (xe/phút)", "en": "Flow now (veh/min)"},
    "col_speed_now": {"vi": "Tốc độ hiện tại (km/h)", "en": "Speed now (km/h)"},
    "col_occupancy": {"vi": "Lấp đầy (%)", "en": "Occupancy (%)"},
    "col_status": {"vi": "Trạng thái", "en": "Status"},
    "col_as_of": {"vi": "Thời điểm (GMT+7)", "en": "As of (GMT+7)"},
    "col_flow_avg": {"vi": "Lưu lượng TB khoảng (xe/phút)", "en": "Mean flow in range (veh/min)"},
    "col_speed_avg": {"vi": "Tốc độ TB khoảng (km/h)", "en": "Mean speed in range (km/h)"},
    "col_occupancy_avg": {"vi": "Lấp đầy TB khoảng (%)", "en": "Mean occupancy in range (%)"},
    "col_reports": {"vi": "Số bản tin", "en": "Reports"},
    "col_time": {"vi": "Thời gian (GMT+7)", "en": "Time (GMT+7)"},
    "col_flow": {"vi": "Lưu lượng (xe/phút)", "en": "Flow (veh/min)"},
    "col_speed": {"vi": "Tốc độ (km/h)", "en": "Speed (km/h)"},
    "col_date": {"vi": "Ngày", "en": "Date"},
    "col_hour": {"vi": "Giờ", "en": "Hour"},
    "col_ap": {"vi": "Điểm phát wifi", "en": "Access point"},
    "col_state": {"vi": "Tình trạng", "en": "State"},
    "col_state_since": {"vi": "Từ lúc (GMT+7)", "en": "Since (GMT+7)"},
    "col_for": {"vi": "Đã kéo dài", "en": "For"},
    "col_uptime_range": {"vi": "Hoạt động trong khoảng (%)", "en": "Uptime in range (%)"},
    "col_clients": {"vi": "Người dùng", "en": "Clients"},
    "col_down_since": {"vi": "Mất kết nối từ (GMT+7)", "en": "Down since (GMT+7)"},
    "col_start": {"vi": "Bắt đầu (GMT+7)", "en": "Start (GMT+7)"},
    "col_end": {"vi": "Kết thúc (GMT+7)", "en": "End (GMT+7)"},
    "col_down_min": {"vi": "Số phút mất kết nối", "en": "Minutes down"},
    "col_up_pct": {"vi": "Hoạt động (%)", "en": "Up (%)"},
    "col_desk": {"vi": "Bộ phận / kênh", "en": "Desk / channel"},
    "col_pending": {"vi": "Đang xử lý", "en": "Pending"},
    "col_overdue": {"vi": "Quá hạn", "en": "Overdue"},
    "col_overdue_pct": {"vi": "Quá hạn (%)", "en": "Overdue (%)"},
    "col_received_today": {"vi": "Tiếp nhận hôm nay", "en": "Received today"},
    "col_resolved_today": {"vi": "Giải quyết hôm nay", "en": "Resolved today"},
    "col_on_time_pct": {"vi": "Đúng hạn (%)", "en": "On time (%)"},
    "col_desks": {"vi": "Số bộ phận báo cáo", "en": "Desks reporting"},
    "col_period": {"vi": "Kỳ (GMT+7)", "en": "Period (GMT+7)"},
    "col_received": {"vi": "Tiếp nhận", "en": "Received"},
    "col_resolved": {"vi": "Giải quyết", "en": "Resolved"},
    "col_metric": {"vi": "Chỉ số", "en": "Metric"},
    "col_value": {"vi": "Giá trị", "en": "Value"},
    "col_unit": {"vi": "Đơn vị", "en": "Unit"},
    "col_median": {"vi": "Trung vị thành phố", "en": "City median"},
    "col_rank": {"vi": "Xếp hạng", "en": "Rank"},
    "col_vehicles": {"vi": "Số xe", "en": "Vehicles"},
    "col_received_at": {"vi": "Nhận lúc (GMT+7)", "en": "Received at (GMT+7)"},
    "col_reason": {"vi": "Lý do", "en": "Reason"},
    "col_detail": {"vi": "Chi tiết", "en": "Detail"},
    "col_payload": {"vi": "Nội dung (300 byte đầu)", "en": "Payload (first 300 bytes)"},
    # --- briefing snapshots ---
    "brief_nav": {"vi": "Giao ban", "en": "Briefing"},
    "brief_name": {"vi": "Tên", "en": "Name"},
    "brief_trigger": {"vi": "Cách chụp", "en": "Taken"},
    "brief_compare_hint": {"vi": "số ảnh", "en": "number"},
    "brief_table_traffic_worst": {
        "vi": "Camera chậm nhất (24 giờ)",
        "en": "Slowest cameras (24 h)",
    },
    "brief_table_wifi_down": {"vi": "Điểm wifi đang mất kết nối", "en": "Access points down"},
    "brief_table_services_desks": {"vi": "Bộ phận / kênh tiếp nhận", "en": "Desks and channels"},
    "brief_page_title": {"vi": "Ảnh chụp giao ban", "en": "Briefing snapshots"},
    "brief_doc_title": {"vi": "BÁO CÁO GIAO BAN", "en": "BRIEFING SNAPSHOT"},
    "brief_nation": {
        "vi": "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "en": "SOCIALIST REPUBLIC OF VIET NAM",
    },
    "brief_motto": {
        "vi": "Độc lập - Tự do - Hạnh phúc",
        "en": "Independence - Freedom - Happiness",
    },
    "brief_scope_city": {"vi": "Toàn thành phố", "en": "Whole city"},
    "brief_taken_at": {
        "vi": "Trạng thái lúc {time} ngày {date} (GMT+7)",
        "en": "State at {time} on {date} (GMT+7)",
    },
    "brief_taken_by": {"vi": "Người lập", "en": "Taken by"},
    "brief_by_schedule": {"vi": "lịch tự động", "en": "schedule"},
    "brief_nobody": {"vi": "không ghi tên", "en": "not named"},
    "brief_trigger_manual": {"vi": "chụp tay", "en": "by hand"},
    "brief_trigger_api": {"vi": "qua API", "en": "through the API"},
    "brief_trigger_schedule": {"vi": "theo lịch", "en": "scheduled"},
    "brief_note": {"vi": "Ghi chú", "en": "Note"},
    "brief_title": {"vi": "Tiêu đề", "en": "Title"},
    "brief_overall": {"vi": "Tình trạng chung", "en": "Overall"},
    "brief_city_kpis": {"vi": "Chỉ số toàn thành phố", "en": "City indicators"},
    "brief_district_kpis": {"vi": "Chỉ số của quận/huyện", "en": "District indicators"},
    "brief_districts": {"vi": "Các quận/huyện", "en": "Districts"},
    "brief_thresholds": {"vi": "Ngưỡng", "en": "Thresholds"},
    "brief_warn_at": {"vi": "chú ý {value}", "en": "warn {value}"},
    "brief_alarm_at": {"vi": "báo động {value}", "en": "alarm {value}"},
    "brief_higher": {"vi": "cao là tốt", "en": "higher is better"},
    "brief_lower": {"vi": "thấp là tốt", "en": "lower is better"},
    "brief_median": {"vi": "Trung vị thành phố", "en": "City median"},
    "brief_alarms": {"vi": "Cảnh báo lúc chụp", "en": "Alarms at the time"},
    "brief_no_alarms": {"vi": "Không có cảnh báo.", "en": "No alarms."},
    "brief_alarm_offline": {"vi": "IOC mất kết nối từ {since}", "en": "IOC offline since {since}"},
    "brief_alarm_stale": {
        "vi": "{feed}: dữ liệu cũ, từ {since}",
        "en": "{feed}: stale data, since {since}",
    },
    "brief_traffic_chart": {
        "vi": "Lưu lượng hôm nay so với thường lệ (xe/phút, theo giờ)",
        "en": "Traffic today against the usual (vehicles/min, by hour)",
    },
    "brief_today": {"vi": "Hôm nay", "en": "Today"},
    "brief_usual": {"vi": "Thường lệ (4 tuần)", "en": "Usual (4 weeks)"},
    "brief_wifi_chart": {
        "vi": "Điểm wifi mất kết nối (trung bình mỗi giờ, 24 giờ qua)",
        "en": "Wifi access points down (mean per hour, last 24 h)",
    },
    "brief_aps_down": {"vi": "Điểm wifi mất kết nối", "en": "Access points down"},
    "brief_congested": {"vi": "Điểm giao thông chậm nhất", "en": "Slowest traffic points"},
    "brief_metrics": {"vi": "Chỉ tiêu từ cơ sở dữ liệu", "en": "Database indicators"},
    "brief_metric_error": {"vi": "lỗi lần đo cuối: {error}", "en": "last run failed: {error}"},
    "brief_district_24h": {"vi": "24 giờ qua", "en": "Last 24 hours"},
    "brief_compare": {"vi": "So sánh", "en": "Compare"},
    "brief_compare_with": {
        "vi": "So với ảnh chụp #{id} lúc {when}",
        "en": "Against snapshot #{id} of {when}",
    },
    "brief_compare_none": {
        "vi": "Chưa có ảnh chụp trước để so sánh.",
        "en": "No earlier snapshot to compare with.",
    },
    "brief_better": {"vi": "Tốt lên", "en": "Better"},
    "brief_worse": {"vi": "Xấu đi", "en": "Worse"},
    "brief_same": {"vi": "Không đổi", "en": "Unchanged"},
    "brief_before": {"vi": "Trước", "en": "Before"},
    "brief_after": {"vi": "Sau", "en": "After"},
    "brief_delta": {"vi": "Thay đổi", "en": "Change"},
    "brief_status_changes": {"vi": "Trạng thái thay đổi", "en": "Status changes"},
    "brief_no_status_changes": {
        "vi": "Không có trạng thái nào thay đổi.",
        "en": "No status changed.",
    },
    "brief_alarms_new": {"vi": "Cảnh báo mới", "en": "New alarms"},
    "brief_alarms_cleared": {"vi": "Cảnh báo đã hết", "en": "Alarms cleared"},
    "brief_none": {"vi": "không có", "en": "none"},
    "brief_integrity": {"vi": "Mã kiểm tra SHA-256", "en": "SHA-256 check"},
    "brief_intact": {"vi": "bản lưu nguyên vẹn", "en": "stored record intact"},
    "brief_tampered": {
        "vi": "CẢNH BÁO: bản lưu không khớp mã kiểm tra",
        "en": "WARNING: stored record does not match its check",
    },
    "brief_frozen": {
        "vi": "Ảnh chụp cố định: số liệu là số liệu lúc chụp, không cập nhật.",
        "en": (
            "A frozen snapshot: the figures are those of the moment it was taken; "
            "they do not update."
        ),
    },
    "brief_page": {"vi": "Trang", "en": "Page"},
    "brief_take": {"vi": "Chụp ngay", "en": "Take a snapshot now"},
    "brief_take_head": {"vi": "Chụp trạng thái hiện tại", "en": "Take the current state"},
    "brief_scope": {"vi": "Phạm vi", "en": "Scope"},
    "brief_list": {"vi": "Các ảnh chụp đã lưu", "en": "Stored snapshots"},
    "brief_filter": {"vi": "Lọc", "en": "Filter"},
    "brief_all": {"vi": "Tất cả", "en": "All"},
    "brief_from": {"vi": "Từ ngày", "en": "From"},
    "brief_to": {"vi": "Đến ngày", "en": "To"},
    "brief_words": {"vi": "Tiêu đề có", "en": "Title contains"},
    "brief_open": {"vi": "Mở", "en": "Open"},
    "brief_vs_previous": {"vi": "So với lần trước", "en": "Against the previous"},
    "brief_compare_two": {"vi": "So sánh hai ảnh chụp", "en": "Compare two snapshots"},
    "brief_newer": {"vi": "Ảnh chụp (mới hơn), số", "en": "Snapshot (newer), number"},
    "brief_older": {"vi": "với ảnh chụp số", "en": "against snapshot number"},
    "brief_empty": {"vi": "Chưa có ảnh chụp nào khớp.", "en": "No snapshot matches."},
    "brief_count": {"vi": "{shown} / {total} ảnh chụp", "en": "{shown} of {total} snapshots"},
    "brief_schedule": {
        "vi": "Lịch chụp tự động: {times} ({days}), giữ {keep} ngày.",
        "en": "Scheduled: {times} ({days}), kept {keep} days.",
    },
    "brief_no_schedule": {
        "vi": "Chưa đặt lịch chụp tự động (IOC_BRIEFING_TIMES).",
        "en": "No scheduled snapshots (IOC_BRIEFING_TIMES).",
    },
    "brief_export_html": {"vi": "Tải HTML", "en": "Download HTML"},
    "brief_export_pdf": {"vi": "Tải PDF", "en": "Download PDF"},
    "brief_no_pdf": {
        "vi": "Không có PDF: máy chủ chưa cài Chromium. Dùng bản HTML.",
        "en": "No PDF: Chromium is not installed on the server. Use the HTML file.",
    },
    "brief_back": {"vi": "Danh sách ảnh chụp", "en": "All snapshots"},
    "brief_not_found": {
        "vi": "Không có ảnh chụp số {id}.",
        "en": "There is no snapshot number {id}.",
    },
    "brief_bad_id": {
        "vi": "“{id}” không phải số ảnh chụp.",
        "en": "“{id}” is not a snapshot number.",
    },
    "brief_forbidden": {
        "vi": "Bạn không được xem ảnh chụp này.",
        "en": "You may not see this snapshot.",
    },
    "brief_cross_site": {
        "vi": "Từ chối: yêu cầu này không đến từ trang của IOC ({why}). "
        "Hãy mở lại trang Giao ban rồi thử lại.",
        "en": "Refused: this request did not come from the IOC's own pages ({why}). "
        "Open the briefing page again and retry.",
    },
    "brief_why_origin": {"vi": "Origin là trang khác", "en": "another site's Origin"},
    "brief_why_referer": {"vi": "Referer là trang khác", "en": "another site's Referer"},
    "brief_why_token": {
        "vi": "không có Origin, Referer hay mã biểu mẫu",
        "en": "no Origin, no Referer and no form token",
    },
    "brief_json_only": {
        "vi": "API chỉ nhận JSON: gửi kèm Content-Type: application/json.",
        "en": "The API takes JSON only: send Content-Type: application/json.",
    },
    "brief_rate_limited": {
        "vi": "Quá nhiều ảnh chụp từ máy này. Thử lại sau {seconds} giây.",
        "en": "Too many snapshots from this address. Try again in {seconds} s.",
    },
    "brief_pdf_busy": {
        "vi": "Máy chủ đang in quá nhiều PDF. Thử lại sau {seconds} giây.",
        "en": "The server is printing too many PDFs. Try again in {seconds} s.",
    },
    "brief_store_failed": {
        "vi": "Không lưu được ảnh chụp: kho dữ liệu báo lỗi (có thể hết chỗ trên đĩa). "
        "Quản trị viên xem chi tiết trong nhật ký máy chủ.",
        "en": "The snapshot could not be saved: the store failed (the disk may be full). "
        "The server log has the details.",
    },
    "brief_value": {"vi": "Giá trị", "en": "Value"},
    "brief_status": {"vi": "Trạng thái", "en": "Status"},
    "brief_time": {"vi": "Thời điểm", "en": "Time"},
    "brief_count_col": {"vi": "Số", "en": "No."},
    "brief_offline_n": {"vi": "{n} IOC mất kết nối", "en": "{n} IOCs offline"},
    "brief_alarm_n": {"vi": "{n} cảnh báo", "en": "{n} alarms"},
    "brief_demo": {
        "vi": "Số liệu mô phỏng (demo), không phải số liệu thật.",
        "en": "Simulated (demo) figures, not real ones.",
    },
    "brief_taken_msg": {"vi": "Đã chụp ảnh số {id}.", "en": "Snapshot {id} taken."},
    "brief_day_names": {"vi": "T2,T3,T4,T5,T6,T7,CN", "en": "Mon,Tue,Wed,Thu,Fri,Sat,Sun"},
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
