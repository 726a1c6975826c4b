"""nettrain.utils.data: Dataset, TensorDataset, DataLoader, random_split,
Subset, samplers and default_collate, with PyTorch's behaviour."""
from collections import namedtuple

import numpy as np
import pytest

import nettrain as nt
from nettrain.utils.data import (BatchSampler, ConcatDataset, DataLoader, Dataset, RandomSampler, SequentialSampler,
                                 Subset, SubsetRandomSampler, TensorDataset, default_collate, random_split)


class Squares(Dataset):
    """A user-written map-style data set returning (Tensor, int) samples."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return nt.tensor([float(i), float(i * i)]), i % 3


def test_dataloader_batches_in_order_with_the_last_partial_batch():
    x, y = nt.arange(10).reshape(10, 1) * 1.0, nt.arange(10)
    loader = DataLoader(TensorDataset(x, y), batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 and [len(yb) for _, yb in batches] == [4, 4, 2]
    assert all(isinstance(xb, nt.Tensor) and isinstance(yb, nt.Tensor) for xb, yb in batches)
    np.testing.assert_array_equal(np.concatenate([yb.numpy() for _, yb in batches]), np.arange(10))
    dropped = DataLoader(TensorDataset(x, y), batch_size=4, drop_last=True)
    assert len(dropped) == 2 and [len(yb) for _, yb in dropped] == [4, 4]
    assert [yb.item() for _, yb in DataLoader(TensorDataset(x, y))][:3] == [0, 1, 2]  # batch_size=1 by default


def test_user_dataset_samples_are_collated_into_tensors():
    inputs, labels = next(iter(DataLoader(Squares(5), batch_size=3)))
    np.testing.assert_array_equal(inputs.numpy(), [[0, 0], [1, 1], [2, 4]])
    assert labels.dtype == nt.int64 and labels.tolist() == [0, 1, 2]


def test_shuffling_is_a_new_permutation_each_epoch_seeded_by_manual_seed():
    ds = TensorDataset(nt.arange(20))

    def epochs():
        loader = DataLoader(ds, batch_size=20, shuffle=True)
        return [batch[0].tolist() for batch in loader] + [batch[0].tolist() for batch in loader]

    nt.manual_seed(3)
    first = epochs()
    nt.manual_seed(3)
    assert epochs() == first  # reproducible
    assert first[0] != first[1] and sorted(first[0]) == list(range(20))  # reshuffled, nothing lost


def test_a_generator_gives_the_order_independently_of_the_global_stream():
    ds = TensorDataset(nt.arange(20))
    orders = []
    for global_seed in (1, 2):
        nt.manual_seed(global_seed)
        loader = DataLoader(ds, batch_size=20, shuffle=True, generator=nt.Generator().manual_seed(7))
        orders.append(next(iter(loader))[0].tolist())
    assert orders[0] == orders[1]
    g = nt.Generator()
    assert g.initial_seed() == 67280421310721 and g.manual_seed(5) is g and g.initial_seed() == 5


def test_default_collate_follows_pytorch_for_numbers_strings_dicts_and_tuples():
    batch = default_collate([
        {"x": nt.ones(2), "n": 1, "f": 0.5, "name": "a", "arr": np.zeros(3, dtype=np.float32)},
        {"x": nt.zeros(2), "n": 2, "f": 1.5, "name": "b", "arr": np.ones(3, dtype=np.float32)},
    ])
    assert batch["x"].shape == (2, 2) and batch["n"].dtype == nt.int64 and batch["n"].tolist() == [1, 2]
    assert batch["f"].dtype == nt.float64  # Python floats collate to float64, as in PyTorch
    assert batch["name"] == ["a", "b"] and batch["arr"].dtype == nt.float32 and batch["arr"].shape == (2, 3)
    pair = default_collate([(nt.ones(3), 1), (nt.zeros(3), 0)])
    assert isinstance(pair, list) and pair[0].shape == (2, 3) and pair[1].tolist() == [1, 0]
    Point = namedtuple("Point", "x y")
    point = default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert isinstance(point, Point) and point.x.tolist() == [1, 3]
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([(1, 2), (1,)])
    with pytest.raises(TypeError, match="default_collate"):
        default_collate([object()])


def test_custom_collate_fn_and_batch_size_none():
    loader = DataLoader(Squares(4), batch_size=2, collate_fn=lambda samples: [label for _, label in samples])
    assert list(loader) == [[0, 1], [2, 0]]
    unbatched = list(DataLoader(TensorDataset(nt.arange(3)), batch_size=None))
    assert len(unbatched) == 3 and unbatched[1][0].item() == 1


def test_random_split_by_counts_and_fractions():
    ds = TensorDataset(nt.arange(10))
    train, val = random_split(ds, [7, 3], generator=nt.Generator().manual_seed(0))
    assert isinstance(train, Subset) and (len(train), len(val)) == (7, 3)
    assert sorted(train.indices + val.indices) == list(range(10))
    parts = random_split(ds, [0.5, 0.3, 0.2])
    assert [len(p) for p in parts] == [5, 3, 2]
    assert [len(p) for p in random_split(TensorDataset(nt.arange(11)), [0.5, 0.5])] == [6, 5]
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(ds, [5, 4])
    assert int(train[0][0].item()) == train.indices[0]


def test_subset_concat_and_samplers():
    ds = TensorDataset(nt.arange(10))
    sub = Subset(ds, [9, 2, 4])
    assert [int(s[0].item()) for s in sub] == [9, 2, 4] and len(sub) == 3
    both = ds + Squares(2)
    assert isinstance(both, ConcatDataset) and len(both) == 12 and both[11][1] == 1
    assert list(SequentialSampler(range(3))) == [0, 1, 2]
    assert sorted(RandomSampler(range(5))) == [0, 1, 2, 3, 4]
    assert len(list(RandomSampler(range(5), replacement=True, num_samples=8))) == 8
    assert sorted(SubsetRandomSampler([3, 5, 7])) == [3, 5, 7]
    assert list(BatchSampler(SequentialSampler(range(5)), 2, drop_last=False)) == [[0, 1], [2, 3], [4]]
    loader = DataLoader(ds, batch_size=4, sampler=SubsetRandomSampler([0, 1, 2, 3, 4]))
    assert sorted(sum((b[0].tolist() for b in loader), [])) == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(ds, sampler=SequentialSampler(ds), shuffle=True)


def test_tensor_dataset_checks_sizes():
    with pytest.raises(ValueError, match="Size mismatch"):
        TensorDataset(nt.zeros(3, 2), nt.zeros(4))
    with pytest.raises(TypeError, match="Tensors"):
        TensorDataset(np.zeros(3))


def test_num_workers_is_accepted_and_gives_the_same_batches():
    ds = TensorDataset(nt.arange(6))
    assert [b[0].tolist() for b in DataLoader(ds, batch_size=4, num_workers=2)] == [[0, 1, 2, 3], [4, 5]]


def test_tensor_dataset_whole_batch_indexing_equals_collating_samples():
    ds = TensorDataset(nt.randn(7, 2, 3), nt.randint(0, 5, (7,)))
    fast = list(DataLoader(ds, batch_size=3))
    slow = list(DataLoader(ds, batch_size=3, collate_fn=lambda samples: default_collate(samples)))
    for (fx, fy), (sx, sy) in zip(fast, slow):
        assert fx.dtype == sx.dtype and fy.dtype == sy.dtype
        np.testing.assert_array_equal(fx.numpy(), sx.numpy())
        np.testing.assert_array_equal(fy.numpy(), sy.numpy())
