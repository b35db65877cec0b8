"""Unit tests of the inventory rules (pure function; the play test runs them via Ansible)."""

from ansible_collections.mach.platform.plugins.filter.inventory import (
    FilterModule,
    check_inventory,
    inventory_problems,
)

RULES = {
    "zones": ["zone-a", "zone-b", "zone-c"],
    "node_groups": ["data", "app", "observability"],
    "quorum_groups": ["data"],
    "required_vars": ["mach_env"],
    "required_host_vars": ["mach_zone"],
    "group_ports": {
        "all": [{"port": 9100, "proto": "tcp", "unit": "node-exporter"}],
        "data": [{"port": 9093, "proto": "tcp", "unit": "kafka"}],
        "observability": [{"port": 9093, "proto": "tcp", "unit": "alertmanager"}],
        "app": [{"port": 9093, "proto": "udp", "unit": "something"}],
    },
}


def fleet(**zones):
    return {h: {"mach_zone": z, "mach_env": "test"} for h, z in zones.items()}


def test_valid_three_zone_fleet():
    hosts = fleet(a1="zone-a", b1="zone-b", c1="zone-c")
    groups = {"all": list(hosts), "data": ["a1", "b1", "c1"], "app": ["a1"]}
    assert check_inventory(hosts, groups, RULES) == []


def test_even_quorum_group():
    hosts = fleet(a1="zone-a", b1="zone-b", c1="zone-c", a2="zone-a")
    groups = {"all": list(hosts), "data": ["a1", "b1", "c1", "a2"]}
    problems = check_inventory(hosts, groups, RULES)
    assert any(p.startswith("quorum group data has 4 members (a1, a2, b1, c1)") for p in problems)
    # 2 of 4 in zone-a: losing zone-a loses the majority
    assert any("2 of 4 members (a1, a2) are in zone-a" in p for p in problems)


def test_five_members_over_three_zones_is_fine():
    hosts = fleet(a1="zone-a", a2="zone-a", b1="zone-b", b2="zone-b", c1="zone-c")
    groups = {"all": list(hosts), "data": list(hosts)}
    assert check_inventory(hosts, groups, RULES) == []


def test_single_member_quorum_is_allowed():
    hosts = fleet(a1="zone-a", b1="zone-b", c1="zone-c")
    assert check_inventory(hosts, {"all": list(hosts), "data": ["a1"]}, RULES) == []


def test_missing_and_unknown_zone_and_empty_zone():
    hosts = {"a1": {"mach_env": "t"}, "b1": {"mach_zone": "zone-q", "mach_env": "t"}}
    problems = check_inventory(hosts, {"all": ["a1", "b1"]}, RULES)
    assert (
        "host a1: mach_zone is not set; set it in hosts.yml (one of zone-a, zone-b, zone-c)"
        in problems
    )
    assert any(
        p.startswith("host b1: mach_zone 'zone-q' is not one of mach_zones") for p in problems
    )
    assert sum(p.startswith("zone ") and "has no hosts" in p for p in problems) == 3


def test_required_var_missing():
    hosts = {h: {"mach_zone": z} for h, z in [("a", "zone-a"), ("b", "zone-b"), ("c", "zone-c")]}
    problems = check_inventory(hosts, {"all": list(hosts)}, RULES)
    assert problems == ["mach_env is not set; set it in the inventory's group_vars/all/99-env.yml"]


def test_unknown_group():
    hosts = fleet(a1="zone-a", b1="zone-b", c1="zone-c")
    problems = check_inventory(hosts, {"all": list(hosts), "dbs": ["a1"], "ungrouped": []}, RULES)
    assert problems == [
        "group dbs (hosts a1) is not a node group; use one of app, data, observability"
    ]


def test_port_claimed_twice_on_one_host():
    hosts = fleet(a1="zone-a", b1="zone-b", c1="zone-c")
    groups = {
        "all": list(hosts),
        "data": ["a1", "b1", "c1"],
        "observability": ["b1"],
        "app": ["b1"],
    }
    problems = check_inventory(hosts, groups, RULES)
    # tcp/9093 clashes on b1 only; udp/9093 (app) is another socket
    assert problems == [
        "host b1: port 9093/tcp is claimed by groups data and observability; move the host out "
        "of one group or change one service's port in mach_group_ports"
    ]


def test_filter_adapter_reads_only_the_variables_it_needs():
    class LazyHostvars(dict):
        """Stands in for Ansible's HostVars: a mapping of host to a mapping of vars."""

    hv = LazyHostvars(fleet(a1="zone-a", b1="zone-b", c1="zone-c"))
    for v in hv.values():
        v["secret"] = "never read"
    groups = {"all": ["a1", "b1", "c1"], "data": ["a1", "b1", "c1"]}
    assert inventory_problems(hv, groups, RULES) == []
    assert FilterModule().filters()["inventory_problems"] is inventory_problems
