"""A trained checkpoint's test accuracy three ways: nettrain, onnxruntime on
the exported ONNX graph, and PyTorch on the exported safetensors weights.

    python benchmarks/export_accuracy.py runs/<run>/checkpoints/best.npz

Exports both files next to the checkpoint (as `nettrain export` does), then
evaluates the whole test split in each runtime from the same raw pixels in
[0, 1]: nettrain and PyTorch normalise as the checkpoint's transforms say,
the ONNX graph does it in its own first nodes. Needs the export extra and,
for the third column, torch. LeNet (configs/lenet.yaml, lenet-fashion.yaml)
and the image MLPs are rebuilt in PyTorch by name.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import nettrain as nt  # noqa: E402
from nettrain.cli import main as nettrain_main  # noqa: E402
from nettrain.cli.export import trained_model  # noqa: E402
from nettrain.data import load_split  # noqa: E402


def torch_model(config, state):
    import torch

    name = config["model"]["name"]
    acts = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid}
    act = acts[config["model"]["activation"]]
    if name == "lenet":
        pool = torch.nn.MaxPool2d if config["model"]["pool"] == "max" else torch.nn.AvgPool2d
        net = torch.nn.Module()
        net.features = torch.nn.Sequential(torch.nn.Conv2d(1, 6, 5), act(), pool(2),
                                           torch.nn.Conv2d(6, 16, 5), act(), pool(2))
        net.classifier = torch.nn.Sequential(torch.nn.Linear(256, 120), act(), torch.nn.Linear(120, 84), act(),
                                             torch.nn.Linear(84, 10))
        forward = lambda x: net.classifier(net.features(x).flatten(1))  # noqa: E731
    else:
        layers, width = [], 784
        for size in config["model"]["hidden"]:
            layers += [torch.nn.Linear(width, size), act()]
            if config["model"]["dropout"] > 0:
                layers.append(torch.nn.Dropout(config["model"]["dropout"]))
            width = size
        net = torch.nn.Module()
        net.layers = torch.nn.Sequential(*layers, torch.nn.Linear(width, 10))
        forward = lambda x: net.layers(x.flatten(1))  # noqa: E731
    net.load_state_dict(state, strict=True)
    net.eval()
    return forward


def run(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", type=Path)
    args = parser.parse_args(argv)
    checkpoint = args.checkpoint
    for fmt in ("safetensors", "onnx"):
        try:
            nettrain_main(["export", "--checkpoint", str(checkpoint), "--format", fmt])
        except SystemExit as exit_info:
            if exit_info.code:
                raise
    trained = trained_model(checkpoint)
    images, labels, _ = load_split(trained.config["data"]["dataset"], "test", trained.config["data"]["root"])
    pixels = images.astype(np.float32)[:, None] / 255.0
    (norm,) = [t for t in trained.transform_state["transforms"] if t["name"] == "normalize"]
    normalised = (pixels - np.float32(norm["mean"][0])) / np.float32(norm["std"][0])

    with nt.no_grad():
        ours = np.concatenate([trained.model(nt.from_numpy(normalised[i:i + 1000])).numpy()
                               for i in range(0, len(pixels), 1000)])
    import onnxruntime as ort

    session = ort.InferenceSession(str(checkpoint.with_suffix(".onnx")), providers=["CPUExecutionProvider"])
    onnx_scores = np.concatenate([session.run(None, {"input": pixels[i:i + 1000]})[0]
                                  for i in range(0, len(pixels), 1000)])
    rows = [("nettrain", ours), ("onnxruntime", onnx_scores)]
    try:
        import torch
        from safetensors.torch import load_file

        forward = torch_model(trained.config, load_file(str(checkpoint.with_suffix(".safetensors"))))
        with torch.no_grad():
            rows.append(("PyTorch", forward(torch.from_numpy(normalised)).numpy()))
    except ImportError:
        print("(PyTorch is not installed: no third column)")
    print(f"{checkpoint}: {len(labels):,} test images")
    print(f"{'runtime':<12} {'accuracy':>9} {'correct':>7} {'max |score - nettrain|':>24}")
    for name, scores in rows:
        correct = int((scores.argmax(1) == labels).sum())
        print(f"{name:<12} {correct / len(labels):>9.2%} {correct:>7} {np.abs(scores - ours).max():>24.1e}")


if __name__ == "__main__":
    run()
