"""bench.scale's smoke run (--quick) on the test PostgreSQL: it loads, prunes and measures.

The figures are not asserted (they go to docs/performance.md); what a reader of them
relies on is: the load holds what it says, pruning took exactly the oldest day, and
every page it times was built.
"""

from __future__ import annotations

import pytest

from bench import scale
from tests.conftest import TEST_DATABASE_URL

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not TEST_DATABASE_URL, reason="needs IOC_TEST_DATABASE_URL (PostgreSQL)"),
]


def test_the_quick_scale_run_loads_prunes_one_day_and_times_every_page():
    args = scale.parse_args(["--quick", "--database-url", TEST_DATABASE_URL])
    result = scale.run(args)
    loaded, got = result["load"], result["measured"]
    # 300 sources, one reading a minute: the first day is 432,000 rows, of which
    # bench.history writes the last hour's when the run is just after midnight UTC;
    # pruning at the end of that day drops its partition whole.
    assert 0 < loaded["first_day_rows"] <= got["prune_day_rows"] <= 300 * 1440
    assert loaded["raw_rows"] >= loaded["first_day_rows"]
    assert result["sizes"]["tables"]["readings"] > 0
    for key in ("wall_ms", "district_30d_traffic_ms", "district_30d_wifi_ms",
                "district_30d_services_ms"):  # fmt: skip
        assert got[key]["n"] == args.samples
    assert got["briefing_s"]["n"] == 3
    assert "prune one day" in scale.report(result)
