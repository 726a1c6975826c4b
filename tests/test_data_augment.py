"""Image augmentation: reproducible per sample, exact geometry, training batches only."""
import numpy as np
import pytest

from nettrain.data import augment as A
from nettrain.data.loader import DataLoader


def _digits(n=8, size=12, seed=0):
    """Blobs on a black background away from the border (so shifts lose nothing)."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 1, size, size), np.float32)
    x[:, :, 3:size - 3, 3:size - 3] = rng.random((n, 1, size - 6, size - 6), dtype=np.float32) + 0.5
    return x


def _fixed(*values):
    """A draw function giving each draw k the constant values[k] for every sample."""
    return lambda k: np.full(8, values[k])


def test_draws_are_uniform_and_keyed_by_seed_epoch_sample_and_stream():
    u = A.uniform(np, 0, 0, np.arange(200_000), stream=7, draws=2)
    assert u.shape == (2, 200_000) and 0 <= u.min() and u.max() < 1
    assert abs(u.mean() - 0.5) < 0.005 and abs(u.std() - 12 ** -0.5) < 0.005
    assert abs(np.corrcoef(u[0], u[1])[0, 1]) < 0.01
    again = A.uniform(np, 0, 0, np.array([5, 3]), stream=7, draws=2)
    np.testing.assert_array_equal(again, u[:, [5, 3]])
    for other in [A.uniform(np, 1, 0, np.arange(10), 7, 2), A.uniform(np, 0, 1, np.arange(10), 7, 2),
                  A.uniform(np, 0, 0, np.arange(10), 8, 2)]:
        assert not np.array_equal(other, u[:, :10])


@pytest.mark.parametrize("steps", [[A.RandomShift(2)], [A.RandomRotation(15)],
                                   [A.RandomAffine(10, 0.1, (0.9, 1.1))], [A.RandomErasing(p=0.7)],
                                   [A.RandomShift(1), A.RandomRotation(10), A.RandomErasing()]])
def test_a_sample_gets_the_same_augmentation_whatever_batch_it_is_in(steps):
    augment = A.Augment(steps, seed=3)
    x, index = _digits(8), np.array([7, 2, 5, 0, 1, 6, 3, 4])
    whole = augment(x, index, epoch=4)
    halves = np.concatenate([augment(x[:3], index[:3], 4), augment(x[3:], index[3:], 4)])
    np.testing.assert_array_equal(whole, halves)
    assert whole.dtype == np.float32 and whole.shape == x.shape
    assert not np.array_equal(whole, augment(x, index, epoch=5))
    assert not np.array_equal(whole, x)


def test_shift_moves_whole_pixels_and_pads_with_the_background():
    x = _digits(8) - 0.42  # a normalised-looking background
    out = A.RandomShift(2)(x, _fixed(1.0 - 1e-9, 0.0))  # dy = +2, dx = -2
    np.testing.assert_array_equal(out[:, :, 2:, :-2], x[:, :, :-2, 2:])
    assert (out[:, :, :2, :] == np.float32(-0.42)).all() and (out[:, :, :, -2:] == np.float32(-0.42)).all()


def test_rotation_by_90_degrees_is_numpy_rot90_and_zero_is_identity():
    x = _digits(8)
    np.testing.assert_array_equal(A.RandomRotation(90)(x, _fixed(1.0, 0.5, 0.5, 0.5)), np.rot90(x, 1, axes=(2, 3)))
    np.testing.assert_array_equal(A.RandomRotation(90)(x, _fixed(0.5, 0.5, 0.5, 0.5)), x)
    np.testing.assert_array_equal(A.RandomAffine(0, 0.25, (1, 1))(x, _fixed(0.5, 0.5, 0.5, 0.5)), x)


def test_erasing_sets_one_rectangle_of_the_requested_area_to_the_background():
    x = _digits(8, size=20) + 1.0
    draws = _fixed(0.5, 0.5, 0.0, 1.0 - 1e-9, 0.0)  # area 0.1, square, top row, right edge
    side = int(round((0.1 * 400) ** 0.5))
    out = A.RandomErasing(p=1.0, scale=(0.1, 0.1), ratio=(1.0, 1.0), value=-5.0)(x, draws)
    erased = out != x
    assert erased[:, 0, :side, -side:].all() and erased.sum() == 8 * side * side
    assert (out[erased] == -5.0).all()
    background = A.RandomErasing(p=1.0, scale=(0.1, 0.1), ratio=(1.0, 1.0))(x, draws)
    assert (background[:, 0, :side, -side:] == 1.0).all()  # x's background (its minimum)
    untouched = A.RandomErasing(p=0.0)(x, _fixed(0.5, 0.5, 0.5, 0.5, 0.5))
    np.testing.assert_array_equal(untouched, x)


def _epochs(loader, epochs):
    return [xb.copy() for _ in range(epochs) for xb, _ in loader]


def test_the_loader_augments_every_batch_and_resumes_mid_epoch_bit_identically():
    x, y = _digits(20), np.arange(20)
    augment = A.Augment([A.RandomShift(2), A.RandomRotation(20)], seed=1)

    def make(batch_size=6):
        return DataLoader(x, y, batch_size=batch_size, seed=1, augment=augment)

    straight = _epochs(make(), 3)
    plain = _epochs(DataLoader(x, y, batch_size=6, seed=1), 3)
    assert all(not np.array_equal(a, b) for a, b in zip(straight, plain))

    first = make()
    it = iter(first)
    head = [next(it)[0].copy() for _ in range(2)]
    state = first.state_dict()
    resumed = make()
    resumed.load_state_dict(state)
    rest = _epochs(resumed, 2)  # the rest of epoch 0, then epochs 1 and 2... of which we compare 0 and 1
    assert [a.tobytes() for a in head + rest][:8] == [a.tobytes() for a in straight][:8]

    # The same sample in the same epoch looks the same at any batch size.
    by_sample = {}
    for batch_size in (6, 20):
        loader = make(batch_size)
        order = np.concatenate([yb for _, yb in DataLoader(x, y, batch_size=batch_size, seed=1)])
        images = np.concatenate([xb for xb, _ in loader])
        by_sample[batch_size] = images[np.argsort(order)]
    np.testing.assert_array_equal(by_sample[6], by_sample[20])
