"""Matrix products: ``@`` / ``matmul`` with NumPy's rules (1-D operands,
batched operands with broadcasting), which also serve ``mm``, ``mv`` and ``dot``."""
from __future__ import annotations

from ..autograd import Function
from ..blas import matmul


def _swap_last(a):
    return a.swapaxes(-1, -2)


class MatMul(Function):
    def forward(self, x, y):
        if x.ndim == 0 or y.ndim == 0:
            raise RuntimeError("matmul needs tensors with at least one dimension; use * for scalars")
        if x.shape[-1] != y.shape[0 if y.ndim == 1 else -2]:
            raise RuntimeError(
                f"matmul shape mismatch: {tuple(x.shape)} @ {tuple(y.shape)} (the last dimension of "
                f"the first, {x.shape[-1]}, must equal the "
                f"{'only' if y.ndim == 1 else 'second-to-last'} dimension of the second)"
            )
        self.save_for_backward(x, y)
        if x.ndim == 1 or y.ndim == 1:
            self.node_name = ("DotBackward0" if x.ndim == y.ndim == 1 else
                              "MvBackward0" if x.ndim == 2 else "UnsafeViewBackward0")
        elif x.ndim == y.ndim == 2:
            self.node_name = "MmBackward0"
        else:
            self.node_name = "BmmBackward0" if x.ndim == y.ndim == 3 else "UnsafeViewBackward0"
        return matmul(x, y)

    def backward(self, grad):
        gx, gy = self.needs_input_grad
        x, y = self.saved
        # Treat 1-D operands as a row (x) or a column (y), as matmul does.
        x2 = x[None, :] if x.ndim == 1 else x
        y2 = y[:, None] if y.ndim == 1 else y
        if x.ndim == 1:
            grad = grad[..., None, :] if y.ndim > 1 else grad[..., None]
        if y.ndim == 1:
            grad = grad[..., :, None]
        dx = dy = None
        if gx:
            dx = matmul(grad, _swap_last(y2))
            if x.ndim == 1:
                dx = dx[..., 0, :]
        if gy:
            dy = matmul(_swap_last(x2), grad)
            if y.ndim == 1:
                dy = dy[..., 0]
        return dx, dy
