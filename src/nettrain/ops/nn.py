"""The neural-network operations: linear, convolution, pooling, softmax and
the fused losses.

Convolution and pooling are a few large array operations on strided window
views and matrix products, never Python loops over pixels or samples. The
only loops run over the kernel's offsets (at most kh * kw iterations, each a
whole-batch array operation).

Memory layout (measured, see benchmarks/README.md): convolution and pooling
keep their arrays in memory as (C, H, W, N), the batch axis last, and hand
the caller an (N, C, H, W)-shaped transposed view of it. The values and
shapes are PyTorch's; only the strides differ. With the batch innermost,

- a conv's product ``W (O, C*kh*kw) @ cols (C*kh*kw, Ho*Wo*N)`` is already
  the next layer's (C, H, W, N) array: no transpose copy between layers;
- im2col, pooling slices and col2im's strided adds all move runs of N
  contiguous floats instead of rows of Wo (5-8) floats. LeNet, batch 64:
  im2col 0.23 -> 0.06 ms (conv1), 0.31 -> 0.04 ms (conv2); col2im of conv2
  0.9 -> 0.37 ms; 2x2 max pooling 0.11 -> 0.04 ms.

A convolution's product runs a band of output rows at a time: the band's
im2col columns are copied and multiplied while they are still in the cache
(``_im2col_bands``). The whole im2col matrix is kept for the weight gradient
when it is small (``KEEP_COLS_BYTES``); a larger one is not kept, and
backward copies its bands again, which measured faster than reading it back
from memory (LeNet batch 256: conv1 forward 3.3 -> 1.5 ms, 14.7 MB less held).

Elementwise ops (ReLU) keep their input's memory order, so a
conv -> relu -> pool -> conv chain never leaves the (C, H, W, N) layout; an
input that arrives in the ordinary layout is copied once (``_chwn``).
"""
from __future__ import annotations

import numpy as np

from ..autograd import Function
from ..backend import get_array_module
from ..blas import SMALL_PRODUCT, matmul, policy, runs_on_one_thread
from .elementwise import _Binary

# An im2col matrix up to this size is kept for backward (about a shared L3
# share: LeNet's at batch 64, 2.4 and 3.7 MB, are; at batch 256 they are not).
KEEP_COLS_BYTES = 4 << 20

# A convolution's input gradient is made one kernel offset at a time only
# with at least this many input channels: the products' rows. With 2 or 3,
# the per-offset products measured 1.3-1.5x slower than one whole product;
# with 4, 1.5x faster (batch 64, one thread, 3x3 and 5x5 kernels).
MIN_OFFSET_ROWS = 4

# --------------------------------------------------------------------------- helpers


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _out_size(size, kernel, stride, padding, what):
    out = (size + 2 * padding - kernel) // stride + 1
    if out < 1:
        raise RuntimeError(
            f"{what}: input size {size} (padding {padding}) is smaller than the kernel size {kernel}"
        )
    return out


def _chwn(x):
    """An (N, C, H, W)-shaped array as a C-contiguous (C, H, W, N) array: free
    (a view) for arrays made by the ops here, one copy for any other."""
    return get_array_module(x).ascontiguousarray(x.transpose(1, 2, 3, 0))


def _nchw(a):
    """A (C, H, W, N) array seen as (N, C, H, W) (a view; see the module note)."""
    return a.transpose(3, 0, 1, 2)


def _pad_chwn(x, ph, pw, value=0):
    if ph == 0 and pw == 0:
        return x
    xp = get_array_module(x)
    return xp.pad(x, ((0, 0), (ph, ph), (pw, pw), (0, 0)), constant_values=value)


def _windows(x, kh, kw, sh, sw, ho, wo):
    """A view of shape (C, kh, kw, Ho, Wo, N) of a (C, H, W, N) array: for each
    kernel offset (i, j), the (Ho, Wo, N) grid of input pixels it touches."""
    xp = get_array_module(x)
    c, _, _, n = x.shape
    s_c, s_h, s_w, s_n = x.strides
    return xp.lib.stride_tricks.as_strided(
        x, shape=(c, kh, kw, ho, wo, n), strides=(s_c, s_h, s_w, s_h * sh, s_w * sw, s_n)
    )


def _band_rows(windows, out_channels):
    """Output rows per band: as many as keep the band's product within one
    call of BLAS's small-matrix kernel (``SMALL_PRODUCT``), at least one. One
    band holds every row where that kernel is not there (the bands were
    measured with it) and on a GPU (each band costs kernel launches there)."""
    c, kh, kw, ho, wo, n = windows.shape
    if get_array_module(windows) is not np or not policy.small_kernels:
        return ho
    return max(1, min(ho, SMALL_PRODUCT // (out_channels * c * kh * kw * wo * n)))


def _im2col_bands(windows, rows, cols=None):
    """For each band of ``rows`` output rows, yield ``(start, stop, band)``:
    ``band`` is the (C*kh*kw, (stop-start)*Wo*N) im2col matrix of output
    columns ``start:stop`` (in the (Ho, Wo, N) order), copied from the window
    view into ``cols`` (the whole (C, kh, kw, Ho, Wo, N) matrix, when it is
    kept) or into one buffer that every band reuses."""
    xp = get_array_module(windows)
    c, kh, kw, ho, wo, n = windows.shape
    patch = c * kh * kw
    if cols is None:
        buffer = xp.empty(patch * rows * wo * n, dtype=windows.dtype)
    for r0 in range(0, ho, rows):
        r1 = min(ho, r0 + rows)
        start, stop = r0 * wo * n, r1 * wo * n
        if cols is None:
            flat = buffer[:patch * (stop - start)]
            xp.copyto(flat.reshape(c, kh, kw, r1 - r0, wo, n), windows[:, :, :, r0:r1])
            yield start, stop, flat.reshape(patch, stop - start)
        else:
            xp.copyto(cols[:, :, :, r0:r1], windows[:, :, :, r0:r1])
            yield start, stop, cols.reshape(patch, ho * wo * n)[:, start:stop]


def _im2col_grad_blocks(weight, g2, block_shape):
    """For each kernel offset (i, j), yield ``((i, j), block)``: the (C, Ho, Wo,
    N) block of the im2col gradient ``weight.T @ g2`` that belongs to it.

    On the CPU each block is its own product, ``weight[:, :, i, j].T @ g2``,
    into one reused buffer that the caller adds while it is in the cache;
    the whole matrix (9.8 MB for LeNet's conv2 at batch 256) is never made:
    3.8 -> 2.3 ms there. One product makes them all where that measured
    faster: on a GPU (each product is a kernel launch there), for fewer than
    ``MIN_OFFSET_ROWS`` input channels, and where the whole product would
    have a second core that the small ones would not."""
    xp = get_array_module(weight)
    o, c, kh, kw = weight.shape
    if (xp is not np or c < MIN_OFFSET_ROWS
            or not runs_on_one_thread(c * kh * kw, o, g2.shape[1], g2.dtype, a_transposed=True)):
        whole = matmul(weight.reshape(o, -1).T, g2).reshape(c, kh, kw, *block_shape[1:])
        for i in range(kh):
            for j in range(kw):
                yield (i, j), whole[:, i, j]
        return
    per_offset = np.ascontiguousarray(weight.transpose(2, 3, 1, 0))  # (kh, kw, C, O)
    buffer = np.empty((c, g2.shape[1]), dtype=g2.dtype)
    for i in range(kh):
        for j in range(kw):
            matmul(per_offset[i, j], g2, out=buffer)
            yield (i, j), buffer.reshape(block_shape)


def _offset_slice(i, j, sh, sw, ho, wo):
    """The strided slice of a padded (C, H, W, N) array touched by kernel offset (i, j)."""
    return (slice(None), slice(i, i + sh * (ho - 1) + 1, sh), slice(j, j + sw * (wo - 1) + 1, sw))


# --------------------------------------------------------------------------- linear


class _ShownNode:
    """A node of PyTorch's graph that ``next_functions`` shows where nettrain
    does its work inside the node before it: Linear's weight transposition
    (TBackward0), cross_entropy's log-softmax (LogSoftmaxBackward0). It is
    what the graph looks like to a reader, not a step of backward."""

    def __init__(self, name, next_node):
        self._name, self.next_node = name, next_node

    def name(self) -> str:
        return self._name

    def __repr__(self):
        return f"<{self._name} object at {id(self):#x}>"

    @property
    def next_functions(self):
        return ((self.next_node, 0),)


class Linear(Function):
    """``x @ weight.T + bias`` as one node (PyTorch's weight layout: out x in)."""

    def forward(self, x, weight, bias=None):
        if x.shape[-1] != weight.shape[1]:
            raise RuntimeError(
                f"linear: input has {x.shape[-1]} features (shape {tuple(x.shape)}) but the weight "
                f"expects {weight.shape[1]} (weight shape {tuple(weight.shape)})"
            )
        self.save_for_backward(x, weight)
        if x.ndim == 2:
            self.node_name = "MmBackward0" if bias is None else "AddmmBackward0"
        else:  # PyTorch flattens the batch dims and views the result back
            self.node_name = "UnsafeViewBackward0" if bias is None else "ViewBackward0"
        out = matmul(x, weight.T)
        if bias is not None:
            out += bias
        return out

    @property
    def next_functions(self):
        """In PyTorch's order for a 2-D input, whose graph is
        ``addmm(bias, input, weight.t())`` (``mm(input, weight.t())`` without a
        bias): the weight behind a TBackward0 (the Blitz's walk from a loss
        reaches the bias's AccumulateGrad, as there)."""
        inputs = super().next_functions
        if self.name() not in ("AddmmBackward0", "MmBackward0"):
            return inputs
        x, (weight, _), *bias = inputs
        return (*bias, x, (None if weight is None else _ShownNode("TBackward0", weight), 0))

    def backward(self, grad):
        needs = self.needs_input_grad
        x, w = self.saved
        g2 = grad.reshape(-1, grad.shape[-1])
        dx = matmul(grad, w) if needs[0] else None
        dw = matmul(g2.T, x.reshape(-1, x.shape[-1])) if needs[1] else None
        if len(needs) == 3:
            return dx, dw, (g2.sum(axis=0) if needs[2] else None)
        return dx, dw


# --------------------------------------------------------------------------- convolution


class Conv2d(Function):
    """2-D cross-correlation of x (N, C, H, W) with weight (O, C, kh, kw).

    Backward reads the im2col matrix ``cols`` (kept from forward, or copied
    again from x band by band), so x is saved too."""

    node_name = "ConvolutionBackward0"

    def forward(self, x, weight, bias=None, stride=1, padding=0):
        if x.ndim != 4:
            raise RuntimeError(f"conv2d expects input of shape (N, C, H, W), got {tuple(x.shape)}")
        n, c, h, w = x.shape
        o, cw, kh, kw = weight.shape
        if c != cw:
            raise RuntimeError(
                f"conv2d: input has {c} channels (shape {tuple(x.shape)}) but the weight expects "
                f"{cw} (weight shape {tuple(weight.shape)})"
            )
        (sh, sw), (ph, pw) = _pair(stride), _pair(padding)
        ho = _out_size(h, kh, sh, ph, "conv2d")
        wo = _out_size(w, kw, sw, pw, "conv2d")
        xp = get_array_module(x)
        windows = _windows(_pad_chwn(_chwn(x), ph, pw), kh, kw, sh, sw, ho, wo)
        # the weight's gradient reads cols: keep them if it is wanted and they are small
        kept = self.needs_input_grad[1] and c * kh * kw * ho * wo * n * x.itemsize <= KEEP_COLS_BYTES
        cols = xp.empty((c, kh, kw, ho, wo, n), dtype=x.dtype) if kept else None
        w2 = weight.reshape(o, -1)
        out = xp.empty((o, ho * wo * n), dtype=x.dtype)  # (O, Ho*Wo*N): the (C, H, W, N) layout
        for start, stop, band in _im2col_bands(windows, _band_rows(windows, o), cols):
            matmul(w2, band, out=out[:, start:stop])
        if bias is not None:
            out += bias[:, None]
        self.save_for_backward(x, weight)
        self.cols = cols  # None: backward copies the bands again from x
        self.geometry = (n, c, h, w, kh, kw, sh, sw, ph, pw, ho, wo)
        return _nchw(out.reshape(o, ho, wo, n))

    def backward(self, grad):
        xp = get_array_module(grad)
        needs = self.needs_input_grad
        n, c, h, w, kh, kw, sh, sw, ph, pw, ho, wo = self.geometry
        _, weight = self.saved
        o = weight.shape[0]
        g2 = _chwn(grad).reshape(o, ho * wo * n)
        dweight = self._weight_grad(g2).reshape(weight.shape) if needs[1] else None
        dbias = g2.sum(axis=1) if len(needs) == 3 and needs[2] else None
        dx = None
        if needs[0]:
            # col2im: add each kernel offset's block of the im2col gradient
            # into the (strided) pixels that offset touched
            dpad = xp.zeros((c, h + 2 * ph, w + 2 * pw, n), dtype=grad.dtype)
            for (i, j), block in _im2col_grad_blocks(weight, g2, (c, ho, wo, n)):
                dpad[_offset_slice(i, j, sh, sw, ho, wo)] += block
            dx = _nchw(dpad[:, ph:ph + h, pw:pw + w])
        if len(needs) == 3:
            return dx, dweight, dbias
        return dx, dweight

    def _weight_grad(self, g2):
        """``g2 @ cols.T``: from the kept im2col matrix, or band by band."""
        if self.cols is not None:
            c, kh, kw, ho, wo, n = self.cols.shape
            return matmul(g2, self.cols.reshape(c * kh * kw, ho * wo * n).T)
        n, c, h, w, kh, kw, sh, sw, ph, pw, ho, wo = self.geometry
        x, _ = self.saved
        windows = _windows(_pad_chwn(_chwn(x), ph, pw), kh, kw, sh, sw, ho, wo)
        total = None
        for start, stop, band in _im2col_bands(windows, _band_rows(windows, g2.shape[0])):
            part = matmul(g2[:, start:stop], band.T)
            total = part if total is None else total.__iadd__(part)
        return total


# --------------------------------------------------------------------------- pooling


class _Pool2d(Function):
    single_input = True

    def _setup(self, x, kernel_size, stride, padding):
        if x.ndim != 4:
            raise RuntimeError(f"{type(self).__name__} expects input (N, C, H, W), got {tuple(x.shape)}")
        kh, kw = _pair(kernel_size)
        sh, sw = _pair(kernel_size if stride is None else stride)
        ph, pw = _pair(padding)
        if ph > kh // 2 or pw > kw // 2:
            raise RuntimeError(f"pool padding {padding} must be at most half the kernel size {kernel_size}")
        n, c, h, w = x.shape
        ho = _out_size(h, kh, sh, ph, type(self).__name__)
        wo = _out_size(w, kw, sw, pw, type(self).__name__)
        self.geometry = (n, c, h, w, kh, kw, sh, sw, ph, pw, ho, wo)
        return kh, kw, sh, sw, ph, pw, ho, wo

    def _scatter(self, pieces, dtype, xp):
        """Sum per-offset gradient blocks (each (C, Ho, Wo, N)) back into the
        input's shape; returns the (N, C, H, W) view of a (C, H, W, N) array."""
        n, c, h, w, kh, kw, sh, sw, ph, pw, ho, wo = self.geometry
        if sh == kh and sw == kw and ph == pw == 0 and h == kh * ho and w == kw * wo:
            # Non-overlapping windows tiling the input: every pixel gets exactly one block.
            dx = xp.empty((c, h, w, n), dtype=dtype)
            for (i, j), block in pieces:
                dx[_offset_slice(i, j, sh, sw, ho, wo)] = block
            return _nchw(dx)
        dpad = xp.zeros((c, h + 2 * ph, w + 2 * pw, n), dtype=dtype)
        for (i, j), block in pieces:
            dpad[_offset_slice(i, j, sh, sw, ho, wo)] += block
        return _nchw(dpad[:, ph:ph + h, pw:pw + w])


class MaxPool2d(_Pool2d):
    """Max over each window, as the elementwise maximum of kh*kw strided slices
    (measured far faster than a reshape and a max over two axes). The gradient
    goes to one winner per window, the first offset holding its maximum, as
    in PyTorch.

    Forward records each window's winning offset in a one-byte array while
    the slices are in the cache, and backward reads only that and the
    gradient: LeNet's first pooling backward at batch 256 read its 3.5 MB
    input back from memory before, 1.9 -> 0.75-0.95 ms in a training step. Like
    PyTorch's node, it saves the input (an in-place change to it is an
    error at backward) and the indices, not the output."""

    node_name = "MaxPool2DWithIndicesBackward0"

    def forward(self, x, kernel_size, stride=None, padding=0):
        xp = get_array_module(x)
        kh, kw, sh, sw, ph, pw, ho, wo = self._setup(x, kernel_size, stride, padding)
        xpad = _pad_chwn(_chwn(x), ph, pw, value=-xp.inf)
        slices = [xpad[_offset_slice(i, j, sh, sw, ho, wo)] for i in range(kh) for j in range(kw)]
        out = slices[0].copy()
        winner = None
        if self.needs_input_grad[0]:
            winner = xp.zeros(out.shape, dtype=xp.uint8 if len(slices) <= 256 else xp.int32)
            greater = xp.empty(out.shape, dtype=bool)
            offset = xp.empty_like(winner)
        for k, s in enumerate(slices[1:], 1):
            if winner is not None:
                # Strictly greater: a later offset takes a window only from a
                # smaller maximum, so ties stay with the first. k exceeds every
                # index recorded so far, so the update is a maximum. (Into
                # buffers, the mask seen as integers: 0.59 -> 0.36 ms against
                # 0.23 ms for the maximum alone, LeNet's first pooling at batch 256.)
                xp.greater(s, out, out=greater)
                xp.multiply(greater.view(winner.dtype) if winner.itemsize == 1 else greater, k, out=offset)
                xp.maximum(winner, offset, out=winner)
            xp.maximum(out, s, out=out)
        self.winner = winner
        self.save_for_backward(x)
        return _nchw(out)

    def backward(self, grad):
        xp = get_array_module(grad)
        kh, kw = self.geometry[4:6]
        g = _chwn(grad)
        # (Products with boolean masks, not where(): 0.01 ms against 0.2 ms
        # for where(mask, g, 0) on LeNet's 6x12x12x64 blocks.)
        pieces = [((k // kw, k % kw), g * (self.winner == k)) for k in range(kh * kw)]
        return self._scatter(pieces, grad.dtype, xp)


class AvgPool2d(_Pool2d):
    """Mean over each window (padding counted as zeros, PyTorch's default)."""

    node_name = "AvgPool2DBackward0"

    def forward(self, x, kernel_size, stride=None, padding=0):
        kh, kw, sh, sw, ph, pw, ho, wo = self._setup(x, kernel_size, stride, padding)
        xpad = _pad_chwn(_chwn(x), ph, pw)
        out = None
        for i in range(kh):
            for j in range(kw):
                s = xpad[_offset_slice(i, j, sh, sw, ho, wo)]
                out = s.copy() if out is None else out.__iadd__(s)
        out *= out.dtype.type(1.0 / (kh * kw))
        return _nchw(out)

    def backward(self, grad):
        xp = get_array_module(grad)
        kh, kw = self.geometry[4:6]
        block = _chwn(grad) * grad.dtype.type(1.0 / (kh * kw))
        return self._scatter([((i, j), block) for i in range(kh) for j in range(kw)], grad.dtype, xp)


# --------------------------------------------------------------------------- softmax family


def _log_softmax(x, axis):
    xp = get_array_module(x)
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))


class Softmax(Function):
    single_input = True

    def forward(self, x, dim):
        xp = get_array_module(x)
        self.dim = dim
        e = xp.exp(x - x.max(axis=dim, keepdims=True))
        out = e / e.sum(axis=dim, keepdims=True)
        self.save_for_backward(out)
        return out

    def backward(self, grad):
        (y,) = self.saved
        return y * (grad - (grad * y).sum(axis=self.dim, keepdims=True))


class LogSoftmax(Function):
    single_input = True

    def forward(self, x, dim):
        self.dim = dim
        out = _log_softmax(x, dim)
        self.save_for_backward(out)
        return out

    def backward(self, grad):
        xp = get_array_module(grad)
        (out,) = self.saved
        return grad - xp.exp(out) * grad.sum(axis=self.dim, keepdims=True)


# --------------------------------------------------------------------------- losses


def _reduce(losses, reduction):
    if reduction == "mean":  # NumPy's mean (the sum over the count), without its Python overhead
        return losses.sum() / losses.dtype.type(losses.size)
    if reduction == "sum":
        return losses.sum()
    return losses


def _check_reduction(reduction):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _check_targets(logits, target, name):
    if target.dtype.kind not in "iu":
        raise RuntimeError(f"{name}: targets must be integer class indices, got dtype {target.dtype}")
    if logits.ndim != 2 or target.shape != logits.shape[:1]:
        raise RuntimeError(
            f"{name}: expected input (N, C) and target (N,), got {tuple(logits.shape)} and {tuple(target.shape)}"
        )
    if target.size and (int(target.min()) < 0 or int(target.max()) >= logits.shape[1]):
        raise RuntimeError(
            f"{name}: target values must be in [0, {logits.shape[1] - 1}] for {logits.shape[1]} classes, "
            f"got values from {int(target.min())} to {int(target.max())}"
        )


class CrossEntropy(Function):
    """log-softmax and negative log-likelihood in one node (logits + class
    indices), with label smoothing; backward is ``softmax - smoothed one-hot``.

    PyTorch's graph is nll_loss of a log_softmax node, and next_functions
    shows it so (the Blitz's walk); the work stays in this one node: one
    pass forward and backward, and its gradient to the bit (the trained
    figures in the README come from it; two nodes differ in the last bit
    where the batch size is not a power of two)."""

    node_name = "NllLossBackward0"

    def forward(self, logits, target, reduction="mean", label_smoothing=0.0):
        xp = get_array_module(logits)
        _check_reduction(reduction)
        _check_targets(logits, target, "cross_entropy")
        n, c = logits.shape
        log_probs = _log_softmax(logits, 1)
        rows = xp.arange(n)
        picked = log_probs[rows, target]
        if label_smoothing:
            losses = -(1 - label_smoothing) * picked - (label_smoothing / c) * log_probs.sum(axis=1)
        else:
            losses = -picked
        self.save_for_backward(target)
        self.log_probs, self.rows = log_probs, rows
        self.reduction, self.smoothing = reduction, label_smoothing
        return _reduce(losses, reduction)

    @property
    def next_functions(self):
        (logits, _), _target = super().next_functions
        return ((_ShownNode("LogSoftmaxBackward0", logits), 0),)  # PyTorch's: nothing for the target

    def backward(self, grad):
        xp = get_array_module(grad)
        (target,) = self.saved
        n, c = self.log_probs.shape
        dlogits = xp.exp(self.log_probs)  # softmax
        if self.smoothing:
            dlogits -= self.smoothing / c
        dlogits[self.rows, target] -= 1 - self.smoothing
        if self.reduction == "none":
            dlogits *= grad[:, None]
        else:
            scale = grad / n if self.reduction == "mean" else grad
            dlogits *= scale
        return dlogits, None


class NLLLoss(Function):
    """Negative log-likelihood of log-probabilities (N, C) at class indices (N,)."""

    node_name = "NllLossBackward0"

    def forward(self, log_probs, target, reduction="mean"):
        xp = get_array_module(log_probs)
        _check_reduction(reduction)
        _check_targets(log_probs, target, "nll_loss")
        self.save_for_backward(target)
        self.rows = xp.arange(log_probs.shape[0])
        self.shape, self.reduction = log_probs.shape, reduction
        return _reduce(-log_probs[self.rows, target], reduction)

    @property
    def next_functions(self):
        return super().next_functions[:1]  # PyTorch's: nothing for the target

    def backward(self, grad):
        xp = get_array_module(grad)
        (target,) = self.saved
        d = xp.zeros(self.shape, dtype=grad.dtype)
        n = self.shape[0]
        if self.reduction == "none":
            d[self.rows, target] = -grad
        else:
            d[self.rows, target] = -(grad / n if self.reduction == "mean" else grad)
        return d, None


class BCEWithLogits(Function):
    """Binary cross-entropy on logits, in the overflow-free form
    ``max(x, 0) - x*y + log(1 + exp(-|x|))``."""

    node_name = "BinaryCrossEntropyWithLogitsBackward0"

    def forward(self, x, y, reduction="mean"):
        xp = get_array_module(x)
        _check_reduction(reduction)
        self.save_for_backward(x, y)
        self.reduction = reduction
        losses = xp.maximum(x, 0) - x * y + xp.log1p(xp.exp(-abs(x)))
        return _reduce(losses, reduction)

    def backward(self, grad):
        xp = get_array_module(grad)
        x, y = self.saved
        if self.reduction == "mean":
            grad = grad / x.size
        sigmoid = 0.5 * (1 + xp.tanh(0.5 * x))
        gx, gy = self.needs_input_grad
        return (grad * (sigmoid - y) if gx else None), (-grad * x if gy else None)


class MseLoss(_Binary):
    """Squared error of two same-shaped arrays (``nn.functional.mse_loss``
    broadcasts them first), reduced; inputs of two dtypes are promoted."""

    node_name = "MseLossBackward0"

    def forward(self, x, y, reduction="mean"):
        _check_reduction(reduction)
        self.save_for_backward(x, y)
        self.reduction = reduction
        diff = x - y
        diff *= diff
        return _reduce(diff, reduction)

    def backward(self, grad):
        x, y = self.saved
        scale = 2 * grad / x.size if self.reduction == "mean" else 2 * grad
        d = (x - y) * scale
        gx, gy = self.needs_input_grad
        return (d if gx else None), (-d if gy else None)


class BinaryCrossEntropy(Function):
    """``-w (t log p + (1 - t) log(1 - p))`` on probabilities p, each log
    clamped at -100 as in PyTorch, so that p = 0 or 1 (a saturated sigmoid)
    gives a finite loss; the gradient is PyTorch's
    ``w (p - t) / max(p (1 - p), 1e-12)``, finite there too."""

    node_name = "BinaryCrossEntropyBackward0"

    def forward(self, p, t, weight=None, reduction="mean"):
        _check_reduction(reduction)
        if weight is not None and weight.shape != p.shape:
            raise RuntimeError(
                f"binary_cross_entropy: weight of shape {tuple(weight.shape)} does not broadcast to the "
                f"input's shape {tuple(p.shape)}"
            )
        self.save_for_backward(*((p, t) if weight is None else (p, t, weight)))
        self.reduction = reduction
        log_p, log_1mp = _clamped_logs(p)
        losses = t * (log_1mp - log_p)
        losses -= log_1mp
        if weight is not None:
            losses *= weight
        return _reduce(losses, reduction)

    def backward(self, grad):
        xp = get_array_module(grad)
        p, t, *weight = self.saved
        if self.reduction == "mean":
            grad = grad / p.size
        if weight:
            grad = grad * weight[0]
        gp, gt = self.needs_input_grad[:2]
        dp = dt = None
        if gp:
            dp = (p - t) / xp.maximum(p * (1 - p), p.dtype.type(1e-12)) * grad
        if gt:
            log_p, log_1mp = _clamped_logs(p)
            dt = (log_1mp - log_p) * grad
        return (dp, dt) if not weight else (dp, dt, None)

    @property
    def next_functions(self):
        return super().next_functions[:2]  # PyTorch's: nothing for the weight


def _clamped_logs(p):
    """``max(log(p), -100)`` and ``max(log(1 - p), -100)`` without log(0)
    warnings: below e**-100 both clamps give -100, and the smallest subnormal
    is far below it."""
    xp = get_array_module(p)
    tiny = np.finfo(p.dtype).smallest_subnormal
    log_p = xp.maximum(xp.log(xp.maximum(p, tiny)), -100)
    log_1mp = xp.maximum(xp.log(xp.maximum(1 - p, tiny)), -100)
    return log_p, log_1mp
