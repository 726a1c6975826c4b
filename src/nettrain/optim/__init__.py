"""``nettrain.optim``: optimizers and learning-rate schedules, by PyTorch's
names and update rules.

Regularisation: weight decay (L2) is each optimizer's ``weight_decay``
option; L1 is a penalty term added to the loss, ``l1_penalty(model, weight)``
(see ``nettrain.nn.utils.l1_penalty``), or the same gradient as a step hook,
``optimizer.register_step_pre_hook(L1Penalty(weight))``; gradient clipping
by the global norm is ``ClipGradNorm(max_norm)`` (``step_hooks.py``).
"""
from . import lr_scheduler  # noqa: F401
from ..nn.utils import l1_penalty  # noqa: F401
from .optimizer import Optimizer  # noqa: F401
from .step_hooks import ClipGradNorm, L1Penalty  # noqa: F401

# Imported in the order the config reference lists them (each registers
# itself under its config name: see nettrain.registry).
from .sgd import SGD, sgd_update  # noqa: F401,E402
from .adagrad import Adagrad, adagrad_update  # noqa: F401,E402
from .rmsprop import RMSprop, rmsprop_update  # noqa: F401,E402
from .adam import Adam, AdamW, adam_update  # noqa: F401,E402
