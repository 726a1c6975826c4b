"""The autograd engine: Function nodes, the graph, and the backward pass.

Read this file after ``tensor.py``. Every differentiable operation is a
subclass of :class:`Function` with ``forward`` and ``backward`` side by side,
both working on raw arrays (NumPy or CuPy)::

    class Mul(Function):
        def forward(self, x, y):
            self.save_for_backward(x, y)   # what backward reads, said once
            return x * y

        def backward(self, grad):
            x, y = self.saved                    # the arrays saved above
            return grad * y, grad * x            # one gradient per input

The protocol, all of it:

- ``forward(*arrays, **options)`` returns the output array. Arrays that
  ``backward`` reads are kept with ``self.save_for_backward(...)``, and
  only inputs of this call or the returned output may be saved (anything
  else is an error the moment the op runs). Saving records the version of
  the tensor each array belongs to; if that tensor is changed in place
  before ``backward`` runs, ``backward`` raises instead of computing a
  wrong gradient (PyTorch's version counter). Values derived in forward
  (a softmax, an im2col matrix) are plain attributes: nobody else can
  change them. A derived value that is a *view* of an input (it shares the
  input's memory) must be declared by saving that input too.
- ``backward(grad)`` returns one gradient per input (a bare array when the
  class sets ``single_input``), ``None`` for inputs whose
  ``self.needs_input_grad`` entry is False, so no work is spent on them.
- ``is_view = True``: the output is a view of input 0 (reshape, permute,
  basic indexing); they share a version counter, so an in-place change
  through either is seen by every node that saved the other.

``Function.apply(*tensors, **options)`` runs ``forward`` and, when gradients
are enabled and some input requires one, records the call as a node of the
graph. Broadcasting is undone in ONE place, :func:`sum_to`, which the
backward pass applies to every gradient whose shape differs from its input's
shape.
"""
from __future__ import annotations

import functools

import numpy as _np

# NumPy turns 0-d results into scalars (np.float32(...)); a Tensor always holds an array.
_NUMPY_SCALARS = frozenset(_np.sctypeDict.values()) - {_np.ndarray}

# --------------------------------------------------------------------------- grad mode
#
# Gradient recording is switched with ``no_grad()`` / ``enable_grad()``, as in
# PyTorch. The switch is a context manager (or decorator) with a visible scope,
# never a setting flipped somewhere far away.

_grad_enabled = True


def is_grad_enabled() -> bool:
    return _grad_enabled


class _GradMode:
    """Base of no_grad / enable_grad: a context manager that is also a decorator."""

    mode = True

    def __enter__(self):
        global _grad_enabled
        self._previous = _grad_enabled
        _grad_enabled = self.mode

    def __exit__(self, *exc):
        global _grad_enabled
        _grad_enabled = self._previous
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return func(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):
    """Inside ``with no_grad():`` no graph is recorded (evaluation, weight updates)."""

    mode = False


class enable_grad(_GradMode):
    """Turn recording back on inside a ``no_grad`` block."""

    mode = True


# --------------------------------------------------------------------------- versions


def increment_version(tensor) -> None:
    """Mark ``tensor`` as written in place behind the engine's back (PyTorch's
    ``torch.autograd.graph.increment_version``).

    Tensor operations keep the count themselves; call this after writing into
    a tensor's array directly (an optimizer step, an init function, loading a
    state dict), so that a graph which saved the old values raises at
    backward instead of computing a gradient from the new ones.
    """
    tensor._version_counter.value += 1


# --------------------------------------------------------------------------- broadcasting


def sum_to(grad, shape):
    """Sum ``grad`` over the axes that broadcasting added or stretched, so it
    gets ``shape`` back (DeZero's ``sum_to``). The only place nettrain undoes
    broadcasting."""
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1
    )
    out = grad.sum(axis=axes, keepdims=True) if axes else grad
    if lead:
        out = out.reshape(shape)
    if out.shape != shape:
        raise RuntimeError(
            f"internal error: a gradient of shape {tuple(grad.shape)} cannot be summed to the "
            f"input's shape {tuple(shape)}"
        )
    return out


# --------------------------------------------------------------------------- Function


class Function:
    """One operation of the graph. Subclasses define ``forward`` and ``backward``
    (the protocol is in this module's docstring)."""

    __slots__ = (
        "parents", "input_shapes", "needs_input_grad", "saved", "saved_versions",
        "retained", "released", "__dict__", "__weakref__",
    )
    # A subclass with one input may return a bare array from backward.
    single_input = False
    # The output is a view of input 0 (reshape, permute, basic indexing): they
    # share a version counter, so an in-place change through one is seen.
    is_view = False

    def forward(self, *arrays, **kwargs):
        raise NotImplementedError

    def backward(self, grad):
        raise NotImplementedError

    def save_for_backward(self, *arrays):
        """Keep ``arrays`` (inputs of this call or its output) for ``backward``,
        which reads them back as ``self.saved``."""
        self.saved = arrays

    @property
    def name(self) -> str:
        return f"{type(self).__name__}Backward"

    def __repr__(self):
        return f"<{self.name}>"

    # -- building the graph

    @classmethod
    def apply(cls, *inputs, **kwargs):
        """Run the op on Tensors; record a graph node if a gradient may be needed."""
        fn = cls()
        fn.saved = ()
        record = False
        if _grad_enabled:
            needs = tuple(t.requires_grad for t in inputs)
            record = True in needs
        fn.needs_input_grad = needs if record else (False,) * len(inputs)
        raw_out = fn.forward(*[t.data for t in inputs], **kwargs)
        out_data = _np.asarray(raw_out) if raw_out.__class__ in _NUMPY_SCALARS else raw_out
        counter = inputs[0]._version_counter if cls.is_view else None
        if not record:
            return Tensor._make(out_data, False, None, counter)
        out = Tensor._make(out_data, True, fn, counter)
        fn._link(inputs)
        if fn.saved:
            fn._note_saved_versions(inputs, raw_out, out)
        return out

    def _link(self, inputs):
        # A parent is where an input's gradient goes: the node that made it, or
        # the leaf tensor itself (gradient accumulated into .grad), or None.
        # Taking grad_fn now, not later, keeps the graph right even if the
        # input tensor is rebound by an in-place op afterwards.
        self.parents = tuple(
            (t.grad_fn if t.grad_fn is not None else t) if t.requires_grad else None for t in inputs
        )
        self.input_shapes = tuple(t.data.shape for t in inputs)
        self.saved_versions = ()
        self.retained = None
        self.released = False

    def _note_saved_versions(self, inputs, raw_out, out):
        """For each saved array, the version counter (and its value now) of the
        tensor it belongs to: which input, or the output."""
        versions = []
        for array in self.saved:
            if array is raw_out:
                versions.append(("its output", out._version_counter, out._version_counter.value))
                continue
            for i, t in enumerate(inputs):
                if t.data is array:
                    versions.append((f"input {i}", t._version_counter, t._version_counter.value))
                    break
            else:
                raise TypeError(
                    f"internal error: {type(self).__name__}.forward saved an array that is neither one "
                    f"of its inputs nor its output; keep derived values as attributes instead"
                )
        self.saved_versions = tuple(versions)

    # -- checks run by the backward pass

    def _check_versions(self):
        for what, counter, seen in self.saved_versions:
            if counter.value != seen:
                raise RuntimeError(
                    f"one of the tensors needed for gradient computation has been modified by an "
                    f"in-place operation: {what} of {self.name} is at version {counter.value}, "
                    f"expected version {seen}. Make the change out of place (x = x + 1, not "
                    f"x += 1), or clone() the tensor before changing it."
                )

    def _release(self):
        """Free what forward saved; a second backward through this node is an error."""
        self.__dict__.clear()
        self.saved = ()
        self.released = True


# --------------------------------------------------------------------------- backward pass


def _topological_order(root_fn):
    """Nodes reachable from ``root_fn``, each before the nodes that feed it.

    Iterative depth-first search (an explicit stack, so a chain of 100,000 ops
    needs no recursion); the reverse post-order of a DAG is topological.
    """
    post_order = []
    visited = {root_fn}
    stack = [(root_fn, iter(root_fn.parents))]
    while stack:
        node, parents = stack[-1]
        for parent in parents:
            if parent is not None and not isinstance(parent, Tensor) and parent not in visited:
                visited.add(parent)
                stack.append((parent, iter(parent.parents)))
                break
        else:
            stack.pop()
            post_order.append(node)
    post_order.reverse()
    return post_order


def run_backward(root, grad_array, retain_graph=False):
    """Propagate ``grad_array`` (d out / d root) from ``root`` to every leaf."""
    root_fn = root.grad_fn
    if root_fn is None:
        if root.requires_grad:  # backward() on a leaf: its gradient is the seed itself
            _accumulate_into_leaf(root, grad_array, None)
        return
    pending = {root_fn: grad_array}
    for node in _topological_order(root_fn):
        grad = pending.pop(node, None)
        if grad is None:
            continue
        if node.released:
            raise RuntimeError(
                f"trying to backward through the graph a second time ({node.name} has already "
                f"freed its saved values). Pass retain_graph=True to the first backward() if you "
                f"need to backward through the same graph again."
            )
        node._check_versions()
        if node.retained is not None:
            kept = node.retained()
            if kept is not None:
                kept.grad = Tensor._make(grad.copy() if kept.grad is None else kept.grad.data + grad, False, None)
        input_grads = node.backward(grad)
        if node.__class__.single_input:
            input_grads = (input_grads,)
        for parent, shape, g in zip(node.parents, node.input_shapes, input_grads):
            if parent is None or g is None:
                continue
            if g.shape != shape:
                g = sum_to(g, shape)
            if isinstance(parent, Tensor):
                _accumulate_into_leaf(parent, g, grad)
            elif parent in pending:
                pending[parent] = pending[parent] + g
            else:
                pending[parent] = g
        if not retain_graph:
            node._release()


def _accumulate_into_leaf(leaf, g, incoming):
    if g.__class__ in _NUMPY_SCALARS:
        g = _np.asarray(g)
    if leaf.grad is None:
        # Own the array: a backward may pass its incoming gradient straight
        # through (add, reshape), and a later in-place accumulation must not
        # write into an array some other tensor also holds.
        if g is incoming or g.base is not None:
            g = g.copy()
        if g.dtype != leaf.data.dtype:
            g = g.astype(leaf.data.dtype)
        leaf.grad = Tensor._make(g, False, None)
    else:
        leaf.grad.data += g


# The engine sits above Tensor (it creates and reads Tensors); imported last so
# that ``tensor.py`` can import this module in turn.
from .tensor import Tensor  # noqa: E402
