"""Quiver servers whose blobs live in S3 (moto's server, a separate process on loopback).

twine and uv publish; pip and uv install, once streamed through the server and once
redirected to presigned URLs; the files are in the bucket and not under the data directory.
``quiver serve`` refuses, in one line, a storage it cannot use.
"""

from __future__ import annotations

import base64
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import rest
from tests.support.cli import QUIVER, without_quiver_settings
from tests.support.dists import build_sdist, build_wheel
from tests.support.s3 import S3_ENV, S3Server
from tests.support.server import LiveServer, live_server
from tests.support.uploads import twine_upload, uv_publish
from tests.support.venvs import client_env, make_venv

pytestmark = pytest.mark.e2e
FEED = "acme/libs"
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def bucket(s3: S3Server) -> str:
    return s3.create_bucket()


def s3_server_env(s3: S3Server, url: str, **settings: str) -> dict[str, str]:
    return {**s3.env(), "QUIVER_STORAGE_URL": url, **settings}


@pytest.fixture(scope="module")
def streaming(
    s3: S3Server, bucket: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """Downloads streamed through the server; multipart uploads from 5 MiB."""
    env = s3_server_env(
        s3,
        f"s3://{bucket}/streamed",
        QUIVER_S3_MULTIPART_THRESHOLD=str(5 * MIB),
        QUIVER_S3_MULTIPART_CHUNK=str(5 * MIB),
    )
    with live_server(tmp_path_factory.mktemp("streaming") / "data", env=env) as live:
        with live.client() as admin:
            rest.create_feed(admin, FEED)
        yield live


@pytest.fixture(scope="module")
def presigned(
    s3: S3Server, bucket: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """Downloads redirected to presigned URLs of the store."""
    env = s3_server_env(s3, f"s3://{bucket}/signed", QUIVER_S3_PRESIGNED_DOWNLOADS="true")
    with live_server(tmp_path_factory.mktemp("presigned") / "data", env=env) as live:
        with live.client() as admin:
            rest.create_feed(admin, FEED)
        yield live


def big_module(size: int) -> str:
    """An ``__init__.py`` of about ``size`` bytes that no compression makes much smaller."""
    payload = base64.b64encode(os.urandom(size * 3 // 4)).decode()
    return f'__version__ = "1.0"\nPAYLOAD = "{payload}"\n'


def test_publish_and_install_streamed_through_the_server(
    streaming: LiveServer, s3: S3Server, bucket: str, tmp_path: Path
) -> None:
    big = build_wheel(tmp_path, "big-one", "1.0", module_code=big_module(8 * MIB))
    small = build_sdist(tmp_path, "small-two", "2.0")
    assert big.stat().st_size > 5 * MIB
    twine_upload(streaming, FEED, big, small)

    keys = s3.keys(bucket, "streamed/")
    assert sorted(key.rsplit("/", 1)[1] for key in keys) == sorted(
        [big.name, f"{big.name}.metadata", small.name]
    )
    assert not (streaming.data_dir / "blobs").exists()
    big_key = next(key for key in keys if key.endswith(big.name))
    assert s3.client().head_object(Bucket=bucket, Key=big_key)["ETag"].endswith('-2"')

    venv = make_venv(tmp_path / "venv")
    env = client_env({"PIP_INDEX_URL": streaming.index_url(FEED, streaming.admin_token)})
    venv.pip("install", "big-one", "small-two", env=env)
    assert venv.installed() == {"big-one": "1.0", "small-two": "2.0"}


def test_publish_and_install_through_presigned_redirects(
    presigned: LiveServer, s3: S3Server, bucket: str, tmp_path: Path
) -> None:
    wheel = build_wheel(tmp_path, "signed-lib", "1.0")
    sdist = build_sdist(tmp_path, "signed-tool", "3.0")
    uv_publish(presigned, FEED, wheel, sdist)
    assert len(s3.keys(bucket, "signed/")) == 3
    assert not (presigned.data_dir / "blobs").exists()

    file_url = presigned.index_url(FEED) + f"signed-lib/{wheel.name}"
    with presigned.client() as admin:
        answer = admin.get(file_url)
    assert answer.status_code == 307
    assert answer.headers["location"].startswith(f"{s3.endpoint_url}/{bucket}/signed/")
    assert httpx.get(answer.headers["location"]).content == wheel.read_bytes()

    index = presigned.index_url(FEED, presigned.admin_token)
    pip_venv = make_venv(tmp_path / "pip")
    pip_venv.pip("install", "signed-lib", "signed-tool", env=client_env({"PIP_INDEX_URL": index}))
    assert pip_venv.installed() == {"signed-lib": "1.0", "signed-tool": "3.0"}
    uv_venv = make_venv(tmp_path / "uv", with_pip=False)
    uv_venv.uv_pip(
        "install", "signed-lib", "signed-tool", env=client_env({"UV_DEFAULT_INDEX": index})
    )
    assert uv_venv.installed() == {"signed-lib": "1.0", "signed-tool": "3.0"}


def serve_fails(tmp_path: Path, env: dict[str, str]) -> str:
    """``quiver serve`` with ``env``: it must exit 2 with one ``error:`` line; that line."""
    child_env = {k: v for k, v in without_quiver_settings().items() if not k.startswith("AWS_")}
    child_env.update(QUIVER_DATA_DIR=str(tmp_path / "data"), QUIVER_PORT="0", **env)
    result = subprocess.run(
        [str(QUIVER), "serve"], env=child_env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert S3_ENV["AWS_SECRET_ACCESS_KEY"] not in result.stderr
    return lines[0]


def test_serve_refuses_storage_it_cannot_use(s3: S3Server, tmp_path: Path) -> None:
    assert serve_fails(tmp_path, {"QUIVER_STORAGE_URL": "ftp://files/blobs"}) == (
        "error: QUIVER_STORAGE_URL: unknown storage URL scheme 'ftp'; "
        "use s3://BUCKET[/PREFIX] or file:///ABSOLUTE/PATH"
    )
    assert serve_fails(tmp_path, s3_server_env(s3, "s3://not-there/x")) == (
        f"error: QUIVER_STORAGE_URL: The bucket s3://not-there at {s3.endpoint_url} does not "
        "exist; create it first (Quiver does not create buckets)."
    )
    no_credentials = {
        key: value for key, value in s3.env().items() if not key.startswith("AWS_ACCESS")
    }
    no_credentials.pop("AWS_SECRET_ACCESS_KEY")
    line = serve_fails(tmp_path, {**no_credentials, "QUIVER_STORAGE_URL": "s3://any-bucket"})
    assert "no AWS credentials were found" in line, line
