"""``python -m nettrain ...``: the same as the ``nettrain`` command."""
from .cli import main

if __name__ == "__main__":
    main()
