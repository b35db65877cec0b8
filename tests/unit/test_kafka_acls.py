"""mach.platform.kafka_acls_missing reads AclCommand's listing and returns only what is missing,
grouped into one AclCommand --add per user and resource."""

from ansible_collections.mach.platform.plugins.filter.kafka import kafka_acls_missing

HEAD = "Current ACLs for resource `ResourcePattern(resourceType={}, name={}, patternType={})`:"
LISTING = f"""\
{HEAD.format("TOPIC", "order.events", "LITERAL")}
 \t(principal=User:order, host=*, operation=WRITE, permissionType=ALLOW)
\t(principal=User:order, host=*, operation=DESCRIBE, permissionType=ALLOW)
\t(principal=User:inventory, host=*, operation=READ, permissionType=DENY)

{HEAD.format("GROUP", "inventory", "LITERAL")}
 \t(principal=User:inventory, host=*, operation=READ, permissionType=ALLOW)

{HEAD.format("TOPIC", "order.", "PREFIXED")}
 \t(principal=User:search, host=*, operation=READ, permissionType=ALLOW)

{HEAD.format("TOPIC", "catalog.events", "LITERAL")}
 \t(principal=User:search, host=10.0.0.1, operation=READ, permissionType=ALLOW)
"""


def test_rules_held_are_not_added_again():
    acls = [
        {"user": "order", "operation": "write", "topic": "order.events"},
        {"user": "order", "operation": "describe", "topic": "order.events"},
        {"user": "inventory", "operation": "read", "group": "inventory"},
    ]
    assert kafka_acls_missing(LISTING, acls) == []


def test_missing_rules_are_grouped_per_user_and_resource():
    acls = [
        # a DENY rule is not the ALLOW wanted
        {"user": "inventory", "operation": "read", "topic": "order.events"},
        {"user": "inventory", "operation": "describe", "topic": "order.events"},
        {"user": "inventory", "operation": "write", "topic": "order.events.dlq"},
        # a prefixed rule and a rule for one host do not cover the literal rule for any host
        {"user": "search", "operation": "read", "topic": "order.events"},
        {"user": "search", "operation": "read", "topic": "catalog.events"},
        # the same user's name on another resource type
        {"user": "order", "operation": "read", "group": "order.events"},
    ]
    assert kafka_acls_missing(LISTING, acls) == [
        {
            "user": "inventory",
            "resource": ["--topic", "order.events"],
            "operations": ["READ", "DESCRIBE"],
        },
        {"user": "inventory", "resource": ["--topic", "order.events.dlq"], "operations": ["WRITE"]},
        {"user": "search", "resource": ["--topic", "order.events"], "operations": ["READ"]},
        {"user": "search", "resource": ["--topic", "catalog.events"], "operations": ["READ"]},
        {"user": "order", "resource": ["--group", "order.events"], "operations": ["READ"]},
    ]


def test_an_empty_cluster_lacks_everything():
    acls = [{"user": "order", "operation": "Write", "topic": "order.events"}] * 2
    assert kafka_acls_missing("", acls) == [
        {"user": "order", "resource": ["--topic", "order.events"], "operations": ["WRITE"]}
    ]
