"""Environment variables in the forms shells, dotenv files and CI systems take in.

``pip-authenticate`` and ``twine-authenticate`` print variables that carry secrets; this
module turns ``(name, value)`` pairs into text. Contracts:

* ``shell``: ``export NAME='value'`` lines (POSIX shell quoting) so that
  ``eval "$(quiver pip-authenticate ...)"`` works; an empty value becomes ``unset NAME``.
* ``dotenv``: ``NAME=value`` lines, unquoted (docker ``--env-file`` and python-dotenv read them).
* ``json``: one object ``{"NAME": "value", ...}``.
* ``github``: the variables are *appended* to the file ``$GITHUB_ENV`` names (a later
  ``NAME=value`` line replaces an earlier one for the following steps; a value with a line
  break uses the ``NAME<<DELIMITER`` form); stdout gets only ``::add-mask::SECRET`` lines.
* ``azure-pipelines``: ``##vso[task.setsecret]SECRET`` for every secret, then
  ``##vso[task.setvariable variable=NAME]value`` — ordinary variables, which later steps see as
  environment variables, with the secrets masked in logs (what the hosted PipAuthenticate task
  does). Values are escaped as Azure's task library does (``%`` -> ``%AZP25``, CR, LF).

Only stdout (and ``$GITHUB_ENV``) ever receives a secret.
"""

from __future__ import annotations

import json
import os
import secrets as _random
import shlex
from collections.abc import Iterable, Sequence
from enum import StrEnum
from pathlib import Path


class OutputFormat(StrEnum):
    SHELL = "shell"
    DOTENV = "dotenv"
    GITHUB = "github"
    AZURE = "azure-pipelines"
    JSON = "json"


class FormatError(Exception):
    """The variables cannot be written in this form (e.g. no ``$GITHUB_ENV``)."""


Variables = Sequence[tuple[str, str]]


def render(
    form: OutputFormat,
    variables: Variables,
    secrets: Iterable[str] = (),
    *,
    environ: dict[str, str] | None = None,
) -> str:
    """The text for stdout; for ``github`` also appends to ``$GITHUB_ENV`` (from ``environ``,
    default ``os.environ``). Raises FormatError when a value cannot be expressed."""
    masked = _unique(value for value in secrets if value)
    if form is OutputFormat.SHELL:
        return "".join(_shell_line(name, value) for name, value in variables)
    if form is OutputFormat.DOTENV:
        return "".join(f"{name}={_single_line(name, value)}\n" for name, value in variables)
    if form is OutputFormat.JSON:
        return json.dumps(dict(variables), indent=2) + "\n"
    if form is OutputFormat.GITHUB:
        append_github_env(variables, environ)
        return "".join(f"::add-mask::{_github_escape(value)}\n" for value in masked)
    lines = [f"##vso[task.setsecret]{_azure_escape(value)}\n" for value in masked]
    lines += [
        f"##vso[task.setvariable variable={_azure_property(name)}]{_azure_escape(value)}\n"
        for name, value in variables
    ]
    return "".join(lines)


def append_github_env(variables: Variables, environ: dict[str, str] | None = None) -> Path:
    """Append ``variables`` to the file ``$GITHUB_ENV`` names; return its path."""
    env = os.environ if environ is None else environ
    target = env.get("GITHUB_ENV", "").strip()
    if not target:
        raise FormatError(
            "GITHUB_ENV is not set: --format github works inside a GitHub Actions step."
        )
    text = ""
    for name, value in variables:
        if "\n" in value or "\r" in value:
            delimiter = f"ghadelimiter_{_random.token_hex(16)}"
            text += f"{name}<<{delimiter}\n{value}\n{delimiter}\n"
        else:
            text += f"{name}={value}\n"
    path = Path(target)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)
    return path


def _shell_line(name: str, value: str) -> str:
    if not value:
        return f"unset {name}\n"
    return f"export {name}={shlex.quote(value)}\n"


def _single_line(name: str, value: str) -> str:
    if "\n" in value or "\r" in value:
        raise FormatError(f"The value of {name} has a line break: dotenv cannot hold it.")
    return value


def _github_escape(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _azure_escape(value: str) -> str:
    return value.replace("%", "%AZP25").replace("\r", "%0D").replace("\n", "%0A")


def _azure_property(value: str) -> str:
    return _azure_escape(value).replace("]", "%5D").replace(";", "%3B")


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))
