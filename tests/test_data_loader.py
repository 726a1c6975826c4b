"""DataLoader: every sample once per epoch, seeded order, bit-exact resume mid-epoch."""
import json

import numpy as np
import pytest

from nettrain.data import DataLoader
from nettrain.errors import DataError


def make_data(n=103, features=3):
    x = np.arange(n * features, dtype=np.float32).reshape(n, features)
    y = np.arange(n, dtype=np.int64)  # y is the sample's index: batches show which samples came
    return x, y


def epoch_labels(loader):
    return [yb.copy() for _, yb in loader]


@pytest.mark.parametrize("drop_last", [False, True])
def test_every_sample_once_per_epoch(drop_last):
    x, y = make_data(103)
    loader = DataLoader(x, y, batch_size=10, shuffle=True, drop_last=drop_last, seed=1)
    assert len(loader) == (10 if drop_last else 11)
    for _ in range(3):
        batches = epoch_labels(loader)
        assert len(batches) == len(loader)
        seen = np.concatenate(batches)
        if drop_last:
            assert len(seen) == 100 and len(np.unique(seen)) == 100
        else:
            np.testing.assert_array_equal(np.sort(seen), y)


def test_batches_pair_x_with_its_own_y():
    x, y = make_data(50)
    for xb, yb in DataLoader(x, y, batch_size=8, seed=4):
        np.testing.assert_array_equal(xb, x[yb])
        assert xb.dtype == np.float32 and yb.dtype == np.int64


def test_seeded_order_is_reproducible_and_changes_per_epoch_and_seed():
    x, y = make_data(200)
    first = [np.concatenate(epoch_labels(DataLoader(x, y, 16, seed=7))) for _ in range(2)]
    np.testing.assert_array_equal(first[0], first[1])
    loader = DataLoader(x, y, 16, seed=7)
    epoch0, epoch1 = np.concatenate(epoch_labels(loader)), np.concatenate(epoch_labels(loader))
    assert not np.array_equal(epoch0, epoch1)
    other_seed = np.concatenate(epoch_labels(DataLoader(x, y, 16, seed=8)))
    assert not np.array_equal(epoch0, other_seed)


def test_no_shuffle_keeps_natural_order_and_last_partial_batch():
    x, y = make_data(25)
    batches = epoch_labels(DataLoader(x, y, batch_size=10, shuffle=False))
    assert [len(b) for b in batches] == [10, 10, 5]
    np.testing.assert_array_equal(np.concatenate(batches), y)


@pytest.mark.parametrize("stop_after", [0, 1, 4, 6])
def test_state_restored_mid_epoch_gives_the_same_remaining_batches(stop_after):
    x, y = make_data(103)
    reference = DataLoader(x, y, batch_size=15, seed=3)
    uninterrupted = [epoch_labels(reference) for _ in range(3)]

    loader = DataLoader(x, y, batch_size=15, seed=3)
    epoch_labels(loader)  # epoch 0 complete
    batches = iter(loader)  # epoch 1, interrupted after `stop_after` batches
    seen = [next(batches)[1].copy() for _ in range(stop_after)]
    saved = json.loads(json.dumps(loader.state_dict()))  # what a checkpoint would store

    resumed = DataLoader(x, y, batch_size=15, seed=999)  # a fresh loader; the seed comes from the state
    resumed.load_state_dict(saved)
    rest = epoch_labels(resumed)
    assert len(seen) + len(rest) == len(reference)
    for got, want in zip(seen + rest, uninterrupted[1]):
        np.testing.assert_array_equal(got, want)
    for got, want in zip(epoch_labels(resumed), uninterrupted[2]):
        np.testing.assert_array_equal(got, want)


def test_state_saved_while_a_batch_is_in_hand_resumes_with_the_next_batch():
    x, y = make_data(40)
    loader = DataLoader(x, y, batch_size=10, seed=0)
    batches = iter(loader)
    next(batches)
    second = next(batches)[1].copy()
    state = loader.state_dict()  # saved after the step on the second batch
    assert state["epoch"] == 0 and state["position"] == 2
    full = epoch_labels(DataLoader(x, y, batch_size=10, seed=0))
    np.testing.assert_array_equal(second, full[1])
    resumed = DataLoader(x, y, batch_size=10, seed=0)
    resumed.load_state_dict(state)
    rest = epoch_labels(resumed)
    assert len(rest) == 2
    np.testing.assert_array_equal(rest[0], full[2])


def test_state_saved_after_the_last_batch_continues_with_the_next_epoch():
    x, y = make_data(30)
    reference = DataLoader(x, y, batch_size=10, seed=5)
    epochs = [epoch_labels(reference) for _ in range(2)]
    loader = DataLoader(x, y, batch_size=10, seed=5)
    batches = iter(loader)
    for _ in range(3):
        next(batches)  # the last batch is in hand; the loop has not ended yet
    resumed = DataLoader(x, y, batch_size=10, seed=5)
    resumed.load_state_dict(loader.state_dict())
    for got, want in zip(epoch_labels(resumed), epochs[1]):
        np.testing.assert_array_equal(got, want)


def test_state_for_another_batch_size_is_refused():
    x, y = make_data(30)
    state = DataLoader(x, y, batch_size=10).state_dict()
    with pytest.raises(DataError, match="batch_size"):
        DataLoader(x, y, batch_size=8).load_state_dict(state)


def test_bad_arguments_are_clear_errors():
    x, y = make_data(30)
    with pytest.raises(DataError, match="batch_size"):
        DataLoader(x, y, batch_size=0)
    with pytest.raises(DataError, match="30 samples but y has 29"):
        DataLoader(x, y[:-1], batch_size=4)


@pytest.mark.gpu
def test_cuda_loader_yields_device_arrays_in_the_cpu_order():
    from nettrain.backend import cuda_is_available, to_host

    if not cuda_is_available():
        pytest.skip("needs CuPy and an NVIDIA GPU")
    x, y = make_data(70)
    cpu = epoch_labels(DataLoader(x, y, 16, seed=2))
    gpu = [(xb, yb) for xb, yb in DataLoader(x, y, 16, seed=2, device="cuda")]
    assert type(gpu[0][0]).__module__.startswith("cupy")
    for (xb, yb), want in zip(gpu, cpu):
        np.testing.assert_array_equal(to_host(yb), want)
        np.testing.assert_array_equal(to_host(xb), x[want])
