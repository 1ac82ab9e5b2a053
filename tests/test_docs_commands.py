"""The shell commands of README.md and docs/ name commands and options that exist (issue #19).

A ``crmbridge`` line in a ```bash / ```console block is parsed by the real command line, the way a
reader would type it (``uv run crmbridge …``, ``python -m crmbridge …``, a ``$`` prompt, ``\\``
continuations, ``[…]`` optional parts of a synopsis): a renamed command or option, or a stray
argument, fails here instead of in a reader's terminal. Parsing stops short of running: values
are not converted and no file is opened (click's ``resilient_parsing``), so lines that need a
live CRM or files of the reader's are checked too.

The commands that need nothing of the reader's — every CRM they name is an emulator
(``--emulator``, or ``--source-emulator`` with ``--target-emulator``) — also run, in page order,
each page in an empty directory of its own (``--init``'s mapping is there for the next line), and
must succeed. ``crmbridge demo`` runs in tests/test_cli.py; ``emulate`` serves until interrupted,
so it is only parsed. The Python blocks run in
tests/test_docs_examples.py; the plugin tutorial's commands run in tests/test_docs_tutorial.py.
"""

from __future__ import annotations

import copy
import re
import shlex
import warnings
from collections.abc import Iterator
from pathlib import Path

import attrs
import click
import pytest
from click.testing import CliRunner

from crmbridge import plugins
from crmbridge.cli import cli

ROOT = Path(__file__).resolve().parent.parent
PAGES = [
    ROOT / "README.md",
    *sorted((ROOT / "docs").rglob("*.md")),
    *sorted(ROOT.glob("plugins/*/README.md")),
    *sorted(ROOT.glob("cassettes/*/README.md")),
]
_BLOCK = re.compile(r"^```(?:bash|console|sh|shell)[^\n]*\n(?P<code>.*?)^```", re.S | re.M)
#: Shell operators that end one command of a line (pipes, lists, background).
_OPERATORS = {"|", "||", "&&", ";", "&"}
#: What runs the command line in the docs' lines.
_LAUNCHERS = (("uv", "run"), ("python", "-m"), ("python3", "-m"))


@attrs.frozen
class Command:
    page: Path
    line: int
    text: str
    args: tuple[str, ...]

    @property
    def runs(self) -> bool:
        """Nothing of the reader's needed: every end an emulator, and the command ends."""
        words = set(self.args)
        on_emulators = "--emulator" in words or {"--source-emulator", "--target-emulator"} <= words
        return on_emulators and self.args[:1] != ("emulate",)

    def __str__(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}: {self.text}"


def _lines(code: str) -> Iterator[tuple[int, str]]:
    """Logical lines of a block (``\\`` continuations joined), without prompts and comments."""
    pending, start = "", 0
    for number, raw in enumerate(code.splitlines()):
        if not pending:
            start = number
        line = raw.rstrip()
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = (pending + line).strip()
        pending = ""
        line = line.removeprefix("$ ")
        yield start, line


def _commands_of(line: str) -> Iterator[tuple[str, ...]]:
    line = re.sub(r"\$\([^)]*\)", "X", line)  # $(date +%F) -> one word
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.commenters = "#"
    lexer.whitespace_split = True
    words: list[str] = []
    for word in [*lexer, ";"]:
        if word not in _OPERATORS:
            words.append(word)
            continue
        while words and re.fullmatch(r"\w+=.*", words[0]):  # VAR=value crmbridge ...
            words.pop(0)
        for launcher in _LAUNCHERS:
            if tuple(words[: len(launcher)]) == launcher:
                words = words[len(launcher) :]
        if words and words[0] == "crmbridge":
            yield tuple(w.strip("[]") for w in words[1:] if w.strip("[]"))
        words = []


def commands(page: Path) -> Iterator[Command]:
    text = page.read_text(encoding="utf-8")
    for block in _BLOCK.finditer(text):
        first = text.count("\n", 0, block.start("code")) + 1
        for offset, line in _lines(block.group("code")):
            for args in _commands_of(line):
                yield Command(page, first + offset, line, args)


def _with_plugins() -> click.Group:
    """The command line as ``crmbridge`` starts it: with the installed plugins' commands
    (``crmbridge sqlite``), on a copy, so that other tests see :data:`cli` as it is."""
    full = copy.copy(cli)
    full.commands = dict(cli.commands)
    plugins.call_register_commands(full)
    return full


CLI = _with_plugins()


def parse(args: tuple[str, ...]) -> list[str]:
    """The command path ``args`` selects, parsed as the real CLI parses it; raises
    :class:`click.UsageError` for an unknown command or option or an extra argument."""
    command: click.Command = CLI
    ctx = command.make_context("crmbridge", list(args), resilient_parsing=True)
    path = ["crmbridge"]
    while isinstance(command, click.Group) and _remaining(ctx):
        name, sub, rest = command.resolve_command(ctx, _remaining(ctx))
        if sub is None or name is None:  # resilient parsing answers None, not an error
            raise click.UsageError(f"no such command {_remaining(ctx)[0]!r}", ctx)
        command, path = sub, [*path, name]
        ctx = sub.make_context(name, rest, parent=ctx, resilient_parsing=True)
    if ctx.args and not isinstance(command, click.Group) and not command.allow_extra_args:
        raise click.UsageError(f"unexpected extra arguments: {' '.join(ctx.args)}", ctx)
    return path


def _remaining(ctx: click.Context) -> list[str]:
    """The words a group left unparsed: click < 9 keeps the subcommand's apart, in
    ``protected_args`` (deprecated since click 8.2; click 9 keeps them all in ``args``)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        protected: list[str] = getattr(ctx, "protected_args", [])
    return [*protected, *ctx.args]


ALL = [command for page in PAGES for command in commands(page)]


def test_the_docs_have_commands_to_check() -> None:
    pages = {c.page.name for c in ALL}
    assert {"README.md", "migrate.md", "cli.md", "sync.md"} <= pages, pages


@pytest.mark.parametrize("command", ALL, ids=str)
def test_a_documented_command_parses(command: Command) -> None:
    try:
        parse(command.args)
    except click.UsageError as e:
        pytest.fail(f"{command}\n  -> {e.format_message()}")


RUN = sorted({c.page for c in ALL if c.runs})


def test_some_documented_commands_run() -> None:
    assert {p.name for p in RUN} >= {"cli.md", "migrate.md"}, RUN


@pytest.mark.parametrize("page", RUN, ids=lambda p: str(p.relative_to(ROOT)))
def test_documented_commands_on_emulators_run(
    page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for command in commands(page):
        if command.runs:
            result = CliRunner().invoke(CLI, list(command.args), catch_exceptions=False)
            assert result.exit_code == 0, f"{command}\n{result.output}"


@pytest.mark.parametrize(
    "line",
    [
        "uv run crmbridge migrate attio kizen --map m.toml --no-such-flag",
        "crmbridge no-such-command",
        "$ crmbridge objects attio extra-argument",
        "crmbridge query attio people \\\n  --nope | crmbridge upsert attio people --match x",
    ],
)
def test_a_wrong_command_is_caught(line: str) -> None:
    """The check can fail: an unknown option, command, or extra argument is a usage error."""
    first = next(_commands_of(next(_lines(line))[1]))
    with pytest.raises(click.UsageError):
        parse(first)
