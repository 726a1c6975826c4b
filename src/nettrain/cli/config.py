"""``nettrain config show|check``: the resolved config, and checking one
without building or downloading anything.

    nettrain config show configs/lenet.yaml --set optimizer.lr=0.05
    nettrain config check configs/lenet.yaml
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from .completion import complete_config
from .common import HELP_SETTINGS, SET_HELP, Command, app, console

config_app = typer.Typer(
    help="""Print a config with every default filled in, or check one without training.

    Examples:

    \b
        nettrain config show configs/lenet.yaml
        nettrain config check configs/clusters.yaml --set optimizer.lr=0.05
    """,
    no_args_is_help=True,
    **HELP_SETTINGS,
)
app.add_typer(config_app, name="config")


def checked_config(config: Path, overrides) -> tuple:
    """(the typed Config, the probe DataBundle): the schema's checks, then
    the checks that need the data set's shapes (loss and model against the
    data), on stand-in data: nothing is read, downloaded or written."""
    from ..config import load_config
    from ..errors import ConfigError
    from ..trainer import data_from_config, model_arguments

    cfg = load_config(config, list(overrides or []))
    bundle = data_from_config(cfg, probe=True, source=str(config))
    model_arguments(cfg, bundle, source=str(config))
    init_from = cfg.model.init_from
    if init_from and not Path(init_from).is_file():
        raise ConfigError(f"{config}: model.init_from: {init_from} is not a file; give the path of a "
                          ".safetensors file of weights")
    return cfg, bundle


@config_app.command("show", cls=Command)
def show_command(
    config: Path = typer.Argument(..., help="The YAML config, e.g. configs/lenet.yaml.",
                                  autocompletion=complete_config),
    set_: Optional[List[str]] = typer.Option(None, "--set", metavar="KEY=VALUE", help=SET_HELP),
):
    """Print the fully resolved config as YAML: defaults filled in, overrides
    applied; what a run folder's config.yaml would hold.

    Examples:

    \b
        nettrain config show configs/lenet.yaml
        nettrain config show configs/clusters.yaml --set optimizer.lr=0.05 > mine.yaml
    """
    from ..config import load_config

    sys.stdout.write(load_config(config, list(set_ or [])).to_yaml())


@config_app.command("check", cls=Command)
def check_command(
    config: Path = typer.Argument(..., help="The YAML config, e.g. configs/lenet.yaml.",
                                  autocompletion=complete_config),
    set_: Optional[List[str]] = typer.Option(None, "--set", metavar="KEY=VALUE", help=SET_HELP),
):
    """Check a config (keys, types, ranges, the extras its keys need, and
    that the loss and the model fit the data set) and exit 0, or print the
    problem and exit 2. Reads no data files, downloads nothing, builds no
    model, writes nothing.

    Example:

    \b
        nettrain config check configs/lenet.yaml --set data.batch_size=128
    """
    from ..trainer import check_optional_packages

    cfg, bundle = checked_config(config, set_)
    check_optional_packages(cfg, str(config))  # train refuses a config whose extra is missing: so does check
    console.print(
        f"{config}: ok ({cfg.data.dataset} / {cfg.model.name}, {cfg.optimizer.name}, {cfg.train.epochs} epoch(s))",
        highlight=False, markup=False,
    )
