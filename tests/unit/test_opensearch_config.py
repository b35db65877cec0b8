"""The opensearch role's opensearch.yml, rendered by Ansible for the production inventory as a
site's run would, after the role's prechecks: disk-based allocation takes the watermarks it is
given (OpenSearch's defaults at a site; free space where nodes share one disk), and watermarks
OpenSearch would refuse at start, or that would stop allocation before moving shards, fail the
prechecks before any change."""

import pytest
import yaml

from conftest import render_role_files

SECRETS = {"opensearch_admin_password": "Admin-render-only-0123456789"}
WATERMARK = "cluster.routing.allocation.disk.watermark."


def render(tmp_path, **extra) -> tuple[int, dict, str]:
    proc = render_role_files(
        "opensearch", ["opensearch.yml"], tmp_path, "data", {**SECRETS, **extra}
    )
    out = proc.stdout + proc.stderr
    if proc.returncode != 0:
        return proc.returncode, {}, out
    return 0, yaml.safe_load((tmp_path / "opensearch.yml").read_text()), out


def test_a_site_keeps_opensearch_s_own_watermarks(tmp_path):
    rc, conf, out = render(tmp_path)
    assert rc == 0, out[-3000:]
    marks = {k.removeprefix(WATERMARK): v for k, v in conf.items() if k.startswith(WATERMARK)}
    assert marks == {"low": "85%", "high": "90%", "flood_stage": "95%"}
    assert conf["cluster.routing.allocation.awareness.attributes"] == "zone"


def test_free_space_watermarks_for_nodes_sharing_a_disk(tmp_path):
    rc, conf, out = render(
        tmp_path, opensearch_disk_watermarks={"low": "4gb", "high": "3gb", "flood_stage": "2gb"}
    )
    assert rc == 0, out[-3000:]
    assert [conf[WATERMARK + k] for k in ("low", "high", "flood_stage")] == ["4gb", "3gb", "2gb"]


@pytest.mark.parametrize(
    "marks",
    [
        {"low": "85%", "high": "3gb", "flood_stage": "2gb"},  # a mix
        {"low": "90%", "high": "85%", "flood_stage": "95%"},  # percentages not rising
        {"low": "85%", "high": "90%", "flood_stage": "101%"},  # past the whole disk
        {"low": "2gb", "high": "3gb", "flood_stage": "1gb"},  # free space not falling
        {"low": "lots", "high": "3gb", "flood_stage": "2gb"},  # not a size
    ],
)
def test_watermarks_opensearch_would_refuse_fail_the_prechecks(tmp_path, marks):
    rc, _, out = render(tmp_path, opensearch_disk_watermarks=marks)
    assert rc != 0
    assert "opensearch_disk_watermarks must be three percentages" in out, out[-3000:]
    assert not (tmp_path / "opensearch.yml").exists()
