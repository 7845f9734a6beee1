"""Benchmarks for the speed and memory promises of DESIGN.md ("Speed by construction").

Run with ``make bench``. Starts a real server on a free loopback port and reports:

* upload: server peak memory (VmHWM) growth while receiving one large file — it must
  stay flat whatever the size, because uploads stream to disk while hashed;
* package page: requests per second for a cached page, with a token;
* download: throughput of a large file.

Prints a table; exits non-zero when the upload memory target is missed.
"""

from __future__ import annotations

import hashlib
import random
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support import rest
from tests.support.dists import metadata_text
from tests.support.server import LiveServer, live_server

MIB = 1024 * 1024
UPLOAD_MIB = 300
MEMORY_TARGET_MIB = 64


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def big_wheel(directory: Path, size_mib: int) -> Path:
    path = directory / "big-1.0-py3-none-any.whl"
    rng = random.Random(0)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("big-1.0.dist-info/METADATA", metadata_text("big", "1.0"))
        with archive.open("big/data.bin", "w") as member:
            for _ in range(size_mib):
                member.write(rng.randbytes(MIB))
    return path


def bench_upload(server: LiveServer, wheel: Path) -> tuple[float, float]:
    before = peak_rss_mib(server.process.pid)
    started = time.perf_counter()
    with wheel.open("rb") as handle, server.client() as client:
        response = client.post(
            "/acme/_packaging/libs/pypi/upload/",
            data={":action": "file_upload"},
            files={"content": (wheel.name, handle)},
            timeout=600,
        )
    response.raise_for_status()
    elapsed = time.perf_counter() - started
    return peak_rss_mib(server.process.pid) - before, wheel.stat().st_size / MIB / elapsed


def bench_page(server: LiveServer, seconds: float = 5.0) -> float:
    url = "/acme/_packaging/libs/pypi/simple/big/"

    def worker() -> int:
        count = 0
        deadline = time.perf_counter() + seconds
        with server.client() as client:
            while time.perf_counter() < deadline:
                client.get(url).raise_for_status()
                count += 1
        return count

    with ThreadPoolExecutor(4) as pool:
        total = sum(pool.map(lambda _: worker(), range(4)))
    return total / seconds


def bench_download(server: LiveServer, wheel: Path) -> float:
    digest = hashlib.sha256()
    started = time.perf_counter()
    with (
        server.client() as client,
        client.stream(
            "GET", f"/acme/_packaging/libs/pypi/simple/big/{wheel.name}", timeout=600
        ) as response,
    ):
        for chunk in response.iter_bytes(MIB):
            digest.update(chunk)
    return wheel.stat().st_size / MIB / (time.perf_counter() - started)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        wheel = big_wheel(root, UPLOAD_MIB)
        with live_server(root / "data") as server:
            with server.client() as admin:
                rest.create_feed(admin, "acme/libs")
            growth, upload_rate = bench_upload(server, wheel)
            pages = bench_page(server)
            download_rate = bench_download(server, wheel)
    rows = [
        ("upload: server peak memory growth", f"{growth:.1f} MiB", f"< {MEMORY_TARGET_MIB} MiB"),
        (f"upload: {UPLOAD_MIB} MiB file", f"{upload_rate:.0f} MiB/s", ""),
        ("cached package page (4 clients)", f"{pages:.0f} req/s", ""),
        ("download", f"{download_rate:.0f} MiB/s", ""),
    ]
    width = max(len(r[0]) for r in rows)
    for name, value, target in rows:
        print(f"{name:<{width}}  {value:>12}  {target}")
    return 0 if growth < MEMORY_TARGET_MIB else 1


if __name__ == "__main__":
    raise SystemExit(main())
