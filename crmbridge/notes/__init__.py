"""Notes and tasks (issue 21): the neutral :class:`Note` and :class:`Task`, the checks run before
any request, the provider hooks and the facade verbs. Users import the models from
:mod:`crmbridge`; provider authors implement :class:`~crmbridge.notes.hooks.NoteHooks`'s methods
on their :class:`~crmbridge.plugin.Provider` (docs/notes.md)."""

from __future__ import annotations

from .model import NOTE_FORMATS, Note, NoteFormat, Task

__all__ = ["NOTE_FORMATS", "Note", "NoteFormat", "Task"]
