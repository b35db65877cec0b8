"""mach_ops.runs: the PLAY RECAP read from plain and from coloured output."""

from mach_ops.runs import plain, recap

PLAIN = (
    "PLAY RECAP *********************************************************************\n"
    "mach-a1                    : ok=142  changed=0    unreachable=0    failed=0    "
    "skipped=31   rescued=0    ignored=0\n"
    "localhost                  : ok=3    changed=1    unreachable=0    failed=0    "
    "skipped=0    rescued=0    ignored=0\n"
)

COLOURED = (
    "PLAY RECAP *****\n"
    "\x1b[0;33mos-a\x1b[0m                       : \x1b[0;32mok=6   \x1b[0m "
    "\x1b[0;33mchanged=1   \x1b[0m unreachable=0    \x1b[0;31mfailed=1   \x1b[0m "
    "skipped=0    rescued=0    ignored=0\n"
)


def test_every_counter_per_host():
    assert recap(PLAIN) == {
        "mach-a1": {"ok": 142, "changed": 0, "unreachable": 0, "failed": 0, "skipped": 31,
                    "rescued": 0, "ignored": 0},
        "localhost": {"ok": 3, "changed": 1, "unreachable": 0, "failed": 0, "skipped": 0,
                      "rescued": 0, "ignored": 0},
    }  # fmt: skip


def test_colours_are_ignored():
    assert recap(COLOURED) == {
        "os-a": {"ok": 6, "changed": 1, "unreachable": 0, "failed": 1, "skipped": 0,
                 "rescued": 0, "ignored": 0},
    }  # fmt: skip
    assert "\x1b" not in plain(COLOURED)


def test_task_lines_are_not_a_recap():
    assert recap("TASK [x : y] ***\nok: [mach-a1] => changed=0\n") == {}
