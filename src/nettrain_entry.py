"""The ``nettrain`` console script's entry point, outside the ``nettrain`` package.

Why a module of its own: importing ``nettrain.cli`` first imports the
package (the engine, NumPy, typer, rich), which takes a noticeable moment;
a Ctrl-C in that moment would print a ``KeyboardInterrupt`` traceback from
deep inside an import. This module imports nothing but the standard
library, so ``main`` can install quiet SIGINT/SIGTERM handlers before any
of that starts: an interrupt while importing is one line and the usual exit
status (130, 143), and the process ends at once (``os._exit``: nothing has
been written yet, and an exception raised from a handler mid-import can be
swallowed by an import's own ``except BaseException``). Once imported,
``nettrain.cli.main`` installs handlers that exit through ``SystemExit``,
and the trainer its own (stop after the step, checkpoint, print the resume
command) while a run is in progress.
"""
from __future__ import annotations

import os
import signal
import sys

EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}


def _quit_now(signum, frame):
    try:
        sys.stderr.write(f"{signal.Signals(signum).name}: interrupted while starting; nothing was written\n")
        sys.stderr.flush()
    finally:
        os._exit(EXIT_CODES[signum])


def main(argv=None):
    for signum in EXIT_CODES:
        signal.signal(signum, _quit_now)
    from nettrain.cli import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":
    main()
