"""Build the demo SQL warehouse (DEMO data) that the catalogue of database metrics reads.

Shaped by Can Tho's public figures (shared/data/can-tho-facts.md): Plan 38/KH-UBND's
26 indicators and 106 tasks, the 33 key tasks of 2023, the DTI ranks, public-service
applications about 99.8 % resolved on time and 63 % submitted online, and about 2,900
hotline 1022 reports a year of which about 96 % are resolved. Every row is simulated.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import sqlite3
import sys
from collections.abc import Sequence
from contextlib import closing
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from feeds.demo.daily import hotline_rows, service_rows
from ioc.areas import Area, load_areas
from ioc.clock import LOCAL_TZ
from ioc.config import DEFAULT_AREAS_FILE, DEMO_WAREHOUSE

log = logging.getLogger(__name__)

SOURCE = "DEMO – simulated from public figures in can-tho-facts.md"
DEFAULT_PATH = DEMO_WAREHOUSE  # what the shipped catalogue reads
DEFAULT_SEED = 38  # after the plan's number, so the default is easy to remember
PLAN = "38/KH-UBND"
KEY_TASKS_YEAR = 2023
DAYS = 365
TABLES = (
    "about", "areas", "dx_indicators", "dx_tasks", "key_tasks", "dti",
    "service_daily", "hotline_daily",
)  # fmt: skip

KIND_WORDS = {"quan": "quận", "huyen": "huyện", "phuong": "phường", "xa": "xã"}

SCHEMA = """
CREATE TABLE about (source TEXT NOT NULL, built_at TEXT NOT NULL, data_until TEXT NOT NULL,
    seed INTEGER NOT NULL);
CREATE TABLE areas (slug TEXT PRIMARY KEY, name_vi TEXT NOT NULL, name_en TEXT NOT NULL);
CREATE TABLE dx_indicators (id INTEGER PRIMARY KEY, plan TEXT NOT NULL, name_vi TEXT NOT NULL,
    name_en TEXT NOT NULL, target REAL NOT NULL, actual REAL, unit TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('done', 'half', 'below_half', 'undetermined')));
CREATE TABLE dx_tasks (id INTEGER PRIMARY KEY, plan TEXT NOT NULL, title_vi TEXT NOT NULL,
    owner TEXT NOT NULL, owner_district TEXT REFERENCES areas (slug),
    status TEXT NOT NULL CHECK (status IN ('done', 'in_progress', 'not_started', 'postponed')));
CREATE TABLE key_tasks (id INTEGER PRIMARY KEY, year INTEGER NOT NULL, title_vi TEXT NOT NULL,
    owner TEXT NOT NULL, owner_district TEXT REFERENCES areas (slug),
    status TEXT NOT NULL CHECK (status IN ('done', 'in_progress', 'not_started', 'postponed')));
CREATE TABLE dti (year INTEGER NOT NULL, pillar TEXT NOT NULL, rank INTEGER NOT NULL,
    provinces INTEGER NOT NULL, score REAL, PRIMARY KEY (year, pillar));
CREATE TABLE service_daily (district TEXT NOT NULL REFERENCES areas (slug), day TEXT NOT NULL,
    received INTEGER NOT NULL, resolved_on_time INTEGER NOT NULL, resolved_late INTEGER NOT NULL,
    pending INTEGER NOT NULL, submitted_online INTEGER NOT NULL, PRIMARY KEY (district, day));
CREATE INDEX service_daily_day ON service_daily (day);
CREATE TABLE hotline_daily (district TEXT NOT NULL REFERENCES areas (slug), day TEXT NOT NULL,
    received INTEGER NOT NULL, resolved INTEGER NOT NULL, overdue INTEGER NOT NULL,
    PRIMARY KEY (district, day));
CREATE INDEX hotline_daily_day ON hotline_daily (day);
"""

# Plan 38's indicators, first half of 2023: 12 at 100 %, 11 at 50 %, 1 below, 2 undetermined.
INDICATORS = (
    ("Tỷ lệ hồ sơ công việc cấp thành phố được xử lý trên môi trường mạng",
     "City-level work files handled online", 90, "%", "done"),
    ("Tỷ lệ hồ sơ công việc cấp huyện được xử lý trên môi trường mạng",
     "District-level work files handled online", 80, "%", "done"),
    ("Tỷ lệ hồ sơ công việc cấp xã được xử lý trên môi trường mạng",
     "Commune-level work files handled online", 60, "%", "half"),
    ("Tỷ lệ thủ tục hành chính được cung cấp dịch vụ công trực tuyến toàn trình",
     "Procedures offered fully online", 80, "%", "half"),
    ("Tỷ lệ hồ sơ thủ tục hành chính được xử lý trực tuyến",
     "Applications processed online", 50, "%", "half"),
    ("Tỷ lệ hồ sơ, kết quả giải quyết thủ tục hành chính được số hóa",
     "Applications and results digitised", 100, "%", "half"),
    ("Tỷ lệ báo cáo định kỳ được cập nhật trên Hệ thống thông tin báo cáo",
     "Periodic reports filed in the reporting system", 100, "%", "done"),
    ("Tỷ lệ văn bản trao đổi giữa các cơ quan nhà nước dưới dạng điện tử",
     "Documents exchanged electronically between agencies", 95, "%", "done"),
    ("Tỷ lệ cơ quan nhà nước kết nối mạng truyền số liệu chuyên dùng",
     "Agencies on the government data network", 100, "%", "done"),
    ("Tỷ lệ hộ gia đình có kết nối Internet cáp quang băng rộng",
     "Households with fibre broadband", 80, "%", "half"),
    ("Tỷ lệ dân số trưởng thành có điện thoại thông minh",
     "Adults with a smartphone", 85, "%", "half"),
    ("Tỷ lệ ấp, khu vực được phủ sóng di động băng rộng",
     "Hamlets and wards with mobile broadband", 100, "%", "done"),
    ("Tỷ lệ dân số trưởng thành có tài khoản thanh toán điện tử",
     "Adults with an electronic payment account", 70, "%", "half"),
    ("Tỷ trọng kinh tế số trong GRDP",
     "Digital economy share of GRDP", 20, "%", "below_half"),
    ("Tỷ lệ doanh nghiệp nhỏ và vừa sử dụng nền tảng số",
     "Small and medium firms using digital platforms", 50, "%", "undetermined"),
    ("Tỷ lệ người dân có hồ sơ sức khỏe điện tử",
     "Residents with an electronic health record", 90, "%", "half"),
    ("Tỷ lệ cơ sở giáo dục sử dụng hồ sơ, sổ sách điện tử",
     "Schools keeping electronic records", 100, "%", "done"),
    ("Tỷ lệ cơ sở khám chữa bệnh thanh toán viện phí không dùng tiền mặt",
     "Clinics taking cashless hospital fees", 100, "%", "half"),
    ("Tỷ lệ xã, phường, thị trấn có điểm wifi công cộng",
     "Communes and wards with public wifi", 100, "%", "done"),
    ("Tỷ lệ hệ thống thông tin được phê duyệt cấp độ an toàn thông tin",
     "Information systems with an approved security level", 100, "%", "half"),
    ("Tỷ lệ cán bộ, công chức được bồi dưỡng kỹ năng số",
     "Civil servants trained in digital skills", 100, "%", "done"),
    ("Tỷ lệ cơ sở dữ liệu dùng chung kết nối qua nền tảng LGSP",
     "Shared databases connected through the LGSP", 100, "%", "done"),
    ("Tỷ lệ người dân trưởng thành có định danh điện tử",
     "Adults with an electronic identity", 70, "%", "half"),
    ("Tỷ trọng thương mại điện tử trong tổng mức bán lẻ",
     "E-commerce share of retail sales", 10, "%", "undetermined"),
    ("Tỷ lệ người dân, doanh nghiệp hài lòng với giải quyết thủ tục hành chính",
     "Residents and firms satisfied with procedures", 95, "%", "done"),
    ("Tỷ lệ UBND cấp xã có điểm cầu hội nghị truyền hình trực tuyến",
     "Commune committees with a video-conference room", 100, "%", "done"),
)  # fmt: skip
ACHIEVED = {"done": 1.0, "half": 0.5, "below_half": 0.3, "undetermined": None}

DEPARTMENT_TASKS = {
    "Sở Thông tin và Truyền thông": (
        "Nâng cấp Trung tâm điều hành thông minh (IOC) thành phố",
        "Nâng cấp nền tảng tích hợp, chia sẻ dữ liệu (LGSP) thành phố",
        "Triển khai Trung tâm giám sát an toàn, an ninh mạng (SOC)",
        "Vận hành đường dây nóng 1022 tiếp nhận phản ánh, kiến nghị",
    ),
    "Văn phòng UBND thành phố": (
        "Nâng cấp Hệ thống thông tin giải quyết thủ tục hành chính",
        "Kết nối Hệ thống thông tin báo cáo thành phố với Chính phủ",
        "Mở rộng hội nghị truyền hình trực tuyến đến cấp xã",
    ),
    "Sở Nội vụ": (
        "Số hóa tài liệu lưu trữ lịch sử",
        "Xây dựng cơ sở dữ liệu cán bộ, công chức, viên chức",
        "Bồi dưỡng kỹ năng số cho cán bộ, công chức",
    ),
    "Sở Kế hoạch và Đầu tư": (
        "Xây dựng cơ sở dữ liệu doanh nghiệp thành phố",
        "Hỗ trợ doanh nghiệp nhỏ và vừa chuyển đổi số",
    ),
    "Sở Tài chính": (
        "Xây dựng cơ sở dữ liệu giá",
        "Thanh toán trực tuyến phí, lệ phí thủ tục hành chính",
    ),
    "Sở Y tế": (
        "Triển khai hồ sơ sức khỏe điện tử",
        "Thanh toán viện phí không dùng tiền mặt",
        "Triển khai bệnh án điện tử tại bệnh viện công lập",
    ),
    "Sở Giáo dục và Đào tạo": (
        "Triển khai học bạ số",
        "Xây dựng cơ sở dữ liệu ngành giáo dục",
        "Thu học phí không dùng tiền mặt",
    ),
    "Sở Giao thông vận tải": (
        "Lắp đặt camera giám sát giao thông",
        "Xây dựng hệ thống điều khiển tín hiệu giao thông thông minh",
    ),
    "Sở Tài nguyên và Môi trường": (
        "Xây dựng cơ sở dữ liệu đất đai",
        "Lắp đặt trạm quan trắc môi trường tự động",
        "Xây dựng hệ thống cảnh báo ngập do triều cường",
    ),
    "Sở Công Thương": (
        "Đưa sản phẩm OCOP lên sàn thương mại điện tử",
        "Xây dựng mô hình chợ thanh toán không dùng tiền mặt",
    ),
    "Sở Nông nghiệp và Phát triển nông thôn": (
        "Truy xuất nguồn gốc nông sản bằng mã QR",
        "Xây dựng cơ sở dữ liệu vùng trồng",
    ),
    "Sở Văn hóa, Thể thao và Du lịch": (
        "Xây dựng cổng thông tin du lịch thông minh",
        "Số hóa di tích, hiện vật bảo tàng",
    ),
    "Sở Lao động – Thương binh và Xã hội": (
        "Chi trả trợ cấp xã hội không dùng tiền mặt",
        "Xây dựng cơ sở dữ liệu an sinh xã hội",
    ),
    "Công an thành phố": (
        "Triển khai Đề án 06 về dữ liệu dân cư, định danh điện tử",
        "Làm sạch dữ liệu dân cư phục vụ dịch vụ công",
    ),
}
DISTRICT_TASKS = (
    "Số hóa hồ sơ, kết quả giải quyết thủ tục hành chính",
    "Nâng tỷ lệ hồ sơ nộp trực tuyến",
    "Phổ biến kỹ năng số cho người dân",
    "Duy trì tổ công nghệ số cộng đồng",
    "Triển khai thanh toán không dùng tiền mặt tại chợ",
    "Kết nối hội nghị truyền hình đến cấp xã",
    "Bảo đảm an toàn thông tin cho hệ thống thông tin",
    "Sử dụng văn bản điện tử, chữ ký số trong chỉ đạo, điều hành",
)
# Tasks only some districts have, from the facts: two district IOC pilots, STEM in Ô Môn,
# public wifi in all 54 hamlets of Vĩnh Thạnh.
DISTRICT_EXTRA_TASKS = {
    "binh-thuy": ("Thí điểm Trung tâm điều hành thông minh cấp quận",),
    "phong-dien": ("Thí điểm Trung tâm điều hành thông minh cấp huyện",),
    "o-mon": ("Nhân rộng mô hình giáo dục STEM/STEAM",),
    "vinh-thanh": ("Lắp đặt wifi công cộng tại các ấp",),
}
TASK_STATUSES = {"done": 31, "in_progress": 68, "not_started": 6, "postponed": 1}
KEY_TASK_STATUSES = {"done": 9, "in_progress": 24}

PROVINCES = 63
# (year, pillar, rank, score). From the facts: 2022 overall 5th (0.6924), digital economy 6th,
# human resources 5th, cyber security 2nd (no scores given), about 15th in 2021. The rest is
# a plausible invention for the demo.
DTI = (
    (2021, "overall", 15, 0.4710), (2021, "digital_government", 18, 0.4920),
    (2021, "digital_economy", 14, 0.3580), (2021, "digital_society", 12, 0.4170),
    (2022, "overall", 5, 0.6924), (2022, "digital_government", 9, 0.7140),
    (2022, "digital_economy", 6, 0.5630), (2022, "digital_society", 4, 0.6810),
    (2022, "human_resources", 5, None), (2022, "cyber_security", 2, None),
    (2023, "overall", 7, 0.6490), (2023, "digital_government", 8, 0.6920),
    (2023, "digital_economy", 9, 0.5410), (2023, "digital_society", 6, 0.6380),
    (2024, "overall", 6, 0.7120), (2024, "digital_government", 7, 0.7450),
    (2024, "digital_economy", 8, 0.6030), (2024, "digital_society", 5, 0.7060),
)  # fmt: skip


def build_demo_warehouse(
    path: Path, *, today: date, seed: int = DEFAULT_SEED, areas_file: Path = DEFAULT_AREAS_FILE
) -> dict[str, int]:
    """Create the demo warehouse unless the file exists; return each table's row count."""
    path = Path(path)
    if path.exists():
        log.info("demo warehouse %s exists, left as it is", path)
        return table_counts(path)
    areas = load_areas(areas_file).areas
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    partial.unlink(missing_ok=True)
    try:
        with closing(sqlite3.connect(partial)) as conn:
            conn.executescript(SCHEMA)
            _fill(conn, areas, today=today, seed=seed)
            conn.commit()
        # A hard link appears whole or not at all and fails if the file exists, so a crash
        # leaves no half-built warehouse and a concurrent builder's file is never replaced.
        try:
            os.link(partial, path)
        except FileExistsError:
            log.info("demo warehouse %s appeared while building, left as it is", path)
        else:
            log.info("demo warehouse %s built with data until %s (seed %s)", path, today, seed)
    finally:
        partial.unlink(missing_ok=True)
    return table_counts(path)


def data_until(path: Path) -> date | None:
    """The last day of data in a warehouse file (None when unreadable)."""
    try:
        uri = f"{Path(path).resolve().as_uri()}?mode=ro"
        with closing(sqlite3.connect(uri, uri=True)) as conn:
            return date.fromisoformat(conn.execute("SELECT data_until FROM about").fetchone()[0])
    except (sqlite3.Error, TypeError, ValueError):
        return None


def ensure_demo_warehouse(path: Path, *, today: date) -> None:
    """Build the demo warehouse, again when its data ends before today (demo data only)."""
    path = Path(path)
    until = data_until(path) if path.exists() else None
    if path.exists() and until is not None and until >= today:
        return
    if path.exists():
        log.info("demo warehouse %s ends %s; building it again up to %s", path, until, today)
        path.unlink()
    build_demo_warehouse(path, today=today)


def table_counts(path: Path) -> dict[str, int]:
    """Count the rows of each warehouse table, reading the file only."""
    with closing(sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)) as conn:
        return {name: conn.execute(f"SELECT COUNT(*) FROM {name}").fetchone()[0] for name in TABLES}


def _fill(conn: sqlite3.Connection, areas: Sequence[Area], *, today: date, seed: int) -> None:
    built_at = datetime.now(UTC).isoformat(timespec="seconds")
    conn.execute(
        "INSERT INTO about VALUES (?, ?, ?, ?)", (SOURCE, built_at, today.isoformat(), seed)
    )
    conn.executemany(
        "INSERT INTO areas VALUES (?, ?, ?)", [(a.slug, a.name_vi, a.name_en) for a in areas]
    )
    conn.executemany("INSERT INTO dx_indicators VALUES (?, ?, ?, ?, ?, ?, ?, ?)", _indicator_rows())
    rng = random.Random(f"{seed}:tasks")
    pool = _task_pool(areas)
    tasks = _assign(rng, pool, TASK_STATUSES)
    conn.executemany(
        "INSERT INTO dx_tasks VALUES (?, ?, ?, ?, ?, ?)",
        [(i, PLAN, *task) for i, task in enumerate(tasks, 1)],
    )
    key_tasks = _assign(rng, pool, KEY_TASK_STATUSES)
    conn.executemany(
        "INSERT INTO key_tasks VALUES (?, ?, ?, ?, ?, ?)",
        [(i, KEY_TASKS_YEAR, *task) for i, task in enumerate(key_tasks, 1)],
    )
    conn.executemany(
        "INSERT INTO dti VALUES (?, ?, ?, ?, ?)",
        [(year, pillar, rank, PROVINCES, score) for year, pillar, rank, score in DTI],
    )
    days = [today - timedelta(days=back) for back in range(DAYS - 1, -1, -1)]
    for area in areas:
        service_rng = random.Random(f"{seed}:{area.slug}:service")
        conn.executemany(
            "INSERT INTO service_daily VALUES (?, ?, ?, ?, ?, ?, ?)",
            service_rows(area, days, service_rng),
        )
        hotline_rng = random.Random(f"{seed}:{area.slug}:hotline")
        conn.executemany(
            "INSERT INTO hotline_daily VALUES (?, ?, ?, ?, ?)",
            hotline_rows(area, days, hotline_rng, today=today),
        )


# dx_indicators: id, plan, name_vi, name_en, target, actual, unit, status.
IndicatorRow = tuple[int, str, str, str, float, float | None, str, str]
Task = tuple[str, str, str | None]  # title, owner, owner_district


def _indicator_rows() -> list[IndicatorRow]:
    rows: list[IndicatorRow] = []
    for i, (name_vi, name_en, target, unit, status) in enumerate(INDICATORS, 1):
        achieved = ACHIEVED[status]
        actual = None if achieved is None else round(target * achieved, 1)
        rows.append((i, PLAN, name_vi, name_en, target, actual, unit, status))
    return rows


def _task_pool(areas: Sequence[Area]) -> list[Task]:
    """List every (title, owner, owner_district) a task can have."""
    pool: list[Task] = [
        (title, owner, None) for owner, titles in DEPARTMENT_TASKS.items() for title in titles
    ]
    for area in areas:
        owner = " ".join(filter(None, ("UBND", KIND_WORDS.get(area.kind), area.name_vi)))
        titles = DISTRICT_TASKS + DISTRICT_EXTRA_TASKS.get(area.slug, ())
        pool.extend((title, owner, area.slug) for title in titles)
    return pool


def _assign(
    rng: random.Random, pool: Sequence[Task], statuses: dict[str, int]
) -> list[tuple[str, str, str | None, str]]:
    """Draw as many distinct tasks as the statuses count and give each one a status."""
    wanted = [status for status, count in statuses.items() for _ in range(count)]
    rng.shuffle(wanted)
    return [
        (*task, status) for task, status in zip(rng.sample(pool, len(wanted)), wanted, strict=True)
    ]


def main(argv: list[str] | None = None) -> int:
    """Build the demo warehouse from the command line and show its row counts."""
    parser = argparse.ArgumentParser(
        prog="python -m feeds.demo.warehouse",
        description="Build the demo SQL warehouse (DEMO data) unless the file exists.",
    )
    parser.add_argument("--path", type=Path, default=DEFAULT_PATH, help="SQLite file to create")
    parser.add_argument(
        "--today", type=date.fromisoformat, help="last day of data, YYYY-MM-DD (default: today)"
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    today = args.today or datetime.now(LOCAL_TZ).date()
    existed = args.path.exists()
    counts = build_demo_warehouse(args.path, today=today, seed=args.seed)
    print(f"{args.path}: " + ("exists, left as it is" if existed else f"DEMO data until {today}"))
    for name, count in counts.items():
        print(f"  {name:<15} {count:>6} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
