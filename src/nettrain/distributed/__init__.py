"""Data-parallel training over several processes (and machines) on MPI.

``mpiexec -n 4 nettrain train cfg.yaml`` starts four copies of nettrain;
:func:`connect` finds the launcher in the environment (``launcher.py``) and
returns the ``Parallel`` object the training loop talks to
(``parallel.py``): ``DataParallel`` over mpi4py (``communicator.py``), one
flat buffer summed per step (``flat.py``), or, with no launcher,
``SingleProcess``, which changes nothing and imports no MPI at all.
"""
from __future__ import annotations

from typing import Mapping

from .launcher import Launch, detect_launcher
from .parallel import DataParallel, SingleProcess


def connect(environ: Mapping[str, str] = None):
    """``DataParallel`` when an MPI launcher started several processes,
    else ``SingleProcess`` (mpi4py is imported only in the first case)."""
    launch = detect_launcher(environ)
    if launch is None or not launch.is_several:
        return SingleProcess()
    from .communicator import MpiCommunicator  # noqa: PLC0415 - mpi4py only under a launcher

    mpi = MpiCommunicator()
    if mpi.size == 1:
        return SingleProcess()
    return DataParallel(mpi)


__all__ = ["DataParallel", "Launch", "SingleProcess", "connect", "detect_launcher"]
