"""Reading a YAML config file: duplicate keys refused, 1e-3 read as a number, errors with line and column."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

from .. import bounded_yaml
from ..errors import ConfigError


class Loader(yaml.SafeLoader):
    """yaml.SafeLoader that refuses duplicate keys and reads 1e-3 as a number.

    PyYAML follows YAML 1.1, where a float needs a dot, so ``lr: 1e-3`` would
    be the string "1e-3"; YAML 1.2 (and every person) reads it as 0.001.
    Quoted values stay strings.
    """

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            name = self.construct_object(key_node, deep=deep)
            if isinstance(name, (str, int, float, bool)) or name is None:
                if name in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"key {name!r} appears twice in the same mapping", key_node.start_mark)
                seen.add(name)
        return super().construct_mapping(node, deep)


Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


def yaml_error(origin: str, err: yaml.YAMLError) -> ConfigError:
    mark = getattr(err, "problem_mark", None)
    problem = getattr(err, "problem", None) or str(err)
    context = getattr(err, "context", None)
    detail = f"{problem} ({context})" if context else problem
    if mark is None:
        return ConfigError(f"{origin}: invalid YAML: {detail}")
    return ConfigError(f"{origin}: invalid YAML at line {mark.line + 1}, column {mark.column + 1}: {detail}")


def read_yaml(path: Path) -> tuple:
    """The file's value (within ``bounded_yaml``'s limits) and where each value sits in it (``value_marks``)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder, not a config file") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: is not a UTF-8 text file") from None
    except OSError as err:
        raise ConfigError(f"{path}: cannot be read ({err.strerror})") from None
    try:
        data = bounded_yaml.load(text, Loader, str(path))
        # Composed again only once the bounds are known to hold: a config is small.
        marks = value_marks(yaml.compose(text, Loader=Loader)) if data is not None else {}
    except yaml.YAMLError as err:
        raise yaml_error(str(path), err) from None
    return data, marks


def value_marks(node, path: tuple = ()) -> dict:
    """{(key, key, index, ...): (line, column)} (1-based) of every value in a composed document,
    so that a message about a value can say where it is, as a YAML syntax error does."""
    marks = {path: (node.start_mark.line + 1, node.start_mark.column + 1)}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                marks.update(value_marks(value_node, path + (key_node.value,)))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            marks.update(value_marks(item, path + (index,)))
    return marks


def load_text(text: str, origin: str):
    """YAML text (a --set value) -> value with ``Loader``, within bounded_yaml's
    limits (alias expansion, depth, size: one-line ConfigErrors); syntax errors
    with line and column."""
    try:
        return bounded_yaml.load(text, Loader, origin)
    except yaml.YAMLError as err:
        raise yaml_error(origin, err) from None

