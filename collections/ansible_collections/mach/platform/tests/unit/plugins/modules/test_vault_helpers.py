"""Unit tests of the Vault modules' pure helpers (the modules themselves run against a real
OpenBao server in tests/integration/test_vault_modules.py)."""

import pytest

from ansible_collections.mach.platform.plugins.module_utils.vault import (
    VaultError,
    connection_spec,
    seconds,
)
from ansible_collections.mach.platform.plugins.modules.vault_policy import normalise


@pytest.mark.parametrize(
    ("given", "expected"),
    [(3600, 3600), ("90", 90), ("90s", 90), ("1h30m", 5400), ("768h", 2764800), ("2d", 172800)],
)
def test_durations_become_seconds(given, expected):
    assert seconds(given) == expected


@pytest.mark.parametrize("bad", ["12x", "1h30", "h", "-5"])
def test_bad_durations_name_the_fix(bad):
    with pytest.raises(VaultError) as err:
        seconds(bad)
    assert "duration" in str(err.value)


def test_policy_comparison_ignores_only_insignificant_whitespace():
    rules = 'path "kv/*" {\n  capabilities = ["read"]\n}'
    assert normalise(rules + "  \n\n") == normalise("\n" + rules)
    assert normalise(rules) != normalise(rules.replace("read", "list"))


def test_token_is_never_logged():
    assert connection_spec()["token"]["no_log"] is True
