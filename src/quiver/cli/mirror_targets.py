"""Target environments of ``quiver mirror``: a Python version on a platform, the wheel tags
an installer there accepts, and how uv names the platform.

Contracts:

* :func:`parse_target` checks a ``(python, platform)`` pair (ConfigError, exit 2, otherwise):
  the python is ``3.N``; the platform a wheel platform tag (``manylinux_2_28_x86_64``,
  ``musllinux_1_2_x86_64``, ``macosx_11_0_arm64``, ``win_amd64``, ``linux_x86_64``) that uv
  can resolve for.
* :func:`target_tags` lists the tags CPython of that version accepts there, most preferred
  first, as pip would with ``--platform``/``--python-version``: a ``manylinux_2_28`` platform
  also accepts every older manylinux tag (and the legacy aliases), ``musllinux_1_2`` the older
  musllinux ones, ``macosx_11_0`` the older macOS ones and ``universal2``.
* :func:`uv_platform` gives uv's ``--python-platform`` value and the variables uv needs
  beside it (``MACOSX_DEPLOYMENT_TARGET``).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass

from packaging import tags

from quiver.cli.client import ConfigError

__all__ = ["Target", "default_target", "parse_target", "platform_tags", "target_tags"]

_MANYLINUX = re.compile(r"manylinux_(\d+)_(\d+)_([a-z0-9_]+)")
_LEGACY_MANYLINUX = {"manylinux1": 5, "manylinux2010": 12, "manylinux2014": 17}
_MUSLLINUX = re.compile(r"musllinux_(\d+)_(\d+)_([a-z0-9_]+)")
_MACOS = re.compile(r"macosx_(\d+)_(\d+)_([a-z0-9_]+)")
_PYTHON = re.compile(r"3\.(\d{1,2})")
# The glibc versions uv 0.5+ names in --python-platform (x86_64 and aarch64).
_UV_GLIBC = (17, 28, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40)
_UV_ARCH = {"x86_64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}
_WINDOWS = {
    "win_amd64": "x86_64-pc-windows-msvc",
    "win32": "i686-pc-windows-msvc",
    "win_arm64": "aarch64-pc-windows-msvc",
}


@dataclass(frozen=True, order=True)
class Target:
    """One environment to mirror for: ``python`` is ``3.N``, ``platform`` a wheel platform
    tag."""

    python: str
    platform: str

    @property
    def label(self) -> str:
        """``cp311-manylinux_2_28_x86_64``: how messages and JSON name the target."""
        return f"cp{self.python.replace('.', '')}-{self.platform}"

    @property
    def version(self) -> tuple[int, int]:
        major, minor = self.python.split(".")
        return int(major), int(minor)


def parse_target(python: str, platform: str) -> Target:
    """A checked target (ConfigError for a python or platform mirror cannot handle)."""
    python, platform = python.strip(), platform.strip().lower().replace("-", "_")
    if not _PYTHON.fullmatch(python):
        raise ConfigError(f"Invalid Python version {python!r}: use 3.N, e.g. 3.12.")
    target = Target(python, platform)
    uv_platform(target)  # refuses platforms uv cannot resolve for
    return target


def default_target() -> Target:
    """This machine: its Python version and most specific platform tag (on Linux the newest
    manylinux one rather than ``linux_*``, which no public wheel carries)."""
    found = list(tags.platform_tags())
    platform = next((tag for tag in found if not tag.startswith("linux_")), found[0])
    return Target(f"{sys.version_info.major}.{sys.version_info.minor}", platform)


def platform_tags(platform: str) -> list[str]:
    """The platform tags a wheel may carry to install on ``platform``, best first."""
    legacy = platform.split("_", 1)
    if legacy[0] in _LEGACY_MANYLINUX and len(legacy) == 2:
        platform = f"manylinux_2_{_LEGACY_MANYLINUX[legacy[0]]}_{legacy[1]}"
    if match := _MANYLINUX.fullmatch(platform):
        return _manylinux(int(match[1]), int(match[2]), match[3])
    if match := _MUSLLINUX.fullmatch(platform):
        major, minor, arch = int(match[1]), int(match[2]), match[3]
        return [f"musllinux_{major}_{m}_{arch}" for m in range(minor, -1, -1)]
    if match := _MACOS.fullmatch(platform):
        version = (int(match[1]), int(match[2]))
        return list(tags.mac_platforms(version, match[3]))
    return [platform]


def _manylinux(major: int, minor: int, arch: str) -> list[str]:
    """``manylinux_2_{minor}`` down to the oldest glibc the architecture had wheels for."""
    if major != 2:
        return [f"manylinux_{major}_{minor}_{arch}"]
    oldest = 5 if arch in ("x86_64", "i686") else 17
    found: list[str] = []
    for glibc in range(minor, oldest - 1, -1):
        found.append(f"manylinux_2_{glibc}_{arch}")
        for alias, aliased in _LEGACY_MANYLINUX.items():
            if aliased == glibc and (glibc == 17 or arch in ("x86_64", "i686")):
                found.append(f"{alias}_{arch}")
    return found


def target_tags(target: Target) -> list[tags.Tag]:
    """The tags CPython ``target.python`` accepts on ``target.platform``, best first."""
    version = target.version
    interpreter = f"cp{version[0]}{version[1]}"
    platforms = platform_tags(target.platform)
    return [
        *tags.cpython_tags(version, abis=[interpreter], platforms=platforms),
        *tags.compatible_tags(version, interpreter, platforms),
    ]


def uv_platform(target: Target) -> tuple[str, dict[str, str]]:
    """uv's ``--python-platform`` for the target and the environment uv needs beside it."""
    platform = target.platform
    if platform in _WINDOWS:
        return _WINDOWS[platform], {}
    tags_ = platform_tags(platform)
    first = tags_[0]
    if match := _MANYLINUX.fullmatch(first):
        arch = _UV_ARCH.get(match[3])
        glibc = int(match[2])
        usable = [known for known in _UV_GLIBC if known <= glibc]
        if arch is not None and match[1] == "2" and usable:
            return f"{arch}-manylinux_2_{usable[-1]}", {}
    elif match := _MUSLLINUX.fullmatch(first):
        if (arch := _UV_ARCH.get(match[3])) is not None:
            return f"{arch}-unknown-linux-musl", {}
    elif match := _MACOS.fullmatch(platform):
        arch = "x86_64" if match[3] == "x86_64" else "aarch64"
        if match[3] in ("x86_64", "arm64", "universal2"):
            deployment = {"MACOSX_DEPLOYMENT_TARGET": f"{match[1]}.{match[2]}"}
            return f"{arch}-apple-darwin", deployment
    elif platform in ("linux_x86_64", "linux_aarch64"):
        return f"{platform.removeprefix('linux_')}-unknown-linux-gnu", {}
    raise ConfigError(
        f"Unsupported platform {target.platform!r}: use a wheel platform tag such as "
        "manylinux_2_28_x86_64, musllinux_1_2_x86_64, macosx_11_0_arm64 or win_amd64."
    )
