"""``nettrain summary CONFIG``: the model a config builds, layer by layer."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from .completion import complete_config
from .common import SET_HELP, Command, app, console


def config_model_summary(cfg, bundle):
    """The summary of the model a typed Config builds for data shaped like
    ``bundle`` (a probe is enough), at the config's batch size."""
    from ..model_summary import summary
    from ..models import build_model
    from ..trainer import model_arguments

    name, kwargs = model_arguments(cfg, bundle)
    return summary(build_model(name, **kwargs), (cfg.data.batch_size, *bundle.input_shape))


@app.command("summary", cls=Command)
def summary_command(
    config: Path = typer.Argument(..., help="The YAML config, e.g. configs/lenet.yaml.",
                                  autocompletion=complete_config),
    set_: Optional[List[str]] = typer.Option(None, "--set", metavar="KEY=VALUE", help=SET_HELP),
):
    """The model a config builds: each layer's output shape, parameters and
    share; total parameters, multiply-adds per sample, memory at the config's
    batch size. One forward pass on zeros; no data is read or downloaded.

    Examples:

    \b
        nettrain summary configs/lenet.yaml
        nettrain summary configs/mlp.yaml --set "model.hidden=[512, 256]"
    """
    from .config import checked_config

    cfg, bundle = checked_config(config, set_)
    for line in config_model_summary(cfg, bundle).lines():
        console.print(line, markup=False, highlight=False)
