"""Shell completion of what nettrain's arguments name: config files,
checkpoints and run names (typer's ``--install-completion`` /
``--show-completion`` turn it on in bash, zsh, fish and PowerShell).

Each function takes the word typed so far and returns the candidates;
folders come back with a trailing "/" so completion can go on into them.
"""
from __future__ import annotations

from pathlib import Path

CONFIG_SUFFIXES = (".yaml", ".yml")
CHECKPOINT_SUFFIXES = (".npz", ".safetensors")
RUNS_DIR = Path("runs")


def _paths(incomplete: str, suffixes) -> list[str]:
    folder, _, stem = incomplete.rpartition("/")
    base = Path(folder or ".")
    if not base.is_dir():
        return []
    out = []
    for entry in sorted(base.iterdir()):
        if not entry.name.startswith(stem) or (entry.name.startswith(".") and not stem.startswith(".")):
            continue
        text = f"{folder}/{entry.name}" if folder else entry.name
        if entry.is_dir():
            out.append(text + "/")
        elif entry.suffix in suffixes:
            out.append(text)
    return out


def complete_config(incomplete: str) -> list[str]:
    """YAML files (and folders to look into)."""
    return _paths(incomplete, CONFIG_SUFFIXES)


def complete_checkpoint(incomplete: str) -> list[str]:
    """Checkpoints and safetensors files (and folders: runs/<run>/checkpoints/)."""
    return _paths(incomplete, CHECKPOINT_SUFFIXES)


def complete_folder(incomplete: str) -> list[str]:
    """Folders (--runs-dir)."""
    return [p for p in _paths(incomplete, ()) if p.endswith("/")]


def complete_run(incomplete: str) -> list[str]:
    """Names of the runs under runs/ (folders holding a config.yaml); a word
    with a "/" completes as a folder path instead."""
    if "/" in incomplete:
        return complete_folder(incomplete)
    if not RUNS_DIR.is_dir():
        return []
    return [run.name for run in sorted(RUNS_DIR.iterdir())
            if run.name.startswith(incomplete) and (run / "config.yaml").is_file()]
