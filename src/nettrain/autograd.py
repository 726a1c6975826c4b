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
import inspect

import numpy as _np

from .backend import get_array_module

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


class inference_mode(_GradMode):
    """``with inference_mode():`` records nothing, as ``no_grad`` (nettrain has
    no separate inference tensors); ``inference_mode(False)`` changes nothing.
    Also a decorator, with or without the call: ``@inference_mode``."""

    def __new__(cls, mode=True):
        if callable(mode):  # @inference_mode without parentheses
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode=True):
        self.enabled = bool(mode)

    def __enter__(self):
        global _grad_enabled
        self._previous = _grad_enabled
        if self.enabled:
            _grad_enabled = False

    def __call__(self, func):
        enabled = self.enabled

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with inference_mode(enabled):
                return func(*args, **kwargs)

        return wrapper


class set_grad_enabled(_GradMode):
    """``set_grad_enabled(False)`` switches recording off at once (a function
    call); ``with set_grad_enabled(flag):`` switches it for the block and
    restores the previous mode after, as in PyTorch."""

    def __init__(self, mode: bool):
        global _grad_enabled
        self._previous_at_call = _grad_enabled
        self.mode = bool(mode)
        _grad_enabled = self.mode

    def __enter__(self):
        global _grad_enabled
        self._previous = self._previous_at_call
        _grad_enabled = self.mode

    def __call__(self, func):
        global _grad_enabled
        _grad_enabled = self._previous_at_call  # as a decorator it only acts around the call
        mode = self.mode

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return func(*args, **kwargs)

        return wrapper


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


def _not_a_tensor(cls, inputs):
    """The TypeError for a raw array (or anything else) given where an op needs
    a Tensor, naming what was given, as PyTorch's argument checks do."""
    for position, value in enumerate(inputs, 1):
        if not isinstance(value, Tensor):
            kind = type(value)
            name = kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"
            op = cls.__name__.lower()
            return TypeError(
                f"{op}(): argument {position} must be a Tensor, not {name}"
                + (" (wrap it: nettrain.from_numpy(array) or nettrain.tensor(array))" if hasattr(value, "__array__") else "")
            )
    return TypeError(f"{cls.__name__.lower()}(): every argument must be a Tensor")


class Function:
    """One operation of the graph. Subclasses define ``forward`` and ``backward``
    (the protocol is in this module's docstring).

    A subclass whose ``forward`` is a ``@staticmethod`` follows PyTorch's
    protocol for custom functions instead (``forward(ctx, *args)`` and
    ``backward(ctx, *grads)`` on Tensors, ``ctx.save_for_backward``,
    ``ctx.saved_tensors``, ``ctx.needs_input_grad``); see :class:`CustomNode`.
    """

    __slots__ = (
        "parents", "input_shapes", "needs_input_grad", "retained", "released", "__dict__", "__weakref__",
    )
    # What forward saved (save_for_backward) and, per saved array, the version
    # counter it must still be at; instance attributes once a node saves.
    saved = ()
    saved_versions = ()
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

    # PyTorch's name for this node (``grad_fn=<MulBackward0>``): by default
    # the class name + "Backward0"; a class whose PyTorch node is named
    # otherwise sets it, and forward may set it per call (SumBackward1 when
    # summing over a dim).
    node_name = None

    def name(self) -> str:
        return self.node_name or f"{type(self).__name__}Backward0"

    def __repr__(self):
        return f"<{self.name()} object at {id(self):#x}>"

    @property
    def next_functions(self):
        """``((node, 0), ...)``, one per input: the node that made it, an
        ``AccumulateGrad`` for a leaf that requires grad, ``None`` otherwise
        (the Blitz tutorial walks the graph with this)."""
        return tuple(
            (None if p is None else AccumulateGrad(p) if isinstance(p, Tensor) else p, 0) for p in self.parents
        )

    # -- building the graph

    # True for a subclass written with PyTorch's custom-function protocol.
    _pytorch_protocol = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._pytorch_protocol = isinstance(inspect.getattr_static(cls, "forward"), staticmethod)

    @classmethod
    def apply(cls, *inputs, **kwargs):
        """Run the op on Tensors; record a graph node if a gradient may be needed."""
        if cls._pytorch_protocol:
            return CustomNode.run(cls, inputs, kwargs)
        fn = cls()
        record = False
        if _grad_enabled:
            try:
                needs = tuple(t.requires_grad for t in inputs)
            except AttributeError:
                raise _not_a_tensor(cls, inputs) from None
            record = True in needs
        fn.needs_input_grad = needs if record else (False,) * len(inputs)
        try:
            arrays = [t.array for t in inputs]
        except AttributeError:
            raise _not_a_tensor(cls, inputs) from None
        raw_out = fn.forward(*arrays, **kwargs)
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
        self.input_shapes = tuple(t.array.shape for t in inputs)
        self.retained = None
        self.released = False

    def _note_saved_versions(self, inputs, raw_out, out):
        """For each saved array, the version counter (and its value now) of the
        tensor it belongs to: which input (its index), or the output (-1)."""
        versions = []
        for array in self.saved:
            if array is raw_out:
                versions.append((-1, out._version_counter, out._version_counter.value))
                continue
            for i, t in enumerate(inputs):
                if t.array is array:
                    versions.append((i, t._version_counter, t._version_counter.value))
                    break
            else:
                raise TypeError(
                    f"internal error: {type(self).__name__}.forward saved an array that is neither one "
                    f"of its inputs nor its output; keep derived values as attributes instead"
                )
        self.saved_versions = tuple(versions)

    # -- checks run by the backward pass

    def _check_versions(self):
        for which, counter, seen in self.saved_versions:
            if counter.value != seen:
                what = which if isinstance(which, str) else "its output" if which < 0 else f"input {which}"
                raise RuntimeError(
                    f"one of the tensors needed for gradient computation has been modified by an "
                    f"in-place operation: {what} of {self.name()} is at version {counter.value}, "
                    f"expected version {seen}. Make the change out of place (x = x + 1, not "
                    f"x += 1), or clone() the tensor before changing it."
                )

    def _release(self):
        """Free what forward saved; a second backward through this node is an error."""
        name = self.__dict__.get("node_name")  # set per call by forward: kept for messages
        self.__dict__.clear()
        if name is not None:
            self.node_name = name
        self.released = True


class AccumulateGrad:
    """The graph's end for a leaf tensor: backward adds into ``variable.grad``."""

    __slots__ = ("variable",)
    next_functions = ()

    def __init__(self, variable):
        self.variable = variable

    def name(self) -> str:
        return "nettrain::autograd::AccumulateGrad"

    def __repr__(self):
        return f"<AccumulateGrad object at {id(self):#x}>"

    def __eq__(self, other):
        return isinstance(other, AccumulateGrad) and other.variable is self.variable

    def __hash__(self):
        return id(self.variable)


# --------------------------------------------------------------------------- backward pass


def _topological_order(roots):
    """Nodes reachable from ``roots``, each before the nodes that feed it.

    Iterative depth-first search (an explicit stack, so a chain of 100,000 ops
    needs no recursion); the reverse post-order of a DAG is topological.
    """
    post_order = []
    visited = set(roots)
    for root in roots:
        stack = [(root, iter(root.parents))]
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
    """Propagate ``grad_array`` (d out / d root) from ``root`` to every leaf,
    adding into each leaf's ``.grad`` (``Tensor.backward``)."""
    _propagate([(root, grad_array)], retain_graph, _accumulate_into_leaf)


def _propagate(roots, retain_graph, on_leaf, on_node=None):
    """The backward pass: from each ``(tensor, d out / d tensor)`` in ``roots``
    back through the graph. ``on_leaf(leaf, g, incoming)`` receives every
    leaf's gradient; ``on_node(node, grad)``, if given, each node's incoming
    gradient before the node runs (``grad()`` reads non-leaf inputs there)."""
    pending = {}
    for tensor, seed in roots:
        if tensor.grad_fn is None:
            if tensor.requires_grad:  # a leaf as a root: its gradient is the seed itself
                on_leaf(tensor, seed, None)
        elif tensor.grad_fn in pending:
            pending[tensor.grad_fn] = pending[tensor.grad_fn] + seed
        else:
            pending[tensor.grad_fn] = seed
    if not pending:
        return
    for node in _topological_order(list(pending)):
        grad = pending.pop(node, None)
        if grad is None:
            continue
        if node.released:
            raise RuntimeError(
                f"trying to backward through the graph a second time ({node.name()} has already "
                f"freed its saved values). Pass retain_graph=True to the first backward() if you "
                f"need to backward through the same graph again."
            )
        node._check_versions()
        if on_node is not None:
            on_node(node, grad)
        elif node.retained is not None:
            kept = node.retained()
            if kept is not None:
                kept.grad = Tensor._make(grad.copy() if kept.grad is None else kept.grad.array + grad, False, None)
        input_grads = node.backward(grad)
        if node.__class__.single_input:
            input_grads = (input_grads,)
        for parent, shape, g in zip(node.parents, node.input_shapes, input_grads):
            if parent is None or g is None:
                continue
            if g.shape != shape:
                g = sum_to(g, shape)
            if isinstance(parent, Tensor):
                on_leaf(parent, g, grad)
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
        if g.dtype != leaf.array.dtype:
            g = g.astype(leaf.array.dtype)
        leaf.grad = Tensor._make(g, False, None)
    else:
        leaf.grad.array += g


# --------------------------------------------------------------------------- custom functions


class CustomNode(Function):
    """The graph node (and the ``ctx``) of a custom function written with
    PyTorch's protocol::

        class MyReLU(nettrain.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x.clamp(min=0)

            @staticmethod
            def backward(ctx, grad_output):
                (x,) = ctx.saved_tensors
                return grad_output * (x > 0)

        y = MyReLU.apply(x)

    ``forward`` runs on Tensors with recording off and returns one Tensor;
    ``backward`` gets the output's gradient as a Tensor and returns one
    gradient (or None) per argument of ``forward``. Tensors saved with
    ``ctx.save_for_backward`` have their versions recorded like the engine's
    own saved arrays, so changing one in place before backward raises.
    (PyTorch 2's ``setup_context(ctx, inputs, output)`` style, with a
    ``forward`` that takes no ctx, works too.)
    """

    __slots__ = ("function", "arg_is_tensor")

    def save_for_backward(self, *tensors):
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward takes Tensors (or None), got {type(t).__name__}")
        self.saved = tensors

    @property
    def saved_tensors(self):
        return self.saved

    def mark_non_differentiable(self, *tensors):
        """The output will not require grad (an index, a mask)."""
        self.__dict__["non_differentiable"] = tensors

    def set_materialize_grads(self, value):
        """Accepted for PyTorch's code; with one output, backward always gets a
        defined gradient, so there is nothing to materialise."""

    def name(self) -> str:
        return f"{self.function.__name__}Backward"

    @staticmethod
    def run(function, args, kwargs):
        ctx = CustomNode()
        ctx.function = function
        ctx.saved = ()
        ctx.arg_is_tensor = tuple(isinstance(a, Tensor) for a in args)
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        tensors = [a for a in args if isinstance(a, Tensor)]
        record = _grad_enabled and True in ctx.needs_input_grad
        with no_grad():
            if "setup_context" in _overridden(function):
                out = function.forward(*args, **kwargs)
                function.setup_context(ctx, args, out)
            else:
                out = function.forward(ctx, *args, **kwargs)
        if not isinstance(out, Tensor):
            raise TypeError(
                f"{function.__name__}.forward must return one Tensor (nettrain's custom functions have one "
                f"output), got {type(out).__name__}"
            )
        if not record or out.array.dtype.kind != "f" or any(out is t for t in ctx.__dict__.get("non_differentiable", ())):
            return out
        if any(out is t for t in tensors) or out.grad_fn is not None or out.requires_grad:
            out = Tensor._make(out.array, False, None, out._version_counter)  # an input returned as it is
        ctx._link(tensors)
        out.grad_fn, out.requires_grad = ctx, True
        ctx.saved_versions = tuple(
            (f"saved tensor {i}", t._version_counter, t._version_counter.value)
            for i, t in enumerate(ctx.saved) if t is not None
        )
        return out

    def backward(self, grad):
        with no_grad():
            grads = self.function.backward(self, Tensor._make(grad, False, None))
        grads = grads if isinstance(grads, tuple) else (grads,)
        if len(grads) != len(self.arg_is_tensor):
            raise RuntimeError(
                f"function {self.name()} returned an incorrect number of gradients (expected "
                f"{len(self.arg_is_tensor)}, one per argument of forward, got {len(grads)})"
            )
        arrays = []
        for i, (is_tensor, g) in enumerate(zip(self.arg_is_tensor, grads)):
            if not is_tensor:
                continue
            if g is not None and not isinstance(g, Tensor):
                raise TypeError(f"function {self.name()} returned a {type(g).__name__} as gradient {i}; "
                                f"return a Tensor or None")
            arrays.append(None if g is None or not self.needs_input_grad[i] else g.array)
        return tuple(arrays)


def _overridden(function):
    return {name for name in ("setup_context",) if inspect.getattr_static(function, name, None) is not None}


class _VariableMeta(type):
    def __instancecheck__(cls, instance):
        return isinstance(instance, Tensor)


class Variable(metaclass=_VariableMeta):
    """The old (PyTorch < 0.4) wrapper: ``Variable(t, requires_grad=True)`` is a
    Tensor sharing ``t``'s data, as it is in PyTorch today; every Tensor is an
    instance of Variable."""

    def __new__(cls, data, requires_grad=False, volatile=False):
        t = data.detach() if isinstance(data, Tensor) else Tensor(data)
        return t.requires_grad_(True) if requires_grad else t


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True) -> bool:
    """``torch.autograd.gradcheck``: True when ``func``'s backward matches
    finite differences at ``inputs`` (float64 tensors); otherwise raises
    (or returns False with ``raise_exception=False``). The checker is
    :func:`nettrain.gradcheck.gradcheck`."""
    from .gradcheck import gradcheck as check  # noqa: PLC0415 - gradcheck imports this module

    inputs = inputs if isinstance(inputs, (tuple, list)) else (inputs,)
    return check(func, list(inputs), eps=eps, atol=atol, rtol=rtol, raise_on_failure=raise_exception).passed


# --------------------------------------------------------------------------- autograd.grad


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _seed(i, output, given):
    """The gradient a root starts from: ``given`` (checked), or 1 for a scalar."""
    if not output.requires_grad:
        raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
    if given is None:
        if output.array.size != 1:
            raise RuntimeError(
                f"grad can be implicitly created only for scalar outputs; output {i} has shape "
                f"{tuple(output.shape)}, so pass grad_outputs= of that shape"
            )
        return get_array_module(output.array).ones_like(output.array)
    seed = given.array if isinstance(given, Tensor) else _np.asarray(given)
    if seed.shape != output.array.shape:
        raise RuntimeError(
            f"grad_outputs[{i}] has shape {tuple(seed.shape)} but output {i} has shape {tuple(output.shape)}"
        )
    return seed.astype(output.array.dtype, copy=False)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=None):
    """The gradients of ``outputs`` with respect to ``inputs``, returned as a
    tuple instead of added into ``.grad`` (``torch.autograd.grad``).

    ``grad_outputs``: the vector of a vector-Jacobian product per output (may
    be left out for scalar outputs). An input the outputs do not depend on is
    an error, or ``None`` in the result with ``allow_unused=True``. The graph
    is freed unless ``retain_graph=True``. ``create_graph=True`` (gradients
    of gradients) is not supported: nettrain's backward computes on arrays.
    """
    if create_graph:
        raise NotImplementedError(
            "create_graph=True is not supported: nettrain's backward pass computes on arrays, so "
            "gradients of gradients cannot be recorded"
        )
    outputs, inputs = _as_tuple(outputs), _as_tuple(inputs)
    grad_outputs = (None,) * len(outputs) if grad_outputs is None else _as_tuple(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(f"grad_outputs has {len(grad_outputs)} entries for {len(outputs)} outputs; give one each")
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError(f"one of the differentiated Tensors (input {i}) does not require grad")
    roots = [(out, _seed(i, out, given)) for i, (out, given) in enumerate(zip(outputs, grad_outputs))]
    results = [None] * len(inputs)
    slots = {}  # a leaf (by identity) or a node -> the positions asking for its gradient
    for i, t in enumerate(inputs):
        slots.setdefault(id(t) if t.grad_fn is None else t.grad_fn, []).append(i)

    def add(key, g):
        for i in slots.get(key, ()):
            results[i] = g if results[i] is None else results[i] + g

    _propagate(roots, bool(retain_graph), lambda leaf, g, _: add(id(leaf), g), add)
    if not allow_unused:
        for i, r in enumerate(results):
            if r is None:
                raise RuntimeError(
                    f"one of the differentiated Tensors (input {i}) appears to not have been used in the "
                    f"graph. Set allow_unused=True if this is the desired behavior."
                )
    return tuple(
        None if r is None else Tensor._make(_np.asarray(r).astype(t.array.dtype) if r.__class__ in _NUMPY_SCALARS
                                            else r.astype(t.array.dtype, copy=True), False, None)
        for r, t in zip(results, inputs)
    )


# The engine sits above Tensor (it creates and reads Tensors); imported last so
# that ``tensor.py`` can import this module in turn.
from .tensor import Tensor  # noqa: E402
