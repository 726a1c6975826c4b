"""Damaged and crafted checkpoints: every one is a single message naming the
file and the field, exit status 2, no traceback, memory bounded, no code run.

The crafted files start from a real checkpoint (``trained_run``) whose
manifest or arrays are changed, or are zip archives written byte by byte
(encrypted flags, unknown compression, a zip bomb) with ``_raw_zip``.
"""
from __future__ import annotations

import io
import json
import os
import shutil
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from conftest import run_cli_joined

from nettrain import serialization
from nettrain.checkpoint import read_checkpoint
from nettrain.errors import CheckpointError

REPO = Path(__file__).resolve().parents[1]
CLUSTERS = REPO / "configs" / "clusters.yaml"


# --------------------------------------------------------------------------- crafting files


def _npy(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _npy_header(shape, descr="<f4") -> bytes:
    """A version 1.0 .npy header declaring ``shape``, whatever data follows it."""
    text = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {tuple(shape)}, }}"
    text += " " * (-(10 + len(text) + 1) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode()


def _members(path: Path) -> dict:
    with zipfile.ZipFile(path) as z:
        return {name.removesuffix(".npy"): z.read(name) for name in z.namelist()}


def _manifest(members: dict) -> dict:
    return json.loads(np.load(io.BytesIO(members["__manifest__"])).tobytes())


def _write(path: Path, members: dict) -> Path:
    """A zip of ``.npy`` members (zipfile recomputes every CRC, as a re-zip would)."""
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name + ".npy", data)
    return path


def crafted(source: Path, target: Path, edit_manifest=None, **replace) -> Path:
    """``source`` rewritten with its manifest passed through ``edit_manifest``
    (which changes it in place or returns a new one) and members replaced."""
    members = _members(source)
    if edit_manifest is not None:
        manifest = _manifest(members)
        manifest = edit_manifest(manifest) or manifest
        text = manifest if isinstance(manifest, str) else json.dumps(manifest)
        members["__manifest__"] = _npy(np.frombuffer(text.encode(), np.uint8))
    members.update(replace)
    return _write(target, members)


def root_field(name, value):
    """A manifest edit that sets the checkpoint's top-level ``name`` (JSON node form)."""
    def edit(manifest):
        pairs = manifest["root"]["dict"]
        for pair in pairs:
            if pair[0] == name:
                pair[1] = value
                return
        pairs.append([name, value])
    return edit


def drop_field(name):
    def edit(manifest):
        manifest["root"]["dict"] = [p for p in manifest["root"]["dict"] if p[0] != name]
    return edit


def nested_field(path, value):
    """Set ``root[path[0]][path[1]]...`` (dict nodes only) in the manifest."""
    def edit(manifest):
        node = manifest["root"]
        for part in path[:-1]:
            node = next(p[1] for p in node["dict"] if p[0] == part)
        for pair in node["dict"]:
            if pair[0] == path[-1]:
                pair[1] = value
    return edit


def _raw_zip(path: Path, entries) -> Path:
    """A zip written by hand from (name, method, flags, compressed bytes, crc,
    uncompressed size) entries, so a test can declare what zipfile would not write."""
    out, central = bytearray(), bytearray()
    for name, method, flags, data, crc, size in entries:
        encoded = name.encode()
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, method, 0, 0x21, crc, len(data), size,
                           len(encoded), 0) + encoded + data
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, flags, method, 0, 0x21, crc,
                               len(data), size, len(encoded), 0, 0, 0, 0, 0, offset) + encoded
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), len(out), 0)
    path.write_bytes(bytes(out + central + end))
    return path


def _stored(name, data):
    return (name, zipfile.ZIP_STORED, 0, data, zlib.crc32(data), len(data))


def _first_weight(members: dict) -> str:
    """The member that holds the model's first array."""
    manifest = _manifest(members)
    model = next(p[1] for p in manifest["root"]["dict"] if p[0] == "model")
    return next(iter(model["dict"]))[1]["tensor"]


def zip_bomb(source: Path, target: Path, gib: int = 1) -> Path:
    """``source`` with the model's first weight replaced by a deflated .npy that
    declares ``gib`` GiB of float32 zeros in a few MB (the CRC is left 0: a
    reader that decompresses before checking has already spent the memory)."""
    members = _members(source)
    victim = _first_weight(members)
    chunk = 16 << 20
    count = (gib << 30) // chunk
    header = _npy_header((count * chunk // 4,))
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = compressor.compress(header) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(bytes(chunk)) + compressor.flush(zlib.Z_FULL_FLUSH)
    data = first + block * count + compressor.flush()
    entries = [_stored(name + ".npy", body) for name, body in members.items() if name != victim]
    entries.append((victim + ".npy", zipfile.ZIP_DEFLATED, 0, data, 0, len(header) + count * chunk))
    return _raw_zip(target, entries)


# --------------------------------------------------------------------------- running the CLI


def resume_args(run: Path, checkpoint: Path, tmp_path: Path):
    """``train --resume`` of a copy of ``run`` whose last checkpoint is ``checkpoint``."""
    copy = tmp_path / "run-copy"
    if not copy.exists():
        shutil.copytree(run, copy)
    shutil.copy(checkpoint, copy / "checkpoints" / "last.npz")
    return ["train", copy / "config.yaml", "--resume", copy / "checkpoints" / "last.npz", "--epochs", "2"]


def assert_refused(code, err, *words):
    assert code == 2, err
    assert "Traceback" not in err
    for word in words:
        assert word.lower() in err.lower(), (word, err)


# --------------------------------------------------------------------------- item 10: structure


MANIFEST_CASES = [
    ("manifest root is an int", lambda m: m.update(root=7), ["not a nettrain training checkpoint"]),
    ("manifest root is a list", lambda m: m.update(root={"list": [1, 2]}), ["not a nettrain training checkpoint"]),
    ("manifest is a list", lambda m: "[1, 2, 3]", ["not nettrain's"]),
    ("unhashable key", lambda m: m["root"]["dict"].append([["a"], 1]), ["dict entry"]),
    ("nested 5000 deep", lambda m: json.dumps({**m, "root": None}).replace(
        '"root": null', '"root": ' + '{"list": [' * 5000 + "]}" * 5000), ["nested deeper"]),
    ("missing data", drop_field("data"), ["data", "missing"]),
    ("model is an int", root_field("model", 3), ["model", "expected a mapping", "3"]),
    ("model is a list", root_field("model", {"list": []}), ["model", "expected a mapping"]),
    ("data is a string", root_field("data", "abc"), ["data", "expected a mapping", "abc"]),
    ("step is a string", root_field("step", "3"), ["step", "integer"]),
    ("progress is a list", root_field("progress", {"list": [1]}), ["progress", "expected a mapping"]),
    ("metrics is an int", root_field("metrics", 4), ["metrics", "expected a list"]),
    ("rng is a string", root_field("rng", "x"), ["rng", "expected a mapping"]),
    ("rng state is a float", nested_field(["rng", "seed"], 1.5), ["rng.seed", "integer"]),
    ("param_groups is a mapping", nested_field(["optimizer", "param_groups"], {"dict": []}),
     ["optimizer.param_groups", "expected a list"]),
    ("optimizer state is a list", nested_field(["optimizer", "state"], {"list": []}),
     ["optimizer.state", "expected a mapping"]),
    ("version is a string", root_field("version", "1"), ["version", "integer", "'1'"]),
    ("an unknown field", root_field("payload", 1), ["payload", "not part of a checkpoint"]),
    ("5000-digit number", lambda m: json.dumps(m).replace('["step", ', '["step", ' + "9" * 5000 + ", 0 and "),
     ["truncated or corrupted"]),
]


@pytest.mark.parametrize("edit, words", [pytest.param(c[1], c[2], id=c[0]) for c in MANIFEST_CASES])
def test_eval_of_a_crafted_manifest_names_the_file_and_the_field(edit, words, trained_run, tmp_path, capsys):
    path = crafted(trained_run / "checkpoints" / "last.npz", tmp_path / "crafted.npz", edit)
    code, _, err = run_cli_joined(["eval", "--checkpoint", path], capsys)
    assert_refused(code, err, "crafted.npz", *words)


@pytest.mark.parametrize("edit, words", [
    pytest.param(nested_field(["optimizer", "param_groups"], {"list": [{"dict": [["lr", "fast"]]}]}),
                 ["param_groups[0]"], id="lr is a string"),
    pytest.param(nested_field(["optimizer", "state"], {"dict": [[0, {"dict": [["momentum_buffer", "x"]]}]]}),
                 ["optimizer.state[0]"], id="a buffer is a string"),
    pytest.param(nested_field(["progress", "count"], -1), ["progress.count", ">= 0"], id="negative count"),
    pytest.param(root_field("scheduler", {"dict": [["x", 1]]}), ["scheduler"], id="a scheduler the run lacks"),
])
def test_resume_of_a_crafted_checkpoint_names_the_field_and_writes_nothing(edit, words, trained_run, tmp_path, capsys):
    path = crafted(trained_run / "checkpoints" / "last.npz", tmp_path / "crafted.npz", edit)
    args = resume_args(trained_run, path, tmp_path)
    before = {p: p.read_bytes() for p in (tmp_path / "run-copy").rglob("*") if p.is_file()}
    code, _, err = run_cli_joined(args, capsys)
    assert_refused(code, err, "last.npz", *words)
    after = {p: p.read_bytes() for p in (tmp_path / "run-copy").rglob("*") if p.is_file()}
    assert after == before


def test_the_model_must_match_the_config_shapes_before_reading(trained_run, tmp_path, capsys):
    source = trained_run / "checkpoints" / "last.npz"
    members = _members(source)
    victim = _first_weight(members)
    path = crafted(source, tmp_path / "shape.npz", **{victim: _npy(np.zeros((3, 3), np.float32))})
    code, _, err = run_cli_joined(["eval", "--checkpoint", path], capsys)
    assert_refused(code, err, "shape.npz", "model[", "shape (3, 3)", "expects")


# --------------------------------------------------------------------------- items 10, 12: arrays and zip members


def test_a_header_declaring_a_huge_shape_is_refused_before_reading(trained_run, tmp_path, capsys):
    source = trained_run / "checkpoints" / "last.npz"
    members = _members(source)
    victim = _first_weight(members)
    weights = np.load(io.BytesIO(members[victim]))
    huge = _npy_header((10 ** 12, *weights.shape)) + weights.tobytes()
    path = crafted(source, tmp_path / "huge.npz", **{victim: huge})
    code, _, err = run_cli_joined(["eval", "--checkpoint", path], capsys)
    assert_refused(code, err, "huge.npz", "declares shape (1000000000000,")


@pytest.mark.parametrize("method, flags, words", [
    pytest.param(zipfile.ZIP_STORED, 0x1, ["encrypted"], id="encrypted member"),
    pytest.param(99, 0, ["compression method 99"], id="unknown compression"),
    pytest.param(zipfile.ZIP_BZIP2, 0, ["compression method 12"], id="bzip2 member"),
])
def test_zip_members_nettrain_never_writes_are_refused(method, flags, words, trained_run, tmp_path, capsys):
    members = _members(trained_run / "checkpoints" / "last.npz")
    victim = _first_weight(members)
    entries = [_stored(name + ".npy", data) if name != victim else
               (name + ".npy", method, flags, data, zlib.crc32(data), len(data)) for name, data in members.items()]
    path = _raw_zip(tmp_path / "odd.npz", entries)
    code, _, err = run_cli_joined(["eval", "--checkpoint", path], capsys)
    assert_refused(code, err, "odd.npz", *words)


def test_a_zip_bomb_is_refused_with_bounded_memory(trained_run, tmp_path):
    """1 GiB of declared weights in a ~5 MB file: refused from the headers,
    in a child process whose peak memory stays far below the declared size."""
    path = zip_bomb(trained_run / "checkpoints" / "last.npz", tmp_path / "bomb.npz", gib=1)
    assert path.stat().st_size < 8 << 20
    script = ("import resource, sys\nfrom nettrain.cli import main\ntry:\n    main()\nfinally:\n"
              "    print('maxrss_kib', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n")
    result = subprocess.run([sys.executable, "-c", script, "eval", "--checkpoint", str(path)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert "bomb.npz" in result.stderr and "Traceback" not in result.stderr
    peak_mib = int(result.stderr.split("maxrss_kib")[-1]) / 1024
    assert peak_mib < 400, f"peak memory {peak_mib:.0f} MiB while refusing a 1 GiB bomb"


def test_the_absolute_cap_holds_without_a_model_to_compare(tmp_path, monkeypatch):
    path = tmp_path / "big.npz"
    serialization.save({"w": np.zeros(300_000, np.float32)}, path)
    monkeypatch.setattr(serialization, "MAX_TOTAL_BYTES", 1 << 20)
    with pytest.raises(CheckpointError, match="big.npz: its arrays declare more than"):
        serialization.load(path)


@pytest.mark.parametrize("dtype", ["complex64", "datetime64[s]", "timedelta64[s]", [("a", "f4"), ("b", "i4")], "U3"])
def test_non_real_dtypes_are_refused(dtype, tmp_path):
    path = tmp_path / "odd.npz"
    manifest = {"format": "nettrain", "version": 1, "root": {"dict": [["w", {"tensor": "a0"}]]}}
    _write(path, {"__manifest__": _npy(np.frombuffer(json.dumps(manifest).encode(), np.uint8)),
                  "a0": _npy(np.zeros(3, dtype=dtype))})
    with pytest.raises(CheckpointError, match=r"odd.npz: array obj\['w'\] has dtype .*only real numbers"):
        serialization.load(path)


def test_complex_model_weights_in_a_checkpoint_are_refused(trained_run, tmp_path, capsys):
    source = trained_run / "checkpoints" / "last.npz"
    members = _members(source)
    victim = _first_weight(members)
    weights = np.load(io.BytesIO(members[victim]))
    path = crafted(source, tmp_path / "complex.npz", **{victim: _npy(weights.astype(np.complex64))})
    code, _, err = run_cli_joined(["eval", "--checkpoint", path], capsys)
    assert_refused(code, err, "complex.npz", "complex64", "real numbers")


# --------------------------------------------------------------------------- item 13: not a regular file


def test_a_fifo_is_not_a_regular_file(tmp_path):
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)
    result = subprocess.run([sys.executable, "-c", "from nettrain.cli import main; main()",
                             "eval", "--checkpoint", str(fifo)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "pipe.npz" in result.stderr and "not a regular file" in result.stderr


# --------------------------------------------------------------------------- item 14: counters in range


@pytest.mark.parametrize("edit, words", [
    pytest.param(nested_field(["loader", "position"], -3), ["loader.position", ">= 0", "-3"], id="negative position"),
    pytest.param(nested_field(["loader", "position"], 99), ["loader.position", "99", "batches"], id="position past the epoch"),
    pytest.param(nested_field(["loader", "epoch"], 7), ["loader.epoch", "7"], id="loader epoch differs"),
    pytest.param(root_field("epoch", -1), ["epoch", ">= 0"], id="negative epoch"),
    pytest.param(root_field("step", True), ["step", "true"], id="boolean step"),
])
def test_counters_out_of_range_are_refused_on_resume(edit, words, trained_run, tmp_path, capsys):
    path = crafted(trained_run / "checkpoints" / "last.npz", tmp_path / "counters.npz", edit)
    code, _, err = run_cli_joined(resume_args(trained_run, path, tmp_path), capsys)
    assert_refused(code, err, *words)
    assert "loss became" not in err


# --------------------------------------------------------------------------- item 16: integrity


def test_a_changed_array_with_a_recomputed_crc_is_named_by_its_sha256(trained_run, tmp_path):
    source = trained_run / "checkpoints" / "last.npz"
    members = _members(source)
    victim = _first_weight(members)
    data = bytearray(members[victim])
    data[-1] ^= 0x01  # one bit of the last weight; the re-zip writes a matching CRC
    path = crafted(source, tmp_path / "flipped.npz", **{victim: bytes(data)})
    with pytest.raises(CheckpointError, match=r"flipped.npz: corrupted: array obj\['model'\]\[.*SHA-256"):
        read_checkpoint(path)


def test_a_truncated_member_in_a_rezipped_file_is_named(trained_run, tmp_path):
    source = trained_run / "checkpoints" / "last.npz"
    members = _members(source)
    victim = _first_weight(members)
    path = crafted(source, tmp_path / "short.npz", **{victim: members[victim][:-8]})
    with pytest.raises(CheckpointError, match=r"short.npz: truncated or corrupted \(array obj\['model'\]"):
        read_checkpoint(path)


def test_every_array_has_its_sha256_in_the_manifest(trained_run):
    members = _members(trained_run / "checkpoints" / "last.npz")
    manifest = _manifest(members)
    arrays = {name for name in members if name != "__manifest__"}
    assert arrays and set(manifest["sha256"]) == arrays
    for name in arrays:
        assert manifest["sha256"][name] == serialization.array_digest(np.load(io.BytesIO(members[name])))


# --------------------------------------------------------------------------- item 4: a killed writer's temporary file


def test_a_killed_writers_temporary_file_is_removed_by_the_next_save(tmp_path):
    from nettrain.checkpoint import write_atomic

    target = tmp_path / "last.npz"
    dead = tmp_path / ".last.npz.999999999.tmp"   # a pid no process has
    live = tmp_path / ".last.npz.1.tmp"           # pid 1 is always running: not ours to remove
    other = tmp_path / ".epoch-0003.npz.999999999.tmp"  # killed while copying a name never written again
    foreign = tmp_path / ".notes.tmp"             # not nettrain's pattern: left alone
    for path in (dead, live, other, foreign):
        path.write_bytes(b"half a checkpoint")
    write_atomic({"w": np.arange(3)}, target)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([target.name, live.name, foreign.name])
