"""Data-parallel training on MPI: launcher detection, the flat buffer, sharded
loading; and, marked ``mpi`` (skipped without mpi4py or mpiexec), programs
and training runs started under ``mpiexec -n 2`` / ``-n 4``."""
from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import nettrain as nt
from conftest import run_cli
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


def test_augmentation_sees_global_sample_indices_in_every_shard():
    """Augmentation draws are keyed by sample index (data/augment.py): a
    shard must pass the samples' own indices, not positions in its part."""
    x, y = np.zeros((23, 1), dtype=np.float32), np.arange(23)
    seen = {}

    def augment(xb, index, epoch):
        seen.setdefault(key, []).append(np.asarray(index).copy())
        return xb

    key = "whole"
    whole = [yb for _, yb in DataLoader(x, y, batch_size=7, seed=3, augment=augment)]
    for rank in range(3):
        key = rank
        loader = DataLoader(x, y, batch_size=7, seed=3, augment=augment)
        loader.shard(rank, 3)
        list(loader)
    for b, batch in enumerate(whole):
        np.testing.assert_array_equal(np.concatenate([seen[r][b] for r in range(3)]), seen["whole"][b])
        np.testing.assert_array_equal(seen["whole"][b], batch)  # y is the sample index


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
        np.testing.assert_allclose(mine.grad.array, reference.grad.array, rtol=1e-5, atol=1e-7)


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



@pytest.mark.skipif(sys.platform == "win32", reason="POSIX pipes")
def test_abort_waits_until_the_launcher_has_read_the_message():
    """MPI_Abort makes the launcher drop what it has not yet read from a
    rank's stderr pipe (the failed rank's message, now and then): abort first
    waits until the pipe is empty, and gives up after its timeout when
    nobody reads (a stuck reader must not keep the other ranks waiting)."""
    from nettrain.distributed.communicator import wait_until_read

    read_end, write_end = os.pipe()
    with os.fdopen(write_end, "w") as stream, os.fdopen(read_end, "rb", buffering=0) as pipe:
        stream.write("nettrain: rank 1 of 2 failed; stopping all ranks\n")
        stream.flush()
        wait_until_read(stream, timeout=0.05)  # nobody reads: returns, the message still there

        reading, received = threading.Event(), []

        def launcher():  # a launcher that gets to the pipe late
            time.sleep(0.2)
            reading.set()
            received.append(pipe.read(1000))

        late = threading.Thread(target=launcher)
        late.start()
        wait_until_read(stream, timeout=60)
        assert reading.is_set(), "returned before the launcher read the pipe"
        late.join()
    assert received == [b"nettrain: rank 1 of 2 failed; stopping all ranks\n"]

# --------------------------------------------------------------------------- under mpiexec


@pytest.mark.mpi
@pytest.mark.parametrize("n", [2, 4])
@pytest.mark.parametrize("program", ["equivalence", "equivalence-dropout", "equivalence-step-hooks"])
def test_data_parallel_steps_equal_one_process(mpiexec, program, n, tmp_path):
    """Gradients, losses and parameters after 8 SGD steps (batches of 7 of 23
    samples: uneven slices, and with 4 ranks empty ones) equal one process's;
    a stop request on the last rank reaches every rank at the same step. With
    L1 and gradient clipping as step hooks too: they act on the summed
    gradients (the global norm), as in one process."""
    if program != "equivalence" and n == 4:
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


@pytest.mark.mpi
def test_a_mistake_seen_by_one_rank_is_one_message_and_exit_2_everywhere(mpiexec, tmp_path):
    done = run_mpi(mpiexec, 2, PROGRAM, "mistake-on-one-rank", tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("error:") == 1 and "rank 1 of 2: data.root" in done.stderr, done.stderr


@pytest.mark.mpi
def test_an_exception_on_one_rank_aborts_all_with_its_message(mpiexec, tmp_path):
    started = time.monotonic()
    done = run_mpi(mpiexec, 2, PROGRAM, "failure-on-one-rank", tmp_path, timeout=60)
    assert done.returncode != 0 and time.monotonic() - started < 30
    assert "rank 1 of 2 failed" in done.stderr and "disk on fire on rank 1" in done.stderr


# --------------------------------------------------------------------------- nettrain train under mpiexec

TRAIN = ["-m", "nettrain_entry", "train"]  # what the nettrain console script runs
# Three clusters, dropout (per-sample draws), batches of 50: 30 steps per
# epoch, slices of 25 (2 ranks) and 12/13 (4 ranks), an evaluation each epoch.
SMALL = [str(TESTS.parent / "configs" / "clusters3.yaml"), "--set", "model.dropout=0.1", "--set", "train.log_every=5"]


def train(mpiexec, n, runs_dir, *extra, timeout=180):
    """``mpiexec -n N nettrain train SMALL ...`` (n=1: the plain process, no launcher)."""
    prefix = [mpiexec, "-n", str(n)] if n > 1 else []
    command = prefix + [sys.executable, *TRAIN, *SMALL, "--runs-dir", str(runs_dir), *map(str, extra)]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=mpi_env())


def the_run(runs_dir) -> Path:
    (folder,) = [p for p in Path(runs_dir).iterdir()]
    return folder


def records(folder, kind):
    lines = (folder / "metrics.jsonl").read_text().splitlines()
    return [r for r in map(json.loads, lines) if r["kind"] == kind]


def parameters(checkpoint) -> dict:
    from nettrain.checkpoint import read_checkpoint

    return {k: v.numpy() for k, v in read_checkpoint(checkpoint)["model"].items()}


def assert_close(a: dict, b: dict, rel):
    for key in a:
        scale = max(float(np.abs(b[key]).max()), 1e-12)
        assert float(np.abs(a[key] - b[key]).max()) / scale < rel, key


@pytest.fixture(scope="module")
def straight_runs(tmp_path_factory):
    """The same 2-epoch run (60 steps) as 1, 2 (twice) and 4 processes."""
    mpiexec = shutil.which("mpiexec", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    if mpiexec is None or importlib.util.find_spec("mpi4py") is None:
        pytest.skip('needs mpi4py and mpiexec: pip install -e ".[mpi]"')
    runs = {}
    for label, n in (("1", 1), ("2", 2), ("2 again", 2), ("4", 4)):
        folder = tmp_path_factory.mktemp(f"runs-{n}")
        done = train(mpiexec, n, folder, "--epochs", 2)
        assert done.returncode == 0, done.stderr
        runs[label] = (the_run(folder), done)
    return runs


@pytest.mark.mpi
def test_mpiexec_train_equals_the_single_process(straight_runs):
    one, _ = straight_runs["1"]
    for label in ("2", "4"):
        folder, _ = straight_runs[label]
        for mine, reference in zip(records(folder, "epoch"), records(one, "epoch"), strict=True):
            for key in ("train_loss", "test_loss"):
                assert mine[key] == pytest.approx(reference[key], rel=1e-6), (label, key)
            assert mine["train_acc"] == reference["train_acc"] and mine["world_size"] == int(label)
        assert_close(parameters(folder / "checkpoints" / "last.npz"), parameters(one / "checkpoints" / "last.npz"), 1e-6)


@pytest.mark.mpi
def test_same_number_of_processes_reruns_bit_identical(straight_runs):
    first, second = straight_runs["2"][0], straight_runs["2 again"][0]
    a, b = parameters(first / "checkpoints" / "last.npz"), parameters(second / "checkpoints" / "last.npz")
    assert all(np.array_equal(a[k], b[k]) for k in a)
    without_time = lambda rs: [{k: v for k, v in r.items() if k != "seconds"} for r in rs]  # noqa: E731
    assert without_time(records(first, "epoch")) == without_time(records(second, "epoch"))


@pytest.mark.mpi
def test_only_rank_0_writes_and_shows_progress(straight_runs):
    folder, done = straight_runs["4"]
    assert sorted(p.name for p in folder.parent.iterdir()) == [folder.name]  # one run folder
    assert sorted(p.name for p in folder.iterdir() if p.name != "curves.png") == ["checkpoints", "config.yaml", "metrics.jsonl"]
    assert done.stdout.count("done: test loss") == 1 and done.stderr.count("epoch 1 step 5/30") == 1
    assert done.stderr.count("epoch 1 step 30/30") == 1  # the epoch's last step: every report would print it
    # stderr holds rank 0's progress lines (piped: the epoch table stays contiguous on stdout) and nothing else
    assert "4 processes (MPI)" in done.stdout and all(line.startswith("  .. epoch") for line in done.stderr.splitlines() if line.strip())


@pytest.mark.mpi
def test_a_config_mistake_under_mpiexec_is_one_message_and_nothing_written(mpiexec, tmp_path):
    done = train(mpiexec, 2, tmp_path / "runs", "--set", "optimizer.lr=-1")
    assert done.returncode == 2
    assert done.stderr.count("error:") == 1 and "optimizer.lr" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "runs").exists()


@pytest.mark.mpi
def test_killing_one_rank_ends_the_others_within_seconds(mpiexec, tmp_path):
    tag = f"nettrain-kill-test-{os.getpid()}"
    env = dict(mpi_env(), NETTRAIN_TEST_TAG=tag)
    command = [mpiexec, "-n", "2", sys.executable, *TRAIN, *SMALL, "--runs-dir", str(tmp_path), "--epochs", "1000"]
    launcher = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        for line in launcher.stderr:  # training has started on every rank (progress lines are on stderr)
            if "epoch 1 step 5/30" in line:
                break
        (victim,) = [pid for pid, rank in ranks_tagged(tag) if rank == "1"]
        os.kill(victim, signal.SIGKILL)
        started = time.monotonic()
        launcher.wait(timeout=30)
        assert time.monotonic() - started < 10 and launcher.returncode != 0
        assert not [pid for pid, _ in ranks_tagged(tag)]
    finally:
        if launcher.poll() is None:
            launcher.kill()
            launcher.wait()


def ranks_tagged(tag):
    """(pid, PMI_RANK) of the live processes whose environment carries ``tag``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = dict(item.split("=", 1) for item in (entry / "environ").read_text().split("\0") if "=" in item)
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if environ.get("NETTRAIN_TEST_TAG") == tag and "PMI_RANK" in environ and state != "Z":
            found.append((int(entry.name), environ["PMI_RANK"]))
    return found


@pytest.mark.mpi
def test_sigint_to_mpiexec_then_resume_with_2_and_with_1_process(mpiexec, straight_runs, tmp_path, capsys):
    """Ctrl-C reaches every rank; all stop after the same step; rank 0 writes
    `last` and the resume command; resuming with 2 processes ends
    bit-identical to the straight 2-process run, with 1 process equal to it
    to float summation order."""
    command = [mpiexec, "-n", "2", sys.executable, *TRAIN, *SMALL, "--runs-dir", str(tmp_path / "runs"), "--epochs", "2"]
    launcher = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=mpi_env())
    for line in launcher.stderr:  # progress lines are on stderr
        if "epoch 2 step 5/30" in line:
            launcher.send_signal(signal.SIGINT)
            break
    out, rest = launcher.communicate(timeout=60)
    err = line + rest  # what stderr said after the progress line that triggered the signal
    assert launcher.returncode == 130, err
    folder = the_run(tmp_path / "runs")
    assert "resume with:" in err and f"mpiexec -n 2 nettrain train {folder / 'config.yaml'} --resume" in err
    stopped = records(folder, "stopped")
    assert len(stopped) == 1 and stopped[0]["step"] < 60 and stopped[0]["resume"].startswith("mpiexec -n 2 nettrain")
    code, listing, _ = run_cli(["runs", "--runs-dir", tmp_path / "runs"], capsys)
    assert code in (0, None) and re.search(r" 1/2 +2 ", listing), listing  # epochs done, processes

    from nettrain.checkpoint import read_checkpoint
    assert read_checkpoint(folder / "checkpoints" / "last.npz")["world_size"] == 2
    copy = tmp_path / "copy" / folder.name
    shutil.copytree(folder, copy)
    straight = straight_runs["2"][0]

    done = train(mpiexec, 2, tmp_path / "unused", "--resume", folder / "checkpoints" / "last.npz", "--epochs", 2)
    assert done.returncode == 0, done.stderr
    final, expected = records(folder, "final")[-1], records(straight, "final")[-1]
    assert final == expected
    a, b = parameters(folder / "checkpoints" / "last.npz"), parameters(straight / "checkpoints" / "last.npz")
    assert all(np.array_equal(a[k], b[k]) for k in a)

    done = train(mpiexec, 1, tmp_path / "unused", "--resume", copy / "checkpoints" / "last.npz", "--epochs", 2)
    assert done.returncode == 0, done.stderr
    assert "written by 2 process(es), continued by 1" in done.stdout
    final = records(copy, "final")[-1]
    assert final["test_loss"] == pytest.approx(expected["test_loss"], rel=1e-6)
    assert final["test_acc"] == expected["test_acc"]
    assert_close(parameters(copy / "checkpoints" / "last.npz"), b, 1e-6)


@pytest.mark.mpi
def test_workers_relaunches_under_mpiexec(mpiexec, tmp_path):
    command = [sys.executable, *TRAIN, *SMALL, "--runs-dir", str(tmp_path), "--epochs", "1", "--workers", "2"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=mpi_env())
    assert done.returncode == 0, done.stderr
    assert "2 processes (MPI)" in done.stdout and done.stdout.count("done: test loss") == 1
    assert records(the_run(tmp_path), "epoch")[0]["world_size"] == 2


def test_workers_mistakes(tmp_path, capsys, monkeypatch):
    code, _, err = run_cli(["train", *SMALL, "--runs-dir", tmp_path, "--workers", "0"], capsys)
    assert code == 2 and "--workers" in err and "integer >= 1" in err
    monkeypatch.setenv("PMI_RANK", "0")
    monkeypatch.setenv("PMI_SIZE", "2")
    code, _, err = run_cli(["train", *SMALL, "--runs-dir", tmp_path, "--workers", "2"], capsys)
    assert code == 2 and "already started by" in err and "drop --workers" in err
    assert not any(tmp_path.iterdir())


def test_batchnorm_models_are_refused_with_a_reason():
    from nettrain.distributed import DataParallel
    from nettrain.errors import UsageError

    class TwoRanks:
        rank, size, local_rank = 0, 2, 0

    model = nt.nn.Sequential(nt.nn.Linear(4, 8), nt.nn.BatchNorm1d(8), nt.nn.Linear(8, 2))
    with pytest.raises(UsageError, match="BatchNorm.*1/2 of each batch.*one process"):
        DataParallel(TwoRanks()).check_model(model)
    DataParallel(TwoRanks()).check_model(nt.models.MLP(4, hidden=[8], out_features=2))
    SingleProcess().check_model(model)


@pytest.mark.mpi
def test_sigterm_to_mpiexec_stops_every_rank_after_the_same_step(mpiexec, tmp_path):
    command = [mpiexec, "-n", "2", sys.executable, *TRAIN, *SMALL, "--runs-dir", str(tmp_path), "--epochs", "2"]
    launcher = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=mpi_env())
    for line in launcher.stderr:  # progress lines are on stderr
        if "epoch 1 step 10/30" in line:
            launcher.send_signal(signal.SIGTERM)
            break
    _, err = launcher.communicate(timeout=60)
    assert launcher.returncode == 143, err
    assert err.count("SIGTERM: stopped after step") == 1 and "mpiexec -n 2 nettrain train" in err
    from nettrain.checkpoint import read_checkpoint

    state = read_checkpoint(the_run(tmp_path) / "checkpoints" / "last.npz")
    assert state["world_size"] == 2 and 10 <= state["step"] < 60
