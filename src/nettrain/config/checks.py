"""The checks a config value goes through, and where a value sits (for messages).

Each check names what it expects ("an integer >= 1", used in messages and in
the README's reference) and returns the resolved value or fails with one
message: ``<file>: <dotted.key>: expected ..., got ...``.
"""
from __future__ import annotations

import dataclasses
import math
import re
import reprlib
from dataclasses import dataclass
from typing import Any, NoReturn

import yaml

from ..errors import ConfigError
from .yamlfile import Loader


# ---------------------------------------------------------------------------
# Where a value sits, for messages
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Where:
    """The file and the dotted key a value came from; ``fail`` raises the one message."""

    source: str
    path: tuple = ()
    # (path, "--set a.b=value" or "--epochs 3") for every override, so that a
    # message about a key an override set names the option as well as the file.
    overrides: tuple = ()
    # {path: (line, column)} of the values in the file (yamlfile.value_marks); None for a mapping.
    marks: Any = None

    def child(self, key) -> Where:
        return dataclasses.replace(self, path=self.path + (key,))

    def dotted(self) -> str:
        text = ""
        for part in self.path:
            part = part if isinstance(part, int) else shorten(str(part), 60)  # a key may be any length
            text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
        return text

    def fail(self, problem: str) -> NoReturn:
        origin = self._position()
        for path, text in self.overrides:
            shorter = min(len(path), len(self.path))
            if self.path and path[:shorter] == self.path[:shorter]:
                origin = f"{self.source} ({shorten(text, 86)})"
                break
        where = f"{origin}: {self.dotted()}" if self.path else origin
        raise ConfigError(f"{where}: {problem}")

    def _position(self) -> str:
        """``file:line:column`` of the value (or of the nearest section around a missing key)."""
        if not self.marks:
            return self.source
        for end in range(len(self.path), -1, -1):
            mark = self.marks.get(self.path[:end])
            if mark is not None:
                return f"{self.source}:{mark[0]}:{mark[1]}"
        return self.source


# Messages show a value a person gave, never more than a line of it: a
# value can be a million characters, a 4,000-digit number or a list nested
# thousands deep, and repr() of those is unbounded (or fails).
_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxlist, _REPR.maxdict, _REPR.maxstring, _REPR.maxother = 3, 6, 6, 60, 60


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe(value) -> str:
    """How a message shows a value a person gave: the value (cut short) and what kind it is."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, int):
        if abs(value).bit_length() > 60:
            return f"an integer of about {int(abs(value).bit_length() * 0.30103) + 1:,} digits"
        return f"{value} (an integer)"
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan (not a number)"
        if math.isinf(value):
            return f"{'-' if value < 0 else ''}.inf (infinite)"
        return f"{value!r} (a float)"
    if isinstance(value, str):
        # A quoted number or boolean is the commonest slip: say how to fix it.
        try:
            unquoted = yaml.load(value, Loader=Loader) if len(value) <= 40 else value
        except (yaml.YAMLError, ValueError):
            unquoted = value
        if isinstance(unquoted, (bool, int, float)):
            return f"{_REPR.repr(value)} (a string; write it without quotes)"
        return f"{_REPR.repr(value)} (a string)"
    if isinstance(value, list):
        return f"{_REPR.repr(value)} (a list)"
    if isinstance(value, dict):
        if not value:
            return "an empty mapping"
        keys = [shorten(str(k), 40) for k in list(value)[:8]]
        more = f" and {len(value) - 8:,} more" if len(value) > 8 else ""
        return f"a mapping with keys {', '.join(keys)}{more}"
    return f"{_REPR.repr(value)} (a {type(value).__name__})"


def did_you_mean(given: str, options) -> str:
    """ "; did you mean 'x'?" when an option is really close to what was given, else "".

    Really close: at most one slip per four letters of the option (``slips``),
    or else the one option that what was given is the start of, or starts
    with ('fashion' for 'fashion-mnist', 'lrr' for 'lr'). A guess further off
    misleads ('resnet' is not 'lenet'); the message's list of what is allowed
    says more then.
    """
    text = str(given).lower()
    lowered = {str(option).lower(): option for option in options}
    near = [(slips(text, name), name) for name in lowered
            if abs(len(text) - len(name)) <= len(name) // 4 and slips(text, name) <= len(name) // 4]
    if near:
        closest = min(near, key=lambda pair: pair[0])[1]
        return f"; did you mean {lowered[closest]!r}?"
    started = [name for name in lowered
               if min(len(text), len(name)) >= 2 and (name.startswith(text) or text.startswith(name))]
    return f"; did you mean {lowered[started[0]]!r}?" if len(started) == 1 else ""


def slips(typed: str, meant: str) -> int:
    """How many typing slips turn ``meant`` into ``typed``: a letter added,
    dropped or changed, or two neighbours swapped, each one slip (the
    optimal string alignment distance)."""
    before, previous = None, list(range(len(meant) + 1))
    for i in range(1, len(typed) + 1):
        current = [i] + [0] * len(meant)
        for j in range(1, len(meant) + 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1,
                             previous[j - 1] + (typed[i - 1] != meant[j - 1]))
            if i > 1 and j > 1 and typed[i - 1] == meant[j - 2] and typed[i - 2] == meant[j - 1]:
                current[j] = min(current[j], before[j - 2] + 1)
        before, previous = previous, current
    return previous[-1]


def quoted_list(names) -> str:
    return ", ".join(repr(name) for name in names)


# ---------------------------------------------------------------------------
# Checks: one per kind of value; each names what it expects and returns the
# resolved value or fails with the message.
# ---------------------------------------------------------------------------


class Check:
    def expected(self) -> str:  # "an integer >= 1", used in messages and docs
        raise NotImplementedError

    def __call__(self, value, where: Where):
        raise NotImplementedError

    def _wrong(self, value, where: Where) -> NoReturn:
        where.fail(f"expected {self.expected()}, got {describe(value)}")


def _bound(value: float) -> str:
    return f"{value:g}"


class Number(Check):
    """A finite float (an integer is fine: lr 1 means 1.0), within optional bounds."""

    def __init__(self, gt=None, ge=None, lt=None, le=None):
        self.gt, self.ge, self.lt, self.le = gt, ge, lt, le

    def _range(self) -> str:
        low = (f"[{_bound(self.ge)}" if self.ge is not None
               else f"({_bound(self.gt)}" if self.gt is not None else None)
        high = (f"{_bound(self.le)}]" if self.le is not None
                else f"{_bound(self.lt)})" if self.lt is not None else None)
        if low and high:
            return f" in {low}, {high}"
        if low:
            return f" {'>=' if self.ge is not None else '>'} {low[1:]}"
        if high:
            return f" {'<=' if self.le is not None else '<'} {high[:-1]}"
        return ""

    def expected(self) -> str:
        return f"a number{self._range()}"

    def in_range(self, value) -> bool:
        return not (
            (self.gt is not None and not value > self.gt)
            or (self.ge is not None and not value >= self.ge)
            or (self.lt is not None and not value < self.lt)
            or (self.le is not None and not value <= self.le)
        )

    def __call__(self, value, where):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self._wrong(value, where)
        if isinstance(value, float) and not math.isfinite(value):
            where.fail(f"expected {self.expected()}, got {describe(value)}; NaN and infinity are not allowed")
        if not self.in_range(value):
            self._wrong(value, where)
        return float(value)


class Integer(Number):
    """A whole number written as one (2, not 2.0 or "2"), within optional bounds."""

    def expected(self) -> str:
        return f"an integer{self._range()}"

    def __call__(self, value, where):
        if isinstance(value, bool) or not isinstance(value, int) or not self.in_range(value):
            self._wrong(value, where)
        return value


class Boolean(Check):
    def expected(self) -> str:
        return "true or false"

    def __call__(self, value, where):
        if not isinstance(value, bool):
            self._wrong(value, where)
        return value


class Text(Check):
    """A non-empty string, optionally matching a pattern that ``description``
    explains; ``suggestions``: names a near miss is compared with (did you mean)."""

    def __init__(self, description="a non-empty string", pattern=None, suggestions=()):
        self.description, self.pattern, self.suggestions = description, pattern, tuple(suggestions)

    def expected(self) -> str:
        return self.description

    def __call__(self, value, where):
        if not isinstance(value, str) or not value.strip():
            self._wrong(value, where)
        if self.pattern is not None and not re.fullmatch(self.pattern, value):
            where.fail(f"expected {self.expected()}, got {describe(value)}{did_you_mean(value, self.suggestions)}")
        return value


class OneOf(Check):
    def __init__(self, choices):
        self.choices = tuple(choices)

    def expected(self) -> str:
        return f"one of {quoted_list(self.choices)}"

    def __call__(self, value, where):
        if not isinstance(value, str) or value not in self.choices:
            hint = did_you_mean(value, self.choices) if isinstance(value, str) else ""
            where.fail(f"expected {self.expected()}, got {describe(value)}{hint}")
        return value


class Nullable(Check):
    """``null`` or what ``inner`` accepts; null keeps the meaning the help text gives it."""

    def __init__(self, inner: Check):
        self.inner = inner

    def expected(self) -> str:
        return f"{self.inner.expected()} or null"

    def __call__(self, value, where):
        return None if value is None else self.inner(value, where)


class Either(Check):
    """One of several checks, each with a word on what that form means."""

    def __init__(self, *forms: tuple[Check, str]):
        self.forms = forms

    def expected(self) -> str:
        return " or ".join(f"{check.expected()} ({meaning})" for check, meaning in self.forms)

    def __call__(self, value, where):
        for check, _ in self.forms:
            try:
                return check(value, where)
            except ConfigError:
                continue
        self._wrong(value, where)


class ListOf(Check):
    def __init__(self, item: Check, length=None, min_length=0, increasing=False):
        self.item, self.length, self.min_length, self.increasing = item, length, min_length, increasing

    def expected(self) -> str:
        size = (f"of {self.length} items" if self.length is not None
                else f"of at least {self.min_length} item{'s' * (self.min_length > 1)}"
                if self.min_length else "")
        order = ", increasing" if self.increasing else ""
        return f"a list{' ' + size if size else ''}{order}, each {self.item.expected()}"

    def __call__(self, value, where):
        if not isinstance(value, list):
            self._wrong(value, where)
        if (self.length is not None and len(value) != self.length) or len(value) < self.min_length:
            self._wrong(value, where)
        items = [self.item(item, where.child(i)) for i, item in enumerate(value)]
        if self.increasing:
            for i in range(1, len(items)):
                if not items[i] > items[i - 1]:
                    where.child(i).fail(
                        f"the list must be strictly increasing; {items[i]} comes after {items[i - 1]}")
        return items

