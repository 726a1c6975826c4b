"""A person's mistakes: one clear message, exit status 2, no traceback, and
nothing created under the runs folder."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest

import nettrain
from nettrain.cli import main

REPO = Path(__file__).resolve().parents[1]
CONFIGS = REPO / "configs"
CLUSTERS = CONFIGS / "clusters.yaml"


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _good_checkpoint(tmp_path: Path) -> Path:
    """A real checkpoint from a one-epoch run (made once per test that needs it)."""
    with pytest.raises(SystemExit):
        main(["train", str(CLUSTERS), "--runs-dir", str(tmp_path / "made"), "--epochs", "1"])
    return next((tmp_path / "made").glob("*/checkpoints/last.npz"))


def _truncated(tmp_path):
    good = _good_checkpoint(tmp_path).read_bytes()
    return write_bytes(tmp_path / "truncated.npz", good[: len(good) // 2])


def write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _foreign_npz(tmp_path):
    path = tmp_path / "foreign.npz"
    np.savez(path, weights=np.ones(3))
    return path


def _pickled_object_array(tmp_path):
    path = tmp_path / "pickled.npz"
    np.savez(path, evil=np.array([{"a": 1}, None], dtype=object))
    return path


def _pickled_inside_real_checkpoint(tmp_path):
    good = _good_checkpoint(tmp_path)
    path = tmp_path / "tampered.npz"
    buffer = io.BytesIO()
    np.save(buffer, np.array([object()], dtype=object), allow_pickle=True)
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w") as dst:
        arrays = [i for i in src.infolist() if i.filename.endswith(".npy") and "manifest" not in i.filename]
        victim = arrays[0].filename  # an array the manifest refers to, replaced by a pickle
        for item in src.infolist():
            dst.writestr(item, buffer.getvalue() if item.filename == victim else src.read(item.filename))
    return path


# (id, argv builder, key words the message must contain)
CASES = [
    ("missing config file", lambda t: ["train", t / "nope.yaml"], ["nope.yaml"]),
    ("yaml syntax error", lambda t: ["train", write(t / "bad.yaml", "data:\n  dataset: [mnist\n")], ["bad.yaml", "line"]),
    ("empty config", lambda t: ["train", write(t / "empty.yaml", "")], ["empty"]),
    ("non-mapping config", lambda t: ["train", write(t / "list.yaml", "- a\n- b\n")], ["list.yaml", "mapping"]),
    ("unknown top-level key", lambda t: ["train", CLUSTERS, "--set", "optimiser.lr=0.1"], ["optimiser", "did you mean"]),
    ("typo in a key", lambda t: ["train", CLUSTERS, "--set", "data.batchsize=8"], ["data.batchsize", "batch_size"]),
    ("string where an int belongs", lambda t: ["train", CLUSTERS, "--set", "train.epochs='2'"], ["train.epochs", "string"]),
    ("fractional epochs", lambda t: ["train", CLUSTERS, "--set", "train.epochs=2.5"], ["train.epochs", "2.5"]),
    ("negative learning rate", lambda t: ["train", CLUSTERS, "--set", "optimizer.lr=-0.1"], ["optimizer.lr", ">= 0"]),
    ("NaN learning rate", lambda t: ["train", CLUSTERS, "--set", "optimizer.lr=.nan"], ["optimizer.lr", "nan"]),
    ("batch size zero", lambda t: ["train", CLUSTERS, "--set", "data.batch_size=0"], ["data.batch_size", ">= 1"]),
    ("momentum on adam", lambda t: ["train", write(t / "adam.yaml", CLUSTERS.read_text().replace("name: sgd", "name: adam\n  momentum: 0.9"))],
     ["optimizer.momentum", "adam"]),
    ("unknown dataset", lambda t: ["train", CLUSTERS, "--set", "data.dataset=cifar"], ["data.dataset", "cifar"]),
    ("override without '='", lambda t: ["train", CLUSTERS, "--set", "optimizer.lr"], ["optimizer.lr", "="]),
    ("unknown device", lambda t: ["train", CLUSTERS, "--device", "tpu"], ["device", "tpu"]),
    ("wrong model size for the data", lambda t: ["train", CLUSTERS, "--set", "model.in_features=5"], ["model.in_features", "5", "2"]),
    ("classification loss on regression data", lambda t: ["train", CONFIGS / "cubic.yaml", "--set", "loss.name=cross_entropy"],
     ["loss.name", "regression"]),
    ("class-index loss after one_hot", lambda t: ["train", CLUSTERS, "--set", "data.transforms=[one_hot]"],
     ["loss.name", "cross_entropy", "one_hot", "mse"]),
    ("nll on one_hot rows", lambda t: ["train", CLUSTERS, "--set", "data.transforms=[one_hot]", "--set", "loss.name=nll"],
     ["loss.name", "nll", "one_hot"]),
    ("lenet on point data", lambda t: ["train", CLUSTERS, "--set", "model.name=lenet", "--set", "model.hidden=null"], ["lenet"]),
    ("missing MNIST files without download", lambda t: ["train", CONFIGS / "mlp.yaml", "--set", f"data.root='{t / 'empty-root'}'",
                                                        "--set", "data.download=false"], ["mnist", "NETTRAIN_DATA"]),
    ("resume from a missing checkpoint", lambda t: ["train", CLUSTERS, "--resume", t / "gone.npz"], ["gone.npz"]),
    ("resume from a text file", lambda t: ["train", CLUSTERS, "--resume", write(t / "notes.npz", "hello")], ["notes.npz"]),
    ("resume from a truncated checkpoint", lambda t: ["train", CLUSTERS, "--resume", _truncated(t)], ["truncated.npz"]),
    ("eval a foreign npz", lambda t: ["eval", "--checkpoint", _foreign_npz(t)], ["foreign.npz", "not a nettrain"]),
    ("eval a pickled object array", lambda t: ["eval", "--checkpoint", _pickled_object_array(t)], ["pickled.npz"]),
    ("eval a checkpoint with a pickle slipped in", lambda t: ["eval", "--checkpoint", _pickled_inside_real_checkpoint(t)],
     ["tampered.npz"]),
    ("eval best.npz of a run without a val split", lambda t: ["eval", "--checkpoint", _good_checkpoint(t).with_name("best.npz")],
     ["best.npz: no such checkpoint: a run without a validation split keeps no best.npz", "last.npz"]),
    ("predict with best.npz of a run without a val split",
     lambda t: ["predict", "--checkpoint", _good_checkpoint(t).with_name("best.npz"), "--index", "0"],
     ["without a validation split keeps no best.npz"]),
    ("eval a missing checkpoint", lambda t: ["eval", "--checkpoint", t / "none.npz"], ["none.npz"]),
    ("eval an unknown split", lambda t: ["eval", "--checkpoint", _good_checkpoint(t), "--split", "dev"], ["--split", "dev"]),
    ("eval val without a val split", lambda t: ["eval", "--checkpoint", _good_checkpoint(t), "--split", "val"], ["val_split"]),
    ("one_hot on a regression data set", lambda t: ["train", CONFIGS / "linear.yaml", "--set", "data.transforms=[one_hot]"],
     ["linear.yaml: data.transforms: one_hot applies to classification"]),
    ("nesterov without momentum", lambda t: ["train", CLUSTERS, "--set", "optimizer.nesterov=true"], ["nesterov", "momentum"]),
    ("a typo in early stopping's metric", lambda t: ["train", CLUSTERS, "--set", "train.early_stopping={monitor: val_los}"],
     ["train.early_stopping.monitor", "got 'val_los'", "did you mean 'val_loss'?"]),
]


@pytest.mark.parametrize("argv, words", [pytest.param(c[1], c[2], id=c[0]) for c in CASES])
def test_bad_input_exits_2_with_one_clear_message(argv, words, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a stray default runs/ would appear here
    # No other data root may supply the files a case says are missing.
    monkeypatch.delenv("NETTRAIN_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr("nettrain.data.datasets.SYSTEM_DATA_ROOT", tmp_path / "system")
    runs = tmp_path / "runs"
    args = [str(a) for a in argv(tmp_path)]
    if args[0] == "train":
        args += ["--runs-dir", str(runs)]
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    out, err = capsys.readouterr()
    assert exit_info.value.code == 2, (out, err)
    assert "Traceback" not in err and "Traceback" not in out
    message = " ".join(err.split())  # rich wraps long lines
    for word in words:
        assert word.lower() in message.lower(), (word, message)
    assert not runs.exists() or not any(runs.iterdir()), "a run folder was created"


@pytest.mark.parametrize("option, given", [(["--epochs", "0"], "--epochs 0"), (["--name", "a/b"], "--name a/b"),
                                           (["--set", "train.epochs=0"], "--set train.epochs=0")])
def test_a_message_names_the_option_the_person_gave(option, given, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", str(CLUSTERS), "--runs-dir", str(tmp_path / "runs"), *option])
    err = " ".join(capsys.readouterr().err.split())
    assert exit_info.value.code == 2
    assert f"clusters.yaml ({given}): " in err and err.count("--") == 1, err


@pytest.mark.parametrize("command", ["train", "eval", "gradcheck"])
def test_every_command_takes_device_by_one_rule(command, tmp_path, capsys):
    """--device gpu: the same message and exit 2 from every command that has
    the option (PyTorch has no device named gpu); nothing written."""
    argv = {"train": ["train", str(CLUSTERS), "--runs-dir", str(tmp_path / "runs")],
            "eval": ["eval", "--checkpoint", str(_good_checkpoint(tmp_path))],
            "gradcheck": ["gradcheck", "--only", "nn.Linear"]}[command]
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        main([*argv, "--device", "gpu"])
    out, err = capsys.readouterr()
    assert exit_info.value.code == 2 and out == ""
    assert " ".join(err.split()) == "error: --device gpu: not a device; expected cpu, cuda or cuda:N (N: a GPU index)"
    assert not (tmp_path / "runs").exists()
    with pytest.raises(ValueError, match="unknown device 'gpu'"):
        nettrain.device("gpu")


def test_cuda_without_a_gpu_is_a_clear_error(tmp_path, capsys):
    if nettrain.cuda_is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(SystemExit) as exit_info:
        main(["train", str(CLUSTERS), "--device", "cuda", "--runs-dir", str(tmp_path / "runs")])
    assert exit_info.value.code == 2
    assert "CuPy" in " ".join(capsys.readouterr().err.split())
    assert not (tmp_path / "runs").exists()


def _output_commands(trained_run):
    """Every option that names a file a command writes: (argv without the option, the option)."""
    checkpoint = trained_run / "checkpoints" / "last.npz"
    return {"lr-find": (["lr-find", str(CLUSTERS)], "--out"),
            "eval --show": (["eval", "--checkpoint", str(checkpoint), "--show", "4"], "--out"),
            "export": (["export", "--checkpoint", str(checkpoint), "--format", "safetensors"], "--out"),
            "runs export": (["runs", "export", str(trained_run)], "--csv")}


@pytest.mark.parametrize("command", ["lr-find", "eval --show", "export", "runs export"])
@pytest.mark.parametrize("where", ["a missing folder", "a folder that takes no files", "a folder itself"])
def test_every_output_file_option_follows_one_rule(command, where, trained_run, tmp_path, capsys):
    """--out / --csv: a file in a folder that exists and takes files, checked
    before the work (no sweep, no evaluation): one line, exit 2, no folder
    made, nothing written."""
    if command in ("lr-find", "eval --show"):
        pytest.importorskip("matplotlib")
    if command == "export":
        pytest.importorskip("safetensors")
    if where == "a folder that takes no files" and not Path("/proc/self").is_dir():
        pytest.skip("needs Linux's /proc")
    path = {"a missing folder": tmp_path / "typo" / "x.out", "a folder that takes no files": Path("/proc/x.out"),
            "a folder itself": tmp_path}[where]
    argv, option = _output_commands(trained_run)[command]
    before = sorted(p.name for p in trained_run.rglob("*"))
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        main([*argv, option, str(path)])
    out, err = capsys.readouterr()
    assert exit_info.value.code == 2 and out == ""  # lr-find prints its sweep, eval its table: neither ran
    assert err.startswith(f"error: {option} {path}: ") and len(err.splitlines()) == 1, err
    assert {"a missing folder": "does not exist", "a folder that takes no files": "cannot write",
            "a folder itself": "is a folder"}[where] in err
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # the missing folder was not made
    assert sorted(p.name for p in trained_run.rglob("*")) == before


def test_gradcheck_seed_must_be_non_negative(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["gradcheck", "--seed", "-1", "--only", "nn.Linear"])
    out, err = capsys.readouterr()
    assert exit_info.value.code == 2 and out == ""
    assert err == "error: --seed -1: expected an integer >= 0 (NumPy seeds are non-negative)\n"


# (id, argv, the first line's words): click's own telling is a usage block,
# a "Try 'nettrain train -h'" line and an "Error:" line; nettrain's is its own.
COMMAND_LINE_MISTAKES = [
    ("missing argument", ["train"], ["error: nettrain train: missing argument 'config'"]),
    ("unknown option", ["train", CLUSTERS, "--sett", "x"], ["error: nettrain train: no option --sett; did you mean --set?"]),
    ("not an integer", ["train", CLUSTERS, "--epochs", "abc"], ["error: --epochs:", "integer"]),
    ("below the minimum", ["lr-find", CLUSTERS, "--steps", "5"], ["error: --steps:", "10"]),
    ("unknown command", ["tran"], ["error: nettrain: no such command 'tran'; did you mean 'train'?"]),
]


@pytest.mark.parametrize("argv, words", [pytest.param(c[1], c[2], id=c[0]) for c in COMMAND_LINE_MISTAKES])
def test_a_command_line_mistake_is_one_error_line_and_the_usage(argv, words, cli, monkeypatch, tmp_path):
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.chdir(tmp_path)
    code, out, err = cli(argv)
    assert code == 2 and out == "", (code, out, err)
    lines = err.splitlines()
    assert len(lines) == 2, err
    for word in words:
        assert word in lines[0], (word, err)
    command = "nettrain" if argv[0] == "tran" else f"nettrain {argv[0]}"
    assert lines[1].startswith(f"usage: {command} [OPTIONS]") and lines[1].endswith(f"({command} -h for help)"), err
    assert not list(tmp_path.iterdir()), "nothing is written"


def test_a_bare_command_group_still_shows_its_help(cli):
    code, out, err = cli(["data"])
    assert code == 2 and "Usage: nettrain data [OPTIONS] COMMAND" in out + err and "download" in out + err


@pytest.mark.parametrize("command", [["train", CLUSTERS], ["runs"], ["runs", "compare", "a", "b"],
                                     ["runs", "export", "a", "--csv", "a.csv"]], ids=["train", "runs", "runs compare", "runs export"])
@pytest.mark.parametrize("empty", ["", " "], ids=["empty", "blank"])
def test_an_empty_runs_dir_is_refused_not_taken_for_the_current_folder(command, empty, cli, monkeypatch, tmp_path):
    """--runs-dir "$RUNS" with RUNS unset: a Path("") would be ".", and the run would land here."""
    monkeypatch.chdir(tmp_path)
    code, out, err = cli([*command, "--runs-dir", empty])
    assert code == 2 and out == "", (code, out, err)
    assert err.splitlines()[0] == ("error: --runs-dir: empty; name a folder, e.g. runs (the default), "
                                   "or leave the option out"), err
    assert list(tmp_path.iterdir()) == []



@pytest.mark.parametrize("command", [["data", "download", "mnist"], ["data", "info", "mnist"],
                                     ["data", "verify", "mnist"]], ids=["download", "info", "verify"])
def test_an_empty_data_root_is_refused_not_taken_for_the_current_folder(command, cli, monkeypatch, tmp_path):
    """--root "$DATA" with DATA unset: a download would land in the current folder."""
    monkeypatch.chdir(tmp_path)
    code, out, err = cli([*command, "--root", ""])
    assert code == 2 and out == "", (code, out, err)
    assert err.splitlines()[0] == "error: --root: empty; name a folder, e.g. data, or leave the option out", err
    assert list(tmp_path.iterdir()) == []
