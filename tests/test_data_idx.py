"""IDX reader: round trips, and the named errors for damaged or mismatched files."""
import gzip

import numpy as np
import pytest

from nettrain.data.idx import encode_idx, parse_idx, read_idx, read_idx_pair, write_idx
from nettrain.errors import DataError, UsageError


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "float32", "float64"])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_round_trip_keeps_values_shape_and_dtype(tmp_path, dtype, suffix):
    rng = np.random.default_rng(0)
    array = (rng.standard_normal((5, 3, 4)) * 50).astype(dtype)
    path = write_idx(tmp_path / f"a-idx3{suffix}", array)
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype).newbyteorder("=")
    np.testing.assert_array_equal(back, array)


def test_gzip_is_detected_by_content_not_name(tmp_path):
    labels = np.arange(7, dtype=np.uint8)
    (tmp_path / "labels-no-gz-suffix").write_bytes(gzip.compress(encode_idx(labels)))
    (tmp_path / "raw.gz").write_bytes(encode_idx(labels))  # misnamed raw file
    np.testing.assert_array_equal(read_idx(tmp_path / "labels-no-gz-suffix"), labels)
    np.testing.assert_array_equal(read_idx(tmp_path / "raw.gz"), labels)


def test_header_is_big_endian_as_in_the_mnist_files():
    content = encode_idx(np.zeros((2, 28, 28), dtype=np.uint8))
    assert content[:4] == bytes([0, 0, 0x08, 3])  # 0x00000803, the MNIST images magic
    assert content[4:16] == (2).to_bytes(4, "big") + (28).to_bytes(4, "big") + (28).to_bytes(4, "big")


def test_data_errors_are_usage_errors():
    assert issubclass(DataError, UsageError)


def test_truncated_raw_file_names_file_and_sizes(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(encode_idx(np.zeros((10, 28, 28), dtype=np.uint8))[:-100])
    with pytest.raises(DataError) as err:
        read_idx(path)
    message = str(err.value)
    assert str(path) in message and "truncated" in message and "(10, 28, 28)" in message


def test_truncated_gzip_file_names_file(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    full = gzip.compress(encode_idx(np.arange(5000, dtype=np.uint8).reshape(50, 10, 10) % 251))
    path.write_bytes(full[: len(full) // 2])
    with pytest.raises(DataError, match="truncated") as err:
        read_idx(path)
    assert str(path) in str(err.value)


def test_wrong_magic_names_file(tmp_path):
    path = tmp_path / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(b"<html>Not Found</html>"))
    with pytest.raises(DataError, match="wrong magic number") as err:
        read_idx(path)
    assert str(path) in str(err.value)


def test_trailing_bytes_are_reported():
    content = encode_idx(np.zeros(4, dtype=np.uint8)) + b"extra"
    with pytest.raises(DataError, match="5 unexpected bytes"):
        parse_idx(content, source="x")


def test_wrong_dimension_count_is_reported(tmp_path):
    path = write_idx(tmp_path / "labels.gz", np.zeros((3, 2), dtype=np.uint8))
    with pytest.raises(DataError, match="1 dimension"):
        read_idx(path, expected_ndim=1)


def test_images_and_labels_of_different_lengths_name_both_files(tmp_path):
    images = write_idx(tmp_path / "train-images-idx3-ubyte.gz", np.zeros((6, 28, 28), dtype=np.uint8))
    labels = write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(5, dtype=np.uint8))
    with pytest.raises(DataError, match="do not belong together") as err:
        read_idx_pair(images, labels)
    assert str(images) in str(err.value) and str(labels) in str(err.value)


def test_labels_out_of_range_are_reported(tmp_path):
    images = write_idx(tmp_path / "i.gz", np.zeros((2, 28, 28), dtype=np.uint8))
    labels = write_idx(tmp_path / "l.gz", np.array([3, 12], dtype=np.uint8))
    with pytest.raises(DataError, match="0..9"):
        read_idx_pair(images, labels, num_classes=10)


def test_a_rewritten_file_is_read_again_not_served_from_cache(tmp_path):
    path = tmp_path / "labels.gz"
    write_idx(path, np.zeros(3, dtype=np.uint8))
    assert read_idx(path).sum() == 0
    write_idx(path, np.ones(4, dtype=np.uint8))
    np.testing.assert_array_equal(read_idx(path), np.ones(4))
