"""Training: building the components, the run folder, the loop.

Read it top-down as one run::

    components = build(config)          # components.py: data, model, loss, optimizer, scheduler
    run = Run.create(...)               # run.py: the folder; CheckpointPolicy; resume checks
    trainer = Trainer(config, components, run, report)   # loop.py
    trainer.restore(checkpoint)         # only when resuming
    trainer.fit()                       # epochs of train_epoch() + evaluate() (objective.py)

The loop emits plain metric dicts; the report (``report.py``), the metrics
log and the checkpoints consume them. Everything random (model init,
dropout, shuffling) is seeded from the config's ``seed`` and its state
travels in every checkpoint, so a resumed run continues exactly as if it had
never stopped: same batches, same dropout masks, bit-identical parameters.
"""
from __future__ import annotations

from .components import Components, build, model_arguments
from .loop import Stopped, StopRequests, Trainer
from .objective import EpochSums, Objective, evaluate
from .run import RESUMABLE_CHANGES, CheckpointPolicy, Run, check_resumable, config_differences

__all__ = [
    "CheckpointPolicy", "Components", "EpochSums", "Objective", "RESUMABLE_CHANGES", "Run", "StopRequests",
    "Stopped", "Trainer", "build", "check_resumable", "config_differences", "evaluate",
    "model_arguments",
]
