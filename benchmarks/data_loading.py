"""How long one epoch of MNIST training batches takes to load, through the
same path the trainer uses: build_data (normalize) -> bundle.loader("train").

    NETTRAIN_DATA=/path/to/data python benchmarks/data_loading.py --batch 64 --repeats 7

Prints the cost of building the data set (cold: gzip decode; warm: decoded
files cached in the process) and the median time of one shuffled epoch of
batches, in ms and in µs per batch. Compare the epoch figure with a LeNet
training epoch (benchmarks/train_throughput.py): the goal is under 5 %.
Where PyTorch is installed, its DataLoader over a TensorDataset of the same
arrays is timed too, for scale.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import import_torch  # noqa: E402


def epoch_seconds(loader, repeats):
    """Median wall time of ``repeats`` full passes over ``loader`` (each a new epoch)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for xb, yb in loader:
            pass
        # On a GPU the batches are produced asynchronously: wait for the last one.
        if type(xb).__module__.startswith("cupy"):
            import cupy  # noqa: PLC0415 - only when the arrays are CuPy's

            cupy.cuda.get_current_stream().synchronize()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="mnist", choices=["mnist", "fashion-mnist"])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--device", default="cpu", help="cpu or cuda (the split is copied to the GPU once)")
    parser.add_argument("--transforms", default="normalize", help="comma-separated, e.g. normalize,flatten")
    args = parser.parse_args(argv)

    if not os.environ.get("NETTRAIN_DATA"):
        print("set NETTRAIN_DATA to the folder holding mnist/ and fashion-mnist/", file=sys.stderr)
        return 2
    from nettrain.data import build_data  # noqa: PLC0415

    cfg = {"dataset": args.dataset, "batch_size": args.batch, "download": False,
           "transforms": [t for t in args.transforms.split(",") if t]}
    start = time.perf_counter()
    bundle = build_data(cfg, seed=0)
    cold = time.perf_counter() - start
    start = time.perf_counter()
    bundle = build_data(cfg, seed=0)
    warm = time.perf_counter() - start

    loader = bundle.loader("train", args.batch, shuffle=True, drop_last=False, seed=0, device=args.device)
    seconds = epoch_seconds(loader, args.repeats)
    print(f"data: {args.dataset} train {bundle.train[0].shape} from {bundle.source}; transforms {cfg['transforms']}")
    print(f"build_data: {cold * 1e3:.0f} ms cold (gzip decode), {warm * 1e3:.0f} ms warm (decoded files cached)")
    print(f"nettrain DataLoader, batch {args.batch}, shuffle, device {args.device}: "
          f"{seconds * 1e3:.1f} ms per epoch of {len(loader)} batches "
          f"= {seconds / len(loader) * 1e6:.1f} µs per batch (median of {args.repeats})")

    torch = import_torch(threads=1)
    if torch is not None and args.device == "cpu":
        x, y = bundle.train
        dataset = torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
        torch_loader = torch.utils.data.DataLoader(dataset, batch_size=args.batch, shuffle=True)
        torch_seconds = epoch_seconds(torch_loader, max(1, args.repeats // 2))
        print(f"PyTorch DataLoader(TensorDataset), same arrays: {torch_seconds * 1e3:.1f} ms per epoch "
              f"(nettrain is {torch_seconds / seconds:.1f}x faster)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
