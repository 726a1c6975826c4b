"""Whether output goes to a person at a terminal: the one rule for rich
output (live progress bars, colour) against plain lines.

The training report (``report.make_report``) and downloads
(``data.download``) both ask ``is_terminal``; logs, pipes, CI and
``TERM=dumb`` get plain lines with no carriage returns or escape codes.
"""
from __future__ import annotations

import os
import re
import sys


def is_terminal(stream=None) -> bool:
    """True when ``stream`` (default: stdout) is a TTY and TERM is not ``dumb``."""
    stream = stream or sys.stdout
    return hasattr(stream, "isatty") and stream.isatty() and os.environ.get("TERM") != "dumb"


def labelled(label: str, value: str, width: int | None = None) -> str:
    """``label: value``, laid out for a terminal ``width`` columns wide (None:
    one line, as a pipe or a log wants it, whole for grep).

    The value breaks only after ", " or "; ", never inside a path, a command
    or a figure with its unit ("2.99 MB"); its later lines are indented under
    its first. A first part too wide to follow the label starts on a line of
    its own, indented by two (a command stays whole, to be copied); a part
    wider than the terminal stays whole.
    """
    line = f"{label}: {value}"
    if width is None or len(line) <= width:
        return line
    parts = re.split(r"(?<=[,;]) ", value)
    indent = " " * (len(label) + 2)
    lines, line = [], f"{label}: {parts[0]}"
    if len(line) > width and len(indent + parts[0]) > width >= 2 + len(parts[0]):
        lines, indent, line = [f"{label}:"], "  ", "  " + parts[0]
    for part in parts[1:]:
        if len(line) + 1 + len(part) <= width:
            line += " " + part
        else:
            lines.append(line)
            line = indent + part
    lines.append(line)
    return "\n".join(lines)
