"""Programs that tests/test_distributed.py starts under ``mpiexec -n N``:

    mpiexec -n 2 python tests/distributed_program.py NAME OUT_DIR

Each runs on every rank; rank 0 writes ``OUT_DIR/result.json`` for the test
to check. Not a test module itself (no ``test_`` prefix).
"""
from __future__ import annotations

import ctypes
import json
import signal
import sys
from pathlib import Path

import numpy as np

import nettrain as nt
from nettrain.data import DataLoader
from nettrain.distributed import DataParallel, SingleProcess, connect
from nettrain.distributed.communicator import NcclCommunicator
from nettrain.distributed.flat import StepStats
from nettrain.nn import functional as F


def small_problem(samples=23, features=5, classes=3):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(samples, features)).astype(np.float32)
    y = rng.integers(0, classes, samples)
    return x, y


def forward_backward(model):
    """The loop's local step in miniature: forward, backward, this slice's statistics."""
    def compute(xb, yb):
        model.zero_grad()
        out = model(nt.from_numpy(xb))
        loss = F.cross_entropy(out, nt.from_numpy(yb))
        loss.backward()
        correct = int((out.array.argmax(1) == yb).sum())
        return StepStats(loss.item() * len(yb), len(yb), correct)
    return compute


def train_epochs(parallel, model, x, y, batch_size, epochs, stop_at=None, step_hooks=()):
    """SGD (with ``step_hooks`` as step pre-hooks) over the loader's batches
    through ``parallel``; returns per-step stats and grads."""
    loader = parallel.shard(DataLoader(x, y, batch_size=batch_size, shuffle=True, seed=3))
    optimizer = nt.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for hook in step_hooks:
        optimizer.register_step_pre_hook(hook)
    compute, steps = forward_backward(model), []
    for _ in range(epochs):
        for xb, yb in loader:
            signum = signal.SIGINT if stop_at == len(steps) and parallel.rank == parallel.size - 1 else None
            stats = parallel.step(compute, xb, yb, loader.batch_rows, signum)
            steps.append({"loss": stats.loss, "count": stats.count, "correct": stats.correct,
                          "stop": parallel.stop_after(stats, signum),
                          "grad": np.concatenate([p.grad.array.ravel() for p in model.parameters()]).tolist()})
            optimizer.step()
    return steps


def data_parallel_equals_one_process(out: Path, dropout: float, step_hooks=lambda: ()):
    """Ranks start from different weights (synchronise must fix that), train
    2 epochs on batches of 7 out of 23 samples (uneven slices, and empty ones
    with 4 ranks in the last batch of 2), then the same run in one process.
    ``step_hooks()`` makes the optimizer's pre-hooks (train.l1, train.grad_clip):
    they see the summed gradients, so clipping uses the global norm."""
    parallel = connect()
    assert isinstance(parallel, DataParallel), parallel
    x, y = small_problem()
    nt.manual_seed(100 + parallel.rank)
    model = nt.models.MLP(5, hidden=[8], out_features=3, dropout=dropout)
    parallel.synchronise(model)
    start = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    nt.manual_seed(7)  # the dropout stream: the same on every rank
    steps = train_epochs(parallel, model, x, y, batch_size=7, epochs=2, stop_at=2, step_hooks=step_hooks())
    params = np.concatenate([p.array.ravel() for p in model.parameters()])
    same_everywhere = parallel.agree(params.tobytes()) == [params.tobytes()] * parallel.size

    reference = nt.models.MLP(5, hidden=[8], out_features=3, dropout=dropout)
    reference.load_state_dict({k: nt.from_numpy(v) for k, v in start.items()})
    nt.manual_seed(7)
    expected = train_epochs(SingleProcess(), reference, x, y, batch_size=7, epochs=2, step_hooks=step_hooks())
    expected_params = np.concatenate([p.array.ravel() for p in reference.parameters()])
    if parallel.rank == 0:
        write(out, {
            "size": parallel.size, "same_everywhere": same_everywhere,
            "param_rel_diff": rel_diff(params, expected_params),
            "grad_rel_diff": max(rel_diff(np.array(a["grad"]), np.array(b["grad"])) for a, b in zip(steps, expected)),
            "loss_rel_diff": max(abs(a["loss"] - b["loss"]) / abs(b["loss"]) for a, b in zip(steps, expected)),
            "counts": [s["count"] for s in steps], "expected_counts": [s["count"] for s in expected],
            "correct": [s["correct"] for s in steps], "expected_correct": [s["correct"] for s in expected],
            "stops": [s["stop"] for s in steps],
        })


class HostBuffer:
    """Stands in for a CuPy array: a NumPy array that shows its address as ``.data.ptr``."""

    def __init__(self, array):
        self.array, self.size, self.dtype = array, array.size, array.dtype
        self.data = type("Memory", (), {"ptr": array.ctypes.data})()


class NcclOverMpi:
    """Stands in for ``cupy.cuda.nccl``: the same calls, carried out by MPI on
    host memory, so NcclCommunicator's protocol (unique id from rank 0 over
    MPI, communicator per rank, in-place allReduce by pointer) runs for real."""

    NCCL_FLOAT16, NCCL_FLOAT32, NCCL_FLOAT64, NCCL_SUM = 6, 7, 8, 0
    calls: list = []

    def __init__(self, mpi):
        self.mpi = mpi

    def get_unique_id(self):
        return (f"unique-id-from-rank-{self.mpi.rank}",)

    def NcclCommunicator(self, size, unique_id, rank):  # noqa: N802 - cupy's name
        self.calls.append(("init", size, unique_id, rank))
        return self

    def allReduce(self, send, recv, count, dtype, op, stream):  # noqa: N802 - cupy's name
        self.calls.append(("allReduce", send == recv, count, dtype, op, stream))
        ctype = {self.NCCL_FLOAT32: ctypes.c_float, self.NCCL_FLOAT64: ctypes.c_double}[dtype]
        view = np.ctypeslib.as_array((ctype * count).from_address(recv))
        self.mpi.allreduce_sum_(view)


def nccl_protocol(out: Path, _):
    parallel = connect()
    stream = type("Stream", (), {"ptr": 1234})()
    fake_cupy = type("Cupy", (), {"cuda": type("Cuda", (), {"get_current_stream": staticmethod(lambda: stream)})})
    nccl = NcclOverMpi(parallel.mpi)
    comm = NcclCommunicator(parallel.mpi, nccl=nccl, cupy=fake_cupy)
    buffer = HostBuffer(np.full(1000, parallel.rank + 1, dtype=np.float32))
    comm.allreduce_sum_(buffer)
    if parallel.rank == 0:
        write(out, {"values": sorted(set(buffer.array.tolist())), "calls": nccl.calls, "size": parallel.size})


def mistake_on_one_rank(out: Path, _):
    """Only rank 1 finds a mistake: rank 0 still reports it, once, and every rank exits 2."""
    from nettrain.cli import main  # noqa: F401 - main() prints a UsageError as the CLI does
    from nettrain.errors import UsageError

    parallel = connect()
    try:
        with parallel.agreement():
            if parallel.rank == 1:
                raise UsageError("data.root: /only/on/rank1 does not exist")
    except UsageError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)


def failure_on_one_rank(out: Path, _):
    """Rank 1 fails in the middle of training while rank 0 waits in the next
    step's sum: failures_abort must end both, quickly, with rank 1's message."""
    parallel = connect()
    with parallel.failures_abort():
        x, y = small_problem()
        model = nt.models.MLP(5, hidden=[8], out_features=3)
        parallel.synchronise(model)
        if parallel.rank == 1:
            raise RuntimeError("disk on fire on rank 1")
        train_epochs(parallel, model, x, y, batch_size=7, epochs=1000)


def rel_diff(a, b):
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-30))


def write(out: Path, result: dict):
    (out / "result.json").write_text(json.dumps(result), encoding="utf-8")


PROGRAMS = {
    "equivalence": lambda out: data_parallel_equals_one_process(out, 0.0),
    "equivalence-dropout": lambda out: data_parallel_equals_one_process(out, 0.5),
    "equivalence-step-hooks": lambda out: data_parallel_equals_one_process(
        out, 0.0, lambda: (nt.optim.L1Penalty(0.01), nt.optim.ClipGradNorm(0.05))),
    "nccl-protocol": lambda out: nccl_protocol(out, None),
    "mistake-on-one-rank": lambda out: mistake_on_one_rank(out, None),
    "failure-on-one-rank": lambda out: failure_on_one_rank(out, None),
}

if __name__ == "__main__":
    PROGRAMS[sys.argv[1]](Path(sys.argv[2]))
