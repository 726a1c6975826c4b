"""Is this process one of several started by an MPI launcher? Read from the
environment alone, without importing mpi4py.

Every launcher tells the processes it starts who they are through
environment variables (``mpiexec`` of MPICH / Intel MPI: ``PMI_RANK``,
``PMI_SIZE``; Open MPI: ``OMPI_COMM_WORLD_*``; Slurm's ``srun --mpi=pmix``:
``PMIX_RANK`` and ``SLURM_STEP_NUM_TASKS``). A plain ``nettrain train``
finds none of them, and then nothing distributed happens: mpi4py is not
even imported.
"""
from __future__ import annotations

import dataclasses
import os
import shutil
import sys
from pathlib import Path
from typing import Mapping, Optional

from ..errors import UsageError

INSTALL_HINT = 'pip install -e ".[mpi]" (mpi4py and the MPICH wheel, which brings mpiexec)'


@dataclasses.dataclass(frozen=True)
class Launch:
    """What the launcher told this process: which launcher, this process's
    rank, the number of processes (None where the launcher does not say, as
    PMIx does not; MPI tells once it is initialised) and the rank among the
    processes on this machine (which GPU to take)."""

    launcher: str
    rank: int
    size: Optional[int]
    local_rank: Optional[int]

    @property
    def is_several(self) -> bool:
        """More than one process (or an unknown number, to be asked of MPI)."""
        return self.size is None or self.size > 1


# (launcher, rank variable, size variables (first one set wins), local rank variables).
# Open MPI first: its launcher also sets PMIX_RANK.
LAUNCHERS = (
    ("Open MPI", "OMPI_COMM_WORLD_RANK", ("OMPI_COMM_WORLD_SIZE",), ("OMPI_COMM_WORLD_LOCAL_RANK",)),
    ("MVAPICH2", "MV2_COMM_WORLD_RANK", ("MV2_COMM_WORLD_SIZE",), ("MV2_COMM_WORLD_LOCAL_RANK",)),
    ("MPICH / Intel MPI (PMI)", "PMI_RANK", ("PMI_SIZE",), ("MPI_LOCALRANKID", "SLURM_LOCALID")),
    ("PMIx (Slurm srun --mpi=pmix, PRRTE)", "PMIX_RANK",
     ("SLURM_STEP_NUM_TASKS", "SLURM_NTASKS"), ("SLURM_LOCALID", "PMIX_LOCAL_RANK")),
)


def detect_launcher(environ: Mapping[str, str] = None) -> Optional[Launch]:
    """The launcher that started this process, or None for a plain process."""
    environ = os.environ if environ is None else environ
    for name, rank_var, size_vars, local_vars in LAUNCHERS:
        rank = _integer(environ, rank_var)
        if rank is None:
            continue
        size = next((v for v in (_integer(environ, s) for s in size_vars) if v is not None), None)
        local = next((v for v in (_integer(environ, s) for s in local_vars) if v is not None), None)
        return Launch(name, rank, size, local)
    return None


def _integer(environ, name):
    value = environ.get(name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


# --------------------------------------------------------------------------- nettrain train --workers N


def find_mpiexec() -> Optional[str]:
    """``mpiexec`` of this Python's environment (the ``mpi`` extra's MPICH
    wheel puts it next to ``python``), else the first on PATH."""
    here = Path(sys.executable).parent
    return shutil.which("mpiexec", path=f"{here}{os.pathsep}{os.environ.get('PATH', '')}")


def relaunch_command(workers: int, arguments: list[str], environ: Mapping[str, str] = None) -> list[str]:
    """The command that runs ``nettrain ARGUMENTS`` as ``workers`` processes
    on this machine: ``mpiexec -n WORKERS python -m nettrain_entry ARGUMENTS``.
    A convenience for one machine; several machines or Slurm use their own
    launcher (``mpiexec -f hostfile``, ``srun``) on ``nettrain train`` directly."""
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise UsageError(f"--workers: {workers!r} is not a number of processes; give an integer >= 1")
    launch = detect_launcher(environ)
    if launch is not None:
        raise UsageError(
            f"--workers {workers}: this process was already started by {launch.launcher} "
            f"({launch.size or 'several'} processes); drop --workers, the launcher's -n sets the number"
        )
    mpiexec = find_mpiexec()
    if mpiexec is None:
        raise UsageError(f"--workers {workers}: mpiexec was not found; install the mpi extra: {INSTALL_HINT}")
    return [mpiexec, "-n", str(workers), sys.executable, "-m", "nettrain_entry", *arguments]  # the console script's entry
