"""Whether output goes to a person at a terminal: the one rule for rich
output (live progress bars, colour) against plain lines.

The training report (``report.make_report``) and downloads
(``data.download``) both ask ``is_terminal``; logs, pipes, CI and
``TERM=dumb`` get plain lines with no carriage returns or escape codes.
"""
from __future__ import annotations

import os
import sys


def is_terminal(stream=None) -> bool:
    """True when ``stream`` (default: stdout) is a TTY and TERM is not ``dumb``."""
    stream = stream or sys.stdout
    return hasattr(stream, "isatty") and stream.isatty() and os.environ.get("TERM") != "dumb"
