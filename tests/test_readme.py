"""README.md stays true: every command, option and config key is documented."""
import re
from pathlib import Path

import typer

from nettrain.cli.common import app
from nettrain.config import schema_keys

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def _commands(group, prefix=""):
    for name, command in sorted(group.commands.items()):
        full = f"{prefix}{name}"
        if hasattr(command, "commands"):
            yield from _commands(command, full + " ")
        else:
            yield full, command


def test_every_command_and_option_is_in_the_readme():
    import nettrain.cli  # noqa: F401 - registers every command module

    root = typer.main.get_command(app)
    missing = []
    for name, command in _commands(root):
        if f"nettrain {name}" not in README:
            missing.append(f"nettrain {name}")
        for param in command.params:
            for opt in param.opts:
                if opt.startswith("--") and opt != "--help" and opt not in README:
                    missing.append(f"nettrain {name} {opt}")
    assert not missing, f"README.md does not mention: {missing}"


def test_every_config_key_is_in_the_readme():
    missing = [key for key in schema_keys() if f"`{key}`" not in README]
    assert not missing, f"README.md does not document config keys: {missing}"


def test_readme_names_the_install_and_test_commands_ci_runs():
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text()
    install = re.search(r'pip install -e "\.\[[a-z,]+\]"', ci)
    assert install and "dev" in install.group(), "CI installs the dev extra"
    assert install.group() in README, f"README's test install command is not CI's {install.group()}"
    assert "python -m pytest -q" in README and "python -m pytest -q" in ci


def test_the_config_reference_is_the_generated_one():
    # The reference is generated from the registry and the schema; regenerate
    # it with: python -c "from nettrain.config import schema_reference; print(schema_reference())"
    from nettrain.config import schema_reference

    assert schema_reference() in README, "README.md's 'Every config key' section is not schema_reference()'s output"
