"""The docs agree with the code: generated pages are current, links resolve, every ``quiver``
command line in a shell block parses against the real CLI, every ``QUIVER_*`` name exists."""

from __future__ import annotations

import importlib.util
import re
import shlex
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
SHELL_FENCES = {"sh", "bash", "console", "shell"}
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
QUIVER_NAME = re.compile(r"\bQUIVER_[A-Z0-9_]*[A-Z0-9]\b")
PUNCTUATION = set("();<>|&")


@cache
def gen_docs() -> ModuleType:
    """scripts/gen_docs.py as a module (it lives outside the package)."""
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("gen_docs", module)
    spec.loader.exec_module(module)
    return module


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def prose_lines(path: Path) -> Iterator[tuple[int, str]]:
    """Numbered lines of ``path`` outside fenced code blocks."""
    fenced = False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced:
            yield number, line


def shell_commands(path: Path) -> Iterator[tuple[int, str]]:
    """Logical lines (backslash continuations joined) of the shell blocks of ``path``."""
    fence: str | None = None
    pending: tuple[int, str] | None = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("```"):
            fence = None if fence is not None else stripped[3:].strip().lower()
            continue
        if fence not in SHELL_FENCES:
            continue
        start, text = pending or (number, "")
        text += " " + line.removeprefix("$ ")
        if text.endswith("\\"):
            pending = (start, text[:-1])
        else:
            pending = None
            yield start, text.strip()


def anchors(path: Path) -> set[str]:
    slug = gen_docs().slug
    return {slug(line.lstrip("#")) for _, line in prose_lines(path) if line.startswith("#")}


# --- (a) generated pages ----------------------------------------------------------------


@pytest.mark.parametrize("relative", ["docs/cli.md", "docs/settings.md"])
def test_generated_pages_are_current(relative: str) -> None:
    expected = gen_docs().GENERATED[relative]()
    actual = (ROOT / relative).read_text(encoding="utf-8")
    assert actual == expected, f"{relative} is out of date: run `make docs`"


def test_every_setting_has_a_description() -> None:
    from quiver.settings import Settings

    missing = [name for name, field in Settings.model_fields.items() if not field.description]
    assert not missing, f"settings without Field(description=...): {missing}"


# --- (b) links --------------------------------------------------------------------------


def test_relative_links_point_to_existing_files_and_anchors() -> None:
    broken = []
    for path in DOC_FILES:
        for number, line in prose_lines(path):
            for target in LINK.findall(line):
                if re.match(r"[a-z]+:", target):
                    continue  # http:, https:, mailto:
                file_part, _, anchor = target.partition("#")
                resolved = (path.parent / file_part).resolve() if file_part else path
                where = f"{rel(path)}:{number}: {target}"
                if not resolved.exists():
                    broken.append(f"{where} (no such file)")
                elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
                    broken.append(f"{where} (no such heading)")
    assert not broken, "broken links:\n" + "\n".join(broken)


# --- (c) quiver command lines -----------------------------------------------------------


def quiver_invocations(text: str) -> Iterator[list[str]]:
    """The argument lists of every ``quiver`` (or ``.../bin/quiver``) run in a shell line."""
    lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        tokens = list(lexer)
    except ValueError:  # an unbalanced quote: not a command line
        return
    previous: str | None = None
    for index, token in enumerate(tokens):
        in_command_position = (
            previous is None
            or set(previous) <= PUNCTUATION
            or re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", previous) is not None
            or previous in {"exec", "env", "then", "do", "time"}
        )
        if in_command_position and (token == "quiver" or token.endswith("/bin/quiver")):
            args = []
            for arg in tokens[index + 1 :]:
                if set(arg) <= PUNCTUATION:
                    break
                args.append(arg)
            yield args
        previous = token


@cache
def root_command() -> Any:
    """The ``quiver`` command tree, built once (building it takes a while)."""
    return gen_docs().root_command()


def parse_error(argv: list[str]) -> str | None:
    """Why ``quiver ARGV`` would not parse (unknown command or option), or None."""
    command = root_command()
    path = ["quiver"]
    while subs := gen_docs().subcommands(command):
        if not argv or argv[0].startswith("-"):
            return None  # a group's own --help, or a group alone (prints its help)
        if argv[0] not in subs:
            return f"no command {' '.join(path)} {argv[0]!r}"
        path.append(argv[0])
        command, argv = subs[argv[0]], argv[1:]
    # Only the option parser runs: no type conversion, no callbacks, nothing executed; a
    # missing required argument is not an error (docs may show a partial command).
    ctx = command.context_class(command, info_name=" ".join(path))
    try:
        _opts, extra, _order = command.make_parser(ctx).parse_args(list(argv))
    except Exception as err:  # click's UsageError family (typer carries its own copy)
        return f"{' '.join(path)}: {getattr(err, 'message', err)}"
    if extra and not ctx.allow_extra_args:
        return f"{' '.join(path)}: unexpected extra arguments {extra}"
    return None


def test_quiver_command_lines_in_shell_blocks_parse() -> None:
    problems, seen = [], 0
    for path in DOC_FILES:
        for number, text in shell_commands(path):
            for argv in quiver_invocations(text):
                seen += 1
                if (error := parse_error(argv)) is not None:
                    problems.append(f"{rel(path)}:{number}: {error}\n    {text}")
    assert seen > 50, "the scan found almost no quiver command lines"
    assert not problems, "command lines that do not parse:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    ("line", "ok"),
    [
        (".venv/bin/quiver feed create acme/libs --visibility public", True),
        ('T=$(quiver token create --user alice --scope packaging:read) && echo "$T"', True),
        ("quiver feed create acme/libs --no-such-option", False),
        ("quiver fed create acme/libs", False),
        ("quiver org create acme surplus", False),
        ("quiver token create --user", False),
        ("sudo -u quiver mkdir /srv/quiver", True),  # 'quiver' as a user name: not a run
    ],
)
def test_the_command_line_check_itself(line: str, ok: bool) -> None:
    errors = [parse_error(argv) for argv in quiver_invocations(line)]
    assert all(error is None for error in errors) is ok, errors


# --- (d) QUIVER_* names -----------------------------------------------------------------


def test_every_quiver_variable_named_in_the_docs_exists() -> None:
    from quiver.settings import Settings

    known = set(gen_docs().CLIENT_VARIABLES)
    for name, field in Settings.model_fields.items():
        known.update(gen_docs().env_names(name, field))
    unknown = [
        f"{rel(path)}:{number}: {name}"
        for path in DOC_FILES
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        for name in QUIVER_NAME.findall(line)
        if name not in known
    ]
    assert not unknown, "QUIVER_* names that are no setting:\n" + "\n".join(unknown)


# --- the setting read outside settings.py before --------------------------------------


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "127.0.0.1"),
        ({"FORWARDED_ALLOW_IPS": "10.0.0.5"}, "10.0.0.5"),
        ({"QUIVER_FORWARDED_ALLOW_IPS": "10.0.0.7", "FORWARDED_ALLOW_IPS": "10.0.0.5"}, "10.0.0.7"),
        ({"FORWARDED_ALLOW_IPS": ""}, ""),  # empty: believe no proxy, as uvicorn reads it
        ({"QUIVER_FORWARDED_ALLOW_IPS": ""}, ""),
    ],
)
def test_forwarded_allow_ips_is_a_setting(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    from quiver.settings import load_settings

    for name in ("FORWARDED_ALLOW_IPS", "QUIVER_FORWARDED_ALLOW_IPS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert load_settings().forwarded_allow_ips == expected
