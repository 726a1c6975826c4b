"""Errors that are a person's mistake, not a bug in nettrain.

The command line prints a ``UsageError`` as one message and exits with
status 2, without a traceback. Raise it (or a subclass) for a bad config, a
missing data file, a checkpoint for another model: anything the person can
fix. The message says what is wrong, where (file, key or path), and what
would be right.
"""


class UsageError(Exception):
    """A mistake in the input a person gave nettrain."""


class ConfigError(UsageError):
    """A config file or an override is invalid."""


class DataError(UsageError):
    """A data file is missing, truncated or malformed."""


class CheckpointError(UsageError):
    """A checkpoint file is missing, corrupt, or for another run."""


class ArgumentError(UsageError, ValueError):
    """A bad value given to a Python function that a config section also
    feeds (``nettrain.data.build_data``): a ValueError for a Python caller, as
    PyTorch raises, naming the argument; the config path re-raises it as a
    ConfigError naming the key (``data.<argument>``). Checks that only need
    one value live in the config schema; these are the ones that need the
    data (a validation split larger than the data set, one_hot on a
    regression set)."""

    def __init__(self, argument: str, problem: str):
        super().__init__(f"{argument}: {problem}")
        self.argument, self.problem = argument, problem
