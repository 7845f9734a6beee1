"""Isolated client environments (pip, uv) for end-to-end tests.

Contracts:

* :func:`client_env` gives an environment in which no configuration of this machine or of
  the test run reaches pip, uv or twine: no ``PIP_*``/``UV_*``/``TWINE_*``/``QUIVER_*``
  variables, no config files, fresh pip and uv caches. Only what a test passes explicitly (index
  URLs, ``--find-links``) can satisfy an install.
* :func:`make_venv` creates an empty virtual environment quickly and offline with
  ``uv venv`` (no seed packages). :meth:`Venv.pip` runs the *outer* test environment's pip
  against it with ``pip --python <venv python>`` (pip >= 22.3), so no pip is installed into
  each venv. If the outer pip is missing or too old, :func:`make_venv` falls back to
  ``python -m venv`` (which installs its bundled pip offline) and :meth:`Venv.pip` runs that.
* Every command runs with :func:`client_env`, captures text output and, with ``check=True``,
  raises ``AssertionError`` on a non-zero exit; the message holds the command, exit status,
  stdout and stderr, all passed through :func:`redact`.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata as importlib_metadata
from pathlib import Path

from packaging.version import Version

__all__ = ["Venv", "client_env", "make_venv", "redact", "run", "uv_binary"]

#: Prefixes of variables removed from client environments.
_STRIPPED_PREFIXES = ("PIP_", "UV_", "TWINE_", "QUIVER_")
#: Variables removed from client environments.
_STRIPPED_NAMES = frozenset({"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"})
#: Seconds any single client command may take before it counts as hung.
DEFAULT_TIMEOUT = 600.0

_CREDENTIALS = re.compile(r"://[^/\s@]+@")
_TOKENS = re.compile(r"qvr_[A-Za-z0-9_-]+")

_temp_dirs: list[str] = []


def _remove_temp_dirs() -> None:
    for directory in _temp_dirs:
        shutil.rmtree(directory, ignore_errors=True)


atexit.register(_remove_temp_dirs)


def redact(text: str) -> str:
    """Hide secrets in ``text``: ``scheme://user:pass@host`` -> ``scheme://***@host`` and every
    ``qvr_...`` personal access token -> ``***``."""
    return _TOKENS.sub("***", _CREDENTIALS.sub("://***@", text))


def client_env(
    extra: Mapping[str, str] | None = None, *, cache_dir: Path | None = None
) -> dict[str, str]:
    """Return a copy of ``os.environ`` isolated for running pip, uv and twine.

    Removed: every ``PIP_*``, ``UV_*``, ``TWINE_*``, ``QUIVER_*`` variable, ``VIRTUAL_ENV``,
    ``PYTHONPATH`` and ``PYTHONHOME``. Set: ``PIP_CONFIG_FILE=/dev/null`` (pip reads no config
    file, not even /etc/pip.conf), ``PIP_DISABLE_PIP_VERSION_CHECK=1``, ``PIP_NO_INPUT=1``,
    ``UV_NO_CONFIG=1``, ``UV_PYTHON_DOWNLOADS=never``, ``NO_COLOR=1``, and the caches
    ``UV_CACHE_DIR=<base>/uv`` and ``PIP_CACHE_DIR=<base>/pip`` where ``<base>`` is
    ``cache_dir`` if given, else a fresh temporary directory (removed at interpreter exit) —
    so neither pip's HTTP/wheel cache nor uv's cache carries anything between calls unless
    a test shares ``cache_dir`` on purpose. ``extra`` is applied last and wins.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(_STRIPPED_PREFIXES) and key not in _STRIPPED_NAMES
    }
    if cache_dir is None:
        base = tempfile.mkdtemp(prefix="quiver-client-cache-")
        _temp_dirs.append(base)
    else:
        base = str(cache_dir)
    env.update(
        {
            "PIP_CONFIG_FILE": os.devnull,
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PIP_NO_INPUT": "1",
            "UV_NO_CONFIG": "1",
            "UV_CACHE_DIR": os.path.join(base, "uv"),
            "PIP_CACHE_DIR": os.path.join(base, "pip"),
            "UV_PYTHON_DOWNLOADS": "never",
            "NO_COLOR": "1",
        }
    )
    if extra:
        env.update(extra)
    return env


def run(
    command: Sequence[str | os.PathLike[str]],
    *,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    cwd: Path | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` with ``env`` (default :func:`client_env`), capturing text output.

    With ``check=True`` a non-zero exit raises ``AssertionError`` carrying the redacted
    command, exit status, stdout and stderr. A timeout raises ``AssertionError`` too.
    """
    argv = [os.fspath(part) for part in command]
    shown = redact(" ".join(argv))
    try:
        result = subprocess.run(
            argv,
            env=dict(env) if env is not None else client_env(),
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise AssertionError(f"command timed out after {timeout:g}s: {shown}") from None
    if check and result.returncode != 0:
        raise AssertionError(
            f"command failed with exit status {result.returncode}: {shown}\n"
            f"--- stdout ---\n{redact(result.stdout)}\n"
            f"--- stderr ---\n{redact(result.stderr)}"
        )
    return result


def uv_binary() -> Path:
    """Return the ``uv`` executable next to ``sys.executable``, else the one on ``PATH``.

    Raises ``AssertionError`` if there is none.
    """
    found = shutil.which("uv", path=os.path.dirname(sys.executable)) or shutil.which("uv")
    if found is None:
        raise AssertionError("uv not found next to sys.executable or on PATH")
    return Path(found)


def _outer_pip_supports_python_option() -> bool:
    """True if this interpreter has pip >= 22.3 (which has ``pip --python``)."""
    try:
        version = importlib_metadata.version("pip")
    except importlib_metadata.PackageNotFoundError:
        return False
    return Version(version).release[:2] >= (22, 3)


def _venv_python(path: Path) -> Path:
    if os.name == "nt":
        return path / "Scripts" / "python.exe"
    return path / "bin" / "python"


@dataclass
class Venv:
    """An isolated virtual environment at ``path`` with interpreter ``python``.

    ``pip_command`` is the argv prefix that runs pip for this venv (empty when the venv was
    made with ``with_pip=False``).
    """

    path: Path
    python: Path
    pip_command: tuple[str, ...] = ()

    def pip(
        self,
        *args: str,
        env: Mapping[str, str] | None = None,
        check: bool = True,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> subprocess.CompletedProcess[str]:
        """Run pip with ``args`` against this venv (see the module docstring for how).

        ``env`` defaults to :func:`client_env`; pass ``client_env({...})`` to add variables.
        Raises ``AssertionError`` if the venv has no pip or (with ``check``) on failure.
        """
        if not self.pip_command:
            raise AssertionError(f"venv {self.path} was created with with_pip=False")
        return run([*self.pip_command, *args], env=env, check=check, timeout=timeout)

    def uv_pip(
        self,
        *args: str,
        env: Mapping[str, str] | None = None,
        check: bool = True,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``uv pip <args> --python <venv python>``; ``env`` defaults to :func:`client_env`.

        Raises ``AssertionError`` (with ``check``) on failure.
        """
        command = [str(uv_binary()), "pip", *args, "--python", str(self.python)]
        return run(command, env=env, check=check, timeout=timeout)

    def run_python(self, code: str, *, env: Mapping[str, str] | None = None) -> str:
        """Run ``python -c code`` in this venv and return its stdout.

        Raises ``AssertionError`` on a non-zero exit.
        """
        return run([str(self.python), "-c", code], env=env).stdout

    def installed(self) -> dict[str, str]:
        """Return ``{normalized name: version}`` of every distribution in the venv.

        Names are normalized per PEP 503 (lower case, runs of ``-_.`` -> ``-``), so
        ``installed()["app-one"]`` works however the distribution spelled its name.
        """
        code = (
            "import importlib.metadata as m, json, re\n"
            "print(json.dumps({re.sub(r'[-_.]+', '-', d.metadata['Name']).lower(): d.version"
            " for d in m.distributions()}))\n"
        )
        loaded: dict[str, str] = json.loads(self.run_python(code))
        return loaded


def make_venv(path: Path, *, with_pip: bool = True) -> Venv:
    """Create an empty virtual environment at ``path`` (must not exist yet) and return it.

    Uses ``uv venv --python sys.executable`` (no network, no seed packages). With
    ``with_pip`` (default), :meth:`Venv.pip` works: through the outer pip's ``--python``
    option, or, if the outer pip lacks it, through a pip that ``python -m venv`` installs
    from its bundled wheel (slower, still offline). With ``with_pip=False`` only
    :meth:`Venv.uv_pip` is available, which keeps uv-only tests honest.
    """
    if path.exists():
        raise AssertionError(f"venv path already exists: {path}")
    python = _venv_python(path)
    if with_pip and not _outer_pip_supports_python_option():
        run([sys.executable, "-m", "venv", str(path)])
        return Venv(path=path, python=python, pip_command=(str(python), "-m", "pip"))
    run(
        [
            str(uv_binary()),
            "venv",
            "--no-project",
            "--quiet",
            "--python",
            sys.executable,
            str(path),
        ]
    )
    pip_command = (sys.executable, "-m", "pip", "--python", str(python)) if with_pip else ()
    return Venv(path=path, python=python, pip_command=pip_command)
