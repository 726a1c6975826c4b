"""YAML with bounded time and memory: alias bombs, deep nesting, NUL bytes and
huge numbers are one-line ConfigErrors, raised before anything is built."""
from __future__ import annotations

import pytest
import yaml
from conftest import run_cli

from nettrain import bounded_yaml
from nettrain.errors import ConfigError

# 814 bytes that expand to 9**9 (387 million) strings.
BILLION_LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(8))


@pytest.mark.parametrize("text, words", [
    pytest.param(BILLION_LAUGHS, ["expands to more than 100,000 values"], id="billion laughs"),
    pytest.param("x: &x [*x]\n", ["nested too deeply"], id="a recursive alias"),
    pytest.param("a: " + "[" * 5000 + "]" * 5000 + "\n", ["nested too deeply"], id="5000 brackets deep"),
    pytest.param("a: " + "{b: " * 100 + "1" + "}" * 100 + "\n", ["nested too deeply"], id="100 mappings deep"),
    pytest.param("name: run\x00\n", ["NUL byte at character 10"], id="NUL byte"),
    pytest.param("seed: " + "9" * 5000 + "\n", ["cannot convert", "digits"], id="5000-digit integer"),
    pytest.param("a: " + "x" * (2 << 20) + "\n", ["characters long"], id="a huge file"),
])
def test_hostile_yaml_is_one_line_before_anything_is_built(text, words):
    with pytest.raises(ConfigError) as info:
        bounded_yaml.load(text, source="c.yaml")
    message = str(info.value)
    assert message.startswith("c.yaml: ") and "\n" not in message
    for word in words:
        assert word in message


def test_ordinary_yaml_with_aliases_loads_as_yaml_would():
    text = "base: &b {lr: 0.1, momentum: 0.9}\nrun: *b\nlist: [1, 2, 3]\n"
    assert bounded_yaml.load(text) == yaml.safe_load(text)


def test_syntax_errors_are_left_to_the_caller_with_their_line():
    with pytest.raises(yaml.YAMLError):
        bounded_yaml.load("a: [1, 2\n")


@pytest.mark.parametrize("text, args, words", [
    pytest.param(BILLION_LAUGHS, [], ["expands to more than"], id="a billion laughs config"),
    pytest.param("name: run\x00\n", [], ["NUL byte"], id="a NUL byte in the config"),
    pytest.param("name: run\n", ["--set", "seed=" + "9" * 5000], ["--set seed=999", "cannot convert"],
                 id="a 5000-digit --set"),
    pytest.param("seed: [" + ", ".join(["[1, 2, 3]"] * 3000) + "]\n", [], ["seed", "(a list)"],
                 id="a long list in a message"),
])
def test_the_cli_reports_hostile_configs_in_one_line(text, args, words, tmp_path, capsys):
    config = tmp_path / "hostile.yaml"
    config.write_text(text)
    code, out, err = run_cli(["train", config, "--runs-dir", tmp_path / "runs", *args], capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and len(lines[0]) < 400, err
    for word in words:
        assert word in err
    assert not (tmp_path / "runs").exists()
