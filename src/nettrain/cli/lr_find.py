"""``nettrain lr-find``: the learning-rate range test on a fresh copy of a config's model."""
from __future__ import annotations

import math
from pathlib import Path
from typing import List, Optional

import typer

from ..errors import UsageError
from .common import PLOT_INSTALL, SET_HELP, Command, app, checked_output_file, console, matplotlib_installed


@app.command("lr-find", cls=Command)
def lr_find_command(
    config: Path = typer.Argument(..., help="The YAML config, e.g. configs/lenet.yaml."),
    set_: Optional[List[str]] = typer.Option(None, "--set", metavar="KEY=VALUE", help=SET_HELP),
    steps: int = typer.Option(100, "--steps", min=10, max=1000, help="At most this many training steps."),
    start_lr: float = typer.Option(1e-7, "--start-lr", help="The first learning rate of the sweep."),
    end_lr: float = typer.Option(10.0, "--end-lr", help="The last learning rate of the sweep."),
    out: Path = typer.Option(Path("lr_find.png"), "--out", help="Where to draw loss against lr (needs matplotlib)."),
):
    """Sweep the learning rate exponentially over at most --steps steps
    (default 100), stop when the loss diverges, and suggest the rate where the loss falls
    fastest. Trains a fresh model built from the config: no run folder, no
    checkpoint is written or touched; only the plot.

    Examples:

    \b
        nettrain lr-find configs/lenet.yaml
        nettrain lr-find configs/mlp.yaml --steps 200 --end-lr 1 --out mlp_lr.png
    """
    import numpy as np

    from ..config import load_config
    from ..lr_finder import lr_find, plot_lr_find
    from ..tensor import as_tensor
    from ..trainer import Objective, build

    if not 0 < start_lr < end_lr:
        raise UsageError(f"--start-lr must be above 0 and below --end-lr, got {start_lr:g} and {end_lr:g}")
    plotting = matplotlib_installed()
    if plotting:  # checked before the sweep, not after it
        checked_output_file(out, "--out", "lr_find.png")
    cfg = load_config(config, list(set_ or []))
    components = build(cfg, source=str(config))
    objective = Objective(components.loss_name, components.loss_options, components.data.task)
    model, optimizer = components.model, components.optimizer
    loader = components.data.loader("train", cfg.data.batch_size, shuffle=True, seed=cfg.seed,
                                    device=components.device)
    model.train()

    def step(batch):
        xb, yb = batch
        loss = objective.loss(model(as_tensor(xb)), objective.targets(yb))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item()

    batches = (batch for _ in range(math.ceil(steps / max(len(loader), 1))) for batch in loader)
    with np.errstate(over="ignore", invalid="ignore"):  # the sweep is meant to end in divergence
        result = lr_find(step, list(_take(batches, steps)), optimizer, start_lr=start_lr, end_lr=end_lr,
                         num_steps=steps)
    ended = "the loss diverged" if result.stopped_early else "the sweep reached --end-lr"
    console.print(f"{len(result.lrs)} steps from lr {start_lr:.1e} to {result.lrs[-1]:.1e} ({ended})",
                  highlight=False)
    if result.suggestion is None:
        console.print("no suggestion: the loss diverged too early to tell; try a smaller --start-lr",
                      highlight=False)
    else:
        console.print(f"suggested lr: {result.suggestion:.2e}  (steepest fall of the smoothed loss)",
                      highlight=False)
        console.print(f"train with: nettrain train {config} --set optimizer.lr={result.suggestion:.2e}",
                      highlight=False)
    if not plotting:
        console.print(f"no plot: matplotlib is not installed ({PLOT_INSTALL})", highlight=False)
        return
    plot_lr_find(result, out, title=f"lr-find: {config}")
    console.print(f"plot: {out}", highlight=False)



def _take(iterable, n):
    for i, item in enumerate(iterable):
        if i == n:
            return
        yield item
