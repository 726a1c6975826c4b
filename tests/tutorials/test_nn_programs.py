"""nn / optim / data / vision tutorials (the Blitz's "Neural Networks" and
"Training a classifier", Learning PyTorch with Examples' polynomial fits,
the seeds' programs) run with only their imports changed.

Their numbers come from training from random weights, so the tests assert
what the programs compute (losses falling, the known fit of sin(x), the
accuracy reached, files written) and, when PyTorch is installed, that it
prints the same text with the numbers masked.
"""
import re
from pathlib import Path

import pytest

REPO_DATA = Path(__file__).resolve().parents[2] / "data"  # the shipped data/mnist


@pytest.fixture
def quiet_matplotlib(monkeypatch):
    """The seeds draw while training: a non-interactive backend, and no
    plt.pause sleeping (what is drawn is not what these tests check)."""
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    monkeypatch.setattr("matplotlib.pyplot.pause", lambda interval: None)


def _losses(out):
    """The (step, loss) lines the polynomial programs print."""
    return [(int(step), float(loss)) for step, loss in re.findall(r"^(\d+) (\S+)$", out, re.MULTILINE)]


def _coefficients(out):
    numbers = re.search(r"Result: y = (\S+) \+ (\S+) x \+ (\S+) x\^2 \+ (\S+) x\^3", out).groups()
    return [float(n) for n in numbers]


@pytest.mark.parametrize("name", ["polynomial_nn", "polynomial_optim", "polynomial_module"])
def test_polynomial_fits_of_sin_reach_the_least_squares_cubic(tutorial, name):
    out = tutorial.run(name)
    losses = _losses(out)
    assert [step for step, _ in losses] == list(range(99, 2000, 100))
    assert losses[-1][1] < min(20.0, losses[0][1])
    a, b, c, d = _coefficients(out)
    # sin(x) on [-pi, pi] is best fitted by about 0.857 x - 0.0933 x^3
    assert abs(a) < 0.05 and abs(c) < 0.02 and 0.80 < b < 0.90 and -0.10 < d < -0.085
    if name == "polynomial_nn":  # the other two print the same lines; PyTorch's run costs seconds
        tutorial.compare_to_torch(name, out)


def test_dynamic_net_with_control_flow_and_weight_sharing_trains(tutorial):
    out = tutorial.run("polynomial_dynamic")
    losses = _losses(out)
    assert [step for step, _ in losses] == list(range(199, 2000, 200))
    assert losses[-1][1] < losses[0][1]
    assert re.search(r"Result: y = .* x\^4 \? \+ .* x\^5 \?$", out.strip())
    tutorial.compare_to_torch("polynomial_dynamic", out)


def test_blitz_training_a_classifier_loop_on_random_images(tutorial, quiet_matplotlib):
    out = tutorial.run("blitz_cifar10_random")
    lines = out.splitlines()
    classes = "plane|car|bird|cat|deer|dog|frog|horse|ship|truck"
    assert re.fullmatch(rf"(({classes}) *){{4}}", lines[0])
    assert [line[:10] for line in lines[1:5]] == ["[1,     5]", "[1,    10]", "[2,     5]", "[2,    10]"]
    assert all(2.0 < float(line.split("loss: ")[1]) < 2.7 for line in lines[1:5])  # about ln(10) on noise
    assert lines[5] == "Finished Training"
    assert re.fullmatch(rf"GroundTruth:  (({classes}) *){{4}}", lines[6])
    assert re.fullmatch(rf"Predicted:  (({classes}) *){{4}}", lines[7])
    assert re.fullmatch(r"Accuracy of the network on the 20 test images: \d+ %", lines[8])
    assert all(re.fullmatch(rf"Accuracy for class: ({classes}) *is \d+\.\d %", line) for line in lines[9:-1])
    assert lines[-1] == "cpu"
    assert (tutorial.tmp_path / "cifar_net.pth").is_file()
    tutorial.compare_to_torch("blitz_cifar10_random", out)


def test_seed_two_layer_nets_fit_with_adam(tutorial):
    out = tutorial.run("seed_two_layer_net")
    runs = [line for line in out.split("\n") if line]
    assert len(runs) == 2
    for run in runs:
        losses = [float(v) for v in re.findall(r"loss=(\S+)", run)]
        assert len(losses) == 500 and losses[-1] < 1e-3 * losses[0]  # 64 samples, 1000 inputs: fitted


def test_seed_mnist_loader_with_resize(tutorial):
    data = tutorial.tmp_path / "data" / "mnist"
    data.mkdir(parents=True)
    (data / "mnist").symlink_to(REPO_DATA / "mnist")
    tutorial.tmp_path = tutorial.tmp_path / "a" / "b"  # the program's root is "../../data/mnist"
    tutorial.tmp_path.mkdir(parents=True)
    out = tutorial.run("seed_mnist_resize_loader")
    assert out == "nettrain.Size([64, 1, 32, 32]) nettrain.Size([64]) 938\nTrue True\n"


def test_seed_checkpoint_round_trip_and_whole_model_refused(tutorial):
    out = tutorial.run("seed_checkpoint")
    assert out.splitlines() == [
        "Checkpoint Directory does not exist! Making directory checkpoint",
        "Checkpoint Directory exists! ",
        "<All keys matched successfully>",
        "True",
        "refused: nettrain.save: got a whole Sequential object; nettrain does not pickle models or optimizers "
        "(loading a pickle can run code). Save its state instead: nettrain.save(model.state_dict(), PATH), "
        "then model.load_state_dict(nettrain.load(PATH))",
        "False",  # nothing written
    ]


def test_blitz_neural_networks(tutorial):
    out = tutorial.run("blitz_neural_networks")
    assert out.startswith(
        "Net(\n"
        "  (conv1): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))\n"
        "  (conv2): Conv2d(6, 16, kernel_size=(5, 5), stride=(1, 1))\n"
        "  (fc1): Linear(in_features=400, out_features=120, bias=True)\n"
        "  (fc2): Linear(in_features=120, out_features=84, bias=True)\n"
        "  (fc3): Linear(in_features=84, out_features=10, bias=True)\n"
        ")\n"
        "10\n"
        "nettrain.Size([6, 1, 5, 5])\n"
    )
    assert "conv1.bias.grad before backward\nNone\nconv1.bias.grad after backward\ntensor([" in out
    # The walk up from the loss prints PyTorch's nodes: MSELoss is one node, then
    # Linear, whose first input is its bias (the tutorial's "# ReLU" comment is wrong there too).
    assert re.search(r"\n<MseLossBackward0 object at 0x\w+>\n<AddmmBackward0 object at 0x\w+>\n"
                     r"<AccumulateGrad object at 0x\w+>\n", out)


@pytest.fixture
def mnist_in_cwd(tutorial):
    """The tutorial's root 'data' holding the shipped MNIST (no download)."""
    (tutorial.tmp_path / "data").mkdir()
    (tutorial.tmp_path / "data" / "mnist").symlink_to(REPO_DATA / "mnist")


def test_seed_lenet_on_mnist_trains_saves_and_resumes(tutorial, mnist_in_cwd):
    first = tutorial.run("seed_lenet_mnist")
    losses = [float(v) for v in re.findall(r"\] Loss: (\S+)", first)]
    assert len(losses) == 4 and losses[-1] < losses[0]
    assert "Finished Training" in first
    accuracy = int(re.search(r"Accuracy on the test set: (\d+) %", first).group(1))
    assert accuracy >= 20  # 200 small steps (lr 0.001) from scratch: above chance (10 %)
    assert (tutorial.tmp_path / "model.pkl").is_file()
    second = tutorial.run("seed_lenet_mnist")  # load_param now finds model.pkl and continues
    assert float(re.findall(r"\] Loss: (\S+)", second)[0]) < losses[0]


def test_seed_regression_module(tutorial, quiet_matplotlib):
    out = tutorial.run("seed_regression_module")
    assert re.fullmatch(
        r"final loss: \S+\nweights: \[Parameter containing:\ntensor\(\[\[\S+\]\], requires_grad=True\), "
        r"Parameter containing:\ntensor\(\[\S+\], requires_grad=True\)\]\n", out)
    tutorial.compare_to_torch("seed_regression_module", out)


def test_seed_classification_of_two_and_three_clouds(tutorial, quiet_matplotlib):
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        out = tutorial.run("seed_classification")
    two = float(re.search(r"two clouds: (\S+)", out).group(1))
    three = float(re.search(r"three clouds: (\S+)", out).group(1))
    assert two > 0.9 and three > 0.6
    tutorial.compare_to_torch("seed_classification", out)
