"""build_data on the synthetic sets: the tutorials' data, transforms, val_split, saved statistics;
a bad argument from Python is a TypeError or ValueError naming it, and through a config a ConfigError
naming the key (the schema's own checks are in test_config.py)."""
import json
import re

import numpy as np
import pytest

from nettrain.data import build_data, datasets, make_synthetic, split_validation
from nettrain.errors import ConfigError, DataError, UsageError


def build(dataset, seed=0, **options):
    return build_data(dataset, seed=seed, **options)


# --------------------------------------------------------------------------- the synthetic sets


@pytest.mark.parametrize("name, noise", [("linear", 1.2), ("cubic", 0.3)])
def test_regression_sets_follow_the_tutorial_formula(name, noise):
    bundle = build(name, train_size=500, test_size=100)
    x, y = bundle.train
    assert x.shape == (500, 1) and y.shape == (500, 1) and x.dtype == y.dtype == np.float32
    assert bundle.test[0].shape == (100, 1)
    assert -3 <= x.min() and x.max() <= 3
    clean = x if name == "linear" else x ** 3
    residual = y - clean  # noise * U(0, 1)
    assert residual.min() >= -1e-5 and residual.max() <= noise + 1e-5
    assert residual.mean() == pytest.approx(noise / 2, rel=0.15)
    assert bundle.task == "regression" and bundle.num_classes is None
    assert bundle.input_shape == (1,) and bundle.output_size == 1


def test_noise_option_scales_the_regression_noise():
    x, y = build("linear", noise=0.0).train
    np.testing.assert_allclose(y, x)


@pytest.mark.parametrize("name, clouds", [
    ("clusters", [(4, 2), (-4, 2)]),
    ("clusters3", [(4, 2), (-4, 1), (-8, 1)]),
])
def test_cluster_sets_have_the_tutorial_centres_and_spreads(name, clouds):
    bundle = build(name, train_size=3000 * len(clouds))
    x, y = bundle.train
    assert x.shape == (3000 * len(clouds), 2) and x.dtype == np.float32 and y.dtype == np.int64
    assert np.bincount(y).tolist() == [3000] * len(clouds)
    for label, (centre, std) in enumerate(clouds):
        points = x[y == label]
        np.testing.assert_allclose(points.mean(axis=0), [centre, centre], atol=0.15)
        np.testing.assert_allclose(points.std(axis=0), [std, std], rtol=0.08)
    assert bundle.task == "classification" and bundle.num_classes == len(clouds) == bundle.output_size
    assert not np.all(y[:-1] <= y[1:])  # shuffled, not sorted by class


def test_cluster_noise_multiplies_the_stds():
    x, y = build("clusters", train_size=4000, noise=0.5).train
    assert x[y == 0].std() == pytest.approx(1.0, rel=0.08)


def test_synthetic_data_is_seeded_and_test_split_does_not_depend_on_train_size():
    a, b = make_synthetic("cubic", seed=3), make_synthetic("cubic", seed=3)
    np.testing.assert_array_equal(a["train"][0], b["train"][0])
    assert not np.array_equal(a["train"][0], make_synthetic("cubic", seed=4)["train"][0])
    bigger = make_synthetic("cubic", train_size=5000, seed=3)
    np.testing.assert_array_equal(a["test"][1], bigger["test"][1])
    assert not np.array_equal(a["train"][0][:100], a["test"][0][:100])


def test_default_sizes():
    assert build("clusters").train[0].shape == (1000, 2)
    assert np.bincount(build("clusters").train[1]).tolist() == [500, 500]
    assert build("clusters3").train[0].shape == (1500, 2)


# --------------------------------------------------------------------------- val_split


@pytest.mark.parametrize("val_split, expected", [(100, 100), (0.25, 250), (0, None), (None, None)])
def test_val_split_by_count_or_fraction(val_split, expected):
    bundle = build("clusters", val_split=val_split)
    if expected is None:
        assert bundle.val is None
        assert len(bundle.train[0]) == 1000
        return
    assert len(bundle.val[0]) == expected and len(bundle.train[0]) == 1000 - expected
    everything = make_synthetic("clusters", seed=0)["train"][0]
    together = np.concatenate([bundle.train[0], bundle.val[0]])
    np.testing.assert_array_equal(np.sort(together, axis=0), np.sort(everything, axis=0))


def test_val_split_is_seeded():
    x, y = np.arange(100).reshape(100, 1), np.arange(100)
    _, val_a = split_validation(x, y, 10, seed=1)
    _, val_b = split_validation(x, y, 10, seed=1)
    _, val_c = split_validation(x, y, 10, seed=2)
    np.testing.assert_array_equal(val_a[1], val_b[1])
    assert not np.array_equal(val_a[1], val_c[1])


@pytest.mark.parametrize("bad, error", [(1000, ValueError), (1.0, ValueError), (-3, ValueError),
                                        ("10%", TypeError), (True, TypeError), (1.5, ValueError)])
def test_bad_val_split_names_the_argument(bad, error):
    with pytest.raises(error, match="val_split"):
        build("clusters", val_split=bad)


# --------------------------------------------------------------------------- transforms


def test_zscore_uses_training_statistics_only_and_stores_them():
    bundle = build("clusters3", val_split=0.2, transforms=["zscore"])
    x_train = bundle.train[0]
    np.testing.assert_allclose(x_train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(x_train.std(axis=0), 1, atol=1e-4)
    assert abs(bundle.test[0].mean()) > 1e-4  # test data was not used to fit
    state = bundle.transform_state
    assert json.loads(json.dumps(state)) == state
    assert state["transforms"][0]["name"] == "zscore" and len(state["transforms"][0]["mean"]) == 2


def test_minmax_maps_the_training_range_to_zero_one():
    bundle = build("cubic", transforms=["minmax"])
    assert bundle.train[0].min() == pytest.approx(0, abs=1e-6)
    assert bundle.train[0].max() == pytest.approx(1, abs=1e-6)


def test_saved_transform_state_is_reused_instead_of_recomputed():
    first = build_data("linear", transforms=["zscore"], seed=0)
    # Another seed draws other data; with the saved state the same numbers are applied.
    reused = build_data("linear", transforms=["zscore"], seed=1, transform_state=first.transform_state)
    raw = make_synthetic("linear", seed=1)["train"][0]
    stats = first.transform_state["transforms"][0]
    np.testing.assert_allclose(reused.train[0], (raw - stats["mean"][0]) / stats["std"][0], rtol=1e-5)
    assert reused.transform_state == first.transform_state


def test_transform_state_for_other_transforms_is_refused():
    state = build("linear", transforms=["zscore"]).transform_state
    with pytest.raises(DataError, match="minmax"):
        build_data("linear", transforms=["minmax"], seed=0, transform_state=state)


def test_normalize_with_given_numbers_and_flatten_and_one_hot():
    bundle = build("clusters", transforms=[{"normalize": {"mean": 1.0, "std": 2.0}}, "flatten", "one_hot"])
    raw_x, raw_y = make_synthetic("clusters", seed=0)["train"]
    np.testing.assert_allclose(bundle.train[0], (raw_x - 1.0) / 2.0)
    y = bundle.train[1]
    assert y.shape == (1000, 2) and y.dtype == np.float32
    np.testing.assert_array_equal(y.argmax(axis=1), raw_y)
    assert bundle.output_size == 2 and bundle.num_classes == 2


@pytest.mark.parametrize("transforms", [["normalize"], ["zscore"], ["minmax", "flatten"]])
def test_transforms_leave_the_callers_arrays_alone(transforms):
    """build_data lets the transforms write into its own float copies; a
    Python caller's arrays are never written."""
    from nettrain.data import Pipeline

    rng = np.random.default_rng(0)
    x = rng.random((20, 1, 4, 4), dtype=np.float32)
    before = x.copy()
    pipeline = Pipeline.from_config(transforms, default_normalize=(0.5, 0.25), num_classes=10)
    fitted, _ = pipeline.fit(x, np.zeros(20, dtype=np.int64))
    again, _ = pipeline(x, np.zeros(20, dtype=np.int64))
    np.testing.assert_array_equal(x, before)
    np.testing.assert_array_equal(fitted, again)
    assert not np.shares_memory(fitted, x)


@pytest.mark.parametrize("transforms, error, message", [
    (["normalize"], ValueError, "mean and std"),
    (["one_hot"], ValueError, "classification"),
    (["sharpen"], ValueError, "unknown transform 'sharpen'"),
    ([{"zscore": {"eps": 1}}], TypeError, "zscore got unexpected option"),
    ("zscore", TypeError, "transforms must be a list"),
])
def test_bad_transforms_from_python_are_plain_errors(transforms, error, message):
    with pytest.raises(error, match=message):
        build("linear", transforms=transforms)


@pytest.mark.parametrize("arguments, error, message", [
    ({"dataset": "cifar10"}, ValueError, "unknown data set 'cifar10'; expected one of mnist, fashion-mnist, linear"),
    ({"dataset": "linear", "batchsize": 3}, TypeError, "unexpected keyword argument 'batchsize'"),
    ({"dataset": "linear", "batch_size": 0}, ValueError, "batch_size should be a positive integer value"),
    ({"dataset": "linear", "batch_size": "8"}, TypeError, "batch_size must be an integer, got '8'"),
    ({"dataset": "linear", "train_size": 2.5}, ValueError, "train_size must be an integer >= 1, got 2.5"),
    ({"dataset": "linear", "noise": -1}, ValueError, "noise must be a number >= 0, got -1"),
    ({"dataset": "mnist", "noise": 0.1, "probe": True}, ValueError, "noise: applies to the synthetic data sets only"),
    ({"dataset": "mnist", "train_size": 60001, "probe": True}, ValueError, "train_size: for mnist must be an integer in 1..60000"),
])
def test_python_api_misuse_is_a_plain_error_naming_the_argument(arguments, error, message):
    # The config checks these with the key's path (tests/test_config.py); from
    # Python they are PyTorch-style TypeErrors and ValueErrors.
    with pytest.raises(error, match=re.escape(message)):
        build_data(**arguments, seed=0)


@pytest.mark.parametrize("call, message", [
    (lambda: make_synthetic("moons"), "unknown synthetic data set 'moons'; expected one of linear, cubic"),
    (lambda: datasets.ensure_dataset("cifar10"), "unknown image data set 'cifar10'; expected one of mnist"),
    (lambda: datasets.load_split("mnist", "dev"), "unknown split 'dev'; expected 'train' or 'test'"),
])
def test_the_data_sets_python_functions_refuse_unknown_names_with_a_value_error(call, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        call()


@pytest.mark.parametrize("data, message", [
    ({"val_split": 1000}, "configs/x.yaml: data.val_split: 1000 gives 1000 validation samples out of 1000"),
    ({"transforms": ["normalize"]}, "configs/x.yaml: data.transforms: normalize needs mean and std"),
    ({"dataset": "linear", "transforms": ["one_hot"]}, "configs/x.yaml: data.transforms: one_hot applies to "
                                                        "classification data sets only"),
])
def test_what_only_the_data_shows_wrong_in_a_config_is_a_config_error_naming_the_key(data, message):
    from nettrain.trainer import data_from_config

    config = {"data": {"dataset": "clusters", **data}, "model": {"name": "mlp"}, "optimizer": {"name": "sgd"},
              "train": {"epochs": 1}}
    with pytest.raises(ConfigError) as info:
        data_from_config(config, source="configs/x.yaml")
    assert str(info.value).startswith(message)


def test_bundle_loaders_use_config_batch_size_and_shuffle_train_only():
    bundle = build("clusters", batch_size=100, val_split=200)
    train = bundle.loader("train")
    assert len(train) == 8 and train.shuffle
    val = bundle.loader("val")
    assert not val.shuffle and len(val) == 2
    xb, yb = next(iter(bundle.loader("test", batch_size=7)))
    assert xb.shape == (7, 2) and yb.shape == (7,)
    with pytest.raises(ValueError, match="val_split") as info:  # from eval --split val: exit 2
        build("clusters").loader("val")
    assert isinstance(info.value, UsageError)


def test_noise_is_what_the_readme_says_a_multiplier_of_u01_or_of_the_cloud_stds():
    x, y = make_synthetic("linear", train_size=5000, noise=2.0, seed=0)["train"]
    residual = (y - x).ravel()  # y = x + noise * U(0, 1)
    assert residual.min() >= 0 and residual.max() <= 2.0 and abs(residual.mean() - 1.0) < 0.05
    assert np.array_equal(make_synthetic("linear", train_size=50, noise=0.0, seed=0)["train"][1],
                          make_synthetic("linear", train_size=50, noise=0.0, seed=0)["train"][0])
    for noise in (1.0, 2.0):  # class 0 at (+4, +4), class 1 at (-4, -4), std 2 each, times noise
        x, y = make_synthetic("clusters", train_size=8000, noise=noise, seed=0)["train"]
        spread = x - np.where(y[:, None] == 0, 4.0, -4.0)
        assert abs(spread.std() - 2.0 * noise) < 0.05 * noise
