"""``--help`` of every command and group, as a person reads it at 80 columns:
a usage line naming the arguments as the help does, no value type after a
flag that takes none, and examples everywhere (the README promises them)."""
from __future__ import annotations

import pytest

from conftest import run_cli

COMMANDS = [[], ["train"], ["eval"], ["predict"], ["summary"], ["lr-find"], ["gradcheck"], ["export"],
            ["config"], ["config", "show"], ["config", "check"], ["data"], ["data", "download"], ["data", "info"],
            ["data", "verify"], ["runs"], ["runs", "compare"], ["runs", "export"]]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "nettrain")
def test_help_has_examples_a_plain_usage_line_and_no_types_on_flags(command, monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "80")
    code, out, err = run_cli([*command, "--help"], capsys)
    assert code == 0, err
    lines = out.splitlines()
    usage = lines[0]
    assert usage.startswith(" ".join(["Usage: nettrain", *command])) and "{" not in usage, usage
    assert "Example" in out
    examples = [line for line in lines if line.strip().startswith(("nettrain ", "mpiexec "))]
    assert examples and all(line.startswith("      ") for line in examples)  # indented, one per line
    for flag in ("--json", "--list", "--help", "--fast-dev-run"):
        assert not any(line.split()[:1] == [flag] and "<" in line for line in lines), flag
    assert "<bool>" not in out and "<list[" not in out.replace("<list[Path]>", "")
    assert all(len(line) <= 80 for line in lines if line not in examples)  # commands stay whole, to copy
