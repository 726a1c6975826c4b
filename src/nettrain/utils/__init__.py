"""``nettrain.utils``: what PyTorch keeps under ``torch.utils`` that tutorials
use: ``data`` (Dataset, DataLoader, random_split) and ``hooks`` (the handle
``register_forward_hook`` returns)."""
from . import data, hooks  # noqa: F401
