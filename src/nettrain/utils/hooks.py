"""The handle a ``register_*_hook`` call returns, as ``torch.utils.hooks``."""
from __future__ import annotations

import itertools
import weakref


class RemovableHandle:
    """``handle.remove()`` (or leaving a ``with handle:`` block) unregisters
    the hook. Holds only a weak reference to the module's hook dict, so a
    handle kept around does not keep a deleted module alive."""

    _ids = itertools.count()

    def __init__(self, hooks_dict):
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = next(RemovableHandle._ids)

    def remove(self):
        hooks_dict = self.hooks_dict_ref()
        if hooks_dict is not None:
            hooks_dict.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.remove()
