"""Data-parallel training on MPI: launcher detection, the flat buffer, sharded
loading; and, marked ``mpi`` (skipped without mpi4py or mpiexec), programs
and training runs started under ``mpiexec -n 2`` / ``-n 4``."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import nettrain as nt
from nettrain import backend
from nettrain.data import DataLoader
from nettrain.distributed import SingleProcess, connect, detect_launcher
from nettrain.distributed.flat import FlatBuffer, StepStats
from nettrain.nn import functional as F

TESTS = Path(__file__).resolve().parent
PROGRAM = TESTS / "distributed_program.py"


def mpi_env():
    """This environment minus any launcher's variables (pytest itself may run under one)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PMI", "OMPI_", "PMIX", "MV2_", "SLURM_"))}
    env["OMP_NUM_THREADS"] = env["OPENBLAS_NUM_THREADS"] = "1"  # N ranks share 2 cores
    return env


def run_mpi(mpiexec, n, *args, timeout=120, cwd=None):
    return subprocess.run([mpiexec, "-n", str(n), sys.executable, *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, env=mpi_env(), cwd=cwd)


def run_program(mpiexec, name, n, tmp_path):
    done = run_mpi(mpiexec, n, PROGRAM, name, tmp_path)
    assert done.returncode == 0, done.stderr
    return json.loads((tmp_path / "result.json").read_text())


# --------------------------------------------------------------------------- launcher detection


@pytest.mark.parametrize("environ, expected", [
    ({}, None),
    ({"PMI_RANK": "1", "PMI_SIZE": "4", "MPI_LOCALRANKID": "1"}, ("MPICH / Intel MPI (PMI)", 1, 4, 1)),
    ({"OMPI_COMM_WORLD_RANK": "3", "OMPI_COMM_WORLD_SIZE": "8", "OMPI_COMM_WORLD_LOCAL_RANK": "1",
      "PMIX_RANK": "3"}, ("Open MPI", 3, 8, 1)),
    ({"PMIX_RANK": "5", "SLURM_STEP_NUM_TASKS": "16", "SLURM_LOCALID": "1", "SLURM_NTASKS": "32"},
     ("PMIx (Slurm srun --mpi=pmix, PRRTE)", 5, 16, 1)),
    ({"PMIX_RANK": "0"}, ("PMIx (Slurm srun --mpi=pmix, PRRTE)", 0, None, None)),
    ({"SLURM_PROCID": "0", "SLURM_NTASKS": "4"}, None),  # an sbatch script itself: no MPI process
])
def test_launcher_is_read_from_the_environment(environ, expected):
    launch = detect_launcher(environ)
    assert (None if launch is None else (launch.launcher, launch.rank, launch.size, launch.local_rank)) == expected


def test_no_launcher_or_one_process_is_a_plain_run_without_mpi():
    assert isinstance(connect({}), SingleProcess)
    assert isinstance(connect({"PMI_RANK": "0", "PMI_SIZE": "1"}), SingleProcess)  # mpiexec -n 1


def test_a_plain_train_run_never_imports_mpi4py(tmp_path):
    code = (
        "import sys\nfrom nettrain.cli import main\n"
        f"try:\n    main(['train', {str(TESTS.parent / 'configs' / 'clusters.yaml')!r}, '--epochs', '1', "
        f"'--runs-dir', {str(tmp_path)!r}])\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "assert 'mpi4py' not in sys.modules, 'mpi4py was imported'\nprint('clean')\n"
    )
    env = mpi_env()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0 and "clean" in done.stdout, done.stderr


# --------------------------------------------------------------------------- the pieces, in one process


def test_shards_of_a_batch_are_contiguous_and_together_the_batch():
    x = np.arange(23, dtype=np.float32).reshape(23, 1)
    y = np.arange(23)
    whole = [yb for _, yb in DataLoader(x, y, batch_size=7, seed=3)]
    for size in (2, 3, 4):
        parts = []
        for rank in range(size):
            loader = DataLoader(x, y, batch_size=7, seed=3)
            loader.shard(rank, size)
            parts.append([yb for _, yb in loader])
            assert loader.state_dict() == DataLoader(x, y, batch_size=7, seed=3).state_dict() | {"epoch": 1}
        for b, batch in enumerate(whole):
            np.testing.assert_array_equal(np.concatenate([p[b] for p in parts]), batch)
            assert max(len(p[b]) for p in parts) - min(len(p[b]) for p in parts) <= 1


def test_per_sample_draws_take_their_rows_of_the_global_draw():
    generator = np.random.Generator(np.random.PCG64(5))
    whole = backend.sample_uniform(generator, (6, 3))
    generator = np.random.Generator(np.random.PCG64(5))
    with backend.batch_rows(2, 4, 6):
        part = backend.sample_uniform(generator, (2, 3))
    np.testing.assert_array_equal(part, whole[2:4])


def test_flat_buffer_sum_is_the_gradient_of_the_global_mean():
    """Two replicas pack slices of 5 and 2 samples; the summed buffer unpacks
    to the full batch's gradient and statistics (what Allreduce computes)."""
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(7, 4)).astype(np.float32), rng.integers(0, 3, 7)

    def replica_grads(rows):
        nt.manual_seed(0)
        model = nt.models.MLP(4, hidden=[6], out_features=3)
        loss = F.cross_entropy(model(nt.from_numpy(x[rows])), nt.from_numpy(y[rows]))
        loss.backward()
        return model, loss.item()

    full, full_loss = replica_grads(slice(0, 7))
    buffers = []
    for rows, signum in ((slice(0, 5), None), (slice(5, 7), signal.SIGTERM)):
        model, value = replica_grads(rows)
        n = len(y[rows])
        buffers.append(FlatBuffer(model.parameters()))
        buffers[-1].pack(StepStats(value * n, n, correct=n - 1, stop_signal=signum))
    total = buffers[0].array + buffers[1].array
    buffers[0].array[...] = total
    stats = buffers[0].unpack()
    assert stats.count == 7 and stats.correct == 5 and stats.stop_signal == signal.SIGTERM
    assert stats.loss == pytest.approx(full_loss, rel=1e-6)
    for mine, reference in zip(buffers[0].params, full.parameters()):
        np.testing.assert_allclose(mine.grad.data, reference.grad.data, rtol=1e-5, atol=1e-7)


def test_nccl_communicator_protocol_without_a_gpu():
    """One rank: the unique id is made on rank 0 and the sum is one in-place
    allReduce by pointer on the current stream (tests/distributed_program.py
    stands in for cupy.cuda.nccl)."""
    sys.path.insert(0, str(TESTS))
    try:
        from distributed_program import HostBuffer, NcclOverMpi
    finally:
        sys.path.remove(str(TESTS))
    from nettrain.distributed.communicator import NcclCommunicator

    class OneRank:
        rank, size = 0, 1

        def broadcast_object(self, obj):
            return obj

        def allreduce_sum_(self, array):
            pass

    stream = type("Stream", (), {"ptr": 42})()
    cupy = type("Cupy", (), {"cuda": type("Cuda", (), {"get_current_stream": staticmethod(lambda: stream)})})
    nccl = NcclOverMpi(OneRank())
    nccl.calls = []
    comm = NcclCommunicator(OneRank(), nccl=nccl, cupy=cupy)
    comm.allreduce_sum_(HostBuffer(np.ones(10, dtype=np.float32)))
    assert nccl.calls == [("init", 1, ("unique-id-from-rank-0",), 0), ("allReduce", True, 10, 7, 0, 42)]
    with pytest.raises(TypeError, match="int64"):
        comm.allreduce_sum_(HostBuffer(np.ones(3, dtype=np.int64)))


# --------------------------------------------------------------------------- under mpiexec


@pytest.mark.mpi
@pytest.mark.parametrize("n", [2, 4])
@pytest.mark.parametrize("program", ["equivalence", "equivalence-dropout"])
def test_data_parallel_steps_equal_one_process(mpiexec, program, n, tmp_path):
    """Gradients, losses and parameters after 8 SGD steps (batches of 7 of 23
    samples: uneven slices, and with 4 ranks empty ones) equal one process's;
    a stop request on the last rank reaches every rank at the same step."""
    if program == "equivalence-dropout" and n == 4:
        pytest.skip("one 4-rank run is enough")
    result = run_program(mpiexec, program, n, tmp_path)
    assert result["size"] == n and result["same_everywhere"]
    assert result["param_rel_diff"] < 1e-6 and result["grad_rel_diff"] < 1e-5 and result["loss_rel_diff"] < 1e-6
    assert result["counts"] == result["expected_counts"] and result["correct"] == result["expected_correct"]
    assert result["stops"] == [None, None, signal.SIGINT] + [None] * 5



@pytest.mark.mpi
def test_nccl_unique_id_travels_over_mpi_and_the_sum_is_in_place(mpiexec, tmp_path):
    result = run_program(mpiexec, "nccl-protocol", 2, tmp_path)
    assert result["values"] == [3.0]  # 1 + 2, in the buffer itself
    assert result["calls"] == [["init", 2, ["unique-id-from-rank-0"], 0], ["allReduce", True, 1000, 7, 0, 1234]]
