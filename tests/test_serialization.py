"""save/load: nested checkpoints round-trip without pickle; bad files give
one clear error naming the file."""
import io
import json
import zipfile

import numpy as np
import pytest

import nettrain as nt
from nettrain import models, nn
from nettrain.errors import CheckpointError
from nettrain.serialization import dumps, load, loads, save


def _checkpoint():
    model = models.MLP(4, [3], 2)
    return {
        "model": model.state_dict(),
        "epoch": 3,
        "loss": 0.25,
        "name": "run-1",
        "done": False,
        "note": None,
        "history": [1.5, 1.0, 0.5],
        "betas": (0.9, 0.999),
        "state": {0: {"step": 2, "buf": nt.ones(2, 2)}, 7: {}},
        "array": np.arange(6, dtype=np.int32).reshape(2, 3),
        "scalar": np.float32(1.5),
        "rng": nt.get_rng_state(),
    }


def test_round_trip_keeps_structure_types_and_values(tmp_path):
    original = _checkpoint()
    path = tmp_path / "ck.nt"
    save(original, path)
    assert path.exists() and not (tmp_path / "ck.nt.npz").exists()  # written where asked
    back = load(path)
    assert back.keys() == original.keys()
    for key in ("epoch", "loss", "name", "done", "note", "history", "betas", "rng"):
        assert back[key] == original[key] and type(back[key]) is type(original[key]), key
    assert sorted(back["state"]) == [0, 7] and back["state"][0]["step"] == 2
    assert isinstance(back["state"][0]["buf"], nt.Tensor)
    assert isinstance(back["array"], np.ndarray) and back["array"].dtype == np.int32
    np.testing.assert_array_equal(back["array"], original["array"])
    assert back["scalar"] == np.float32(1.5) and back["scalar"].dtype == np.float32
    for name, tensor in original["model"].items():
        assert back["model"][name].dtype == tensor.dtype
        np.testing.assert_array_equal(back["model"][name].numpy(), tensor.numpy())


def test_model_state_dict_round_trip_restores_outputs():
    nt.manual_seed(1)
    source = models.LeNet()
    target = models.LeNet()
    x = nt.randn(2, 1, 28, 28)
    target.load_state_dict(loads(dumps(source.state_dict())))
    np.testing.assert_array_equal(target(x).array, source(x).array)


def test_file_objects_work_both_ways():
    buffer = io.BytesIO()
    save({"w": nt.ones(3)}, buffer)
    buffer.seek(0)
    assert load(buffer)["w"].tolist() == [1.0, 1.0, 1.0]


def test_the_file_is_a_plain_npz_with_a_json_manifest(tmp_path):
    path = tmp_path / "ck.npz"
    save({"w": nt.ones(2)}, path)
    with np.load(path, allow_pickle=False) as archive:
        manifest = json.loads(bytes(archive["__manifest__"]).decode())
        assert manifest["format"] == "nettrain" and manifest["root"] == {"dict": [["w", {"tensor": "a0"}]]}
        assert archive["a0"].tolist() == [1.0, 1.0]


def test_unsupported_values_are_refused_at_save_naming_where():
    with pytest.raises(TypeError, match=r"obj\['model'\] is a Linear"):
        dumps({"model": nn.Linear(1, 1)})
    with pytest.raises(TypeError, match="keys must be str or int"):
        dumps({(1, 2): 3})
    with pytest.raises(TypeError, match="object array"):
        dumps({"bad": np.array([{}], dtype=object)})


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(CheckpointError, match="nope.npz: no such file"):
        load(tmp_path / "nope.npz")
    with pytest.raises(CheckpointError, match="is a directory"):
        load(tmp_path)


def test_truncated_file_is_named(tmp_path):
    path = tmp_path / "ck.npz"
    save(_checkpoint(), path)
    data = path.read_bytes()
    for cut in (len(data) // 2, 100, 10):
        path.write_bytes(data[:cut])
        with pytest.raises(CheckpointError, match=r"ck\.npz: truncated or corrupted"):
            load(path)


def test_corrupted_bytes_are_caught(tmp_path):
    path = tmp_path / "ck.npz"
    save({"w": nt.ones(100)}, path)
    data = bytearray(path.read_bytes())
    data[len(data) // 3] ^= 0xFF  # inside the array data: the zip CRC catches it
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="truncated or corrupted"):
        load(path)


@pytest.mark.parametrize("content,reason", [
    (b"", "empty"),
    (b"epoch: 3\n", "not a zip archive"),
    (b"\x80\x04\x95pickled", "not a zip archive"),
])
def test_foreign_files_are_not_nettrain_files(tmp_path, content, reason):
    path = tmp_path / "other.bin"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match=f"other.bin: not a nettrain file \\({reason}\\)"):
        load(path)


def test_a_plain_npz_or_npy_is_not_a_nettrain_file(tmp_path):
    np.savez(tmp_path / "plain.npz", x=np.ones(2))
    with pytest.raises(CheckpointError, match="without a nettrain manifest"):
        load(tmp_path / "plain.npz")
    np.save(tmp_path / "one.npy", np.ones(2))
    with pytest.raises(CheckpointError, match="a single .npy array"):
        load(tmp_path / "one.npy")
    other_zip = tmp_path / "other.zip"
    with zipfile.ZipFile(other_zip, "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(CheckpointError, match="not a nettrain file"):
        load(other_zip)


def test_a_pickled_object_array_is_refused(tmp_path):
    path = tmp_path / "evil.npz"
    manifest = {"format": "nettrain", "version": 1, "root": {"ndarray": "a0"}}
    np.savez(path, __manifest__=np.frombuffer(json.dumps(manifest).encode(), np.uint8),
             a0=np.array([{"payload": 1}], dtype=object))
    with pytest.raises(CheckpointError, match="evil.npz: holds a pickled \\(object\\) array"):
        load(path)


def test_a_newer_format_version_asks_for_an_upgrade(tmp_path):
    path = tmp_path / "new.npz"
    manifest = {"format": "nettrain", "version": 99, "root": None}
    np.savez(path, __manifest__=np.frombuffer(json.dumps(manifest).encode(), np.uint8))
    with pytest.raises(CheckpointError, match="newer nettrain"):
        load(path)


@pytest.mark.gpu
def test_gpu_tensors_are_stored_as_host_arrays_and_load_back_to_the_gpu():
    model = models.MLP(4, [3], 2).to("cuda")
    data = dumps(model.state_dict())
    on_cpu = loads(data)
    assert all(t.device == "cpu" for t in on_cpu.values())
    cpu_model = models.MLP(4, [3], 2)
    cpu_model.load_state_dict(on_cpu)
    back = loads(data, map_location="cuda")
    assert all(t.device == "cuda:0" for t in back.values())
    model.load_state_dict(on_cpu)
