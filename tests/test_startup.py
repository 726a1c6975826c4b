"""``nettrain --help`` starts without NumPy or the engine (benchmarks/startup.py
times it); the lazy ``nettrain`` package still gives every public name, and
any module can be the first one imported."""
from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import nettrain


def _fresh(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout


def test_the_command_line_loads_without_numpy_or_the_engine():
    loaded = _fresh("import sys; from nettrain_entry import main; import nettrain.cli; "
                    "print(' '.join(m for m in sys.modules if m == 'numpy' or m.startswith(('nettrain.tensor', "
                    "'nettrain.ops', 'nettrain.data', 'nettrain.trainer'))))")
    assert loaded.split() == []


@pytest.mark.parametrize("module", ["nettrain.nn", "nettrain.ops.elementwise", "nettrain.functions",
                                    "nettrain.optim", "nettrain.models", "nettrain.trainer"])
def test_any_module_can_be_imported_first(module):
    assert _fresh(f"import {module}; import nettrain as nt; print(nt.tensor([1.0]).sum().item())").strip() == "1.0"


def test_every_public_name_resolves():
    for name in nettrain._WHERE:  # the lazy table itself: a typo there would only fail on first use
        assert getattr(nettrain, name) is not None, name
    importlib.import_module("nettrain.tensor")  # the submodule of the same name does not replace the function

    assert callable(nettrain.tensor) and nettrain.tensor([1, 2]).shape == (2,)
    assert {"tensor", "nn", "no_grad", "summary"} <= set(dir(nettrain))
    with pytest.raises(AttributeError, match="no attribute 'tensr'"):
        nettrain.tensr
