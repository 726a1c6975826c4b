""""Learning PyTorch with Examples", the custom autograd Function fit
(LegendrePolynomial3, programs/examples_custom_function.py), run with only
its import changed. It must reach the loss PyTorch reaches (to float32
precision); with PyTorch installed the two runs are compared line by line."""
from __future__ import annotations

import re

import pytest

# PyTorch 2.x's output of this program (CPU, float32): its last three loss lines,
# and b, d of the fitted y = a + b * P3(c + d x).
PYTORCH_LAST_LOSSES = {1799: 9.091285705566406, 1899: 9.003361701965332, 1999: 8.943641662597656}
PYTORCH_RESULT = (-2.208526849746704, 0.2554861009120941)


def _losses(text):
    return {int(m[1]): float(m[2]) for m in re.finditer(r"^(\d+) ([-\d.e+]+)$", text, re.M)}


def test_legendre_custom_function_fit_reaches_pytorchs_loss(tutorial):
    out = tutorial.run("examples_custom_function")
    losses = _losses(out)
    assert sorted(losses) == list(range(99, 2000, 100))
    for step, expected in PYTORCH_LAST_LOSSES.items():
        assert losses[step] == pytest.approx(expected, rel=1e-5)
    b, d = (float(v) for v in re.search(r"\+ ([-\d.e]+) \* P3\([-\d.e]+ \+ ([-\d.e]+) x\)", out).groups())
    assert (b, d) == pytest.approx(PYTORCH_RESULT, rel=1e-5)


def test_the_same_program_under_pytorch_prints_the_same_losses(tutorial):
    theirs = _losses(tutorial.run_torch("examples_custom_function"))
    ours = _losses(tutorial.run("examples_custom_function"))
    assert ours.keys() == theirs.keys()
    for step in theirs:
        assert ours[step] == pytest.approx(theirs[step], rel=1e-5), step
