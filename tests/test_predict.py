"""``nettrain predict``: image files made in the test (a drawn digit scaled
and inverted, a test-set image saved as PNG) and test images by index; bad
files are exit 2 naming the file, a decompression bomb is refused."""
from __future__ import annotations

import json
import struct
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

from conftest import run_cli
from nettrain.data import MNIST

Image = pytest.importorskip("PIL.Image", reason="the images extra (Pillow) is not installed")
ImageDraw = pytest.importorskip("PIL.ImageDraw")


def predict_json(args, capsys) -> list[dict]:
    code, out, err = run_cli(["predict", "--json", *args], capsys)
    assert code == 0, err
    return [json.loads(line) for line in out.splitlines()]


def drawn_one(size: int, ink: str, paper: str) -> "Image.Image":
    """A '1' as a person draws it: one slanted stroke, on a size x size canvas."""
    image = Image.new("L", (size, size), paper)
    s = size / 28
    ImageDraw.Draw(image).line([(15 * s, 5 * s), (13 * s, 23 * s)], fill=ink, width=max(2, round(2.5 * s)))
    return image


def test_a_drawn_digit_scaled_up_and_dark_on_light_reads_as_the_small_light_one(lenet_checkpoint, tmp_path, capsys):
    from nettrain.interop.images import read_digit_image

    small = tmp_path / "small.png"
    drawn_one(56, "white", "black").save(small)              # light on dark, as MNIST
    big = tmp_path / "big.jpg"
    drawn_one(560, "black", "white").convert("RGB").save(big)  # a drawing: dark ink on paper, 10x larger
    a, b = read_digit_image(small)[0], read_digit_image(big)[0]
    assert b.max() > 0.9 and b[0].max() < 0.1                 # inverted: light ink, dark border
    # scaled and centred onto the same place, give or take a pixel of rounding
    best = max(np.corrcoef(a.ravel(), np.roll(b, (dy, dx), axis=(0, 1)).ravel())[0, 1]
               for dy in (-1, 0, 1) for dx in (-1, 0, 1))
    assert best > 0.9
    results = predict_json(["--checkpoint", lenet_checkpoint, small, big], capsys)
    assert [r["image"] for r in results] == [str(small), str(big)]
    assert [r["top"][0]["class"] for r in results] == [1, 1]
    for r in results:
        probabilities = [t["probability"] for t in r["top"]]
        assert len(probabilities) == 3 and probabilities == sorted(probabilities, reverse=True)
        assert 0 < sum(probabilities) <= 1 + 1e-6


def test_a_test_image_saved_as_png_round_trips_to_the_same_prediction(lenet_checkpoint, tmp_path, capsys):
    test = MNIST(train=False)
    paths = []
    for n in (0, 1, 2, 3):
        paths.append(tmp_path / f"test-{n}.png")
        Image.fromarray(test.data[n]).save(paths[-1])
    from_files = predict_json(["--checkpoint", lenet_checkpoint, *paths], capsys)
    by_index = predict_json(["--checkpoint", lenet_checkpoint, "--index", "0", "--index", "1",
                             "--index", "2", "--index", "3"], capsys)
    assert [r["top"] for r in from_files] == [r["top"] for r in by_index]
    assert [r["label"] for r in by_index] == test.targets[:4].tolist()
    assert [r["top"][0]["class"] for r in by_index] == test.targets[:4].tolist()  # 7 2 1 0: easy ones


def test_plain_output_names_fashion_classes(fashion_checkpoint, capsys):
    code, out, err = run_cli(["predict", "--checkpoint", fashion_checkpoint, "--index", "0"], capsys)
    assert code == 0, err
    assert out.startswith("test image 0 (label 9 Ankle boot): ")
    assert out.count("%") == 3
    (record,) = predict_json(["--checkpoint", fashion_checkpoint, "--index", "0"], capsys)
    names = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
    assert all(t["name"] == names[t["class"]] for t in record["top"])


def _png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height pixels (8-bit gray), with a tiny body."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 16))
            + chunk(b"IEND", b""))


def _noise_png() -> bytes:
    import io

    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (28, 28), dtype=np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()  # about 800 bytes: noise does not compress


BAD_FILES = {
    "not an image": (lambda p: p.write_text("hello, I am text"), "not an image"),
    "empty": (lambda p: p.write_bytes(b""), "empty"),
    "a folder": (lambda p: p.mkdir(), "folder"),
    "missing": (lambda p: None, "no such"),
    "decompression bomb": (lambda p: p.write_bytes(_png_claiming(100_000, 100_000)), "too many pixels"),
    "truncated": (lambda p: p.write_bytes(_noise_png()[:400]), "damaged"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_image_is_exit_2_naming_the_file(case, lenet_checkpoint, tmp_path, capsys):
    make, words = BAD_FILES[case]
    good = tmp_path / "good.png"
    drawn_one(28, "white", "black").save(good)
    bad = tmp_path / "bad-file.png"
    make(bad)
    code, out, err = run_cli(["predict", "--checkpoint", lenet_checkpoint, good, bad], capsys)
    assert code == 2 and out == ""  # nothing printed for the good one either
    assert "bad-file.png" in err and words in err and "Traceback" not in err


def test_index_out_of_range_and_nothing_to_predict(lenet_checkpoint, capsys):
    code, out, err = run_cli(["predict", "--checkpoint", lenet_checkpoint, "--index", "10000"], capsys)
    assert code == 2 and "--index 10000" in err and "0..9999" in err
    code, out, err = run_cli(["predict", "--checkpoint", lenet_checkpoint], capsys)
    assert code == 2 and "--index" in err


def test_without_pillow_it_says_what_to_install(lenet_checkpoint, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "PIL", None)
    monkeypatch.setitem(sys.modules, "PIL.Image", None)
    code, out, err = run_cli(["predict", "--checkpoint", lenet_checkpoint, tmp_path / "x.png"], capsys)
    assert code == 2 and "pip install 'nettrain[images]'" in err and "Pillow" in err
