"""Every registered op (and layer, and model) against finite differences in
float64, and the checker itself."""
import numpy as np
import pytest

import nettrain as nt
from nettrain.autograd import Function
from nettrain.cli import main
from nettrain.gradcheck import (
    GradcheckError, all_function_classes, gradcheck, load_all_cases, run_case,
)

CASES = load_all_cases()


@pytest.mark.parametrize("name", sorted(CASES))
def test_case_passes_finite_difference_check(name):
    shapes, result = run_case(CASES[name], seed=0)
    assert result.passed, f"{name} {shapes}: {result.describe()}"


def test_every_function_has_a_check_case():
    covered = {cls for c in CASES.values() for cls in c.covers}
    missing = [cls.__qualname__ for cls in all_function_classes()
               if cls not in covered and cls.__module__.startswith("nettrain.")]
    assert not missing, f"Function subclasses without a gradcheck case: {missing}"


class _WrongSquare(Function):
    single_input = True

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, grad):
        return grad * self.x  # should be 2 * x


def test_gradcheck_reports_the_worst_element_of_a_wrong_backward():
    x = nt.tensor([[0.5, -1.0], [2.0, 3.0]], dtype=nt.float64, requires_grad=True)
    with pytest.raises(GradcheckError, match=r"FAIL.*worst at input 0 index \(\d, \d\): analytic .*, numeric "):
        gradcheck(lambda t: _WrongSquare.apply(t), [x])
    result = gradcheck(lambda t: _WrongSquare.apply(t), [x], raise_on_failure=False)
    assert not result.passed
    i, j = result.worst_index
    # the analytic value is half the true one there: d(x*x)/dx = 2x
    assert result.analytic == pytest.approx(result.numeric / 2, rel=1e-6)


def test_gradcheck_needs_float64():
    with pytest.raises(TypeError, match="float64"):
        gradcheck(lambda t: t * 2, [nt.ones(2, requires_grad=True)])


def test_gradcheck_command_passes_and_prints_the_table(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["gradcheck", "--only", "conv2d", "--only", "cross_entropy"])
    out = capsys.readouterr().out
    assert exit_info.value.code == 0
    assert "conv2d" in out and "cross_entropy" in out and "PASS" in out and "FAIL" not in out
    assert "4 passed, 0 failed" in out


def test_gradcheck_command_unknown_filter_exits_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["gradcheck", "--only", "no-such-op"])
    assert exit_info.value.code == 2
    assert "matches no case" in capsys.readouterr().err


del np
