"""Training: building the components, the run folder, the loop.

Read it top-down as one run::

    result = train(config, resume=None, report=None)   # session.py: all of the below
    components = build(config)          # components.py: data, model, loss, optimizer, scheduler
    run = Run.create(...)               # run.py: the folder; CheckpointPolicy; resume checks
    trainer = Trainer(config, components, run, report)   # loop.py
    trainer.restore(checkpoint)         # only when resuming
    trainer.fit()                       # epochs of train_epoch() + evaluate() (objective.py)

``config`` is the typed ``nettrain.config.Config`` (a mapping or a YAML path
is validated into one). The loop hands each epoch's record to its consumers
(best tracker, metrics log, report, checkpoint policy) through one method,
``epoch_finished(record)``. Everything random (model init,
dropout, shuffling) is seeded from the config's ``seed`` and its state
travels in every checkpoint, so a resumed run continues exactly as if it had
never stopped: same batches, same dropout masks, bit-identical parameters.
"""
from __future__ import annotations

from .components import Components, build, check_optional_packages, data_from_config, model_arguments
from .loop import BestTracker, Stopped, StopRequests, Trainer
from .objective import EpochSums, Objective, evaluate
from .run import CheckpointPolicy, Run, check_resumable, config_changes, config_differences
from .session import TrainResult, checkpoint_config, train

__all__ = [
    "CheckpointPolicy", "Components", "EpochSums", "Objective", "Run", "StopRequests",
    "Stopped", "Trainer", "build", "check_optional_packages", "data_from_config", "check_resumable", "config_changes", "config_differences", "evaluate",
    "model_arguments", "TrainResult", "checkpoint_config", "train", "BestTracker",
]
