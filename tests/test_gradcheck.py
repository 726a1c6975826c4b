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
        self.save_for_backward(x)
        return x * x

    def backward(self, grad):
        (x,) = self.saved
        return grad * x  # should be 2 * x


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
    # conv2d: three ops and the nn.Conv2d layer; cross_entropy: its three, and binary_cross_entropy's two
    assert "9 passed, 0 failed" in out


def test_gradcheck_command_unknown_filter_exits_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["gradcheck", "--only", "no-such-op"])
    assert exit_info.value.code == 2
    assert "matches no case" in capsys.readouterr().err



# --------------------------------------------------------------------------- saved-for-backward protection


def _tensors_a_case_holds(fn, inputs, out):
    """The tensors a user could still change after forward: the case's inputs,
    the constants its function closes over (where's condition, a loss's
    targets), and the output."""
    held = list(inputs) + [out]
    for cell in getattr(fn, "__closure__", None) or ():
        if isinstance(cell.cell_contents, nt.Tensor):
            held.append(cell.cell_contents)
    return held


def _change_in_place(t):
    with nt.no_grad():
        if t.dtype == nt.bool:
            t[...] = ~t.array
        elif not t.dtype.is_floating_point:
            t[...] = t.array.max() - t.array
        else:
            t.mul_(1.5).add_(0.25)


def _forward_backward(case_, change=None):
    """Build the case, run forward, optionally change held tensor ``change``
    (an index into ``_tensors_a_case_holds``) in place, then backward."""
    nt.manual_seed(0)  # cases that draw (dropout) draw the same at every build
    fn, inputs, _ = case_.make(np.random.default_rng(0), "cpu")
    out = fn(*inputs)
    held = _tensors_a_case_holds(fn, inputs, out)
    if change is not None:
        _change_in_place(held[change])
    out.backward(nt.from_numpy(np.random.default_rng(1).standard_normal(out.shape)))
    return [None if t.grad is None else t.grad.numpy().copy() for t in inputs if t.requires_grad], len(held)


@pytest.mark.parametrize("name", sorted(CASES))
def test_in_place_change_after_forward_raises_or_leaves_the_gradient_unchanged(name):
    """For every registry case and every tensor the user still holds after
    forward: changing it in place either makes backward raise PyTorch's
    error (the op saved it) or leaves every gradient as it was (no op reads
    it). A silently different gradient means an op reads a value it did
    not declare with save_for_backward."""
    expected, n_held = _forward_backward(CASES[name])
    for k in range(n_held):
        try:
            grads, _ = _forward_backward(CASES[name], change=k)
        except RuntimeError as exc:
            assert "modified by an in-place operation" in str(exc)
            continue
        for g, e in zip(grads, expected):
            np.testing.assert_allclose(g, e, err_msg=f"{name}: changing held tensor {k} changed a gradient silently")


@pytest.mark.parametrize("name", ["where", "cross_entropy (none)", "nll_loss", "max dim", "max_pool2d 2x2"])
def test_cases_whose_saved_values_hid_outside_the_inputs_now_raise(name):
    """Where's condition, the losses' targets, max's and max_pool's outputs:
    each case has some held tensor whose change must raise."""
    raised = 0
    for k in range(_forward_backward(CASES[name])[1]):
        try:
            _forward_backward(CASES[name], change=k)
        except RuntimeError:
            raised += 1
    assert raised >= 1
