"""Unit tests of member_urls (pure function; the jaeger and logs scenarios use it via Ansible)."""

from ansible_collections.mach.platform.plugins.filter.endpoints import FilterModule, member_urls


def test_each_member_at_its_own_address_and_port_else_its_name_and_the_default():
    hostvars = {
        "os-a": {"opensearch_network_host": "127.31.0.11", "opensearch_http_port": 9201},
        "os-b": {"opensearch_network_host": "127.31.0.12"},
        "os-c": {},
    }
    names = ("opensearch_network_host", "opensearch_http_port")
    urls = member_urls(["os-a", "os-b", "os-c"], hostvars, "https", *names, 9200)
    assert urls == ["https://127.31.0.11:9201", "https://127.31.0.12:9200", "https://os-c:9200"]


def test_no_member_no_url_and_the_filter_is_registered():
    assert member_urls([], {}, "https", "h", "p", 1) == []
    assert FilterModule().filters()["member_urls"] is member_urls
