"""``nettrain.nn``: layers, losses and the functional interface."""
from . import functional  # noqa: F401
