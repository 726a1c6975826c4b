"""Moving models to and from other tools: safetensors weights (PyTorch's
names, float32) and ONNX graphs. Each needs an optional extra
(``pip install 'nettrain[export]'``); ``require`` says so when it is missing.
"""
from __future__ import annotations

import importlib

from ..errors import UsageError

EXTRAS = {"safetensors": "export", "onnx": "export", "onnxruntime": "export", "PIL": "images"}
PACKAGES = {"PIL": "Pillow"}


def require(module: str, purpose: str):
    """Import an optional dependency, or a UsageError naming the extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError:
        top = module.split(".")[0]
        extra = EXTRAS.get(top, "export")
        raise UsageError(
            f"{purpose} needs the {PACKAGES.get(top, top)} package, which is not installed: "
            f"pip install 'nettrain[{extra}]' (in a source checkout: pip install -e '.[{extra}]')"
        ) from None
