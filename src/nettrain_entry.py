"""The ``nettrain`` console script's entry point, outside the ``nettrain`` package.

Why a module of its own: importing ``nettrain.cli`` first imports the
package (the engine, NumPy, typer, rich), which takes a noticeable moment;
a Ctrl-C in that moment would print a ``KeyboardInterrupt`` traceback from
deep inside an import. This module imports nothing but the standard
library, so ``main`` can install quiet SIGINT/SIGTERM handlers before any
of that starts. From then on an interrupt is one line and the usual exit
status (130, 143) at every moment; the trainer installs its own handlers
(stop after the step, checkpoint, print the resume command) while a run is
in progress and puts these back afterwards.
"""
from __future__ import annotations

import signal
import sys

EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}


def _quit(signum, frame):
    name = signal.Signals(signum).name
    try:
        sys.stderr.write(f"{name}: interrupted; nothing was left half-written\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    raise SystemExit(EXIT_CODES[signum])  # SystemExit never prints a traceback


def main(argv=None):
    for signum in EXIT_CODES:
        signal.signal(signum, _quit)
    from nettrain.cli import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":
    main()
