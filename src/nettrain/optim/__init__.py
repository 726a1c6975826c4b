"""``nettrain.optim``: optimizers and learning-rate schedules, by PyTorch's
names and update rules.

Regularisation: weight decay (L2) is each optimizer's ``weight_decay``
option; L1 is a penalty term added to the loss, ``l1_penalty(model, weight)``
(see ``nettrain.nn.utils.l1_penalty``).
"""
from . import lr_scheduler  # noqa: F401
from ..nn.utils import l1_penalty  # noqa: F401
from .adagrad import Adagrad, adagrad_update  # noqa: F401
from .adam import Adam, AdamW, adam_update  # noqa: F401
from .optimizer import Optimizer  # noqa: F401
from .rmsprop import RMSprop, rmsprop_update  # noqa: F401
from .sgd import SGD, sgd_update  # noqa: F401

OPTIMIZERS = {"sgd": SGD, "adagrad": Adagrad, "rmsprop": RMSprop, "adam": Adam, "adamw": AdamW}
