"""roles/logs/files/mach-logs-metrics, the script rsyslog feeds its impstats lines to (omprog):
each line updates its counter set and the .prom file is rewritten whole, in the text format
node_exporter's textfile collector reads (checked here with promtool, as Prometheus parses)."""

import subprocess
import sys

from conftest import ROOT

SCRIPT = ROOT / "roles/logs/files/mach-logs-metrics"
LINES = [
    '{ "name": "imjournal", "origin": "imjournal", "submitted": 120, "read": 121, "discarded": 0 }',
    '{ "name": "omelasticsearch", "origin": "omelasticsearch", "submitted": 100, "failed.es": 2 }',
    '{ "name": "mach-logs-search-cluster queue", "origin": "core.queue", "size": 7, "full": 0 }',
    '{ "name": "main Q", "origin": "core.queue", "size": 1 }',
    '{ "name": "resource-usage", "origin": "impstats", "utime": 5000 }',
    "not a statistics line",
    '{ "name": "mach-logs-search-cluster queue", "origin": "core.queue", "size": 9, "full": 1 }',
]


def write(tmp_path, lines):
    prom = tmp_path / "mach_logs.prom"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), str(prom)],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert proc.returncode == 0, proc.stderr
    return prom


def test_latest_value_of_each_kept_counter_set_is_exported(tmp_path):
    prom = write(tmp_path, LINES)
    text = prom.read_text()
    assert 'name="mach-logs-search-cluster queue",counter="size"} 9\n' in text
    assert 'name="mach-logs-search-cluster queue",counter="full"} 1\n' in text
    assert 'origin="omelasticsearch",name="omelasticsearch",counter="failed.es"} 2\n' in text
    assert 'origin="imjournal",name="imjournal",counter="read"} 121\n' in text
    assert 'name="main Q",counter="size"} 1\n' in text
    assert "resource-usage" not in text  # only the shipping path's sets
    assert oct(prom.stat().st_mode & 0o777) == "0o644"
    assert not list(tmp_path.glob("*.tmp"))


def test_the_file_is_valid_exposition_format(tmp_path, promtool):
    prom = write(tmp_path, LINES)
    proc = subprocess.run(
        [promtool, "check", "metrics"],
        stdin=prom.open(),
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    # promtool's lint may advise on names; the exit code says whether it parsed.
    assert proc.returncode == 0, proc.stdout + proc.stderr
