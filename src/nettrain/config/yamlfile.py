"""Reading a YAML config file: duplicate keys refused, 1e-3 read as a number, errors with line and column."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

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


def read_yaml(path: Path):
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
        return yaml.load(text, Loader=Loader)
    except yaml.YAMLError as err:
        raise yaml_error(str(path), err) from None

