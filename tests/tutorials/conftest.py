"""Run a tutorial program under nettrain (and, when installed, under PyTorch) and compare.

A program lives in ``programs/<name>.py`` exactly as the tutorial prints it,
with PyTorch's imports (``import torch``, ``import torch.nn as nn``,
``from torch.utils.data import ...``, ``import torchvision``). The runner
changes ONLY those import lines to nettrain's, runs the program in this
process with its stdout captured, and returns what it printed.

``programs/<name>.out`` holds the text the program must print under
nettrain. Where the program is deterministic that text is PyTorch's own
output with ``torch.`` replaced by ``nettrain.``; where it draws random
numbers (nettrain's generator is not PyTorch's), the PyTorch run is compared
with numbers masked, and the .out file pins nettrain's own numbers.

Use the ``tutorial`` fixture::

    def test_blitz_tensor(tutorial):
        out = tutorial.check("blitz_tensor")            # .out file + PyTorch, exact text
        out = tutorial.check("lenet_loop", numbers="masked")   # random numbers
        out = tutorial.run("polynomial")                 # just nettrain's stdout
"""
from __future__ import annotations

import contextlib
import io
import os
import re
from pathlib import Path

import pytest

PROGRAMS = Path(__file__).parent / "programs"

# (pattern, replacement) for import lines only; nothing else in a program changes.
_IMPORT_LINES = [
    (r"^(\s*)import torch\s*$", r"\1import nettrain as torch"),
    (r"^(\s*)import torch\.nn as (\w+)\s*$", r"\1import nettrain.nn as \2"),
    (r"^(\s*)import torch\.nn\.functional as (\w+)\s*$", r"\1import nettrain.nn.functional as \2"),
    (r"^(\s*)import torch\.optim as (\w+)\s*$", r"\1import nettrain.optim as \2"),
    (r"^(\s*)import torchvision\s*$", r"\1import nettrain.vision as torchvision"),
    (r"^(\s*)import torchvision\.transforms as (\w+)\s*$", r"\1import nettrain.vision.transforms as \2"),
    (r"^(\s*)from torchvision(\.\w+)* import ", lambda m: f"{m.group(1)}from nettrain.vision{m.group(2) or ''} import "),
    (r"^(\s*)from torch\.utils\.data import ", r"\1from nettrain.utils.data import "),
    (r"^(\s*)from torch\.autograd import ", r"\1from nettrain.autograd import "),
    (r"^(\s*)from torch(\.\w+)* import ", lambda m: f"{m.group(1)}from nettrain{m.group(2) or ''} import "),
]


def to_nettrain(source: str) -> str:
    """The program with its PyTorch import lines turned into nettrain's."""
    lines = []
    for line in source.splitlines():
        for pattern, replacement in _IMPORT_LINES:
            line, count = re.subn(pattern, replacement, line)
            if count:
                break
        lines.append(line)
    return "\n".join(lines) + "\n"


def _reset(library):
    """Undo what a program may have changed globally (seed, print options, default dtype)."""
    library.manual_seed(0)
    library.set_printoptions(profile="default")
    library.set_default_dtype(library.float32)


def run_source(source: str, library_name: str, cwd: Path | None = None) -> str:
    """Run ``source`` (already using ``library_name``'s imports); return its stdout."""
    library = __import__(library_name)
    _reset(library)
    out = io.StringIO()
    previous = os.getcwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        with contextlib.redirect_stdout(out):
            exec(compile(source, f"<tutorial under {library_name}>", "exec"), {"__name__": "__main__"})
    finally:
        os.chdir(previous)
        _reset(library)
    return out.getvalue()


_NUMBER = re.compile(r"-?\b\d+(\.\d*)?(e[+-]?\d+)?|-?\.\d+")


def mask_numbers(text: str) -> str:
    """Numbers replaced by ``#`` and spaces dropped (column padding depends on
    the values), for comparing outputs whose values are random but whose
    layout and wording must agree."""
    return re.sub(r"[ \t]+", "", _NUMBER.sub("#", text))


def torch_text(text: str) -> str:
    """PyTorch's printed text as nettrain prints it (the module name)."""
    return text.replace("torch.", "nettrain.")


_NODE_OBJECT = re.compile(r"<(\w+Backward)\d* object at 0x[0-9a-fA-F]+>")


def without_addresses(text: str) -> str:
    """``print(y.grad_fn)`` shows a memory address (``<AddBackward0 object at
    0x7f...>``), different on every run: compare graph nodes by name only."""
    return _NODE_OBJECT.sub(r"<\1>", text)


class TutorialRunner:
    # the helpers, for tests of the runner itself (a test module must not
    # import a conftest by name: tests/conftest.py is also "conftest")
    to_nettrain = staticmethod(to_nettrain)
    mask_numbers = staticmethod(mask_numbers)
    without_addresses = staticmethod(without_addresses)

    def __init__(self, tmp_path: Path):
        self.tmp_path = tmp_path

    def source(self, name: str) -> str:
        return (PROGRAMS / f"{name}.py").read_text(encoding="utf-8")

    def run(self, name: str) -> str:
        """nettrain's stdout for ``programs/<name>.py``."""
        return run_source(to_nettrain(self.source(name)), "nettrain", self.tmp_path)

    def run_torch(self, name: str) -> str:
        """PyTorch's stdout for the same program (skips when torch is absent)."""
        pytest.importorskip("torch")
        return run_source(self.source(name), "torch", self.tmp_path)

    def check(self, name: str, numbers: str = "exact") -> str:
        """Run under nettrain; assert its stdout equals ``programs/<name>.out``;
        when torch is installed, assert PyTorch prints the same (``numbers=
        "exact"``) or the same with numbers masked (``"masked"``)."""
        got = without_addresses(self.run(name))
        # bytes, not read_text(): a program may print "\r", which text mode turns into "\n"
        expected = (PROGRAMS / f"{name}.out").read_bytes().decode("utf-8")
        assert got == expected
        if _torch_installed():
            reference = without_addresses(torch_text(run_source(self.source(name), "torch", self.tmp_path)))
            if numbers == "exact":
                assert got == reference
            else:
                assert mask_numbers(got) == mask_numbers(reference)
        return got

    def compare_to_torch(self, name: str, got: str) -> None:
        """For programs whose printed numbers come from training (no .out file
        can pin them across machines): when PyTorch (and torchvision, if the
        program imports it) is installed, assert it prints the same text with
        numbers masked."""
        source = self.source(name)
        if not _torch_installed() or ("torchvision" in source and not _installed("torchvision")):
            return
        reference = without_addresses(torch_text(run_source(source, "torch", self.tmp_path)))
        assert mask_numbers(without_addresses(got)) == mask_numbers(reference)


def _installed(module: str) -> bool:
    import importlib.util  # noqa: PLC0415

    return importlib.util.find_spec(module) is not None


def _torch_installed() -> bool:
    try:
        import torch  # noqa: F401, PLC0415 - optional: only the comparison needs it
    except ImportError:
        return False
    return True


@pytest.fixture
def tutorial(tmp_path):
    """Runs ``tests/tutorials/programs/<name>.py`` under nettrain (and PyTorch)."""
    return TutorialRunner(tmp_path)
