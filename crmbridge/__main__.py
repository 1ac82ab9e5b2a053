"""``python -m crmbridge`` and the ``crmbridge`` console script.

The command needs click and rich, which the ``cli`` extra installs (``pip install
'crmbridge[cli]'``); the library does not. Without them, this says which extra to install instead of
showing a traceback.
"""

from __future__ import annotations

import sys

__all__ = ["main"]

#: The distributions the command needs beyond the library's own dependencies.
CLI_MODULES = frozenset({"click", "rich"})


def main() -> None:
    """Run the ``crmbridge`` command."""
    try:
        from .cli import main as cli_main
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in CLI_MODULES:
            raise
        print(
            f"crmbridge: the command needs {exc.name}, which the 'cli' extra installs:\n"
            "    pip install 'crmbridge[cli]'",
            file=sys.stderr,
        )
        raise SystemExit(1) from None
    cli_main()


if __name__ == "__main__":
    main()
