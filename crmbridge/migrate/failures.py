"""The failures file of one run: the records it could not write, one JSON object a line.

One file per run, named after it (``crmbridge-failures-{run}.jsonl`` by default), so a clean run
never shows an old run's failures; it is only created when a record fails. A path without
``{run}`` is rewritten by every run (issue 18: "not appended to forever").
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any

from ..errors import ConfigError

__all__ = ["DEFAULT_FAILURES", "FailuresFile"]

DEFAULT_FAILURES = "crmbridge-failures-{run}.jsonl"


class FailuresFile:
    """Opened on the first failure; ``path`` is the file this run writes (or would write)."""

    def __init__(self, template: str | Path, run: str) -> None:
        text = str(template)
        self.path = Path(text.replace("{run}", run))
        if not self.path.parent.is_dir():
            raise ConfigError(
                f"cannot write the failures file {self.path}: no folder {self.path.parent}"
            )
        self._file: IO[str] | None = None
        self.count = 0
        if "{run}" not in text:  # this run's file, not the last one's: no stale failures
            self.path.unlink(missing_ok=True)

    def write(self, line: dict[str, Any]) -> None:
        if self._file is None:
            self._file = self.path.open("w", encoding="utf-8")
        self._file.write(json.dumps(line, ensure_ascii=False, default=str) + "\n")
        self._file.flush()
        self.count += 1

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
