"""``nettrain export``: a checkpoint's model as safetensors weights or an ONNX graph.

    nettrain export --checkpoint runs/<run>/checkpoints/best.npz --format safetensors
    nettrain export --checkpoint runs/<run>/checkpoints/best.npz --format onnx --out lenet.onnx

``trained_model`` (also used by ``predict``) rebuilds a checkpoint's model
from its own config, without reading the data set.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import typer

from ..errors import CheckpointError, UsageError
from .completion import complete_checkpoint
from .common import Command, app, checked_output_file, console

FORMATS = {"safetensors": ".safetensors", "onnx": ".onnx"}


@dataclass
class TrainedModel:
    model: object            # the nettrain Module, weights loaded, eval mode
    config: object           # the run's typed nettrain.config.Config
    transform_state: dict    # the data transforms' saved statistics
    bundle: object           # a probe DataBundle: shapes, task, classes (no real data)
    epoch: object            # epochs trained, or None (weights from elsewhere)

    @property
    def raw_input_shape(self) -> tuple:
        """One sample as the data set gives it, before the transforms (flatten changes it)."""
        from ..data import IMAGE_DATASETS

        info = IMAGE_DATASETS.get(self.bundle.name)
        return (1, *info.image_shape) if info is not None else tuple(self.bundle.input_shape)


@dataclass
class SavedWeights:
    """What a checkpoint (``.npz``) or a safetensors file says about a model,
    before any weight is read: its config, transform statistics (None: to be
    computed from the data) and epoch (None: weights from elsewhere)."""

    path: Path
    config: object       # a typed nettrain.config.Config, checked once here
    transform_state: object
    epoch: object
    source: str          # what messages name as the config's origin

    def load_into(self, model, what="its config describes"):
        """Read the weights into ``model``; every mismatch in one message naming the file."""
        if self.path.suffix == FORMATS["safetensors"]:
            from ..interop.safetensors_file import load_safetensors

            weights = load_safetensors(self.path)
        else:
            from ..checkpoint import open_checkpoint

            with open_checkpoint(self.path) as ckpt:
                ckpt.check_fits(model)  # shapes compared before any array is read
                weights = ckpt.read(ckpt.layout["model"])
        try:
            model.load_state_dict(weights)
        except (KeyError, ValueError, RuntimeError) as err:
            raise CheckpointError(f"{self.path}: the weights do not fit the model {what}: {err}") from None


def saved_weights(path: Path, config_path: Optional[Path] = None) -> SavedWeights:
    """A checkpoint's or a safetensors file's config (from the file: nettrain's
    exports carry it in their metadata; else ``config_path`` gives it),
    checked exactly as a config file would be."""
    from ..config import config_from_dict, load_config

    path = Path(path)
    if path.suffix == FORMATS["safetensors"]:
        from ..interop.safetensors_file import safetensors_metadata

        meta = safetensors_metadata(path)
        if config_path is not None:
            return SavedWeights(path, load_config(config_path), None, None, str(config_path))
        if "config" not in meta:
            raise UsageError(f"{path}: carries no nettrain config (it was not written by `nettrain export`); "
                             "give the config it was trained with: --config CONFIG")
        source = f"{path} (its config)"
        return SavedWeights(path, config_from_dict(meta["config"], source), meta.get("transform_state"),
                            None, source)
    from ..checkpoint import open_checkpoint

    last = path.with_name("last" + path.suffix)
    if path.name == "best.npz" and not path.exists() and last.is_file():
        raise UsageError(f"{path}: no such checkpoint: a run without a validation split keeps no best.npz "
                         f"(its best epoch could only be chosen on the test set); use {last}")
    if config_path is not None:
        raise UsageError(f"--config: {path} is a training checkpoint, which carries its own config; "
                         "--config is for safetensors files")
    with open_checkpoint(path) as ckpt:
        layout = ckpt.layout
        source = f"{path} (its config)"
        return SavedWeights(path, config_from_dict(layout["config"], source),
                            layout["data"]["transform_state"], layout["epoch"], source)


def trained_model(path: Path, config_path: Optional[Path] = None) -> TrainedModel:
    """The model of a checkpoint or safetensors file (see ``saved_weights``),
    in eval mode, built without reading the data set."""
    from ..models import build_model
    from ..trainer import data_from_config, model_arguments

    saved = saved_weights(path, config_path)
    config = saved.config
    bundle = data_from_config(config, transform_state=saved.transform_state, probe=True, source=saved.source)
    if saved.transform_state is None and any(t["name"] in ("zscore", "minmax")
                                             for t in bundle.transform_state["transforms"]):
        raise UsageError(f"{path}: the config's zscore/minmax statistics come from the training data, which "
                         "this command does not read; use the run's checkpoint (.npz), which keeps them")
    name, kwargs = model_arguments(config, bundle, source=saved.source)
    model = build_model(name, **kwargs)
    saved.load_into(model)
    model.eval()
    return TrainedModel(model, config, bundle.transform_state, bundle, saved.epoch)


@app.command("export", cls=Command)
def export_command(
    checkpoint: Path = typer.Option(..., "--checkpoint", help="A checkpoint written by `nettrain train`.",
                                    autocompletion=complete_checkpoint),
    format_: str = typer.Option(..., "--format", help="safetensors or onnx."),
    out: Optional[Path] = typer.Option(None, "--out", help="Where to write (default: next to the checkpoint, "
                                                           "same name, .safetensors or .onnx)."),
):
    """Export a checkpoint's model: safetensors (the state dict with PyTorch's
    names, float32; loads into the equivalent torch.nn model) or ONNX (a graph
    that takes raw pixels, normalisation included, dynamic batch). Needs
    pip install 'nettrain[export]'.

    Examples:

    \b
        nettrain export --checkpoint runs/<run>/checkpoints/best.npz --format safetensors
        nettrain export --checkpoint runs/<run>/checkpoints/best.npz --format onnx --out lenet.onnx
    """
    from ..interop import require

    if format_ not in FORMATS:
        raise UsageError(f"--format: {format_!r} is not a format; use {' or '.join(FORMATS)}")
    require("safetensors" if format_ == "safetensors" else "onnx", f"nettrain export --format {format_}")
    if Path(checkpoint).suffix != ".npz":
        raise UsageError(f"--checkpoint: {checkpoint} is not a training checkpoint (.npz); "
                         "`nettrain train` writes them under runs/<run>/checkpoints/")
    trained = trained_model(checkpoint)  # the checkpoint's own mistakes first: the default --out is beside it
    target = Path(out) if out is not None else Path(checkpoint).with_suffix(FORMATS[format_])
    checked_output_file(target, "--out", "model" + FORMATS[format_])
    description = {"nettrain.config": json.dumps(trained.config.to_dict()),
                   "nettrain.transform_state": json.dumps(trained.transform_state),
                   "nettrain.classes": json.dumps(trained.bundle.classes)}
    if format_ == "safetensors":
        from ..interop.safetensors_file import save_safetensors

        save_safetensors(trained.model.state_dict(), target, {"format": "pt", **description})
        what = f"{len(trained.model.state_dict())} tensors, float32, PyTorch names"
    else:
        from ..checkpoint import write_bytes_atomic
        from ..interop.onnx_export import onnx_model

        proto = onnx_model(trained.model, trained.raw_input_shape, trained.transform_state["transforms"],
                           description, name=trained.config.model.name)
        write_bytes_atomic(target, proto.SerializeToString())
        what = (f"input 'input' float32 (N, {', '.join(map(str, trained.raw_input_shape))}) before transforms, "
                f"normalisation included; output 'output' (N, {trained.bundle.output_size})")
    console.print(f"wrote {target} ({target.stat().st_size:,} bytes; {what})", highlight=False, markup=False)
