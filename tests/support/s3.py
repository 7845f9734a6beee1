"""A real S3-protocol server for tests: moto's standalone server, as a subprocess on loopback.

:func:`s3_server` starts ``moto_server`` on a free 127.0.0.1 port, waits until it answers,
and kills it afterwards. Everything talks to it with the dummy credentials of
:data:`S3_ENV`, which also switches off the instance-metadata lookup, so no test ever sends
a request beyond loopback. :func:`aws_test_credentials` puts those variables into this process
(for stores built in-process); servers under test get them through their ``env``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import httpx
import pytest
from botocore.config import Config

from tests.support.ports import free_port

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = ["S3_ENV", "S3Server", "aws_test_credentials", "s3_server", "unique_bucket"]

MOTO_SERVER = Path(sys.executable).with_name("moto_server")
#: Dummy credentials and region; no shared config files; no instance-metadata lookups.
S3_ENV = {
    "AWS_ACCESS_KEY_ID": "quiver-test-key",
    "AWS_SECRET_ACCESS_KEY": "quiver-test-secret-do-not-print",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}
_UNSET = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3")


@dataclass
class S3Server:
    """A running moto server: its endpoint URL and process."""

    endpoint_url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    _client: S3Client | None = None

    def client(self) -> S3Client:
        """A boto3 client on the server with the test credentials (path-style requests)."""
        if self._client is None:
            self._client = self._make_client()
        return self._client

    def _make_client(self) -> S3Client:
        return boto3.session.Session(
            aws_access_key_id=S3_ENV["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=S3_ENV["AWS_SECRET_ACCESS_KEY"],
            region_name=S3_ENV["AWS_DEFAULT_REGION"],
        ).client(
            "s3", endpoint_url=self.endpoint_url, config=Config(s3={"addressing_style": "path"})
        )

    def create_bucket(self, name: str | None = None) -> str:
        """Create a bucket (a fresh unique name unless given); return its name."""
        name = name or unique_bucket()
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        """Every key in ``bucket`` under ``prefix``, sorted."""
        pages = (
            self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        )
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))

    def env(self) -> dict[str, str]:
        """Variables for a Quiver server using this S3 server (add QUIVER_STORAGE_URL)."""
        return {**S3_ENV, "QUIVER_S3_ENDPOINT_URL": self.endpoint_url}

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def unique_bucket() -> str:
    return f"quiver-test-{uuid.uuid4().hex[:12]}"


@contextmanager
def aws_test_credentials() -> Iterator[None]:
    """:data:`S3_ENV` in this process's environment for the duration."""
    with pytest.MonkeyPatch.context() as patch:
        for name in _UNSET:
            patch.delenv(name, raising=False)
        for name, value in S3_ENV.items():
            patch.setenv(name, value)
        yield


@contextmanager
def s3_server(log_dir: Path) -> Iterator[S3Server]:
    """Start moto's S3 server on a free loopback port; kill it on exit."""
    port = free_port()
    log_path = log_dir / f"moto-{port}.log"
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(S3_ENV)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(MOTO_SERVER), "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    server = S3Server(f"http://127.0.0.1:{port}", process, log_path)
    try:
        _wait_ready(server)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(server: S3Server, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"moto_server exited early:\n{server.log()}")
        try:
            httpx.get(server.endpoint_url + "/moto-api/", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"moto_server did not become ready:\n{server.log()}")
