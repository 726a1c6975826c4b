"""Reading YAML a person (or anyone) wrote, with bounded time and memory.

A safe loader still lets a small file describe a huge value: "billion
laughs" aliases (``b: [*a, *a, ...]`` nested ten deep) expand 814 bytes into
a billion nodes, which every later walk over the value (validation, a copy,
a message) pays for; thousands of nested brackets overflow the composer's
recursion; a 5,000-digit integer fails deep inside PyYAML. ``load`` refuses
each of these with one line naming the file, before constructing anything:

- the text is at most ``MAX_BYTES``;
- the document, with every alias expanded, has at most ``MAX_NODES`` nodes
  and is at most ``MAX_DEPTH`` levels deep (counted without building it, and
  the count stops at the bound, so a bomb costs microseconds);
- characters YAML forbids (a NUL byte) and numbers Python will not convert
  are reported in one line.

Other YAML errors (syntax) propagate as ``yaml.YAMLError`` for the caller to
report with their line and column.
"""
from __future__ import annotations

import yaml

from .errors import ConfigError

MAX_BYTES = 1 << 20      # a config is a page or two; this is a thousand times that
MAX_NODES = 100_000      # scalars, lists and mappings after alias expansion
MAX_DEPTH = 64           # nesting of lists and mappings


class _DepthLimit:
    """Mixed into a loader class: stop composing past ``MAX_DEPTH`` levels,
    long before Python's recursion limit (the composer recurses per level)."""

    _depth = 0

    def compose_node(self, parent, index):
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _TooDeep
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _TooDeep(Exception):
    pass


_BOUNDED = {}


def _bounded(loader_class):
    if loader_class not in _BOUNDED:
        _BOUNDED[loader_class] = type(f"Bounded{loader_class.__name__}", (_DepthLimit, loader_class), {})
    return _BOUNDED[loader_class]


def load(text: str, loader_class=yaml.SafeLoader, source: str = "<yaml>"):
    """``yaml.load(text, loader_class)`` within the bounds above; ConfigError (one line) beyond them."""
    if len(text) > MAX_BYTES:
        raise ConfigError(f"{source}: is {len(text):,} characters long; a config is at most {MAX_BYTES:,}")
    try:
        loader = _bounded(loader_class)(text)  # the reader checks the characters here
    except yaml.reader.ReaderError as err:
        raise ConfigError(f"{source}: {_reader_problem(err)}") from None
    try:
        try:
            node = loader.get_single_node()
        except (RecursionError, _TooDeep):
            raise ConfigError(f"{source}: nested too deeply (more than {MAX_DEPTH} levels)") from None
        except yaml.reader.ReaderError as err:
            raise ConfigError(f"{source}: {_reader_problem(err)}") from None
        if node is None:
            return None
        _check_size(node, source)
        try:
            return loader.construct_document(node)
        except ValueError as err:  # e.g. int() of more than 4,300 digits
            raise ConfigError(f"{source}: a value YAML cannot convert: {_first_line(err)}") from None
    finally:
        loader.dispose()


def _check_size(root, source: str):
    """Walk the composed document as if its aliases were expanded, without
    expanding them, stopping as soon as a bound is crossed."""
    count = 0
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise ConfigError(f"{source}: expands to more than {MAX_NODES:,} values (through its aliases "
                              f"'*name'); a config is far smaller")
        if depth > MAX_DEPTH:
            raise ConfigError(f"{source}: nested too deeply (more than {MAX_DEPTH} levels)")
        if isinstance(node, yaml.SequenceNode):
            stack.extend((child, depth + 1) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.append((key, depth + 1))
                stack.append((value, depth + 1))


def _reader_problem(err) -> str:
    code = getattr(err, "character", None)
    where = f" at character {err.position + 1}" if getattr(err, "position", None) is not None else ""
    if code in (0, "\x00"):
        return f"contains a NUL byte{where}; a config is plain UTF-8 text"
    shown = f"#x{ord(code):04x}" if isinstance(code, str) else f"#x{code:04x}" if isinstance(code, int) else "?"
    return f"contains the control character {shown}{where}, which YAML does not allow; a config is plain text"


def _first_line(err) -> str:
    text = str(err).splitlines()[0] if str(err) else type(err).__name__
    return text if len(text) <= 120 else text[:117] + "..."
